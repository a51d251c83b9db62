"""Route: least-watched routes between two points of an atlas, and the exposure of a track.

>>> import camatlas
>>> atlas = camatlas.open_atlas(city_path)
>>> result = camatlas.least_watched(atlas, (41.1500, -8.6120), (41.1500, -8.6080))
>>> [round(option.length_m) for option in result.options][:1]
[336]

The street graph of a profile is built from the atlas's streets, one graph per
UTM zone of the atlas's places (:meth:`camatlas.atlas.Atlas.zoning`, every
connected network whole however wide), each in its zone's CRS and built when a
route first needs it (:class:`AtlasGraph`); a route between two zones is refused. Each edge carries
the metres inside the views the atlas stores (``camatlas sight``) or, when it
has none, inside views computed with the default
:class:`~camatlas.assumptions.SightParameters`. Graphs and views are kept with
the atlas object until the atlas changes. :func:`store_graphs` (``camatlas
graph``, and ``camatlas sight`` for walking) stores the graphs in the atlas, so
that a new process reads them instead of building them, for as long as the
imports and the stored views they were built from have not changed
(:func:`graph_key`).

Privacy: route queries and tracks are never logged and never written anywhere;
the only thing this module writes is the street graphs of :func:`store_graphs`
(streets and views, nothing of any query), and it logs nothing.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from camatlas.assumptions import SightParameters
from camatlas.atlas import Atlas
from camatlas.coords import check_lat_lon
from camatlas.coverage import Progress
from camatlas.errors import AtlasError, FormatError, InputError, NotFoundError
from camatlas.geo import WGS84, bbox_distance_m, expand_bbox
from camatlas.lazy import gpd, pd, pyproj
from camatlas.pipelines.sight import ViewsFor, atlas_views
from camatlas.route.exposure import ExposureResult, track_exposure
from camatlas.route.network import (
    GRAPH_FORMAT,
    MAX_RUNS,
    RouteOption,
    Snap,
    StreetGraph,
    check_detour,
    check_profile,
    graph_from_streets,
)
from camatlas.sources.tracks import track_lines
from camatlas.vocab import (
    DEFAULT_MAX_SNAP_M,
    DEFAULT_PROFILE,
    DEFAULT_SPEED_KMH,
    MAX_SPEED_KMH,
    MIN_SPEED_KMH,
    SIGHT_LAYERS,
)

__all__ = [
    "AtlasGraph",
    "RouteParameters",
    "RouteResult",
    "StoredGraph",
    "atlas_views",
    "build_graph",
    "exposure",
    "graph_key",
    "least_watched",
    "store_graphs",
]


@dataclass(frozen=True)
class RouteParameters:
    """How a route is searched.

    Parameters
    ----------
    profile
        ``"walk"`` (one-way streets both ways), ``"bike"`` or ``"car"``.
    max_detour
        Leave out routes longer than the shortest by more than this share (0.5: at
        most 50 % longer). None: no limit.
    max_snap_m
        Refuse a point farther than this from the nearest usable street (metres).
    """

    profile: str = DEFAULT_PROFILE
    max_detour: float | None = None
    max_snap_m: float = DEFAULT_MAX_SNAP_M

    def __post_init__(self) -> None:
        check_profile(self.profile)
        check_detour(self.max_detour)
        if not (self.max_snap_m > 0 and np.isfinite(self.max_snap_m)):
            raise InputError(
                "the snapping limit must be a positive number of metres", value=self.max_snap_m
            )

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, "max_detour": self.max_detour,
                "max_snap_m": self.max_snap_m}  # fmt: skip


@dataclass(frozen=True)
class RouteResult:
    """The routes between two points, from the shortest (first) to the least watched (last).

    Attributes
    ----------
    options
        The supported Pareto routes (:class:`~camatlas.route.network.RouteOption`).
    parameters
        The :class:`RouteParameters` used.
    views
        Where the views came from.
    graph
        ``"stored <time>"`` when the street graph was read from the atlas
        (:func:`store_graphs`), ``"built"`` when it was built in this process.
    """

    options: list[RouteOption]
    parameters: RouteParameters
    views: str
    graph: str = "built"

    @property
    def frame(self) -> gpd.GeoDataFrame:
        """The options as a GeoDataFrame of LineStrings (WGS 84), one row each."""
        rows = [{k: v for k, v in o.to_dict().items() if k != "geometry"} for o in self.options]
        return gpd.GeoDataFrame(
            pd.DataFrame(rows), geometry=[o.geometry for o in self.options], crs=WGS84
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the options (with GeoJSON geometries), snapping distances, parameters
        and where the views came from."""
        return {
            **self.parameters.to_dict(),
            "routes": [o.to_dict() for o in self.options],
            "origin_snap_m": round(self.options[0].origin_snap_m, 2),
            "destination_snap_m": round(self.options[0].destination_snap_m, 2),
            "views": self.views,
            "street_graph": self.graph,
        }


# --- graphs ------------------------------------------------------------------------


class AtlasGraph:
    """The street graphs of an atlas for one profile: one per UTM zone, built when first needed.

    Each zone's :class:`StreetGraph` holds the streets of that zone (see
    :meth:`camatlas.atlas.Atlas.zoning`) in the zone's own UTM CRS, with the views that reach
    into them, so lengths are true to within about 0.1% wherever the atlas's
    places are. A point is routed on the zone whose streets are nearest to it;
    a route between two zones is refused (their street networks do not join).
    """

    def __init__(
        self,
        profile: str,
        streets: gpd.GeoDataFrame,
        zones: np.ndarray[Any, Any],
        views_for: ViewsFor | None,
        views_source: str,
        *,
        crs: pyproj.CRS | None = None,
    ) -> None:
        self.profile = profile
        self.views_source = views_source
        self.stored_at: str | None = None  # when the graphs were stored, if loaded
        self._streets = streets
        self._views_for = views_for
        self._fixed_crs = crs
        self._lock = threading.RLock()
        self._graphs: dict[int, StreetGraph] = {}
        self._load: Callable[[int], StreetGraph] | None = None
        codes, counts = np.unique(np.asarray(zones, dtype=np.int64), return_counts=True)
        order = np.argsort(-counts, kind="stable")
        zones = np.asarray(zones, dtype=np.int64)
        self._rows = {int(c): np.flatnonzero(zones == c) for c in codes[order]}
        self._bbox: dict[int, tuple[float, float, float, float]] = {}
        if len(streets):
            bounds = shapely.bounds(np.asarray(streets.geometry.array, dtype=object))
            for code, rows in self._rows.items():
                b = bounds[rows]
                self._bbox[code] = (
                    float(np.nanmin(b[:, 0])),
                    float(np.nanmin(b[:, 1])),
                    float(np.nanmax(b[:, 2])),
                    float(np.nanmax(b[:, 3])),
                )

    @classmethod
    def stored(
        cls,
        profile: str,
        zones: dict[int, tuple[float, float, float, float]],
        load: Callable[[int], StreetGraph],
        views_source: str,
        stored_at: str,
    ) -> AtlasGraph:
        """The graphs of an atlas as stored (:func:`store_graphs`): each zone's graph is
        read when first needed with ``load(zone)``; ``zones`` gives each zone's bounding
        box (lon/lat), the zone with most streets first."""
        graph = cls.__new__(cls)
        graph.profile = profile
        graph.views_source = views_source
        graph.stored_at = stored_at
        graph._streets = None
        graph._views_for = None
        graph._fixed_crs = None
        graph._lock = threading.RLock()
        graph._graphs = {}
        graph._load = load
        graph._rows = {zone: np.zeros(0, dtype=np.int64) for zone in zones}
        graph._bbox = dict(zones)
        return graph

    def __repr__(self) -> str:
        return f"AtlasGraph(profile={self.profile!r}, zones={list(self.zones)})"

    @property
    def zones(self) -> tuple[int, ...]:
        """EPSG codes of the zones with streets, the zone with most streets first."""
        return tuple(self._rows)

    def bbox_of(self, zone: int) -> tuple[float, float, float, float]:
        """The lon/lat bounding box of the streets of a zone."""
        return self._bbox[zone]

    def crs_of(self, zone: int) -> pyproj.CRS:
        if self._fixed_crs is not None:
            return self._fixed_crs
        return pyproj.CRS.from_epsg(zone)

    def graph(self, zone: int) -> StreetGraph:
        """The street graph of one zone (built, or read from the atlas, on first use)."""
        with self._lock:
            found = self._graphs.get(zone)
            if found is None and self._load is not None:
                found = self._graphs[zone] = self._load(zone)
            if found is None:
                assert self._streets is not None
                crs = self.crs_of(zone)
                views = None
                if self._views_for is not None:
                    views = self._views_for(crs, expand_bbox(self._bbox[zone], 100.0))
                found = graph_from_streets(
                    self._streets.iloc[self._rows[zone]],
                    self.profile,
                    views=views,
                    crs=crs,
                    views_source=self.views_source,
                )
                self._graphs[zone] = found
            return found

    @property
    def graphs(self) -> dict[int, StreetGraph]:
        """Every zone's graph (builds those not built yet)."""
        return {zone: self.graph(zone) for zone in self.zones}

    @property
    def edges(self) -> gpd.GeoDataFrame:
        """Every zone's edges in lon/lat, with its ``zone`` (EPSG code); builds every zone."""
        frames = []
        for zone, graph in self.graphs.items():
            part = graph.edges.to_crs(WGS84)
            part["zone"] = zone
            frames.append(part)
        if not frames:
            return gpd.GeoDataFrame({"zone": []}, geometry=[], crs=WGS84)
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)

    @property
    def streets_used(self) -> int:
        return sum(g.streets_used for g in self.graphs.values())

    @property
    def unaligned_streets(self) -> int:
        return sum(g.unaligned_streets for g in self.graphs.values())

    def snap(
        self,
        lat: float,
        lon: float,
        *,
        label: str = "point",
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
    ) -> tuple[int, Snap]:
        """The zone and the nearest point of its graph to (``lat``, ``lon``).

        Raises
        ------
        InputError
            As :meth:`StreetGraph.snap`.
        """
        lat, lon = check_lat_lon(lat, lon, label)
        if not self._rows:
            raise NotFoundError(
                f"the atlas has no streets usable by the {self.profile!r} profile; import an "
                "OSM extract with streets first",
                element=label,
            )
        near = sorted(self._rows, key=lambda z: bbox_distance_m(self._bbox[z], lat, lon))
        candidates = [z for z in near if bbox_distance_m(self._bbox[z], lat, lon) <= max_snap_m]
        best: tuple[int, Snap] | None = None
        error: InputError | None = None
        for zone in candidates or near[:1]:
            try:
                found = self.graph(zone).snap(lat, lon, label=label, max_snap_m=max_snap_m)
            except InputError as exc:
                error = error or exc
                continue
            if best is None or found.distance_m < best[1].distance_m:
                best = (zone, found)
        if best is None:
            assert error is not None
            raise error
        return best

    def least_watched(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        *,
        max_detour: float | None = None,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        max_runs: int = MAX_RUNS,
    ) -> list[RouteOption]:
        """Pareto-optimal routes between length and metres in view (:func:`least_watched`).

        Raises
        ------
        InputError
            As :meth:`StreetGraph.least_watched`, and when the two points are in
            different UTM zones.
        """
        check_detour(max_detour)
        zone, start = self.snap(*origin, label="origin", max_snap_m=max_snap_m)
        other, end = self.snap(*destination, label="destination", max_snap_m=max_snap_m)
        if zone != other:
            raise NotFoundError(
                f"the origin and the destination are in different UTM zones (EPSG:{zone} and "
                f"EPSG:{other}) whose street networks do not connect; routes across UTM zones "
                "(about 6 degrees of longitude) are not supported"
            )
        return self.graph(zone).routes_between(start, end, max_detour=max_detour, max_runs=max_runs)


def build_graph(
    atlas: Atlas, profile: str = DEFAULT_PROFILE, *, views: gpd.GeoDataFrame | None = None
) -> AtlasGraph:
    """The street graphs of an atlas for ``profile``, with each edge's exposure.

    One :class:`~camatlas.route.network.StreetGraph` per UTM zone of the atlas's places,
    each in its zone's CRS and built when a route first needs it. Kept with the atlas
    (per profile) until the atlas's imports or stored views change. Passing ``views``
    (in a metric CRS) builds a fresh graph of all the streets in that CRS with them
    instead of the atlas's views.
    """
    check_profile(profile)
    if views is not None:
        streets = atlas.streets()
        given = views
        return AtlasGraph(
            profile,
            streets,
            np.zeros(len(streets), dtype=np.int64),
            lambda crs, bbox: given,
            "given views",
            crs=pyproj.CRS.from_user_input(views.crs),
        )

    def make(at: Atlas) -> AtlasGraph:
        return _stored_graph(at, profile) or _built_graph(at, profile)

    graph: AtlasGraph = atlas.cached(f"route:graph:{profile}", make)
    return graph


def _built_graph(atlas: Atlas, profile: str) -> AtlasGraph:
    views_for, source = atlas_views(atlas)
    streets = atlas.streets()
    zones = atlas.zoning(max_width_deg=None).line_epsg(streets.geometry.array)
    return AtlasGraph(profile, streets, zones, views_for, source)


# --- stored graphs -------------------------------------------------------------------

_GRAPH_BLOB = "street_graph:{profile}"
_ZONE_BLOB = "street_graph:{profile}:EPSG:{zone}"


def graph_key(atlas: Atlas, profile: str) -> str:
    """What a stored street graph of ``profile`` was built from: the atlas's imports, its
    stored views (or the default sight parameters when it has none), the profile and the
    graph format. A stored graph whose key differs is out of date."""
    sources, results = atlas.version()
    views = [list(r) for r in results if r[0] in SIGHT_LAYERS]
    made_from: dict[str, Any] = {
        "format": GRAPH_FORMAT,
        "profile": profile,
        "sources": [list(s) for s in sources],
        "views": views,
    }
    if not views:
        made_from["sight"] = SightParameters().to_dict()
    text = json.dumps(made_from, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredGraph:
    """One profile's street graphs as :func:`store_graphs` stored them."""

    profile: str
    zones: tuple[int, ...]
    edges: int
    nodes: int
    watched_edges: int
    bytes: int
    build_seconds: float
    views: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "zones": [f"EPSG:{z}" for z in self.zones],
            "edges": self.edges,
            "nodes": self.nodes,
            "watched_edges": self.watched_edges,
            "bytes": self.bytes,
            "build_seconds": round(self.build_seconds, 3),
            "views": self.views,
        }


def store_graphs(
    atlas: Atlas,
    profiles: Sequence[str] = (DEFAULT_PROFILE,),
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[StoredGraph]:
    """Build the street graph of each profile with its per-edge exposure and store it in
    the atlas, so that a route in a new process reads it instead of rebuilding it.

    Each profile's graphs (one per UTM zone) are written in one transaction, with the key
    of what they were built from (:func:`graph_key`): the imports and the stored views. A
    later import or ``camatlas sight`` makes them out of date; routes then build the graph
    again in memory (and say so) until this is run again.
    """
    out = []
    for profile in profiles:
        check_profile(profile)
    for k, profile in enumerate(profiles):
        if progress:
            progress(f"street graph ({profile})", k, len(profiles))
        key = graph_key(atlas, profile)
        graph = _built_graph(atlas, profile)
        blobs: dict[str, tuple[bytes, dict[str, Any]]] = {}
        zones: list[dict[str, Any]] = []
        size = edges = nodes = watched = 0
        seconds = 0.0
        for zone in graph.zones:
            street_graph = graph.graph(zone)
            data = street_graph.to_bytes()
            blobs[_ZONE_BLOB.format(profile=profile, zone=zone)] = (data, {"key": key})
            zones.append({"epsg": zone, "bbox": list(graph.bbox_of(zone))})
            size += len(data)
            edges += len(street_graph.arrays)
            nodes += street_graph.network.n_nodes
            watched += int(np.count_nonzero(street_graph.arrays.columns["watched_m"] > 0))
            seconds += street_graph.build_seconds
        index = {"key": key, "zones": zones, "views": graph.views_source}
        blobs[_GRAPH_BLOB.format(profile=profile)] = (b"", index)
        atlas.write_blobs(blobs)
        made = StoredGraph(
            profile, graph.zones, edges, nodes, watched, size, seconds, graph.views_source
        )
        out.append(made)
    if progress:
        progress("street graph", len(profiles), len(profiles))
    return out


def _stored_graph(atlas: Atlas, profile: str) -> AtlasGraph | None:
    """The stored graphs of ``profile`` when they are up to date, else None."""
    found = atlas.blob(_GRAPH_BLOB.format(profile=profile))
    if found is None:
        return None
    _, index, stored_at = found
    if index.get("key") != graph_key(atlas, profile):
        return None
    key = index["key"]
    zones: dict[int, tuple[float, float, float, float]] = {}
    for z in index["zones"]:
        west, south, east, north = (float(v) for v in z["bbox"])
        zones[int(z["epsg"])] = (west, south, east, north)

    def load(zone: int) -> StreetGraph:
        name = _ZONE_BLOB.format(profile=profile, zone=zone)
        blob = atlas.blob(name)
        if blob is None or blob[1].get("key") != key:
            raise AtlasError(
                f"{atlas.url}: the stored street graph {name} is missing or out of date; "
                "run `camatlas graph` again"
            )
        try:
            return StreetGraph.from_bytes(blob[0])
        except FormatError as exc:
            raise AtlasError(f"{atlas.url}: {name}: {exc}; run `camatlas graph` again") from exc

    return AtlasGraph.stored(profile, zones, load, str(index.get("views", "")), stored_at)


def least_watched(
    atlas: Atlas,
    origin: tuple[float, float],
    destination: tuple[float, float],
    *,
    profile: str = DEFAULT_PROFILE,
    max_detour: float | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> RouteResult:
    """Routes from ``origin`` to ``destination`` (each ``(lat, lon)`` in degrees), from the
    shortest to the least watched.

    Each route is Pareto-optimal (no other route is both shorter and less watched) and
    the best one for some trade-off ``length + w * metres in view``.

    Parameters
    ----------
    atlas
        The atlas whose streets and views are used.
    origin, destination
        (latitude, longitude) in degrees.
    profile, max_detour, max_snap_m
        See :class:`RouteParameters`.

    Raises
    ------
    InputError
        A point is not a latitude/longitude, or is too far from the streets; the
        two points are in different UTM zones, or on street networks that do
        not connect.
    """
    parameters = RouteParameters(profile=profile, max_detour=max_detour, max_snap_m=max_snap_m)
    graph = build_graph(atlas, profile)
    options = graph.least_watched(origin, destination, max_detour=max_detour, max_snap_m=max_snap_m)
    made = "built" if graph.stored_at is None else f"stored {graph.stored_at}"
    return RouteResult(options, parameters, graph.views_source, made)


def exposure(
    atlas: Atlas,
    track: BaseGeometry | str | Path,
    *,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    views: gpd.GeoDataFrame | None = None,
    max_pairs: int | None = None,
    progress: Progress | None = None,
) -> ExposureResult:
    """How watched a route or GPS track is (see :class:`~camatlas.route.exposure.ExposureResult`).

    Parameters
    ----------
    atlas
        The atlas whose cameras (and stored views) are used.
    track
        A LineString or MultiLineString in lon/lat, or the path of a GPX or
        GeoJSON file (:func:`camatlas.sources.tracks.read_track`).
    speed_kmh
        Travel speed that turns metres into seconds (default 5 km/h, walking).
    views
        Views in a metric CRS to use instead of the atlas's.
    max_pairs
        Refuse (:class:`~camatlas.errors.InputError`) a track whose segments
        meet more views than this, before measuring it: a bound on the work
        of one request (see :func:`camatlas.coverage.candidate_pairs`).
    progress
        Called with (stage, done, total) between the steps of the measure; an
        exception it raises stops the work.
    """
    if not MIN_SPEED_KMH <= speed_kmh <= MAX_SPEED_KMH:  # also refuses NaN
        raise InputError(
            f"the speed must be between {MIN_SPEED_KMH:g} and {MAX_SPEED_KMH:g} km/h",
            value=speed_kmh,
        )
    parts = track_lines(track)
    if views is None:
        # A track is measured in the zone of the place its middle is in, with the views near it.
        west, south, east, north = shapely.bounds(shapely.MultiLineString(parts)).tolist()
        epsg = atlas.zoning(max_width_deg=None).epsg((west + east) / 2, (south + north) / 2)[0]
        views_for, source = atlas_views(atlas)
        views = views_for(pyproj.CRS.from_epsg(int(epsg)), (west, south, east, north))
    else:
        source = "given views"
    lines = gpd.GeoSeries(parts, crs=WGS84).to_crs(views.crs).reset_index(drop=True)
    return track_exposure(
        lines,
        views,
        speed_kmh=speed_kmh,
        views_source=source,
        max_pairs=max_pairs,
        progress=progress,
    )
