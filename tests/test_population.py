"""Exact population engine: structure, validation, Assumption-2 invariance, symbolic cross-check.

Tolerances. Engine values are finite sums of at most ``(2d)^6`` products of
exact moments (rounded once to float64) and integer counts weighted by
``1/(t-1)^k``; two such evaluations of the same quantity differ by a few
``eps_mach`` times the size of the terms, so ``1e-12`` relative leaves three
to four orders of magnitude. Quantities that vanish because a moment is an
exact zero are compared with ``== 0.0`` (a zero moment times a count is an
exact zero in floating point, and it stays zero through the sums).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp

from mesasym.claims import theorem1_product
from mesasym.laws import Discrete, DiscreteVectorLaw, Mixture, parse_distribution
from mesasym.errors import InvalidInputError
from mesasym.numeric.population.objective import PopulationObjective, count_tables, manifold_gradient_split
from mesasym.symbolic import derive_reduced_flow, instantiate_general_loss
from mesasym.symbolic import symbols as S
from mesasym.symbolic.expectation import moments_in
from mesasym.numeric.model import Parameters

SKEWED = Discrete(values=(-2, 1), probs=("1/3", "2/3"))  # mean 0, E x^3 = -2
CORRELATED = DiscreteVectorLaw(atoms=((1, 2), ("1/2", -1), (3, 0)), probs=("1/5", "3/10", "1/2"))
ASSUMPTION2_LAWS = ["gaussian:sigma=0.5", "uniform", "sparse:c=2", "laplace", "rademacher", "bernoulli-gaussian"]


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(np.max(np.abs(b)), 1e-300))


def _off_manifold_entries(grad: Parameters) -> np.ndarray:
    """Every entry of both matrices except the diagonals of the two red blocks."""
    d = grad.d
    kq, pv = grad.WKQ.copy(), grad.WPV.copy()
    kq[2 * d :, d : 2 * d][np.eye(d, dtype=bool)] = 0
    pv[:d, d : 2 * d][np.eye(d, dtype=bool)] = 0
    return np.concatenate([kq.ravel(), pv.ravel()])


# --- the phase-count tables against literal enumeration ---------------------


def _restricted_growth_strings(n: int):
    for labels in itertools.product(range(n), repeat=n):
        if labels[0] == 0 and all(labels[p] <= max(labels[:p]) + 1 for p in range(1, n)):
            yield labels


def test_count_tables_match_literal_enumeration_of_the_phase_rule() -> None:
    """Each table entry is sum_t (t-1)^-2 #{(i, i') : every coordinate's net phase exponent is 0}.

    Enumerate (t, i, i') literally with z_v[a] = lambda^(v-1-s) x [v - s >= 1] and
    E[lambda^m] = [m = 0] per coordinate; counts are integers and the weighted
    sums of at most 3 * 16 terms agree to rounding (rel 1e-13).
    """
    T = 5
    tables = count_tables(T)
    grid = np.array([(t, i, ip) for t in range(2, T) for i in range(1, t + 1) for ip in range(1, t + 1)])
    t, i, ip = grid.T
    weight = 1.0 / (t - 1.0) ** 2
    # six slots of conj(F_alpha) F_beta: (time, sign)
    times = [i, i, t, ip, ip, t]
    signs = [-1, +1, -1, +1, -1, +1]
    checked = 0
    for labels in _restricted_growth_strings(6):
        code = sum(label * 6 ** (5 - p) for p, label in enumerate(labels))
        for shifts in itertools.product((0, 1), repeat=6):
            alive = np.ones(len(grid), dtype=bool)
            for time, s in zip(times, shifts):
                alive &= time - s >= 1
            for block in set(labels):
                net = sum(
                    signs[p] * (times[p] - 1 - shifts[p]) for p in range(6) if labels[p] == block
                )
                alive &= net == 0
            expected = float(np.sum(weight[alive]))
            shift_code = int("".join(map(str, shifts)), 2)
            got = tables.G[code, shift_code]
            assert got == pytest.approx(expected, rel=1e-13, abs=0.0)
            checked += 1
    assert checked == 203 * 64


def test_count_tables_reject_bad_T() -> None:
    for T in (2, 3.0, "5"):
        with pytest.raises(InvalidInputError):
            count_tables(T)


# --- structure of the quadratic form -----------------------------------------


@pytest.mark.parametrize("dist", [parse_distribution("gaussian"), SKEWED, CORRELATED, parse_distribution("ones")])
def test_G_is_a_symmetric_positive_semidefinite_gram_matrix(dist) -> None:
    """G = sum_t E[conj(F_t) F_t^T] is real (x_1 real, phase averages 0/1), symmetric and PSD.

    Symmetry is exact: G[alpha, beta] and G[beta, alpha] are the same moment
    times the same count. PSD to rounding: eigenvalues >= -1e-12 * max.
    """
    d = 2
    obj = PopulationObjective(dist, d, 6)
    assert obj.G.dtype == np.float64
    assert np.array_equal(obj.G, obj.G.T)
    eigenvalues = np.linalg.eigvalsh(obj.G)
    assert eigenvalues[0] >= -1e-12 * eigenvalues[-1]


def test_loss_is_nonnegative_and_zero_parameters_give_the_constant() -> None:
    """At theta = 0 the prediction is 0 and L = 1/2 (T-2) sum_j E x_j^2 exactly (1e-15 rel)."""
    dist = parse_distribution("gaussian:sigma=2")
    d, T = 3, 7
    obj = PopulationObjective(dist, d, T)
    assert obj.loss(Parameters.zeros(d)) == pytest.approx(0.5 * (T - 2) * d * 4, rel=1e-15)
    rng = np.random.default_rng(1)
    for _ in range(5):
        assert obj.loss(Parameters.random(d, rng)) > 0


def test_gradient_outside_P_and_Q_is_zero_and_returns_full_parameters() -> None:
    obj = PopulationObjective(parse_distribution("uniform"), 2, 5)
    params = Parameters.random(2, np.random.default_rng(2))
    _, grad = obj.loss_and_gradient(params)
    assert grad.WKQ.shape == grad.WPV.shape == (6, 6)
    mask_kq = np.ones((6, 6), bool)
    mask_kq[2:, 2:] = False
    mask_pv = np.ones((6, 6), bool)
    mask_pv[:2, 2:] = False
    assert np.all(grad.WKQ[mask_kq] == 0) and np.all(grad.WPV[mask_pv] == 0)
    assert np.any(grad.WKQ[~mask_kq] != 0) and np.any(grad.WPV[~mask_pv] != 0)


def test_gradient_matches_central_differences_of_the_exact_loss() -> None:
    """The loss is quadratic in each single real parameter (output linear in each entry of P and of Q),
    so a central difference is exact up to rounding ~eps*L/h; tolerance 1e-8 * max(L, 1) at h = 1e-3."""
    d, T = 2, 6
    obj = PopulationObjective(SKEWED, d, T)
    params = Parameters.random(d, np.random.default_rng(3), scale=0.5)
    value, grad = obj.loss_and_gradient(params)
    h = 1e-3
    for name in ("WKQ", "WPV"):
        for index in itertools.product(range(3 * d), repeat=2):
            for unit in (1.0, 1j):
                plus = {k: getattr(params, k).copy() for k in ("WKQ", "WPV")}
                minus = {k: getattr(params, k).copy() for k in ("WKQ", "WPV")}
                plus[name][index] += h * unit
                minus[name][index] -= h * unit
                numeric = (obj.loss(Parameters(**plus)) - obj.loss(Parameters(**minus))) / (2 * h)
                analytic = getattr(grad, name)[index]
                component = analytic.real if unit == 1.0 else analytic.imag
                assert abs(numeric - component) <= 1e-8 * max(value, 1.0)


def test_jacobian_is_the_symmetric_hessian_and_matches_differences_of_the_gradient() -> None:
    """The gradient is a cubic polynomial in the real parameters; a central difference of it has error
    h^2/6 * (third derivative) ~ 1e-6 * scale at h = 1e-3, hence tolerance 1e-5 relative to max |J|."""
    d, T = 2, 5
    obj = PopulationObjective(CORRELATED, d, T)
    rng = np.random.default_rng(4)
    P = rng.standard_normal((d, 2 * d)) + 1j * rng.standard_normal((d, 2 * d))
    Q = rng.standard_normal((2 * d, 2 * d)) + 1j * rng.standard_normal((2 * d, 2 * d))
    J = obj.gradient_jacobian_blocks(P, Q)
    assert _relative(J, J.T) < 1e-13

    def vector(gP, gQ):
        v = np.concatenate([gP.ravel(), gQ.ravel()])
        return np.concatenate([v.real, v.imag])

    x = vector(P, Q)
    n = x.size // 2

    def grad_at(x):
        v = x[:n] + 1j * x[n:]
        _, gP, gQ = obj.loss_and_gradient_blocks(v[: 2 * d * d].reshape(d, 2 * d), v[2 * d * d :].reshape(2 * d, 2 * d))
        return vector(gP, gQ)

    h = 1e-3
    numeric = np.array([(grad_at(x + h * e) - grad_at(x - h * e)) / (2 * h) for e in np.eye(x.size)]).T
    assert _relative(J, numeric) < 1e-5


# --- validation --------------------------------------------------------------


@pytest.mark.parametrize(
    "d,T,fragment",
    [(0, 5, "d=0"), (2.0, 5, "d=2.0"), (True, 5, "d=True"), (2, 2, "T=2"), (2, 4.0, "T=4.0"), (2, "9", "T='9'")],
)
def test_invalid_d_and_T_are_one_line_errors(d, T, fragment) -> None:
    with pytest.raises(InvalidInputError) as info:
        PopulationObjective(parse_distribution("gaussian"), d, T)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_law_dimension_and_moments_are_validated() -> None:
    with pytest.raises(InvalidInputError, match="d=3"):
        PopulationObjective(CORRELATED, 3, 5)  # the atoms live in R^2
    with pytest.raises(InvalidInputError, match="sixth moment"):
        PopulationObjective(parse_distribution("student-t:nu=5"), 2, 5)
    with pytest.raises(InvalidInputError, match="moment_tensor"):
        PopulationObjective(object(), 2, 5)
    obj = PopulationObjective(CORRELATED, 2, 5)
    with pytest.raises(InvalidInputError, match="d=3"):
        obj.loss(Parameters.zeros(3))


# --- Assumption 2: invariance of the manifold ---------------------------------


@pytest.mark.parametrize("spec", ASSUMPTION2_LAWS)
def test_off_manifold_gradient_is_exactly_zero_on_the_manifold_for_assumption2_laws(spec: str) -> None:
    """Theorem 1's invariance at the level of the gradient: every entry other than the two red
    diagonals has gradient exactly 0.0 (the moments that would feed it are exact zeros), and the
    red diagonals are equal (same moments and counts for every j) to rounding, 1e-13 rel."""
    dist = parse_distribution(spec)
    d, T = 3, 8
    assert dist.check_assumption2(d)
    obj = PopulationObjective(dist, d, T)
    for a, b in [(0.3, 0.7), (-1.2, 0.4), (2.0, 2.0)]:
        grad = obj.gradient(Parameters.assumption1(d, a, b))
        diag_a, diag_b = np.diagonal(grad.kq32), np.diagonal(grad.pv12)
        assert np.all(_off_manifold_entries(grad) == 0)
        assert _relative(diag_a, np.full(d, diag_a.mean())) < 1e-13
        assert _relative(diag_b, np.full(d, diag_b.mean())) < 1e-13


def test_skewed_law_satisfies_assumption2_by_its_letter_but_the_manifold_is_not_invariant() -> None:
    """Finding. values (-2, 1) with probs (1/3, 2/3): mean 0, so every monomial with a coordinate to the
    first power has mean 0 and Assumption 2 holds as stated; but E[x_j^3 x_k^3] = (E x^3)^2 = 4, and
    that sixth moment feeds the off-diagonal gradient of both red blocks at manifold points. Zeroing
    exactly those moments restores the invariance (off-manifold gradient == 0.0)."""
    d, T = 3, 8
    assert SKEWED.check_assumption2(d)
    assert SKEWED.moment((0, 0, 0, 1, 1, 1), d) == 4
    obj = PopulationObjective(SKEWED, d, T)
    grad = obj.gradient(Parameters.assumption1(d, 0.5, 1.5))
    assert np.linalg.norm(_off_manifold_entries(grad)) > 1e-3 * grad.norm()

    class WithoutCubeCubeMoments:
        def moment_tensor(self, order, d):
            tensor = SKEWED.moment_tensor(order, d).copy()
            if order == 6:
                J = np.indices((d,) * 6).reshape(6, -1).T
                powers = np.sort(np.stack([(J == j).sum(1) for j in range(d)], 1), axis=1)[:, ::-1]
                tensor.reshape(-1)[(powers[:, 0] == 3) & (powers[:, 1] == 3)] = 0.0
            return tensor

    repaired = PopulationObjective(WithoutCubeCubeMoments(), d, T)
    assert np.all(_off_manifold_entries(repaired.gradient(Parameters.assumption1(d, 0.5, 1.5))) == 0)


# --- the symbolic derivation ---------------------------------------------------


def _law_value(expr: sp.Expr, dist, d: int, a: float, b: float) -> float:
    values = {}
    for moment in moments_in(expr):
        values[moment] = dist.moment(tuple(j for j, p in enumerate(moment.exponents) for _ in range(p)), d)
    return float(expr.xreplace(values).subs({S.A: a, S.ABAR: a, S.B: b, S.BBAR: b}))


@pytest.mark.parametrize(
    "dist",
    [parse_distribution("gaussian"), parse_distribution("ones"), SKEWED, CORRELATED, parse_distribution("shifted-gaussian")],
    ids=["gaussian", "ones", "skewed", "correlated", "shifted-gaussian"],
)
def test_manifold_loss_per_position_matches_the_symbolic_general_loss(dist) -> None:
    """L_t at manifold points, every law: L_t = L(T=t+1) - L(T=t) from the engine against the
    symbolic route-(i) loss with generic moments (instantiate_general_loss) evaluated at the law's
    exact moments. Rounding of a difference of two O(t) sums: rel 1e-12."""
    d = 2
    for t in (2, 3, 6):
        for a, b in [(0.7, -0.4), (1.3, 0.9)]:
            engine = PopulationObjective(dist, d, t + 1).manifold_loss(a, b)
            if t > 2:  # L(T) = sum_{t=2}^{T-1} L_t, so L_t = L(t+1) - L(t), and L_2 = L(3)
                engine -= PopulationObjective(dist, d, t).manifold_loss(a, b)
            symbolic = _law_value(instantiate_general_loss(d, t), dist, d, a, b)
            assert engine == pytest.approx(symbolic, rel=1e-12)


@pytest.mark.parametrize("spec", ["gaussian", "uniform:w=2", "sparse:c=0.5", "laplace"])
def test_total_loss_gradient_and_fixed_point_match_the_symbolic_reduced_flow(spec: str) -> None:
    """With Assumption 2, at real manifold points: L equals the derived L(a, b) and the per-entry
    gradients on the red diagonals equal the derived (b g(ab), a g(ab)) (1e-12 rel, rounding);
    the derived c* agrees exactly with Theorem 1 as printed (claims module), as SymPy numbers."""
    dist = parse_distribution(spec)
    d, T = 3, 12
    k = dist.kappas(d)
    flow = derive_reduced_flow(T, d, (k.kappa1, k.kappa2, k.kappa3), k.second_moment)
    obj = PopulationObjective(dist, d, T)
    for a, b in [(0.3, 0.8), (-1.1, 0.25)]:
        point = {S.a: a, S.b: b}
        params = Parameters.assumption1(d, a, b)
        value, grad = obj.loss_and_gradient(params)
        assert value == pytest.approx(float(flow.loss.subs(point)), rel=1e-12)
        g_a, g_b, _ = manifold_gradient_split(grad)
        assert np.all(_off_manifold_entries(grad) == 0) and g_a.imag == 0.0 and g_b.imag == 0.0
        assert g_a.real == pytest.approx(float(flow.grad_a.subs(point)), rel=1e-12)
        assert g_b.real == pytest.approx(float(flow.grad_b.subs(point)), rel=1e-12)
    assert sp.simplify(flow.fixed_product - theorem1_product(T, k.kappa1, k.kappa2, k.kappa3)) == 0


def test_mixture_engine_is_the_weighted_sum_of_component_engines() -> None:
    """Moments are linear in the law, so G, h and L0 of a mixture are the weighted sums (1e-13 rel)."""
    g1, g2 = parse_distribution("gaussian:sigma=1"), parse_distribution("gaussian:sigma=2")
    mix = Mixture(components=(g1, g2), weights=("1/4", "3/4"))
    d, T = 2, 6
    objs = [PopulationObjective(law, d, T) for law in (mix, g1, g2)]
    assert _relative(objs[0].G, 0.25 * objs[1].G + 0.75 * objs[2].G) < 1e-13
    assert _relative(objs[0].h, 0.25 * objs[1].h + 0.75 * objs[2].h) < 1e-13
