"""The model file: a versioned, pickle-free ``.npz`` that the probes and sweeps load back.

Format ``mesasym-model``, version 1 (:data:`FORMAT`, :data:`VERSION`): a NumPy ``.npz``
archive (a zip of ``.npy`` arrays, read with ``allow_pickle=False``) holding

* ``__mesasym__`` -- a 0-d unicode array with one JSON object: ``format``, ``version``,
  ``model`` (the canonical model spec), ``task`` (task spec), ``d``, ``dtype``, ``seed`` (of
  the initialization), ``arrays`` (the names below, in order) and ``settings`` (the training
  settings, free-form JSON);
* one array per weight, named by its path in the model (``.blocks[0].attention.kq``, ...).

:func:`load_model` rebuilds the model from the spec and checks every array's name, shape and
dtype; it refuses, with one line naming the file, anything that is not such an archive, a
corrupt or truncated file, another ``format``, or a ``version`` newer than this one.
:func:`save_model` writes a temporary file beside the target and renames it, so a failure
leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from mesasym.errors import InvalidInputError, require
from mesasym.models.init import init_model
from mesasym.models.transformer import Model

__all__ = ["FORMAT", "VERSION", "LoadedModel", "save_model", "load_model"]

#: The ``format`` field of every model file.
FORMAT = "mesasym-model"
#: The format version this mesasym writes; it reads every version up to this one.
VERSION = 1
_HEADER = "__mesasym__"


@dataclass(frozen=True)
class LoadedModel:
    """A model read from a file, with the task spec, ``d`` and the rest of its header."""

    model: Model
    task: str
    d: int
    header: dict[str, Any]


def _named_leaves(model: Model) -> list[tuple[str, jax.Array]]:
    leaves, _ = jax.tree_util.tree_flatten_with_path(model)
    return [(jax.tree_util.keystr(path), leaf) for path, leaf in leaves]


def save_model(path: str | os.PathLike[str], model: Model, *, task: str, seed: int = 0, settings: dict | None = None) -> None:
    """Write ``model`` (trained on ``task``) to ``path`` in the format above."""
    target = Path(path)
    named = _named_leaves(model)
    header = {
        "format": FORMAT, "version": VERSION, "model": model.spec.spec(), "task": task, "d": model.layout.d,
        "dtype": model.dtype.name, "seed": int(seed), "arrays": [name for name, _ in named], "settings": settings or {},
    }
    arrays = {name: np.asarray(leaf) for name, leaf in named}
    arrays[_HEADER] = np.array(json.dumps(header))
    handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", suffix=".npz", delete=False)
    try:
        with handle:
            np.savez(handle, **arrays)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(handle.name, 0o666 & ~umask)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _read(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    require(path.is_file(), f"model file {str(path)!r} does not exist or is not a file")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as handle:
            zip_start = handle.read(4) == b"PK\x03\x04"
        if zip_start:  # a zip whose end (the central directory) is missing
            raise InvalidInputError(f"model file {str(path)!r} is corrupt or truncated (no zip directory)")
        raise InvalidInputError(f"{str(path)!r} is not a mesasym model file (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise InvalidInputError(f"model file {str(path)!r} is corrupt or truncated ({error})") from None
    if _HEADER not in arrays:
        raise InvalidInputError(f"{str(path)!r} is not a mesasym model file (no {_HEADER} header)")
    try:
        header = json.loads(str(arrays.pop(_HEADER)))
    except json.JSONDecodeError:
        raise InvalidInputError(f"model file {str(path)!r} has a corrupt header") from None
    require(isinstance(header, dict), f"model file {str(path)!r} has a corrupt header")
    return header, arrays


def load_model(path: str | os.PathLike[str]) -> LoadedModel:
    """Read a model file (module docstring); every refusal is a one-line :class:`~mesasym.errors.InvalidInputError`."""
    path = Path(path)
    header, arrays = _read(path)
    kind = header.get("format")
    require(kind == FORMAT, f"{str(path)!r} is a {kind!r} file, not a {FORMAT!r} file")
    version = header.get("version")
    require(isinstance(version, int) and version >= 1, f"model file {str(path)!r} has an invalid format version {version!r}")
    require(
        version <= VERSION,
        f"model file {str(path)!r} has format version {version}, newer than this mesasym reads ({VERSION}); upgrade mesasym",
    )
    try:
        skeleton = init_model(header["model"], header["task"], int(header["d"]), dtype=header["dtype"])
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInputError(f"model file {str(path)!r} has a corrupt header ({error})") from None
    named = _named_leaves(skeleton)
    expected = [name for name, _ in named]
    require(
        header.get("arrays") == expected and sorted(arrays) == sorted(expected),
        f"model file {str(path)!r} is corrupt: its arrays do not match the model {header['model']!r}",
    )
    for name, leaf in named:
        array = arrays[name]
        require(
            array.shape == leaf.shape and array.dtype == leaf.dtype,
            f"model file {str(path)!r} is corrupt: {name} has shape {array.shape} {array.dtype}, expected {leaf.shape} {leaf.dtype}",
        )
    _, tree = jax.tree_util.tree_flatten(skeleton)
    model = jax.tree_util.tree_unflatten(tree, [jnp.asarray(arrays[name]) for name in expected])
    return LoadedModel(model, str(header["task"]), int(header["d"]), header)
