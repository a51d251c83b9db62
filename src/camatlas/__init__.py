"""camatlas: an open atlas of surveillance cameras.

The public API, as a user writes it::

    import camatlas

    atlas = camatlas.open_atlas("city.gpkg")             # created when missing
    atlas.import_file("city.osm.pbf")                    # one transaction
    views = camatlas.sight(atlas)                        # SightResult
    coverage = camatlas.measure(atlas, by="h3:9")        # MeasureResult
    routes = camatlas.least_watched(atlas, (41.150, -8.612), (41.151, -8.608))
    track = camatlas.exposure(atlas, "walk.gpx")         # ExposureResult
    atlas.results()                                      # the result layers and what made them

It maps infrastructure, never people. Every figure counts known cameras only.

The names below are loaded when first used, so that ``import camatlas`` (and the
command line's ``--help``) stay quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from camatlas.errors import (
    AtlasError,
    CamatlasError,
    FetchError,
    FormatError,
    InputError,
    NotFoundError,
)
from camatlas.vocab import OSM_ATTRIBUTION

__version__ = "0.1.0"

if TYPE_CHECKING:
    from camatlas.assumptions import SightParameters
    from camatlas.atlas import (
        Atlas,
        ImportSummary,
        copy_atlas,
        fetch_overpass,
        import_files,
        open_atlas,
    )
    from camatlas.pipelines.measure import MeasureParameters, MeasureResult, measure
    from camatlas.pipelines.route import (
        RouteParameters,
        RouteResult,
        StoredGraph,
        exposure,
        least_watched,
        store_graphs,
    )
    from camatlas.pipelines.sight import SightResult, sight
    from camatlas.records import Camera, Direction, TagProblem
    from camatlas.route.exposure import ExposureResult
    from camatlas.route.network import RouteOption
    from camatlas.sources import read_file
    from camatlas.sources.table import TableOptions
    from camatlas.sources.tracks import parse_track
    from camatlas.stats import AtlasStats
    from camatlas.tags import camera_from_tags, parse_direction
    from camatlas.vendors import Registry, load_registry

_LAZY = {
    "Atlas": "camatlas.atlas",
    "ImportSummary": "camatlas.atlas",
    "copy_atlas": "camatlas.atlas",
    "fetch_overpass": "camatlas.atlas",
    "import_files": "camatlas.atlas",
    "open_atlas": "camatlas.atlas",
    "AtlasStats": "camatlas.stats",
    "Registry": "camatlas.vendors",
    "load_registry": "camatlas.vendors",
    "read_file": "camatlas.sources",
    "parse_track": "camatlas.sources.tracks",
    "TableOptions": "camatlas.sources.table",
    "SightParameters": "camatlas.assumptions",
    "SightResult": "camatlas.pipelines.sight",
    "sight": "camatlas.pipelines.sight",
    "MeasureParameters": "camatlas.pipelines.measure",
    "MeasureResult": "camatlas.pipelines.measure",
    "measure": "camatlas.pipelines.measure",
    "RouteParameters": "camatlas.pipelines.route",
    "RouteResult": "camatlas.pipelines.route",
    "least_watched": "camatlas.pipelines.route",
    "exposure": "camatlas.pipelines.route",
    "store_graphs": "camatlas.pipelines.route",
    "StoredGraph": "camatlas.pipelines.route",
    "ExposureResult": "camatlas.route.exposure",
    "RouteOption": "camatlas.route.network",
    "Camera": "camatlas.records",
    "Direction": "camatlas.records",
    "TagProblem": "camatlas.records",
    "camera_from_tags": "camatlas.tags",
    "parse_direction": "camatlas.tags",
}
"""Public name -> the module that defines it."""

__all__ = [
    "OSM_ATTRIBUTION",
    "Atlas",
    "AtlasError",
    "AtlasStats",
    "CamatlasError",
    "Camera",
    "Direction",
    "ExposureResult",
    "FetchError",
    "FormatError",
    "ImportSummary",
    "InputError",
    "MeasureParameters",
    "MeasureResult",
    "NotFoundError",
    "Registry",
    "RouteOption",
    "RouteParameters",
    "RouteResult",
    "SightParameters",
    "SightResult",
    "StoredGraph",
    "TableOptions",
    "TagProblem",
    "__version__",
    "camera_from_tags",
    "copy_atlas",
    "exposure",
    "fetch_overpass",
    "import_files",
    "least_watched",
    "load_registry",
    "measure",
    "open_atlas",
    "parse_direction",
    "parse_track",
    "read_file",
    "sight",
    "store_graphs",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'camatlas' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
