"""mesasym: verify mesa-optimization in autoregressively trained transformers.

The independent sources of truth are separate modules:

* :mod:`mesasym.distributions` -- laws of the first token ``x_1`` with exact moments;
* :mod:`mesasym.ar_process` -- the sequences ``x_{t+1} = W x_t``;
* :mod:`mesasym.transformer` -- the full linear self-attention model in NumPy;
* :mod:`mesasym.training` -- numeric gradient-descent training of the full model.
"""

__version__ = "0.1.0"
