"""``mesasym capability``: does the trained transformer recover the AR process? (Theorem 2, THEORY §7).

Prints the verdict with its reasons, the derived long-context limit of the
learned operator, the recovery condition, and the finite-``T`` and limiting
values of ``a~ b~``, of the authors' prediction/truth ratio and of the
per-position error; compares them with the paper's statements where one
applies (Gaussian, sparse starts; Theorem 1's product; the recovery condition).

Exit status: 0 when every applicable comparison with the paper agrees, 1 when
one disagrees, 3 when the law violates the hypotheses (the verdict is then
"undetermined"; see ``mesasym explore``), 2 for invalid input.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import sympy as sp

from mesasym.commands import options as O
from mesasym.errors import InvalidInputError

NAME = "capability"
HELP = "Decide whether the trained model recovers the AR process (Theorem 2), with the reason and the limits."

EXIT_OK = O.EXIT_OK
EXIT_CHECK_FAILED = O.EXIT_CHECK_FAILED
EXIT_HYPOTHESES_VIOLATED = O.EXIT_HYPOTHESES_VIOLATED


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: ``--dist`` (default the paper's Gaussian), ``--T``, ``--d``, ``--monte-carlo``, ``--seed``."""
    O.add_dist(parser, default="gaussian:sigma=1", help="law of x_1, e.g. 'sparse:c=1' (default gaussian:sigma=1, the paper's)")
    O.add_T(parser, default=100, help="training sequence length")
    O.add_d(parser, default=None, help="dimension (default 5, or the dimension the law fixes)")
    O.add_int(
        parser, "--monte-carlo", minimum=2, maximum=10**6,
        help="also train the full model (exact population flow; needs d <= 8, T <= 2000) and compare per-position "
        "MSE and ratio on N fresh sequences with the derived values (exit 1 if some |z| > 5)",
    )
    O.add_seed(parser, help="seed of the Monte Carlo sequences")
    O.add_process(
        parser,
        help="law of the eigenvalues of W (default uniform, the paper's); any other law is decided on the full "
        "model trained by the exact population flow (d <= 8, T <= 200; --monte-carlo N fresh sequences, default 2000)",
    )


def _claim(name: str, claimed: Any, derived: Any) -> dict[str, Any]:
    from mesasym import claims

    if isinstance(claimed, tuple):
        agrees = len(claimed) == len(derived) and all(sp.simplify(c - v) == 0 for c, v in zip(claimed, derived))
    elif isinstance(claimed, bool):
        agrees = bool(derived) == claimed
    else:
        agrees = sp.simplify(sp.sympify(claimed) - sp.sympify(derived)) == 0
    return {
        "claim": name,
        "source": claims.CLAIM_SOURCES[name],
        "claimed": str(claimed),
        "derived": str(derived),
        "agrees": bool(agrees),
    }


def claim_comparisons(law: Any, verdict: Any) -> list[dict[str, Any]]:
    """The paper's statements that apply to ``law``, each against the derived value."""
    from mesasym import claims
    from mesasym.symbolic.capability import derive_recovery_condition

    if not verdict.hypotheses_satisfied:
        return []
    from mesasym.symbolic import symbols as S
    from mesasym.symbolic.sums import EXACT_HARMONIC_MAX

    k1, k2, k3 = verdict.kappas
    if verdict.T - 2 <= EXACT_HARMONIC_MAX:
        out = [_claim("theorem1_product", claims.theorem1_product(verdict.T, k1, k2, k3), verdict.product_T)]
    else:  # the claim's sum would be evaluated term by term: compare as functions of T instead
        claimed = claims.evaluate_sums(claims.theorem1_product(S.T, k1, k2, k3))
        out = [_claim("theorem1_product", claimed, verdict.product_T_symbolic)]
    cond = derive_recovery_condition()
    c_pos = [s for s in cond.expected_indicator.free_symbols if s.name == "c"][0]
    derived_squares = tuple(sp.simplify(v.subs(c_pos, verdict.product_limit)) for v in cond.allowed_squares)
    out.append(_claim("recovery_condition_squares", claims.recovery_condition_squares(k1, k2), derived_squares))
    if law.name == "gaussian":
        sigma = law.sigma
        out.append(_claim("theorem2_gaussian_recovers", claims.theorem2_gaussian_recovers(sigma), verdict.recovers_long_context))
        out.append(_claim("gaussian_long_context_limit", claims.gaussian_long_context_limit(sigma), verdict.product_limit))
        out.append(_claim("gaussian_prediction_ratio_limit", claims.gaussian_prediction_ratio_limit(), verdict.ratio_limit))
    if law.name == "sparse":
        out.append(_claim("sparse_product", claims.sparse_product(law.c), verdict.product_T))
        out.append(_claim("sparse_exact_recovery", claims.sparse_exact_recovery(), verdict.recovers_every_T))
        out.append(_claim("sparse_test_mse", claims.sparse_test_mse(), verdict.test_loss_T))
    return out


def _derivation_summary() -> dict[str, str]:
    from mesasym.symbolic.capability import derive_operator_limit, derive_recovery_condition

    op = derive_operator_limit()
    cond = derive_recovery_condition()
    return {
        "learned_operator": "W_t = (ab/(t-1)) sum_{i=2}^t x_i x_{i-1}^*, yhat_t = W_t x_t",
        "diagonal_entry_every_t": sp.sstr(op.diagonal_entry),
        "off_diagonal_entry": sp.sstr(op.off_diagonal_sum) + "  (for " + sp.sstr(op.distinct_condition) + ")",
        "off_diagonal_limit": sp.sstr(op.off_diagonal_limit),
        "limit": "W_t -> c diag(x_{1,1}^2, ..., x_{1,d}^2) W  (c = a~b~, distinct phases)",
        "residual_limit_coordinate_j": sp.sstr(op.residual_limit),
        "allowed_values_of_x_squared": sp.sstr(cond.allowed_squares),
        "indicator": sp.sstr(cond.indicator),
        "expected_indicator": sp.sstr(cond.expected_indicator) + "  (m_2 = E x^2, kappa_1 = E x^4, kappa_2 = E x^6)",
        "long_context_product": sp.sstr(cond.long_context_product),
        "long_context_indicator": sp.sstr(cond.long_context_indicator),
        "finite_T_excess": sp.sstr(cond.finite_T_excess)
        + "  (u_T = kappa_3 H_{T-2}/(kappa_1 (T-2)), Delta = m_2 kappa_2 - kappa_1^2 >= 0)",
        "position_excess": sp.sstr(cond.position_excess),
    }


def _fmt(value: Any) -> str:
    from mesasym.precise import exact_text, as_float

    if value is None:
        return "--"
    exact = exact_text(value, limit=40)
    number = f"{as_float(value):.12g}"
    return number if exact in (number, "(exact value too long to print)") or len(exact) > 40 else f"{exact} = {number}"


def _decide(args: argparse.Namespace) -> tuple[Any, list[dict[str, Any]], int]:
    """The report of :func:`mesasym.compare.capability.assess_capability`, the claim comparisons and the exit status."""
    import numpy as np

    from mesasym.compare.capability import assess_capability

    T, n_mc = args.T, args.monte_carlo
    law, d = O.law_and_dimension(args.dist, args.d, 5)
    if n_mc is not None and (d > 8 or T > 2000):
        raise InvalidInputError(f"--monte-carlo needs d <= 8 and T <= 2000 (the exact population engine), got d={d}, T={T}")
    if n_mc is not None:
        O.require_sequence_budget(n_mc, T, d, "--monte-carlo")
    with O.progress(args, "capability: population flows and fresh sequences"):
        report = assess_capability(law, d, T, args.process, n_mc, np.random.default_rng(args.seed))
    if report.trained is not None:
        return report, [], EXIT_OK if report.trained.converged else EXIT_CHECK_FAILED
    verdict = report.verdict
    comparisons = claim_comparisons(law, verdict)
    status = EXIT_OK
    if not verdict.hypotheses_satisfied:
        status = EXIT_HYPOTHESES_VIOLATED
    elif not all(c["agrees"] for c in comparisons) or not report.positions_agree:
        status = EXIT_CHECK_FAILED
    return report, comparisons, status


def _payload(report: Any, comparisons: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    if report.trained is not None:
        from mesasym.compare.capability_trained import RECOVERY_RTOL

        payload = report.trained.to_dict()
        payload["verdict"] = "recovers" if report.trained.recovers else "does-not-recover"
        payload["recovery_rtol"] = RECOVERY_RTOL
        payload["seed"] = seed
        return payload
    from mesasym.compare.capability import Z_FAIL

    check = report.positions
    payload = report.verdict.to_dict()
    payload["derivation"] = _derivation_summary()
    payload["claims"] = comparisons
    payload["monte_carlo"] = None if check is None else {**check.as_dict(), "z_fail": Z_FAIL, "seed": seed}
    payload["gradient_convention"] = "grad = dL/dRe + i dL/dIm = 2 dL/d conj(z)"
    return payload


def _trained_lines(p: dict[str, Any]) -> list[str]:
    """The text output for a law of ``W`` other than the paper's (the verdict decided on the trained model)."""
    change = "same as" if p["recovers"] == p["paper_law_recovers"] else "CHANGED from"
    return [
        f"mesasym capability: {p['dist']}, W ~ {p['process']}, d = {p['d']}, T = {p['T']}",
        f"  verdict        : {p['verdict']} at T = {p['T']} ({change} the paper's uniform phases: "
        f"{'recovers' if p['paper_law_recovers'] else 'does-not-recover'})",
        f"  exact criterion: L(theta*)/L(0) = {p['relative_loss']:.3e} (uniform phases: {p['paper_law_relative_loss']:.3e});"
        f" recovered iff <= {p['recovery_rtol']:g}",
        f"  trained model  : full model by the exact population flow from (a0, b0) = {tuple(p['start'])}"
        f" ({'converged' if p['converged'] else 'NOT converged'}); ab = {p['ab']:.10g},"
        f" off-manifold ||theta - (aI, bI)||/||theta|| = {p['off_manifold']:.3g}",
        f"  last position  : E|yhat - x|^2 / E|x|^2 = {p['last_mse']:.4g} +- {p['last_mse_se']:.2g};"
        f" ratio Re(yhat/x) = {p['last_ratio']:.4g} +- {p['last_ratio_se']:.2g} ({p['samples']} fresh sequences, seed {p['seed']})",
    ]


def json_result(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """What ``--json`` prints, as a dict, and the exit status (the Python API ``mesasym sweep`` calls)."""
    report, comparisons, status = _decide(args)
    return _payload(report, comparisons, args.seed), status


def run(args: argparse.Namespace) -> int:
    """Decide and print."""
    report, comparisons, status = _decide(args)
    payload = _payload(report, comparisons, args.seed)
    if args.json:
        print(json.dumps(payload, indent=2))
        return status
    if report.trained is not None:
        print("\n".join(_trained_lines(payload)))
        return status
    import numpy as np

    from mesasym.compare.capability import Z_FAIL

    verdict, check, seed, derivation = report.verdict, report.positions, args.seed, payload["derivation"]
    d, T = verdict.d, verdict.T
    lines = [
        f"mesasym capability: {verdict.spec}, d = {d}, T = {T}",
        f"  verdict        : {verdict.verdict} -- {verdict.summary}",
    ]
    if verdict.hypotheses_satisfied:
        lines.append("  why            :")
        lines += [f"    - {r}" for r in verdict.reasons]
        lines += [
            "  learned operator: yhat_t = W_t x_t, W_t = (ab/(t-1)) sum_{i=2}^t x_i x_{i-1}^*;",
            "                  diagonal c lambda_j x_{1,j}^2 at every t, off-diagonal O(1/(t-1)) for distinct phases,",
            "                  so W_t -> a~b~ diag(x_1^2) W and yhat_{t,j} - x_{t+1,j} -> (a~b~ x_{1,j}^2 - 1) x_{t+1,j}",
            "  recovery iff    : x_{1,j}^2 in {0, 1/(a~b~)} a.s. <=> E[x^2 (x^2 - 1/(a~b~))^2] = "
            + derivation["expected_indicator"].split("  ")[0]
            + " = 0",
            f"  a~b~           : T = {T}: {_fmt(verdict.product_T)};  T -> oo: {_fmt(verdict.product_limit)}",
            f"  ratio pred/true: T = {T}: {_fmt(verdict.ratio_T)};  T -> oo: {_fmt(verdict.ratio_limit)}"
            "  (authors' metric; the same at every t >= 2)",
            f"  E||yhat_t - x_t+1||^2: t = T-1: {_fmt(verdict.mse_last_T)};  t -> oo: {_fmt(verdict.mse_long_context_T)};"
            f"  T, t -> oo: {_fmt(verdict.mse_long_context_limit)}",
            f"  test loss sum_t L_t at a~b~ (the authors' sparse metric): {_fmt(verdict.test_loss_T)}",
        ]
        if check is not None:
            m = check.metrics
            lines += [
                f"  Monte Carlo    : full model trained by the exact population flow (ab = {check.trained_ab:.10g}, "
                f"off-manifold {check.off_manifold:.1e}), {m.n} fresh sequences (seed {seed}):",
                f"    t = T-1: E||yhat - x||^2 = {m.mse[-1]:.6g} +- {m.mse_se[-1]:.2g} (derived {check.mse_theory[-1]:.6g}); "
                f"ratio = {m.ratio[-1]:.6g} +- {m.ratio_se[-1]:.2g} (derived {check.ratio_theory[-1]:.6g})",
                f"    max |z| over t = 2..T-1: MSE {np.max(np.abs(check.z_mse)):.2f}, ratio {np.max(np.abs(check.z_ratio)):.2f}"
                f" -- {'agrees' if check.max_abs_z <= Z_FAIL else 'DISAGREES'} (|z| <= {Z_FAIL:g})",
            ]
        if comparisons:
            lines.append("  paper's claims :")
            for c in comparisons:
                mark = "agrees" if c["agrees"] else "DISAGREES"
                lines.append(f"    - {c['claim']}: claimed {c['claimed']}, derived {c['derived']} -- {mark}")
    else:
        lines.append("  hypotheses     : VIOLATED --")
        shown = verdict.hypothesis_reasons[:5]
        lines += [f"    - {r}" for r in shown]
        if len(verdict.hypothesis_reasons) > len(shown):
            lines.append(f"    ... and {len(verdict.hypothesis_reasons) - len(shown)} more (see --json)")
        if verdict.manifold_product_T is not None:
            lines.append(
                "  on the manifold (the clip flow): argmin_c L = " + _fmt(verdict.manifold_product_T)
            )
    print("\n".join(lines))
    return status
