"""Load a CLI target: ``path/to/file.py:NAME`` or ``package.module:NAME``.

``NAME`` is a callable returning ``(model_or_fn, args)`` or
``(model_or_fn, args, kwargs)``. It may carry a ``split_ops`` attribute with
the ops to split at when the command line names none.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import TargetError

__all__ = ["Target", "load_target"]


@dataclass
class Target:
    fn: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    split_ops: list[str] | None = None
    spec: str = ""


def _load_module(where: str) -> Any:
    if where.endswith(".py") or "/" in where or "\\" in where:
        path = Path(where)
        if not path.is_file():
            raise TargetError(f"target file {where!r} does not exist; give path/to/file.py:NAME")
        name = f"_splitviz_target_{abs(hash(str(path.resolve())))}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise TargetError(f"cannot import {where!r} as a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        sys.path.insert(0, str(path.resolve().parent))
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise TargetError(f"importing {where!r} failed: {type(exc).__name__}: {exc}") from exc
        finally:
            sys.path.pop(0)
        return module
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as exc:
        raise TargetError(
            f"cannot import module {where!r} ({exc}); give package.module:NAME or path/to/file.py:NAME"
        ) from exc
    except Exception as exc:
        raise TargetError(f"importing {where!r} failed: {type(exc).__name__}: {exc}") from exc


def load_target(spec: str) -> Target:
    """Import ``spec``, call its factory and check what it returned."""
    where, sep, name = spec.rpartition(":")
    if not sep or not where or not name:
        raise TargetError(f"target {spec!r} must look like path/to/file.py:NAME or package.module:NAME")
    module = _load_module(where)
    factory = getattr(module, name, None)
    if factory is None:
        public = sorted(n for n in vars(module) if not n.startswith("_") and callable(getattr(module, n)))
        raise TargetError(f"{where!r} has no attribute {name!r}; callables there: {', '.join(public) or 'none'}")
    if not callable(factory):
        raise TargetError(f"{spec!r} is a {type(factory).__name__}, not a callable returning (model, args)")
    try:
        made = factory()
    except Exception as exc:
        raise TargetError(f"calling {spec}() failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(made, tuple) or len(made) not in (2, 3):
        raise TargetError(
            f"{spec}() returned {type(made).__name__}; it must return (model_or_fn, args) or "
            "(model_or_fn, args, kwargs)"
        )
    fn, args = made[0], made[1]
    kwargs = made[2] if len(made) == 3 else {}
    if not callable(fn):
        raise TargetError(f"{spec}() returned a {type(fn).__name__} as the model; it must be callable")
    if not isinstance(args, (tuple, list)):
        args = (args,)
    if not isinstance(kwargs, dict):
        raise TargetError(f"{spec}() returned kwargs of type {type(kwargs).__name__}; it must be a dict")
    ops = getattr(factory, "split_ops", None)
    return Target(fn, tuple(args), dict(kwargs), list(ops) if ops else None, spec)
