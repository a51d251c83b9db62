"""Routes: how watched a way is, and the least-watched way from here to there.

>>> import camatlas
>>> from camatlas import route
>>> atlas = camatlas.open_atlas("city.gpkg")                       # doctest: +SKIP
>>> options = route.least_watched(atlas, (51.5138, -0.0984), (51.5155, -0.0922))  # doctest: +SKIP
>>> [(o.length_m, o.watched_m) for o in options]                  # doctest: +SKIP
>>> route.exposure(atlas, "walk.gpx")["seconds_in_view"]          # doctest: +SKIP

The street graph is built from the atlas's streets, once per atlas and
profile and kept in memory:

- which streets a profile uses, and one-way rules: see
  :func:`camatlas._graph.street_access` (walking ignores one-way streets);
- junctions are the OSM nodes that streets share (the ``nodes`` column, one
  id per vertex). A street whose node list does not match its vertices (an
  extract that dropped some of its nodes) is cut at its two ends only, which
  join other streets at exactly the same coordinates;
- one graph per UTM zone (EPSG 326zz/327zz), each measured in its own zone's
  CRS so lengths stay true in every city of the atlas: streets that join go
  to the zone of the centre of their connected network
  (:func:`street_zones`), and each zone's graph is built when a route first
  needs it. A route between two zones is refused (InputError);
- islands are left out: of the connected parts of a zone's network
  (strongly connected for bikes and cars), the largest is kept and so is
  every part with at least ``max(50 nodes, 1% of the largest)``
  (:func:`camatlas._graph.kept_components`); a point is moved onto the
  nearest kept street, and the route starts at that point, not at the
  nearest junction. Two points on kept parts that do not connect are
  refused (InputError);
- each edge carries its exposure, the metres inside any camera's view, from
  :func:`camatlas.measure.coverage_of_lines`. Views come from the atlas's
  stored ``views`` / ``view_zones`` result layers (written by ``camatlas
  sight``) or, when there are none, are computed with the default
  :class:`camatlas.sight.SightParameters`; each zone uses the views that
  reach into its streets, in its CRS.

The alternatives between the shortest and the least-watched route are the
supported Pareto routes of ``length + w * watched_m``, found by a dichotomic
search over ``w`` (:func:`camatlas._graph.pareto_routes`) with scipy's
compiled Dijkstra.

Privacy: route queries and tracks are never logged and never written
anywhere; this module writes no files and logs nothing.
"""

from __future__ import annotations

import json
import math
import threading
import time
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from camatlas import _graph
from camatlas.errors import CamatlasError, InputError

if TYPE_CHECKING:
    from camatlas.atlas import Atlas

PROFILES = ("walk", "bike", "car")
"""Ways of travelling: walking ignores one-way streets; bikes and cars respect them."""

DORI_LEVELS = ("identification", "recognition", "observation", "detection")
"""DORI levels, finest first (as in :mod:`camatlas.sight`)."""

DEFAULT_MAX_SNAP_M = 250.0
"""Farthest a route's end may lie from the nearest usable street (metres)."""

DEFAULT_SPEED_KMH = 5.0
"""Walking speed used to turn metres in view into seconds: 5 km/h, a common average."""

MAX_RUNS = 24
"""Shortest-path runs one route query may make (bounds the alternatives to about 12)."""

FIRST_SEARCH_MARGIN_M = 250.0
"""The first search stops at twice the straight line plus this (then widens if need be)."""

_CACHE_SIZE = 4
_WGS84 = "EPSG:4326"


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

    def as_dict(self) -> dict[str, Any]:
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
    network: _graph.Network
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
        _check_lat_lon(lat, lon, label)
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
        _check_detour(max_detour)
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
            When the points lie on two parts of the network that do not connect.
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
        found = _graph.pareto_routes(
            search, max_detour=max_detour, max_runs=max_runs, first_limit=guess
        )
        if not found and apart:
            raise InputError(self._apart(start, end))
        if not found:
            raise CamatlasError(
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
        return _graph.covered_length(self.view_starts[a:b], self.view_ends[a:b], lo, hi)

    def _legs(
        self, start: Snap, end: Snap
    ) -> tuple[list[_graph.Leg], list[_graph.Leg], _graph.Leg | None]:
        """The pieces of edge between the snapped points and the nodes next to them."""
        leg = _graph.Leg
        first: list[_graph.Leg] = []
        last: list[_graph.Leg] = []
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

    def _pieces(self, item: _graph.Found) -> list[tuple[int, float, float, bool]]:
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

    def _geometry_of(self, item: _graph.Found) -> shapely.LineString:
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

    def _cameras_of(self, item: _graph.Found) -> tuple[str, ...]:
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
        One of :data:`PROFILES`.
    views
        Camera views in a metric CRS as from :func:`camatlas.sight.compute_views`;
        without them every edge has zero exposure.
    crs
        The metric CRS of the graph; default the CRS of ``views``, else the local
        UTM zone of the streets.

    All the streets go into one graph in one CRS (:func:`build_graph` makes one
    per UTM zone). Of its connected parts (strongly connected for bikes and
    cars) the largest is kept and so is every part with at least
    ``max(50 nodes, 1% of the largest part)``; smaller islands go to
    ``detached``. Routes between two kept parts that do not connect raise
    InputError.
    """
    started = time.perf_counter()
    _check_profile(profile)
    if crs is None:
        crs = views.crs if views is not None and views.crs is not None else _local_crs(streets)
    crs = pyproj.CRS.from_user_input(crs)
    to_metric = pyproj.Transformer.from_crs(_WGS84, crs, always_xy=True)
    to_wgs84 = pyproj.Transformer.from_crs(crs, _WGS84, always_xy=True)

    tags = _graph.parse_tags(streets["tags"] if "tags" in streets else [None] * len(streets))
    highway = streets["highway"].tolist() if "highway" in streets else [None] * len(streets)
    if "oneway" in streets:
        for tag, oneway in zip(tags, streets["oneway"].tolist(), strict=True):
            if isinstance(oneway, str) and "oneway" not in tag:
                tag["oneway"] = oneway
    forward, backward, used = _graph.street_access(highway, tags, profile)
    rows = np.flatnonzero(used)
    geoms = np.asarray(streets.geometry.array, dtype=object)[rows]
    lines = shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING.value
    rows, geoms = rows[lines], geoms[lines]
    coords, coord_street = shapely.get_coordinates(geoms, return_index=True)
    nodes_column = streets["nodes"].to_numpy()[rows] if "nodes" in streets else [None] * len(rows)
    nodes = [_node_ids(text) for text in nodes_column]
    x, y = to_metric.transform(coords[:, 0], coords[:, 1])
    split = _graph.split_at_junctions(np.column_stack([x, y]), coord_street.astype(np.int64), nodes)
    edge_geoms = np.asarray(shapely.linestrings(split.coords, indices=split.coord_edge))
    street_row = rows[split.street]
    fwd, bwd = forward[street_row], backward[street_row]
    node_index, node_keys = pd.factorize(np.concatenate([split.u, split.v]))
    n_edges = len(split.u)
    u, v = node_index[:n_edges].astype(np.int64), node_index[n_edges:].astype(np.int64)

    tail = np.concatenate([u[fwd], v[bwd]])
    head = np.concatenate([v[fwd], u[bwd]])
    part = _graph.kept_components(len(node_keys), tail, head, strong=profile != "walk")
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
    network = _graph.Network(
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


EXPOSURE_COLUMNS = (
    "length_m",
    "watched_m",
    *(f"watched_m_{level}" for level in DORI_LEVELS),
    "cameras",
    "camera_count",
)


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
    from camatlas.measure import coverage_of_lines

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
        from camatlas.measure import watched_intervals

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
    group, starts, ends = _graph.merge_intervals(
        pieces["edge"].to_numpy(dtype=np.int64),
        pieces["start_m"].to_numpy(dtype=float),
        pieces["end_m"].to_numpy(dtype=float),
    )
    bounds = np.searchsorted(group, np.arange(len(edges) + 1))
    return starts, ends, bounds, pieces


# --- zones ------------------------------------------------------------------------

_DEGREE_M = 111_320.0
"""Metres in one degree of latitude (and of longitude at the equator), roughly."""

_CAMERA_PAD_DEG = 0.1
"""Cameras this far (degrees) outside an area can still see into it when views are computed."""


def _utm_epsg(lon: Any, lat: Any) -> np.ndarray[Any, Any]:
    from camatlas.sight import utm_epsg

    return np.asarray(utm_epsg(lon, lat), dtype=np.int64)


def street_zones(streets: gpd.GeoDataFrame) -> np.ndarray[Any, Any]:
    """The UTM zone (EPSG 326zz / 327zz) each street is routed in, per row of ``streets``.

    Streets that join (shared OSM nodes, or ends at the same coordinates) are
    kept together: every street takes the zone of the centre of its connected
    network, so a city across a zone border (London at 0 degrees) stays one
    network, measured in the zone of that network's centre.
    """
    geoms = np.asarray(streets.geometry.array, dtype=object)
    bounds = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        out = _utm_epsg((bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2)
    lines = (shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING.value) & ~(
        shapely.is_empty(geoms)
    )
    rows = np.flatnonzero(lines)
    if len(rows) == 0:
        return out
    coords, coord_street = shapely.get_coordinates(geoms[rows], return_index=True)
    nodes_column = streets["nodes"].to_numpy()[rows] if "nodes" in streets else [None] * len(rows)
    split = _graph.split_at_junctions(
        coords, coord_street.astype(np.int64), [_node_ids(t) for t in nodes_column]
    )
    node_index, node_keys = pd.factorize(np.concatenate([split.u, split.v]))
    k, n_edges = len(node_keys), len(split.u)
    u, v = node_index[:n_edges], node_index[n_edges:]
    _, labels = connected_components(
        sp.csr_matrix((np.ones(n_edges), (u, v)), shape=(k, k)), directed=False
    )
    edge_label = labels[u]
    coord_label = edge_label[split.coord_edge]
    parts = int(labels.max()) + 1
    low = np.full((parts, 2), np.inf)
    high = np.full((parts, 2), -np.inf)
    np.minimum.at(low, coord_label, split.coords)
    np.maximum.at(high, coord_label, split.coords)
    centre = (low + high) / 2
    zone_of_part = _utm_epsg(centre[:, 0], centre[:, 1])
    street_label = np.zeros(len(rows), dtype=np.int64)
    street_label[split.street] = edge_label
    out[rows] = zone_of_part[street_label]
    return out


def _bbox_distance(bbox: tuple[float, float, float, float], lat: float, lon: float) -> float:
    """Roughly how far (metres) a point lies outside a lon/lat box (0 inside)."""
    west, south, east, north = bbox
    dx = max(west - lon, 0.0, lon - east) * max(math.cos(math.radians(lat)), 0.01)
    dy = max(south - lat, 0.0, lat - north)
    return math.hypot(dx, dy) * _DEGREE_M


# --- atlas: views, graphs, caches -------------------------------------------------

_LOCK = threading.RLock()
_VIEWS: OrderedDict[str, tuple[tuple[Any, ...], _AtlasViews]] = OrderedDict()
_GRAPHS: OrderedDict[tuple[str, str], tuple[tuple[Any, ...], AtlasGraph]] = OrderedDict()

ViewsFor = Callable[[pyproj.CRS, "tuple[float, float, float, float] | None"], gpd.GeoDataFrame]


@dataclass(slots=True)
class _AtlasViews:
    """An atlas's camera views in lon/lat (stored), or what computing them needs."""

    source: str
    stored: gpd.GeoDataFrame | None  # EPSG:4326
    cameras: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoDataFrame | None = None
    whole: tuple[pyproj.CRS, gpd.GeoDataFrame] | None = None

    def near(
        self, crs: pyproj.CRS, bbox: tuple[float, float, float, float] | None
    ) -> gpd.GeoDataFrame:
        """The views that reach into ``bbox`` (lon/lat; None: all), in the metric ``crs``."""
        if self.stored is not None:
            frame = self.stored
            if bbox is not None and len(frame):
                hits = frame.sindex.query(shapely.box(*bbox))
                frame = frame.iloc[np.sort(hits)]
            return frame.to_crs(crs)
        from camatlas.sight import SightParameters, compute_views

        assert self.cameras is not None and self.buildings is not None
        cameras, buildings = self.cameras, self.buildings
        if bbox is not None:
            pad = _CAMERA_PAD_DEG
            west, south, east, north = bbox
            cameras = cameras.cx[west - pad : east + pad, south - pad : north + pad]
            pad *= 2
            buildings = buildings.cx[west - pad : east + pad, south - pad : north + pad]
        views: gpd.GeoDataFrame = compute_views(cameras, buildings, SightParameters(), crs=crs)
        return views


def _fingerprint(atlas: Atlas) -> tuple[Any, ...]:
    """What the graph depends on: the imports and the stored view layers."""
    sources = atlas.sources()
    results = atlas.store.results()
    views = results[results["name"].isin(["views", "view_zones"])]
    return (
        tuple(sources["sha256"].tolist()) if "sha256" in sources else (),
        tuple(map(tuple, views[["name", "created_at", "rows"]].to_numpy().tolist())),
    )


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


def _atlas_views(atlas: Atlas) -> _AtlasViews:
    key = str(atlas.url)
    stamp = _fingerprint(atlas)
    with _LOCK:
        hit = _VIEWS.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        found = _read_views(atlas)
        _remember(_VIEWS, key, (stamp, found))
        return found


def atlas_views(atlas: Atlas) -> tuple[gpd.GeoDataFrame, str]:
    """The camera views of an atlas in its metric CRS, and where they came from.

    Uses the stored ``views`` / ``view_zones`` result layers when present;
    otherwise computes views with the default sight parameters. The CRS is the
    local UTM zone of the atlas's cameras; routes and exposure use the views of
    each place in its own zone instead. Kept in memory per atlas until the
    atlas changes.
    """
    found = _atlas_views(atlas)
    with _LOCK:
        if found.whole is None:
            crs = _atlas_crs(atlas)
            found.whole = (crs, found.near(crs, None))
        return found.whole[1], found.source


def _read_views(atlas: Atlas) -> _AtlasViews:
    results = atlas.store.results()
    stored = {
        str(n): row for n, row in zip(results["name"], results.to_dict("records"), strict=True)
    }
    if "views" in stored or "view_zones" in stored:
        frames = []
        if "view_zones" in stored:
            frames.append(atlas.store.read_result("view_zones"))
        if "views" in stored:
            frames.append(atlas.store.read_result("views"))
        else:
            zones = gpd.GeoDataFrame(frames[0])
            whole = zones.dissolve(by="camera_id", as_index=False, aggfunc="first")
            whole["level"] = "view"
            frames.append(whole)
        views = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=_WGS84)
        if views.crs is not None and views.crs.to_epsg() != 4326:
            views = views.to_crs(_WGS84)
        if "physical_id" in views:
            views["physical_id"] = views["physical_id"].fillna(views.get("camera_id"))
        names = [n for n in ("views", "view_zones") if n in stored]
        made = ", ".join(f"{n} ({stored[n]['created_at']})" for n in names)
        return _AtlasViews(f"stored result layers {made}", views)
    return _AtlasViews(
        "computed with the default sight parameters (run `camatlas sight` to store them)",
        None,
        cameras=atlas.cameras(),
        buildings=atlas.buildings(),
    )


def _local_crs(frame: gpd.GeoDataFrame) -> pyproj.CRS:
    from camatlas.sight import local_crs

    crs: pyproj.CRS = local_crs(frame)
    return crs


def _atlas_crs(atlas: Atlas, cameras: gpd.GeoDataFrame | None = None) -> pyproj.CRS:
    cameras = atlas.cameras() if cameras is None else cameras
    if len(cameras):
        return _local_crs(cameras)
    streets = atlas.streets()
    if len(streets):
        return _local_crs(streets)
    raise CamatlasError(f"{atlas.url}: the atlas holds no cameras and no streets")


class AtlasGraph:
    """The street graphs of an atlas for one profile: one per UTM zone, built when first needed.

    Each zone's :class:`StreetGraph` holds the streets of that zone (see
    :func:`street_zones`) in the zone's own UTM CRS, with the views that reach
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
        self._streets = streets
        self._views_for = views_for
        self._fixed_crs = crs
        self._lock = threading.RLock()
        self._graphs: dict[int, StreetGraph] = {}
        codes, counts = np.unique(np.asarray(zones, dtype=np.int64), return_counts=True)
        order = np.argsort(-counts, kind="stable")
        zones = np.asarray(zones, dtype=np.int64)
        self._rows = {int(c): np.flatnonzero(zones == c) for c in codes[order]}
        bounds = shapely.bounds(np.asarray(streets.geometry.array, dtype=object))
        self._bbox: dict[int, tuple[float, float, float, float]] = {}
        for code, rows in self._rows.items():
            b = bounds[rows]
            self._bbox[code] = (
                float(np.nanmin(b[:, 0])),
                float(np.nanmin(b[:, 1])),
                float(np.nanmax(b[:, 2])),
                float(np.nanmax(b[:, 3])),
            )

    def __repr__(self) -> str:
        return f"AtlasGraph(profile={self.profile!r}, zones={list(self.zones)})"

    @property
    def zones(self) -> tuple[int, ...]:
        """EPSG codes of the zones with streets, the zone with most streets first."""
        return tuple(self._rows)

    def crs_of(self, zone: int) -> pyproj.CRS:
        if self._fixed_crs is not None:
            return self._fixed_crs
        return pyproj.CRS.from_epsg(zone)

    def graph(self, zone: int) -> StreetGraph:
        """The street graph of one zone (built on first use)."""
        with self._lock:
            found = self._graphs.get(zone)
            if found is None:
                crs = self.crs_of(zone)
                views = None
                if self._views_for is not None:
                    views = self._views_for(crs, _padded(self._bbox[zone], 0.001))
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
            part = graph.edges.to_crs(_WGS84)
            part["zone"] = zone
            frames.append(part)
        if not frames:
            return gpd.GeoDataFrame({"zone": []}, geometry=[], crs=_WGS84)
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=_WGS84)

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
        _check_lat_lon(lat, lon, label)
        if not self._rows:
            raise InputError(
                f"the atlas has no streets usable by the {self.profile!r} profile; import an "
                "OSM extract with streets first",
                element=label,
            )
        near = sorted(self._rows, key=lambda z: _bbox_distance(self._bbox[z], lat, lon))
        candidates = [z for z in near if _bbox_distance(self._bbox[z], lat, lon) <= max_snap_m]
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
        _check_detour(max_detour)
        zone, start = self.snap(*origin, label="origin", max_snap_m=max_snap_m)
        other, end = self.snap(*destination, label="destination", max_snap_m=max_snap_m)
        if zone != other:
            raise InputError(
                f"the origin and the destination are in different UTM zones (EPSG:{zone} and "
                f"EPSG:{other}) whose street networks do not connect; routes across UTM zones "
                "(about 6 degrees of longitude) are not supported"
            )
        return self.graph(zone).routes_between(start, end, max_detour=max_detour, max_runs=max_runs)


def _padded(
    bbox: tuple[float, float, float, float], pad: float
) -> tuple[float, float, float, float]:
    west, south, east, north = bbox
    return (west - pad, south - pad, east + pad, north + pad)


def build_graph(
    atlas: Atlas, profile: str = "walk", *, views: gpd.GeoDataFrame | None = None
) -> AtlasGraph:
    """The street graphs of an atlas for ``profile``, with each edge's exposure.

    One :class:`StreetGraph` per UTM zone of the streets (:func:`street_zones`),
    each in its zone's CRS and built when a route first needs it; the result's
    :meth:`AtlasGraph.least_watched` routes on the zone of the two points. Kept
    in memory per atlas and profile (up to four) until the atlas's imports or
    stored views change. Passing ``views`` (in a metric CRS) builds a fresh
    graph of all the streets in that CRS with them instead of the atlas's views.
    """
    _check_profile(profile)
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
    key = (str(atlas.url), profile)
    stamp = _fingerprint(atlas)
    with _LOCK:
        hit = _GRAPHS.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        found = _atlas_views(atlas)
        streets = atlas.streets()
        graph = AtlasGraph(profile, streets, street_zones(streets), found.near, found.source)
        _remember(_GRAPHS, key, (stamp, graph))
        return graph


def least_watched(
    atlas: Atlas,
    origin: tuple[float, float],
    destination: tuple[float, float],
    *,
    profile: str = "walk",
    max_detour: float | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> list[RouteOption]:
    """Routes from ``origin`` to ``destination`` from the shortest to the least watched.

    Every route returned is Pareto-optimal between length and metres in view
    (no other route is as short and less watched) and supported: the best
    route for some trade-off ``length + w * watched_m``. The first is the
    shortest, the last the least watched; in between, each is longer and less
    watched than the one before.

    Parameters
    ----------
    atlas
        The atlas whose streets, cameras and views are used.
    origin, destination
        (latitude, longitude) in degrees. Each is moved onto the nearest point
        of a street the profile can use; the route starts and ends there.
    profile
        ``"walk"`` (default; one-way streets in both directions), ``"bike"`` or ``"car"``.
    max_detour
        Leave out routes longer than the shortest by more than this share
        (0.5: at most 50% longer). None: no limit.
    max_snap_m
        Refuse a point farther than this from the nearest usable street (metres).

    Raises
    ------
    InputError
        A point is not a latitude/longitude, or is too far from the streets; the
        two points are in different UTM zones, or on street networks that do
        not connect.
    """
    graph = build_graph(atlas, profile)
    return graph.least_watched(origin, destination, max_detour=max_detour, max_snap_m=max_snap_m)


# --- tracks -----------------------------------------------------------------------


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
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
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
    for part in lines:
        coords = np.asarray(part, dtype=float)
        if coords.ndim != 2 or coords.shape[1] < 2 or not np.isfinite(coords[:, :2]).all():
            raise InputError("coordinates are not pairs of numbers", path=name)
        bad = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
        if bad.any():
            raise InputError(
                "coordinates outside longitude/latitude ranges",
                path=name,
                value=tuple(coords[np.argmax(bad), :2].tolist()),
            )
    return shapely.MultiLineString([np.asarray(p, dtype=float)[:, :2] for p in lines])


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
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc}", path=name) from None
    lines: list[list[tuple[float, float]]] = []

    def visit(obj: Any) -> None:
        if not isinstance(obj, dict):
            return
        kind = obj.get("type")
        if kind == "FeatureCollection":
            for feature in obj.get("features") or []:
                visit(feature)
        elif kind == "Feature":
            visit(obj.get("geometry"))
        elif kind == "GeometryCollection":
            for geometry in obj.get("geometries") or []:
                visit(geometry)
        elif kind == "LineString":
            lines.append(obj.get("coordinates") or [])
        elif kind == "MultiLineString":
            lines.extend(obj.get("coordinates") or [])

    visit(data)
    if not lines:
        raise InputError("GeoJSON without a LineString or MultiLineString", path=name)
    return lines


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


def _track_lines(track: BaseGeometry | str | Path) -> list[shapely.LineString]:
    if isinstance(track, (str, Path)):
        geometry: BaseGeometry = read_track(track)
    else:
        geometry = track
    parts = [p for p in shapely.get_parts(geometry) if isinstance(p, shapely.LineString)]
    parts = [p for p in parts if len(p.coords) >= 2]
    if not parts:
        raise InputError("the track holds no line of two or more points", value=geometry.geom_type)
    for part in parts:
        coords = shapely.get_coordinates(part)
        if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
            raise InputError(
                "track coordinates must be longitude/latitude degrees",
                value=tuple(coords[0].tolist()),
            )
    return parts


def exposure(
    atlas: Atlas,
    track: BaseGeometry | str | Path,
    *,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    views: gpd.GeoDataFrame | None = None,
) -> dict[str, Any]:
    """How watched a route or GPS track is.

    Parameters
    ----------
    atlas
        The atlas whose cameras (and stored views) are used.
    track
        A LineString or MultiLineString in lon/lat, or the path of a GPX or
        GeoJSON file (:func:`read_track`).
    speed_kmh
        Travel speed that turns metres into seconds (default 5 km/h, walking).
    views
        Views in a metric CRS to use instead of the atlas's.

    Returns
    -------
    dict
        ``length_m``; ``watched_m`` (metres inside any known camera's view,
        counted once where views overlap) and ``watched_share``; ``seconds`` and
        ``seconds_in_view`` at ``speed_kmh``; ``cameras`` (distinct physical
        cameras passed) and ``camera_ids``; ``by_operator`` and
        ``by_surveillance`` (per operator / ``public``, ``outdoor``, ...:
        cameras, metres and seconds in view of that group's cameras; a stretch
        seen by two groups counts in both); ``by_level`` (metres and seconds by
        the best DORI level there; sums to ``watched_m``); ``stretches`` (a
        GeoJSON FeatureCollection of the watched stretches with their
        cameras); ``views`` (where the views came from).
    """
    if not (speed_kmh > 0 and math.isfinite(speed_kmh)):
        raise InputError("the speed must be a positive number of km/h", value=speed_kmh)
    parts = _track_lines(track)
    if views is None:
        # Tracks are local: measured in the UTM zone of their middle, with the views near them.
        west, south, east, north = shapely.bounds(shapely.MultiLineString(parts)).tolist()
        crs = pyproj.CRS.from_epsg(int(_utm_epsg((west + east) / 2, (south + north) / 2)))
        found = _atlas_views(atlas)
        views, source = found.near(crs, (west, south, east, north)), found.source
    else:
        source = "given views"
    lines = gpd.GeoSeries(parts, crs=_WGS84).to_crs(views.crs).reset_index(drop=True)
    result = track_exposure(lines, views, speed_kmh=speed_kmh)
    result["views"] = source
    return result


def track_exposure(
    lines: gpd.GeoSeries, views: gpd.GeoDataFrame, *, speed_kmh: float = DEFAULT_SPEED_KMH
) -> dict[str, Any]:
    """:func:`exposure` of lines already in the metric CRS of ``views``."""
    from camatlas.measure import coverage_of_lines, watched_intervals

    lines = lines.reset_index(drop=True)
    per_second = speed_kmh / 3.6
    coverage = coverage_of_lines(lines, views)
    pieces = watched_intervals(lines, views)
    info = _camera_info(views)
    length = float(coverage["length_m"].sum())
    watched = float(coverage["watched_m"].sum())
    cameras = sorted({c for cams in coverage["cameras"] for c in cams})
    in_view = pieces[pieces["level"] == "view"]

    def grouped(column: str) -> dict[str, dict[str, Any]]:
        labels = in_view["camera"].map(info[column]).fillna("unknown").astype(str)
        out: dict[str, dict[str, Any]] = {}
        for label in sorted(set(labels)):
            mask = (labels == label).to_numpy()
            chunk = in_view[mask]
            _, s, e = _graph.merge_intervals(
                chunk["line"].to_numpy(dtype=np.int64),
                chunk["start_m"].to_numpy(dtype=float),
                chunk["end_m"].to_numpy(dtype=float),
            )
            metres = float((e - s).sum())
            out[label] = {
                "cameras": int(chunk["camera"].nunique()),
                "watched_m": round(metres, 2),
                "seconds_in_view": round(metres / per_second, 1),
            }
        return dict(sorted(out.items(), key=lambda kv: -kv[1]["watched_m"]))

    by_level = {}
    for level in DORI_LEVELS:
        metres = float(coverage[f"watched_m_{level}"].sum())
        by_level[level] = {
            "watched_m": round(metres, 2),
            "seconds_in_view": round(metres / per_second, 1),
        }
    return {
        "length_m": round(length, 2),
        "watched_m": round(watched, 2),
        "watched_share": round(watched / length, 4) if length > 0 else 0.0,
        "speed_kmh": speed_kmh,
        "seconds": round(length / per_second, 1),
        "seconds_in_view": round(watched / per_second, 1),
        "cameras": len(cameras),
        "camera_ids": cameras,
        "by_operator": grouped("operator"),
        "by_surveillance": grouped("surveillance"),
        "by_level": by_level,
        "stretches": _stretches(lines, pieces, per_second, views.crs),
    }


def _camera_info(views: gpd.GeoDataFrame) -> pd.DataFrame:
    """Operator and surveillance of each physical camera of ``views``."""
    frame = pd.DataFrame(
        {
            "physical_id": (
                views["physical_id"]
                if "physical_id" in views
                else pd.Series(np.arange(len(views)).astype(str))
            ).astype(str),
            "operator": views.get("operator"),
            "surveillance": views.get("surveillance"),
        }
    )
    return frame.groupby("physical_id").first()


def _stretches(
    lines: gpd.GeoSeries, pieces: pd.DataFrame, per_second: float, crs: pyproj.CRS
) -> dict[str, Any]:
    """The watched stretches as a GeoJSON FeatureCollection in lon/lat."""
    in_view = pieces[pieces["level"] == "view"]
    group, starts, ends = _graph.merge_intervals(
        in_view["line"].to_numpy(dtype=np.int64),
        in_view["start_m"].to_numpy(dtype=float),
        in_view["end_m"].to_numpy(dtype=float),
    )
    bands = pieces[pieces["level"].isin(DORI_LEVELS)]
    to_wgs84 = pyproj.Transformer.from_crs(crs, _WGS84, always_xy=True)
    features = []
    for line, start, end in zip(group.tolist(), starts.tolist(), ends.tolist(), strict=True):
        same = in_view[
            (in_view["line"] == line)
            & (in_view["end_m"] > start + 1e-9)
            & (in_view["start_m"] < end - 1e-9)
        ]
        band = bands[
            (bands["line"] == line)
            & (bands["end_m"] > start + 1e-9)
            & (bands["start_m"] < end - 1e-9)
        ]
        levels = [lv for lv in DORI_LEVELS if lv in set(band["level"])]
        part = substring(lines.iloc[line], start, end)
        coords = shapely.get_coordinates(part)
        lon, lat = to_wgs84.transform(coords[:, 0], coords[:, 1])
        geometry = (
            shapely.LineString(np.round(np.column_stack([lon, lat]), 7))
            if len(coords) >= 2
            else shapely.Point(round(lon[0], 7), round(lat[0], 7))
        )
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(geometry),
                "properties": {
                    "part": line,
                    "start_m": round(start, 2),
                    "end_m": round(end, 2),
                    "length_m": round(end - start, 2),
                    "seconds": round((end - start) / per_second, 1),
                    "cameras": sorted(set(same["camera"].astype(str))),
                    "best_level": levels[0] if levels else "detection",
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --- checks -----------------------------------------------------------------------


def _check_detour(max_detour: float | None) -> None:
    if max_detour is not None and not (max_detour >= 0 and math.isfinite(max_detour)):
        raise InputError(
            "the maximum detour must be a number >= 0 (0.5 = 50% longer)", value=max_detour
        )


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise InputError(f"unknown profile; use one of {', '.join(PROFILES)}", value=profile)


def _check_lat_lon(lat: float, lon: float, label: str) -> None:
    try:
        ok = math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180
    except TypeError:
        ok = False
    if not ok:
        raise InputError(
            "expected a latitude in [-90, 90] and a longitude in [-180, 180]",
            element=label,
            value=(lat, lon),
        )


def parse_lat_lon(text: str, label: str) -> tuple[float, float]:
    """``"LAT,LON"`` as a pair of floats; InputError naming ``label`` otherwise."""
    try:
        lat_text, lon_text = text.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise InputError(
            "expected LAT,LON in degrees, e.g. 51.5138,-0.0984", element=label, value=text
        ) from None
    _check_lat_lon(lat, lon, label)
    return lat, lon


__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "DEFAULT_SPEED_KMH",
    "PROFILES",
    "AtlasGraph",
    "RouteOption",
    "Snap",
    "StreetGraph",
    "atlas_views",
    "build_graph",
    "exposure",
    "graph_from_streets",
    "least_watched",
    "parse_lat_lon",
    "parse_track",
    "read_track",
    "street_zones",
    "track_exposure",
]
