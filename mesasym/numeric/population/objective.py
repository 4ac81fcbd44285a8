"""Exact population loss and gradient of the full model (THEORY §2-3), no sampling.

Only :math:`P = W^{PV}_{1,(2,3)}` (``d x 2d``) and :math:`Q = W^{KQ}_{(2,3),(2,3)}`
(``2d x 2d``) reach the output. With :math:`z_i = (x_i; x_{i-1}) \\in \\mathbb{C}^{D}`,
``D = 2d``, the prediction is linear in :math:`\\Theta_{m,abc} = P_{ma} Q_{bc}`:

.. math::

    \\hat y_{t,m} = \\sum_{a,b,c} \\Theta_{m,abc} F_{t,abc},\\qquad
    F_{t,abc} = \\frac{1}{t-1}\\sum_{i \\le t} z_{i,a}\\,\\overline{z_{i,b}}\\,z_{t,c},

and :math:`F_t` does not depend on ``m``. Hence the population loss
:math:`L = \\sum_{t=2}^{T-1} E\\,\\tfrac12\\lVert \\hat y_t - x_{t+1}\\rVert^2` is a
quadratic form in :math:`\\Theta`:

.. math::

    L = \\tfrac12 \\sum_m \\bigl[\\Theta_m^* G\\, \\Theta_m
        - 2 \\operatorname{Re}(\\Theta_m^{\\mathsf T} h_m)\\bigr] + L_0,\\quad
    G_{\\alpha\\beta} = \\sum_t E[\\overline{F_{t\\alpha}} F_{t\\beta}],\\quad
    h_{m\\beta} = \\sum_t E[\\overline{x_{t+1,m}} F_{t\\beta}],\\quad
    L_0 = \\tfrac12 (T-2) \\sum_j E x_{1j}^2,

and, in the gradient convention of THEORY §3 (:math:`\\nabla = 2\\,\\partial/\\partial\\bar z`),

.. math::

    \\nabla_{\\Theta_m} = G\\Theta_m - \\overline{h_m},\\qquad
    \\nabla P_{ma} = \\sum_{bc} \\nabla\\Theta_{m,abc}\\,\\overline{Q_{bc}},\\qquad
    \\nabla Q_{bc} = \\sum_{ma} \\nabla\\Theta_{m,abc}\\,\\overline{P_{ma}}.

Moments times counts. Write index ``a`` of ``z`` as ``a = s d + j`` (``s = 0``: the
``x_i`` half, ``s = 1``: the ``x_{i-1}`` half), so
:math:`z_{i,a} = \\lambda_j^{\\,i-1-s}\\, x_{1j}\\,[i - s \\ge 1]`. An entry of ``G`` is
a sum over ``t`` and over ``i, i' \\le t`` of a product of six such factors. Its
``x_1`` part is the mixed moment :math:`E[x_{1 j_1} \\cdots x_{1 j_6}]`; its phase
part is :math:`E[\\prod \\lambda^{\\pm(\\cdot)}] = 1` iff, for every distinct
coordinate, the net exponent vanishes (:math:`E\\lambda^m = [m=0]`, independent
:math:`\\lambda_j`), else 0. That rule only sees the set partition of the six
positions by coordinate and the six shifts, so

.. math::

    G_{\\alpha\\beta} = E[x_{j_1}\\cdots x_{j_6}] \\; N_G(\\pi(j), s),\\qquad
    N_G(\\pi, s) = \\sum_{t=2}^{T-1} \\frac{\\#\\{(i,i') \\in [1,t]^2 : \\text{constraints}\\}}{(t-1)^2},

with one linear constraint in ``(t, i, i')`` per block of the partition
:math:`\\pi`; ``h`` is the same with four positions and weight ``1/(t-1)``.
The tables ``N`` (at most 203 x 64 and 15 x 8 entries, many identical
constraint systems) depend only on ``T``; they are cached per ``T``. Nothing
here assumes Assumption 2 or independent coordinates: any law whose mixed
moments up to order six are finite will do.
"""

from __future__ import annotations

import functools

import numpy as np

from mesasym.errors import require
from mesasym.numeric.model import Parameters
from mesasym.numeric.population.tables import G_SLOTS, H_SLOTS, CountTables, Slot, fill_table

__all__ = [
    "PopulationObjective",
    "count_tables",
    "CountTables",
    "manifold_gradient_split",
]

# ---------------------------------------------------------------------------
# Phase counting (slots and table layout: mesasym.numeric.population.tables)
# ---------------------------------------------------------------------------


def _system(slots: tuple[Slot, ...], n_inner: int, partition: tuple[int, ...], shifts: tuple[int, ...]):
    """Constraint system of one (partition, shift) pattern, in a hashable canonical form.

    Returns ``None`` if it has no solution for any ``t`` (a block with no time
    dependence but a nonzero net exponent), else ``(lower_bounds, rows)`` where
    each row ``(c_t, c_1, ..., rhs)`` means ``c . (t, inner...) = rhs``.
    """
    lower = [1] * n_inner
    n_blocks = max(partition) + 1
    coefficient = [[0] * (1 + n_inner) for _ in range(n_blocks)]
    rhs = [0] * n_blocks
    for slot, block, s in zip(slots, partition, shifts):
        offset = -1 - s if slot.shifted else 0
        coefficient[block][slot.var] += slot.sign
        rhs[block] -= slot.sign * offset
        if slot.var > 0:
            lower[slot.var - 1] = max(lower[slot.var - 1], 1 + s)
    rows = set()
    for c, r in zip(coefficient, rhs):
        nonzero = [value for value in c if value]
        if not nonzero:
            if r != 0:
                return None
            continue
        if nonzero[0] < 0:  # canonical sign: first nonzero coefficient positive
            c, r = [-value for value in c], -r
        rows.add((*c, r))
    return tuple(lower), tuple(sorted(rows))


def _count_system(lower: tuple[int, ...], rows: tuple[tuple[int, ...], ...], T: int, grid) -> np.ndarray:
    """Number of solutions per ``t = 2..T-1`` of one constraint system.

    The last inner variable is solved for (every coefficient is 0 or +-1, so the
    solution is an integer); the others are enumerated on ``grid``.
    """
    t, others, t_index = grid
    n_inner = len(lower)
    ok = np.ones(t.shape, dtype=bool)
    for k, value in enumerate(others):
        ok &= value >= lower[k]
    solved = None
    for row in rows:
        c, r = np.asarray(row[:-1]), row[-1]
        partial = c[0] * t
        for k, value in enumerate(others):
            partial = partial + c[1 + k] * value
        last = c[n_inner]
        if last == 0:
            ok &= partial == r
        else:
            value = (r - partial) * last  # last = +-1, so 1/last = last
            if solved is None:
                solved = value
            else:
                ok &= solved == value
    if solved is None:
        count = np.where(ok, np.maximum(t - lower[-1] + 1, 0), 0)
    else:
        count = (ok & (solved >= lower[-1]) & (solved <= t)).astype(np.int64)
    return np.bincount(t_index, weights=count, minlength=T - 2)


def _table(slots: tuple[Slot, ...], n_inner: int, T: int, weight_power: int) -> tuple[np.ndarray, int]:
    t_all = np.arange(2, T)
    if n_inner == 1:
        grid = (t_all, [], t_all - 2)
    else:
        tt, ii = np.meshgrid(t_all, np.arange(1, T), indexing="ij")
        keep = ii <= tt
        grid = (tt[keep], [ii[keep]], (tt - 2)[keep])
    weights = 1.0 / (t_all - 1.0) ** weight_power
    return fill_table(
        slots,
        lambda partition, shifts: _system(slots, n_inner, partition, shifts),
        lambda system: float(_count_system(*system, T=T, grid=grid) @ weights),
    )


@functools.lru_cache(maxsize=8)
def count_tables(T: int) -> CountTables:
    """The phase-count tables :math:`N_G, N_h` for sequence length ``T`` (cached)."""
    require(isinstance(T, (int, np.integer)) and T >= 3, f"T={T!r} must be an integer >= 3")
    G, n_g = _table(G_SLOTS, 2, int(T), 2)
    h, n_h = _table(H_SLOTS, 1, int(T), 1)
    return CountTables(int(T), G, h, n_g + n_h)


def _rgs_codes(d: int, k: int) -> np.ndarray:
    """Restricted-growth code of the coordinate partition of every ``j`` in ``[0,d)^k``."""
    J = np.indices((d,) * k).reshape(k, -1).T
    labels = np.zeros_like(J)
    for p in range(1, k):
        label = labels[:, :p].max(axis=1) + 1
        for q in range(p - 1, -1, -1):  # the earliest equal position wins
            label = np.where(J[:, p] == J[:, q], labels[:, q], label)
        labels[:, p] = label
    powers = k ** np.arange(k - 1, -1, -1)
    return (labels @ powers).reshape((d,) * k)


def _shift_lookup(table_row_block: np.ndarray, k: int, fixed_first: bool) -> np.ndarray:
    """Rearrange ``(..., 2**k)`` into ``(..., 2, 2, ...)`` per slot (bits MSB first)."""
    shape = table_row_block.shape[:-1] + (2,) * k
    out = table_row_block.reshape(shape)
    if fixed_first:
        out = out[..., 0, :, :, :]  # slot 0 (target) has no shift
    return out


# ---------------------------------------------------------------------------
# The objective
# ---------------------------------------------------------------------------


def _moment(dist, order: int, d: int) -> np.ndarray:
    tensor = np.asarray(dist.moment_tensor(order, d), dtype=np.float64)
    require(
        tensor.shape == (d,) * order,
        f"moment_tensor({order}, {d}) of {dist!r} has shape {tensor.shape}, expected {(d,) * order}",
    )
    require(
        bool(np.all(np.isfinite(tensor))),
        f"distribution {dist!r} has an infinite or undefined moment of order {order}; the population "
        "engine needs finite mixed moments up to order 6",
    )
    return tensor


class PopulationObjective:
    """Exact population loss :math:`L(\\theta)` of THEORY §3 and its gradient.

    ``dist`` is any object with ``moment_tensor(order, d)`` (mixed moments of
    ``x_1`` as a float array of shape ``(d,)*order``); ``validate_dimension(d)``
    is called when present. See the module docstring for the formulas.
    ``process`` is the transition law of the eigenvalues of ``W``
    (:mod:`mesasym.laws.processes`); ``None`` or ``uniform`` is the paper's law (the
    counting tables above); any other law uses
    :func:`~mesasym.numeric.population.process_tables.process_count_tables`.

    The products are small; with many evaluations in a row (as in
    :func:`mesasym.numeric.population.flow.population_flow`) limiting BLAS to one thread
    (:func:`mesasym.numeric.model.single_threaded_blas`) avoids the erratic
    slow-downs of BLAS threads on a busy machine.

    Example::

        obj = PopulationObjective(parse_distribution("gaussian"), d=3, T=10)
        value, grad = obj.loss_and_gradient(Parameters.assumption1(3, 0.1, 0.1))
    """

    def __init__(self, dist, d: int, T: int, process=None) -> None:
        require(
            isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1,
            f"d={d!r} must be an integer >= 1",
        )
        require(
            isinstance(T, (int, np.integer)) and not isinstance(T, bool) and T >= 3,
            f"T={T!r} must be an integer >= 3 (the loss has targets x_3, ..., x_T)",
        )
        require(
            hasattr(dist, "moment_tensor"),
            f"dist={dist!r} must be a distribution with a moment_tensor(order, d) method",
        )
        if hasattr(dist, "validate_dimension"):
            dist.validate_dimension(int(d))
        self.dist = dist
        self.d = d = int(d)
        self.T = T = int(T)
        D = 2 * d
        self.D = D
        self.process = None if process is None or getattr(process, "name", None) == "uniform" else process
        if self.process is None:
            tables = count_tables(T)
        else:  # another transition law of W: the phase indicators become the law's moments
            from mesasym.numeric.population.process_tables import process_count_tables

            tables = process_count_tables(T, self.process)
        self.moments = {order: _moment(dist, order, d) for order in (2, 4, 6)}

        # G[(s0 j0)(s1 j1)(s2 j2), (s3 j3)(s4 j4)(s5 j5)] = M6[j] * N_G[pi(j), s]
        counts = tables.G[_rgs_codes(d, 6)]  # (d,)*6 + (64,)
        counts = _shift_lookup(counts, 6, fixed_first=False)  # (d,)*6 + (2,)*6
        G = counts * self.moments[6][(...,) + (None,) * 6]
        order = [x for p in range(6) for x in (6 + p, p)]  # (s0, j0, s1, j1, ...)
        self.G = np.ascontiguousarray(G.transpose(order).reshape(D**3, D**3))

        # h[m, (s1 j1)(s2 j2)(s3 j3)] = M4[m, j1, j2, j3] * N_h[pi(m, j), s]
        counts = tables.h[_rgs_codes(d, 4)]  # (d,)*4 + (16,)
        counts = _shift_lookup(counts, 4, fixed_first=True)  # (d,)*4 + (2,)*3
        h = counts * self.moments[4][(...,) + (None,) * 3]
        self.h = np.ascontiguousarray(h.transpose(0, 4, 1, 5, 2, 6, 3).reshape(d, D**3))
        if self.process is None:
            self.L0 = 0.5 * (T - 2) * float(np.trace(self.moments[2]))
        else:  # E|x_{t+1,j}|^2 = E[lambda^t conj(lambda)^t] E x_j^2
            M = self.process.moment_matrix(T - 1)
            self.L0 = 0.5 * float(sum(M[t, t] for t in range(2, T))) * float(np.trace(self.moments[2]))
        self._G_by_q = self.G.reshape(D**4, D**2)  # rows (alpha, a'), columns (b'c')

    def __repr__(self) -> str:
        extra = "" if self.process is None else f", process={self.process.spec()!r}"
        return f"PopulationObjective(dist={self.dist!r}, d={self.d}, T={self.T}{extra})"

    # --- core ----------------------------------------------------------
    def _check(self, params: Parameters) -> None:
        require(isinstance(params, Parameters), f"params must be Parameters, got {type(params).__name__}")
        require(params.d == self.d, f"params have d={params.d} but the objective has d={self.d}")

    def _theta_parts(self, P: np.ndarray, Q: np.ndarray):
        """``Y[alpha, a'] = sum_{b'c'} G[alpha, (a' b'c')] Q[b'c']`` and ``G Theta`` as ``(D^3, d)``."""
        q = Q.reshape(-1)
        D = self.D
        Y = (self._G_by_q @ q.real + 1j * (self._G_by_q @ q.imag)).reshape(D**3, D)
        return Y, Y @ P.T

    def loss_and_gradient_blocks(self, P: np.ndarray, Q: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Loss and the gradients with respect to ``P`` (``d x 2d``) and ``Q`` (``2d x 2d``)."""
        D, d = self.D, self.d
        P = np.asarray(P, dtype=np.complex128)
        Q = np.asarray(Q, dtype=np.complex128)
        q = Q.reshape(-1)
        _, GTheta = self._theta_parts(P, Q)  # (D^3, d), column m = G Theta_m
        Theta = (P[:, :, None] * q[None, None, :]).reshape(d, D**3)  # (d, D^3)
        quad = float(np.real(np.vdot(Theta.T, GTheta)))  # sum_m Theta_m^* G Theta_m
        linear = float(np.real(np.sum(Theta * self.h)))
        value = 0.5 * quad - linear + self.L0
        grad_theta = (GTheta - self.h.T).reshape(D, D * D, d)  # h real: conj(h) = h
        grad_P = np.einsum("akm,k->ma", grad_theta, q.conj())
        grad_Q = np.einsum("akm,ma->k", grad_theta, P.conj()).reshape(D, D)
        return value, grad_P, grad_Q

    def loss(self, params: Parameters) -> float:
        """:math:`L(\\theta) = \\sum_{t=2}^{T-1} E\\,\\tfrac12\\lVert\\hat y_t - x_{t+1}\\rVert^2` exactly."""
        self._check(params)
        return self.loss_and_gradient_blocks(params.P, params.Q)[0]

    def loss_and_gradient(self, params: Parameters) -> tuple[float, Parameters]:
        """Exact loss and full ``(3d, 3d)`` gradients (zero outside ``P`` and ``Q``).

        Same convention as :func:`mesasym.numeric.model.loss_and_gradient`:
        :math:`\\nabla = \\partial L/\\partial\\operatorname{Re} + i\\,\\partial L/\\partial\\operatorname{Im}`.
        """
        self._check(params)
        value, grad_P, grad_Q = self.loss_and_gradient_blocks(params.P, params.Q)
        return value, Parameters.from_blocks(grad_P, grad_Q)

    def gradient(self, params: Parameters) -> Parameters:
        """The gradient alone (see :meth:`loss_and_gradient`)."""
        return self.loss_and_gradient(params)[1]

    # --- second order, for implicit ODE solvers ---------------------------
    def gradient_jacobian_blocks(self, P: np.ndarray, Q: np.ndarray) -> np.ndarray:
        """Real Jacobian of the real gradient vector w.r.t. the real vector of ``(P, Q)``.

        With ``v = (vec P, vec Q)`` (complex, length ``n = 6 d^2``) the gradient
        varies as :math:`\\delta g = A\\,\\delta v + B\\,\\overline{\\delta v}` (``A``
        from :math:`G\\,\\delta\\Theta`, ``B`` from :math:`\\nabla\\Theta` meeting
        :math:`\\overline{\\delta P}, \\overline{\\delta Q}`). The returned matrix maps
        ``(Re dv, Im dv)`` to ``(Re dg, Im dg)``: ``[[Re(A+B), Im(B-A)], [Im(A+B), Re(A-B)]]``.
        It is the Hessian of ``L`` in the real coordinates (symmetric).
        """
        D, d = self.D, self.d
        P = np.asarray(P, dtype=np.complex128)
        Q = np.asarray(Q, dtype=np.complex128)
        q = Q.reshape(-1)
        nP, nQ = d * D, D * D
        G3 = self.G.reshape(D, D * D, D, D * D)  # [a, bc, a', b'c']
        Y, GTheta = self._theta_parts(P, Q)
        Y = Y.reshape(D, D * D, D)  # [a, bc, a']
        grad_theta = (GTheta - self.h.T).reshape(D, D * D, d)  # [a, bc, m]

        A = np.zeros((nP + nQ, nP + nQ), dtype=np.complex128)
        B = np.zeros_like(A)
        # dP -> d grad_P: delta_{mm'} conj(q)^T G_{a a'} q
        K = np.einsum("k,akb->ab", q.conj(), Y)  # [a, a']
        A[:nP, :nP] = np.kron(np.eye(d), K)
        # dQ -> d grad_P[m, a] = sum_{bc, a'} conj(q[bc]) G[a bc, a' b'c'] P[m, a']
        R = np.einsum("k,akcl->acl", q.conj(), G3)  # [a, a', b'c']
        A[:nP, nP:] = np.einsum("mc,acl->mal", P, R).reshape(nP, nQ)
        # dP[m', a'] -> d grad_Q[bc] = sum_a conj(P[m', a]) Y[a, bc, a']
        A[nP:, :nP] = np.einsum("ma,akc->kmc", P.conj(), Y).reshape(nQ, nP)
        # dQ -> d grad_Q: sum_{a a'} (P^* P)[a, a'] G[a bc, a' b'c']
        PhP = P.conj().T @ P
        A[nP:, nP:] = np.einsum("ac,akcl->kl", PhP, G3)
        # antilinear parts
        B[:nP, nP:] = grad_theta.transpose(2, 0, 1).reshape(nP, nQ)  # [(m,a), bc]
        B[nP:, :nP] = grad_theta.transpose(1, 2, 0).reshape(nQ, nP)  # [bc, (m,a)]
        top = np.hstack([(A + B).real, (B - A).imag])
        bottom = np.hstack([(A + B).imag, (A - B).real])
        return np.vstack([top, bottom])

    # --- convergence measure -----------------------------------------------
    def stationarity_blocks(self, P: np.ndarray, Q: np.ndarray) -> float:
        """:math:`\\lVert\\nabla L\\rVert / \\lVert\\nabla D\\rVert` with the data term
        :math:`D = \\sum_m \\operatorname{Re}(\\Theta_m^{\\mathsf T} h_m)`.

        The gradient of ``L`` is a difference of the gradients of the quadratic
        term and of ``D``, which balance at a stationary point, so this ratio is a
        scale-free measure of stationarity whose rounding floor is about machine
        epsilon. On the Assumption-1 manifold of an Assumption-2 law it equals
        ``|c - c*| / c*`` for ``c = ab`` (both gradients are then along the
        manifold, with per-entry sizes ``b |g(c)|`` and ``b (T-2) kappa1``).
        Returns 0 at a point where both gradients vanish (e.g. the origin).
        """
        D, d = self.D, self.d
        P = np.asarray(P, dtype=np.complex128)
        Q = np.asarray(Q, dtype=np.complex128)
        q = Q.reshape(-1)
        _, grad_P, grad_Q = self.loss_and_gradient_blocks(P, Q)
        h = self.h.T.reshape(D, D * D, d)
        data_P = np.einsum("akm,k->ma", h, q.conj())
        data_Q = np.einsum("akm,ma->k", h, P.conj())
        numerator = np.sqrt(np.linalg.norm(grad_P) ** 2 + np.linalg.norm(grad_Q) ** 2)
        denominator = np.sqrt(np.linalg.norm(data_P) ** 2 + np.linalg.norm(data_Q) ** 2)
        if denominator == 0.0:
            return 0.0 if numerator == 0.0 else float("inf")
        return float(numerator / denominator)

    def stationarity(self, params: Parameters) -> float:
        """See :meth:`stationarity_blocks`."""
        self._check(params)
        return self.stationarity_blocks(params.P, params.Q)

    # --- helpers ---------------------------------------------------------
    def manifold_loss(self, a: float, b: float) -> float:
        """The loss on the Assumption-1 manifold (red blocks ``a I`` and ``b I``)."""
        return self.loss(Parameters.assumption1(self.d, a, b))


def manifold_gradient_split(gradient: Parameters) -> tuple[complex, complex, float]:
    """Split a gradient at a manifold point into ``(g_a, g_b, off-manifold norm)``.

    ``g_a``, ``g_b`` are the means of the diagonals of the gradient's red blocks
    :math:`W^{KQ}_{32}`, :math:`W^{PV}_{12}`; the third value is the Frobenius
    norm of everything else (see :meth:`Parameters.off_manifold_norm`).
    """
    require(isinstance(gradient, Parameters), f"gradient must be Parameters, got {type(gradient).__name__}")
    g_a = complex(np.mean(np.diagonal(gradient.kq32)))
    g_b = complex(np.mean(np.diagonal(gradient.pv12)))
    return g_a, g_b, gradient.off_manifold_norm()

