"""Modules imported when first used, so that a command loads only the libraries it needs.

pandas, geopandas, pyproj, scipy and pyogrio take most of a cold command's start-up
(about 0.3 s for pandas and geopandas together, 0.3 s for scipy's sparse graphs on a
2-core machine), and most commands use only some of them. A module that needs one
writes::

    if TYPE_CHECKING:
        import geopandas as gpd
    else:
        gpd = lazy_module("geopandas")

and the library is imported the first time an attribute of ``gpd`` is read; type
checkers see the real module.

>>> json = lazy_module("json")
>>> json.dumps([1])
'[1]'
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule(ModuleType):
    """Stands for a module until one of its attributes is read, then imports it."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # keeps copy, pickle and doctest probes from importing
        value = getattr(importlib.import_module(self.__name__), name)
        setattr(self, name, value)  # read once: later reads are plain attribute reads
        return value

    def __repr__(self) -> str:
        return f"<module {self.__name__!r}, imported when first used>"


def lazy_module(name: str) -> ModuleType:
    """The module ``name`` (dotted), imported when one of its attributes is first read."""
    return _LazyModule(name)
