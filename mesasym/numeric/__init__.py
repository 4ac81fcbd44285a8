"""The full transformer in NumPy: a source of truth that never sees the derivation.

:mod:`mesasym.numeric.model` (the one-layer linear attention model, every entry of both
``3d x 3d`` complex matrices free), :mod:`mesasym.numeric.sequences` (AR sequences
``x_{t+1} = W x_t``), :mod:`mesasym.numeric.training` (gradient descent on a sample),
:mod:`mesasym.numeric.population` (the exact population loss and its gradient flow) and
:mod:`mesasym.numeric.history` (training histories). It imports only :mod:`mesasym.laws` and
:mod:`mesasym.errors`, never :mod:`mesasym.symbolic`, :mod:`mesasym.precise` or :mod:`mesasym.claims`.
"""
