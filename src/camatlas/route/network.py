"""The street graph of a profile: streets cut at junctions, each edge with its exposure.

:func:`graph_from_streets` builds a :class:`StreetGraph` from a streets frame
(as :meth:`camatlas.atlas.Atlas.streets` returns it) and camera views in a
metric CRS:

- which streets a profile uses, and one-way rules: :func:`camatlas.route.access.street_access`
  (walking ignores one-way streets);
- junctions are the OSM nodes that streets share (the ``nodes`` column, one id
  per vertex); a street whose node list does not match its vertices (an extract
  that dropped some of its nodes) is cut at its two ends only, which join other
  streets at exactly the same coordinates (:func:`split_at_junctions`);
- islands are left out: of the connected parts of the network (strongly
  connected for bikes and cars), the largest is kept and so is every part with
  at least ``max(50 nodes, 1% of the largest)``
  (:func:`camatlas.route.search.kept_components`); a point is moved onto the
  nearest kept street, and the route starts at that point;
- each edge carries its exposure, the metres inside any camera's view, from
  :func:`camatlas.coverage.coverage_of_lines`.

The alternatives between the shortest and the least-watched route are the
supported Pareto routes of ``length + w * watched_m`` found by
:func:`camatlas.route.search.pareto_routes`.

This module is an engine: frames in, routes out; no atlas. Privacy: it writes
nothing and logs nothing.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import mapping

from camatlas.coords import check_lat_lon
from camatlas.coverage import COVERAGE_COLUMNS, coverage_of_lines, watched_intervals
from camatlas.errors import InputError
from camatlas.geo import BoolArray, FloatArray, IntArray, covered_length, local_crs, merge_intervals
from camatlas.route import search as _search
from camatlas.route.access import parse_tags, street_access
from camatlas.vocab import DEFAULT_MAX_SNAP_M, PROFILES

__all__ = [
    "FIRST_SEARCH_MARGIN_M",
    "MAX_RUNS",
    "Edges",
    "RouteOption",
    "Snap",
    "StreetGraph",
    "check_detour",
    "check_profile",
    "graph_from_streets",
    "split_at_junctions",
]

MAX_RUNS = 24
"""Shortest-path runs one route query may make (bounds the alternatives to about 12)."""

FIRST_SEARCH_MARGIN_M = 250.0
"""The first search stops at twice the straight line plus this (then widens if need be)."""

_WGS84 = "EPSG:4326"

_SYNTHETIC = -(1 << 62)
"""Node keys made up for vertices without an OSM node id (far below any real id)."""


@dataclass(slots=True)
class Edges:
    """Streets cut at junctions: one row per edge, coordinates flat."""

    street: IntArray  # row of the street each edge comes from
    u: IntArray  # node key of the first vertex
    v: IntArray  # node key of the last vertex
    coords: FloatArray  # (k, 2) vertices of all edges, edge after edge
    coord_edge: IntArray  # edge of each vertex in coords
    unaligned: int  # streets whose node list did not match their vertices


def split_at_junctions(
    coords: FloatArray,
    coord_street: IntArray,
    nodes: Sequence[Sequence[int]],
) -> Edges:
    """Cut streets into edges at every vertex shared with another street or itself.

    Parameters
    ----------
    coords, coord_street
        Vertices of all streets (in any CRS) and the street row of each,
        streets in order (as from :func:`shapely.get_coordinates` with
        ``return_index=True``).
    nodes
        OSM node ids of each street, aligned with its vertices. A street whose
        list does not have one id per vertex (an extract that dropped some of
        its nodes, or a street without ids) is split at its two ends only; its
        ends join other streets where a street with ids has a vertex at exactly
        the same coordinates, or where two such ends coincide.
    """
    n_streets = len(nodes)
    counts = np.bincount(coord_street, minlength=n_streets)
    id_counts = np.fromiter((len(x) for x in nodes), dtype=np.int64, count=n_streets)
    aligned = id_counts == counts
    keys = np.empty(len(coords), dtype=np.int64)
    first = np.zeros(len(coords), dtype=bool)
    last = np.zeros(len(coords), dtype=bool)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    nonempty = counts > 0
    first[starts[nonempty]] = True
    last[(starts + counts - 1)[nonempty]] = True
    on_aligned = aligned[coord_street]
    if aligned.any():
        ids = [x for x, ok in zip(nodes, aligned.tolist(), strict=True) if ok]
        keys[on_aligned] = np.fromiter(
            (int(i) for street_ids in ids for i in street_ids),
            dtype=np.int64,
            count=int(counts[aligned].sum()),
        )
    loose = ~on_aligned
    if loose.any():
        # Interior vertices of unaligned streets: never junctions (unique keys).
        inner = np.flatnonzero(loose & ~first & ~last)
        keys[inner] = _SYNTHETIC + np.arange(len(inner), dtype=np.int64)
        ends = np.flatnonzero(loose & (first | last))
        keys[ends] = _end_keys(coords, keys, on_aligned, ends, offset=len(inner))
    # A vertex is a junction when its node is used twice or more (by any street,
    # including twice by one), or when it ends its street.
    _, inverse, uses = np.unique(keys, return_inverse=True, return_counts=True)
    junction = (uses[inverse] >= 2) | first | last
    starts_edge = junction & ~last
    edge_of = np.cumsum(starts_edge) - 1
    # Interior junctions end one edge and start the next: emit them twice.
    double = starts_edge & ~first
    repeat = 1 + double.astype(np.int64)
    index = np.repeat(np.arange(len(coords)), repeat)
    coord_edge = edge_of[index]
    copy_first = np.zeros(len(index), dtype=bool)
    positions = np.cumsum(repeat) - repeat
    copy_first[positions[double]] = True
    coord_edge[copy_first] -= 1
    n_edges = int(starts_edge.sum())
    edge_start = np.searchsorted(coord_edge, np.arange(n_edges), side="left")
    edge_end = np.searchsorted(coord_edge, np.arange(n_edges), side="right") - 1
    point_keys = keys[index]
    return Edges(
        street=coord_street[index][edge_start].astype(np.int64),
        u=point_keys[edge_start],
        v=point_keys[edge_end],
        coords=coords[index],
        coord_edge=coord_edge.astype(np.int64),
        unaligned=int((~aligned & nonempty).sum()),
    )


def _end_keys(
    coords: FloatArray, keys: IntArray, on_aligned: BoolArray, ends: IntArray, offset: int
) -> IntArray:
    """Keys of the ends of unaligned streets: a node id found at the same place, else new."""
    known: dict[tuple[float, float], int] = {}
    aligned_idx = np.flatnonzero(on_aligned)
    if len(aligned_idx):
        for (x, y), key in zip(
            coords[aligned_idx].tolist(), keys[aligned_idx].tolist(), strict=True
        ):
            known.setdefault((x, y), key)
    out = np.empty(len(ends), dtype=np.int64)
    made: dict[tuple[float, float], int] = {}
    for i, (x, y) in enumerate(coords[ends].tolist()):
        key = known.get((x, y))
        if key is None:
            key = made.setdefault((x, y), _SYNTHETIC + offset + len(made))
        out[i] = key
    return out


# --- results ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snap:
    """Where a point given by the user meets the street graph."""

    label: str
    lat: float
    lon: float
    edge: int
    position_m: float  # along the edge's geometry from its first vertex
    distance_m: float  # from the point to the street
    x: float  # the point on the street, in the graph's metric CRS
    y: float


@dataclass(frozen=True, slots=True)
class RouteOption:
    """One route between two points, with its length and how much of it cameras watch.

    ``detour_m`` and ``detour_ratio`` compare it with the shortest route of
    the same query (``detour_ratio`` 0.25 = a quarter longer). ``watched_m``
    is the length inside at least one known camera's view; ``cameras`` the
    distinct physical cameras whose view the route crosses. ``weight`` is the
    trade-off at which it is the best route: the metres of extra length worth
    one metre less in view.
    """

    length_m: float
    detour_m: float
    detour_ratio: float
    watched_m: float
    cameras: tuple[str, ...]
    geometry: shapely.LineString  # lon/lat
    weight: float
    origin_snap_m: float
    destination_snap_m: float

    @property
    def watched_share(self) -> float:
        return self.watched_m / self.length_m if self.length_m > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: lengths in metres, geometry a GeoJSON LineString in lon/lat."""
        return {
            "length_m": round(self.length_m, 2),
            "detour_m": round(self.detour_m, 2),
            "detour_ratio": round(self.detour_ratio, 4),
            "watched_m": round(self.watched_m, 2),
            "watched_share": round(self.watched_share, 4),
            "cameras": len(self.cameras),
            "camera_ids": list(self.cameras),
            "weight": self.weight,
            "origin_snap_m": round(self.origin_snap_m, 2),
            "destination_snap_m": round(self.destination_snap_m, 2),
            "geometry": mapping(self.geometry),
        }


# --- the street graph -------------------------------------------------------------


@dataclass(slots=True)
class StreetGraph:
    """The streets one profile can use, cut at junctions, with each edge's exposure.

    ``edges`` is a GeoDataFrame in the metric ``crs`` with one row per edge:
    ``street_id``, ``highway``, ``name``, ``u`` and ``v`` (node numbers),
    ``forward`` / ``backward`` (travel along / against the drawing direction
    allowed), ``length_m``, ``watched_m`` (metres inside any view),
    ``watched_m_identification`` ... ``watched_m_detection`` (metres by the
    best DORI level there), ``cameras`` (distinct physical ids) and
    ``camera_count``. Islands are left out: the largest connected part of the
    network (strongly connected for bikes and cars) is kept, and so is every
    part with at least ``max(50 nodes, 1% of the largest)``; ``detached``
    holds the edges left out and ``edge_component`` the kept part of each
    edge (0 the largest).
    """

    profile: str
    crs: pyproj.CRS
    edges: gpd.GeoDataFrame
    detached: gpd.GeoDataFrame
    network: _search.Network
    views_source: str
    streets_used: int
    unaligned_streets: int
    build_seconds: float
    view_starts: np.ndarray[Any, Any]
    view_ends: np.ndarray[Any, Any]
    view_bounds: np.ndarray[Any, Any]  # per edge, the slice of view_starts/ends
    camera_pieces: pd.DataFrame  # edge, start_m, end_m, camera
    edge_component: np.ndarray[Any, Any]  # per edge, its connected part (0: the largest)
    _tree: shapely.STRtree = field(repr=False)
    _detached_tree: shapely.STRtree = field(repr=False)
    _to_metric: pyproj.Transformer = field(repr=False)
    _to_wgs84: pyproj.Transformer = field(repr=False)
    # Plain arrays of the edge table for the hot path of a query.
    _length: np.ndarray[Any, Any] = field(init=False, repr=False)
    _forward: np.ndarray[Any, Any] = field(init=False, repr=False)
    _backward: np.ndarray[Any, Any] = field(init=False, repr=False)
    _u: np.ndarray[Any, Any] = field(init=False, repr=False)
    _v: np.ndarray[Any, Any] = field(init=False, repr=False)
    _cameras: list[tuple[str, ...]] = field(init=False, repr=False)
    _coords: np.ndarray[Any, Any] = field(init=False, repr=False)
    _coord_start: np.ndarray[Any, Any] = field(init=False, repr=False)
    _piece_bounds: np.ndarray[Any, Any] = field(init=False, repr=False)
    _piece_start: np.ndarray[Any, Any] = field(init=False, repr=False)
    _piece_end: np.ndarray[Any, Any] = field(init=False, repr=False)
    _piece_camera: np.ndarray[Any, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        edges = self.edges
        self._length = edges["length_m"].to_numpy(dtype=np.float64)
        self._forward = edges["forward"].to_numpy(dtype=bool)
        self._backward = edges["backward"].to_numpy(dtype=bool)
        self._u = edges["u"].to_numpy(dtype=np.int64)
        self._v = edges["v"].to_numpy(dtype=np.int64)
        self._cameras = list(edges["cameras"])
        coords, index = shapely.get_coordinates(
            np.asarray(edges.geometry.array, dtype=object), return_index=True
        )
        self._coords = coords
        self._coord_start = np.searchsorted(index, np.arange(len(edges) + 1))
        pieces = self.camera_pieces
        self._piece_bounds = np.searchsorted(
            pieces["edge"].to_numpy(dtype=np.int64), np.arange(len(edges) + 1)
        )
        self._piece_start = pieces["start_m"].to_numpy(dtype=np.float64)
        self._piece_end = pieces["end_m"].to_numpy(dtype=np.float64)
        self._piece_camera = pieces["camera"].to_numpy(dtype=object)

    # -- snapping ----------------------------------------------------------------

    def snap(
        self,
        lat: float,
        lon: float,
        *,
        label: str = "point",
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
    ) -> Snap:
        """The nearest point on the graph to (``lat``, ``lon``).

        Raises
        ------
        InputError
            If the coordinates are not a latitude and longitude, or the nearest
            usable street is farther than ``max_snap_m`` metres (the message names
            the point and the distance).
        """
        lat, lon = check_lat_lon(lat, lon, label)
        if len(self.edges) == 0:
            raise InputError(
                f"the atlas has no streets usable by the {self.profile!r} profile; import an "
                "OSM extract with streets first",
                element=label,
            )
        x, y = self._to_metric.transform(lon, lat)
        point = shapely.Point(x, y)
        found, distance = self._tree.query_nearest(point, return_distance=True)
        edge, dist = int(found[0]), float(distance[0])
        if dist > max_snap_m:
            raise InputError(
                self._too_far(point, dist, max_snap_m),
                element=label,
                value=(round(lat, 6), round(lon, 6)),
            )
        line = self.edges.geometry.array[edge]
        position = float(shapely.line_locate_point(line, point))
        on = shapely.line_interpolate_point(line, position)
        return Snap(label, lat, lon, edge, position, dist, on.x, on.y)

    def _too_far(self, point: shapely.Point, dist: float, limit: float) -> str:
        text = (
            f"the nearest street usable by the {self.profile!r} profile is {dist:,.0f} m away, "
            f"beyond the snapping limit of {limit:,.0f} m"
        )
        if len(self.detached):
            found, distance = self._detached_tree.query_nearest(point, return_distance=True)
            near = float(distance[0])
            if near <= limit:
                street = self.detached["street_id"].iloc[int(found[0])]
                text += (
                    f"; the street {street} at {near:,.0f} m is not connected to the rest of "
                    f"the {self.profile} network (route from a point on the connected network)"
                )
                return text
        return text + "; choose a point on or near a street, or raise the limit"

    # -- routing -----------------------------------------------------------------

    def least_watched(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        *,
        max_detour: float | None = None,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        max_runs: int = MAX_RUNS,
    ) -> list[RouteOption]:
        """Pareto-optimal routes between length and metres in view (:func:`least_watched`)."""
        check_detour(max_detour)
        start = self.snap(*origin, label="origin", max_snap_m=max_snap_m)
        end = self.snap(*destination, label="destination", max_snap_m=max_snap_m)
        return self.routes_between(start, end, max_detour=max_detour, max_runs=max_runs)

    def routes_between(
        self,
        start: Snap,
        end: Snap,
        *,
        max_detour: float | None = None,
        max_runs: int = MAX_RUNS,
    ) -> list[RouteOption]:
        """:meth:`least_watched` between two points already snapped onto this graph.

        Raises
        ------
        InputError
            When the points lie on two parts of the network that do not connect, or no
            route of the profile joins them (one-way streets).
        """
        apart = int(self.edge_component[start.edge]) != int(self.edge_component[end.edge])
        if apart and self.profile == "walk":
            raise InputError(self._apart(start, end))
        first, last, direct = self._legs(start, end)
        search = self.network.search(
            first, last, direct, origin_xy=(start.x, start.y), goal_xy=(end.x, end.y)
        )
        # Most routes are under twice the straight line: bound the first search there.
        guess = 2.0 * math.hypot(end.x - start.x, end.y - start.y) + FIRST_SEARCH_MARGIN_M
        found = _search.pareto_routes(
            search, max_detour=max_detour, max_runs=max_runs, first_limit=guess
        )
        if not found and apart:
            raise InputError(self._apart(start, end))
        if not found:
            raise InputError(
                f"no {self.profile} route joins the origin and the destination "
                "(one-way streets or missing links in the street data)"
            )
        shortest = found[0].length_m
        options = []
        for item in found:
            detour = item.length_m - shortest
            options.append(
                RouteOption(
                    length_m=item.length_m,
                    detour_m=detour,
                    detour_ratio=detour / shortest if shortest > 0 else 0.0,
                    watched_m=item.watched_m,
                    cameras=self._cameras_of(item),
                    geometry=self._geometry_of(item),
                    weight=item.weight,
                    origin_snap_m=start.distance_m,
                    destination_snap_m=end.distance_m,
                )
            )
        return options

    def _apart(self, start: Snap, end: Snap) -> str:
        return (
            f"the two points are on {self.profile} street networks that do not connect "
            f"(the origin was moved {start.distance_m:,.0f} m and the destination "
            f"{end.distance_m:,.0f} m onto the nearest streets); choose points on one network"
        )

    def _covered(self, edge: int, lo: float, hi: float) -> float:
        a, b = self.view_bounds[edge], self.view_bounds[edge + 1]
        return covered_length(self.view_starts[a:b], self.view_ends[a:b], lo, hi)

    def _legs(
        self, start: Snap, end: Snap
    ) -> tuple[list[_search.Leg], list[_search.Leg], _search.Leg | None]:
        """The pieces of edge between the snapped points and the nodes next to them."""
        leg = _search.Leg
        first: list[_search.Leg] = []
        last: list[_search.Leg] = []
        e, t = start.edge, start.position_m
        length = float(self._length[e])
        if self._forward[e]:
            first.append(leg(int(self._v[e]), length - t, self._covered(e, t, length),
                             e, t, length, True))  # fmt: skip
        if self._backward[e]:
            first.append(leg(int(self._u[e]), t, self._covered(e, 0.0, t), e, 0.0, t, False))
        f, s = end.edge, end.position_m
        length = float(self._length[f])
        if self._forward[f]:
            last.append(leg(int(self._u[f]), s, self._covered(f, 0.0, s), f, 0.0, s, True))
        if self._backward[f]:
            last.append(leg(int(self._v[f]), length - s, self._covered(f, s, length),
                            f, s, length, False))  # fmt: skip
        direct = None
        if e == f:
            if self._forward[e] and s >= t:
                direct = leg(-1, s - t, self._covered(e, t, s), e, t, s, True)
            elif self._backward[e] and s <= t:
                direct = leg(-1, t - s, self._covered(e, s, t), e, s, t, False)
        return first, last, direct

    def _pieces(self, item: _search.Found) -> list[tuple[int, float, float, bool]]:
        """(edge, start_m, end_m, forward) travelled, in order."""
        if item.direct is not None:
            leg = item.direct
            return [(leg.edge, leg.start_m, leg.end_m, leg.forward)]
        net = self.network
        assert item.first is not None and item.last is not None
        leg = item.first
        pieces = [(leg.edge, leg.start_m, leg.end_m, leg.forward)]
        arcs = np.asarray(item.arcs, dtype=np.int64)
        edges = net.edge[arcs].tolist()
        pieces += zip(edges, [0.0] * len(edges), self._length[edges].tolist(),
                      net.forward[arcs].tolist(), strict=True)  # fmt: skip
        leg = item.last
        pieces.append((leg.edge, leg.start_m, leg.end_m, leg.forward))
        return [p for p in pieces if p[2] > p[1]] or pieces[:1]

    def _geometry_of(self, item: _search.Found) -> shapely.LineString:
        chunks = []
        for edge, a, b, forward in self._pieces(item):
            coords = self._coords[self._coord_start[edge] : self._coord_start[edge + 1]]
            if a > 0 or b < self._length[edge]:
                coords = _stretch(coords, a, b)
            chunks.append(coords if forward else coords[::-1])
        coords = np.vstack(chunks)
        keep = np.ones(len(coords), dtype=bool)
        keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
        coords = coords[keep]
        if len(coords) == 1:
            coords = np.vstack([coords, coords])
        lon, lat = self._to_wgs84.transform(coords[:, 0], coords[:, 1])
        return shapely.LineString(np.round(np.column_stack([lon, lat]), 7))

    def _cameras_of(self, item: _search.Found) -> tuple[str, ...]:
        seen: set[str] = set()
        for edge, a, b, _ in self._pieces(item):
            if a <= 0 and b >= self._length[edge]:
                seen.update(self._cameras[edge])
                continue
            lo, hi = self._piece_bounds[edge], self._piece_bounds[edge + 1]
            overlap = np.minimum(self._piece_end[lo:hi], b) - np.maximum(
                self._piece_start[lo:hi], a
            )
            seen.update(self._piece_camera[lo:hi][overlap > 1e-9].tolist())
        return tuple(sorted(seen))


def _stretch(coords: np.ndarray[Any, Any], a: float, b: float) -> np.ndarray[Any, Any]:
    """The vertices of a polyline from ``a`` to ``b`` metres along it."""
    step = np.hypot(*np.diff(coords, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(step)])
    x = np.interp([a, b], along, coords[:, 0])
    y = np.interp([a, b], along, coords[:, 1])
    inner = coords[(along > a) & (along < b)]
    return np.vstack([[x[0], y[0]], inner, [x[1], y[1]]])


def graph_from_streets(
    streets: gpd.GeoDataFrame,
    profile: str = "walk",
    *,
    views: gpd.GeoDataFrame | None = None,
    crs: pyproj.CRS | None = None,
    views_source: str = "no views",
) -> StreetGraph:
    """Build the street graph of ``profile`` from a streets frame (as ``atlas.streets()``).

    Parameters
    ----------
    streets
        LineStrings in WGS 84 with columns ``id``, ``highway``, ``name``,
        ``oneway``, ``nodes`` (JSON array of OSM node ids aligned with the
        vertices) and ``tags`` (JSON).
    profile
        One of :data:`camatlas.vocab.PROFILES`.
    views
        Camera views in a metric CRS as from :func:`camatlas.views.compute_views`;
        without them every edge has zero exposure.
    crs
        The metric CRS of the graph; default the CRS of ``views``, else the local
        UTM zone of the streets.

    All the streets go into one graph in one CRS (the pipeline makes one per
    UTM zone). Of its connected parts (strongly connected for bikes and cars)
    the largest is kept and so is every part with at least 50 nodes and 1 % of
    the largest part's nodes; smaller islands go to ``detached``. Routes
    between two kept parts that do not connect raise InputError.
    """
    started = time.perf_counter()
    check_profile(profile)
    if crs is None:
        crs = views.crs if views is not None and views.crs is not None else local_crs(streets)
    crs = pyproj.CRS.from_user_input(crs)
    to_metric = pyproj.Transformer.from_crs(_WGS84, crs, always_xy=True)
    to_wgs84 = pyproj.Transformer.from_crs(crs, _WGS84, always_xy=True)

    tags = parse_tags(streets["tags"] if "tags" in streets else [None] * len(streets))
    highway = streets["highway"].tolist() if "highway" in streets else [None] * len(streets)
    if "oneway" in streets:
        for tag, oneway in zip(tags, streets["oneway"].tolist(), strict=True):
            if isinstance(oneway, str) and "oneway" not in tag:
                tag["oneway"] = oneway
    forward, backward, used = street_access(highway, tags, profile)
    rows = np.flatnonzero(used)
    geoms = np.asarray(streets.geometry.array, dtype=object)[rows]
    lines = shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING.value
    rows, geoms = rows[lines], geoms[lines]
    coords, coord_street = shapely.get_coordinates(geoms, return_index=True)
    nodes_column = streets["nodes"].to_numpy()[rows] if "nodes" in streets else [None] * len(rows)
    nodes = [_node_ids(text) for text in nodes_column]
    x, y = to_metric.transform(coords[:, 0], coords[:, 1])
    split = split_at_junctions(np.column_stack([x, y]), coord_street.astype(np.int64), nodes)
    edge_geoms = np.asarray(shapely.linestrings(split.coords, indices=split.coord_edge))
    street_row = rows[split.street]
    fwd, bwd = forward[street_row], backward[street_row]
    node_index, node_keys = pd.factorize(np.concatenate([split.u, split.v]))
    n_edges = len(split.u)
    u, v = node_index[:n_edges].astype(np.int64), node_index[n_edges:].astype(np.int64)

    tail = np.concatenate([u[fwd], v[bwd]])
    head = np.concatenate([v[fwd], u[bwd]])
    part = _search.kept_components(len(node_keys), tail, head, strong=profile != "walk")
    keep_node = part >= 0
    kept = keep_node[u] & keep_node[v] if n_edges else np.zeros(0, dtype=bool)
    renumber = np.cumsum(keep_node) - 1

    ids = streets["id"].to_numpy() if "id" in streets else np.arange(len(streets)).astype(str)
    names = streets["name"].to_numpy() if "name" in streets else np.full(len(streets), None)
    kinds = np.asarray(highway, dtype=object)
    edges = gpd.GeoDataFrame(
        {
            "street_id": ids[street_row][kept],
            "highway": kinds[street_row][kept],
            "name": names[street_row][kept],
            "u": renumber[u[kept]],
            "v": renumber[v[kept]],
            "forward": fwd[kept],
            "backward": bwd[kept],
            "length_m": shapely.length(edge_geoms[kept]),
        },
        geometry=edge_geoms[kept],
        crs=crs,
    )
    detached = gpd.GeoDataFrame(
        {"street_id": ids[street_row][~kept]}, geometry=edge_geoms[~kept], crs=crs
    )
    exposure = _edge_exposure(edges, views)
    for column in exposure.columns:
        if column != "length_m":
            edges[column] = exposure[column].to_numpy()

    e_fwd = np.flatnonzero(edges["forward"].to_numpy())
    e_bwd = np.flatnonzero(edges["backward"].to_numpy())
    eu, ev = edges["u"].to_numpy(), edges["v"].to_numpy()
    arc_edge = np.concatenate([e_fwd, e_bwd]).astype(np.int64)
    length = edges["length_m"].to_numpy()
    watched = edges["watched_m"].to_numpy()
    n_nodes = int(keep_node.sum())
    node_xy = np.zeros((n_nodes, 2))
    first_coord = np.searchsorted(split.coord_edge, np.arange(n_edges), side="left")
    last_coord = np.searchsorted(split.coord_edge, np.arange(n_edges), side="right") - 1
    node_xy[renumber[u[kept]]] = split.coords[first_coord[kept]]
    node_xy[renumber[v[kept]]] = split.coords[last_coord[kept]]
    network = _search.Network(
        n_nodes=n_nodes,
        node_xy=node_xy,
        tail=np.concatenate([eu[e_fwd], ev[e_bwd]]).astype(np.int64),
        head=np.concatenate([ev[e_fwd], eu[e_bwd]]).astype(np.int64),
        edge=arc_edge,
        forward=np.concatenate([np.ones(len(e_fwd), bool), np.zeros(len(e_bwd), bool)]),
        length=length[arc_edge].astype(np.float64),
        watched=watched[arc_edge].astype(np.float64),
    )
    starts, ends, bounds, pieces = _view_intervals(edges, views)
    return StreetGraph(
        profile=profile,
        crs=crs,
        edges=edges,
        detached=detached,
        network=network,
        views_source=views_source,
        streets_used=len(rows),
        unaligned_streets=split.unaligned,
        build_seconds=time.perf_counter() - started,
        view_starts=starts,
        view_ends=ends,
        view_bounds=bounds,
        camera_pieces=pieces,
        edge_component=part[u[kept]] if n_edges else np.zeros(0, dtype=np.int64),
        _tree=shapely.STRtree(np.asarray(edges.geometry.array, dtype=object)),
        _detached_tree=shapely.STRtree(np.asarray(detached.geometry.array, dtype=object)),
        _to_metric=to_metric,
        _to_wgs84=to_wgs84,
    )


def _node_ids(text: Any) -> list[int]:
    if isinstance(text, str) and text:
        value = json.loads(text)
        return [int(v) for v in value] if isinstance(value, list) else []
    if isinstance(text, (list, tuple)):
        return [int(v) for v in text]
    return []


EXPOSURE_COLUMNS = COVERAGE_COLUMNS
"""Exposure columns of every edge: those of :func:`camatlas.coverage.coverage_of_lines`."""


def _edge_exposure(edges: gpd.GeoDataFrame, views: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Metres in view of every edge, by DORI level, and its cameras."""
    if views is None or len(views) == 0 or len(edges) == 0:
        out = pd.DataFrame(index=edges.index)
        out["length_m"] = edges["length_m"].to_numpy()
        for column in EXPOSURE_COLUMNS[1:-2]:
            out[column] = 0.0
        out["cameras"] = [()] * len(edges)
        out["camera_count"] = 0
        return out
    return coverage_of_lines(edges.geometry, views)


def _view_intervals(
    edges: gpd.GeoDataFrame, views: gpd.GeoDataFrame | None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], pd.DataFrame]:
    """Per edge, the merged stretches in view and each camera's stretches."""
    empty = pd.DataFrame(
        {
            "edge": pd.Series(dtype=np.int64),
            "start_m": pd.Series(dtype=float),
            "end_m": pd.Series(dtype=float),
            "camera": pd.Series(dtype=object),
        }
    )
    pieces = empty
    if views is not None and len(views) and len(edges):
        found = watched_intervals(edges.geometry.reset_index(drop=True), views)
        found = found[found["level"] == "view"]
        pieces = (
            pd.DataFrame(
                {
                    "edge": found["line"].to_numpy(dtype=np.int64),
                    "start_m": found["start_m"].to_numpy(dtype=float),
                    "end_m": found["end_m"].to_numpy(dtype=float),
                    "camera": found["camera"].to_numpy(dtype=object),
                }
            )
            .sort_values(["edge", "start_m"], kind="stable")
            .reset_index(drop=True)
        )
    group, starts, ends = merge_intervals(
        pieces["edge"].to_numpy(dtype=np.int64),
        pieces["start_m"].to_numpy(dtype=float),
        pieces["end_m"].to_numpy(dtype=float),
        presorted=True,
    )
    bounds = np.searchsorted(group, np.arange(len(edges) + 1))
    return starts, ends, bounds, pieces


# --- checks ------------------------------------------------------------------------


def check_detour(max_detour: float | None) -> None:
    """Refuse a maximum detour that is not a finite share of 0 or more."""
    if max_detour is not None and not (max_detour >= 0 and math.isfinite(max_detour)):
        raise InputError(
            "the maximum detour must be a number >= 0 (0.5 = 50% longer)", value=max_detour
        )


def check_profile(profile: str) -> None:
    """Refuse a profile that is not one of :data:`camatlas.vocab.PROFILES`."""
    if profile not in PROFILES:
        raise InputError(f"unknown profile; use one of {', '.join(PROFILES)}", value=profile)
