"""The tables of an atlas: the columns of each layer and table, shared by every backend.

Both backends hold the same atlas: the same layers with the same columns in the
same order, the same attribute tables, and a schema version that a newer
camatlas may migrate but an older one refuses. Column types are abstract:
``text``, ``real``, ``integer``, ``boolean``.
"""

from __future__ import annotations

from camatlas.vocab import LAYERS

__all__ = [
    "BOOLEAN_COLUMNS",
    "GEOMETRY_TYPES",
    "LAYERS",
    "LAYER_COLUMNS",
    "LAYER_DESCRIPTIONS",
    "MIGRATIONS",
    "RESERVED_NAMES",
    "SCHEMA_VERSION",
    "TABLE_COLUMNS",
]

SCHEMA_VERSION = 2
"""Version of the atlas schema this camatlas writes; newer atlases are refused, older ones
migrated (:data:`MIGRATIONS`).

Version 2 added ``areas.partial``: areas cut by the edge of their file, kept clipped to it."""

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
        # Added by schema version 2, hence last (a migrated atlas has it last too).
        ("partial", "boolean"),
    ),
}

BOOLEAN_COLUMNS = {
    layer: tuple(name for name, kind in columns if kind == "boolean")
    for layer, columns in LAYER_COLUMNS.items()
}
"""The boolean columns of each layer, read back as bool (SQLite stores them as 0 and 1)."""

MIGRATIONS: dict[int, tuple[tuple[str, str, str], ...]] = {
    1: (("areas", "partial", "false"),),
}
"""The columns that take an atlas from schema version ``k`` to ``k + 1``, keyed by ``k``:
(layer or table, column, value of the rows already there). Each backend adds them in one
transaction with the version update."""

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

LAYER_DESCRIPTIONS = {
    "cameras": "Surveillance cameras and other devices, one row per source record",
    "streets": "Streets (OpenStreetMap highway ways)",
    "buildings": "Building footprints (OpenStreetMap)",
    "areas": "Administrative areas with their population where known (OpenStreetMap); "
    "partial ones are cut by the edge of their file",
    "sources": "Every import: input path, format, SHA-256, time and counts",
    "normalization_report": "Tag values that could not be interpreted, or defaults assumed",
    "camera_links": "Pairs of cameras from different sources taken as one physical camera",
    "results": "Result layers computed from the atlas, with the parameters that made them",
    "camatlas_schema": "Version of the camatlas schema",
}
"""What each layer and table holds, as the GeoPackage describes it."""

RESERVED_NAMES = frozenset({*LAYERS, *TABLE_COLUMNS, "camatlas_schema"})
"""Names a result layer may not take: the atlas's own layers and tables."""
