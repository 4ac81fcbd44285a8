"""Exact numbers for the laws: the safe number parser, parameter checks and formatting.

The parser is hand-written on :mod:`ast` (no ``eval``) because a law's parameters come from the
command line: it accepts only numeric literals, the named constants below, ``+ - * / **``
and ``sqrt``, with limits on length and magnitude, and returns exact SymPy numbers.
Why not a library: ``sympy.sympify``/``parse_expr`` call ``eval`` and accept any SymPy
expression (and hang on e.g. ``10**10**10``); ``fractions.Fraction`` and ``decimal`` read one
literal but not ``1/3`` or ``sqrt(2)``. The parser is about fifty lines of node-by-node evaluation.
"""

from __future__ import annotations

import ast
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from mesasym.errors import InvalidInputError

# --------------------------------------------------------------------------
# Exact numbers: input conversion, checks, formatting
# --------------------------------------------------------------------------

_NAMED_CONSTANTS: dict[str, sympy.Expr] = {
    "pi": sympy.pi,
    "E": sympy.E,
    "oo": sympy.oo,
    "inf": sympy.oo,
    "infinity": sympy.oo,
    "nan": sympy.nan,
}
_MAX_EXPRESSION_LENGTH = 400
_MAX_DECIMAL_EXPONENT = 400
_MAX_POWER_TERM = 64


class _NotANumber(Exception):
    """Internal: a text is not a number expression we accept."""


def _parse_number_text(text: str) -> sympy.Expr:
    """Read ``text`` as an exact SymPy number.

    Accepted: integers, decimals and scientific notation (read exactly, so
    ``"0.1"`` is ``1/10``), and expressions built from them with ``+ - * / **``,
    parentheses, ``sqrt(...)`` and the constants ``pi`` and ``E`` (this is the
    form ``str`` gives SymPy numbers, so specs round-trip). The text is parsed
    with :mod:`ast` and evaluated node by node; nothing is ``eval``-ed.
    Exponents must be rationals with numerator and denominator at most 64.
    """
    text = text.strip()
    if not text or len(text) > _MAX_EXPRESSION_LENGTH:
        raise _NotANumber
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        raise _NotANumber from None
    return _evaluate_node(tree.body, text)


def _evaluate_node(node: ast.AST, text: str) -> sympy.Expr:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _NotANumber
        literal = ast.get_source_segment(text, node) or repr(node.value)
        literal = literal.replace("_", "")
        match = re.search(r"[eE]([+-]?\d+)$", literal)
        if match and abs(int(match.group(1))) > _MAX_DECIMAL_EXPONENT:
            raise _NotANumber
        return sympy.Rational(literal)
    if isinstance(node, ast.Name):
        if node.id not in _NAMED_CONSTANTS:
            raise _NotANumber
        return _NAMED_CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate_node(node.operand, text)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call):
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "sqrt"
            and len(node.args) == 1
            and not node.keywords
        ):
            return sympy.sqrt(_evaluate_node(node.args[0], text))
        raise _NotANumber
    if isinstance(node, ast.BinOp):
        left = _evaluate_node(node.left, text)
        right = _evaluate_node(node.right, text)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right == 0:
                raise _NotANumber
            return left / right
        if isinstance(node.op, ast.Pow):
            if not (
                isinstance(right, sympy.Rational)
                and abs(right.p) <= _MAX_POWER_TERM
                and right.q <= _MAX_POWER_TERM
            ):
                raise _NotANumber
            return left**right
    raise _NotANumber


def show_number(value: Any) -> str:
    """How a user-supplied value is quoted in an error message."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, sympy.Basic):
        return sympy.sstr(value)
    return repr(value)


def exact_number(value: Any, key: str, family: str) -> sympy.Expr:
    """Convert a parameter to an exact SymPy number (real-valued, possibly infinite).

    Strings are parsed exactly (``_parse_number_text``); Python floats go
    through their decimal ``repr``; SymPy numbers are kept (SymPy ``Float``
    parts are rationalized).
    """
    where = f"{family}: " if family else ""
    if isinstance(value, (bool, np.bool_)):
        raise InvalidInputError(f"{where}{key}={value!r} is not a number")
    if isinstance(value, str):
        try:
            result = _parse_number_text(value)
        except _NotANumber:
            raise InvalidInputError(
                f"{where}{key}={show_number(value)} is not a number "
                "(write e.g. 2, 0.5, 1/3, 1e-3 or sqrt(2))"
            ) from None
    elif isinstance(value, (int, np.integer)):
        result = sympy.Integer(int(value))
    elif isinstance(value, (float, np.floating)):
        as_float = float(value)
        if not math.isfinite(as_float):
            result = sympy.nan if math.isnan(as_float) else sympy.oo * int(math.copysign(1, as_float))
        else:
            result = sympy.Rational(repr(as_float))
    elif isinstance(value, Fraction):
        result = sympy.Rational(value.numerator, value.denominator)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            result = sympy.nan if value.is_nan() else (sympy.oo if value > 0 else -sympy.oo)
        else:
            result = sympy.Rational(str(value))
    elif isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr) or not value.is_number:
            raise InvalidInputError(
                f"{where}{key}={show_number(value)} is not a number (it has free symbols or is not an expression)"
            )
        result = value
        if result.has(sympy.Float):
            result = sympy.nsimplify(result, rational=True)
    else:
        raise InvalidInputError(
            f"{where}{key}={value!r} of type {type(value).__name__} is not a number "
            "(give an int, float, string or SymPy number)"
        )
    if result is sympy.nan or result.has(sympy.nan, sympy.zoo):
        return sympy.nan
    if result.is_extended_real is False or (
        result.is_extended_real is None and sympy.im(sympy.N(result, 50)) != 0
    ):
        raise InvalidInputError(f"{where}{key}={show_number(value)} must be a real number")
    return result


def sign_of(x: sympy.Expr) -> int:
    """Exact sign (-1, 0, 1) of a real SymPy number."""
    if x.is_zero:
        return 0
    if x.is_positive:
        return 1
    if x.is_negative:
        return -1
    if is_zero_number(x):
        return 0
    return 1 if sympy.N(x, 60) > 0 else -1


def is_zero_number(x: sympy.Expr) -> bool:
    """Exact test ``x == 0`` for a SymPy number (simplifying when needed)."""
    if x == 0 or x.is_zero is True:
        return True
    if x.is_zero is False or isinstance(x, sympy.Rational):
        return False
    return sympy.simplify(x) == 0


def same_number(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Exact equality of two SymPy numbers (infinities compare equal to themselves)."""
    if a == b:
        return True
    if not (a.is_finite and b.is_finite):
        return False
    return is_zero_number(a - b)


def is_finite_number(x: sympy.Expr) -> bool:
    return x is not sympy.nan and bool(x.is_finite)


#: Magnitude range of a law's parameters (scales, shifts, atoms): beyond it the sixth moments
#: (``~ scale^6``) leave the range of doubles in the numeric engines (capability read 1e300 as
#: ``kappa = inf``) and SymPy's factorisation of the derived polynomials slows to minutes.
PARAMETER_MIN, PARAMETER_MAX = sympy.Rational(1, 10**30), sympy.Integer(10**30)
_RANGE_TEXT = "with magnitude between 1e-30 and 1e30"


def _in_range(x: sympy.Expr, allow_zero: bool) -> bool:
    size = abs(x)
    if allow_zero and is_zero_number(x):
        return True
    return bool(size <= PARAMETER_MAX) and bool(size >= PARAMETER_MIN)


def positive_finite(value: Any, key: str, family: str) -> sympy.Expr:
    x = exact_number(value, key, family)
    if not is_finite_number(x) or sign_of(x) <= 0 or not _in_range(x, allow_zero=False):
        raise InvalidInputError(f"{family}: {key}={show_number(value)} must be a positive finite number {_RANGE_TEXT}")
    return x


def real_finite(value: Any, key: str, family: str) -> sympy.Expr:
    x = exact_number(value, key, family)
    if not is_finite_number(x) or not _in_range(x, allow_zero=True):
        raise InvalidInputError(f"{family}: {key}={show_number(value)} must be a finite real number, 0 or {_RANGE_TEXT}")
    return x


def values_tuple(values: Any, key: str, family: str) -> tuple[Any, ...]:
    """A parameter that must be a non-empty list of numbers, as a tuple."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        if isinstance(values, str) and values.strip():
            values = [v for v in re.split(r"[,;]", values)]
        else:
            raise InvalidInputError(f"{family}: {key}={values!r} must be a non-empty list of numbers")
    result = tuple(values)
    if not result:
        raise InvalidInputError(f"{family}: {key} must be a non-empty list of numbers, got none")
    return result


def check_probabilities(values: Any, key: str, family: str) -> tuple[sympy.Expr, ...]:
    """Exact probabilities: each in [0, 1], summing exactly to 1."""
    raw = values_tuple(values, key, family)
    probs = []
    for position, value in enumerate(raw, start=1):
        p = exact_number(value, f"{key}[{position}]", family)
        if not is_finite_number(p) or sign_of(p) < 0 or sign_of(p - 1) > 0:
            raise InvalidInputError(
                f"{family}: {key}[{position}]={show_number(value)} must be a probability in [0, 1]"
            )
        probs.append(p)
    total = sympy.Add(*probs)
    if not same_number(total, sympy.Integer(1)):
        raise InvalidInputError(
            f"{family}: {key} sum to {sympy.sstr(total)}, but must sum exactly to 1"
        )
    return tuple(probs)


def format_number(x: sympy.Expr) -> str:
    """Canonical spec text of an exact number (exact decimal where possible, else ``p/q``)."""
    if isinstance(x, sympy.Integer):
        return str(int(x))
    if isinstance(x, sympy.Rational):
        p, q = int(x.p), int(x.q)
        twos = fives = 0
        rest = q
        while rest % 2 == 0:
            rest //= 2
            twos += 1
        while rest % 5 == 0:
            rest //= 5
            fives += 1
        if rest != 1:
            return f"{p}/{q}"
        places = max(twos, fives)
        digits = str(abs(p) * (10**places // q)).rjust(places + 1, "0")
        sign = "-" if p < 0 else ""
        return f"{sign}{digits[:-places]}.{digits[-places:]}"
    return sympy.sstr(x)


# --------------------------------------------------------------------------
# Argument checks shared by all laws
# --------------------------------------------------------------------------


def as_index(value: Any, what: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise InvalidInputError(f"{what}={value!r} must be an integer")
    try:
        return int(value.__index__())
    except (AttributeError, TypeError):
        raise InvalidInputError(f"{what}={value!r} must be an integer") from None


def check_count(n: Any) -> int:
    count = as_index(n, "n")
    if count < 0:
        raise InvalidInputError(f"n={n!r} must be a non-negative integer (the number of samples)")
    return count


def check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise InvalidInputError(
            f"rng={rng!r} must be a numpy.random.Generator (use numpy.random.default_rng(seed))"
        )
    return rng


def monomial_text(indices: Sequence[int]) -> str:
    """``(0, 1, 1)`` -> ``x_{1,1} x_{1,2}^2`` (paper notation: time 1, 1-based coordinates)."""
    counts = Counter(indices)
    parts = []
    for coordinate in sorted(counts):
        power = counts[coordinate]
        parts.append(f"x_{{1,{coordinate + 1}}}" + (f"^{power}" if power > 1 else ""))
    return " ".join(parts) if parts else "1"
