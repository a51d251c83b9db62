"""OpenStreetMap data from the Overpass API: queries, downloads and their JSON output.

:func:`build_query` writes an Overpass QL query for cameras, streets and
buildings in a bounding box or a named area; :func:`fetch` sends it to an
Overpass API server and returns the raw JSON; :func:`read_overpass` reads such
a JSON file (``[out:json]`` with ``out geom`` or ``out center``) into the same
records, with the same ids, as the OSM file reader:

- cameras: elements tagged ``man_made=surveillance``, source ``osm``, source id
  ``node/<id>``, ``way/<id>`` or ``relation/<id>``; a way stands at the
  centroid of its ``geometry`` (``out geom``), else at its ``center`` (``out
  center``, the middle of its bounding box); a relation at the centroid of its
  members' geometry, else its ``center``, else the middle of its ``bounds``;
- streets: ways tagged ``highway``, id ``osm:way/<id>``, as LineStrings;
- buildings: closed ways tagged ``building`` (not ``building=no``), id
  ``osm:way/<id>``, as Polygons (repaired when they cross themselves), and
  ``type=multipolygon`` relations tagged ``building``, id
  ``osm:relation/<id>``, as MultiPolygons assembled from the geometry of their
  way members: ``inner`` ones are holes, ``outer`` ones (or without a role) outer
  rings, others left out. ``height_m`` comes from ``height`` (``12``, ``12.5``,
  ``12 m`` or feet such as ``40 ft``: :func:`camatlas.tags.parse_length_m`),
  ``levels`` from ``building:levels``; any other value leaves them unknown.

Elements that cannot be placed or shaped are listed in
:attr:`~camatlas.sources.SourceData.rejected`, never fatal.

Units: coordinates in WGS 84 degrees, heights in metres, timeouts in seconds.
OSM data is (c) OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from camatlas.coords import NULL_ISLAND, check_bbox, is_finite, is_null_island
from camatlas.errors import FetchError, FormatError, InputError
from camatlas.geo import as_multipolygons, members_centre, repair_polygons, way_centre
from camatlas.records import Rejected, SourceData
from camatlas.sources.formats import ONE_PLACE_STREET, check_layers, file_format, load_json
from camatlas.sources.multipolygon import area_from_members
from camatlas.tags import area_from_tags, building_from_tags, camera_from_tags, street_from_tags
from camatlas.vocab import LAYERS

__all__ = [
    "DEFAULT_ENDPOINT",
    "ENDPOINT_VARIABLE",
    "build_query",
    "default_endpoint",
    "fetch",
    "read_overpass",
]

DEFAULT_ENDPOINT = "https://overpass-api.de/api/interpreter"
"""The Overpass API server used when none is given."""

ENDPOINT_VARIABLE = "CAMATLAS_OVERPASS_URL"
"""Environment variable naming another Overpass API server (see :func:`default_endpoint`)."""


def _version() -> str:
    try:
        return metadata.version("camatlas")
    except metadata.PackageNotFoundError:
        return "unknown"


USER_AGENT = f"camatlas/{_version()}"
"""The User-Agent header sent to Overpass API servers."""


# --- reading -----------------------------------------------------------------------------------


def read_overpass(path: str | Path, *, format: str | None = None) -> SourceData:
    """Read an Overpass API JSON file (``[out:json]``) into cameras, streets and buildings.

    Parameters
    ----------
    path
        The JSON file, as saved from :func:`fetch` or overpass-turbo. Ways
        need ``out geom`` to become streets or buildings; cameras mapped as
        ways or relations need ``out center`` or ``out geom``.

    Returns
    -------
    SourceData
        Format ``"overpass-json"``, source ``"osm"``; coordinates in WGS 84
        degrees, building heights in metres. Elements that cannot be placed or
        shaped are in ``rejected``.

    Raises
    ------
    FormatError
        If the file is not Overpass JSON.
    InputError
        If the file is not valid JSON, or the server reported a runtime
        error (such as a timeout) in its ``remark``, so the data is incomplete.
    """
    fmt = file_format(path, format)
    if fmt != "overpass-json":
        raise FormatError(f"this is {fmt}, not Overpass API JSON", path=path)
    document = load_json(Path(path).read_bytes(), path)
    if not isinstance(document, dict) or not isinstance(document.get("elements"), list):
        raise FormatError("Overpass JSON needs an object with a list of elements", path=path)
    remark = document.get("remark")
    if isinstance(remark, str) and "runtime error" in remark:
        raise InputError(
            "the Overpass server stopped the query, so the data is incomplete: "
            f"{remark.strip()} (ask for a smaller area or give a longer timeout)",
            path=path,
        )
    data = SourceData(path=str(path), format="overpass-json", source="osm")
    _Elements(data).read(document["elements"])
    return data


class _Elements:
    """Sorts Overpass elements into cameras, streets and buildings of one :class:`SourceData`."""

    def __init__(self, data: SourceData) -> None:
        self.data = data
        self._seen: set[tuple[str, str]] = set()

    def read(self, elements: Iterable[object]) -> None:
        for number, element in enumerate(elements, start=1):
            if not isinstance(element, dict):
                self.reject(f"element {number}", element, "not a JSON object")
                continue
            kind, osm_id = element.get("type"), element.get("id")
            if kind not in ("node", "way", "relation"):
                continue  # areas, counts, derived elements: nothing to import
            if isinstance(osm_id, bool) or not isinstance(osm_id, int):
                self.reject(f"element {number}", osm_id, "no integer id")
                continue
            tags = element.get("tags")
            if not isinstance(tags, dict) or not tags:
                continue  # untagged nodes are the geometry of ways
            tags = {str(key): str(value) for key, value in tags.items()}
            ref = f"{kind}/{osm_id}"
            if tags.get("man_made") == "surveillance" and self._first("camera", ref):
                self.camera(ref, element, tags)
            if kind == "way" and "highway" in tags and self._first("street", ref):
                self.street(ref, element, tags)
            if (
                tags.get("building", "no") != "no"
                and (kind == "way" or (kind == "relation" and tags.get("type") == "multipolygon"))
                and self._first("building", ref)
            ):
                self.building(ref, element, tags)
            if (
                kind == "relation"
                and tags.get("boundary") == "administrative"
                and self._first("area", ref)
            ):
                self.area(ref, element, tags)

    def _first(self, layer: str, ref: str) -> bool:
        """True the first time an element is seen for a layer (queries may repeat elements)."""
        key = (layer, ref)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def reject(self, where: str, value: object, reason: str) -> None:
        text = value if isinstance(value, str) else "" if value is None else json.dumps(value)
        self.data.rejected.append(Rejected(where=where, value=text[:200], reason=reason))

    def camera(self, ref: str, element: Mapping[str, Any], tags: dict[str, str]) -> None:
        try:
            lon, lat = _position(element)
        except ValueError as exc:
            self.reject(ref, "", f"camera without usable coordinates: {exc}")
            return
        if is_null_island(lon, lat):
            self.reject(ref, "0, 0", NULL_ISLAND)
            return
        timestamp = element.get("timestamp")
        camera, problems = camera_from_tags(
            source="osm",
            source_id=ref,
            lon=lon,
            lat=lat,
            tags=tags,
            timestamp=timestamp if isinstance(timestamp, str) else None,
        )
        self.data.cameras.append(camera)
        self.data.problems.extend(problems)

    def street(self, ref: str, element: Mapping[str, Any], tags: dict[str, str]) -> None:
        try:
            points = _points(element.get("geometry"))
        except ValueError as exc:
            self.reject(ref, tags["highway"], f"street without usable geometry: {exc}")
            return
        if len(points) < 2:
            self.reject(ref, tags["highway"], "street with fewer than 2 points (use out geom)")
            return
        line = LineString(points)
        if line.length == 0:
            self.reject(ref, tags["highway"], ONE_PLACE_STREET)
            return
        self.data.streets.append(street_from_tags(ref, tags, line, _node_ids(element.get("nodes"))))

    def building(self, ref: str, element: Mapping[str, Any], tags: dict[str, str]) -> None:
        try:
            if ref.startswith("way/"):
                geometry: BaseGeometry = _polygon(_points(element.get("geometry")))
            else:
                geometry = _multipolygon(element.get("members"))
        except ValueError as exc:
            self.reject(ref, tags["building"], f"building without usable geometry: {exc}")
            return
        self.data.buildings.append(building_from_tags(ref, tags, geometry))

    def area(self, ref: str, element: Mapping[str, Any], tags: dict[str, str]) -> None:
        try:
            geometry = _multipolygon(element.get("members"))
        except ValueError as exc:
            self.reject(ref, tags.get("name", ""), f"area without usable geometry: {exc}")
            return
        self.data.areas.append(area_from_tags(ref, tags, geometry))


# --- geometry ----------------------------------------------------------------------------------


def _lonlat(value: object) -> tuple[float, float]:
    """(lon, lat) in degrees of an Overpass ``{"lat": .., "lon": ..}`` object; ValueError if bad."""
    if not isinstance(value, dict):
        raise ValueError("no lat/lon")
    lat, lon = value.get("lat"), value.get("lon")
    for number in (lat, lon):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError("lat/lon missing or not numbers")
        if not is_finite(number):
            raise ValueError("lat/lon not finite")
    assert isinstance(lat, int | float) and isinstance(lon, int | float)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"lat/lon out of range ({lat}, {lon})")
    return float(lon), float(lat)


def _points(geometry: object) -> list[tuple[float, float]]:
    """The (lon, lat) points of an ``out geom`` way geometry; missing points are skipped."""
    if not isinstance(geometry, list):
        raise ValueError("no geometry (query with out geom)")
    # Overpass writes null for points outside a clipping bbox ("out geom(bbox)").
    return [_lonlat(point) for point in geometry if point is not None]


def _polygon(points: Sequence[tuple[float, float]]) -> BaseGeometry:
    """Footprint of a closed way, repaired when invalid (as the OSM file reader does)."""
    if len(points) < 4 or points[0] != points[-1]:
        raise ValueError(
            "building way is not closed (a footprint needs 4 or more nodes, the last one the first)"
        )
    footprint: BaseGeometry = repair_polygons([Polygon(points)])[0]
    if footprint.is_empty:
        raise ValueError("footprint has no area once repaired")
    return footprint


def _multipolygon(members: object) -> MultiPolygon:
    """The area of a multipolygon or boundary relation from its ``out geom`` members.

    Way members with role ``inner`` are holes, those with role ``outer`` or none outer
    rings; other members (nodes, other roles such as ``label``) are left out, as the OSM
    file reader leaves them. The ways are joined into rings by the coordinates of their
    ends and assembled as the OSM file reader does (:mod:`camatlas.sources.multipolygon`).
    """
    if not isinstance(members, list):
        raise ValueError("no members (query with out geom)")
    chains: dict[str, list[list[tuple[float, float]]]] = {"outer": [], "inner": []}
    missing = 0
    for member in members:
        if not isinstance(member, dict) or member.get("type") != "way":
            continue
        role = member.get("role") or "outer"
        if not isinstance(role, str) or role not in chains:  # a role the sender made a list
            continue
        try:
            points = _points(member.get("geometry"))
        except ValueError:
            missing += role == "outer"
            continue
        if len(points) >= 2:
            chains[role].append(points)
    # Overpass gives member coordinates, not node ids: a distinct coordinate is a node.
    everything = [p for role in ("outer", "inner") for chain in chains[role] for p in chain]
    coords = np.asarray(everything, dtype=np.float64).reshape(-1, 2)
    unique, key = np.unique(coords, axis=0, return_inverse=True)
    key = key.astype(np.int64).ravel()
    keys: dict[str, list[npt.NDArray[np.int64]]] = {"outer": [], "inner": []}
    at = 0
    for role in ("outer", "inner"):
        for chain in chains[role]:
            keys[role].append(key[at : at + len(chain)])
            at += len(chain)

    def locate(
        wanted: npt.NDArray[np.int64],
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        return np.ones(len(wanted), dtype=bool), unique[wanted, 0], unique[wanted, 1]

    area, why = area_from_members(
        keys["outer"],
        keys["inner"],
        locate,
        missing_outer=missing,
        missing="without geometry (query with out geom)",
    )
    if area is None:
        raise ValueError(why)
    (shape,) = as_multipolygons([area])
    assert isinstance(shape, MultiPolygon)
    return shape


def _position(element: Mapping[str, Any]) -> tuple[float, float]:
    """(lon, lat) in degrees of a node, or of the centre of a way or relation.

    A way's centroid from its ``geometry`` (as the OSM file reader computes
    it) is preferred to Overpass's ``center``, which is the middle of the
    bounding box; a relation's centre is the centroid of its members'
    geometry, else its ``center``, else the middle of its ``bounds``.
    """
    if element.get("type") == "node":
        return _lonlat(element)
    if isinstance(element.get("geometry"), list):
        points = _points(element["geometry"])
        centre = way_centre(points, len(points) >= 4 and points[0] == points[-1])
        if centre is not None:
            return centre
    if "center" in element:
        return _lonlat(element["center"])
    if isinstance(element.get("members"), list):
        centre = _members_centroid(element["members"])
        if centre is not None:
            return centre
    bounds = element.get("bounds")
    if isinstance(bounds, dict):
        west, south = _lonlat({"lat": bounds.get("minlat"), "lon": bounds.get("minlon")})
        east, north = _lonlat({"lat": bounds.get("maxlat"), "lon": bounds.get("maxlon")})
        return (west + east) / 2.0, (south + north) / 2.0
    raise ValueError("no geometry, center or bounds (query with out center or out geom)")


def _members_centroid(members: list[object]) -> tuple[float, float] | None:
    """Where a relation of member ways and nodes stands (:func:`camatlas.geo.members_centre`)."""
    parts: list[list[tuple[float, float]]] = []
    for member in members:
        if not isinstance(member, dict):
            continue
        if member.get("type") == "node" and "lat" in member:
            parts.append([_lonlat(member)])
        elif member.get("type") == "way" and isinstance(member.get("geometry"), list):
            parts.append(_points(member["geometry"]))
    return members_centre(parts)


def _node_ids(nodes: object) -> tuple[int, ...]:
    if not isinstance(nodes, list):
        return ()
    return tuple(node for node in nodes if isinstance(node, int) and not isinstance(node, bool))


# --- queries -----------------------------------------------------------------------------------


def build_query(
    *,
    bbox: tuple[float, float, float, float] | None = None,
    area: str | None = None,
    layers: Sequence[str] = LAYERS,
    timeout_s: int = 180,
) -> str:
    """Write an Overpass QL query for cameras, streets and buildings.

    Parameters
    ----------
    bbox
        ``(west, south, east, north)`` in WGS 84 degrees; west < east (split a
        box across the antimeridian in two) and south < north.
    area
        Name of an OSM area (its ``name`` tag, e.g. ``"Monaco"``), instead of
        ``bbox``. Every area of that name matches.
    layers
        Any of ``"cameras"``, ``"streets"``, ``"buildings"``.
    timeout_s
        Server-side timeout in seconds.

    Returns
    -------
    str
        The query, asking for ``[out:json]`` and ``out geom`` (``out center``
        when only cameras are asked for).

    Raises
    ------
    InputError
        If neither or both of bbox and area are given, the bbox is out of
        range or in the wrong order, the area name is empty, a layer is
        unknown, or the timeout is not a positive whole number.
    """
    if (bbox is None) == (area is None):
        raise InputError("give either a bbox or an area name, not both and not neither")
    wanted = tuple(dict.fromkeys(check_layers(layers)))
    if not wanted:
        raise InputError(f"give at least one layer: some of {', '.join(LAYERS)}")
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int) or timeout_s <= 0:
        raise InputError("the timeout must be a positive whole number of seconds", value=timeout_s)
    lines = [f"[out:json][timeout:{timeout_s}];"]
    if bbox is not None:
        west, south, east, north = check_bbox(bbox)
        where = f"({_degrees(south)},{_degrees(west)},{_degrees(north)},{_degrees(east)})"
    else:
        assert area is not None
        if not area.strip():
            raise InputError("the area name is empty", value=area)
        lines.append(f'area["name"="{_ql_string(area)}"]->.searchArea;')
        where = "(area.searchArea)"
    lines.append("(")
    if "cameras" in wanted:
        lines.append(f'  nwr["man_made"="surveillance"]{where};')
    if "streets" in wanted:
        lines.append(f'  way["highway"]{where};')
    if "buildings" in wanted:
        lines.append(f'  way["building"]["building"!="no"]{where};')
        lines.append(f'  relation["type"="multipolygon"]["building"]["building"!="no"]{where};')
    if "areas" in wanted:
        lines.append(f'  relation["boundary"="administrative"]{where};')
    lines.append(");")
    lines.append("out center;" if wanted == ("cameras",) else "out geom;")
    return "\n".join(lines) + "\n"


def _degrees(value: float) -> str:
    """A coordinate in degrees for Overpass QL: fixed point, 7 decimals at most (about 1 cm)."""
    text = f"{value:.7f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _ql_string(text: str) -> str:
    """Escape text for a double-quoted Overpass QL string."""
    escapes = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return "".join(escapes.get(char, char) for char in text)


# --- fetching ----------------------------------------------------------------------------------


def default_endpoint() -> str:
    """The Overpass API server to use: ``$CAMATLAS_OVERPASS_URL``, else :data:`DEFAULT_ENDPOINT`."""
    return os.environ.get(ENDPOINT_VARIABLE, "").strip() or DEFAULT_ENDPOINT


_HTTP_HINTS = {
    400: "the server refused the query",
    429: "too many requests: the server allows only a few queries at a time from one "
    "address; wait a minute and try again, or use another endpoint",
    503: "the server is overloaded; try again later or use another endpoint",
    504: "gateway timeout: the server is busy or the query too big; try again later, "
    "with a smaller bbox, or use another endpoint",
}


def fetch(
    query: str,
    *,
    endpoint: str | None = None,
    timeout_s: float = 200,
    user_agent: str = USER_AGENT,
) -> bytes:
    """Send an Overpass QL query to an Overpass API server; return its raw answer.

    Parameters
    ----------
    query
        Overpass QL, e.g. from :func:`build_query`. It is POSTed as the form
        field ``data``.
    endpoint
        URL of the server's interpreter; default :func:`default_endpoint`.
    timeout_s
        How long to wait for the server, in seconds (connecting, and between
        bytes of the answer).
    user_agent
        The User-Agent header.

    Returns
    -------
    bytes
        The answer, as the server sent it (JSON for ``[out:json]`` queries).

    Raises
    ------
    FetchError
        If the server cannot be reached or does not answer in time, answers
        with an HTTP error (the message has the status and what to try), or
        reports a runtime error (such as a timeout) in its JSON ``remark``.
    """
    url = endpoint or default_endpoint()
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"the Overpass endpoint must be an http(s) URL, not {url!r}")
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode({"data": query}).encode("utf-8"),
        method="POST",
        headers={
            "User-Agent": user_agent,
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            answer: bytes = response.read()
    except urllib.error.HTTPError as exc:
        raise FetchError(_http_error_message(url, exc)) from None
    except TimeoutError:
        raise FetchError(
            f"the Overpass API at {url} did not answer within {timeout_s:g} s; "
            "try again later, with a smaller bbox, or use another endpoint"
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TimeoutError):
            raise FetchError(
                f"the Overpass API at {url} did not answer within {timeout_s:g} s; "
                "try again later, or use another endpoint"
            ) from None
        raise FetchError(
            f"cannot reach the Overpass API at {url}: {reason}; check the network connection, "
            f"or use another endpoint (${ENDPOINT_VARIABLE})"
        ) from None
    remark = _remark(answer)
    if remark is not None and "runtime error" in remark:
        raise FetchError(
            f"the Overpass API at {url} stopped the query: {remark.strip()}; "
            "ask for a smaller area or give a longer timeout"
        )
    return answer


def _http_error_message(url: str, error: urllib.error.HTTPError) -> str:
    hint = _HTTP_HINTS.get(error.code, "the query failed")
    try:
        detail = _server_text(error.read())
    except (OSError, http.client.HTTPException):
        detail = ""
    text = f"the Overpass API at {url} answered HTTP {error.code} {error.reason}: {hint}"
    retry_after = error.headers.get("Retry-After") if error.headers else None
    if retry_after:
        text += f" (the server asks to retry after {retry_after} s)"
    return f"{text} (server said: {detail})" if detail else text


def _server_text(body: bytes) -> str:
    """The error lines of an Overpass error page (HTML), as plain text, shortened."""
    text = html.unescape(re.sub(r"<[^>]*>", " ", body.decode("utf-8", "replace")))
    text = re.sub(r" ([:;,.])", r"\1", " ".join(text.split()))
    errors = re.findall(r"Error: .*?(?= Error: |$)", text)
    found = " ".join(errors) if errors else text
    return found if len(found) <= 300 else found[:297] + "..."


_REMARK = re.compile(rb'"remark"\s*:\s*("(?:[^"\\]|\\.)*")')


def _remark(answer: bytes) -> str | None:
    """The ``remark`` of an Overpass JSON answer (written after the elements), if any."""
    start = answer.rfind(b'"remark"')
    if start < 0:
        return None
    match = _REMARK.match(answer, start)
    if match is None:
        return None
    try:
        remark = json.loads(match.group(1))
    except ValueError:
        return None
    return remark if isinstance(remark, str) else None
