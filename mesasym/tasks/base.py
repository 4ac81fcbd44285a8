"""The abstract in-context task and the checks every sampler shares.

A :class:`Task` draws ``n`` independent in-context problems as a :class:`~mesasym.tasks.batch.Batch`
from an explicit :class:`numpy.random.Generator`; ``length`` is ``T`` for AR tasks and the
number ``N`` of context examples for regression tasks.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from mesasym.errors import require

if TYPE_CHECKING:
    from mesasym.laws import InitialTokenDistribution, TransitionLaw
    from mesasym.tasks.batch import Batch

__all__ = ["Task", "MAX_DIMENSION", "real_dtype_of", "complex_dtype_of"]

#: Largest token dimension the samplers accept (the issue's range, ``d <= 32``, with room).
MAX_DIMENSION = 64

_COMPLEX = {np.dtype(np.complex64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.float64)}
_REAL = {real: cplx for cplx, real in _COMPLEX.items()}


def real_dtype_of(dtype: object) -> np.dtype:
    """The real dtype of the same precision (``complex64 -> float32``); real dtypes pass."""
    dt = _dtype(dtype)
    return _COMPLEX.get(dt, dt)


def complex_dtype_of(dtype: object) -> np.dtype:
    """The complex dtype of the same precision (``float64 -> complex128``); complex dtypes pass."""
    dt = _dtype(dtype)
    return _REAL.get(dt, dt)


def _dtype(dtype: object) -> np.dtype:
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        dt = None
    valid = "float32, float64, complex64, complex128"
    require(dt is not None and (dt in _COMPLEX or dt in _REAL), f"dtype={dtype!r} must be one of {valid}")
    return dt  # type: ignore[return-value]


def _number_text(value: float) -> str:
    """The shortest text that reads back to ``value`` (``0.1``, ``2``, ``1e-05``)."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def nonnegative(value: str, key: str, spec: str) -> float:
    """A finite number ``>= 0`` read from a spec value (one-line error otherwise)."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    require(math.isfinite(number) and number >= 0, f"task {spec!r}: {key}={value} must be a finite number >= 0")
    return number


@dataclass(frozen=True)
class Task(ABC):
    """A family of in-context problems (frozen, compared by value, :meth:`spec` round-trips).

    ``layout`` is ``"ar"`` (pairs ``(x_p, x_{p+1})`` of one sequence, the paper's
    embedding) or ``"regression"`` (i.i.d. pairs ``(x_p, y_p)``); ``is_complex`` says whether
    the data are complex.
    """

    name: ClassVar[str]
    layout: ClassVar[str]
    is_complex: ClassVar[bool]

    def spec(self) -> str:
        """The text spec, e.g. ``noisy:sigma=0.1`` (parses back to an equal task)."""
        values = [f"{f.name}={_number_text(getattr(self, f.name))}" for f in fields(self)]
        return self.name + (":" + ",".join(values) if values else "")

    def __str__(self) -> str:
        return self.spec()

    def output_dim(self, d: int) -> int:
        """``d_out``: ``d`` for AR tasks, 1 for regression."""
        return d if self.layout == "ar" else 1

    def min_length(self) -> int:
        """Smallest valid ``length`` (``T >= 3`` for AR tasks, ``N >= 1`` for regression)."""
        return 3 if self.layout == "ar" else 1

    def data_dtype(self, dtype: object | None) -> np.dtype:
        """The dtype of the data: complex tasks complex, real tasks real, in ``dtype``'s precision."""
        if dtype is None:
            return np.dtype(np.complex128 if self.is_complex else np.float64)
        return complex_dtype_of(dtype) if self.is_complex else real_dtype_of(dtype)

    def check(self, rng: np.random.Generator, n: int, d: int, length: int) -> None:
        """The shared checks of :meth:`sample`'s arguments (one-line errors)."""
        require(isinstance(rng, np.random.Generator), f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        require(isinstance(n, (int, np.integer)) and n >= 1, f"n={n!r} must be an integer >= 1")
        require(
            isinstance(d, (int, np.integer)) and 1 <= d <= MAX_DIMENSION,
            f"d={d!r} must be an integer in [1, {MAX_DIMENSION}] for task {self.spec()!r}",
        )
        low = self.min_length()
        what = "T (sequence length)" if self.layout == "ar" else "N (context examples)"
        require(
            isinstance(length, (int, np.integer)) and length >= low,
            f"length={length!r} must be an integer >= {low} ({what}) for task {self.spec()!r}",
        )

    @abstractmethod
    def sample(
        self,
        rng: np.random.Generator,
        n: int,
        *,
        d: int,
        length: int,
        dist: InitialTokenDistribution | None = None,
        process: TransitionLaw | None = None,
        dtype: object | None = None,
    ) -> Batch:
        """``n`` problems of dimension ``d``; ``dist`` is the law of ``x_1`` (AR) or of the inputs
        (regression), Gaussian ``sigma = 1`` when ``None``; ``process`` the law of ``W``'s
        eigenvalues for the diagonal AR tasks."""
