r"""``check-fixed-point --model "layers=L"``: Theorem 1's questions for deep linear attention.

Sources compared (rows are :class:`~mesasym.compare.fixed_point_report.Check` of the same kinds):

* the exact population engine :class:`mesasym.models.exact.ExactPopulation` (cubature, autodiff);
* today's one-layer engine :class:`mesasym.numeric.population.objective.PopulationObjective`;
* Monte Carlo over sequences drawn by :func:`mesasym.numeric.sequences.sample_sequences`;
* the derivation :mod:`mesasym.symbolic.deep_flow` (reduced loss and flow on a block-scalar
  manifold from the model definition and the moment rules).

What is checked, at the paper's per-layer start :math:`a_l = a_0`, :math:`b_l = b_0`:

1. the engine at one layer equals today's engine (random full complex parameters, 1e-12);
2. the engine's two-layer loss equals Monte Carlo within 4 standard errors;
3. the paper's per-layer manifold: derived loss = one-layer loss at :math:`c = \sum a_l b_l` (exact);
   its off-manifold gradient (info) and the derived residue against the engine's (1e-10);
4. the smallest invariant block-scalar manifold containing it (the *closure*,
   :func:`mesasym.models.manifold.invariant_closure`): off-manifold gradient on it (1e-10);
   derived flow on it against the engine's gradient, at random points and along the derived
   trajectory (1e-10);
5. the limit of the derived flow from the start (the full flow's limit, since the closure is
   invariant): the engine's full gradient there (stationarity), its loss against the best
   point of the paper's manifold, the best two-step GD (step sizes fitted on the same exact sum,
   a local fit: ``mesasym.algorithms`` is not used) and OLS (Monte Carlo).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from mesasym.compare.fixed_point_report import Check, FixedPointReport
from mesasym.errors import InvalidInputError
from mesasym.laws import parse_distribution
from mesasym.models.exact import ExactPopulation
from mesasym.models.exact_linear import DeepParameters, per_sequence_loss
from mesasym.models.manifold import (
    block_scalar_point,
    coordinate_name,
    invariant_closure,
    manifold_split,
    paper_coordinates,
)
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.numeric.sequences import sample_sequences
from mesasym.symbolic.deep_flow import depends_only_on_product_sum, reduced_flow, reduced_loss, residue
from mesasym.symbolic.phase_laws import manifold_fixed_point, manifold_loss_value

__all__ = ["DeepSettings", "DeepReport", "verify_deep_fixed_point", "one_layer_row", "monte_carlo_row", "flow_row", "stationary_row", "DEEP_MAX", "gd2_fit", "ols_loss"]

#: Largest (d, T) per number of layers that check-fixed-point --model accepts: d = 2, T = 8 is 302,500
#: cubature sequences (about a minute here). Three layers have the engine, the invariance table and the
#: derivation (docs/deep-theory.md) but not this command yet: its symbolic rows took minutes at d = 1.
DEEP_MAX = {2: (2, 8)}

EXACT_RTOL = 1e-12  # two exact float64 sums of the same quantity
FLOW_RTOL = 1e-10  # the bound on derived flow vs engine (measured ~1e-15)
MC_SIGMAS = 4.0  # Monte Carlo: |mean - exact| <= 4 standard errors
STATIONARY_RTOL = 1e-8  # the flow is integrated until |rhs| < 1e-12 |rhs(start)|: 1e4 margin
#: The Monte Carlo row's point: the start plus i.i.d. complex noise of this scale in every entry. The
#: per-sequence loss is a polynomial of degree 2 * 3^L in x_1, heavy-tailed for Gaussian-like laws;
#: far from 0 (random entries of scale 0.5, d = 1) the sample's standard error underestimates the
#: spread and the row fails (z = 37 at 2,000 sequences). Near the start the low-degree terms dominate.
MC_SCALE = 0.05  # limit of the derived flow, integrated until |rhs| < 1e-12 |rhs(start)|


@dataclass(frozen=True)
class DeepSettings:
    layers: int = 2
    d: int = 2
    T: int = 6
    dist: str = "gaussian:sigma=1"
    a0: float = 0.1
    b0: float = 0.1
    seed: int = 0
    samples: int = 20_000

    def validated(self) -> DeepSettings:
        if self.layers not in DEEP_MAX:
            raise InvalidInputError(
                f"--model layers={self.layers}: check-fixed-point's deep check supports layers=2 "
                "(layers=1 is the paper's model; layers=3: see docs/deep-theory.md)"
            )
        d_max, T_max = DEEP_MAX[self.layers]
        if not (1 <= self.d <= d_max and 3 <= self.T <= T_max):
            raise InvalidInputError(
                f"--d {self.d} --T {self.T} with layers={self.layers} is beyond the exact engine's limit "
                f"for this command; valid: d <= {d_max}, 3 <= T <= {T_max}"
            )
        return self


@dataclass(frozen=True)
class DeepReport:
    settings: DeepSettings
    checks: tuple[Check, ...]
    closure: tuple[str, ...]
    limit: dict[str, float]
    losses: dict[str, float]
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)

    # The verdict logic of the one-layer report, reused as is (it reads only ``self.checks``).
    hypotheses_hold = FixedPointReport.hypotheses_hold
    verdict = FixedPointReport.verdict
    summary = FixedPointReport.summary

    def to_dict(self) -> dict[str, Any]:
        s = self.settings
        return {
            "verdict": self.verdict,
            "model": {"layers": s.layers, "attention": "linear", "mlp": "none", "norm": "none"},
            "closure": list(self.closure),
            "limit": self.limit,
            "losses": self.losses,
            "checks": [c.to_dict() for c in self.checks],
            "summary": self.summary(),
            "settings": {"T": s.T, "d": s.d, "dist": s.dist, "a0": s.a0, "b0": s.b0, "seed": s.seed, "samples": s.samples},
            "seconds": round(self.seconds, 3),
            **self.detail,
        }


def _rel(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _one_layer_row(dist, d, T, rng) -> Check:
    params = DeepParameters.random(1, d, rng)
    value, grad = ExactPopulation(dist, d, T, 1).loss_and_gradient(params)
    value0, grad0 = PopulationObjective(dist, d, T).loss_and_gradient(params.layer(0))
    err = max(abs(value - value0) / abs(value0), _rel(grad.flat(), np.concatenate([grad0.WKQ.ravel(), grad0.WPV.ravel()])))
    return one_layer_row(err)


def one_layer_row(error: float) -> Check:
    """The layers=1 cubature against the one-layer engine, relative error ``error`` (``EXACT_RTOL``)."""
    return Check("engine-vs-one-layer-engine", error <= EXACT_RTOL, error, EXACT_RTOL,
                 "layers=1 cubature vs the moment-count engine at random full complex parameters: two exact float64 "
                 "sums (rounding ~1e-15)", "independent")


def _monte_carlo_row(pop, params, dist, settings, rng) -> Check:
    X = sample_sequences(dist, settings.samples, settings.T, settings.d, rng).X
    values = np.asarray(per_sequence_loss(params.WKQ, params.WPV, X))
    mean, se = values.mean(), values.std(ddof=1) / np.sqrt(len(values))
    return monte_carlo_row(float(abs(mean - pop.loss(params)) / se), settings.samples)


def monte_carlo_row(z: float, samples: int) -> Check:
    """``|MC mean - exact|`` in standard errors ``z`` against ``MC_SIGMAS``."""
    return Check("engine-vs-monte-carlo", bool(z <= MC_SIGMAS), z, MC_SIGMAS,
                 f"|MC mean - exact| in standard errors of {samples} per-sequence losses at a random "
                 "2-layer point (two-sided normal tail 6e-5)", "independent")


def flow_row(name: str, error: float, reason: str, kind: str = "independent", holds: bool = True) -> Check:
    """A derived-vs-engine row at ``FLOW_RTOL`` (``holds``: a second condition the row also needs)."""
    return Check(name, bool(error <= FLOW_RTOL and holds), error, FLOW_RTOL, reason, kind)


def stationary_row(stationarity: float) -> Check:
    """The engine's full gradient at the derived limit, relative to the start's (``STATIONARY_RTOL``)."""
    return Check("limit-stationary", stationarity <= STATIONARY_RTOL, stationarity, STATIONARY_RTOL,
                 "engine's full gradient (every entry) at the derived flow's limit / its largest entry at the start",
                 "independent")


def _integrate(flow_fn, s0: np.ndarray, scale: float) -> tuple[np.ndarray, list[np.ndarray]]:
    """The derived flow from ``s0`` until ``|rhs| <= 1e-12 scale``; returns the limit and 3 trajectory points."""
    from scipy.integrate import solve_ivp

    s, t_end, points = np.array(s0, float), 1.0, [np.array(s0, float)]
    for _ in range(60):
        sol = solve_ivp(lambda _t, y: flow_fn(*y), (0.0, t_end), s, method="LSODA", rtol=1e-12, atol=1e-14)
        s = sol.y[:, -1]
        if len(points) < 3:
            points.append(s.copy())
        if np.max(np.abs(flow_fn(*s))) <= 1e-12 * scale:
            return s, points
        t_end *= 2
    raise InvalidInputError("the derived flow did not converge (start too close to a saddle?)")


def gd2_fit(rule) -> tuple[tuple[float, float], float]:
    r"""Best two GD steps from ``W = 0`` on the in-context least squares, on the exact cubature sum.

    Step ``k`` is :math:`W \leftarrow W + \eta_k (G_t - W C_t)` with
    :math:`G_t = \frac{1}{t-1}\sum_{i<t} x_{i+1} x_i^*`, :math:`C_t = \frac{1}{t-1}\sum_{i<t} x_i x_i^*`,
    so :math:`\hat y_t = \sigma g_t - \pi h_t` with :math:`g = G x_t`, :math:`h = G C x_t`,
    :math:`\sigma = \eta_1 + \eta_2`, :math:`\pi = \eta_1\eta_2`. The loss is a quadratic form in
    :math:`(\sigma, \pi)` whose six coefficients are exact cubature sums (the integrand has degree
    10 <= 2 * 3^2 in x_1 and phase degree 5(T-2) <= 9(T-2)); its minimiser is closed form, and
    real steps need :math:`\sigma^2 \ge 4\pi` (else the minimum on that boundary, a quartic in
    :math:`\sigma`). A local fit: the probe issue's ``mesasym.algorithms`` is not used.
    """
    gram = np.zeros((3, 3))
    for X, w in rule.chunks():
        T = X.shape[1]
        for t in range(2, T):
            xs, ys = X[:, : t - 1], X[:, 1:t]
            G = np.einsum("nid,nie->nde", ys, np.conj(xs)) / (t - 1)
            C = np.einsum("nid,nie->nde", xs, np.conj(xs)) / (t - 1)
            g = np.einsum("nde,ne->nd", G, X[:, t - 1])
            h = np.einsum("nde,ne->nd", G, np.einsum("nde,ne->nd", C, X[:, t - 1]))
            v = np.stack([g, -h, -X[:, t]], axis=1)  # residual = sigma v0 + pi v1 + v2
            gram += np.einsum("n,nad,nbd->ab", w, np.conj(v), v).real
    Q, q = gram[:2, :2], gram[:2, 2]

    def loss(sp_):
        return 0.5 * (sp_ @ Q @ sp_ + 2 * q @ sp_ + gram[2, 2])

    best = np.linalg.solve(Q, -q)
    if best[0] ** 2 < 4 * best[1]:  # no real steps: minimise on pi = sigma^2 / 4 (eta_1 = eta_2)
        roots = np.roots([Q[1, 1] / 4, 1.5 * Q[0, 1], 2 * Q[0, 0] + q[1], 2 * q[0]])  # 2 d/dsigma of the quartic
        grid = [r.real for r in roots if abs(r.imag) < 1e-12] + [0.0]
        sigma = min(grid, key=lambda x: loss(np.array([x, x * x / 4])))
        best = np.array([sigma, sigma * sigma / 4])
    disc = np.sqrt(max(best[0] ** 2 - 4 * best[1], 0.0))
    return ((best[0] + disc) / 2, (best[0] - disc) / 2), float(loss(best))


def ols_loss(dist, settings, rng) -> tuple[float, float]:
    """Population loss of least squares on the context (pseudo-inverse) by Monte Carlo: (mean, standard error)."""
    X = sample_sequences(dist, settings.samples, settings.T, settings.d, rng).X
    total = np.zeros(len(X))
    for t in range(2, settings.T):
        xs, ys = X[:, : t - 1], X[:, 1:t]
        W = np.einsum("nid,nie->nde", ys, np.conj(xs)) @ np.linalg.pinv(np.einsum("nid,nie->nde", xs, np.conj(xs)))
        r = np.einsum("nde,ne->nd", W, X[:, t - 1]) - X[:, t]
        total += 0.5 * np.sum(np.abs(r) ** 2, axis=1)
    return float(total.mean()), float(total.std(ddof=1) / np.sqrt(len(total)))


def verify_deep_fixed_point(settings: DeepSettings, progress=None) -> DeepReport:
    settings = settings.validated()
    start_time = time.perf_counter()
    say = progress or (lambda _m: None)
    L, d, T = settings.layers, settings.d, settings.T
    dist = parse_distribution(settings.dist)
    rng = np.random.default_rng(settings.seed)
    checks: list[Check] = []

    report = dist.check_assumption2(d)
    checks.append(Check("assumption-2", bool(report), len(report.reasons), 0,
                        "number of conditions of Assumption 2 that fail on the law's exact moments (as today); "
                        "the block-scalar closure below needs a law invariant under coordinate permutations and "
                        "sign flips" + (": " + "; ".join(report.reasons[:2]) if report.reasons else ""),
                        "independent", hypothesis=True))
    say("exact engine, one layer")
    checks.append(_one_layer_row(dist, d, min(T, 5), rng))
    say(f"exact engine, {L} layers")
    pop = ExactPopulation(dist, d, T, L)
    start = DeepParameters.diagonal(d, (settings.a0,) * L, (settings.b0,) * L)
    noise = DeepParameters.random(L, d, rng, MC_SCALE)
    checks.append(_monte_carlo_row(pop, DeepParameters(start.WKQ + noise.WKQ, start.WPV + noise.WPV), dist, settings, rng))

    say("paper's manifold")
    paper = paper_coordinates(L)
    closure, _, scalar = invariant_closure(pop.gradient, d, L, rng, FLOW_RTOL, points=1)
    if not scalar or len(closure) > 4 * L:
        raise InvalidInputError(
            f"--dist {settings.dist}: the gradient leaves every block-scalar manifold ({len(closure)} blocks, "
            "not multiples of I); the deep check needs a law invariant under coordinate permutations and sign flips"
        )
    symbolic = reduced_loss(closure, d, T, L, dist)
    on_paper = reduced_loss(paper, d, T, L, dist)
    as_c = depends_only_on_product_sum(on_paper)
    c = sp.Symbol("c", real=True)
    gap = None if as_c is None else sp.simplify(as_c - sp.nsimplify(manifold_loss_value(None, dist, d, T, c)))
    checks.append(Check("paper-manifold-is-one-layer", gap == 0, "0" if gap == 0 else str(gap), 0,
                        "derived: on a_l I, b_l I the loss is the one-layer manifold loss at ab = sum_l a_l b_l "
                        "(exact SymPy identity)", "consistency"))
    a_point = tuple(rng.uniform(-1, 1, 2 * L))
    paper_grad = pop.gradient(block_scalar_point(d, L, dict(zip(paper, a_point))))
    split = manifold_split(paper_grad)
    breaking = [coordinate_name(x) for x in split.breaking(FLOW_RTOL)]
    checks.append(Check("paper-manifold-invariant", None, f"{split.off_max / split.scale:.2g} off ({', '.join(breaking) or 'none'})",
                        None, "engine's off-manifold gradient / largest entry at a random point of a_l I, b_l I", "info"))
    broken = residue(symbolic, paper)
    at = {v: a_point[k] for k, v in enumerate(on_paper.symbols)}
    split_c = manifold_split(paper_grad, closure)
    err = max((abs(float(e.subs(at)) - split_c.on[k]) / split_c.scale for k, e in broken.items()), default=0.0)
    checks.append(flow_row("residue-vs-engine", err,
                           "derived off-manifold derivative (the residue that breaks invariance) vs the engine's gradient "
                           "in those blocks"))

    say("closure and derived flow")
    rhs = reduced_flow(symbolic)
    flow_fn = sp.lambdify(symbolic.symbols, rhs, "numpy")
    s0 = np.array([settings.a0 if x[1] == "KQ" and x[2:] == (2, 1) else settings.b0 if x[1] == "PV" and x[2:] == (0, 1)
                   else 0.0 for x in closure])
    limit, trajectory = _integrate(lambda *y: np.array(flow_fn(*y), float), s0, float(np.max(np.abs(flow_fn(*s0)))) or 1.0)
    flow_err, off_err, scale = 0.0, 0.0, None
    for s in trajectory[:2] + [rng.uniform(-1, 1, len(closure))]:
        g = manifold_split(pop.gradient(block_scalar_point(d, L, dict(zip(closure, s)))), closure)
        scale = scale or g.scale  # the start's largest entry: the flow's scale (its gradients shrink to 0)
        at = {v: sp.Rational(float(x)) for v, x in zip(symbolic.symbols, s)}  # exact: the polynomial has large
        derived = -np.array([float(e.xreplace(at)) for e in rhs])  # coefficients that cancel in float64
        flow_err = max(flow_err, float(np.max(np.abs(derived - [g.on[x] for x in closure]))) / max(scale, g.scale))
        off_err = max(off_err, g.off_max / g.scale)
    checks.append(flow_row("closure-invariant", off_err,
                           "engine's gradient off the closure / largest entry; the closure must also be block-scalar",
                           "consistency", holds=bool(scalar)))
    checks.append(flow_row("derived-flow-vs-engine", flow_err,
                           "SymPy reduced flow on the closure vs the engine's per-entry gradient, along the derived "
                           "trajectory and at a random point, relative to the larger of the largest entries there and at "
                           "the start (the engine rounds relative to the size of its terms; measured 1e-15 .. 1e-12)"))

    say("limit")
    limit_params = block_scalar_point(d, L, dict(zip(closure, limit)))
    limit_loss, limit_grad = pop.loss_and_gradient(limit_params)
    stationarity = float(np.max(np.abs(limit_grad.flat())) / scale)
    checks.append(stationary_row(stationarity))
    c_star = float(manifold_fixed_point(None, dist, d, T))
    one_layer_best = float(manifold_loss_value(None, dist, d, T, c_star))
    eta, gd2_loss = gd2_fit(pop.rule)
    ols_mean, ols_se = ols_loss(dist, settings, rng)
    losses = {"limit": limit_loss, "paper_manifold_best": one_layer_best, "gd2_best": gd2_loss,
              "gd2_eta": [float(e) for e in eta], "ols": ols_mean, "ols_standard_error": ols_se}
    checks.append(Check("limit-vs-one-layer-optimum", None, f"{limit_loss:.6g} vs {one_layer_best:.6g}", None,
                        "loss at the limit vs the best point of the paper's manifold (one-step GD, c* = "
                        f"{c_star:.6g})", "info"))
    checks.append(Check("limit-vs-gd2-ols", None, f"{limit_loss:.6g} vs {gd2_loss:.6g} / {ols_mean:.4g}", None,
                        f"loss at the limit vs two GD steps (fitted eta = {eta[0]:.4g}, {eta[1]:.4g}; local fit on the "
                        f"exact sum) and OLS (Monte Carlo, SE {ols_se:.2g})", "info"))
    return DeepReport(
        settings=settings,
        checks=tuple(checks),
        closure=tuple(coordinate_name(x) for x in closure),
        limit={coordinate_name(x): float(v) for x, v in zip(closure, limit)},
        losses=losses,
        seconds=time.perf_counter() - start_time,
        detail={"nodes": pop.rule.size},
    )
