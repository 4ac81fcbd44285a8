"""In-context learning algorithms as predictors (a source of truth beside the models).

GD-k, preconditioned GD, least squares, ridge, the oracle and baselines, on the
:class:`mesasym.tasks.Batch` shape. Never imports the models, the derivation or the claims.
"""
