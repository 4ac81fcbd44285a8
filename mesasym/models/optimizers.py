"""Optimizer specs (``gd``, ``momentum:beta=0.9``, ``adam:schedule=cosine,clip=1``) as optax transforms.

``gd`` is the paper's and the authors' full-batch gradient descent,
:math:`\\theta \\leftarrow \\theta - \\eta\\nabla L` with mesasym's gradient convention
(:mod:`mesasym.models.gradient`), so ``tau = steps * lr`` as for the NumPy trainer. Every family
takes ``schedule=constant|cosine|linear`` (the step size decays to 0 over the run),
``warmup=K`` (a linear warm-up over the first ``K`` steps) and ``clip=none|X`` (clip the
gradient's global norm to ``X`` first).

* ``gd`` -- no keys of its own: ``optax.sgd(lr)``;
* ``momentum`` -- ``beta=0.9``, ``nesterov=false``: ``optax.sgd(lr, momentum=beta, nesterov=...)``;
* ``adam`` -- ``b1=0.9``, ``b2=0.999``, ``eps=1e-8``: ``optax.adam(lr, b1, b2, eps)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import optax

from mesasym.errors import require
from mesasym.specs import Key, parse_spec

__all__ = ["OptimizerSpec", "parse_optimizer", "OPTIMIZER_NAMES"]

_COMMON = (Key("schedule", "constant"), Key("warmup", "0"), Key("clip", "none"))
_FAMILIES = {
    "gd": _COMMON,
    "momentum": (Key("beta", "0.9"), Key("nesterov", "false"), *_COMMON),
    "adam": (Key("b1", "0.9"), Key("b2", "0.999"), Key("eps", "1e-8"), *_COMMON),
}
OPTIMIZER_NAMES: tuple[str, ...] = tuple(_FAMILIES)


@dataclass(frozen=True)
class OptimizerSpec:
    """A parsed optimizer spec; :meth:`build` makes the optax transform for a run of ``steps`` steps."""

    name: str
    values: tuple[tuple[str, str], ...]

    @property
    def is_plain_gd(self) -> bool:
        """Plain gradient descent at a constant step size (what the compiled kernel runs)."""
        v = dict(self.values)
        return self.name == "gd" and v["schedule"] == "constant" and v["warmup"] == "0" and v["clip"] == "none"

    def spec(self) -> str:
        return self.name + ":" + ",".join(f"{k}={v}" for k, v in self.values)

    def build(self, lr: float, steps: int) -> optax.GradientTransformation:
        v = dict(self.values)
        warmup = int(v["warmup"])
        decay = max(steps - warmup, 1)
        base = {
            "constant": optax.constant_schedule(lr),
            "cosine": optax.cosine_decay_schedule(lr, decay),
            "linear": optax.linear_schedule(lr, 0.0, decay),
        }[v["schedule"]]
        schedule = optax.join_schedules([optax.linear_schedule(0.0, lr, warmup), base], [warmup]) if warmup else base
        if self.is_plain_gd:
            schedule = lr  # a plain constant: the exact update -lr * g
        if self.name == "gd":
            core = optax.sgd(schedule)
        elif self.name == "momentum":
            core = optax.sgd(schedule, momentum=float(v["beta"]), nesterov=v["nesterov"] == "true")
        else:
            core = optax.adam(schedule, b1=float(v["b1"]), b2=float(v["b2"]), eps=float(v["eps"]))
        return core if v["clip"] == "none" else optax.chain(optax.clip_by_global_norm(float(v["clip"])), core)


def _real(text: str, key: str, spec: str, low: float, high: float = math.inf, open_low: bool = False) -> str:
    """A number in ``[low, high)`` (``(low, high)`` when ``open_low``) as canonical text."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    ok = math.isfinite(value) and (value > low if open_low else value >= low) and value < high
    require(ok, f"optimizer {spec!r}: {key}={text} must be a number in {'(' if open_low else '['}{low:g}, {high:g})")
    return repr(value)


def parse_optimizer(spec: str | None = None) -> OptimizerSpec:
    """The :class:`OptimizerSpec` of a text spec (default ``gd``).

    >>> parse_optimizer("adam:clip=1").spec()
    'adam:b1=0.9,b2=0.999,eps=1e-08,schedule=constant,warmup=0,clip=1.0'
    """
    parsed = parse_spec(spec or "gd", kind="optimizer", families=_FAMILIES)
    text, out = parsed.text, {}
    for key, raw in parsed.values.items():
        raw = str(raw).lower()
        if key == "schedule":
            require(raw in ("constant", "cosine", "linear"), f"optimizer {text!r}: schedule={raw} must be constant, cosine or linear")
            out[key] = raw
        elif key == "warmup":
            require(raw.isdigit(), f"optimizer {text!r}: warmup={raw} must be an integer >= 0")
            out[key] = str(int(raw))
        elif key == "clip":
            out[key] = "none" if raw == "none" else _real(raw, key, text, 0.0, open_low=True)
        elif key == "nesterov":
            require(raw in ("true", "false"), f"optimizer {text!r}: nesterov={raw} must be true or false")
            out[key] = raw
        elif key in ("beta", "b1", "b2"):
            out[key] = _real(raw, key, text, 0.0, 1.0)
        else:
            out[key] = _real(raw, key, text, 0.0, open_low=True)
    return OptimizerSpec(parsed.name, tuple(out.items()))
