"""The transformer model family in JAX (a source of truth beside :mod:`mesasym.numeric`).

Deep, multi-head, linear or softmax attention, optional MLP and layer norm; the paper's
one-layer model is the default member. Never imports the derivation (``symbolic``,
``precise``) or the ``claims``.
"""
