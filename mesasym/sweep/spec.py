"""Sweep specifications: a TOML file naming a command, fixed options and axes.

Format (every key is checked up front; errors name the key)::

    command = "check-fixed-point"        # any mesasym command with --json except sweep/reproduce/property-test
    description = "..."                  # optional
    timeout = 600                        # optional: seconds per point, then the point is a failure row

    [options]                            # the command's options (names without --), fixed for every point
    d = 5
    dist = "discrete:values=-1,{v};probs={v/(1+v)},{1/(1+v)}"   # a template: {expr} over axes and options

    [axes]                               # the cartesian product of all axes (and zip groups)
    v = [1, 1.5, 2, 3]                   # a list
    T = { linspace = [10, 50, 5], round = true }   # start, stop, count (exact; round = true for integers)
    samples = { logspace = [2, 5, 4] }   # 10^2 .. 10^5, 4 values
    seed = { range = [0, 8] }            # integers start <= k < stop (optional third item: the step)

    [[zip]]                              # values taken together, one point per position
    a0 = [0.1, 0.5]
    b0 = [0.1, 0.3]

    [columns]                            # derived columns, evaluated per row (axes, options, results)
    skew2 = "(v*(v-1))**2"
    rel = "(numeric.ab - fixed_point.ab) / fixed_point.ab"

    [[plot]]                             # figures for `mesasym sweep plot` (see mesasym.sweep.plot)
    kind = "line"
    x = "skew2"
    y = ["rel"]

An axis whose name is an option of the command sets that option; any other
axis is a parameter for templates and columns. Template expressions are
evaluated by :mod:`mesasym.sweep.expr` (exact arithmetic, no ``eval``).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import itertools
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from mesasym.errors import InvalidInputError
from mesasym.sweep import expr

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Commands that cannot be a sweep point (they write files or run sweeps themselves).
NOT_SWEEPABLE = frozenset({"sweep", "reproduce", "property-test"})
#: Options a sweep sets itself or that write files.
RESERVED_OPTIONS = frozenset({"json", "plot", "latex", "history", "save", "quiet", "debug", "out", "help"})
#: Column names a sweep fills in itself.
META_COLUMNS = (
    "point_id", "command", "status", "error", "exit_status", "verdict", "wall_seconds", "cpu_seconds", "worker",
    "mesasym_version", "seed",
)
_TOP_KEYS = {"command", "description", "timeout", "options", "axes", "zip", "columns", "plot"}
_TEMPLATE = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _RaisingParser(argparse.ArgumentParser):
    """Parses a point's options; a bad value raises :class:`InvalidInputError` instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InvalidInputError(message)


def command_module(name: str) -> Any:
    """The module of the mesasym command ``name`` (one of :data:`mesasym.commands.COMMAND_MODULES`)."""
    from mesasym.commands import COMMAND_MODULES

    modules = {}
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # pragma: no cover - a command whose optional dependency is missing
            continue
        modules[module.NAME] = module
    valid = sorted(n for n, m in modules.items() if n not in NOT_SWEEPABLE and "--json" in _option_strings(m))
    if name not in valid:
        raise InvalidInputError(f"command = {name!r} cannot be swept; valid: {', '.join(valid)}")
    return modules[name]


def _option_strings(module: Any) -> dict[str, argparse.Action]:
    parser = command_parser(module)
    return {s: a for a in parser._actions for s in a.option_strings}  # noqa: SLF001 - argparse has no public listing


def command_parser(module: Any) -> argparse.ArgumentParser:
    """A parser with exactly the command's options that raises on bad input."""
    from mesasym.commands.options import add_common

    parser = _RaisingParser(prog=f"mesasym {module.NAME}", add_help=False)
    module.add_arguments(parser)
    add_common(parser)
    return parser


@dataclass(frozen=True)
class Point:
    """One setting of a sweep: its axis values and the command options it passes."""

    index: int
    axes: dict[str, Any]
    options: dict[str, Any]  # option string (e.g. "--T") -> text, or True for a flag
    point_id: str

    def argv(self) -> list[str]:
        """The command-line arguments of this point (without ``--json``), as ``--option=value``.

        The ``=`` form keeps values such as ``-1/100`` from being read as options.
        """
        out: list[str] = []
        for option, value in self.options.items():
            if value is True:
                out.append(option)
            elif value is not False:
                out.append(f"{option}={value}")
        return out


@dataclass
class SweepSpec:
    """A parsed and validated sweep specification."""

    command: str
    description: str
    options: dict[str, Any]
    groups: list[dict[str, list[Any]]]  # each group's axes advance together; groups are multiplied
    columns: dict[str, str]
    plots: list[dict[str, Any]]
    timeout: float | None
    source: str = ""
    _option_map: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def axes(self) -> dict[str, list[Any]]:
        """Every axis with its values, in the spec's order."""
        return {name: values for group in self.groups for name, values in group.items()}

    def points(self, version: str | None = None) -> list[Point]:
        """Every point of the sweep, in a fixed order, with ids keyed by settings and ``version``."""
        if version is None:
            from mesasym import __version__ as version
        out = []
        for index, assignment in enumerate(self._assignments()):
            options = self._options_at(assignment)
            out.append(Point(index, assignment, options, point_key(self.command, options, version)))
        return out

    def _assignments(self) -> Iterator[dict[str, Any]]:
        per_group = [
            [dict(zip(group, values)) for values in zip(*group.values())] for group in self.groups
        ]
        for combination in itertools.product(*per_group):
            merged: dict[str, Any] = {}
            for part in combination:
                merged.update(part)
            yield merged

    def _options_at(self, assignment: dict[str, Any]) -> dict[str, Any]:
        values = {**{k: v for k, v in self.options.items() if not _is_template(v)}, **assignment}
        out: dict[str, Any] = {}
        for key, value in {**self.options, **assignment}.items():
            if key not in self._option_map:
                continue  # an axis that only feeds templates and columns
            if _is_template(value):
                value = render_template(value, values, f"options.{key}")
            if isinstance(value, bool):
                out[self._option_map[key]] = value
            else:
                out[self._option_map[key]] = expr.text(value) if not isinstance(value, str) else value
        return out


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and "{" in value


def render_template(template: str, values: dict[str, Any], where: str) -> str:
    """Replace every ``{expr}`` in ``template`` by its exact value (``{{``/``}}`` are literal braces)."""
    protected = template.replace("{{", "\0").replace("}}", "\1")

    def one(match: re.Match[str]) -> str:
        tree = expr.parse(match.group(1), where)
        value = expr.evaluate(tree, values, where)
        return value if isinstance(value, str) else expr.text(value)

    rendered = _TEMPLATE.sub(one, protected)
    if "{" in rendered or "}" in rendered:
        raise InvalidInputError(f"{where}: unbalanced braces in {template!r} (write {{{{ or }}}} for a literal brace)")
    return rendered.replace("\0", "{").replace("\1", "}")


def point_key(command: str, options: dict[str, Any], version: str) -> str:
    """The id of a point: a hash of the command, its options and the mesasym version."""
    payload = json.dumps({"command": command, "options": options, "version": version}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep specification file."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(f"sweep spec {str(path)!r} cannot be read: {error.strerror}") from None
    return parse_spec(source, str(path))


def parse_spec(source: str, where: str = "spec") -> SweepSpec:
    """Parse and validate a sweep specification from TOML text."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInputError(f"{where}: not valid TOML ({error})") from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise InvalidInputError(f"{where}: unknown key {unknown[0]!r}; valid: {', '.join(sorted(_TOP_KEYS))}")
    command = data.get("command")
    if not isinstance(command, str):
        raise InvalidInputError(f"{where}: 'command' must be a string naming a mesasym command")
    module = command_module(command)
    actions = _option_strings(module)
    options = _table(data.get("options", {}), "options", where)
    groups: list[dict[str, list[Any]]] = []
    for name, raw in _table(data.get("axes", {}), "axes", where).items():
        groups.append({name: axis_values(raw, f"axes.{name}")})
    zips = data.get("zip", [])
    if not isinstance(zips, list):
        raise InvalidInputError(f"{where}: 'zip' must be an array of tables ([[zip]])")
    for number, raw_group in enumerate(zips):
        group = {n: axis_values(v, f"zip[{number}].{n}") for n, v in _table(raw_group, f"zip[{number}]", where).items()}
        lengths = {n: len(v) for n, v in group.items()}
        if len(set(lengths.values())) > 1:
            raise InvalidInputError(f"{where}: zip[{number}]: zipped axes need equal lengths, got {lengths}")
        if group:
            groups.append(group)
    names = [n for g in groups for n in g]
    for name in names:
        if not _NAME.match(name):
            raise InvalidInputError(f"{where}: axis name {name!r} must be a plain identifier (letters, digits, _)")
        if name in META_COLUMNS and name != "seed":
            raise InvalidInputError(f"{where}: axis name {name!r} is a column the sweep fills in; choose another")
        if names.count(name) > 1:
            raise InvalidInputError(f"{where}: axis {name!r} is given twice")
        if name in options:
            raise InvalidInputError(f"{where}: {name!r} is both a fixed option and an axis")
    option_map: dict[str, str] = {}
    for key in [*options, *names]:
        option = _option_for(key, actions)
        if option is not None:
            if key.lower() in RESERVED_OPTIONS:
                raise InvalidInputError(f"{where}: option {key!r} is set by the sweep itself and cannot be given")
            option_map[key] = option
        elif key in options:
            valid = sorted({s[2:] for s in actions if s.startswith("--") and s[2:] not in RESERVED_OPTIONS})
            raise InvalidInputError(f"{where}: options.{key}: {command} has no option --{key}; valid: {', '.join(valid)}")
    used = set(option_map)
    for key, value in options.items():
        if _is_template(value):
            for inner in _TEMPLATE.findall(value):
                used |= expr.names(expr.parse(inner, f"options.{key}"))
    columns = {}
    for name, text in _table(data.get("columns", {}), "columns", where).items():
        if not isinstance(text, str):
            raise InvalidInputError(f"{where}: columns.{name} must be an expression in a string")
        if not _NAME.match(name) or name in META_COLUMNS or name in names:
            raise InvalidInputError(f"{where}: columns.{name}: the name must be a new plain identifier")
        used |= expr.names(expr.parse(text, f"columns.{name}"))
        columns[name] = text
    for name in names:
        if name not in used:
            raise InvalidInputError(
                f"{where}: axis {name!r} is neither an option of {command} nor used by a template or a column"
            )
    timeout = data.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise InvalidInputError(f"{where}: timeout = {timeout!r} must be a positive number of seconds")
    plots = data.get("plot", [])
    if not isinstance(plots, list) or not all(isinstance(p, dict) for p in plots):
        raise InvalidInputError(f"{where}: 'plot' must be an array of tables ([[plot]])")
    description = data.get("description", "")
    spec = SweepSpec(command, str(description), options, groups, columns, plots, timeout, source, option_map)
    _check_points(spec, module, where)
    from mesasym.sweep.plot import validate_plots

    validate_plots(spec, where)
    return spec


def _table(value: Any, key: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInputError(f"{where}: {key!r} must be a table")
    return value


def _option_for(key: str, actions: dict[str, argparse.Action]) -> str | None:
    for candidate in (f"--{key}", f"--{key.replace('_', '-')}"):
        if candidate in actions:
            return candidate
    return None


def axis_values(raw: Any, where: str) -> list[Any]:
    """The values of one axis: a list, or a table with ``linspace``, ``logspace`` or ``range``."""
    if isinstance(raw, list):
        values = raw
    elif isinstance(raw, dict):
        kinds = [k for k in ("linspace", "logspace", "range") if k in raw]
        extra = sorted(set(raw) - {"linspace", "logspace", "range", "round"})
        if len(kinds) != 1 or extra:
            raise InvalidInputError(f"{where}: give exactly one of linspace, logspace, range (and optionally round)")
        values = _generated(kinds[0], raw[kinds[0]], bool(raw.get("round", False)), where)
    else:
        raise InvalidInputError(f"{where}: an axis is a list of values or a table like {{ linspace = [0, 1, 5] }}")
    if not values:
        raise InvalidInputError(f"{where}: an axis needs at least one value")
    for value in values:
        if not isinstance(value, (bool, int, float, str)):
            raise InvalidInputError(f"{where}: value {value!r} must be a number, a string or a boolean")
    return list(values)


def _generated(kind: str, args: Any, round_: bool, where: str) -> list[Any]:
    if not (isinstance(args, list) and len(args) in (2, 3) and all(_is_number(a) for a in args)):
        raise InvalidInputError(f"{where}: {kind} takes [start, stop, count] (range: [start, stop] or [start, stop, step])")
    if kind == "range":
        if not all(isinstance(a, int) for a in args):
            raise InvalidInputError(f"{where}: range takes integers")
        values: list[Any] = list(range(*args))
        return values
    if len(args) != 3 or not isinstance(args[2], int) or args[2] < 1:
        raise InvalidInputError(f"{where}: {kind} takes [start, stop, count] with an integer count >= 1")
    start, stop, count = expr.exact(args[0]), expr.exact(args[1]), args[2]
    exponents = [start + (stop - start) * Fraction(i, max(count - 1, 1)) for i in range(count)]
    if kind == "linspace":
        values = [float(v) for v in exponents]
    else:
        values = [10 ** float(e) if e.denominator != 1 else float(Fraction(10) ** int(e)) for e in exponents]
    if round_:
        values = [int(round(v)) for v in values]
    return values


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_points(spec: SweepSpec, module: Any, where: str) -> None:
    """Render every point and parse its options with the command's own parser (errors name the point)."""
    parser = command_parser(module)
    points = spec.points("check")
    if len(points) > 1_000_000:
        raise InvalidInputError(f"{where}: {len(points)} points; a sweep is limited to 10^6")
    seen_dist: set[str] = set()
    for point in points:
        try:
            parser.parse_args(point.argv())
            dist = point.options.get("--dist")
            if isinstance(dist, str) and dist not in seen_dist:
                from mesasym.laws import parse_distribution

                parse_distribution(dist)
                seen_dist.add(dist)
        except InvalidInputError as error:
            raise InvalidInputError(f"{where}: the point {point.axes or '(no axes)'}: {error}") from None
