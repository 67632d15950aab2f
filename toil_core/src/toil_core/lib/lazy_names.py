"""PEP 562 hooks for facade modules whose names are imported from their homes on first use.

The upstream-named facades (``toil``, ``toil.common``) are imported by every workflow script; this
keeps them cheap while ``toil.common.Toil`` or ``toil.applianceSelf`` still give the real objects.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Dict, List, Tuple

__all__ = ["lazy_names"]


def lazy_names(facade_name: str, homes: Dict[str, Tuple[str, str]]
               ) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    """The PEP 562 ``__getattr__`` and ``__dir__`` of the facade module ``facade_name`` whose
    names are ``homes`` (name -> (home module, name there)), each imported on first use."""

    def __getattr__(name: str) -> Any:
        """``<facade>.<name>``: imports the name's home module, then keeps the value in the facade
        module so the next access is an ordinary attribute read."""
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {facade_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home[0]), home[1])
        facade = sys.modules.get(facade_name)
        if facade is not None:
            setattr(facade, name, value)
        return value

    def __dir__() -> List[str]:
        """The facade's names, imported or not yet."""
        facade = sys.modules.get(facade_name)
        return sorted(set(vars(facade) if facade is not None else ()) | set(homes))

    return __getattr__, __dir__
