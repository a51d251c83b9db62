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

__all__ = ["parse_track", "read_track", "track_lines"]


def parse_track(content: bytes | str, *, name: str = "track") -> shapely.MultiLineString:
    """A GPX file's tracks and routes, or a GeoJSON's lines, as lon/lat lines.

    GPX: every ``trkseg`` and every ``rte`` with two or more points becomes one
    line. GeoJSON: LineString and MultiLineString geometries, bare or in
    Features and FeatureCollections.

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
        parts = _geojson_lines(text, name)
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
