"""Safe arithmetic expressions for sweep templates and derived columns.

An expression is parsed with :mod:`ast` and only these nodes are evaluated:
numbers, names (looked up in a mapping), dotted names such as
``numeric.ab`` (looked up as the column ``"numeric.ab"``), the operators
``+ - * / ** %`` and unary ``+ -``, parentheses, and the calls ``abs``,
``min``, ``max``, ``sqrt``, ``log``, ``log10``, ``exp``. Nothing else (no
attribute access on objects, no subscripts, no other calls): a template can
never run arbitrary code. A column whose name has a ``-`` (e.g. the check
``checks.numeric-ab.value``) is written with ``_`` (``checks.numeric_ab.value``).

Integers and decimals are read exactly (:class:`fractions.Fraction`), so
``{v/(1+v)}`` at ``v = 2`` is ``2/3``, not ``0.666...``; a float enters only
through a float value (e.g. a result column) or one of the functions.
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from mesasym.errors import InvalidInputError

Number = int | float | Fraction

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "min": min,
    "max": max,
    "sqrt": lambda x: math.sqrt(x),
    "log": lambda x: math.log(x),
    "log10": lambda x: math.log10(x),
    "exp": lambda x: math.exp(x),
}


def exact(value: Any) -> Any:
    """``value`` as an exact :class:`Fraction` when it is an int or a decimal float; else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float) and math.isfinite(value):
        return Fraction(repr(value))
    return value


def parse(text: str, where: str) -> ast.expr:
    """Parse ``text`` as an expression, checking every node; ``where`` names it in errors."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise InvalidInputError(f"{where}: {text!r} is not an arithmetic expression") from None
    for node in ast.walk(tree):
        allowed = (
            ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.Attribute, ast.Call,
            *_BINARY, *_UNARY,
        )
        if not isinstance(node, allowed):
            raise InvalidInputError(
                f"{where}: {text!r} uses {type(node).__name__}; allowed are numbers, names, + - * / ** %, "
                f"parentheses and {', '.join(sorted(_FUNCTIONS))}"
            )
        if isinstance(node, ast.Constant) and (isinstance(node.value, bool) or not isinstance(node.value, (int, float))):
            raise InvalidInputError(f"{where}: {text!r} contains the constant {node.value!r}; only numbers are allowed")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS):
            raise InvalidInputError(f"{where}: {text!r} calls something other than {', '.join(sorted(_FUNCTIONS))}")
        if isinstance(node, ast.Attribute) and _dotted(node) is None:
            raise InvalidInputError(f"{where}: {text!r}: only dotted column names like numeric.ab are allowed")
    return tree.body


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def names(tree: ast.expr) -> set[str]:
    """The (dotted) names an expression reads."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _dotted(node) is not None:
            out.add(_dotted(node))  # type: ignore[arg-type]
        elif isinstance(node, ast.Name) and not _is_function_name(tree, node):
            out.add(node.id)
    # a dotted name's head is not a name of its own
    return {n for n in out if not any(o != n and o.startswith(n + ".") for o in out)}


def _is_function_name(tree: ast.expr, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(tree))


def evaluate(tree: ast.expr, values: Mapping[str, Any], where: str) -> Any:
    """Evaluate a checked expression tree; names are looked up in ``values`` (read exactly)."""

    underscored = {k.replace("-", "_"): k for k in values if "-" in k}

    def ev(node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return exact(node.value)
        if isinstance(node, (ast.Name, ast.Attribute)):
            key = _dotted(node)
            if key not in values:
                key = underscored.get(key, key)
            if key not in values:
                near = difflib.get_close_matches(key, list(values), n=5, cutoff=0.5)
                raise InvalidInputError(f"{where}: unknown name {key!r} (close: {', '.join(near) or 'none'})")
            value = values[key]
            if value is None:
                return None
            if isinstance(value, str):
                try:
                    return Fraction(value)
                except (ValueError, ZeroDivisionError):
                    raise InvalidInputError(f"{where}: {key} = {value!r} is not a number") from None
            return exact(value)
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Pow) and isinstance(right, Fraction) and right.denominator != 1:
                return float(left) ** float(right)
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp):
            operand = ev(node.operand)
            return None if operand is None else _UNARY[type(node.op)](operand)
        if isinstance(node, ast.Call):
            args = [ev(a) for a in node.args]
            if any(a is None for a in args):
                return None
            return _FUNCTIONS[node.func.id](*args)  # type: ignore[union-attr]
        raise AssertionError(type(node))  # excluded by parse()

    try:
        return ev(tree)
    except ZeroDivisionError:
        raise InvalidInputError(f"{where}: division by zero at {dict(values)}") from None
    except (ValueError, OverflowError, TypeError) as error:
        raise InvalidInputError(f"{where}: cannot evaluate ({error})") from None


def text(value: Any) -> str:
    """A number as option text: exact fractions as ``p/q``, integers plain, floats in shortest form."""
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def as_float(value: Any) -> Any:
    """A Fraction as a float (for table columns); anything else unchanged."""
    return float(value) if isinstance(value, Fraction) else value
