"""Street coverage: which metres of which lines lie inside camera views, at which DORI level.

The core is :func:`coverage_of_lines`: for every street, the metres that lie
inside at least one camera's view, split by the best DORI level any camera
reaches there, and the distinct physical cameras that see it. It works on
arrays: streets are cut into straight segments, an STRtree pairs segments with
view polygons, the polygons' edges crossing each segment's line give the stretches
inside (numpy, all pairs at once, see :func:`_clip_by_crossings`), and these become
intervals of distance along their street that numpy merges per street. A straight
segment makes the distance of a piece exact (no projection onto a curved line
that could land on the wrong branch).

:func:`watched_intervals` returns those intervals themselves, for routing and
for the watched stretches of a track.

This module is an engine: lines and views in a metric CRS in, frames and arrays
out; no atlas (:func:`camatlas.measure` is the pipeline). Route and exposure use
the same functions, so a line's watched metres are counted one way everywhere.

>>> import geopandas as gpd, shapely
>>> street = gpd.GeoSeries([shapely.LineString([(0, 0), (100, 0)])], crs=32631)
>>> views = gpd.GeoDataFrame({"physical_id": ["cam"]}, geometry=[shapely.box(20, -5, 50, 5)],
...                          crs=32631)
>>> row = coverage_of_lines(street, views).iloc[0]
>>> float(row["length_m"]), float(row["watched_m"]), row["cameras"]
(100.0, 30.0, ('cam',))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from camatlas.errors import InputError
from camatlas.geo import FloatArray, IntArray, axis_offsets, merge_intervals
from camatlas.lazy import gpd, pd
from camatlas.vocab import AREA_BUFFER_M, DORI_LEVELS, VIEW_LEVEL

__all__ = [
    "COVERAGE_COLUMNS",
    "TOLERANCE_M",
    "LineCoverage",
    "Segments",
    "area_intervals",
    "candidate_pairs",
    "coverage_of_lines",
    "line_coverage",
    "street_land",
    "stretches",
    "watched_intervals",
]

SEGMENT_CHUNK = 200_000
"""Street segments clipped per batch: bounds memory on city-sized inputs."""

TOLERANCE_M = 1e-6
"""Metres of floating-point noise: gaps between pieces shorter than this are closed when
merging, and pieces or stretches shorter than this are dropped."""

_ON_LINE_M = 1e-6
"""A polygon vertex closer than this to a street's line lies on it: a micrometre, well
above the rounding a view picks up when it is stored in lon/lat and projected back (about
1e-9 m), so a street drawn on a wall that cuts a view is inside it whichever command
measures it, and far below anything a map draws."""

Progress = Callable[[str, int, int], None]
"""Called with (stage, done, total) on long steps."""


# --- streets as straight segments ---------------------------------------------------


class Segments:
    """Every line cut into straight segments, with each segment's offset along its line."""

    def __init__(self, lines: gpd.GeoSeries) -> None:
        geoms = np.asarray(lines.array, dtype=object) if len(lines) else np.empty(0, object)
        self.n_lines = len(geoms)
        parts, part_line = shapely.get_parts(geoms, return_index=True)
        kinds = shapely.get_type_id(parts)
        linear = np.isin(kinds, (shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING))
        if not np.all(linear):
            bad = int(part_line[~linear][0])
            raise InputError(
                "lines must be LineStrings or MultiLineStrings",
                element=f"line {lines.index[bad]!r}",
                value=shapely.get_type_id(geoms[bad]),
            )
        coords, coord_part = shapely.get_coordinates(parts, return_index=True)
        same = coord_part[1:] == coord_part[:-1]
        a = coords[:-1][same]
        b = coords[1:][same]
        line = part_line[coord_part[:-1][same]].astype(np.int64)
        length = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
        real = length > 0  # repeated vertices make segments of no length and no direction
        a, b, line, length = a[real], b[real], line[real], length[real]
        # Parts of a MultiLineString follow one another: distance runs on across parts.
        before = np.cumsum(length) - length
        first = np.searchsorted(line, line, side="left")
        self.offset: FloatArray = before - before[first] if len(line) else before
        self.a: FloatArray = a
        self.b: FloatArray = b
        self.line: IntArray = line
        self.length: FloatArray = length
        self.line_length: FloatArray = np.bincount(
            line, weights=length, minlength=self.n_lines
        ).astype(np.float64)

    def __len__(self) -> int:
        return len(self.line)

    def geometries(self, sl: slice) -> npt.NDArray[Any]:
        return np.asarray(shapely.linestrings(np.stack([self.a[sl], self.b[sl]], axis=1)))


class _Pieces:
    """Intervals along lines where a line lies inside a view polygon."""

    def __init__(self, line: IntArray, start: FloatArray, end: FloatArray, view: IntArray) -> None:
        self.line = line
        self.start = start
        self.end = end
        self.view = view


def _clip(
    segments: Segments,
    views: npt.NDArray[Any],
    progress: Progress | None = None,
    chunk: int = SEGMENT_CHUNK,
    *,
    crossings: bool = True,
) -> _Pieces:
    """Intervals (line, start_m, end_m, view row) of every segment inside every polygon.

    With ``crossings`` the intervals come from :func:`_clip_by_crossings` (numpy);
    otherwise from GEOS intersections, where a segment lying along a polygon's boundary
    counts as inside it (used for areas, see :func:`area_intervals`).
    """
    empty_f = np.empty(0, np.float64)
    empty_i = np.empty(0, np.int64)
    if len(segments) == 0 or len(views) == 0:
        return _Pieces(empty_i, empty_f, empty_f, empty_i)
    tree = shapely.STRtree(views)
    edges = _Edges(views) if crossings else None
    lines, starts, ends, rows = [empty_i], [empty_f], [empty_f], [empty_i]
    total = len(segments)
    for lo in range(0, total, chunk):
        sl = slice(lo, min(lo + chunk, total))
        geoms = segments.geometries(sl)
        if edges is not None:
            seg_idx, view_idx = tree.query(geoms)
            # batches of pairs whose edge tests fit in PAIR_EDGE_CHUNK
            tests = np.cumsum(edges.count[view_idx])
            bounds = np.searchsorted(
                tests, np.arange(PAIR_EDGE_CHUNK, tests[-1] if len(tests) else 0, PAIR_EDGE_CHUNK)
            )
            for part in np.split(np.arange(len(seg_idx)), bounds):
                if len(part) == 0:
                    continue
                seg = seg_idx[part] + lo
                which, s, e = _clip_by_crossings(segments, edges, seg, view_idx[part])
                seg = seg[which]
                lines.append(segments.line[seg])
                starts.append(segments.offset[seg] + s)
                ends.append(segments.offset[seg] + e)
                rows.append(view_idx[part][which].astype(np.int64))
        else:
            seg_idx, view_idx = tree.query(geoms, predicate="intersects")
            if len(seg_idx):
                clipped = shapely.intersection(geoms[seg_idx], views[view_idx])
                parts, pair = shapely.get_parts(clipped, return_index=True)
                is_line = shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING.value
                parts, pair = parts[is_line], pair[is_line]
                p0 = shapely.get_coordinates(shapely.get_point(parts, 0))
                p1 = shapely.get_coordinates(shapely.get_point(parts, -1))
                seg = seg_idx[pair] + lo
                a = segments.a[seg]
                d = segments.b[seg] - a
                seglen = segments.length[seg]
                t0 = np.einsum("ij,ij->i", p0 - a, d) / seglen
                t1 = np.einsum("ij,ij->i", p1 - a, d) / seglen
                s = np.clip(np.minimum(t0, t1), 0.0, seglen)
                e = np.clip(np.maximum(t0, t1), 0.0, seglen)
                keep = e - s > TOLERANCE_M
                lines.append(segments.line[seg][keep])
                starts.append((segments.offset[seg] + s)[keep])
                ends.append((segments.offset[seg] + e)[keep])
                rows.append(view_idx[pair][keep].astype(np.int64))
        if progress is not None:
            progress("clipping streets by views", sl.stop, total)
    return _Pieces(
        np.concatenate(lines), np.concatenate(starts), np.concatenate(ends), np.concatenate(rows)
    )


PAIR_EDGE_CHUNK = 1 << 16
"""(segment, polygon edge) tests per batch in :func:`_clip_by_crossings`: bounds memory."""


class _Edges:
    """Every ring edge of an array of (Multi)Polygons, as flat vertex arrays.

    The vertices of polygon ``i`` are ``first[i] .. first[i] + count[i] - 1``; vertex ``k``
    starts an edge to vertex ``k + 1`` unless it closes its ring (``ring_end[k]``).
    """

    def __init__(self, polygons: npt.NDArray[Any]) -> None:
        kind, coords, offsets = shapely.to_ragged_array(polygons)
        if kind == shapely.GeometryType.POLYGON:
            ring_offsets, polygon_rings = offsets
        else:
            ring_offsets, part_rings, polygon_parts = offsets
            polygon_rings = part_rings[polygon_parts]
        vertex_bounds = ring_offsets[polygon_rings]
        # one padding vertex: the last vertex closes a ring and has no edge to a next one
        self.x: FloatArray = np.append(coords[:, 0], 0.0)
        self.y: FloatArray = np.append(coords[:, 1], 0.0)
        self.ring_end = np.zeros(len(coords) + 1, dtype=bool)
        self.ring_end[ring_offsets[1:] - 1] = True
        self.first: IntArray = vertex_bounds[:-1].astype(np.int64)
        self.count: IntArray = np.diff(vertex_bounds).astype(np.int64)


def _clip_by_crossings(
    segments: Segments, edges: _Edges, seg: IntArray, poly: IntArray
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Where each segment ``seg[i]`` lies inside polygon ``poly[i]``: (i, start, end) in
    metres from the segment's start; the polygon's boundary counts as inside.

    Along the infinite line through a segment, a polygon's inside begins and ends where a
    ring edge crosses the line, so sorting the crossings and pairing them (1st-2nd,
    3rd-4th, ...) gives the inside intervals, which are then cut to the segment. An edge
    crosses when its ends lie strictly on opposite sides, a vertex exactly on the line
    being taken as on its right: each vertex gets one side, so every ring crosses an even
    number of times and a line through a vertex is handled consistently. This reads the
    line as shifted an infinitesimal to its left; where a vertex lies on the line, the
    line shifted to its right is read too and both answers kept, so that a street running
    along a polygon's edge is inside whichever side the polygon lies on.
    """
    count = edges.count[poly]
    pair = np.repeat(np.arange(len(seg), dtype=np.int64), count)
    vertex = np.arange(len(pair), dtype=np.int64)
    vertex += np.repeat(edges.first[poly] - (np.cumsum(count) - count), count)
    ax = np.repeat(segments.a[seg, 0], count)
    ay = np.repeat(segments.a[seg, 1], count)
    length = segments.length[seg]
    ux = np.repeat((segments.b[seg, 0] - segments.a[seg, 0]) / length, count)
    uy = np.repeat((segments.b[seg, 1] - segments.a[seg, 1]) / length, count)
    px = edges.x[vertex] - ax
    py = edges.y[vertex] - ay
    qx = edges.x[vertex + 1] - ax
    qy = edges.y[vertex + 1] - ay
    side_p = ux * py - uy * px
    side_q = ux * qy - uy * qx
    # A vertex within rounding of the line is on it: a street along a building wall that
    # cuts a view then lies on the view's edge, not a trillionth of a metre outside it.
    side_p[np.abs(side_p) < _ON_LINE_M] = 0.0
    side_q[np.abs(side_q) < _ON_LINE_M] = 0.0
    real = ~edges.ring_end[vertex]

    def runs(c: IntArray) -> tuple[IntArray, FloatArray, FloatArray]:
        """Inside intervals from the crossing edges ``c`` (indices)."""
        which = pair[c]
        along_p = ux[c] * px[c] + uy[c] * py[c]
        along_q = ux[c] * qx[c] + uy[c] * qy[c]
        at = along_p + (along_q - along_p) * (side_p[c] / (side_p[c] - side_q[c]))
        order = np.lexsort((at, which))
        which, at = which[order], at[order]
        enter = which[0::2]
        if not np.array_equal(enter, which[1::2]):  # closed rings cross an even number of times
            raise InputError("a view polygon has an open ring; views must be valid polygons")
        start = np.maximum(at[0::2], 0.0)
        end = np.minimum(at[1::2], length[enter])
        # a view touching the line at a point gives two crossings a rounding error apart
        keep = end - start > TOLERANCE_M
        return enter[keep], start[keep], end[keep]

    above_p, above_q = side_p > 0, side_q > 0
    found = [runs(np.flatnonzero((above_p != above_q) & real))]
    on_line = np.flatnonzero(((side_p == 0) | (side_q == 0)) & real)
    if len(on_line):
        touching = np.zeros(len(seg), dtype=bool)
        touching[pair[on_line]] = True
        candidates = np.flatnonzero(touching[pair] & real)
        right = (side_p[candidates] >= 0) != (side_q[candidates] >= 0)
        found.append(runs(candidates[right]))
    return (
        np.concatenate([f[0] for f in found]),
        np.concatenate([f[1] for f in found]),
        np.concatenate([f[2] for f in found]),
    )


class LineCoverage:
    """Merged watched intervals of every line, for growing sets of DORI levels.

    ``unions[k]`` is the union of the pieces whose level is the k-th DORI level or a
    finer one; the last entry is the union of all pieces (views included). Each entry
    is (line, start_m, end_m), sorted by line then start, disjoint within a line.
    """

    def __init__(
        self,
        segments: Segments,
        pieces: _Pieces,
        level: npt.NDArray[Any],
        camera: npt.NDArray[Any],
    ) -> None:
        self.segments = segments
        self.pieces = pieces
        self.level = level
        self.camera = camera
        codes = {name: k for k, name in enumerate(DORI_LEVELS)}
        level_code = (
            pd.Series(level, dtype=object).map(codes).fillna(len(DORI_LEVELS)).to_numpy(np.int64)
        )
        # one sort serves every union: a subset of sorted pieces stays sorted
        order = np.lexsort((pieces.start, pieces.line))
        line, start, end = pieces.line[order], pieces.start[order], pieces.end[order]
        piece_level = level_code[pieces.view[order]]
        self.unions = [
            merge_intervals(line[m], start[m], end[m], gap=TOLERANCE_M, presorted=True)
            for m in (
                *(piece_level <= k for k in range(len(DORI_LEVELS) - 1)),
                np.ones(len(piece_level), dtype=bool),
            )
        ]
        self.camera_pairs = _line_cameras(pieces, camera)

    def lengths(self) -> list[FloatArray]:
        """Metres of each line in each growing union (last: watched at all)."""
        n = self.segments.n_lines
        return [
            np.bincount(g, weights=e - s, minlength=n).astype(np.float64) for g, s, e in self.unions
        ]

    def frame(self, index: pd.Index) -> pd.DataFrame:
        """The columns of :func:`coverage_of_lines`, indexed by ``index``."""
        n = self.segments.n_lines
        cumulative = self.lengths()
        out = pd.DataFrame(index=index)
        out["length_m"] = self.segments.line_length
        out["watched_m"] = cumulative[-1]
        previous = np.zeros(n)
        # Differences of growing unions: each best-level share is never negative and
        # the four sum to watched_m.
        for name, covered in zip(DORI_LEVELS, cumulative, strict=True):
            out[f"watched_m_{name}"] = covered - previous
            previous = covered
        pair_line, names = self.camera_pairs
        out["cameras"] = _cameras_per_line(pair_line, names, n)
        out["camera_count"] = np.bincount(pair_line, minlength=n).astype(np.int64)
        return out

    def intervals(self, index: pd.Index) -> pd.DataFrame:
        """The rows of :func:`watched_intervals`, lines named by ``index``."""
        pieces, level, camera = self.pieces, self.level, self.camera
        columns = ["line", "start_m", "end_m", "level", "camera"]
        if len(pieces.line) == 0:
            return pd.DataFrame(
                {c: pd.Series(dtype=float if c.endswith("_m") else object) for c in columns}
            )
        key = pd.MultiIndex.from_arrays(
            [pieces.line, level[pieces.view], camera[pieces.view].astype(str)]
        )
        group_code, groups = pd.factorize(key, sort=True)
        g, s, e = merge_intervals(group_code, pieces.start, pieces.end, gap=TOLERANCE_M)
        keys = groups[g]
        return pd.DataFrame(
            {
                "line": index.to_numpy()[keys.get_level_values(0).to_numpy()],
                "start_m": s,
                "end_m": e,
                "level": keys.get_level_values(1).to_numpy(),
                "camera": keys.get_level_values(2).to_numpy(),
            }
        )


def candidate_pairs(segments: Segments, views: gpd.GeoDataFrame) -> int:
    """How many (segment, view) pairs have boxes that meet: the pairs clipping examines.

    The work of :func:`coverage_of_lines` grows with this count, not with the
    number of lines or points: a short track winding through many views costs
    more than a long one through none. Counted in chunks of :data:`SEGMENT_CHUNK`.
    """
    geoms = np.asarray(views.geometry.array, dtype=object) if len(views) else np.empty(0, object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(segments) == 0 or len(geoms) == 0:
        return 0
    tree = shapely.STRtree(geoms)
    total = 0
    for lo in range(0, len(segments), SEGMENT_CHUNK):
        sl = slice(lo, min(lo + SEGMENT_CHUNK, len(segments)))
        total += int(tree.query(segments.geometries(sl)).shape[1])
    return total


def _check_crs(lines: gpd.GeoSeries, views: gpd.GeoDataFrame) -> None:
    for name, crs in (("streets", lines.crs), ("views", views.crs)):
        if crs is not None and crs.is_geographic:
            raise InputError(
                f"{name} are in a geographic CRS (degrees); project them to a metric CRS "
                "first, e.g. with camatlas.geo.local_crs(...)",
                value=crs.to_string(),
            )
    if lines.crs is not None and views.crs is not None and lines.crs != views.crs:
        raise InputError(
            "streets and views must be in the same CRS",
            value=f"{lines.crs.to_string()} vs {views.crs.to_string()}",
        )


def _view_columns(views: gpd.GeoDataFrame) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Level and physical camera of every view row (defaults: all "view", camera_id)."""
    n = len(views)
    if "level" in views.columns:
        level = views["level"].astype(str).to_numpy()
        unknown = set(level) - {VIEW_LEVEL, *DORI_LEVELS}
        if unknown:
            raise InputError(
                f"views: unknown level; use {VIEW_LEVEL!r} or one of {', '.join(DORI_LEVELS)}",
                value=sorted(unknown)[0],
            )
    else:
        level = np.full(n, VIEW_LEVEL, dtype=object)
    for column in ("physical_id", "camera_id"):
        if column in views.columns:
            camera = views[column].astype(object).to_numpy()
            break
    else:
        camera = np.arange(n).astype(str).astype(object)
    return level, camera


def _pieces_of(
    lines: gpd.GeoSeries, views: gpd.GeoDataFrame, progress: Progress | None
) -> tuple[Segments, _Pieces, npt.NDArray[Any], npt.NDArray[Any]]:
    _check_crs(lines, views)
    segments = Segments(lines)
    return (segments, *_view_pieces(segments, views, progress))


def _view_pieces(
    segments: Segments, views: gpd.GeoDataFrame, progress: Progress | None
) -> tuple[_Pieces, npt.NDArray[Any], npt.NDArray[Any]]:
    level, camera = _view_columns(views)
    geoms = np.asarray(views.geometry.array, dtype=object) if len(views) else np.empty(0, object)
    usable = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    pieces = _clip(segments, geoms[usable], progress)
    pieces.view = usable[pieces.view]
    return pieces, level, camera


def line_coverage(
    segments: Segments, views: gpd.GeoDataFrame, progress: Progress | None = None
) -> LineCoverage:
    """The watched intervals of lines already cut into :class:`Segments`, for views in the
    same metric CRS (as :func:`coverage_of_lines`, for repeated runs on the same lines)."""
    return LineCoverage(segments, *_view_pieces(segments, views, progress))


def area_intervals(
    segments: Segments, areas: npt.NDArray[Any]
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Where each line runs through each area: merged ``(line, area, start_m, end_m)``.

    ``areas`` are (Multi)Polygons in the lines' metric CRS. A stretch running along a
    boundary lies in both polygons it separates; it counts in one area only: dropped
    where another area holds it inside, or holds it on its own boundary and comes
    first. Stretches inside two overlapping areas count in both.
    """
    empty_i, empty_f = np.empty(0, np.int64), np.empty(0, np.float64)
    if len(areas) == 0 or len(segments) == 0:
        return empty_i, empty_i, empty_f, empty_f
    pieces = _clip(segments, areas, crossings=False)
    middle = (pieces.start + pieces.end) / 2
    xy = _point_on(segments, _locate(segments, pieces.line, middle, "right"), middle)
    edge = shapely.distance(shapely.points(xy), shapely.boundary(areas[pieces.view])) < 1e-6
    keep = np.ones(len(pieces.line), dtype=bool)
    if edge.any():
        table = pd.DataFrame(
            {"line": pieces.line, "start": pieces.start, "end": pieces.end,
             "area": pieces.view, "edge": edge}
        )  # fmt: skip
        on_edge = table[edge].assign(middle=middle[edge]).reset_index()
        pairs = on_edge.merge(table, on="line", suffixes=("", "_other"))
        claimed = (
            (pairs["area_other"] != pairs["area"])
            & (pairs["start_other"] <= pairs["middle"])
            & (pairs["middle"] <= pairs["end_other"])
            & (~pairs["edge_other"] | (pairs["area_other"] < pairs["area"]))
        )
        keep[pairs.loc[claimed, "index"].unique()] = False
    n_areas = len(areas)
    group = pieces.line[keep] * n_areas + pieces.view[keep]
    g, s, e = merge_intervals(group, pieces.start[keep], pieces.end[keep], gap=TOLERANCE_M)
    return g // n_areas, g % n_areas, s, e


# --- public API ---------------------------------------------------------------------

COVERAGE_COLUMNS = (
    "length_m",
    "watched_m",
    *(f"watched_m_{level}" for level in DORI_LEVELS),
    "cameras",
    "camera_count",
)
"""Columns of :func:`coverage_of_lines`."""


def coverage_of_lines(
    lines: gpd.GeoSeries,
    views: gpd.GeoDataFrame,
    *,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Metres of each line inside camera views, by best DORI level, and the cameras that see it.

    Parameters
    ----------
    lines
        LineStrings (or MultiLineStrings) in a metric CRS, e.g. streets.
    views
        Views as returned by :func:`camatlas.views.compute_views`, in the same CRS:
        columns ``level`` (``"view"`` or a DORI level), ``physical_id`` and the geometry
        (metres). Without a ``level`` column every row counts as a whole view.
    progress
        Called with (stage, done, total) while lines are clipped.

    Returns
    -------
    pandas.DataFrame
        One row per line, index aligned with ``lines``:

        - ``length_m``: length of the line (metres);
        - ``watched_m``: metres inside the union of all views (a stretch seen by two
          cameras counts once);
        - ``watched_m_identification`` ... ``watched_m_detection``: metres where the
          best level any camera reaches is that level (a stretch inside a view but in no
          finer DORI band counts as detection); the four sum to ``watched_m``;
        - ``cameras``: sorted tuple of the distinct ``physical_id`` values whose view
          the line crosses over a positive length;
        - ``camera_count``: its length.
    """
    segments, pieces, level, camera = _pieces_of(lines, views, progress)
    return LineCoverage(segments, pieces, level, camera).frame(lines.index)


def _line_cameras(pieces: _Pieces, camera: npt.NDArray[Any]) -> tuple[IntArray, npt.NDArray[Any]]:
    """Distinct (line, camera) pairs, sorted by line then camera name."""
    if len(pieces.line) == 0:
        return np.empty(0, np.int64), np.empty(0, dtype=object)
    names, code = np.unique(camera.astype(str), return_inverse=True)
    key = np.unique(pieces.line * len(names) + code[pieces.view])
    return key // len(names), names[key % len(names)].astype(object)


def _cameras_per_line(line: IntArray, names: npt.NDArray[Any], n: int) -> list[tuple[str, ...]]:
    """Sorted tuple of the distinct cameras of each line, from :func:`_line_cameras`."""
    result: list[tuple[str, ...]] = [()] * n
    if len(line) == 0:
        return result
    lines, first = np.unique(line, return_index=True)
    for i, chunk in zip(lines.tolist(), np.split(names, first[1:]), strict=True):
        result[i] = tuple(chunk.tolist())
    return result


def watched_intervals(
    lines: gpd.GeoSeries,
    views: gpd.GeoDataFrame,
    *,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """The stretches of each line inside each camera's view and DORI bands.

    Parameters
    ----------
    lines
        LineStrings (or MultiLineStrings) in a metric CRS.
    views
        Views as returned by :func:`camatlas.views.compute_views`, in the same CRS.
    progress
        Called with (stage, done, total) while lines are clipped.

    Returns
    -------
    pandas.DataFrame
        Columns ``line`` (the index label of the line in ``lines``), ``start_m`` and
        ``end_m`` (metres along the line from its start; for a MultiLineString the
        distance runs on across its parts), ``level`` (``"view"`` or a DORI level) and
        ``camera`` (``physical_id``). Pieces of one camera, level and line that touch
        are merged; rows are sorted by line position, level, camera and start.
    """
    segments, pieces, level, camera = _pieces_of(lines, views, progress)
    return LineCoverage(segments, pieces, level, camera).intervals(lines.index)


def _locate(segments: Segments, line: IntArray, at: FloatArray, side: str) -> IntArray:
    """The segment of each line holding the point ``at`` metres along it.

    ``side="right"``: a point on a vertex belongs to the segment starting there;
    ``"left"``: to the one ending there.
    """
    offsets = axis_offsets(segments.line_length)
    seg_start = offsets[segments.line] + segments.offset
    first_seg = np.searchsorted(segments.line, line, side="left")
    last_seg = np.searchsorted(segments.line, line, side="right") - 1
    found = np.searchsorted(seg_start, offsets[line] + at, side) - 1  # type: ignore[call-overload]
    return np.asarray(np.clip(found, first_seg, last_seg), dtype=np.int64)


def _point_on(segments: Segments, seg: IntArray, at: FloatArray) -> FloatArray:
    """Coordinates of the points ``at`` metres along the lines, on segments ``seg``."""
    t = (at - segments.offset[seg]) / segments.length[seg]
    return np.asarray(segments.a[seg] + (segments.b[seg] - segments.a[seg]) * t[:, None])


def stretches(
    segments: Segments, line: IntArray, start: FloatArray, end: FloatArray
) -> npt.NDArray[Any]:
    """LineStrings of the stretches (line, start_m, end_m), built from the segments."""
    if len(line) == 0:
        return np.empty(0, dtype=object)
    i0 = _locate(segments, line, start, "right")
    i1 = np.maximum(_locate(segments, line, end, "left"), i0)
    count = i1 - i0 + 2  # the two end points and the vertices between them
    which = np.repeat(np.arange(len(line)), count)
    step = np.arange(len(which)) - np.repeat(np.cumsum(count) - count, count)
    coords = segments.a[np.minimum(i0[which] + step, len(segments.a) - 1)].copy()
    coords[step == 0] = _point_on(segments, i0, start)
    coords[step == count[which] - 1] = _point_on(segments, i1, end)
    return np.asarray(shapely.linestrings(coords, indices=which))


def street_land(lines: gpd.GeoSeries, buffer_m: float = AREA_BUFFER_M) -> BaseGeometry:
    """The area a set of streets serves: land within ``buffer_m`` of a street, cut to the
    convex hull of each cluster of streets whose buffers touch.

    The hull cut leaves no rim beyond the outermost streets; the buffer leaves out parks,
    water and empty land more than ``2 * buffer_m`` across. ``lines`` in a metric CRS.
    """
    geoms = np.asarray(lines.array, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) == 0:
        return shapely.Polygon()
    land = shapely.union_all(shapely.buffer(geoms, buffer_m, quad_segs=4))
    parts = np.asarray(shapely.get_parts(land))
    street_idx, part_idx = shapely.STRtree(parts).query(geoms, predicate="intersects")
    owner = np.zeros(len(geoms), dtype=np.int64)
    owner[street_idx] = part_idx  # a street lies in exactly one part of the union
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    points = shapely.multipoints(coords, indices=owner[which])
    hulls = np.asarray(shapely.convex_hull(points))
    return shapely.union_all(shapely.intersection(hulls, parts[: len(hulls)]))
