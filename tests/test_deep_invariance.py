"""The invariance table's rows (mesasym.compare.deep_invariance) at small sizes.

"Zero" is 1e-10 of the gradient's largest entry (exact engine, rounding ~1e-15); the nonzero parts
seen are O(0.1 .. 1), so each verdict is far from the threshold.
"""

from __future__ import annotations

from mesasym.compare.deep_invariance import ZERO, invariance_row, markdown



def test_sparse_two_layers_breaks_and_closes_block_scalar():
    row = invariance_row("sparse", 2, 2, 4)
    assert not row.invariant and row.paper_off > 1e6 * ZERO
    assert set(row.breaking) == {(0, "PV", 1, 2), (1, "KQ", 1, 0)}
    assert row.closure_scalar and row.closure_off <= ZERO
    assert "l1 PV23, l2 KQ21" in markdown([row])


def test_all_ones_closure_is_not_block_scalar():
    """Can fail: without sign symmetry the red blocks get parts that are not multiples of I."""
    row = invariance_row("ones", 2, 2, 4)
    assert not row.closure_scalar and row.closure_off > 1e6 * ZERO
