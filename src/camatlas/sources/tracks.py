"""Tracks and routes people travel: GPX files and GeoJSON lines, as lon/lat lines.

:func:`read_track` reads a file, :func:`parse_track` the bytes of one (as the
web app receives them), :func:`track_lines` checks a geometry given in Python.
A GPX file with a DOCTYPE or entities is refused, so that no XML entity is ever
expanded.

Privacy: tracks are read in memory, never logged and never written anywhere.

>>> line = parse_track(b'{"type": "LineString", "coordinates": [[-8.61, 41.15], [-8.60, 41.15]]}')
>>> line.geom_type, len(line.geoms)
('MultiLineString', 1)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from camatlas.errors import InputError
from camatlas.sources.formats import load_json

__all__ = ["TRACK_GEOJSON_SCHEMA", "TRACK_GPX_SCHEMA", "parse_track", "read_track", "track_lines"]

_POSITION = {
    "type": "array",
    "minItems": 2,
    "maxItems": 3,
    "prefixItems": [
        {"type": "number", "minimum": -180, "maximum": 180},
        {"type": "number", "minimum": -90, "maximum": 90},
    ],
    "items": {"type": "number"},
}
_LINE = {"type": "array", "minItems": 2, "items": _POSITION}
_LINES: list[dict[str, Any]] = [
    {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {"type": {"const": "LineString"}, "coordinates": _LINE},
    },
    {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"const": "MultiLineString"},
            "coordinates": {"type": "array", "minItems": 1, "items": _LINE},
        },
    },
]
_FEATURE = {
    "type": "object",
    "required": ["type", "geometry"],
    "properties": {"type": {"const": "Feature"}, "geometry": {"oneOf": _LINES}},
}
TRACK_GEOJSON_SCHEMA: dict[str, Any] = {
    "oneOf": [
        *_LINES,
        _FEATURE,
        {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {"type": "array", "minItems": 1, "items": _FEATURE},
            },
        },
    ]
}
"""The GeoJSON :func:`parse_track` accepts with ``strict=True``, as a JSON Schema: a
LineString or MultiLineString, bare, in a Feature, or in a FeatureCollection of such
Features; each line of two or more ``[longitude, latitude(, elevation)]`` positions."""


def _attribute(low: float, high: float) -> dict[str, Any]:
    return {"type": "number", "minimum": low, "maximum": high, "xml": {"attribute": True}}


TRACK_GPX_SCHEMA: dict[str, Any] = {
    "type": "object",
    "xml": {"name": "gpx"},
    "required": ["trk"],
    "properties": {
        "trk": {
            "type": "object",
            "required": ["trkseg"],
            "properties": {
                "trkseg": {
                    "type": "object",
                    "required": ["trkpt"],
                    "properties": {
                        "trkpt": {
                            "type": "array",
                            "minItems": 2,
                            "items": {
                                "type": "object",
                                "required": ["lat", "lon"],
                                "properties": {
                                    "lat": _attribute(-90, 90),
                                    "lon": _attribute(-180, 180),
                                },
                            },
                        }
                    },
                }
            },
        }
    },
}
"""A GPX track :func:`parse_track` reads, as an OpenAPI schema of XML: ``<gpx>``, a
``<trk>`` and a ``<trkseg>`` of two or more ``<trkpt lat=".." lon=".."/>`` (GPX 1.1
also allows routes, ``<rte>`` of ``<rtept>``, and several tracks and segments)."""


def parse_track(
    content: bytes | str, *, name: str = "track", strict: bool = False
) -> shapely.MultiLineString:
    """A GPX file's tracks and routes, or a GeoJSON's lines, as lon/lat lines.

    GPX: every ``trkseg`` and every ``rte`` with two or more points becomes one
    line. GeoJSON: LineString and MultiLineString geometries, bare or in
    Features and FeatureCollections (anywhere in the document; lines of fewer
    than two points and other geometries are passed over). With ``strict``
    (the web API), GeoJSON must be exactly :data:`TRACK_GEOJSON_SCHEMA`.

    Raises
    ------
    InputError
        When the content is neither, holds no line of two points, or has
        coordinates outside longitude/latitude ranges (the message names ``name``).
    """
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise InputError("a GPX track with a DOCTYPE or entities is not accepted", path=name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("a track must be UTF-8 text", path=name) from None
    head = text.lstrip()[:1]
    if head == "<":
        parts = _gpx_lines(text, name)
    elif head in ("{", "["):
        parts = _strict_lines(load_json(text, name), name) if strict else _geojson_lines(text, name)
    else:
        raise InputError("a track must be a GPX file or a GeoJSON LineString", path=name)
    lines = [p for p in parts if len(p) >= 2]
    if not lines:
        raise InputError("no track with two or more points found", path=name)
    arrays = [np.asarray(part, dtype=float) for part in lines]
    for coords in arrays:
        _check_coordinates(coords, name)
    return shapely.MultiLineString([coords[:, :2] for coords in arrays])


def _check_coordinates(coords: npt.NDArray[np.float64], name: str | None) -> None:
    """Refuse a track's points unless they are finite longitude/latitude pairs."""
    if coords.ndim != 2 or coords.shape[1] < 2:
        raise InputError("track coordinates are not pairs of numbers", path=name)
    finite = np.isfinite(coords[:, :2]).all(axis=1)
    if not finite.all():
        raise InputError(
            "track coordinates are not pairs of numbers",
            path=name,
            value=tuple(coords[np.argmin(finite), :2].tolist()),
        )
    bad = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    if bad.any():
        raise InputError(
            "track coordinates outside longitude/latitude ranges",
            path=name,
            value=tuple(coords[np.argmax(bad), :2].tolist()),
        )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _gpx_lines(text: str, name: str) -> list[list[tuple[float, float]]]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(f"not well-formed GPX/XML: {exc}", path=name) from None
    if _local(root.tag) != "gpx":
        raise InputError(f"XML, but not GPX (root element <{_local(root.tag)}>)", path=name)
    lines: list[list[tuple[float, float]]] = []
    for element in root.iter():
        kind = _local(element.tag)
        if kind not in ("trkseg", "rte"):
            continue
        point_tag = "trkpt" if kind == "trkseg" else "rtept"
        points = []
        for point in element:
            if _local(point.tag) != point_tag:
                continue
            try:
                points.append((float(point.attrib["lon"]), float(point.attrib["lat"])))
            except (KeyError, ValueError):
                raise InputError(
                    f"a <{point_tag}> without numeric lat and lon",
                    path=name,
                    value=dict(point.attrib),
                ) from None
        lines.append(points)
    return lines


def _geojson_lines(text: str, name: str) -> list[list[tuple[float, float]]]:
    data = load_json(text, name)
    lines: list[list[tuple[float, float]]] = []
    # Walked with a stack, not recursively: the nesting is the sender's to choose.
    todo: list[Any] = [data]
    while todo:
        obj = todo.pop()
        if not isinstance(obj, dict):
            continue
        kind = obj.get("type")
        if kind == "FeatureCollection":
            todo.extend(reversed(_listed(obj.get("features"))))
        elif kind == "Feature":
            todo.append(obj.get("geometry"))
        elif kind == "GeometryCollection":
            todo.extend(reversed(_listed(obj.get("geometries"))))
        elif kind == "LineString":
            lines.append(_positions(obj.get("coordinates"), name))
        elif kind == "MultiLineString":
            lines.extend(_positions(part, name) for part in _listed(obj.get("coordinates")))
    if not lines:
        raise InputError("GeoJSON without a LineString or MultiLineString", path=name)
    return lines


def _strict_lines(data: Any, name: str) -> list[list[tuple[float, float]]]:
    """The lines of GeoJSON that is exactly :data:`TRACK_GEOJSON_SCHEMA`; refused otherwise."""

    def line(coordinates: Any, where: str) -> list[tuple[float, float]]:
        if not isinstance(coordinates, list) or len(coordinates) < 2:
            raise InputError(f"{where}: a line is a list of two or more positions", path=name)
        return _positions(coordinates, name)

    def geometry(obj: Any, where: str) -> list[list[tuple[float, float]]]:
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "LineString":
            return [line(obj.get("coordinates"), where)]
        if kind == "MultiLineString":
            parts = obj.get("coordinates")
            if not isinstance(parts, list) or not parts:
                raise InputError(f"{where}: a MultiLineString holds one or more lines", path=name)
            return [line(part, f"{where}, line {k + 1}") for k, part in enumerate(parts)]
        raise InputError(
            f"{where}: expected a LineString or a MultiLineString",
            path=name,
            value=str(kind)[:40] if kind is not None else type(obj).__name__,
        )

    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "Feature":
        return geometry(data.get("geometry"), "the feature's geometry")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or not features:
            raise InputError("a FeatureCollection holds one or more features", path=name)
        lines = []
        for k, feature in enumerate(features):
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise InputError(f"feature {k + 1} is not a GeoJSON Feature", path=name)
            lines.extend(geometry(feature.get("geometry"), f"feature {k + 1}"))
        return lines
    return geometry(data, "the track")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _positions(value: Any, name: str) -> list[tuple[float, float]]:
    """A GeoJSON line's positions as (lon, lat) pairs of numbers; refused otherwise."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError("a line's coordinates must be a list of positions", path=name,
                         value=type(value).__name__)  # fmt: skip
    out = []
    for k, position in enumerate(value):
        numbers = (
            isinstance(position, list)
            and 2 <= len(position) <= 3
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)
        )
        if not numbers:
            raise InputError(
                f"position {k + 1} of a line is not [longitude, latitude] in numbers",
                path=name,
                value=str(position)[:80],
            )
        try:
            out.append((float(position[0]), float(position[1])))
        except OverflowError:
            raise InputError(f"position {k + 1} of a line is out of range", path=name,
                             value=str(position)[:80]) from None  # fmt: skip
    return out


def read_track(path: str | Path) -> shapely.MultiLineString:
    """Read a GPX or GeoJSON track file (see :func:`parse_track`)."""
    p = Path(path)
    try:
        content = p.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path=p) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a track file", path=p) from None
    return parse_track(content, name=str(p))


def track_lines(track: BaseGeometry | str | Path) -> list[shapely.LineString]:
    """The lines of a track given as a geometry (lon/lat) or as the path of a track file.

    Raises
    ------
    InputError
        When there is no line of two or more points, or a coordinate is not a
        longitude/latitude.
    """
    if isinstance(track, (str, Path)):
        geometry: BaseGeometry = read_track(track)
    else:
        geometry = track
    parts = [p for p in shapely.get_parts(geometry) if isinstance(p, shapely.LineString)]
    parts = [p for p in parts if len(p.coords) >= 2]
    if not parts:
        raise InputError("the track holds no line of two or more points", value=geometry.geom_type)
    for part in parts:
        _check_coordinates(shapely.get_coordinates(part), None)
    return parts
