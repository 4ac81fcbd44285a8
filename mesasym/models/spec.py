"""Model specs: ``layers=2,heads=2,attention=softmax,mlp=gelu,norm=layer,init=[random:scale=0.1]``.

Parsed with :func:`mesasym.specs.parse_spec`. A spec is ``paper`` (the paper's one-layer
linear model, the default), or ``transformer:key=value,...``, or just ``key=value,...``
(the ``transformer`` family, whose defaults are the paper's model):

* ``layers`` -- integer 1..64 (1): number of blocks;
* ``heads`` -- integer 1..64 (1): attention heads per block, each with its own
  ``width x width`` matrices ``W^KQ``, ``W^PV``;
* ``attention`` -- ``linear`` (default; the paper's, normalised by
  :math:`\\rho_t = \\max(t-1, 1)`) or ``softmax`` (of real scores, ``score``);
* ``score`` -- ``real`` (default) or ``modulus``: the softmax score is
  :math:`\\operatorname{Re}` or :math:`|\\cdot|` of :math:`e_i^* W^{KQ} e_t`, divided by
  :math:`\\sqrt{\\text{width}}`;
* ``mlp`` -- ``none`` (default), ``relu`` or ``gelu``: a two-layer MLP after the attention;
* ``mlp_width`` -- integer (default ``4 width``): its hidden width;
* ``norm`` -- ``none`` (default) or ``layer``: pre-norm LayerNorm before attention and MLP;
* ``width`` -- integer (default the task's minimum): embedding width, extra coordinates zero;
* ``shared`` -- ``true`` or ``false`` (default): one set of weights for every layer;
* ``init`` -- ``[paper:a=..,b=..]`` (default ``a = b = 0.1``), ``[random:scale=..]`` or
  ``ones``: the initial weights (:mod:`mesasym.models.init`).

Extending the registry: :func:`register_key` adds a key to the ``transformer`` family (its
value lands in ``ModelSpec.options``), :data:`mesasym.models.init.INITIALIZERS` takes new
``init`` families; a hand-built model such as ``construction=gd,steps=K`` is one of each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from mesasym.errors import require
from mesasym.specs import Key, parse_spec

__all__ = ["ModelSpec", "InitSpec", "parse_model", "parse_init", "register_key", "INIT_KEYS", "PAPER"]

MAX_LAYERS = 64
MAX_HEADS = 64
MAX_WIDTH = 4096

#: init families and their keys; :mod:`mesasym.models.init` holds the builders.
INIT_KEYS: dict[str, tuple[Key, ...]] = {
    "paper": (Key("a", "0.1"), Key("b", "0.1")),
    "random": (Key("scale", "0.1"),),
    "ones": (),
}

_KEYS: list[Key] = [
    Key("layers", "1"),
    Key("heads", "1"),
    Key("attention", "linear"),
    Key("score", "real"),
    Key("mlp", "none"),
    Key("mlp_width", "auto"),
    Key("norm", "none"),
    Key("width", "auto"),
    Key("shared", "false"),
    Key("init", "[paper]"),
]
_BUILTIN = {key.name for key in _KEYS}
_CHECKS: dict[str, Callable[[str], str]] = {}


def _joined(value: str | tuple[str, ...]) -> str:
    """The text of a parsed value: a list key's values joined by ``,`` (so the spec reads back)."""
    return ",".join(value) if isinstance(value, tuple) else str(value)


def register_key(key: Key, check: Callable[[str], str] | None = None) -> None:
    """Add ``key`` to the ``transformer`` family; ``check`` normalises (or rejects) its value.

    The parsed value is in ``ModelSpec.options`` under ``key.name``. Registering a name
    twice is allowed when it is the same key (module reloads).
    """
    existing = next((k for k in _KEYS if k.name == key.name), None)
    require(existing is None or existing == key, f"model key {key.name!r} is already registered differently")
    if existing is None:
        _KEYS.append(key)
    if check is not None:
        _CHECKS[key.name] = check


@dataclass(frozen=True)
class InitSpec:
    """The initial weights: ``name`` (``paper``, ``random``, ``ones``, ...) and its numbers."""

    name: str = "paper"
    values: tuple[tuple[str, float], ...] = (("a", 0.1), ("b", 0.1))

    def __getitem__(self, key: str) -> float:
        return dict(self.values)[key]

    def spec(self) -> str:
        inner = ",".join(f"{k}={v!r}" for k, v in self.values)
        return self.name + (":" + inner if inner else "")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec (module docstring); ``width``/``mlp_width`` ``None`` mean automatic."""

    layers: int = 1
    heads: int = 1
    attention: str = "linear"
    score: str = "real"
    mlp: str = "none"
    mlp_width: int | None = None
    norm: str = "none"
    width: int | None = None
    shared: bool = False
    init: InitSpec = field(default_factory=InitSpec)
    options: tuple[tuple[str, str], ...] = ()

    @property
    def is_paper(self) -> bool:
        """The paper's architecture: one linear head, no MLP, no norm, the minimal width, every
        registered extra key at its default (any init)."""
        defaults = {key.name: key.default for key in _KEYS}
        plain = all(value == defaults.get(name) for name, value in self.options)
        return plain and (self.layers, self.heads, self.attention, self.mlp, self.norm, self.width) == (1, 1, "linear", "none", "none", None)

    def option(self, name: str) -> str | None:
        """The value of a registered extra key (:func:`register_key`)."""
        return dict(self.options).get(name)

    def spec(self) -> str:
        """The canonical text (every key, parses back to an equal spec)."""
        parts = [
            f"layers={self.layers}", f"heads={self.heads}", f"attention={self.attention}", f"score={self.score}",
            f"mlp={self.mlp}", f"mlp_width={'auto' if self.mlp_width is None else self.mlp_width}",
            f"norm={self.norm}", f"width={'auto' if self.width is None else self.width}",
            f"shared={str(self.shared).lower()}", f"init=[{self.init.spec()}]",
        ]
        parts += [f"{k}={v}" for k, v in self.options]
        return "transformer:" + ",".join(parts)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields (``init`` as its spec text)."""
        return {
            "layers": self.layers, "heads": self.heads, "attention": self.attention, "score": self.score,
            "mlp": self.mlp, "mlp_width": self.mlp_width, "norm": self.norm, "width": self.width,
            "shared": self.shared, "init": self.init.spec(), **dict(self.options), "spec": self.spec(),
        }


#: The paper's model with its default start ``a = b = 0.1``.
PAPER = ModelSpec()


def _integer(text: str, key: str, low: int, high: int, spec: str) -> int:
    require(text.isdigit() and low <= int(text) <= high, f"model {spec!r}: {key}={text} must be an integer in [{low}, {high}]")
    return int(text)


def _choice(text: str, key: str, choices: tuple[str, ...], spec: str) -> str:
    value = text.lower()
    require(value in choices, f"model {spec!r}: {key}={text} is not valid; valid values are: {', '.join(choices)}")
    return value


def _number(text: str, key: str, spec: str, positive: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    ok = value == value and abs(value) != float("inf") and (value > 0 or not positive)
    require(ok, f"init {spec!r}: {key}={text} must be a finite number{' > 0' if positive else ''}")
    return value


def parse_init(spec: str) -> InitSpec:
    """An ``init`` value (``paper:a=0.5,b=1.5``, ``random:scale=0.02``, ``ones``), brackets optional."""
    text = spec.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    parsed = parse_spec(text, kind="init", families=INIT_KEYS, default="paper")
    values = tuple((k, _number(str(v), k, parsed.text, positive=(k == "scale"))) for k, v in parsed.values.items())
    return InitSpec(parsed.name, values)


def parse_model(spec: str | ModelSpec | None = None) -> ModelSpec:
    """The :class:`ModelSpec` of a text spec (``None``, ``""`` and ``paper``: the paper's model).

    >>> parse_model("layers=2,attention=softmax").layers
    2
    >>> parse_model("paper:a=0.5,b=1.5").init.spec()
    'paper:a=0.5,b=1.5'
    """
    if isinstance(spec, ModelSpec):
        return spec
    families: Mapping[str, tuple[Key, ...]] = {"transformer": tuple(_KEYS), "paper": INIT_KEYS["paper"]}
    parsed = parse_spec("" if spec is None else spec, kind="model", families=families, default="transformer")
    text, v = parsed.text, parsed.values
    if parsed.name == "paper":
        return replace(PAPER, init=parse_init("paper:" + ",".join(f"{k}={x}" for k, x in v.items())))

    def auto(key: str, low: int, high: int) -> int | None:
        value = str(v[key])
        return None if value.lower() == "auto" else _integer(value, key, low, high, text)

    options = tuple((k.name, _CHECKS.get(k.name, str)(_joined(v[k.name]))) for k in _KEYS if k.name not in _BUILTIN)
    return ModelSpec(
        layers=_integer(str(v["layers"]), "layers", 1, MAX_LAYERS, text),
        heads=_integer(str(v["heads"]), "heads", 1, MAX_HEADS, text),
        attention=_choice(str(v["attention"]), "attention", ("linear", "softmax"), text),
        score=_choice(str(v["score"]), "score", ("real", "modulus"), text),
        mlp=_choice(str(v["mlp"]), "mlp", ("none", "relu", "gelu"), text),
        mlp_width=auto("mlp_width", 1, MAX_WIDTH),
        norm=_choice(str(v["norm"]), "norm", ("none", "layer"), text),
        width=auto("width", 1, MAX_WIDTH),
        shared=_choice(str(v["shared"]), "shared", ("true", "false"), text) == "true",
        init=parse_init(str(v["init"])),
        options=options,
    )
