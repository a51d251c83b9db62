"""Modules imported when first used, so that a command loads only the libraries it needs.

pandas, geopandas, pyproj, scipy and pyogrio take most of a cold command's start-up
(about 0.3 s for pandas and geopandas together, 0.3 s for scipy's sparse graphs on a
2-core machine), and most commands use only some of them. The libraries camatlas
uses this way are bound here once, under the names the code uses for them::

    from camatlas.lazy import gpd, pd

and each is imported the first time an attribute of it is read; type checkers see
the real modules.

>>> json = lazy_module("json")
>>> json.dumps([1])
'[1]'
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

__all__ = ["csgraph", "gpd", "h3", "lazy_module", "pd", "pyogrio", "pyproj", "sp"]


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


if TYPE_CHECKING:
    import geopandas as gpd
    import h3
    import pandas as pd
    import pyogrio
    import pyproj
    import scipy.sparse as sp
    import scipy.sparse.csgraph as csgraph
else:
    gpd = lazy_module("geopandas")
    h3 = lazy_module("h3")
    pd = lazy_module("pandas")
    pyogrio = lazy_module("pyogrio")
    pyproj = lazy_module("pyproj")
    sp = lazy_module("scipy.sparse")
    csgraph = lazy_module("scipy.sparse.csgraph")
