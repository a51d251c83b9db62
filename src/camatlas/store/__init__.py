"""Storage backends of an atlas.

An atlas is kept by a :class:`Store`. The embedded default is one GeoPackage
file (:mod:`camatlas.store.gpkg`); a shared PostgreSQL/PostGIS server plugs in
behind the same protocol, chosen by URL in :func:`open_store`.

The protocol is deliberately small: the store writes and reads rows and keeps
transactions; everything that decides *what* to write (normalization, linking
of duplicates, statistics) lives above it in :mod:`camatlas.atlas`, so both
backends give the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd

from camatlas.camera import Camera
from camatlas.sources import Area, Building, Street

SCHEMA_VERSION = 1
"""Version of the atlas schema this camatlas writes; newer atlases are refused."""

LAYERS = ("cameras", "streets", "buildings", "areas")
"""Feature layers of an atlas (all in WGS 84, EPSG:4326)."""


# Columns of each layer besides the geometry, shared by every backend so that
# both hold the same atlas. Types are abstract: text, real, integer, boolean.
LAYER_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "cameras": (
        ("id", "text"),
        ("physical_id", "text"),
        ("kind", "text"),
        ("camera_type", "text"),
        ("mount", "text"),
        ("zone", "text"),
        ("surveillance", "text"),
        ("directions", "text"),
        ("direction_known", "boolean"),
        ("width_deg", "real"),
        ("range_m", "real"),
        ("height_m", "real"),
        ("tilt_deg", "real"),
        ("operator", "text"),
        ("manufacturer", "text"),
        ("name", "text"),
        ("source", "text"),
        ("source_id", "text"),
        ("source_timestamp", "text"),
        ("tags", "text"),
    ),
    "streets": (
        ("id", "text"),
        ("highway", "text"),
        ("name", "text"),
        ("oneway", "text"),
        ("nodes", "text"),
        ("source", "text"),
        ("tags", "text"),
    ),
    "buildings": (
        ("id", "text"),
        ("building", "text"),
        ("height_m", "real"),
        ("levels", "real"),
        ("source", "text"),
        ("tags", "text"),
    ),
    "areas": (
        ("id", "text"),
        ("name", "text"),
        ("admin_level", "integer"),
        ("population", "real"),
        ("source", "text"),
        ("tags", "text"),
    ),
}

GEOMETRY_TYPES = {
    "cameras": "POINT",
    "streets": "LINESTRING",
    "buildings": "MULTIPOLYGON",
    "areas": "MULTIPOLYGON",
}
"""Geometry type of each layer (polygons are always stored as MultiPolygons)."""

TABLE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "sources": (
        ("path", "text"),
        ("format", "text"),
        ("source", "text"),
        ("sha256", "text"),
        ("imported_at", "text"),
        ("cameras", "integer"),
        ("streets", "integer"),
        ("buildings", "integer"),
        ("areas", "integer"),
        ("problems", "integer"),
        ("rejected", "integer"),
        ("options", "text"),
    ),
    "normalization_report": (
        ("source_fid", "integer"),
        ("key", "text"),
        ("value", "text"),
        ("reason", "text"),
        ("count", "integer"),
        ("example_ids", "text"),
    ),
    "camera_links": (
        ("camera_a", "text"),
        ("camera_b", "text"),
        ("distance_m", "real"),
    ),
    "results": (
        ("name", "text"),
        ("geometry_type", "text"),
        ("rows", "integer"),
        ("parameters", "text"),
        ("created_at", "text"),
    ),
}
"""Non-spatial tables of an atlas."""

BBox = tuple[float, float, float, float]
"""(west, south, east, north) in degrees of longitude and latitude."""


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One import of one input, as kept in the ``sources`` table."""

    path: str
    format: str
    source: str
    sha256: str
    imported_at: str
    cameras: int
    streets: int
    buildings: int
    areas: int
    problems: int
    rejected: int
    options: str = "{}"


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One line of the normalization report: a tag value met ``count`` times."""

    key: str
    value: str
    reason: str
    count: int
    example_ids: str


@dataclass(frozen=True, slots=True)
class Link:
    """Two cameras from different sources taken to be one physical camera."""

    camera_a: str
    camera_b: str
    distance_m: float


class Store(Protocol):
    """What an atlas backend provides. All coordinates are WGS 84 lon/lat."""

    url: str

    def transaction(self) -> AbstractContextManager[None]:
        """A write transaction: everything inside lands together or not at all."""
        ...

    def has_source(self, sha256: str) -> bool:
        """Whether an input with this SHA-256 was already imported."""
        ...

    def add_source(self, record: SourceRecord, report: Sequence[ReportRow]) -> int:
        """Record one import and its normalization report; return its id."""
        ...

    def upsert_cameras(self, cameras: Sequence[Camera]) -> None: ...

    def upsert_streets(self, streets: Sequence[Street]) -> None: ...

    def upsert_buildings(self, buildings: Sequence[Building]) -> None: ...

    def upsert_rows(self, layer: str, frame: gpd.GeoDataFrame) -> None:
        """Upsert rows of ``layer`` given as :meth:`read_layer` returns them.

        Every column is written verbatim, ``physical_id`` included: this is how
        ``camatlas copy`` moves an atlas between backends without loss.
        """
        ...

    def upsert_areas(self, areas: Sequence[Area]) -> None: ...

    def camera_points(self, bbox: BBox | None = None) -> pd.DataFrame:
        """Columns ``id, lon, lat, kind, source`` of the cameras in ``bbox``."""
        ...

    def replace_links(self, camera_ids: Sequence[str], links: Sequence[Link]) -> None:
        """Drop the links touching ``camera_ids``, then add ``links``."""
        ...

    def links(self) -> pd.DataFrame:
        """All links: ``camera_a, camera_b, distance_m``."""
        ...

    def set_physical_ids(self, mapping: dict[str, str]) -> None:
        """Set ``physical_id`` of the cameras named in ``mapping``."""
        ...

    def read_layer(self, layer: str, bbox: BBox | None = None) -> gpd.GeoDataFrame: ...

    def read_table(self, table: str) -> pd.DataFrame:
        """A non-spatial table: ``sources``, ``normalization_report`` or ``camera_links``."""
        ...

    def count(self, layer: str) -> int: ...

    def layer_columns(self, layer: str, columns: Sequence[str]) -> pd.DataFrame:
        """Some attribute columns of a layer, without geometry (for counts and statistics)."""
        ...

    def write_result(
        self,
        name: str,
        frame: pd.DataFrame,
        parameters: dict[str, Any],
        *,
        created_at: str | None = None,
    ) -> None:
        """Replace the result layer ``name`` with ``frame`` and record its parameters.

        A GeoDataFrame (WGS 84) becomes a feature layer, a plain DataFrame an
        attribute table. Column types: text, real, integer and boolean.
        ``created_at`` (ISO 8601, UTC) defaults to now; copies keep the original.
        Must be called inside :meth:`transaction`.
        """
        ...

    def result_columns(self, name: str) -> list[tuple[str, str]]:
        """(column, kind) of the result layer ``name`` besides its geometry.

        Kinds are ``text``, ``real``, ``integer`` or ``boolean``, as declared
        when the layer was written (a column read back with missing values
        may otherwise not show its kind).
        """
        ...

    def read_result(self, name: str, bbox: BBox | None = None) -> pd.DataFrame:
        """A result layer (GeoDataFrame when it has geometry); ``bbox`` filters features."""
        ...

    def results(self) -> pd.DataFrame:
        """Every result layer: ``name, geometry_type, rows, parameters, created_at``."""
        ...

    def close(self) -> None: ...


def open_store(url: str | Path, *, create: bool = True) -> Store:
    """Open (or create) the store at ``url``: a ``.gpkg`` path or a ``postgresql://`` URL."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        # Imported here: psycopg is only loaded for atlases on a server.
        from camatlas.store.postgis import PostGISStore

        return PostGISStore(text, create=create)
    from camatlas.store.gpkg import GeoPackageStore

    return GeoPackageStore(Path(text), create=create)
