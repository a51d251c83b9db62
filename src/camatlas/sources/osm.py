"""Read cameras, streets, buildings and areas from OpenStreetMap files (PBF or XML).

:func:`read_osm` streams the file with pyosmium and keeps only what it imports,
so its memory grows with the number of kept elements, not with the size of the
file. It reads the file in up to three passes, each skipped when the requested
layers do not need it:

1. ``relations`` (when buildings or areas are wanted): building
   multipolygons, administrative boundaries and surveillance relations, and
   the ids of their member ways;
2. ``ways``: highway, building and surveillance ways and relation member ways,
   their node ids kept in flat int64 arrays; surveillance nodes (and, when pass
   1 was skipped, surveillance relations) are read in the same pass; when
   such a relation turns up, its member ways are read in a second ``ways``
   pass;
3. ``nodes`` (when some way or relation member needs them): the locations of
   the nodes those ways use, looked up in bulk with numpy.

Geometries are then built with shapely's array functions. Coordinates are WGS
84 longitude/latitude in degrees.

Why not libosmium's location index or its ``IdFilter``: ``with_locations()``
keeps every node of the file, and ``IdFilter`` / ``osmium.index.IdSet`` are
dense bit sets allocated in large chunks per id range. On the 1.2 MB Porto
extract, an ``IdFilter`` of the 62 k needed node ids took 1.5 s to build and
760 MB of memory, while pass 3 as written here (every node through Python, a
sorted numpy lookup per batch) takes about 0.2 s and a few MB.
"""

from __future__ import annotations

import array
import mmap
import os
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import osmium
import osmium.filter
import osmium.io
import osmium.osm
import shapely
from shapely.geometry.base import BaseGeometry

from camatlas.coords import NULL_ISLAND, is_null_island
from camatlas.errors import FormatError, InputError
from camatlas.geo import BoolArray, FloatArray, members_centre, repair_polygons, way_centre
from camatlas.records import Rejected, SourceData
from camatlas.sources import pbf
from camatlas.sources.formats import ONE_PLACE_STREET, check_layers, file_format
from camatlas.sources.formats import Progress as ProgressCallback
from camatlas.sources.multipolygon import (
    NOT_CLOSED,
    CutArea,
    area_from_members,
    choose_sides,
    cut_area,
)
from camatlas.tags import area_from_tags, building_from_tags, camera_from_tags, street_from_tags

__all__ = ["DEFAULT_LAYERS", "read_osm"]

DEFAULT_LAYERS = ("cameras", "streets", "buildings")
"""Layers :func:`read_osm` reads unless told otherwise."""

Int64Array = npt.NDArray[np.int64]

# What a kept way is used for (bit flags, a way can be several).
_STREET = 1
_BUILDING = 2
_CAMERA = 4
_MEMBER = 8

_SURVEILLANCE = ("man_made", "surveillance")
_MARKER_ROLES = frozenset({"label", "admin_centre"})  # nodes that lie inside their area
_NO_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)  # libosmium's value for "not given"
_NODE_BATCH = 1 << 16  # nodes looked up in one numpy call in pass 3
_PROGRESS_EVERY = 1 << 13  # elements between two progress reports
_FIXED_POINT = 1e7  # OSM stores coordinates as integers of 1e-7 degree
_UNDEFINED_COORDINATE = 2_147_483_647

_XML_ERROR = re.compile(r"XML parsing error at line (\d+), column (\d+): (.*)")
_START_TAG = re.compile(rb"<(node|way|relation)\s([^>]*)>")
_ACTION_DELETE = re.compile(rb"""\baction\s*=\s*["']delete["']""")
_ID_ATTRIBUTE = re.compile(rb"""\bid\s*=\s*["'](-?\d+)["']""")
_BAD_COORDINATE = re.compile(
    rb"""<(node)\b[^>]*?\b(lat|lon)\s*=\s*(["'])(?!-?\d{1,3}(?:\.\d+)?\3)([^"']*)\3"""
)
"""A node's ``lat`` or ``lon`` that is not a plain decimal number (what the OSM API writes):
libosmium refuses ``48,1``, ``NaN`` or ``1e3`` without saying where, and reads ``1e309`` and
``1e-400`` as 0."""

_READ_ERRORS = (RuntimeError, ValueError, OverflowError, osmium.InvalidLocationError)
"""What libosmium's reader raises on a damaged or malformed file."""


def read_osm(
    path: str | Path,
    *,
    layers: Collection[str] = DEFAULT_LAYERS,
    progress: ProgressCallback | None = None,
    format: str | None = None,
) -> SourceData:
    """Read surveillance cameras, streets, buildings and areas from an OSM PBF or XML file.

    Parameters
    ----------
    path
        An OSM PBF file or an OSM XML file (also a JOSM save). The format is
        detected from the content, not the extension.
    layers
        Which of ``"cameras"``, ``"streets"``, ``"buildings"``, ``"areas"`` to
        read. Fewer layers read the file fewer times: cameras alone take one
        pass when no camera is mapped as a way or relation.
    progress
        Called as ``progress(stage, done, total)`` at the start and end of
        each pass and now and then in between; ``stage`` is ``"relations"``,
        ``"ways"`` or ``"nodes"``, ``done`` the bytes of the file read so far
        in that pass and ``total`` the file size in bytes. Where the read
        position cannot be observed (no ``/proc``), ``done`` only moves at the
        end of a pass.

    Returns
    -------
    SourceData
        ``cameras``: every node, way or relation tagged
        ``man_made=surveillance``, normalized by
        :func:`camatlas.tags.camera_from_tags`; ways and relations are placed
        at the centroid of their geometry (degrees). ``streets``: every way
        with a ``highway`` key, as a LineString through the way's nodes found
        in the file (``nodes`` lists those, one per vertex). ``buildings``:
        closed ways and ``type=multipolygon`` relations with a ``building``
        key (not ``no``), as (Multi)Polygons, outer rings minus inner rings,
        repaired when invalid; ``height_m`` in metres from ``height`` (metres
        or feet, :func:`camatlas.tags.parse_length_m`) and ``levels`` from
        ``building:levels`` (a plain number). ``areas`` (only when asked for):
        ``boundary=administrative`` relations as (Multi)Polygons with their
        ``name``, ``admin_level`` and ``population`` (plain numbers, else
        None). ``problems``: the cameras' tag problems.
        ``rejected``: elements not imported, with the reason (for example ways
        with too few of their nodes in an extract, or relations whose outer
        rings the extract cuts).

    Raises
    ------
    FormatError
        If the file is missing, empty, or not an OSM PBF / XML file.
    InputError
        If the file cannot be read to its end (truncated PBF, malformed XML);
        the message names the file and the XML line or the last element read.
    """
    wanted = frozenset(check_layers(layers))
    file_path = Path(path)
    fmt = file_format(file_path, format)
    if fmt not in ("osm-pbf", "osm-xml"):
        raise FormatError(
            f"not an OpenStreetMap file: the content looks like {fmt}; "
            "read it with camatlas.atlas.read_file",
            path=file_path,
        )
    data = SourceData(path=str(path), format=fmt, source="osm")
    if wanted:
        osm = _OsmFile(file_path, fmt, progress)
        try:
            _OsmImport(osm, wanted, data).run()
        except UnicodeDecodeError as exc:
            # OSM text is UTF-8 by definition; libosmium hands over the raw bytes
            # and pyosmium fails decoding them when a tag, role or name is read.
            raise InputError(
                f"text that is not UTF-8 ({exc.reason} at byte {exc.start}); the file is "
                "damaged or was not written by an OSM tool",
                path=file_path,
                element=osm.current() or None,
                value=bytes(exc.object[exc.start : exc.start + 16]),
            ) from None
    return data


# --------------------------------------------------------------------------- reading


class _OsmFile:
    """One OSM file read pass by pass, with its errors turned into :class:`InputError`."""

    def __init__(self, path: Path, fmt: str, progress: ProgressCallback | None) -> None:
        self.path = path
        self.is_pbf = fmt == "osm-pbf"
        # The format is given explicitly: libosmium would guess it from the file name.
        self._file = osmium.io.File(str(path), "pbf" if self.is_pbf else "osm")
        self._threads = osmium.io.ThreadPool()
        self._progress = progress
        self._size = path.stat().st_size
        self.deleted: frozenset[tuple[str, int]] = frozenset()
        self.bounds: shapely.Polygon | None = None
        """The box the file's header says it holds (PBF header, XML ``<bounds>``), if any."""
        self.current: Callable[[], str] = str
        """The element handed out last, as ``node/123`` (the one being taken), or ``""``."""
        if self.is_pbf:
            # Every block is decompressed and its coordinates checked before libosmium
            # opens the file: libosmium narrows coordinates without checking them, and
            # keeps the file of a cut or damaged PBF open after its error (one file
            # descriptor lost per file read), so a damaged file must not reach it.
            _check_pbf_coordinates(path)
        else:
            _check_xml_coordinates(path)
            self.deleted = _josm_deleted(path)
        self.bounds = self._header_bounds()

    def _header_bounds(self) -> shapely.Polygon | None:
        try:
            reader = osmium.io.Reader(self._file, osmium.osm.NOTHING)
        except _READ_ERRORS as exc:
            raise self._read_error(exc, "") from None
        try:
            box = reader.header().box()
        except _READ_ERRORS as exc:
            raise self._read_error(exc, "") from None
        finally:
            with suppress(*_READ_ERRORS):
                reader.close()
        if not box.valid():
            return None
        west, south = box.bottom_left.lon, box.bottom_left.lat
        east, north = box.top_right.lon, box.top_right.lat
        return shapely.box(west, south, east, north) if west < east and south < north else None

    def read(
        self, stage: str, entities: osmium.osm.osm_entity_bits, *filters: osmium.BaseFilter
    ) -> Iterator[Any]:
        """Yield the elements of one pass that get through ``filters``.

        Only errors of the reader are turned into :class:`InputError`; the
        caller's own errors pass through untouched.
        """
        meter = _ReadPosition(self.path) if self._progress is not None else None
        step = max(self._size // 100, 1)
        reported = 0
        self._report(stage, 0)
        # Naming the last element read costs a call or two per element: in
        # one-type passes (the long ones) the type is known and only the id is kept.
        known_type = _SINGLE_TYPES.get(entities, "")
        last_type, last_id, count = known_type, 0, 0

        def current() -> str:
            return f"{_TYPE_NAMES.get(last_type, last_type)}/{last_id}" if count else ""

        self.current = current
        try:
            reader = osmium.io.Reader(self._file, entities, thread_pool=self._threads)
        except _READ_ERRORS as exc:
            raise self._read_error(exc, "") from None
        try:
            elements = osmium.OsmFileIterator(reader, *filters)  # reads the first buffer
        except _READ_ERRORS as exc:
            with suppress(*_READ_ERRORS):
                reader.close()  # else its file stays open: one descriptor per damaged file
            raise self._read_error(exc, "") from None
        try:
            while True:
                try:
                    element = next(elements)
                except StopIteration:
                    break
                except _READ_ERRORS as exc:
                    raise self._read_error(exc, current()) from None
                last_id = element.id
                if not known_type:
                    last_type = element.type_str()
                count += 1
                if meter is not None and count % _PROGRESS_EVERY == 0:
                    position = meter.position()
                    if position is not None and position - reported >= step:
                        reported = position
                        self._report(stage, position)
                yield element
        finally:
            # Any error of the reader was raised by next() already.
            with suppress(*_READ_ERRORS):
                reader.close()
        self._report(stage, self._size)

    def _report(self, stage: str, done: int) -> None:
        if self._progress is not None:
            self._progress(stage, min(done, self._size), self._size)

    def _read_error(self, exc: Exception, last: str) -> InputError:
        text = str(exc) or type(exc).__name__
        match = _XML_ERROR.search(text)
        if match:
            return InputError(
                f"malformed OSM XML at column {match[2]}: {match[3]}",
                path=self.path,
                line=int(match[1]),
            )
        kind = "OSM PBF" if self.is_pbf else "OSM XML"
        # Damage to a PBF's blocks was named by the check before libosmium opened it.
        hint = "; the file may be damaged" if self.is_pbf else ""
        return InputError(
            f"cannot read the {kind} file: {text}{hint}",
            path=self.path,
            element=f"after {last}" if last else None,
        )


_TYPE_NAMES = {"n": "node", "w": "way", "r": "relation", "a": "area", "c": "changeset"}
_SINGLE_TYPES = {osmium.osm.NODE: "n", osmium.osm.WAY: "w", osmium.osm.RELATION: "r"}


class _ReadPosition:
    """How far libosmium's reader thread has read into a file (Linux ``/proc``).

    The position runs a little ahead of the elements handed out, by the few
    buffers libosmium decodes in advance; it is for progress bars only.
    """

    def __init__(self, path: Path) -> None:
        self._target = os.path.realpath(path)
        self._before = self._open_fds()
        self._fd: int | None = None
        self._done = 0

    def _open_fds(self) -> set[int]:
        try:
            names = os.listdir("/proc/self/fd")
        except OSError:
            return set()
        fds = set()
        for name in names:
            try:
                if os.readlink(f"/proc/self/fd/{name}") == self._target:
                    fds.add(int(name))
            except (OSError, ValueError):
                continue
        return fds

    def position(self) -> int | None:
        """Bytes read so far, never decreasing; None when it cannot be observed."""
        if self._fd is None:
            new = self._open_fds() - self._before
            if not new:
                return None
            self._fd = max(new)
        try:
            # Check the number still names our file: the reader may have closed it.
            if os.readlink(f"/proc/self/fd/{self._fd}") != self._target:
                return None
            with open(f"/proc/self/fdinfo/{self._fd}") as info:
                first = info.readline()  # "pos:\t<bytes>"
            self._done = max(self._done, int(first.split()[1]))
        except (OSError, ValueError, IndexError):
            return None
        return self._done


def _check_pbf_coordinates(path: Path) -> None:
    """Refuse a PBF file whose blocks encode a node outside the globe (:mod:`.pbf`)."""
    try:
        bad = pbf.check_coordinates(path)
    except pbf.PbfDamage as damage:
        raise InputError(
            f"cannot read the OSM PBF file: damaged in {damage.describe()}", path=path
        ) from None
    if bad is not None:
        raise InputError(
            f"{bad.describe()}; the file is damaged or crafted (read as it is, the node "
            "would land at a wrong place)",
            path=path,
            element=f"node/{bad.node_id}",
        )


def _check_xml_coordinates(path: Path) -> None:
    """Refuse an OSM XML file with a node coordinate that is not a plain decimal number
    within range, naming the line, the node and the value."""
    if path.stat().st_size == 0:
        return
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as text:
        found = _BAD_COORDINATE.search(text)
        problem = "is not a decimal number of degrees" if found else ""
        if found is None:
            found, problem = _out_of_range(text)
        if found is None:
            return
        start = text.rfind(b"<node", 0, found.end())
        tag = text[start : text.find(b">", start) + 1]
        node = _ID_ATTRIBUTE.search(tag)
        raise InputError(
            f"the {found[2].decode()} of a node {problem}",
            path=path,
            line=text[: found.start(2)].count(b"\n") + 1,
            element=f"node/{int(node[1])}" if node else "node",
            value=found[4].decode("utf-8", "replace"),
        )


_NEAR_LIMIT = re.compile(
    rb"""()\b(lat|lon)\s*=\s*(["'])(-?(?:9\d|1[89]\d|[2-9]\d\d)(?:\.\d+)?)\3"""
)
"""Coordinates of 90 degrees or more: the only ones that may be out of range (rare, so
checked one by one)."""


def _out_of_range(text: Any) -> tuple[re.Match[bytes] | None, str]:
    """The first node latitude beyond 90 degrees or longitude beyond 180, if any."""
    for found in _NEAR_LIMIT.finditer(text):
        limit = 90.0 if found[2] == b"lat" else 180.0
        if abs(float(found[4])) > limit:
            return found, f"is beyond {limit:g} degrees"
    return None, ""


def _josm_deleted(path: Path) -> frozenset[tuple[str, int]]:
    """Elements a JOSM save marks ``action='delete'``, as (type letter, id).

    libosmium ignores the ``action`` attribute and reads such elements as live
    ones; they were deleted in the editor, so they are skipped.
    """
    deleted: set[tuple[str, int]] = set()
    with path.open("rb") as fh:
        if path.stat().st_size == 0:
            return frozenset()
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as text:
            if text.find(b"action=") < 0:
                return frozenset()
            for tag in _START_TAG.finditer(text):
                attributes = tag[2]
                if _ACTION_DELETE.search(attributes):
                    found = _ID_ATTRIBUTE.search(attributes)
                    if found:
                        deleted.add((tag[1][:1].decode(), int(found[1])))
    return frozenset(deleted)


def _tags(element: Any) -> dict[str, str]:
    """The tags of an element as a dict."""
    tags = element.tags
    # islice stops at the known length: pyosmium's tag iterator signals its end
    # with a C++ exception, which costs more than reading the tags themselves.
    return dict(islice(tags, len(tags)))


def _timestamp(element: Any) -> str | None:
    """ISO 8601 UTC text of an element's timestamp, None when the file has none."""
    stamp: datetime = element.timestamp
    if stamp == _NO_TIMESTAMP:
        return None
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- records kept


@dataclass(slots=True)
class _Relation:
    id: int
    tags: dict[str, str]
    timestamp: str | None
    members: list[tuple[str, int, str]]  # (type letter, id, role)


@dataclass(slots=True)
class _Ways:
    """Kept ways with their node ids in one flat array (8 bytes a node reference)."""

    ids: array.array[int] = field(default_factory=lambda: array.array("q"))
    flags: array.array[int] = field(default_factory=lambda: array.array("B"))
    ends: array.array[int] = field(default_factory=lambda: array.array("q"))
    refs: array.array[int] = field(default_factory=lambda: array.array("q"))
    tags: list[dict[str, str] | None] = field(default_factory=list)
    timestamps: dict[int, str | None] = field(default_factory=dict)  # camera rows only
    member_rows: dict[int, int] = field(default_factory=dict)  # way id -> row

    def add(self, way_id: int, flags: int, refs: list[int], tags: dict[str, str] | None) -> int:
        row = len(self.ids)
        self.ids.append(way_id)
        self.flags.append(flags)
        self.refs.extend(refs)
        self.ends.append(len(self.refs))
        self.tags.append(tags)
        if flags & _MEMBER:
            self.member_rows[way_id] = row
        return row

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(slots=True)
class _Locations:
    """Sorted node ids with their coordinates in degrees."""

    ids: Int64Array
    lon: FloatArray
    lat: FloatArray

    def lookup(self, refs: Int64Array) -> tuple[BoolArray, FloatArray, FloatArray]:
        """Say which of ``refs`` have a location, and give lon/lat (NaN where missing)."""
        if len(self.ids) == 0:
            nan = np.full(len(refs), np.nan)
            return np.zeros(len(refs), dtype=bool), nan, nan.copy()
        pos = np.searchsorted(self.ids, refs).clip(max=len(self.ids) - 1)
        found = self.ids[pos] == refs
        lon = np.where(found, self.lon[pos], np.nan)
        lat = np.where(found, self.lat[pos], np.nan)
        return found, lon, lat


@dataclass(slots=True)
class _WayNodes:
    """The node references of all kept ways, flat, with their locations."""

    refs: Int64Array  # node ids, way after way
    starts: Int64Array  # first index in refs of each way
    ends: Int64Array  # one past the last index in refs of each way
    rows: Int64Array  # way row of each ref
    found: BoolArray  # whether each ref has a location in the file
    lon: FloatArray  # degrees, NaN where not found
    lat: FloatArray

    @classmethod
    def resolve(cls, ways: _Ways, locations: _Locations) -> _WayNodes:
        refs = np.frombuffer(ways.refs, dtype=np.int64)
        ends = np.frombuffer(ways.ends, dtype=np.int64)
        starts = np.concatenate(([0], ends[:-1])).astype(np.int64)
        rows = np.repeat(np.arange(len(ends), dtype=np.int64), ends - starts)
        found, lon, lat = locations.lookup(refs)
        return cls(refs, starts, ends, rows, found, lon, lat)

    def is_closed(self) -> BoolArray:
        """Per way: 4 or more refs, the last the first."""
        padded = np.append(self.refs, -1)  # empty ways index past the end
        first = padded[self.starts]
        last = padded[np.maximum(self.ends - 1, 0)]
        closed: BoolArray = (self.ends - self.starts >= 4) & (first == last)
        return closed


# --------------------------------------------------------------------------- the import


class _OsmImport:
    """State of one :func:`read_osm` call: the passes, then the geometries."""

    def __init__(self, osm: _OsmFile, wanted: frozenset[str], data: SourceData) -> None:
        self.osm = osm
        self.data = data
        self.want_cameras = "cameras" in wanted
        self.want_streets = "streets" in wanted
        self.want_buildings = "buildings" in wanted
        self.want_areas = "areas" in wanted
        self.ways = _Ways()
        self.building_relations: list[_Relation] = []
        self.area_relations: list[_Relation] = []
        self.camera_relations: list[_Relation] = []
        self.member_ways: set[int] = set()
        self.way_cameras: list[int] = []  # rows of self.ways

    def run(self) -> None:
        relations_read = False
        if self.want_buildings or self.want_areas:
            self._read_relations()
            relations_read = True
        self._read_ways(relations_read=relations_read)
        late_members = {
            ref
            for rel in ([] if relations_read else self.camera_relations)
            for kind, ref, _ in rel.members
            if kind == "w"
        }
        if late_members:
            # Surveillance relations met in the ways pass (pass 1 skipped): their
            # member ways came before them in the file, so read the ways again.
            self._read_member_ways(late_members)
        locations = self._read_nodes()
        nodes = _WayNodes.resolve(self.ways, locations)
        self._build_streets(nodes)
        self._build_way_buildings(nodes)
        self._build_relation_buildings(locations)
        self._build_areas(locations)
        self._build_way_cameras(locations)
        self._build_relation_cameras(locations)

    def _skip(self, element: Any) -> bool:
        """Deleted elements: invisible in history / change files, or JOSM deletions."""
        if not element.visible:
            return True
        deleted = self.osm.deleted
        return bool(deleted) and (element.type_str(), element.id) in deleted

    # ---- pass 1

    def _read_relations(self) -> None:
        keys = [
            key
            for key, wanted in (
                ("building", self.want_buildings),
                ("boundary", self.want_areas),
                ("man_made", self.want_cameras),
            )
            if wanted
        ]
        for rel in self.osm.read("relations", osmium.osm.RELATION, osmium.filter.KeyFilter(*keys)):
            self._take_relation(rel)

    def _take_relation(self, rel: Any) -> None:
        tags = rel.tags
        building = tags.get("building")
        is_building = (
            self.want_buildings
            and building is not None
            and building != "no"
            and tags.get("type") == "multipolygon"
        )
        is_area = (
            self.want_areas
            and tags.get("boundary") == "administrative"
            and tags.get("type") in ("boundary", "multipolygon")
        )
        is_camera = self.want_cameras and tags.get("man_made") == "surveillance"
        if not (is_building or is_area or is_camera) or self._skip(rel):
            return
        members = [(m.type, m.ref, m.role) for m in rel.members]
        record = _Relation(rel.id, _tags(rel), _timestamp(rel), members)
        if is_building:
            self.building_relations.append(record)
        if is_area:
            self.area_relations.append(record)
        if is_camera:
            self.camera_relations.append(record)
        self.member_ways.update(ref for kind, ref, _ in members if kind == "w")

    # ---- pass 2

    def _read_ways(self, *, relations_read: bool) -> None:
        entities = osmium.osm.WAY
        filters: list[osmium.BaseFilter] = []
        if self.want_cameras:
            entities |= osmium.osm.NODE
            if not relations_read:
                entities |= osmium.osm.RELATION
            cameras_only = osmium.filter.TagFilter(_SURVEILLANCE)
            cameras_only.enable_for(osmium.osm.NODE | osmium.osm.RELATION)
            filters.append(cameras_only)
        keys = [
            key
            for key, wanted in (
                ("highway", self.want_streets),
                ("building", self.want_buildings),
                ("man_made", self.want_cameras),
            )
            if wanted
        ]
        if not self.member_ways:
            # Member ways may be untagged: only without them can libosmium pre-filter ways.
            ways_with_keys = osmium.filter.KeyFilter(*keys)
            ways_with_keys.enable_for(osmium.osm.WAY)
            filters.append(ways_with_keys)

        members = self.member_ways
        for element in self.osm.read("ways", entities, *filters):
            if element.is_way():
                tags = element.tags
                flags = 0
                if self.want_streets and "highway" in tags:
                    flags |= _STREET
                if self.want_buildings:
                    building = tags.get("building")
                    if building is not None and building != "no":
                        flags |= _BUILDING
                if self.want_cameras and tags.get("man_made") == "surveillance":
                    flags |= _CAMERA
                if members and element.id in members:
                    flags |= _MEMBER
                if flags:
                    self._take_way(element, flags)
            elif element.is_node():
                self._take_camera_node(element)
            else:
                self._take_relation(element)

    def _read_member_ways(self, wanted: set[int]) -> None:
        for way in self.osm.read("ways", osmium.osm.WAY):
            if way.id in wanted:
                self._take_way(way, _MEMBER)

    def _take_way(self, way: Any, flags: int) -> None:
        if self._skip(way):
            return
        refs = [node.ref for node in way.nodes]
        tags = _tags(way) if flags & (_STREET | _BUILDING | _CAMERA) else None
        row = self.ways.add(way.id, flags, refs, tags)
        if flags & _CAMERA:
            self.ways.timestamps[row] = _timestamp(way)
            self.way_cameras.append(row)

    def _take_camera_node(self, node: Any) -> None:
        if self._skip(node):
            return
        where = f"node/{node.id}"
        location = node.location
        if not location.valid():
            self.data.rejected.append(Rejected(where, "", "surveillance node without a location"))
            return
        self._add_camera(where, location.lon, location.lat, _tags(node), _timestamp(node))

    # ---- pass 3

    def _read_nodes(self) -> _Locations:
        parts = [np.frombuffer(self.ways.refs, dtype=np.int64)]
        parts.extend(
            np.array([ref for kind, ref, _ in rel.members if kind == "n"], dtype=np.int64)
            for rel in self.camera_relations
        )
        parts.extend(self._markers(rel) for rel in self.area_relations)
        needed = np.unique(np.concatenate(parts))
        if len(needed) == 0:
            return _Locations(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))

        kept_ids: list[Int64Array] = []
        kept_x: list[npt.NDArray[np.int32]] = []
        kept_y: list[npt.NDArray[np.int32]] = []
        ids: array.array[int] = array.array("q")
        xs: array.array[int] = array.array("i")
        ys: array.array[int] = array.array("i")

        def keep_needed() -> None:
            batch = np.frombuffer(ids, dtype=np.int64)
            pos = np.searchsorted(needed, batch).clip(max=len(needed) - 1)
            hit = needed[pos] == batch
            kept_ids.append(batch[hit])  # boolean indexing copies out of the buffer
            kept_x.append(np.frombuffer(xs, dtype=np.int32)[hit])
            kept_y.append(np.frombuffer(ys, dtype=np.int32)[hit])

        # The one loop that sees every node of the file: keep it lean.
        add_id, add_x, add_y = ids.append, xs.append, ys.append
        for node in self.osm.read("nodes", osmium.osm.NODE):
            location = node.location
            add_id(node.id)
            add_x(location.x)
            add_y(location.y)
            if len(ids) == _NODE_BATCH:
                keep_needed()
                del ids[:], xs[:], ys[:]
        keep_needed()

        node_ids = np.concatenate(kept_ids)
        x = np.concatenate(kept_x)
        y = np.concatenate(kept_y)
        usable = (
            (x != _UNDEFINED_COORDINATE)
            & (np.abs(x) <= 180 * _FIXED_POINT)
            & (np.abs(y) <= 90 * _FIXED_POINT)
        )
        deleted_nodes = [ref for kind, ref in self.osm.deleted if kind == "n"]
        if deleted_nodes:
            usable &= ~np.isin(node_ids, deleted_nodes)
        node_ids, x, y = node_ids[usable], x[usable], y[usable]
        node_ids, first = np.unique(node_ids, return_index=True)
        return _Locations(node_ids, x[first] / _FIXED_POINT, y[first] / _FIXED_POINT)

    # ---- geometries

    def _build_streets(self, nodes: _WayNodes) -> None:
        flags = np.frombuffer(self.ways.flags, dtype=np.uint8)
        street_rows = np.flatnonzero(flags & _STREET)
        if len(street_rows) == 0:
            return
        located = np.bincount(nodes.rows[nodes.found], minlength=len(flags))
        ok_rows = street_rows[located[street_rows] >= 2]
        for row in street_rows[located[street_rows] < 2]:
            self._reject_way(row, "", located[row], nodes, "a street needs 2")
        if len(ok_rows) == 0:
            return
        is_ok = np.zeros(len(flags), dtype=bool)
        is_ok[ok_rows] = True
        take = nodes.found & is_ok[nodes.rows]
        group = nodes.rows[take]
        lines = np.asarray(
            shapely.linestrings(
                np.column_stack((nodes.lon[take], nodes.lat[take])),
                indices=np.searchsorted(ok_rows, group),
            )
        )
        node_ids = nodes.refs[take]
        bounds = np.searchsorted(group, ok_rows, side="right")
        flat = shapely.length(lines) == 0  # every node at one place: no street to walk
        start = 0
        for row, end, line, point in zip(ok_rows.tolist(), bounds.tolist(), lines, flat.tolist(),
                                         strict=True):  # fmt: skip
            tags = self.ways.tags[row] or {}
            if point:
                where = f"way/{self.ways.ids[row]}"
                self.data.rejected.append(
                    Rejected(where, tags.get("highway", ""), ONE_PLACE_STREET)
                )
                start = end
                continue
            self.data.streets.append(
                street_from_tags(
                    f"way/{self.ways.ids[row]}", tags, line, tuple(node_ids[start:end].tolist())
                )
            )
            start = end

    def _build_way_buildings(self, nodes: _WayNodes) -> None:
        flags = np.frombuffer(self.ways.flags, dtype=np.uint8)
        building_rows = np.flatnonzero(flags & _BUILDING)
        if len(building_rows) == 0:
            return
        closed = nodes.is_closed()
        for row in building_rows[~closed[building_rows]]:
            self.data.rejected.append(
                Rejected(
                    f"way/{self.ways.ids[row]}",
                    self._building_value(row),
                    "building way is not closed (a footprint needs 4 or more nodes, "
                    "the last one the first)",
                )
            )
        building_rows = building_rows[closed[building_rows]]
        # The closing node is left out: linearrings() closes each ring itself, which
        # also closes rings whose first node is missing from the file.
        corner = np.ones(len(nodes.refs), dtype=bool)
        corner[nodes.ends[nodes.ends > 0] - 1] = False
        found = nodes.found & corner
        located = np.bincount(nodes.rows[found], minlength=len(flags))
        ok_rows = building_rows[located[building_rows] >= 3]
        in_file = np.bincount(nodes.rows[nodes.found], minlength=len(flags))
        for row in building_rows[located[building_rows] < 3]:
            value = self._building_value(row)
            self._reject_way(row, value, in_file[row], nodes, "a building ring needs 4")
        if len(ok_rows) == 0:
            return
        is_ok = np.zeros(len(flags), dtype=bool)
        is_ok[ok_rows] = True
        take = found & is_ok[nodes.rows]
        rings = shapely.linearrings(
            np.column_stack((nodes.lon[take], nodes.lat[take])),
            indices=np.searchsorted(ok_rows, nodes.rows[take]),
        )
        polygons = repair_polygons(shapely.polygons(rings))
        for row, polygon in zip(ok_rows.tolist(), polygons, strict=True):
            self._add_building(f"way/{self.ways.ids[row]}", self.ways.tags[row] or {}, polygon)

    def _build_relation_buildings(self, locations: _Locations) -> None:
        for rel in self.building_relations:
            polygon, reason = self._relation_area(rel, locations)
            if polygon is None:
                self.data.rejected.append(
                    Rejected(f"relation/{rel.id}", rel.tags.get("building", ""), reason)
                )
            else:
                self._add_building(f"relation/{rel.id}", rel.tags, polygon)

    def _build_areas(self, locations: _Locations) -> None:
        """Areas whole in the file, then those cut by its edge (see :func:`_cut_areas`)."""
        cut: list[tuple[_Relation, CutArea]] = []
        for rel in self.area_relations:
            polygon, reason = self._relation_area(rel, locations)
            where = f"relation/{rel.id}"
            if polygon is not None:
                self.data.areas.append(area_from_tags(where, rel.tags, polygon))
                continue
            if self.osm.bounds is not None and reason.startswith(NOT_CLOSED):
                parts, _ = self._members(rel)
                candidate, why = cut_area(
                    parts["outer"], parts["inner"], locations.lookup, self.osm.bounds
                )
                if candidate is not None:
                    cut.append((rel, candidate))
                    continue
                reason = f"{reason}; {why}"
            self.data.rejected.append(Rejected(where, rel.tags.get("name", ""), reason))
        self._cut_areas(cut, locations)

    def _cut_areas(self, cut: list[tuple[_Relation, CutArea]], locations: _Locations) -> None:
        """Keep areas cut by the edge of the file as partial areas, clipped to its bounds.

        The side of the cut rings that is inside is taken from evidence, one
        admin_level at a time (:func:`~camatlas.sources.multipolygon.choose_sides`);
        the areas it does not decide are refused, saying why.
        """
        by_level: dict[str | None, list[tuple[_Relation, CutArea]]] = defaultdict(list)
        for rel, candidate in cut:
            by_level[rel.tags.get("admin_level")].append((rel, candidate))
        whole: dict[str | None, list[BaseGeometry]] = defaultdict(list)
        for area in self.data.areas:
            whole[area.tags.get("admin_level")].append(area.geometry)
        for level, group in by_level.items():
            markers: list[BaseGeometry | None] = []
            for rel, _ in group:
                found, lon, lat = locations.lookup(self._markers(rel))
                markers.append(shapely.MultiPoint(np.column_stack((lon[found], lat[found]))))
            neighbours = shapely.union_all(whole[level]) if whole[level] else None
            decided = choose_sides([c for _, c in group], markers, neighbours)
            for (rel, candidate), (side, why) in zip(group, decided, strict=True):
                where = f"relation/{rel.id}"
                if side is not None and candidate.sides[side].is_empty:
                    why = f"{why}: it lies outside the data's bounds"
                    side = None
                if side is None:
                    self.data.rejected.append(Rejected(where, rel.tags.get("name", ""), why))
                    continue
                self.data.areas.append(
                    area_from_tags(where, rel.tags, candidate.sides[side], partial=True)
                )

    @staticmethod
    def _markers(rel: _Relation) -> Int64Array:
        """Ids of a relation's nodes that lie inside its area (``label``, ``admin_centre``)."""
        return np.array(
            [ref for kind, ref, role in rel.members if kind == "n" and role in _MARKER_ROLES],
            dtype=np.int64,
        )

    def _relation_area(
        self, rel: _Relation, locations: _Locations
    ) -> tuple[BaseGeometry | None, str]:
        """The area of a multipolygon or boundary relation (see
        :mod:`camatlas.sources.multipolygon`), or (None, why not).

        Member ways with role ``inner`` make inner rings, ``outer`` or no role
        outer rings; other members (nodes, sub-relations, other roles) are left
        out. A relation whose outer rings are cut by the edge of the extract is
        refused, as its area would be wrong; inner rings that are cut are left out.
        """
        parts, missing = self._members(rel)
        return area_from_members(
            parts["outer"], parts["inner"], locations.lookup, missing_outer=missing
        )

    def _members(self, rel: _Relation) -> tuple[dict[str, list[Int64Array]], int]:
        """Node ids of a relation's member ways in the file by role, and how many outer
        member ways are missing."""
        parts: dict[str, list[Int64Array]] = {"outer": [], "inner": []}
        missing = 0
        for kind, ref, role in rel.members:
            if kind != "w" or role not in ("outer", "inner", ""):
                continue
            node_ids = self._member_refs(ref)
            if node_ids is not None:
                parts[role or "outer"].append(node_ids)
            elif role != "inner":
                missing += 1
        return parts, missing

    def _member_refs(self, way_id: int) -> Int64Array | None:
        row = self.ways.member_rows.get(way_id)
        if row is None:
            return None
        start = self.ways.ends[row - 1] if row else 0
        return np.frombuffer(self.ways.refs, dtype=np.int64)[start : self.ways.ends[row]]

    def _build_way_cameras(self, locations: _Locations) -> None:
        refs = np.frombuffer(self.ways.refs, dtype=np.int64)
        for row in self.way_cameras:
            start = self.ways.ends[row - 1] if row else 0
            node_ids = refs[start : self.ways.ends[row]]
            where = f"way/{self.ways.ids[row]}"
            found, lon, lat = locations.lookup(node_ids)
            closed = len(node_ids) >= 4 and node_ids[0] == node_ids[-1]
            point = way_centre(np.column_stack((lon[found], lat[found])), closed)
            if point is None:
                self.data.rejected.append(
                    Rejected(where, "", "surveillance way with no node in the file")
                )
                continue
            tags = self.ways.tags[row] or {}
            self._add_camera(where, point[0], point[1], tags, self.ways.timestamps[row])

    def _build_relation_cameras(self, locations: _Locations) -> None:
        for rel in self.camera_relations:
            parts: list[FloatArray] = []
            for kind, ref, _ in rel.members:
                if kind == "w":
                    node_ids = self._member_refs(ref)
                    if node_ids is not None:
                        found, lon, lat = locations.lookup(node_ids)
                        parts.append(np.column_stack((lon, lat))[found])
                elif kind == "n":
                    found, lon, lat = locations.lookup(np.array([ref], dtype=np.int64))
                    parts.append(np.column_stack((lon, lat))[found])
            where = f"relation/{rel.id}"
            centre = members_centre(parts)
            if centre is None:
                self.data.rejected.append(
                    Rejected(
                        where,
                        "",
                        "surveillance relation with no member way or node in the file",
                    )
                )
                continue
            self._add_camera(where, centre[0], centre[1], rel.tags, rel.timestamp)

    # ---- records

    def _add_camera(
        self, where: str, lon: float, lat: float, tags: dict[str, str], timestamp: str | None
    ) -> None:
        if is_null_island(lon, lat):  # e.g. a PBF whose coordinates overflow or scale to 0
            self.data.rejected.append(Rejected(where, "0, 0", NULL_ISLAND))
            return
        camera, problems = camera_from_tags(
            source="osm", source_id=where, lon=lon, lat=lat, tags=tags, timestamp=timestamp
        )
        self.data.cameras.append(camera)
        self.data.problems.extend(problems)

    def _add_building(self, where: str, tags: dict[str, str], geometry: BaseGeometry) -> None:
        if geometry.is_empty:
            self.data.rejected.append(
                Rejected(where, tags.get("building", ""), "footprint has no area once repaired")
            )
            return
        self.data.buildings.append(building_from_tags(where, tags, geometry))

    def _building_value(self, row: int) -> str:
        return (self.ways.tags[row] or {}).get("building", "")

    def _reject_way(self, row: int, value: str, located: int, nodes: _WayNodes, need: str) -> None:
        total = nodes.ends[row] - nodes.starts[row]
        self.data.rejected.append(
            Rejected(
                f"way/{self.ways.ids[row]}",
                value,
                f"{need} or more nodes, {located} of its {total} in the file: "
                "nodes missing from the file",
            )
        )
