"""Readers that turn input files into camatlas records.

Each reader returns a :class:`SourceData`: the cameras, streets and buildings
it found, the tag problems met while normalizing, and the rows it rejected.
Readers never write to an atlas; :class:`camatlas.atlas.Atlas` does that in
one transaction, so a failing reader leaves the atlas untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from camatlas.camera import Camera, TagProblem
from camatlas.errors import FormatError

FORMATS = ("osm-pbf", "osm-xml", "overpass-json", "geojson", "json-records", "csv")
"""Input formats camatlas reads, as named by ``--format``."""

Progress = Callable[[str, int, int], None]
"""A callback told (stage, done, total) while a reader works; total is 0 when unknown."""


@dataclass(slots=True)
class Street:
    """One street (an OSM ``highway`` way) as a WGS 84 LineString.

    ``nodes`` are the OSM node ids along the way, kept so that a routing graph
    can find junctions shared by ways.
    """

    id: str
    highway: str
    geometry: BaseGeometry
    name: str | None = None
    oneway: str | None = None
    nodes: tuple[int, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    source: str = "osm"


@dataclass(slots=True)
class Building:
    """One building footprint (an OSM way or multipolygon relation) as a WGS 84 (Multi)Polygon."""

    id: str
    building: str
    geometry: BaseGeometry
    height_m: float | None = None
    levels: float | None = None
    tags: dict[str, str] = field(default_factory=dict)
    source: str = "osm"


@dataclass(slots=True)
class Area:
    """One administrative area (an OSM ``boundary=administrative`` relation) as a (Multi)Polygon.

    ``population`` is the OSM ``population`` tag (residents) when it is a
    plain number, used for cameras per 1,000 residents.
    """

    id: str
    name: str | None
    admin_level: int | None
    geometry: BaseGeometry
    population: float | None = None
    tags: dict[str, str] = field(default_factory=dict)
    source: str = "osm"


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input row or element that was not imported, with the reason."""

    where: str
    value: str
    reason: str


@dataclass(slots=True)
class SourceData:
    """Everything one reader found in one input."""

    path: str
    format: str
    source: str
    cameras: list[Camera] = field(default_factory=list)
    streets: list[Street] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    problems: list[TagProblem] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "cameras": len(self.cameras),
            "streets": len(self.streets),
            "buildings": len(self.buildings),
            "areas": len(self.areas),
            "problems": len(self.problems),
            "rejected": len(self.rejected),
        }


_NUMBER = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*")
_METRES = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*m?\s*")


def tag_number(value: str | None, *, metres: bool = False) -> float | None:
    """A plain non-negative decimal number from a tag value (ASCII digits), else None.

    With ``metres`` a trailing ``m`` unit is allowed (OSM ``height=12 m``).
    Anything else (``12 ft``, ``3,5``, ``about 10``) gives None.
    """
    if value is None:
        return None
    match = (_METRES if metres else _NUMBER).fullmatch(value)
    return float(match[1]) if match else None


def osm_street(
    ref: str, tags: dict[str, str], geometry: BaseGeometry, nodes: tuple[int, ...]
) -> Street:
    """A :class:`Street` from a ``highway`` way's tags, line and node ids (``ref`` = ``way/N``)."""
    return Street(
        id=f"osm:{ref}",
        highway=tags["highway"],
        geometry=geometry,
        name=tags.get("name"),
        oneway=tags.get("oneway"),
        nodes=nodes,
        tags=tags,
    )


def osm_building(ref: str, tags: dict[str, str], geometry: BaseGeometry) -> Building:
    """A :class:`Building` from a ``building`` way's or relation's tags and footprint."""
    return Building(
        id=f"osm:{ref}",
        building=tags["building"],
        geometry=geometry,
        height_m=tag_number(tags.get("height"), metres=True),
        levels=tag_number(tags.get("building:levels")),
        tags=tags,
    )


def osm_area(ref: str, tags: dict[str, str], geometry: BaseGeometry) -> Area:
    """An :class:`Area` from a ``boundary=administrative`` relation's tags and geometry."""
    level = tag_number(tags.get("admin_level"))
    return Area(
        id=f"osm:{ref}",
        name=tags.get("name"),
        admin_level=int(level) if level is not None and level.is_integer() else None,
        geometry=geometry,
        population=tag_number(tags.get("population")),
        tags=tags,
    )


def detect_format(path: str | Path) -> str:
    """Name the format of ``path`` from its first bytes (not its extension).

    Raises
    ------
    FormatError
        If the file is empty or in no format camatlas reads.
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        raise FormatError("no such file", path=p) from None
    except IsADirectoryError:
        raise FormatError("is a directory, not a file", path=p) from None
    if not head.strip():
        raise FormatError("the file is empty", path=p)
    if len(head) >= 13 and head[4:6] == b"\x0a\x09" and head[6:15] == b"OSMHeader":
        return "osm-pbf"
    if head[:2] in (b"\x1f\x8b", b"BZ"):
        raise FormatError(
            "compressed files are not read directly; decompress it first (gunzip / bunzip2)",
            path=p,
        )
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        if b"<osm" in text or b"<osmChange" in text:
            return "osm-xml"
        raise FormatError("XML, but not an OSM XML file (no <osm> element)", path=p)
    if text[:1] in (b"{", b"["):
        window = text[:4096]
        if b'"elements"' in window and (b'"osm3s"' in window or b'"generator"' in window):
            return "overpass-json"
        if b'"FeatureCollection"' in window or b'"Feature"' in window:
            return "geojson"
        if text[:1] == b"[":
            return "json-records"
        if b'"elements"' in window:
            return "overpass-json"
        raise FormatError("JSON, but neither Overpass JSON, GeoJSON nor a list of records", path=p)
    if b"\x00" in head:
        raise FormatError("a binary file in no format camatlas reads", path=p)
    return "csv"


def source_name_for(path: str | Path) -> str:
    """Default source name of a registry file: its stem, lower-case, ``[a-z0-9_]`` only."""
    stem = Path(path).name.split(".")[0].lower()
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in stem).strip("_")
    return cleaned or "table"
