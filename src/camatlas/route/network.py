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

import io
import itertools
import json
import math
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping

from camatlas.coords import check_lat_lon
from camatlas.coverage import COVERAGE_COLUMNS, coverage_of_lines, watched_intervals
from camatlas.errors import FormatError, InputError, NotFoundError
from camatlas.geo import (
    BoolArray,
    FloatArray,
    IntArray,
    MetricCRS,
    covered_length,
    local_crs,
    merge_intervals,
)
from camatlas.lazy import gpd, pd, pyproj
from camatlas.route import search as _search
from camatlas.route.access import parse_tags, street_access
from camatlas.tags import underground
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
    streets: tuple[tuple[str, float], ...] = ()
    """The main stretches, in the order travelled: (street name, metres), each named
    stretch of at least :data:`MAIN_STRETCH_SHARE` of the route (the longest one at least)."""

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
            "streets": [{"name": n, "length_m": round(m, 1)} for n, m in self.streets],
            "geometry": mapping(self.geometry),
        }


# --- the street graph -------------------------------------------------------------


WATCHED_COLUMNS = COVERAGE_COLUMNS[1:-2]
"""The watched-metres columns of every edge: in any view, then by best DORI level."""

_TEXT_COLUMNS = ("street_id", "highway", "name")
_NUMBER_COLUMNS = ("u", "v", "forward", "backward", "length_m", "underground", *WATCHED_COLUMNS)

GRAPH_FORMAT = 2
"""Version of the stored street graph (:meth:`StreetGraph.to_bytes`)."""


@dataclass(slots=True)
class EdgeArrays:
    """Everything a street graph holds about its edges, as plain arrays.

    ``columns`` holds one array per edge column (``street_id``, ``highway``,
    ``name`` as Python lists; ``u``, ``v``, ``forward``, ``backward``,
    ``length_m`` and the watched metres as numpy arrays); ``coords`` the
    vertices of every edge in the graph's metric CRS, edge after edge, from
    ``coord_start[e]`` to ``coord_start[e + 1]``; ``camera_start`` /
    ``camera_code`` the distinct cameras of each edge (codes into
    ``camera_names``); ``piece_*`` each camera's stretches of each edge, sorted
    by edge (``piece_edge``) and start; ``view_*`` the merged stretches in view
    (``view_bounds[e]`` .. ``view_bounds[e + 1]``); ``component`` the kept part
    of the network of each edge (0: the largest); ``node_xy`` the nodes' metric
    coordinates; ``detached_*`` the streets left out (islands).
    """

    columns: dict[str, Any]
    coords: FloatArray
    coord_start: IntArray
    camera_names: list[str]
    camera_start: IntArray
    camera_code: IntArray
    piece_edge: IntArray
    piece_start: FloatArray
    piece_end: FloatArray
    piece_camera: IntArray
    view_starts: FloatArray
    view_ends: FloatArray
    view_bounds: IntArray
    component: IntArray
    node_xy: FloatArray
    detached_ids: list[str]
    detached_coords: FloatArray
    detached_start: IntArray

    def __len__(self) -> int:
        return len(self.coord_start) - 1


class StreetGraph:
    """The streets one profile can use, cut at junctions, with each edge's exposure.

    ``edges`` is a GeoDataFrame in the metric ``crs`` with one row per edge:
    ``street_id``, ``highway``, ``name``, ``u`` and ``v`` (node numbers),
    ``forward`` / ``backward`` (travel along / against the drawing direction
    allowed), ``length_m``, ``watched_m`` (metres inside any view),
    ``watched_m_identification`` ... ``watched_m_detection`` (metres by the
    best DORI level there), ``cameras`` (distinct physical ids) and
    ``camera_count``, and ``underground`` (below ground or indoors: routed on, never
    in view, and snapped onto only when no street above ground is in reach). Islands
    are left out: the largest connected part of the network (strongly connected for
    bikes and cars) is kept, and so is every
    part with at least ``max(50 nodes, 1% of the largest)``; ``detached``
    holds the edges left out and ``edge_component`` the kept part of each
    edge (0 the largest).

    The graph keeps its edges as plain arrays (:class:`EdgeArrays`) and makes
    the frames only when asked, so that a graph loaded from the atlas
    (:meth:`from_bytes`) answers routes without pandas or geopandas.
    """

    def __init__(
        self,
        profile: str,
        crs: MetricCRS,
        arrays: EdgeArrays,
        *,
        views_source: str,
        streets_used: int,
        unaligned_streets: int,
        build_seconds: float,
    ) -> None:
        self.profile = profile
        self.metric = crs
        self.arrays = arrays
        self.views_source = views_source
        self.streets_used = streets_used
        self.unaligned_streets = unaligned_streets
        self.build_seconds = build_seconds
        columns = arrays.columns
        self._length = np.asarray(columns["length_m"], dtype=np.float64)
        self._forward = np.asarray(columns["forward"], dtype=bool)
        self._backward = np.asarray(columns["backward"], dtype=bool)
        self._u = np.asarray(columns["u"], dtype=np.int64)
        self._v = np.asarray(columns["v"], dtype=np.int64)
        self._coords = arrays.coords
        self._coord_start = arrays.coord_start
        self._piece_bounds = np.searchsorted(arrays.piece_edge, np.arange(len(arrays) + 1))
        self.view_starts = arrays.view_starts
        self.view_ends = arrays.view_ends
        self.view_bounds = arrays.view_bounds
        self.edge_component = arrays.component
        lon, lat = crs.to_wgs84(arrays.coords[:, 0], arrays.coords[:, 1])
        self._coords_lonlat = np.column_stack([lon, lat])
        self.network = _network(arrays)
        self._edges: gpd.GeoDataFrame | None = None
        self._detached: gpd.GeoDataFrame | None = None
        self._underground = np.asarray(columns["underground"], dtype=bool)
        self._trees: list[tuple[shapely.STRtree, IntArray]] | None = None
        self._detached_tree: shapely.STRtree | None = None

    @property
    def crs(self) -> pyproj.CRS:
        """The metric CRS of the edges (pyproj's, made when first read)."""
        return self.metric.crs

    def __repr__(self) -> str:
        epsg = self.metric.epsg
        name = f"EPSG:{epsg}" if epsg is not None else self.crs.to_string()
        return (
            f"StreetGraph(profile={self.profile!r}, edges={len(self.arrays)}, "
            f"nodes={self.network.n_nodes}, crs={name!r})"
        )

    # -- frames, made when asked ------------------------------------------------------

    def _lines(self) -> np.ndarray[Any, Any]:
        arrays = self.arrays
        edge_of = np.repeat(np.arange(len(arrays)), np.diff(arrays.coord_start))
        return np.asarray(shapely.linestrings(arrays.coords, indices=edge_of), dtype=object)

    @property
    def edges(self) -> gpd.GeoDataFrame:
        """The edges as a GeoDataFrame in the graph's metric CRS (made on first use)."""
        if self._edges is None:
            arrays = self.arrays
            data: dict[str, Any] = {
                name: np.asarray(arrays.columns[name], dtype=object) for name in _TEXT_COLUMNS
            }
            data.update({name: arrays.columns[name] for name in _NUMBER_COLUMNS})
            data["cameras"] = self._edge_cameras()
            data["camera_count"] = np.diff(arrays.camera_start).astype(np.int64)
            self._edges = gpd.GeoDataFrame(data, geometry=self._lines(), crs=self.crs)
        return self._edges

    def _edge_cameras(self) -> list[tuple[str, ...]]:
        arrays = self.arrays
        names = arrays.camera_names
        codes = arrays.camera_code.tolist()
        bounds = arrays.camera_start.tolist()
        return [tuple(names[c] for c in codes[lo:hi]) for lo, hi in itertools.pairwise(bounds)]

    @property
    def detached(self) -> gpd.GeoDataFrame:
        """The streets left out (islands), in the graph's metric CRS."""
        if self._detached is None:
            arrays = self.arrays
            edge_of = np.repeat(np.arange(len(arrays.detached_ids)), np.diff(arrays.detached_start))
            lines = shapely.linestrings(arrays.detached_coords, indices=edge_of)
            self._detached = gpd.GeoDataFrame(
                {"street_id": np.asarray(arrays.detached_ids, dtype=object)},
                geometry=np.asarray(lines, dtype=object),
                crs=self.crs,
            )
        return self._detached

    @property
    def camera_pieces(self) -> pd.DataFrame:
        """Each camera's stretches of each edge: ``edge, start_m, end_m, camera``."""
        arrays = self.arrays
        names = np.asarray(arrays.camera_names, dtype=object)
        return pd.DataFrame(
            {
                "edge": arrays.piece_edge,
                "start_m": arrays.piece_start,
                "end_m": arrays.piece_end,
                "camera": names[arrays.piece_camera] if len(names) else np.array([], object),
            }
        )

    # -- storing ----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The graph as bytes (numpy's npz, no pickled objects), for :meth:`from_bytes`."""
        arrays = self.arrays
        columns = arrays.columns
        meta = {
            "format": GRAPH_FORMAT,
            "profile": self.profile,
            "crs": self.metric.wkt,
            "epsg": self.metric.epsg,
            "views_source": self.views_source,
            "streets_used": self.streets_used,
            "unaligned_streets": self.unaligned_streets,
            "build_seconds": self.build_seconds,
            "text": {name: list(columns[name]) for name in _TEXT_COLUMNS},
            "camera_names": arrays.camera_names,
            "detached_ids": arrays.detached_ids,
        }
        blob: dict[str, np.ndarray[Any, Any]] = {
            "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        }
        for name in _NUMBER_COLUMNS:
            blob[f"column_{name}"] = np.asarray(columns[name])
        for name in _ARRAY_FIELDS:
            blob[name] = getattr(arrays, name)
        out = io.BytesIO()
        np.savez(out, allow_pickle=False, **blob)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> StreetGraph:
        """A graph stored by :meth:`to_bytes`.

        Raises
        ------
        FormatError
            When the bytes are not a stored street graph of this version, or its
            arrays do not fit together (a damaged atlas).
        """
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as stored:
                meta = json.loads(stored["meta"].tobytes().decode("utf-8"))
                if not isinstance(meta, dict) or meta.get("format") != GRAPH_FORMAT:
                    raise FormatError("not a stored street graph of this camatlas version")
                columns: dict[str, Any] = {name: list(meta["text"][name]) for name in _TEXT_COLUMNS}
                columns.update({name: stored[f"column_{name}"] for name in _NUMBER_COLUMNS})
                fields = {name: stored[name] for name in _ARRAY_FIELDS}
            arrays = EdgeArrays(
                columns=columns,
                camera_names=[str(n) for n in meta["camera_names"]],
                detached_ids=[str(n) for n in meta["detached_ids"]],
                **fields,
            )
            _check_arrays(arrays)
            epsg = meta.get("epsg")
            crs = MetricCRS(str(meta["crs"]), None if epsg is None else int(epsg))
            return cls(
                str(meta["profile"]),
                crs,
                arrays,
                views_source=str(meta["views_source"]),
                streets_used=int(meta["streets_used"]),
                unaligned_streets=int(meta["unaligned_streets"]),
                build_seconds=float(meta["build_seconds"]),
            )
        except FormatError:
            raise
        except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError,
                zipfile.BadZipFile, pyproj.exceptions.CRSError) as exc:  # fmt: skip
            raise FormatError(f"the stored street graph is damaged ({exc})") from exc

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
        if len(self.arrays) == 0:
            raise NotFoundError(
                f"the atlas has no streets usable by the {self.profile!r} profile; import an "
                "OSM extract with streets first",
                element=label,
            )
        x, y = (float(v) for v in self.metric.to_metric(lon, lat))
        if not (math.isfinite(x) and math.isfinite(y)):  # far outside the network's UTM zone
            raise NotFoundError(
                f"no street usable by the {self.profile!r} profile within the snapping limit "
                f"of {max_snap_m:,.0f} m: the point is far from this atlas's streets",
                element=label,
                value=(round(lat, 6), round(lon, 6)),
            )
        point = shapely.Point(x, y)
        # Snap onto a street above ground when one is within reach: a point on a square is
        # not in the underground mall below it. Only then onto the ways below ground.
        if self._trees is None:
            lines = self._lines()
            above = np.flatnonzero(~self._underground).astype(np.int64)
            self._trees = [(shapely.STRtree(lines[above]), above)]
            if len(above) < len(lines):
                everything = np.arange(len(lines), dtype=np.int64)
                self._trees.append((shapely.STRtree(lines), everything))
        edge, dist = -1, math.inf
        for tree, edges in self._trees:
            if len(edges) == 0:
                continue
            found, distance = tree.query_nearest(point, return_distance=True)
            edge, dist = int(edges[int(found[0])]), float(distance[0])
            if dist <= max_snap_m:
                break
        if dist > max_snap_m:
            raise NotFoundError(
                self._too_far(point, dist, max_snap_m),
                element=label,
                value=(round(lat, 6), round(lon, 6)),
            )
        line = shapely.LineString(
            self._coords[self._coord_start[edge] : self._coord_start[edge + 1]]
        )
        position = float(shapely.line_locate_point(line, point))
        on = shapely.line_interpolate_point(line, position)
        return Snap(label, lat, lon, edge, position, dist, on.x, on.y)

    def _too_far(self, point: shapely.Point, dist: float, limit: float) -> str:
        text = (
            f"the nearest street usable by the {self.profile!r} profile is {dist:,.0f} m away, "
            f"beyond the snapping limit of {limit:,.0f} m"
        )
        if self.arrays.detached_ids:
            if self._detached_tree is None:
                arrays = self.arrays
                edge_of = np.repeat(
                    np.arange(len(arrays.detached_ids)), np.diff(arrays.detached_start)
                )
                self._detached_tree = shapely.STRtree(
                    np.asarray(shapely.linestrings(arrays.detached_coords, indices=edge_of))
                )
            found, distance = self._detached_tree.query_nearest(point, return_distance=True)
            near = float(distance[0])
            if near <= limit:
                street = self.arrays.detached_ids[int(found[0])]
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
            raise NotFoundError(self._apart(start, end))
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
            raise NotFoundError(self._apart(start, end))
        if not found:
            raise NotFoundError(
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
                    streets=self._streets_of(item),
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

    def _leg_pieces(self, item: _search.Found) -> tuple[list[Any], IntArray, BoolArray, list[Any]]:
        """The route as: its partial pieces before, the edges travelled in full (and their
        direction), its partial pieces after; a piece is (edge, start_m, end_m, forward)."""
        if item.direct is not None:
            leg = item.direct
            return [(leg.edge, leg.start_m, leg.end_m, leg.forward)], _NO_EDGES, _NO_FLAGS, []
        assert item.first is not None and item.last is not None
        arcs = np.asarray(item.arcs, dtype=np.int64)
        before = [(g.edge, g.start_m, g.end_m, g.forward) for g in (item.first,)]
        after = [(g.edge, g.start_m, g.end_m, g.forward) for g in (item.last,)]
        before = [q for q in before if q[2] > q[1]]
        after = [q for q in after if q[2] > q[1]]
        edges, forward = self.network.edge[arcs], self.network.forward[arcs]
        if not before and not after and not len(edges):
            leg = item.first
            before = [(leg.edge, leg.start_m, leg.end_m, leg.forward)]
        return before, edges, forward, after

    def _geometry_of(self, item: _search.Found) -> shapely.LineString:
        """The route as a LineString in lon/lat (degrees rounded to 7 decimals, 1 cm)."""
        before, edges, forward, after = self._leg_pieces(item)
        starts, ends = self._coord_start[edges], self._coord_start[edges + 1]
        counts = ends - starts
        step = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        first = np.where(forward, starts, ends - 1)
        index = np.repeat(first, counts) + np.where(np.repeat(forward, counts), step, -step)
        chunks = [self._piece_coords(q) for q in before]
        chunks.append(self._coords_lonlat[index])
        chunks += [self._piece_coords(q) for q in after]
        coords = np.concatenate(chunks)
        keep = np.ones(len(coords), dtype=bool)
        keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
        coords = coords[keep]
        if len(coords) == 1:
            coords = np.vstack([coords, coords])
        return shapely.LineString(np.round(coords, 7))

    def _piece_coords(self, piece: tuple[int, float, float, bool]) -> np.ndarray[Any, Any]:
        edge, a, b, forward = piece
        lo, hi = int(self._coord_start[edge]), int(self._coord_start[edge + 1])
        if a > 0 or b < self._length[edge]:
            chunk = _stretch(self._coords[lo:hi], self._coords_lonlat[lo:hi], a, b)
        else:
            chunk = self._coords_lonlat[lo:hi]
        return chunk if forward else chunk[::-1]

    def _streets_of(self, item: _search.Found) -> tuple[tuple[str, float], ...]:
        """The route's main named stretches (see :attr:`RouteOption.streets`)."""
        before, edges, _, after = self._leg_pieces(item)
        names = self.arrays.columns["name"]
        travelled = [(e, b - a) for e, a, b, _ in before]
        travelled += [(int(e), float(self._length[e])) for e in edges]
        travelled += [(e, b - a) for e, a, b, _ in after]
        stretches: list[list[Any]] = []
        for edge, metres in travelled:
            name = names[edge]
            if stretches and stretches[-1][0] == name:
                stretches[-1][1] += metres
            else:
                stretches.append([name, metres])
        named = [(str(n), float(m)) for n, m in stretches if n]
        if not named:
            return ()
        total = sum(m for _, m in travelled)
        longest = max(m for _, m in named)
        return tuple((n, m) for n, m in named if m >= MAIN_STRETCH_SHARE * total or m == longest)

    def _cameras_of(self, item: _search.Found) -> tuple[str, ...]:
        arrays = self.arrays
        before, edges, _, after = self._leg_pieces(item)
        starts, ends = arrays.camera_start[edges], arrays.camera_start[edges + 1]
        counts = ends - starts
        step = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        codes = [arrays.camera_code[np.repeat(starts, counts) + step]]
        for edge, a, b, _ in (*before, *after):
            if a <= 0 and b >= self._length[edge]:
                lo, hi = arrays.camera_start[edge], arrays.camera_start[edge + 1]
                codes.append(arrays.camera_code[lo:hi])
                continue
            lo, hi = self._piece_bounds[edge], self._piece_bounds[edge + 1]
            overlap = np.minimum(arrays.piece_end[lo:hi], b) - np.maximum(
                arrays.piece_start[lo:hi], a
            )
            codes.append(arrays.piece_camera[lo:hi][overlap > 1e-9])
        found = np.unique(np.concatenate(codes)).tolist()
        return tuple(sorted(arrays.camera_names[c] for c in found))


MAIN_STRETCH_SHARE = 0.15
"""Share of a route's length a named stretch must make up to be among its main streets."""

_NO_EDGES = np.zeros(0, dtype=np.int64)
_NO_FLAGS = np.zeros(0, dtype=bool)


def _stretch(
    coords: np.ndarray[Any, Any], lonlat: np.ndarray[Any, Any], a: float, b: float
) -> np.ndarray[Any, Any]:
    """The lon/lat vertices of a polyline from ``a`` to ``b`` metres along it (measured on
    its metric ``coords``; the ends interpolated within their segments)."""
    step = np.hypot(*np.diff(coords, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(step)])
    lon = np.interp([a, b], along, lonlat[:, 0])
    lat = np.interp([a, b], along, lonlat[:, 1])
    inner = lonlat[(along > a) & (along < b)]
    return np.vstack([[lon[0], lat[0]], inner, [lon[1], lat[1]]])


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
    kept_geoms = edge_geoms[kept]
    lines = gpd.GeoSeries(kept_geoms, crs=crs)
    # Below ground or indoors: routed on, but no street camera sees it (camatlas.tags.underground).
    below = np.fromiter((underground(tag) is not None for tag in tags), bool, len(tags))
    under = below[street_row][kept]
    exposure = _edge_exposure(lines, views)
    if under.any():
        exposure.loc[under, list(WATCHED_COLUMNS)] = 0.0
        exposure["cameras"] = [
            () if u else c for u, c in zip(under, exposure["cameras"], strict=True)
        ]
    columns: dict[str, Any] = {
        "street_id": [str(x) for x in ids[street_row][kept].tolist()],
        "highway": [None if x is None else str(x) for x in kinds[street_row][kept].tolist()],
        "name": [_text_or_none(x) for x in names[street_row][kept].tolist()],
        "u": renumber[u[kept]].astype(np.int64),
        "v": renumber[v[kept]].astype(np.int64),
        "forward": fwd[kept].astype(bool),
        "backward": bwd[kept].astype(bool),
        "length_m": shapely.length(kept_geoms).astype(np.float64),
        "underground": under,
    }
    for column in WATCHED_COLUMNS:
        columns[column] = exposure[column].to_numpy(dtype=np.float64)
    n_nodes = int(keep_node.sum())
    node_xy = np.zeros((n_nodes, 2))
    first_coord = np.searchsorted(split.coord_edge, np.arange(n_edges), side="left")
    last_coord = np.searchsorted(split.coord_edge, np.arange(n_edges), side="right") - 1
    node_xy[renumber[u[kept]]] = split.coords[first_coord[kept]]
    node_xy[renumber[v[kept]]] = split.coords[last_coord[kept]]
    coords, coord_index = shapely.get_coordinates(kept_geoms, return_index=True)
    detached_geoms = edge_geoms[~kept]
    detached_coords, detached_index = shapely.get_coordinates(detached_geoms, return_index=True)
    cameras = list(exposure["cameras"])
    camera_names = sorted({c for found in cameras for c in found})
    code = {name: k for k, name in enumerate(camera_names)}
    pieces = _view_pieces(lines, views)
    pieces = pieces[~under[pieces["edge"].to_numpy(dtype=np.int64)]]
    arrays = EdgeArrays(
        columns=columns,
        coords=coords,
        coord_start=np.searchsorted(coord_index, np.arange(len(kept_geoms) + 1)).astype(np.int64),
        camera_names=camera_names,
        camera_start=np.concatenate(([0], np.cumsum([len(c) for c in cameras]))).astype(np.int64),
        camera_code=np.fromiter((code[c] for found in cameras for c in sorted(found)), np.int64),
        piece_edge=pieces["edge"].to_numpy(dtype=np.int64),
        piece_start=pieces["start_m"].to_numpy(dtype=np.float64),
        piece_end=pieces["end_m"].to_numpy(dtype=np.float64),
        piece_camera=np.fromiter((code[c] for c in pieces["camera"]), np.int64, len(pieces)),
        view_starts=np.zeros(0),
        view_ends=np.zeros(0),
        view_bounds=np.zeros(len(kept_geoms) + 1, dtype=np.int64),
        component=(part[u[kept]] if n_edges else np.zeros(0)).astype(np.int64),
        node_xy=node_xy,
        detached_ids=[str(x) for x in ids[street_row][~kept].tolist()],
        detached_coords=detached_coords,
        detached_start=np.searchsorted(detached_index, np.arange(len(detached_geoms) + 1)).astype(
            np.int64
        ),
    )
    group, starts, ends = merge_intervals(
        arrays.piece_edge, arrays.piece_start, arrays.piece_end, presorted=True
    )
    arrays.view_starts, arrays.view_ends = starts, ends
    arrays.view_bounds = np.searchsorted(group, np.arange(len(kept_geoms) + 1)).astype(np.int64)
    return StreetGraph(
        profile,
        MetricCRS.of(crs),
        arrays,
        views_source=views_source,
        streets_used=len(rows),
        unaligned_streets=split.unaligned,
        build_seconds=time.perf_counter() - started,
    )


def _text_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _network(arrays: EdgeArrays) -> _search.Network:
    """The routing network of a graph's edges: one arc per direction of travel allowed."""
    columns = arrays.columns
    forward = np.asarray(columns["forward"], dtype=bool)
    backward = np.asarray(columns["backward"], dtype=bool)
    eu = np.asarray(columns["u"], dtype=np.int64)
    ev = np.asarray(columns["v"], dtype=np.int64)
    e_fwd, e_bwd = np.flatnonzero(forward), np.flatnonzero(backward)
    arc_edge = np.concatenate([e_fwd, e_bwd]).astype(np.int64)
    length = np.asarray(columns["length_m"], dtype=np.float64)
    watched = np.asarray(columns["watched_m"], dtype=np.float64)
    return _search.Network(
        n_nodes=len(arrays.node_xy),
        node_xy=arrays.node_xy,
        tail=np.concatenate([eu[e_fwd], ev[e_bwd]]).astype(np.int64),
        head=np.concatenate([ev[e_fwd], eu[e_bwd]]).astype(np.int64),
        edge=arc_edge,
        forward=np.concatenate([np.ones(len(e_fwd), bool), np.zeros(len(e_bwd), bool)]),
        length=length[arc_edge],
        watched=watched[arc_edge],
    )


_ARRAY_FIELDS = (
    "coords",
    "coord_start",
    "camera_start",
    "camera_code",
    "piece_edge",
    "piece_start",
    "piece_end",
    "piece_camera",
    "view_starts",
    "view_ends",
    "view_bounds",
    "component",
    "node_xy",
    "detached_coords",
    "detached_start",
)


def _check_arrays(arrays: EdgeArrays) -> None:
    """Refuse stored arrays that do not fit together (raises ValueError)."""
    n = len(arrays)
    columns = arrays.columns
    if any(len(columns[name]) != n for name in (*_TEXT_COLUMNS, *_NUMBER_COLUMNS)):
        raise ValueError("edge columns of different lengths")
    k = len(arrays.coords)
    nodes = len(arrays.node_xy)

    def ascending(bounds: IntArray, size: int, end: int) -> bool:
        return (
            bounds.ndim == 1 and len(bounds) == size + 1 and (size == 0 or int(bounds[0]) == 0)
            and int(bounds[-1]) == end and bool(np.all(np.diff(bounds) >= 0))
        )  # fmt: skip

    pieces = len(arrays.piece_edge)
    checks = [
        arrays.coords.ndim == 2 and arrays.coords.shape[1] == 2,
        ascending(arrays.coord_start, n, k) and bool(np.all(np.diff(arrays.coord_start) >= 2)),
        ascending(arrays.camera_start, n, len(arrays.camera_code)),
        ascending(arrays.view_bounds, n, len(arrays.view_starts)),
        len(arrays.view_ends) == len(arrays.view_starts),
        len(arrays.piece_start) == len(arrays.piece_end) == len(arrays.piece_camera) == pieces,
        bool(np.all(np.diff(arrays.piece_edge) >= 0)) if pieces else True,
        bool(np.all((arrays.piece_edge >= 0) & (arrays.piece_edge < n))) if pieces else True,
        len(arrays.component) == n,
        arrays.node_xy.ndim == 2 and arrays.node_xy.shape[1] == 2,
        ascending(arrays.detached_start, len(arrays.detached_ids), len(arrays.detached_coords)),
    ]
    for codes in (arrays.camera_code, arrays.piece_camera):
        checks.append(bool(np.all((codes >= 0) & (codes < len(arrays.camera_names)))))
    for name in ("u", "v"):
        ends = np.asarray(columns[name])
        checks.append(bool(np.all((ends >= 0) & (ends < nodes))) if n else True)
    if not all(checks):
        raise ValueError("arrays that do not fit together")


def _node_ids(text: Any) -> list[int]:
    if isinstance(text, str) and text:
        value = json.loads(text)
        return [int(v) for v in value] if isinstance(value, list) else []
    if isinstance(text, (list, tuple)):
        return [int(v) for v in text]
    return []


EXPOSURE_COLUMNS = COVERAGE_COLUMNS
"""Exposure columns of every edge: those of :func:`camatlas.coverage.coverage_of_lines`."""


def _edge_exposure(lines: gpd.GeoSeries, views: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Metres in view of every edge, by DORI level, and its cameras."""
    if views is None or len(views) == 0 or len(lines) == 0:
        out = pd.DataFrame(index=lines.index)
        out["length_m"] = lines.length.to_numpy()
        for column in WATCHED_COLUMNS:
            out[column] = 0.0
        out["cameras"] = [()] * len(lines)
        out["camera_count"] = 0
        return out
    return coverage_of_lines(lines, views)


def _view_pieces(lines: gpd.GeoSeries, views: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Each camera's stretches in view of each edge, sorted by edge and start."""
    if views is None or len(views) == 0 or len(lines) == 0:
        return pd.DataFrame(
            {
                "edge": pd.Series(dtype=np.int64),
                "start_m": pd.Series(dtype=float),
                "end_m": pd.Series(dtype=float),
                "camera": pd.Series(dtype=object),
            }
        )
    found = watched_intervals(lines.reset_index(drop=True), views)
    found = found[found["level"] == "view"]
    return (
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
