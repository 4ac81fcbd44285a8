"""The transformer model family in JAX (a source of truth beside :mod:`mesasym.numeric`).

Deep, multi-head, linear or softmax attention, optional MLP and layer norm; the paper's
one-layer model is the default member. Never imports the derivation (``symbolic``,
``precise``) or the ``claims``.

* :func:`~mesasym.models.spec.parse_model` -> :class:`~mesasym.models.spec.ModelSpec`;
* :func:`~mesasym.models.init.init_model` -> :class:`~mesasym.models.transformer.Model`, an
  Equinox module;
* :func:`~mesasym.models.transformer.predict`, :func:`~mesasym.models.transformer.per_problem_loss`,
  :func:`~mesasym.models.transformer.loss` (pure), :func:`~mesasym.models.gradient.loss_and_gradient`
  (mesasym's gradient convention);
* :func:`~mesasym.models.paper.from_parameters` / :func:`~mesasym.models.paper.to_parameters`:
  the NumPy model of :mod:`mesasym.numeric.model`;
* training (:mod:`mesasym.models.training`), optimizers (:mod:`mesasym.models.optimizers`), the
  model file (:mod:`mesasym.models.io`).

Importing this package enables 64-bit floats in JAX (``jax_enable_x64``: complex128 and
float64 are mesasym's reference precision; float32/complex64 arrays stay 32-bit) and makes
:class:`~mesasym.tasks.batch.Batch` a JAX pytree.
"""

import jax

from mesasym.tasks.batch import Batch

jax.config.update("jax_enable_x64", True)


def _register_batch() -> None:
    try:
        jax.tree_util.register_pytree_node(
            Batch,
            lambda b: ((b.inputs, b.outputs, b.oracle, b.sequences), None),
            lambda _, children: Batch(*children),
        )
    except ValueError:  # already registered (module reloaded)
        pass


_register_batch()

from mesasym.models.gradient import loss_and_gradient, to_convention, value_and_gradient  # noqa: E402
from mesasym.models.init import INITIALIZERS, init_model  # noqa: E402
from mesasym.models.paper import from_parameters, to_parameters  # noqa: E402
from mesasym.models.spec import PAPER, ModelSpec, parse_model, register_key  # noqa: E402
from mesasym.models.transformer import Model, apply, loss, per_problem_loss, predict  # noqa: E402
from mesasym.models.construction import build_construction, is_construction  # noqa: E402 - registers construction=gd (issue 24)

__all__ = [
    "INITIALIZERS",
    "PAPER",
    "Model",
    "ModelSpec",
    "apply",
    "from_parameters",
    "init_model",
    "loss",
    "loss_and_gradient",
    "parse_model",
    "per_problem_loss",
    "predict",
    "register_key",
    "to_convention",
    "to_parameters",
    "value_and_gradient",
    "build_construction",
    "is_construction",
]
