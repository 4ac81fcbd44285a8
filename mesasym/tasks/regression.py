r"""In-context regression tasks (Garg et al. 2022; von Oswald et al. 2023).

Each problem draws a teacher :math:`f` and ``N + 1`` inputs :math:`x_p \in \mathbb{R}^d`
i.i.d. from ``dist`` (the law of the inputs, default ``gaussian:sigma=1``); the pairs are
:math:`(u_p, v_p) = (x_p, y_p)` with :math:`y_p = f(x_p) + \sigma\varepsilon_p`,
:math:`\varepsilon_p \sim N(0, 1)`, ``p = 1..N+1``. Position ``p`` is asked for :math:`y_p`
given the ``p - 1`` pairs before it (the last position is the query of the full ``N``-example
context); the oracle is :math:`f(x_p)`. Data are real, ``d_out = 1``.

* ``regression:linear`` -- :math:`f(x) = w \cdot x`, :math:`w \sim N(0, I_d)`, no noise.
* ``regression:noisy:sigma=S`` -- the same teacher plus noise of standard deviation ``S``.
* ``regression:nonlinear:hidden=H`` -- Garg's two-layer ReLU network
  :math:`f(x) = \sum_{k=1}^{H} c_k \max(0, w_k \cdot x)`, :math:`w_k \sim N(0, I_d)`,
  :math:`c_k \sim N(0, 2/H)`, so that :math:`E f(x)^2 = E\lVert x\rVert^2` for
  :math:`x \sim N(0, I_d)`, as for the linear teacher.

Draw order (a seed fixes everything): the inputs, the teacher, the noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from mesasym.errors import require
from mesasym.tasks.base import Task
from mesasym.tasks.batch import Batch

__all__ = ["RegressionTask", "LinearRegression", "NoisyRegression", "NonlinearRegression"]


@dataclass(frozen=True)
class RegressionTask(Task):
    """The shared sampler of the regression tasks: inputs, then the teacher (``_teacher``), then the noise."""

    layout: ClassVar[str] = "regression"
    is_complex: ClassVar[bool] = False

    def _noise_level(self) -> float:
        return 0.0

    def _teacher(self, rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
        """``f(x)`` for inputs ``(n, P, d)``, one teacher per problem: ``(n, P, 1)``."""
        raise NotImplementedError

    def sample(self, rng, n, *, d, length, dist=None, process=None, dtype=None) -> Batch:
        from mesasym.laws import is_uniform_process, parse_distribution

        self.check(rng, n, d, length)
        require(process is None or is_uniform_process(process), f"task {self.spec()!r} has no W; --process applies to AR tasks")
        law = parse_distribution("gaussian:sigma=1") if dist is None else dist
        law.validate_dimension(d)
        P = length + 1
        x = law.sample(rng, n * P, d).reshape(n, P, d)
        clean = self._teacher(rng, x)
        sigma = self._noise_level()
        y = clean + sigma * rng.standard_normal(clean.shape) if sigma else clean
        dt = self.data_dtype(dtype)
        return Batch(inputs=x.astype(dt), outputs=y.astype(dt), oracle=clean[:, 1:].astype(dt))


@dataclass(frozen=True)
class LinearRegression(RegressionTask):
    """``y = w . x``, ``w ~ N(0, I)`` (module docstring)."""

    name: ClassVar[str] = "regression:linear"

    def _teacher(self, rng, x):
        w = rng.standard_normal((x.shape[0], x.shape[2]))
        return np.einsum("npd,nd->np", x, w)[:, :, None]


@dataclass(frozen=True)
class NoisyRegression(LinearRegression):
    """``y = w . x + sigma eps`` (module docstring)."""

    sigma: float = 0.1
    name: ClassVar[str] = "regression:noisy"

    def _noise_level(self) -> float:
        return self.sigma


@dataclass(frozen=True)
class NonlinearRegression(RegressionTask):
    """A two-layer ReLU teacher (module docstring)."""

    hidden: int = 100
    name: ClassVar[str] = "regression:nonlinear"

    def _teacher(self, rng, x):
        n, _, d = x.shape
        w = rng.standard_normal((n, self.hidden, d))
        c = rng.standard_normal((n, self.hidden)) * np.sqrt(2.0 / self.hidden)
        return np.einsum("nph,nh->np", np.maximum(np.einsum("npd,nhd->nph", x, w), 0.0), c)[:, :, None]
