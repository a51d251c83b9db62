"""How much of a place cameras watch: street coverage, density, by area, blind spots.

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
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from camatlas.camera import KINDS
from camatlas.errors import CamatlasError, InputError
from camatlas.sight import DORI_LEVELS, utm_epsg

if TYPE_CHECKING:
    from camatlas.atlas import Atlas
    from camatlas.sight import SightParameters

VIEW_LEVEL = "view"
"""Level of the rows holding a camera's whole visible area."""

SEGMENT_CHUNK = 200_000
"""Street segments clipped per batch: bounds memory on city-sized inputs."""

_TOLERANCE_M = 1e-6
"""Gaps between pieces shorter than this (floating-point noise) are closed when merging."""

_ON_LINE_M = 1e-9
"""A polygon vertex closer than this to a street's line lies on it."""

Progress = Callable[[str, int, int], None]
"""Called with (stage, done, total) on long steps."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# --- streets as straight segments ---------------------------------------------------


class _Segments:
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
    segments: _Segments,
    views: npt.NDArray[Any],
    progress: Progress | None = None,
    chunk: int = SEGMENT_CHUNK,
    *,
    crossings: bool = True,
) -> _Pieces:
    """Intervals (line, start_m, end_m, view row) of every segment inside every polygon.

    With ``crossings`` the intervals come from :func:`_clip_by_crossings` (numpy);
    otherwise from GEOS intersections, where a segment lying along a polygon's boundary
    counts as inside it (used for areas, see :func:`_add_area_intervals`).
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
                keep = e - s > _TOLERANCE_M
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
    segments: _Segments, edges: _Edges, seg: IntArray, poly: IntArray
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
            raise CamatlasError("a view polygon has an open ring; views must be valid polygons")
        start = np.maximum(at[0::2], 0.0)
        end = np.minimum(at[1::2], length[enter])
        # a view touching the line at a point gives two crossings a rounding error apart
        keep = end - start > _TOLERANCE_M
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


def _merge_sorted(
    offsets: FloatArray, line: IntArray, start: FloatArray, end: FloatArray
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Union of intervals within each line, from pieces sorted by line then start.

    On the global axis of :func:`_global_offsets` (lines one after another, 1 m apart)
    one running maximum serves every line at once.
    """
    if len(line) == 0:
        return line, start, end
    reach = np.maximum.accumulate(offsets[line] + end)
    new = np.ones(len(line), dtype=bool)
    new[1:] = (line[1:] != line[:-1]) | (offsets[line[1:]] + start[1:] > reach[:-1] + _TOLERANCE_M)
    first = np.flatnonzero(new)
    return line[first], start[first], np.maximum.reduceat(end, first)


def _merge(
    group: IntArray, start: FloatArray, end: FloatArray
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Union of intervals within each group: (group, start, end) of the merged intervals."""
    if len(group) == 0:
        return group, start, end
    order = np.lexsort((start, group))
    g, s, e = group[order], start[order], end[order]
    reach = pd.Series(e).groupby(g, sort=False).cummax().to_numpy()
    new = np.ones(len(g), dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (s[1:] > reach[:-1] + _TOLERANCE_M)
    first = np.flatnonzero(new)
    return g[first], s[first], np.maximum.reduceat(e, first)


class _Coverage:
    """Merged watched intervals of every line, for growing sets of DORI levels.

    ``unions[k]`` is the union of the pieces whose level is the k-th DORI level or a
    finer one; the last entry is the union of all pieces (views included). Each entry
    is (line, start_m, end_m), sorted by line then start, disjoint within a line.
    """

    def __init__(
        self,
        segments: _Segments,
        pieces: _Pieces,
        level: npt.NDArray[Any],
        camera: npt.NDArray[Any],
    ) -> None:
        self.segments = segments
        self.pieces = pieces
        self.camera = camera
        codes = {name: k for k, name in enumerate(DORI_LEVELS)}
        level_code = (
            pd.Series(level, dtype=object).map(codes).fillna(len(DORI_LEVELS)).to_numpy(np.int64)
        )
        # one sort serves every union: a subset of sorted pieces stays sorted
        order = np.lexsort((pieces.start, pieces.line))
        line, start, end = pieces.line[order], pieces.start[order], pieces.end[order]
        piece_level = level_code[pieces.view[order]]
        offsets = _global_offsets(segments)
        self.unions = [
            _merge_sorted(offsets, line[m], start[m], end[m])
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


def _check_crs(lines: gpd.GeoSeries, views: gpd.GeoDataFrame) -> None:
    for name, crs in (("streets", lines.crs), ("views", views.crs)):
        if crs is not None and crs.is_geographic:
            raise InputError(
                f"{name} are in a geographic CRS (degrees); project them to a metric CRS "
                "first, e.g. sight.local_crs(...)",
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
) -> tuple[_Segments, _Pieces, npt.NDArray[Any], npt.NDArray[Any]]:
    _check_crs(lines, views)
    segments = _Segments(lines)
    level, camera = _view_columns(views)
    geoms = np.asarray(views.geometry.array, dtype=object) if len(views) else np.empty(0, object)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    index = np.flatnonzero(usable)
    pieces = _clip(segments, geoms[index], progress)
    pieces.view = index[pieces.view]
    return segments, pieces, level, camera


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
        Views as returned by :func:`camatlas.sight.compute_views`, in the same CRS:
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
    return _Coverage(segments, pieces, level, camera).frame(lines.index)


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
        Views as returned by :func:`camatlas.sight.compute_views`, in the same CRS.
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
    _, pieces, level, camera = _pieces_of(lines, views, progress)
    columns = ["line", "start_m", "end_m", "level", "camera"]
    if len(pieces.line) == 0:
        return pd.DataFrame(
            {c: pd.Series(dtype=float if c.endswith("_m") else object) for c in columns}
        )
    key = pd.MultiIndex.from_arrays(
        [pieces.line, level[pieces.view], camera[pieces.view].astype(str)]
    )
    group_code, groups = pd.factorize(key, sort=True)
    g, s, e = _merge(group_code.astype(np.int64), pieces.start, pieces.end)
    keys = groups[g]
    return pd.DataFrame(
        {
            "line": lines.index.to_numpy()[keys.get_level_values(0).to_numpy()],
            "start_m": s,
            "end_m": e,
            "level": keys.get_level_values(1).to_numpy(),
            "camera": keys.get_level_values(2).to_numpy(),
        }
    )


# --- intervals: overlaps with areas, gaps, and their geometry ------------------------


def _global_offsets(segments: _Segments) -> FloatArray:
    """Start of each line on one axis where lines follow one another with 1 m gaps."""
    spans = segments.line_length + 1.0
    return np.concatenate([[0.0], np.cumsum(spans)[:-1]]) if len(spans) else spans


def _overlap(
    offsets: FloatArray,
    union: tuple[IntArray, FloatArray, FloatArray],
    line: IntArray,
    start: FloatArray,
    end: FloatArray,
) -> FloatArray:
    """Metres of each interval (line, start, end) that lie inside ``union``.

    ``union`` is disjoint and sorted within each line, so on the one global axis its
    intervals are sorted too and two binary searches find those overlapping a query.
    """
    u_line, u_start, u_end = union
    if len(u_line) == 0 or len(line) == 0:
        return np.zeros(len(line))
    us = offsets[u_line] + u_start
    ue = offsets[u_line] + u_end
    qs = offsets[line] + start
    qe = offsets[line] + end
    cum = np.concatenate([[0.0], np.cumsum(ue - us)])
    first = np.searchsorted(ue, qs, side="right")
    stop = np.searchsorted(us, qe, side="left")
    total = cum[stop] - cum[first]
    some = stop > first
    head = np.where(some, np.maximum(qs - us[np.minimum(first, len(us) - 1)], 0.0), 0.0)
    tail = np.where(some, np.maximum(ue[np.maximum(stop - 1, 0)] - qe, 0.0), 0.0)
    return np.asarray(np.maximum(total - head - tail, 0.0), dtype=np.float64)


def _gaps(
    segments: _Segments, union: tuple[IntArray, FloatArray, FloatArray]
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Stretches of every line outside ``union``: (line, start_m, end_m)."""
    u_line, u_start, u_end = union
    every = np.arange(segments.n_lines, dtype=np.int64)
    line = np.concatenate([u_line, every])
    starts = np.concatenate([u_end, np.zeros(segments.n_lines)])
    ends = np.concatenate([u_start, segments.line_length])
    # Within a line, k intervals leave k + 1 gaps: starts 0, e1..ek pair with s1..sk, L.
    by_start = np.lexsort((starts, line))
    by_end = np.lexsort((ends, line))
    return line[by_start], starts[by_start], ends[by_end]


def _locate(segments: _Segments, line: IntArray, at: FloatArray, side: str) -> IntArray:
    """The segment of each line holding the point ``at`` metres along it.

    ``side="right"``: a point on a vertex belongs to the segment starting there;
    ``"left"``: to the one ending there.
    """
    offsets = _global_offsets(segments)
    seg_start = offsets[segments.line] + segments.offset
    first_seg = np.searchsorted(segments.line, line, side="left")
    last_seg = np.searchsorted(segments.line, line, side="right") - 1
    found = np.searchsorted(seg_start, offsets[line] + at, side) - 1  # type: ignore[call-overload]
    return np.asarray(np.clip(found, first_seg, last_seg), dtype=np.int64)


def _point_on(segments: _Segments, seg: IntArray, at: FloatArray) -> FloatArray:
    """Coordinates of the points ``at`` metres along the lines, on segments ``seg``."""
    t = (at - segments.offset[seg]) / segments.length[seg]
    return np.asarray(segments.a[seg] + (segments.b[seg] - segments.a[seg]) * t[:, None])


def _substrings(
    segments: _Segments, line: IntArray, start: FloatArray, end: FloatArray
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


# --- what counts -----------------------------------------------------------------------

COUNTED_HIGHWAYS = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
        "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
        "residential", "living_street", "service", "pedestrian", "road", "busway", "track",
        "footway", "path", "cycleway", "bridleway", "steps", "sidewalk", "crossing",
    }
)  # fmt: skip
"""OSM ``highway`` values of the streets whose length counts: every way a person walks,
cycles or drives along outdoors, motorways included (ALPR and traffic cameras watch the
people in the vehicles). Left out: ways that are not (yet, or any longer) open
(``proposed``, ``construction``, ``abandoned``, ``disused``, ``razed``), places and
features rather than ways (``platform``, ``bus_stop``, ``rest_area``, ``services``,
``elevator``, ``emergency_bay``, ``traffic_island``), indoor corridors (``corridor``),
``raceway``, ``bus_guideway``, ``escape``, ``via_ferrata``; also any closed way tagged
``area=yes`` (the outline of a square is not a street)."""

AREA_BUFFER_M = 100.0
"""Whole-atlas area: land within this distance of a counted street (see :func:`street_land`)."""

DEFAULT_MIN_BLIND_M = 100.0
"""Shortest unwatched stretch reported as a blind spot (metres; about one city block)."""

RANK_BY = (
    "cameras_per_km2",
    "watched_share",
    "cameras_per_street_km",
    "cameras_per_1000_residents",
    "watched_m_per_street_km",
    "cameras",
)
"""Aggregates an area ranking can be sorted by (largest first)."""

KNOWN_CAMERAS_ONLY = (
    "Known cameras only: cameras that are not mapped are not counted, so every figure is a "
    "lower bound of the real one."
)

_AREA_YES = r'"area"\s*:\s*"yes"'


def counted_streets(streets: gpd.GeoDataFrame) -> npt.NDArray[np.bool_]:
    """Which streets count for street length: ``highway`` in :data:`COUNTED_HIGHWAYS` and
    not ``area=yes``."""
    highway = streets["highway"].astype(str).to_numpy()
    keep = np.isin(highway, sorted(COUNTED_HIGHWAYS))
    if "tags" in streets.columns:
        tags = streets["tags"].fillna("").astype(str)
        keep &= ~tags.str.contains(_AREA_YES, regex=True).to_numpy()
    return np.asarray(keep, dtype=bool)


def physical_cameras(cameras: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per physical camera: records linked across sources share a ``physical_id``
    and count once, at the position of the record with the smallest ``id``."""
    if len(cameras) == 0:
        return cameras
    pid = cameras["physical_id"].fillna(cameras["id"]).astype(str)
    ordered = cameras.assign(physical_id=pid).sort_values(["physical_id", "id"], kind="stable")
    return ordered.drop_duplicates("physical_id", keep="first")


def _geodesic_km2(geometries: npt.NDArray[Any]) -> FloatArray:
    """Area on the WGS 84 ellipsoid of lon/lat (Multi)Polygons, km²."""
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")
    out = np.zeros(len(geometries))
    for i, geom in enumerate(geometries):
        if geom is not None and not geom.is_empty:
            out[i] = abs(geod.geometry_area_perimeter(geom)[0]) / 1e6
    return out


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


# --- areas to aggregate by -------------------------------------------------------------


@dataclass
class _Areas:
    """Polygons (WGS 84) to aggregate by, with population where known."""

    kind: str  # "atlas", "admin", "polygons" or "h3"
    frame: gpd.GeoDataFrame  # columns id, name, population, area_km2, geometry
    description: str


def _parse_by(by: str) -> tuple[str, str]:
    kind, _, arg = by.partition(":")
    if kind in ("admin", "h3", "geojson"):
        return kind, arg
    raise InputError(
        "--by: use admin (or admin:LEVEL), geojson:FILE.geojson or h3:RESOLUTION", value=by
    )


def _admin_areas(atlas: Atlas, arg: str, admin_level: int | None) -> _Areas:
    areas = atlas.areas()
    if len(areas) == 0:
        raise InputError(
            f"{atlas.url}: the atlas holds no admin boundaries; import an OSM file with "
            "boundary=administrative relations, or use --by geojson:FILE or --by h3:9"
        )
    if arg:
        try:
            admin_level = int(arg)
        except ValueError:
            raise InputError("--by admin:LEVEL: LEVEL must be a whole number", value=arg) from None
    levels = sorted({int(v) for v in areas["admin_level"].dropna()})
    if admin_level is None:
        if not levels:
            raise InputError(f"{atlas.url}: no admin area has an admin_level")
        admin_level = levels[-1]
    chosen = areas[areas["admin_level"] == admin_level]
    if len(chosen) == 0:
        raise InputError(
            f"{atlas.url}: no admin areas at admin_level {admin_level}; levels present: "
            f"{', '.join(map(str, levels)) or 'none'}",
            value=admin_level,
        )
    frame = gpd.GeoDataFrame(
        {
            "id": chosen["id"].astype(str).to_numpy(),
            "name": chosen["name"].to_numpy(),
            "admin_level": chosen["admin_level"].astype("int64").to_numpy(),
            "population": pd.to_numeric(chosen["population"], errors="coerce").to_numpy(),
        },
        geometry=chosen.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    return _Areas("admin", frame, f"admin boundaries at admin_level {admin_level}")


def _user_polygons(path: str, population: str | Path | None, key: str | None) -> _Areas:
    import pyogrio

    file = Path(path)
    if not file.is_file():
        raise InputError("no such file", path=file)
    try:
        polygons = gpd.GeoDataFrame(pyogrio.read_dataframe(file))
    except Exception as exc:  # pyogrio raises its own error types for unreadable files
        raise InputError(f"cannot read polygons: {exc}", path=file) from None
    if "name" not in polygons.columns:
        raise InputError(
            "the polygons need a 'name' property",
            path=file,
            value=sorted(c for c in polygons.columns if c != "geometry"),
        )
    polygonal = shapely.get_type_id(polygons.geometry.to_numpy()) >= 0
    polygonal &= polygons.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not polygonal.all():
        bad = int(np.flatnonzero(~polygonal)[0])
        raise InputError(
            "every feature must be a Polygon or MultiPolygon",
            path=file,
            element=f"feature {bad}",
            value=str(polygons.geometry.iloc[bad].geom_type),
        )
    if polygons.crs is None:
        polygons = polygons.set_crs(4326)
    polygons = polygons.to_crs(4326)
    pop = (
        pd.to_numeric(polygons["population"], errors="coerce")
        if "population" in polygons.columns
        else pd.Series(np.nan, index=polygons.index)
    )
    if population is not None:
        pop = _join_population(polygons, Path(population), key)
    frame = gpd.GeoDataFrame(
        {
            "id": [f"{file.stem}:{i}" for i in range(len(polygons))],
            "name": polygons["name"].astype(object).to_numpy(),
            "population": pop.to_numpy(dtype=np.float64),
        },
        geometry=shapely.make_valid(polygons.geometry.to_numpy()),
        crs="EPSG:4326",
    )
    return _Areas("polygons", frame, f"polygons from {file.name}")


def _join_population(polygons: gpd.GeoDataFrame, path: Path, key: str | None) -> pd.Series:
    """Population of each polygon from a CSV with columns ``key`` and ``population``."""
    if key is None:
        raise InputError("--population needs --population-key COLUMN", path=path)
    if key not in polygons.columns:
        raise InputError(
            f"the polygons have no property {key!r} to match --population-key",
            value=sorted(c for c in polygons.columns if c != "geometry"),
        )
    try:
        table = pd.read_csv(path, dtype=str)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the population table: {exc}", path=path) from None
    for column in (key, "population"):
        if column not in table.columns:
            raise InputError(
                f"the population table needs columns {key!r} and 'population'",
                path=path,
                value=list(table.columns),
            )
    values = pd.to_numeric(table["population"], errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            "population must be a number of residents",
            path=path,
            line=row + 2,
            value=table["population"].iloc[row],
        )
    lookup = dict(zip(table[key].astype(str).str.strip(), values, strict=True))
    joined: pd.Series = polygons[key].astype(str).str.strip().map(lookup).astype("float64")
    return joined


def _h3_cells(resolution: str, cameras: gpd.GeoDataFrame, street_points: FloatArray) -> _Areas:
    import h3

    try:
        res = int(resolution)
        if not 0 <= res <= 15:
            raise ValueError
    except ValueError:
        raise InputError("--by h3:RESOLUTION: a whole number 0..15", value=resolution) from None
    cells = {h3.latlng_to_cell(lat, lon, res) for lon, lat in street_points}
    # Street cells were found from points a third of an edge apart; their neighbours
    # catch a street clipping a cell's corner between two points.
    cells = {n for c in cells for n in h3.grid_disk(c, 1)}
    cells |= {
        h3.latlng_to_cell(y, x, res)
        for x, y in zip(cameras.geometry.x, cameras.geometry.y, strict=True)
    }
    ordered = sorted(cells)
    polygons = [
        shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in ordered
    ]
    frame = gpd.GeoDataFrame(
        {
            "id": ordered,
            "name": [f"h3 {c}" for c in ordered],
            "population": np.full(len(ordered), np.nan),
        },
        geometry=polygons,
        crs="EPSG:4326",
    )
    frame["area_km2"] = [h3.cell_area(c, unit="km^2") for c in ordered]
    return _Areas("h3", frame, f"H3 cells at resolution {res}")


# --- the atlas, zone by zone -----------------------------------------------------------


@dataclass
class _Zone:
    """Counted streets of one UTM zone, projected, with their area intervals.

    An atlas may hold several cities far apart; each is measured in its own UTM zone so
    that metres stay metres.
    """

    crs: pyproj.CRS
    rows: IntArray  # positions of the zone's streets among the counted streets
    segments: _Segments
    cameras: gpd.GeoDataFrame  # counted cameras near enough to see a street of the zone
    buildings: gpd.GeoDataFrame
    lines: gpd.GeoSeries  # the zone's streets (metric)
    land: BaseGeometry  # street land (metric)
    area_line: IntArray = field(default_factory=lambda: np.empty(0, np.int64))
    area_start: FloatArray = field(default_factory=lambda: np.empty(0, np.float64))
    area_end: FloatArray = field(default_factory=lambda: np.empty(0, np.float64))
    area_of: IntArray = field(default_factory=lambda: np.empty(0, np.int64))


def _zones(
    atlas: Atlas,
    streets: gpd.GeoDataFrame,
    cameras: gpd.GeoDataFrame,
    reach_m: float,
    occlusion: bool,
) -> list[_Zone]:
    bounds = streets.geometry.bounds.to_numpy()
    mid_x = (bounds[:, 0] + bounds[:, 2]) / 2
    mid_y = (bounds[:, 1] + bounds[:, 3]) / 2
    epsg = utm_epsg(mid_x, mid_y)
    cam_x = cameras.geometry.x.to_numpy()
    cam_y = cameras.geometry.y.to_numpy()
    zones = []
    for code in np.unique(epsg):
        rows = np.flatnonzero(epsg == code).astype(np.int64)
        west, south = bounds[rows, 0].min(), bounds[rows, 1].min()
        east, north = bounds[rows, 2].max(), bounds[rows, 3].max()
        lat = max(abs(south), abs(north))
        dy = reach_m / 111_132.0
        dx = reach_m / (111_320.0 * max(np.cos(np.radians(min(lat, 89.0))), 0.01))
        near = (
            (cam_x >= west - dx)
            & (cam_x <= east + dx)
            & (cam_y >= south - dy)
            & (cam_y <= north + dy)
        )
        crs = pyproj.CRS.from_epsg(int(code))
        zone_cams = cameras.iloc[np.flatnonzero(near)]
        if occlusion and len(zone_cams):
            cb = zone_cams.total_bounds
            buildings = atlas.buildings(bbox=(cb[0] - dx, cb[1] - dy, cb[2] + dx, cb[3] + dy))
        else:
            buildings = atlas.buildings(bbox=(0.0, 0.0, 0.0, 0.0)).iloc[:0]
        lines = streets.geometry.iloc[rows].to_crs(crs)
        zones.append(
            _Zone(
                crs=crs,
                rows=rows,
                segments=_Segments(lines),
                cameras=zone_cams,
                buildings=buildings,
                lines=lines,
                land=street_land(lines),
            )
        )
    return zones


def _near_streets(zones: list[_Zone], cameras: gpd.GeoDataFrame) -> npt.NDArray[np.bool_]:
    """Which cameras stand within :data:`AREA_BUFFER_M` of a counted street."""
    near = np.zeros(len(cameras), dtype=bool)
    for zone in zones:
        if len(cameras) == 0:
            break
        points = np.asarray(cameras.geometry.to_crs(zone.crs).array, dtype=object)
        tree = shapely.STRtree(np.asarray(zone.lines.array, dtype=object))
        hit, _ = tree.query(points, predicate="dwithin", distance=AREA_BUFFER_M)
        near[hit] = True
    return near


def _add_area_intervals(zone: _Zone, areas: gpd.GeoDataFrame) -> None:
    """Where each street of the zone runs through each area: merged (line, area) intervals.

    A stretch running along a boundary lies in both polygons it separates; it counts in
    one area only: dropped where another area holds it inside, or holds it on its own
    boundary and comes first. Stretches inside two overlapping areas count in both.
    """
    if len(areas) == 0 or len(zone.segments) == 0:
        return
    projected = np.asarray(areas.geometry.to_crs(zone.crs).array, dtype=object)
    pieces = _clip(zone.segments, projected, crossings=False)
    middle = (pieces.start + pieces.end) / 2
    xy = _point_on(zone.segments, _locate(zone.segments, pieces.line, middle, "right"), middle)
    edge = shapely.distance(shapely.points(xy), shapely.boundary(projected[pieces.view])) < 1e-6
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
    g, s, e = _merge(group, pieces.start[keep], pieces.end[keep])
    zone.area_line, zone.area_of = g // n_areas, g % n_areas
    zone.area_start, zone.area_end = s, e


def _zone_coverage(
    zone: _Zone,
    params: SightParameters,
    per_camera: pd.DataFrame | None,
    progress: Progress | None,
) -> _Coverage:
    from camatlas.sight import compute_views

    if len(zone.cameras):
        views = compute_views(
            zone.cameras,
            zone.buildings,
            params,
            crs=zone.crs,
            per_camera=None if per_camera is None else per_camera.loc[zone.cameras.index],
            progress=progress,
        )
    else:
        views = gpd.GeoDataFrame({"level": [], "physical_id": []}, geometry=[], crs=zone.crs)
    level, camera = _view_columns(views)
    geoms = np.asarray(views.geometry.array, dtype=object) if len(views) else np.empty(0, object)
    usable = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    pieces = _clip(zone.segments, geoms[usable], progress)
    pieces.view = usable[pieces.view]
    return _Coverage(zone.segments, pieces, level, camera)


@dataclass
class _Tally:
    """Coverage figures of one run of the views (the point estimate or one sample)."""

    street_length_m: float
    watched_by_union: FloatArray  # total metres in each growing union (last: watched)
    cameras_watching: int
    area_watched: list[FloatArray]  # per area, metres in each growing union

    def totals(self) -> dict[str, float]:
        watched = float(self.watched_by_union[-1])
        length = self.street_length_m
        out = {
            "watched_length_m": watched,
            "watched_share": watched / length if length > 0 else float("nan"),
            "watched_m_per_street_km": 1000.0 * watched / length if length > 0 else float("nan"),
            "cameras_watching_streets": float(self.cameras_watching),
        }
        previous = 0.0
        for level, covered in zip(DORI_LEVELS, self.watched_by_union, strict=True):
            out[f"watched_m_{level}"] = float(covered) - previous
            previous = float(covered)
        return out


def _tally(zones: list[_Zone], coverages: list[_Coverage], n_areas: int) -> _Tally:
    street_length = 0.0
    by_union = np.zeros(len(DORI_LEVELS))
    area_watched = [np.zeros(n_areas) for _ in DORI_LEVELS]
    watching: set[str] = set()
    for zone, cov in zip(zones, coverages, strict=True):
        street_length += float(zone.segments.line_length.sum())
        offsets = _global_offsets(zone.segments)
        for k, union in enumerate(cov.unions):
            by_union[k] += float((union[2] - union[1]).sum())
            if n_areas and len(zone.area_line):
                metres = _overlap(offsets, union, zone.area_line, zone.area_start, zone.area_end)
                area_watched[k] += np.bincount(zone.area_of, weights=metres, minlength=n_areas)
        if len(cov.pieces.view):
            watching.update(cov.camera[np.unique(cov.pieces.view)].astype(str).tolist())
    return _Tally(street_length, by_union, len(watching), area_watched)


# --- measure: the whole pipeline -------------------------------------------------------


@dataclass
class MeasureResult:
    """What :func:`measure` found.

    Attributes
    ----------
    summary
        Whole-atlas figures (see :func:`measure`).
    streets
        Per counted street (WGS 84): ``id, highway, name`` and the columns of
        :func:`coverage_of_lines` plus ``watched_share``.
    by_area
        Per area (WGS 84 polygons) with the aggregates, ranked; one row for the whole
        atlas's street land when no ``by`` was given.
    blind_spots
        Unwatched stretches of counted streets at least ``min_blind_m`` long (WGS 84):
        ``street_id, highway, name, start_m, end_m, length_m``.
    parameters
        Everything that made the result, as stored with the result layers.
    uncertainty
        Median and 5-95 % range of the coverage figures over the samples, or None.
    """

    summary: dict[str, Any]
    streets: gpd.GeoDataFrame
    by_area: gpd.GeoDataFrame
    blind_spots: gpd.GeoDataFrame
    parameters: dict[str, Any]
    uncertainty: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """One JSON-ready object: the summary, parameters, uncertainty and area rows."""
        out = dict(self.summary)
        out["parameters"] = self.parameters
        out["uncertainty"] = self.uncertainty
        if self.parameters.get("by"):
            rows = pd.DataFrame(self.by_area.drop(columns="geometry"))
            out["areas"] = [
                {k: _json_value(v) for k, v in row.items()} for row in rows.to_dict("records")
            ]
        return _json_value(out)  # type: ignore[no-any-return]


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if value is pd.NA or value is None:
        return None
    return value


def _ratio(num: FloatArray | float, den: FloatArray | float, scale: float = 1.0) -> Any:
    """num / den * scale, NaN where den is not positive."""
    n = np.asarray(num, dtype=np.float64)
    d = np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(d > 0, n * scale / np.where(d > 0, d, 1.0), np.nan)
    return out if out.ndim else float(out)


def _sampled_parameters(
    base: pd.DataFrame, cameras: gpd.GeoDataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Range and width of each camera drawn uniformly within its plausible interval where
    the value came from a default; tag and override values stay fixed.

    Draws follow the order of camera ids, so the same seed gives the same draw to each
    camera whatever the order of the input.
    """
    order = np.argsort(cameras["id"].astype(str).to_numpy(), kind="stable")
    u_range = np.empty(len(base))
    u_width = np.empty(len(base))
    u_range[order] = rng.random(len(base))
    u_width[order] = rng.random(len(base))
    out = base.copy()
    for value, source, low, high, u in (
        ("range_m", "range_source", "range_low", "range_high", u_range),
        ("width_deg", "width_source", "width_low", "width_high", u_width),
    ):
        lo = base[low].to_numpy(dtype=np.float64)
        hi = base[high].to_numpy(dtype=np.float64)
        assumed = base[source].astype(str).str.startswith("default").to_numpy()
        drawn = lo + u * (hi - lo)
        out[value] = np.where(assumed & np.isfinite(drawn), drawn, base[value].to_numpy())
    return out


def _percentiles(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=np.float64)
    p5, median, p95 = np.percentile(arr, [5, 50, 95], method="linear") if len(arr) else [np.nan] * 3
    return {"median": float(median), "p5": float(p5), "p95": float(p95)}


def measure(
    atlas: Atlas,
    *,
    by: str | None = None,
    params: SightParameters | None = None,
    samples: int = 0,
    seed: int = 0,
    completeness: float = 1.0,
    kinds: Sequence[str] | None = None,
    admin_level: int | None = None,
    population: str | Path | None = None,
    population_key: str | None = None,
    rank_by: str = "cameras_per_km2",
    min_blind_m: float = DEFAULT_MIN_BLIND_M,
    write: bool = True,
    progress: Progress | None = None,
) -> MeasureResult:
    """Street coverage, density, by area, blind spots and their uncertainty for an atlas.

    Parameters
    ----------
    atlas
        The atlas: its cameras, streets, buildings and (for ``by="admin"``) areas.
    by
        Aggregate by ``"admin"`` (admin boundaries of the atlas at the most detailed
        ``admin_level`` present, or ``"admin:LEVEL"``), ``"geojson:FILE"`` (user polygons
        with a ``name`` property) or ``"h3:RES"`` (H3 cells at resolution RES). None:
        the whole atlas only.
    params
        View parameters (:class:`camatlas.sight.SightParameters`): overrides of range and
        width, occlusion, indoor cameras.
    samples, seed
        Number of draws of the unknown view parameters (0: none) and the seed.
    completeness
        Share of real cameras that are mapped (0 < completeness <= 1): estimated cameras
        = counted / completeness, stated beside the counted figures.
    kinds
        Surveillance kinds counted (default: all).
    admin_level
        admin_level for ``by="admin"``.
    population, population_key
        CSV with columns ``population_key`` and ``population`` joined to user polygons.
    rank_by
        Aggregate the areas are ranked by (largest first), one of :data:`RANK_BY`.
    min_blind_m
        Shortest unwatched stretch reported as a blind spot, metres.
    write
        Write the result layers ``street_coverage``, ``measure_by_area`` and
        ``blind_spots`` into the atlas (one transaction, with the parameters).
    progress
        Called with (stage, done, total) on long steps.

    Returns
    -------
    MeasureResult
        ``summary`` holds: ``street_length_m`` (counted streets), ``watched_length_m``,
        ``watched_share`` (0..1), ``watched_m_per_street_km``, ``watched_m_<level>`` for
        each DORI level, ``cameras`` (physical cameras in the street land),
        ``cameras_total`` (physical cameras counted anywhere in the atlas),
        ``camera_records``, ``cameras_watching_streets``, ``area_km2`` (street land),
        ``cameras_per_km2``, ``cameras_per_street_km``, ``population`` and
        ``cameras_per_1000_residents`` (when the areas' population is known),
        ``completeness`` and the estimated figures, ``assumptions`` and ``note``.
    """
    from camatlas.atlas import OSM_ATTRIBUTION
    from camatlas.sight import SightParameters, camera_parameters

    params = params if params is not None else SightParameters()
    if not 0.0 < completeness <= 1.0:
        raise InputError("completeness must be a share in (0, 1]", value=completeness)
    if samples < 0:
        raise InputError("samples must be 0 or more", value=samples)
    if rank_by not in RANK_BY:
        raise InputError(f"rank by one of {', '.join(RANK_BY)}", value=rank_by)
    if min_blind_m < 0:
        raise InputError("the minimum blind-spot length must be 0 m or more", value=min_blind_m)

    all_cameras = atlas.cameras()
    records = all_cameras
    if kinds is not None:
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            raise InputError(f"unknown kind; use {', '.join(KINDS)}", value=unknown[0])
        records = records[records["kind"].isin(list(kinds))]
    # Density counts every kind asked for, indoor cameras and gunshot detectors too;
    # views, and so coverage, come only from the devices sight gives a view (its
    # ``counted``: indoor cameras only with ``include_indoor``).
    base = camera_parameters(records, params)
    physical = physical_cameras(records)

    streets = atlas.streets()
    streets = streets[counted_streets(streets)]
    reach = float(
        np.nanmax(
            np.r_[
                base["range_high"].to_numpy(dtype=float), base["range_m"].to_numpy(dtype=float), 0.0
            ]
        )
    )
    zones = _zones(atlas, streets, records, reach + 1.0, params.occlusion) if len(streets) else []

    areas = _areas_for(atlas, by, admin_level, population, population_key, physical, zones, streets)
    if areas is not None:
        for zone in zones:
            _add_area_intervals(zone, areas.frame)
    n_areas = 0 if areas is None else len(areas.frame)

    coverages = []
    for i, zone in enumerate(zones):
        if progress is not None:
            progress(f"views and coverage, zone {i + 1} of {len(zones)}", i, len(zones))
        coverages.append(_zone_coverage(zone, params, None, progress))
    tally = _tally(zones, coverages, n_areas)

    uncertainty = None
    sampled_area_share: list[FloatArray] = []
    if samples:
        rng = np.random.default_rng(seed)
        runs: list[dict[str, float]] = []
        for s in range(samples):
            if progress is not None:
                progress("uncertainty samples", s, samples)
            drawn = _sampled_parameters(base, records, rng)
            covs = [_zone_coverage(z, params, drawn, None) for z in zones]
            run = _tally(zones, covs, n_areas)
            runs.append(run.totals())
            if n_areas:
                sampled_area_share.append(run.area_watched[-1])
        if progress is not None:
            progress("uncertainty samples", samples, samples)
        uncertainty = {
            "samples": samples,
            "seed": seed,
            "method": (
                "range_m and width_deg of each camera drawn uniformly within the plausible "
                "interval of sight.camera_parameters() where the value came from a default; "
                "values from tags or overrides fixed"
            ),
            **{key: _percentiles([r[key] for r in runs]) for key in runs[0]},
        }

    # street land, cameras in it, and the whole-atlas summary
    land_parts = [
        gpd.GeoSeries([z.land], crs=z.crs).to_crs(4326).iloc[0]
        for z in zones
        if not z.land.is_empty
    ]
    land = shapely.union_all(land_parts) if land_parts else shapely.Polygon()
    area_km2 = float(_geodesic_km2(np.array([land], dtype=object))[0])
    in_land = _near_streets(zones, physical)
    cameras_in_land = int(np.count_nonzero(in_land))
    totals = tally.totals()
    street_km = tally.street_length_m / 1000.0
    summary: dict[str, Any] = {
        "note": KNOWN_CAMERAS_ONLY,
        "attribution": f"OpenStreetMap data {OSM_ATTRIBUTION}",
        "street_length_m": tally.street_length_m,
        "streets": len(streets),
        "watched_length_m": totals["watched_length_m"],
        "watched_share": totals["watched_share"],
        "watched_m_per_street_km": totals["watched_m_per_street_km"],
        **{f"watched_m_{lv}": totals[f"watched_m_{lv}"] for lv in DORI_LEVELS},
        "cameras": cameras_in_land,
        "cameras_total": len(physical),
        "cameras_outside_area": len(physical) - cameras_in_land,
        "camera_records": len(records),
        "cameras_watching_streets": int(totals["cameras_watching_streets"]),
        "counting": (
            "physical cameras: records of different sources linked as one camera count once"
        ),
        "kinds": sorted(set(records["kind"].dropna())) if kinds is None else sorted(kinds),
        "area_km2": area_km2,
        "area_definition": (
            f"street land: land within {AREA_BUFFER_M:g} m of a counted street, cut to the "
            "convex hull of each cluster of streets; cameras: those within "
            f"{AREA_BUFFER_M:g} m of a counted street"
        ),
        "cameras_per_km2": _ratio(cameras_in_land, area_km2),
        "cameras_per_street_km": _ratio(cameras_in_land, street_km),
    }
    by_area = _area_rows(areas, physical, tally, zones, land, summary, sampled_area_share)
    if areas is not None and areas.kind != "atlas":
        pop = by_area["population"].to_numpy(dtype=np.float64)
        if len(pop) and np.isfinite(pop).all():
            summary["population"] = float(pop.sum())
            summary["cameras_per_1000_residents"] = _ratio(
                float(by_area["cameras"].sum()), float(pop.sum()), 1000.0
            )
    summary.setdefault("population", None)
    summary.setdefault("cameras_per_1000_residents", None)
    summary["completeness"] = _completeness(summary, completeness)
    summary["assumptions"] = _assumptions(base, params)
    by_area = _rank(by_area, rank_by)

    street_frame = _street_frame(streets, zones, coverages)
    blind = _blind_spots(streets, zones, coverages, min_blind_m)
    summary["blind_spots"] = {
        "count": len(blind),
        "length_m": float(blind["length_m"].sum()) if len(blind) else 0.0,
        "min_length_m": min_blind_m,
    }
    parameters: dict[str, Any] = {
        "sight": params.as_dict(),
        "by": by,
        "areas": None if areas is None else areas.description,
        "kinds": kinds if kinds is None else sorted(kinds),
        "samples": samples,
        "seed": seed,
        "completeness": completeness,
        "rank_by": rank_by,
        "min_blind_m": min_blind_m,
        "counted_highways": sorted(COUNTED_HIGHWAYS),
        "area_buffer_m": AREA_BUFFER_M,
        "population": None if population is None else str(population),
        "population_key": population_key,
    }
    result = MeasureResult(summary, street_frame, by_area, blind, parameters, uncertainty)
    if write:
        with atlas.store.transaction():
            stored = dict(parameters, summary=_json_value(summary))
            atlas.store.write_result("street_coverage", _storable(street_frame), stored)
            atlas.store.write_result("measure_by_area", _storable(by_area), stored)
            atlas.store.write_result("blind_spots", blind, stored)
    return result


def _areas_for(
    atlas: Atlas,
    by: str | None,
    admin_level: int | None,
    population: str | Path | None,
    population_key: str | None,
    physical: gpd.GeoDataFrame,
    zones: list[_Zone],
    streets: gpd.GeoDataFrame,
) -> _Areas | None:
    if by is None:
        if population is not None:
            raise InputError("--population joins to user polygons: add --by geojson:FILE")
        return None
    kind, arg = _parse_by(by)
    if population is not None and kind != "geojson":
        raise InputError("--population joins to user polygons: use it with --by geojson:FILE")
    if kind == "admin":
        return _admin_areas(atlas, arg, admin_level)
    if kind == "geojson":
        if not arg:
            raise InputError("--by geojson:FILE needs a file name", value=by)
        return _user_polygons(arg, population, population_key)
    import h3

    try:
        step = h3.average_hexagon_edge_length(int(arg), unit="m") / 3.0
    except (ValueError, h3.H3BaseException):
        raise InputError("--by h3:RESOLUTION: a whole number 0..15", value=arg) from None
    points = [np.empty((0, 2))]
    for zone in zones:
        dense = shapely.segmentize(np.asarray(zone.lines.array, dtype=object), step)
        xy = shapely.get_coordinates(dense)
        to_wgs84 = pyproj.Transformer.from_crs(zone.crs, 4326, always_xy=True)
        points.append(np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1])))
    return _h3_cells(arg, physical, np.vstack(points))


def _area_rows(
    areas: _Areas | None,
    physical: gpd.GeoDataFrame,
    tally: _Tally,
    zones: list[_Zone],
    land: BaseGeometry,
    summary: dict[str, Any],
    sampled_watched: list[FloatArray],
) -> gpd.GeoDataFrame:
    if areas is None:
        frame = gpd.GeoDataFrame(
            {"id": ["atlas"], "name": ["whole atlas (street land)"], "population": [np.nan]},
            geometry=[land],
            crs="EPSG:4326",
        )
        frame["area_km2"] = summary["area_km2"]
        frame["cameras"] = summary["cameras"]
        frame["street_length_m"] = summary["street_length_m"]
        for level in DORI_LEVELS:
            frame[f"watched_m_{level}"] = summary[f"watched_m_{level}"]
        frame["watched_length_m"] = summary["watched_length_m"]
    else:
        frame = areas.frame.copy()
        n = len(frame)
        if "area_km2" not in frame.columns:
            frame["area_km2"] = _geodesic_km2(np.asarray(frame.geometry.array, dtype=object))
        frame["cameras"] = _cameras_per_area(areas, physical)
        length = np.zeros(n)
        for zone in zones:
            length += np.bincount(
                zone.area_of, weights=zone.area_end - zone.area_start, minlength=n
            )
        frame["street_length_m"] = length
        previous = np.zeros(n)
        for level, covered in zip(DORI_LEVELS, tally.area_watched, strict=True):
            frame[f"watched_m_{level}"] = covered - previous
            previous = covered
        frame["watched_length_m"] = tally.area_watched[-1]
        if areas.kind == "h3":
            # neighbours added to catch corners that hold neither street nor camera
            frame = frame[(frame["street_length_m"] > 0) | (frame["cameras"] > 0)]
            sampled_watched = [w[frame.index.to_numpy()] for w in sampled_watched]
    cams = frame["cameras"].to_numpy(dtype=np.float64)
    length_m = frame["street_length_m"].to_numpy(dtype=np.float64)
    frame["watched_share"] = _ratio(frame["watched_length_m"].to_numpy(dtype=np.float64), length_m)
    frame["watched_m_per_street_km"] = 1000.0 * frame["watched_share"]
    frame["cameras_per_km2"] = _ratio(cams, frame["area_km2"].to_numpy(dtype=np.float64))
    frame["cameras_per_street_km"] = _ratio(cams, length_m / 1000.0)
    frame["cameras_per_1000_residents"] = _ratio(
        cams, frame["population"].to_numpy(dtype=np.float64), 1000.0
    )
    if sampled_watched:
        shares = np.vstack([_ratio(w, length_m) for w in sampled_watched])
        with np.errstate(all="ignore"):
            p5, median, p95 = np.nanpercentile(shares, [5, 50, 95], axis=0)
        frame["watched_share_p5"] = p5
        frame["watched_share_median"] = median
        frame["watched_share_p95"] = p95
    return frame


def _cameras_per_area(areas: _Areas, physical: gpd.GeoDataFrame) -> IntArray:
    """Physical cameras inside each area (H3: the cell each camera falls in)."""
    n = len(areas.frame)
    if len(physical) == 0 or n == 0:
        return np.zeros(n, dtype=np.int64)
    if areas.kind == "h3":
        import h3

        res = h3.get_resolution(str(areas.frame["id"].iloc[0]))
        position = {c: i for i, c in enumerate(areas.frame["id"])}
        cells = [
            h3.latlng_to_cell(y, x, res)
            for x, y in zip(physical.geometry.x, physical.geometry.y, strict=True)
        ]
        which = np.array([position[c] for c in cells], dtype=np.int64)
        return np.bincount(which, minlength=n).astype(np.int64)
    tree = shapely.STRtree(np.asarray(areas.frame.geometry.array, dtype=object))
    _, area_idx = tree.query(np.asarray(physical.geometry.array, dtype=object), predicate="within")
    return np.bincount(area_idx, minlength=n).astype(np.int64)


def _rank(frame: gpd.GeoDataFrame, rank_by: str) -> gpd.GeoDataFrame:
    key = frame[rank_by].to_numpy(dtype=np.float64)
    order = np.lexsort((frame["id"].astype(str).to_numpy(), np.where(np.isnan(key), np.inf, -key)))
    ranked = frame.iloc[order].reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1, dtype=np.int64))
    columns = [
        "rank",
        "id",
        "name",
        *[c for c in ranked.columns if c not in ("rank", "id", "name")],
    ]
    return gpd.GeoDataFrame(ranked[columns], geometry="geometry", crs="EPSG:4326")


def _completeness(summary: dict[str, Any], factor: float) -> dict[str, Any]:
    """Counted figures divided by the share of real cameras that are mapped."""
    out: dict[str, Any] = {
        "factor": factor,
        "method": "estimated = counted / completeness (share of real cameras that are mapped)",
    }
    for key in (
        "cameras",
        "cameras_per_km2",
        "cameras_per_street_km",
        "cameras_per_1000_residents",
    ):
        value = summary.get(key)
        out[f"estimated_{key}"] = None if value is None else float(value) / factor
    return out


def _assumptions(base: pd.DataFrame, params: SightParameters) -> dict[str, Any]:
    """How many cameras' views rest on defaults, and which rules gave them."""
    base = base[base["counted"].to_numpy(dtype=bool)]

    def rules(column: str) -> dict[str, int]:
        values = base[column].astype(str)
        return {str(k): int(v) for k, v in values.value_counts().sort_index().items()}

    return {
        "cameras_with_views": len(base),
        "range_from_default": int(base["range_source"].astype(str).str.startswith("default").sum()),
        "width_from_default": int(base["width_source"].astype(str).str.startswith("default").sum()),
        "full_circle": int(base["full_circle"].astype(bool).sum()),
        "range_sources": rules("range_source"),
        "width_sources": rules("width_source"),
        "occlusion_by_buildings": bool(params.occlusion),
        "indoor_cameras_included": bool(params.include_indoor),
    }


def _street_frame(
    streets: gpd.GeoDataFrame, zones: list[_Zone], coverages: list[_Coverage]
) -> gpd.GeoDataFrame:
    parts = [
        cov.frame(streets.index[zone.rows]) for zone, cov in zip(zones, coverages, strict=True)
    ]
    if parts:
        cov_frame = pd.concat(parts).reindex(streets.index)
    else:
        cov_frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COVERAGE_COLUMNS})
    out = gpd.GeoDataFrame(
        {
            "id": streets["id"].to_numpy(),
            "highway": streets["highway"].to_numpy(),
            "name": streets["name"].to_numpy(),
        },
        geometry=streets.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    for column in COVERAGE_COLUMNS:
        out[column] = cov_frame[column].to_numpy()
    if len(out):
        out["length_m"] = out["length_m"].astype(np.float64)
        out["camera_count"] = out["camera_count"].astype(np.int64)
    out["watched_share"] = _ratio(
        out["watched_m"].to_numpy(dtype=np.float64), out["length_m"].to_numpy(dtype=np.float64)
    )
    return out


def _blind_spots(
    streets: gpd.GeoDataFrame,
    zones: list[_Zone],
    coverages: list[_Coverage],
    min_length_m: float,
) -> gpd.GeoDataFrame:
    frames = []
    for zone, cov in zip(zones, coverages, strict=True):
        line, start, end = _gaps(zone.segments, cov.unions[-1])
        keep = (end - start >= min_length_m) & (end - start > _TOLERANCE_M)
        line, start, end = line[keep], start[keep], end[keep]
        geoms = _substrings(zone.segments, line, start, end)
        rows = streets.iloc[zone.rows[line]]
        frames.append(
            gpd.GeoDataFrame(
                {
                    "street_id": rows["id"].to_numpy(),
                    "highway": rows["highway"].to_numpy(),
                    "name": rows["name"].to_numpy(),
                    "start_m": start,
                    "end_m": end,
                    "length_m": end - start,
                },
                geometry=gpd.GeoSeries(geoms, crs=zone.crs).to_crs(4326).to_numpy(),
                crs="EPSG:4326",
            )
        )
    if not frames:
        return gpd.GeoDataFrame(
            {
                "street_id": pd.Series(dtype=object),
                "highway": pd.Series(dtype=object),
                "name": pd.Series(dtype=object),
                "start_m": pd.Series(dtype=float),
                "end_m": pd.Series(dtype=float),
                "length_m": pd.Series(dtype=float),
            },
            geometry=[],
            crs="EPSG:4326",
        )
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")


def _storable(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Cameras as JSON text, so that the layer opens in any GIS."""
    out = frame.copy()
    if "cameras" in out.columns and out["cameras"].dtype == object:
        out["cameras"] = [
            json.dumps(list(c)) if isinstance(c, tuple) else c for c in out["cameras"]
        ]
    return out
