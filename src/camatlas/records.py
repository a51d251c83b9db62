"""The records camatlas reads, keeps and links: cameras, streets, buildings, areas, imports.

Readers (:mod:`camatlas.sources`) turn input files into these records; the
store (:mod:`camatlas.store`) writes and reads them; everything above works on
the atlas's layers as GeoDataFrames with the same fields.

Units: angles in degrees clockwise from true north, distances and heights in
metres, coordinates in WGS 84 longitude/latitude degrees.

>>> from camatlas.records import Direction, directions_to_text
>>> directions_to_text((Direction(90.0), Direction(190.0, 100.0)))
'90;190-100'
>>> Direction(190.0, 100.0).sweep_deg
270.0
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

BBox = tuple[float, float, float, float]
"""(west, south, east, north) in degrees of longitude and latitude."""


# --- cameras ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Direction:
    """One view direction: a heading, or a clockwise sweep from ``start`` to ``end``.

    Both angles are in degrees clockwise from north, in ``[0, 360)``. A sweep
    may wrap past north (``start=190, end=100`` covers 190..360 and 0..100).
    A sweep whose end equals its start (``0-360``) covers the full circle.
    """

    start: float
    end: float | None = None

    @property
    def is_sweep(self) -> bool:
        return self.end is not None

    @property
    def sweep_deg(self) -> float:
        """Width of the sweep in degrees (0 for a single heading, 360 for a full circle)."""
        if self.end is None:
            return 0.0
        width = (self.end - self.start) % 360.0
        return 360.0 if width == 0.0 else width

    def __str__(self) -> str:
        if self.end is None:
            return f"{self.start:g}"
        return f"{self.start:g}-{self.end:g}"


def directions_to_text(directions: tuple[Direction, ...]) -> str:
    """Canonical text of directions, e.g. ``"90;180-360"``; ``""`` when none."""
    return ";".join(str(d) for d in directions)


@dataclass(frozen=True, slots=True)
class TagProblem:
    """A tag value that could not be interpreted, or a default that was assumed.

    ``key`` is the tag key (or ``"field NAME"`` for a value mapped from a registry column),
    ``value`` the verbatim value (``""`` when the tag is missing), ``element``
    the camera id, and ``reason`` says what camatlas did with it.
    """

    key: str
    value: str
    element: str
    reason: str


@dataclass(slots=True)
class Camera:
    """One surveillance device as one source describes it.

    ``id`` is stable across imports: ``"{source}:{source_id}"``, e.g.
    ``"osm:node/123"`` or ``"trafford_cctv:17"``. ``physical_id`` is the id
    of the camera this one is linked to as the same physical device (itself
    when not linked); the atlas maintains it.
    """

    id: str
    lon: float
    lat: float
    source: str
    source_id: str
    kind: str = "camera"
    camera_type: str = "unknown"
    mount: str | None = None
    zone: str | None = None
    surveillance: str | None = None
    directions: tuple[Direction, ...] = ()
    width_deg: float | None = None
    range_m: float | None = None
    height_m: float | None = None
    tilt_deg: float | None = None
    operator: str | None = None
    manufacturer: str | None = None
    name: str | None = None
    source_timestamp: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    physical_id: str | None = None

    @property
    def direction_known(self) -> bool:
        return bool(self.directions)


# --- streets, buildings, areas ---------------------------------------------------------


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
    """One building footprint (an OSM way or multipolygon relation) as a WGS 84 (Multi)Polygon.

    ``height_m`` is in metres, ``levels`` the number of floors, when tagged.
    """

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
    plain number, used for cameras per 1,000 residents. ``partial`` areas are
    cut by the edge of the file they came from and hold only the part inside
    it: their counts are of that part, and no density is given for them.
    """

    id: str
    name: str | None
    admin_level: int | None
    geometry: BaseGeometry
    population: float | None = None
    tags: dict[str, str] = field(default_factory=dict)
    source: str = "osm"
    partial: bool = False


# --- what a reader found -------------------------------------------------------------


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
        """Records of each kind, problems and rejected rows."""
        return {
            "cameras": len(self.cameras),
            "streets": len(self.streets),
            "buildings": len(self.buildings),
            "areas": len(self.areas),
            "problems": len(self.problems),
            "rejected": len(self.rejected),
        }

    def report(self, examples: int = 5) -> list[ReportRow]:
        """The normalization report: tag problems grouped by (key, value, reason), most
        frequent first, each with up to ``examples`` element ids (JSON text)."""
        groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for p in self.problems:
            groups[(p.key, p.value, p.reason)].append(p.element)
        ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        return [
            ReportRow(key, value, reason, len(ids), json.dumps(ids[:examples]))
            for (key, value, reason), ids in ordered
        ]

    def keep_layers(self, layers: tuple[str, ...] | list[str] | frozenset[str]) -> SourceData:
        """Drop (in place) the records of the layers not in ``layers``; return this data.

        Cameras take their tag problems with them."""
        if "cameras" not in layers:
            self.cameras, self.problems = [], []
        if "streets" not in layers:
            self.streets = []
        if "buildings" not in layers:
            self.buildings = []
        if "areas" not in layers:
            self.areas = []
        return self


# --- what the atlas keeps about its imports and links ---------------------------------


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One import of one input, as kept in the ``sources`` table.

    ``options`` is JSON text of everything that chose how the input was read:
    the layers, the link distance and, for registries, the table options.
    """

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
    """Two cameras from different sources taken to be one physical camera, ``distance_m`` apart."""

    camera_a: str
    camera_b: str
    distance_m: float


def decode_tags(item: str | Mapping[str, str] | None) -> Mapping[str, str]:
    """A record's tags from what holds them: a mapping, the JSON text an atlas stores
    (``""`` or None: no tags), or None."""
    if item is None or item == "":
        return {}
    if isinstance(item, str):
        value = json.loads(item)
        return value if isinstance(value, dict) else {}
    return item
