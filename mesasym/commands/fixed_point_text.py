"""The text report of ``mesasym check-fixed-point`` (also with ``--process``).

The first screen, in order: one summary line (what was checked, the verdict, the time); what the
sources gave (kappas, the derived fixed point, the trained full model); the table of checks, each
row's result following from the value, the relation and the tolerance it shows; notes for texts too
long for a column; the verdict with its counts. ``--explain`` adds the reason for every tolerance.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

#: Width of the value and tolerance columns; a longer text is moved to a numbered note under the table.
COLUMN = 24
#: Relative off-manifold norm ``||theta - (a I, b I)|| / ||theta||`` above which the report says that the
#: model left the manifold: on it the population flow keeps rounding level (<= 1e-12, row off-manifold).
LEFT_MANIFOLD = 1e-6
#: How each relation reads in the tolerance column.
RELATION_TEXT = {"<=": "<= ", "abs<=": "|.| <= ", ">": "> "}
#: What each verdict means, for the summary line.
VERDICT_TEXT = {
    "verified": "verified",
    "failed": "FAILED (a check disagrees beyond its stated tolerance)",
    "inconclusive": "inconclusive",
    "hypotheses-violated": "hypotheses violated (the theorem does not apply; results shown)",
}


def _number(value: Any) -> str:
    if value is None:  # an inconclusive row with nothing to compare
        return "-"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, width=100, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False)


def what_was_checked(report: Any) -> str:
    """``"Theorem 1's fixed point a~b~ = 0.186 at T=50, ..."`` or, with ``--process``, the law's own ``c*``."""
    s = report.settings
    setting = f"T={s.T}, d={s.d}, x_1 ~ {report.dist.spec()}, (a0, b0) = ({s.a0}, {s.b0})"
    info = report.process_info
    theorem1 = report.theorem1_ab
    if info is None:
        value = "" if theorem1 is None else f" = {theorem1:.6g}"
        return f"Theorem 1's fixed point a~b~{value} at {setting}"
    broken = [step["name"] for step in info["steps"] if step["holds"] is False]
    theirs = "Theorem 1's a~b~" + ("" if theorem1 is None else f" = {theorem1:.6g}")
    why = f": the law breaks {', '.join(broken)}" if broken else ""
    return f"W ~ {info['spec']}'s own fixed point c* = {info['manifold_ab']:.6g} ({theirs} does not apply{why}) at {setting}"


def summary_line(report: Any) -> str:
    """The first line: the verdict, what was checked, the time."""
    verdict = VERDICT_TEXT[report.verdict]
    if report.verdict == "inconclusive":
        verdict += f" ({'; '.join(report.inconclusive_reasons)})"
    return f"{verdict}: {what_was_checked(report)} ({report.seconds:.1f} s)"


def verdict_counts(summary: dict[str, dict[str, int]]) -> str:
    """``"7 of 7 independent checks passed, 3 of 3 consistency checks, hypotheses 2 of 2 hold"``.

    A kind without rows is left out; rows that could not be evaluated are counted apart.
    """
    parts = []
    for key, label in (("independent", "independent checks passed"), ("consistency", "consistency checks")):
        entry = summary.get(key)
        if entry:
            text = f"{entry['passed']} of {entry['total']} {label}"
            if entry.get("inconclusive"):
                text += f" ({entry['inconclusive']} inconclusive)"
            parts.append(text)
    if "hypotheses" in summary:
        entry = summary["hypotheses"]
        parts.append(f"hypotheses {entry['passed']} of {entry['total']} hold")
    if "info" in summary:
        total = summary["info"]["total"]
        parts.append(f"{total} info row{'s' if total != 1 else ''}")
    return ", ".join(parts)


def _process_lines(report: Any) -> list[str]:
    """The transition law: which hypotheses of Theorem 1 it breaks, what still holds, what is checked."""
    info = report.process_info
    steps = info["steps"]
    names = {outcome: [st["name"] for st in steps if st["holds"] is value]
             for outcome, value in (("broken", False), ("holds", True), ("undecided", None))}
    lines = [f"  W ~ {info['spec']} (not the paper's uniform phases): Theorem 1's reduction, step by step (notes below)"]
    if names["broken"]:
        lines.append(f"    broken: {', '.join(names['broken'])} -- hypotheses of Theorem 1 that this law breaks")
    if names["holds"]:
        lines.append(f"    holds:  {', '.join(names['holds'])}")
    if names["undecided"]:
        lines.append(f"    undecided: {', '.join(names['undecided'])}")
    if info["closed_form_ab"] is not None:
        lines.append(
            f"    checked: this law's own fixed point c* = {info['manifold_ab']:.15g}, not Theorem 1's a~b~"
            + ("" if report.theorem1_ab is None else f" = {report.theorem1_ab:.15g}")
        )
    else:
        lines.append(
            f"    the flow leaves the manifold: no closed form; best point on it c* = {info['manifold_ab']:.15g}, "
            f"full model's limit ab = {info['population_ab']:.15g}"
        )
    return lines


def _model_lines(report: Any, data: dict[str, Any]) -> list[str]:
    """The trained full model; says so when it left the manifold (then ``ab`` is not ``a * b``)."""
    numeric = data["numeric"]
    if numeric["engine"] == "population":
        how = f"exact population flow ({numeric['solver']}, {numeric['steps']} steps, tau = {numeric['tau']:.4g})"
    else:
        how = f"Monte Carlo GD ({numeric['samples']} sequences, {numeric['steps']} steps of lr = {numeric['lr']:.3g})"
    lines = [f"  full model: {how}"]
    pad = " " * 14
    norm = report.numeric.params.norm()
    relative_off = numeric["off_manifold"] / norm if norm else 0.0
    if "bias_estimate" in numeric:
        lines += [
            f"{pad}trained ab = {numeric['ab_trained']:.15g}, a = {numeric['a']:.15g}, b = {numeric['b']:.15g}",
            f"{pad}{numeric['replicates']} independent replicates: ab = {numeric['ab']:.6g} "
            f"(bias {numeric['bias_estimate']:+.3g} removed), standard error {numeric['standard_error']:.2g}",
        ]
        detectable = numeric.get("detectable_relative_error")
        if detectable is not None:
            lines.append(
                f"{pad}detects a relative error in a~b~ of {detectable:.2%} with probability 90 % "
                f"(false-alarm rate {numeric['alpha']:g})"
            )
    else:
        if "standard_error" in numeric:
            lines[-1] += f"; standard error {numeric['standard_error']:.2g}"
        lines.append(f"{pad}ab = {numeric['ab']:.15g}, a = {numeric['a']:.15g}, b = {numeric['b']:.15g}")
    lines.append(
        f"{pad}off the manifold: ||theta - (a I, b I)|| = {numeric['off_manifold']:.3g}, relative to ||theta||: {relative_off:.3g}"
    )
    if relative_off > LEFT_MANIFOLD:
        lines += _wrap(
            "the model is not on the manifold (a I, b I): a and b are the means of the two red diagonals, ab the "
            "mean of their products (the authors' metric), so ab is not a * b",
            pad,
        )
    return lines


def _cell(text: str, notes: list[str], label: str) -> str:
    """``text`` if it fits the column, else its head (up to a ``:``) and a reference to a new note."""
    if len(text) < COLUMN:
        return text
    notes.append(f"{label}: {text}")
    head = text.split(":", 1)[0]
    reference = f"[{len(notes)}]"
    return f"{head} {reference}" if ":" in text and len(head) + len(reference) < COLUMN else reference


def table_lines(checks: Any) -> list[str]:
    """The table of checks; texts too long for a column follow it as numbered notes (never cut)."""
    notes: list[str] = []
    width = max(len(check.name) for check in checks) + 2
    lines = [f"  {'check'.ljust(width)}{'kind'.ljust(14)}{'value'.ljust(COLUMN)}{'tolerance'.ljust(COLUMN)}result"]
    for check in checks:
        kind = check.kind + ("*" if check.hypothesis else "")
        value = _cell(_number(check.value), notes, check.name)
        tolerance = "-" if check.tolerance is None else RELATION_TEXT[check.relation] + _number(check.tolerance)
        tolerance = _cell(tolerance, notes, f"{check.name} (tolerance)")
        lines.append(f"  {check.name.ljust(width)}{kind.ljust(14)}{value.ljust(COLUMN)}{tolerance.ljust(COLUMN)}{check.outcome}")
    lines.append("  (* a hypothesis of the theorem, not evidence for it)")
    for number, note in enumerate(notes, start=1):
        lines += _wrap(f"[{number}] {note}", "  ")
    for check in checks:
        if check.inconclusive is not None:
            lines += _wrap(f"{check.name} is inconclusive: {check.inconclusive}", "  ")
    return lines


def render(report: Any, plot_path: Path | None = None, explain: bool = False) -> str:
    """The human-readable report printed by ``mesasym check-fixed-point`` (see the module docstring)."""
    data = report.to_dict()
    fixed = data["fixed_point"]
    lines = [summary_line(report)]
    if report.process_info is not None:
        lines += _process_lines(report)
    if report.kappas is not None:
        k = data["kappa"]
        lines.append(f"  kappa1 = {k['kappa1']}, kappa2 = {k['kappa2']}, kappa3 = {k['kappa3']}")
    if fixed["ab"] is not None:
        exact = fixed["ab_exact"]
        exact_text = exact if len(exact) <= 60 else f"an exact rational of {len(exact)} characters (see --json)"
        lines += [f"  derived a~b~ = {exact_text}", f"             = {fixed['ab_digits']}"]
        if report.on_non_convergent_set:
            lines.append("  derived a~, b~: none -- (a0, b0) lies on the non-convergent set b0 = -a0 (the reduced flow goes to the saddle at the origin)")
        elif fixed["a"] is not None and fixed["b"] is not None:  # None from a start at the origin
            lines.append(f"  derived a~ = {fixed['a']:.15g}, b~ = {fixed['b']:.15g}")
    lines += _model_lines(report, data)
    lines.append("")
    lines += table_lines(report.checks)
    if plot_path is not None:
        lines.append(f"\n  plot written to {plot_path}")
    return "\n".join(lines + _closing_lines(report, explain))


def _closing_lines(report: Any, explain: bool) -> list[str]:
    """The reasons (with ``--explain``) and the verdict line with its counts."""
    lines = []
    if explain:
        lines += ["", "  why these tolerances:"]
        for check in report.checks:
            lines += _wrap(f"- {check.name}: {check.reason}", "  ")
    lines.append(f"\nverdict: {report.verdict} ({verdict_counts(report.summary())}; {report.seconds:.1f} s)")
    if not explain:
        lines.append("  (--explain: the reason for each tolerance)")
    return lines


def render_deep(report: Any, explain: bool = False) -> str:
    """The text report of ``check-fixed-point --model layers=L`` (:mod:`mesasym.compare.deep_fixed_point`):
    the same summary line, table and verdict line as the one-layer report, with the deep check's sources."""
    s = report.settings
    lines = [
        f"{VERDICT_TEXT[report.verdict]}: deep linear attention, layers={s.layers}, at T={s.T}, d={s.d}, "
        f"x_1 ~ {s.dist}, (a0, b0) = ({s.a0}, {s.b0}) per layer ({report.seconds:.1f} s)",
        f"  exact engine: {report.to_dict()['nodes']:,} cubature sequences",
        f"  invariant closure of the per-layer manifold: {', '.join(report.closure)}",
        "  limit of the derived flow: " + ", ".join(f"{k} = {v:.10g}" for k, v in report.limit.items()),
        "",
    ]
    return "\n".join(lines + table_lines(report.checks) + _closing_lines(report, explain))
