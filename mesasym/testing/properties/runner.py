"""Running a property under a settings profile; the whole suite."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import UnsatisfiedAssumption

from mesasym.errors import InvalidInputError
from mesasym.testing.profiles import profile_settings
from mesasym.testing.properties.common import PropertyFailure
from mesasym.testing.properties.registry import (
    PROPERTIES,
    Property,
    budget,
    get_property,
)
from mesasym.testing.subject import DEFAULT_SUBJECT, Subject

# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PropertyResult:
    """Outcome of :func:`run_property`.

    ``verdict`` is ``"passed"`` (held on every example), ``"falsified"`` (a
    :class:`PropertyFailure`) or ``"error"`` (any other exception).
    ``examples`` counts the examples tried before the first failure (all of them
    if none failed), ``shrink_calls`` the calls spent shrinking and replaying,
    ``rejected`` the examples discarded by ``assume``.
    """

    name: str
    expect: str
    verdict: str
    examples: int
    shrink_calls: int
    rejected: int
    seconds: float
    max_examples: int
    counterexample: str | None = None
    command: str | None = None
    message: str | None = None
    subject: str = "mesasym"
    shrunk: bool = True

    @property
    def as_expected(self) -> bool:
        """``passed`` for a property that should hold, ``falsified`` for a documented finding."""
        return (self.verdict == "passed" and self.expect == "holds") or (
            self.verdict == "falsified" and self.expect == "falsified"
        )

    def report(self) -> str:
        """Multi-line human-readable account (what ``mesasym property-test`` prints)."""
        status = "ok" if self.as_expected else "UNEXPECTED"
        note = " (expected: a documented finding)" if self.expect == "falsified" else ""
        lines = [
            f"{self.name}: {self.verdict}{note} after {self.examples} examples"
            + (f" (+{self.shrink_calls} shrinking)" if self.shrink_calls else "")
            + (f", {self.rejected} rejected" if self.rejected else "")
            + f", {self.seconds:.1f} s  [{status}]"
        ]
        if self.counterexample is not None:
            kind = "minimal counterexample" if self.shrunk else "counterexample (not shrunk: each example costs seconds)"
            lines.append(f"    {kind}: {self.counterexample}")
        if self.message:
            lines.append(f"    {self.message}")
        if self.command is not None:
            lines.append(f"    reproduce: {self.command}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expect": self.expect,
            "verdict": self.verdict,
            "as_expected": self.as_expected,
            "examples": self.examples,
            "shrink_calls": self.shrink_calls,
            "rejected": self.rejected,
            "max_examples": self.max_examples,
            "seconds": round(self.seconds, 3),
            "counterexample": self.counterexample,
            "command": self.command,
            "message": self.message,
            "subject": self.subject,
            "shrunk": self.shrunk,
        }


def run_property(
    prop: Property | str,
    *,
    subject: Subject = DEFAULT_SUBJECT,
    profile: str | None = None,
    max_examples: int | None = None,
    database: Any = "profile",
    pinned: bool = True,
    seed: int | None = None,
) -> PropertyResult:
    """Run one property under a Hypothesis profile; never raises for a failing property.

    ``profile`` defaults to ``MESASYM_HYPOTHESIS_PROFILE`` (else ``dev``);
    ``max_examples`` overrides the profile's number before :func:`budget` scales
    it for the property. ``database="profile"`` keeps the profile's example
    database; pass ``None`` for none. ``pinned=False`` skips the explicit edge
    cases.
    """
    if isinstance(prop, str):
        prop = get_property(prop)
    base = profile_settings(profile)
    n = budget(prop, max_examples if max_examples is not None else base.max_examples)
    options: dict[str, Any] = dict(
        max_examples=n,
        deadline=None,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    if database != "profile":
        options["database"] = database
    # Hypothesis' "explain" phase (which parts of a failing example matter) re-runs the check many
    # times and its report is not shown here, so it is left out; so is shrinking for costly properties.
    skipped = {Phase.explain} if prop.shrink else {Phase.explain, Phase.shrink}
    options["phases"] = [phase for phase in base.phases if phase not in skipped]
    state: dict[str, Any] = {"calls": 0, "first_failure_at": None, "last_failure": None, "rejected": 0}

    def body(example_: Any) -> None:
        state["calls"] += 1
        try:
            prop.check(example_, subject)
        except UnsatisfiedAssumption:
            state["rejected"] += 1
            raise
        except BaseException as error:  # noqa: BLE001 - recorded, then re-raised for Hypothesis
            if state["first_failure_at"] is None:
                state["first_failure_at"] = state["calls"]
            state["last_failure"] = (example_, error)
            raise

    body.__name__ = body.__qualname__ = "property_" + prop.name.replace("-", "_")
    test = given(prop.strategy)(body)
    if pinned:
        for explicit in reversed(prop.pinned):
            test = example(explicit)(test)
    test = settings(base, **options)(test)
    if seed is not None:
        test = hypothesis_seed(seed)(test)
    start = time.perf_counter()
    verdict, message = "passed", None
    try:
        test()
    except PropertyFailure:
        verdict = "falsified"
    except Exception as error:  # noqa: BLE001 - reported as an error verdict
        verdict = "error"
        message = "".join(traceback.format_exception_only(type(error), error)).strip()
    seconds = time.perf_counter() - start
    calls = state["calls"]
    first = state["first_failure_at"]
    counterexample = command = None
    if verdict != "passed" and state["last_failure"] is not None:
        failing, error = state["last_failure"]
        counterexample = prop.explain(failing)
        if verdict == "falsified" or message is None:
            message = str(error)
        try:
            command = prop.command(failing)
        except InvalidInputError:
            command = None
    examples = first if first is not None else calls
    return PropertyResult(
        name=prop.name,
        expect=prop.expect,
        verdict=verdict,
        examples=examples - state["rejected"] if first is None else examples,
        shrink_calls=calls - examples,
        rejected=state["rejected"],
        seconds=seconds,
        max_examples=n,
        counterexample=counterexample,
        command=command,
        message=message,
        subject=subject.name,
        shrunk=prop.shrink,
    )


def run_suite(
    names: Sequence[str] | None = None,
    *,
    subject: Subject = DEFAULT_SUBJECT,
    profile: str | None = None,
    max_examples: int | None = None,
    database: Any = "profile",
    progress: Callable[[PropertyResult], None] | None = None,
) -> list[PropertyResult]:
    """Run the named properties (default: all) in order; ``progress`` sees each result."""
    chosen = PROPERTIES if not names else tuple(get_property(name) for name in names)
    results = []
    for prop in chosen:
        result = run_property(prop, subject=subject, profile=profile, max_examples=max_examples, database=database)
        results.append(result)
        if progress is not None:
            progress(result)
    return results
