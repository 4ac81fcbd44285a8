"""Resolve Python cross-references to mesasym objects through their canonical names.

mesasym's packages re-export names (``mesasym.laws.Gaussian`` is defined in
``mesasym.laws.families``), docstrings of inherited methods name sibling methods by
their short name, and a few annotations are only importable under ``TYPE_CHECKING``
(the layering rules forbid the runtime import). The API reference documents every
object once, where it is defined; this extension maps such a reference to that
definition. It only ever resolves to an object that the reference really documents,
so a reference to a missing object still fails the nitpicky build.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

_ROOT = "mesasym"


def _lookup(path: str) -> Any:
    """The object at dotted ``path`` (module, then attributes), or ``None``."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for name in parts[split:]:
                obj = inspect.getattr_static(obj, name)
        except AttributeError:
            return None
        return obj
    return None


def _canonical(obj: Any) -> str | None:
    """``module.qualname`` of a class, function, method or property."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str) and "<locals>" not in qualname:
        return f"{module}.{qualname}"
    return None


def _annotated_attribute(path: str) -> str | None:
    """``module.Class.attr`` for an instance attribute declared by annotation only
    (e.g. a dataclass field without default), looked up along the class's MRO."""
    owner_path, _, attr = path.rpartition(".")
    owner = _lookup(owner_path) if owner_path else None
    if not inspect.isclass(owner):
        return None
    for klass in owner.__mro__:
        if attr in getattr(klass, "__annotations__", {}):
            base = _canonical(klass)
            return f"{base}.{attr}" if base else None
    return None


def _candidates(target: str, module: str | None, klass: str | None) -> list[str]:
    out = [target]
    if module:
        if klass:
            out.insert(0, f"{module}.{klass}.{target}")
        out.append(f"{module}.{target}")
    return out


def _resolve(env: BuildEnvironment, node: pending_xref) -> str | None:
    """The documented full name that ``node`` refers to, or ``None``."""
    objects = env.get_domain("py").objects
    target = node["reftarget"].lstrip(".~")
    module, klass = node.get("py:module"), node.get("py:class")
    for path in _candidates(target, module, klass):
        if not path.startswith(_ROOT + "."):
            continue
        obj = _lookup(path)
        if obj is None:
            name = _annotated_attribute(path)
            if name in objects:
                return name
            continue
        name = _canonical(obj)
        if name in objects:
            return name
        # data (numbers, strings, tuples): find the documented name bound to this object
        last = path.rsplit(".", 1)[-1]
        for full in objects:
            if full.rsplit(".", 1)[-1] == last and _lookup(full) is obj:
                return full
    # a name imported only under TYPE_CHECKING (annotations) or through a module alias
    # (``ms.Case``): the one documented mesasym object whose name ends with the target
    if (module or "").startswith(_ROOT):
        found = [
            full for full in objects
            if full.startswith(_ROOT + ".") and full.endswith("." + target)
        ]
        if len(found) == 1:
            return found[0]
    return None


def _external(node: pending_xref) -> bool:
    """Whether the reference names an object of another package that really exists.

    (Resolved by importing it, in the context of the referring module, so ``np.ndarray``
    in an annotation of a module that imports ``numpy as np`` counts.) There is no
    intersphinx (the build works offline), so such a reference is shown unlinked.
    """
    target = node["reftarget"].lstrip(".~")
    module = node.get("py:module")
    for path in _candidates(target, module, None):
        obj = _lookup(path)
        if obj is None or (path == target and not _importable_root(target)):
            continue
        owner = obj.__name__ if inspect.ismodule(obj) else getattr(obj, "__module__", None)
        if isinstance(owner, str) and owner.split(".")[0] not in (_ROOT, "builtins"):
            return True
    return False


def _importable_root(path: str) -> bool:
    try:
        importlib.import_module(path.split(".")[0])
    except ImportError:
        return False
    return True


def _missing_reference(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.Element
) -> nodes.Element | None:
    if node.get("refdomain") != "py":
        return None
    name = _resolve(env, node)
    if name is None:
        return contnode if _external(node) else None
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, "obj", name, node, contnode
    )


def _dataclass_factories(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None] | None:
    """Show a dataclass field's ``default_factory`` as ``factory()`` instead of ``<factory>``.

    (Sphinx cannot parse the signature ``inspect`` gives, ``x: dict[str, Any] = <factory>``.)
    """
    if not signature or "<factory>" not in signature or not dataclasses.is_dataclass(obj):
        return None
    for field in dataclasses.fields(obj):
        if field.default_factory is not dataclasses.MISSING:
            factory = getattr(field.default_factory, "__name__", "factory")
            signature = signature.replace("<factory>", f"{factory}()", 1)
    return signature, return_annotation


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("missing-reference", _missing_reference)
    app.connect("autodoc-process-signature", _dataclass_factories)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
