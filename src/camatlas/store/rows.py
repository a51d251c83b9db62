"""Conversions between camatlas records, data frames and the rows both backends store.

Shared by :mod:`camatlas.store.gpkg` and :mod:`camatlas.store.postgis`, so that
the two write the same values in the same column order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np
import shapely

from camatlas.errors import InputError, NotFoundError
from camatlas.lazy import gpd, pd
from camatlas.records import Area, Building, Camera, Street, directions_to_text
from camatlas.store.schema import LAYER_COLUMNS, LAYERS, RESERVED_NAMES, TABLE_COLUMNS

GEOMETRY_TYPE_NAMES = {
    0: "POINT",
    1: "LINESTRING",
    3: "POLYGON",
    4: "MULTIPOINT",
    5: "MULTILINESTRING",
    6: "MULTIPOLYGON",
    7: "GEOMETRYCOLLECTION",
}
"""Shapely geometry type ids -> OGC geometry type names."""


def _tags_json(_: object, tags: dict[str, str]) -> str:
    return json.dumps(tags, ensure_ascii=False, sort_keys=True)


# Columns whose stored value is not the record's attribute as it is.
_STORED_FORM: dict[str, Callable[[Any, Any], Any]] = {
    "tags": _tags_json,
    "nodes": lambda _, nodes: json.dumps(list(nodes)),
    "directions": lambda _, directions: directions_to_text(directions),
    # A camera not linked to another is its own physical camera.
    "physical_id": lambda camera, physical_id: physical_id or camera.id,
}


Records = Sequence[Camera] | Sequence[Street] | Sequence[Building] | Sequence[Area]
"""Records of one layer, as the readers make them."""


def record_rows(layer: str, records: Records) -> list[tuple[Any, ...]]:
    """Rows of records in the column order of :data:`LAYER_COLUMNS` (geometry apart)."""
    names = [name for name, _ in LAYER_COLUMNS[layer]]
    values = attrgetter(*names)
    stored = [(i, _STORED_FORM[name]) for i, name in enumerate(names) if name in _STORED_FORM]
    rows = []
    for record in records:
        row = list(values(record))
        for i, form in stored:
            row[i] = form(record, row[i])
        rows.append(tuple(row))
    return rows


def layer_rows(
    layer: str, frame: pd.DataFrame, booleans: Callable[[Any], Any] = int
) -> list[tuple[Any, ...]]:
    """Rows of ``frame`` in the column order of :data:`LAYER_COLUMNS`, missing values as None.

    ``booleans`` converts boolean values for the backend (SQLite stores 0/1).
    """
    columns = []
    for name, kind in LAYER_COLUMNS[layer]:
        series = frame[name]
        values = series.astype(object).where(series.notna(), None).tolist()
        if kind == "boolean":
            values = [None if v is None else booleans(bool(v)) for v in values]
        elif kind == "real":
            values = [None if v is None else float(v) for v in values]
        elif kind == "integer":
            values = [None if v is None else int(v) for v in values]
        columns.append(values)
    return list(zip(*columns, strict=True)) if columns else []


def check_layer(layer: str) -> str:
    """``layer`` once it is one of :data:`camatlas.vocab.LAYERS`; NotFoundError otherwise."""
    if layer not in LAYERS:
        raise NotFoundError(f"no layer {layer!r}; the layers are {', '.join(LAYERS)}")
    return layer


def check_table(name: str) -> str:
    """``name`` once it is a layer or an attribute table of the atlas; NotFoundError otherwise."""
    if name not in LAYERS and name not in TABLE_COLUMNS:
        raise NotFoundError(
            f"no layer or table {name!r}; they are {', '.join([*LAYERS, *TABLE_COLUMNS])}"
        )
    return name


def check_layer_columns(layer: str, columns: Sequence[str]) -> list[str]:
    """``columns`` as a list, once each is known to be a column of ``layer``."""
    known = [name for name, _ in LAYER_COLUMNS[check_layer(layer)]]
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise InputError(f"layer {layer!r} has no column {unknown[0]!r}; it has {', '.join(known)}")
    return list(columns)


def check_result_name(name: str, what: str = "result layer") -> None:
    """Refuse names that are not plain identifiers or that the atlas itself uses."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
        raise InputError(f"{what} name {name!r}: use lower-case letters, digits and _")
    if what == "result layer" and (
        name in RESERVED_NAMES or name.startswith(("gpkg_", "rtree_", "sqlite_"))
    ):
        raise InputError(f"result layer name {name!r} is reserved by the atlas")


def no_result(where: str, name: str) -> NotFoundError:
    """The error for a result layer the atlas does not hold."""
    return NotFoundError(
        f"{where}: no result layer {name!r}; it is computed by the command that makes it "
        "(views and view_zones by `camatlas sight`; street_coverage, measure_by_area and "
        "blind_spots by `camatlas measure`)"
    )


def column_kind(series: pd.Series) -> str:
    """The abstract column type (text, real, integer, boolean) a series is stored as."""
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "real"
    return "text"


def column_values(series: pd.Series, kind: str) -> list[Any]:
    """A series's values as stored: lists and dicts as JSON text, missing values as None."""
    if kind == "text":
        return [
            None
            if v is None or (isinstance(v, float) and np.isnan(v))
            else json.dumps(v)
            if isinstance(v, list | dict | tuple)
            else str(v)
            for v in series.tolist()
        ]
    values = series.astype(object).where(series.notna(), None).tolist()
    if kind == "boolean":
        return [None if v is None else int(v) for v in values]
    return values


def typed_frame(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> pd.DataFrame:
    """Booleans and reals of a frame read back with their declared SQL types."""
    for name, sql_type in columns:
        if sql_type == "BOOLEAN" and frame[name].notna().all():
            frame[name] = frame[name].astype(bool)
        elif sql_type == "REAL":
            frame[name] = frame[name].astype("float64")
    return frame


@dataclass(frozen=True, slots=True)
class ResultRows:
    """A result layer's frame made ready for a backend to store: what both backends check
    and convert before writing (:func:`result_rows`)."""

    columns: list[tuple[str, str]]
    """(name, kind) of each attribute column, kinds as in :data:`LAYER_COLUMNS`."""
    values: list[list[Any]]
    """Stored values of each column (see :func:`column_values`)."""
    geometry: np.ndarray[Any, Any] | None
    """The geometries (WGS 84), or None for an attribute table."""
    present: np.ndarray[Any, Any] | None
    """Which geometries are neither missing nor empty (only those are stored)."""
    geometry_type: str
    """OGC name of the one geometry type of the layer, ``GEOMETRY`` when mixed, ``""``
    for an attribute table."""
    has_z: bool | None
    """Whether every geometry has Z (None: some have and some have not)."""
    rows: int
    """How many rows the layer has."""


def result_rows(name: str, frame: pd.DataFrame) -> ResultRows:
    """Check a result layer's name, columns and CRS, and convert its rows for storage.

    Raises
    ------
    InputError
        If the name or a column name is not a plain lower-case identifier or is the
        atlas's own, or a GeoDataFrame is not in WGS 84.
    """
    check_result_name(name)
    geometry = frame.geometry.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else None
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name) if geometry is not None else frame)
    columns = [(str(col), column_kind(table[col])) for col in table.columns]
    for col, _ in columns:
        check_result_name(col, what="column")
    values = [column_values(table[c], k) for c, k in columns]
    if geometry is None:
        return ResultRows(columns, values, None, None, "", False, len(table))
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        raise InputError(
            f"result layer {name!r} must be in WGS 84 (EPSG:4326)", value=str(frame.crs)
        )
    present = ~shapely.is_missing(geometry) & ~shapely.is_empty(geometry)
    known = geometry[~shapely.is_missing(geometry)]
    types = set(shapely.get_type_id(known).tolist())
    gtype = GEOMETRY_TYPE_NAMES[types.pop()] if len(types) == 1 else "GEOMETRY"
    z = shapely.has_z(known)
    has_z = bool(len(z) and z.all()) if (z.all() or not z.any()) else None
    return ResultRows(columns, values, geometry, present, gtype, has_z, len(table))


AtlasVersion = tuple[tuple[tuple[int, str], ...], tuple[tuple[str, str, int], ...]]
"""The imports (fid, sha256) and result layers (name, created_at, rows) of an atlas."""

VERSION_SQL = (
    "SELECT fid, sha256 FROM sources ORDER BY fid",
    "SELECT name, created_at, rows FROM results ORDER BY fid",
)
"""The two queries of :meth:`camatlas.store.Store.version`, the same in both backends."""


def atlas_version(sources: Sequence[Any], results: Sequence[Any]) -> AtlasVersion:
    """The rows of :data:`VERSION_SQL` as :meth:`camatlas.store.Store.version` returns them."""
    return (
        tuple((int(f), str(h)) for f, h in sources),
        tuple((str(n), str(c), int(r)) for n, c, r in results),
    )
