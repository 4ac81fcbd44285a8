"""The one text-spec grammar of mesasym: laws of ``x_1``, processes, models, tasks, algorithms.

A spec is ``name``, ``name:key=value,...`` or, for a kind with a default family,
just ``key=value,...``. Names may themselves contain ``:`` (``regression:noisy``); the
longest registered name that the text starts with wins. Parameters are separated by
``,`` or ``;``; a token without ``=`` continues the previous key's list when that key
takes a list (``discrete:values=-2,1,3;probs=0.2,0.5,0.3``). Nested specs and vectors
are written in brackets (``mixture:components=[gaussian],[laplace]``,
``init=[paper:a=0.1,b=0.1]``): separators inside brackets or parentheses do not split.
Names and keys are case-insensitive; whitespace around tokens is ignored.

Every error is an :class:`~mesasym.errors.InvalidInputError` whose one-line message names
the kind of spec, the offending text and what would be valid.

This module is hand-written (not ``argparse`` or a parsing library) because the grammar
is tiny, must nest through brackets, and must give mesasym's one-line errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mesasym.errors import InvalidInputError

__all__ = ["Key", "ParsedSpec", "parse_spec", "split_top_level", "find_top_level", "unbracket"]


@dataclass(frozen=True)
class Key:
    """One parameter of a spec family.

    ``default`` is the text used when the key is omitted; ``None`` makes the key required.
    ``many`` lets the key take a list of values (continued by tokens without ``=``).
    """

    name: str
    default: str | None = None
    many: bool = False


@dataclass(frozen=True)
class ParsedSpec:
    """The family name and the raw text of each parameter (a tuple for list keys)."""

    name: str
    values: Mapping[str, str | tuple[str, ...]]
    text: str


def split_top_level(text: str, separators: str) -> list[str]:
    """Split ``text`` at ``separators`` that stand outside brackets and parentheses."""
    parts: list[str] = []
    depth, current = 0, []
    for char in text:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
            if depth < 0:
                raise InvalidInputError(f"unbalanced brackets in {text!r}")
        if char in separators and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise InvalidInputError(f"unbalanced brackets in {text!r}")
    parts.append("".join(current))
    return parts


def find_top_level(text: str, char: str) -> int:
    """Position of the first ``char`` outside brackets and parentheses, or ``-1``."""
    depth = 0
    for position, c in enumerate(text):
        if c in "[(":
            depth += 1
        elif c in "])":
            depth -= 1
        elif c == char and depth == 0:
            return position
    return -1


def unbracket(token: str, *, what: str) -> str:
    """The text inside ``[...]``; ``what`` names the parameter in the error."""
    token = token.strip()
    if not (token.startswith("[") and token.endswith("]")):
        raise InvalidInputError(f"{what}: {token!r} must be written in brackets, e.g. [{token or '...'}]")
    return token[1:-1].strip()


def _family_of(text: str, names: Sequence[str], default: str | None) -> tuple[str, str]:
    lowered = text.lower()
    for name in sorted(names, key=len, reverse=True):
        if name and lowered.startswith(name):
            after = text[len(name) :].lstrip()  # whitespace before the colon is ignored
            if not after or after.startswith(":"):
                return name, after[1:]
    head = text.split(":", 1)[0]
    if default is not None and (not text or find_top_level(head, "=") >= 0):
        return default, text
    return "", head


def parse_spec(
    spec: object,
    *,
    kind: str,
    families: Mapping[str, Sequence[Key]],
    default: str | None = None,
) -> ParsedSpec:
    """Split a spec of ``kind`` (e.g. ``"distribution"``, ``"model"``) into name and values.

    ``families`` maps each valid (lower-case) name to its keys. With ``default`` set, a
    spec that starts with ``key=value`` (or is empty) belongs to that family. Omitted keys
    take their defaults; a missing required key, an unknown or repeated key, an empty value
    or a stray token is an error that lists the valid keys.
    """
    names = ", ".join(n for n in families if n)
    if not isinstance(spec, str):
        raise InvalidInputError(f"{kind} spec {spec!r} must be a string; valid names are: {names}")
    text = spec.strip()
    name, rest = _family_of(text, list(families), default)
    if name not in families:
        raise InvalidInputError(f"unknown {kind} name {rest.strip().lower()!r} in spec {text!r}; valid names are: {names}")
    keys = {key.name: key for key in families[name]}
    label = name or kind
    valid = ", ".join(keys) if keys else f"none (this {kind} has no parameters)"

    given: dict[str, list[str]] = {}
    current: str | None = None
    if rest.strip():
        for token in split_top_level(rest, ",;"):
            token = token.strip()
            if not token:
                raise InvalidInputError(
                    f"{label}: empty parameter in {kind} spec {text!r} (check for doubled or trailing separators)"
                )
            equals = find_top_level(token, "=")
            if equals < 0:
                if current is None or not keys[current].many:
                    raise InvalidInputError(
                        f"{label}: {token!r} in {kind} spec {text!r} is not of the form key=value; valid keys are: {valid}"
                    )
                given[current].append(token)
                continue
            key, value = token[:equals].strip().lower(), token[equals + 1 :].strip()
            if key not in keys:
                raise InvalidInputError(f"{label}: unknown key {key!r} in {kind} spec {text!r}; valid keys are: {valid}")
            if key in given:
                raise InvalidInputError(f"{label}: key {key!r} is given twice in {kind} spec {text!r}")
            if not value:
                raise InvalidInputError(f"{label}: key {key!r} has no value in {kind} spec {text!r}")
            given[key] = [value]
            current = key

    values: dict[str, str | tuple[str, ...]] = {}
    for key in keys.values():
        if key.name in given:
            tokens = given[key.name]
            if not key.many and len(tokens) > 1:
                raise InvalidInputError(f"{label}: key {key.name!r} takes one value, got {len(tokens)}: {', '.join(tokens)}")
            values[key.name] = tuple(tokens) if key.many else tokens[0]
        elif key.default is not None:
            values[key.name] = key.default
        else:
            raise InvalidInputError(f"{label}: missing key {key.name!r} in {kind} spec {text!r}; valid keys are: {valid}")
    return ParsedSpec(name, values, text)
