"""Conversions between camatlas records, data frames and the rows both backends store.

Shared by :mod:`camatlas.store.gpkg` and :mod:`camatlas.store.postgis`, so that
the two write the same values in the same column order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd
import shapely

from camatlas.camera import Camera, directions_to_text
from camatlas.errors import AtlasError
from camatlas.sources import Area, Building, Street
from camatlas.store import LAYER_COLUMNS, LAYERS, TABLE_COLUMNS

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

_RESERVED = {*LAYERS, *TABLE_COLUMNS, "camatlas_schema"}


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


def record_rows(
    layer: str, records: Sequence[Camera] | Sequence[Street] | Sequence[Building] | Sequence[Area]
) -> list[tuple[Any, ...]]:
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


def as_multipolygons(geometries: Sequence[Any] | np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """(Multi)Polygons as MultiPolygons, so a layer holds one geometry type; empty -> None."""
    geoms = np.asarray(geometries, dtype=object)
    out = np.full(len(geoms), None, dtype=object)
    present = ~shapely.is_missing(geoms)
    present[present] = ~shapely.is_empty(geoms[present])
    idx = np.flatnonzero(present)
    if len(idx):
        parts, which = shapely.get_parts(geoms[idx], return_index=True)
        polygonal = shapely.get_type_id(parts) == 3
        sub = np.full(len(idx), None, dtype=object)
        shapely.multipolygons(parts[polygonal], indices=which[polygonal], out=sub)
        out[idx] = sub
    return out


def check_layer_columns(layer: str, columns: Sequence[str]) -> list[str]:
    """``columns`` as a list, once each is known to be a column of ``layer``."""
    if layer not in LAYER_COLUMNS:
        raise AtlasError(f"no layer {layer!r}; layers are {', '.join(LAYERS)}")
    known = [name for name, _ in LAYER_COLUMNS[layer]]
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise AtlasError(f"layer {layer!r} has no column {unknown[0]!r}; it has {', '.join(known)}")
    return list(columns)


def check_result_name(name: str, what: str = "result layer") -> None:
    """Refuse names that are not plain identifiers or that the atlas itself uses."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
        raise AtlasError(f"{what} name {name!r}: use lower-case letters, digits and _")
    if what == "result layer" and (
        name in _RESERVED or name.startswith(("gpkg_", "rtree_", "sqlite_"))
    ):
        raise AtlasError(f"result layer name {name!r} is reserved by the atlas")


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
