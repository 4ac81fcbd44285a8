"""Task specs (``ar``, ``noisy:sigma=0.1``, ``regression:nonlinear:hidden=50``) and their parser.

Parsed with :func:`mesasym.specs.parse_spec` (the one spec grammar); the empty spec is ``ar``.
"""

from __future__ import annotations

from collections.abc import Callable

from mesasym.errors import require
from mesasym.specs import Key, parse_spec
from mesasym.tasks.ar import AR, Noisy, Nonlinear, Orthogonal, Rotation, Unitary
from mesasym.tasks.base import Task, nonnegative
from mesasym.tasks.regression import LinearRegression, NoisyRegression, NonlinearRegression

__all__ = ["parse_task", "TASK_NAMES"]


def _hidden(value: str, spec: str) -> int:
    require(value.isdigit() and 1 <= int(value) <= 10_000, f"task {spec!r}: hidden={value} must be an integer in [1, 10000]")
    return int(value)


#: name -> (keys, constructor from the parsed values and the spec text)
_FAMILIES: dict[str, tuple[tuple[Key, ...], Callable[[dict, str], Task]]] = {
    "ar": ((), lambda v, s: AR()),
    "unitary": ((), lambda v, s: Unitary()),
    "orthogonal": ((), lambda v, s: Orthogonal()),
    "rotation": ((), lambda v, s: Rotation()),
    "noisy": ((Key("sigma", "0.1"),), lambda v, s: Noisy(nonnegative(v["sigma"], "sigma", s))),
    "nonlinear": ((Key("beta", "1"),), lambda v, s: Nonlinear(nonnegative(v["beta"], "beta", s))),
    "regression:linear": ((), lambda v, s: LinearRegression()),
    "regression:noisy": ((Key("sigma", "0.1"),), lambda v, s: NoisyRegression(nonnegative(v["sigma"], "sigma", s))),
    "regression:nonlinear": ((Key("hidden", "100"),), lambda v, s: NonlinearRegression(_hidden(v["hidden"], s))),
}

#: The valid task names, in documentation order.
TASK_NAMES: tuple[str, ...] = tuple(_FAMILIES)


def parse_task(spec: str | Task | None = None) -> Task:
    """The task of a spec (``None`` or ``""``: ``ar``); a :class:`~mesasym.tasks.base.Task` passes through.

    >>> parse_task("noisy:sigma=0.5").spec()
    'noisy:sigma=0.5'
    >>> parse_task("regression:nonlinear").hidden
    100
    """
    if isinstance(spec, Task):
        return spec
    parsed = parse_spec("" if spec is None else spec, kind="task", families={k: v[0] for k, v in _FAMILIES.items()}, default="ar")
    return _FAMILIES[parsed.name][1](dict(parsed.values), parsed.text)
