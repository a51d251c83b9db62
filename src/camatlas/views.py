"""Fields of view: what each camera can see on the ground, cut by buildings, in DORI bands.

:func:`compute_views` makes, for every camera, a polygon in metres of a metric
CRS: a wedge around each mapped direction, a full disc for dome and panning
cameras and for cameras whose direction is unknown, cut by building footprints,
and split into the DORI zones of IEC EN 62676-4 (identification, recognition,
observation, detection). :func:`summarize` totals the views' areas.

This module is an engine: frames in, frames out, no atlas
(:func:`camatlas.sight` is the pipeline that reads and writes one). The values
assumed where tags say nothing come from :mod:`camatlas.assumptions`.

>>> import geopandas as gpd, shapely
>>> from camatlas.assumptions import SightParameters
>>> cameras = gpd.GeoDataFrame({"id": ["c"], "camera_type": ["fixed"], "directions": ["90"],
...     "range_m": [20.0], "width_deg": [60.0]}, geometry=[shapely.Point(500000, 0)],
...     crs=32631)
>>> wall = gpd.GeoDataFrame(geometry=[shapely.box(500010, -50, 500020, 50)], crs=32631)
>>> views = compute_views(cameras, wall, SightParameters(), crs=cameras.crs)
>>> view = views[views["level"] == "view"].geometry.iloc[0]
>>> round(view.bounds[2], 6)   # the wall 10 m east stops the view, not the 20 m range
500010.0

How the views are computed
--------------------------
Occlusion is an exact angular sweep, vectorized over all cameras at once:
only building edges that face a camera and lie within its range take part;
for every camera the angles of their end points, together with the arc
vertices of the range, cut the view into elementary angular intervals, and
in each interval the nearest edge (one numpy pass over all
(interval, edge) pairs) bounds the view. Where two edges cross (overlapping
footprints) the interval is split at the crossing and swept again. The
range and the DORI distances are regular polygons inscribed in their
circles (vertices every :data:`ARC_STEP_DEG` degrees), so the view is
exactly "range polygon minus everything behind a building" and the DORI
bands share their boundaries exactly. No polygon overlay is needed except
to merge the wedges of cameras with several directions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from camatlas.assumptions import (
    WALL_OFFSET_M,
    SightParameters,
    camera_directions,
    camera_parameters,
    dori_distances,
)
from camatlas.errors import InputError
from camatlas.geo import BoolArray, FloatArray, IntArray, ObjectArray, local_crs, repair_polygons
from camatlas.lazy import csgraph, gpd, pd, pyproj, sp
from camatlas.records import Direction
from camatlas.vocab import DORI_LEVELS, LEVELS, VIEW_LEVEL

ProgressCallback = Callable[[str, int, int], None]
"""Called with (stage, done, total) while views are computed."""

__all__ = ["LEVELS", "VIEW_COLUMNS", "combine", "compute_views", "summarize"]

_CHUNK_SECTORS = 4000
"""Sectors (wedges or discs) swept together; bounds the memory of one step."""

_TWO_PI = 2.0 * math.pi


# --- sectors: the wedges and discs of every camera --------------------------------


@dataclass(slots=True)
class _Sectors:
    """Wedges and discs of the cameras, in a camera-centred polar frame.

    Angles are mathematical (radians counter-clockwise from east). A sector
    covers the local angles ``0 .. span`` from its start ``a0``; a disc has
    ``span == 2 pi`` and no apex. ``radii`` holds, per sector, the outer
    radius of the identification, recognition and observation bands and
    the range, each capped by the range.
    """

    camera: IntArray
    x: FloatArray
    y: FloatArray
    a0: FloatArray
    span: FloatArray
    disc: BoolArray
    nseg: IntArray
    radii: FloatArray  # (n, 4)

    def __len__(self) -> int:
        return len(self.camera)

    def take(self, index: IntArray) -> _Sectors:
        return _Sectors(
            self.camera[index], self.x[index], self.y[index], self.a0[index],
            self.span[index], self.disc[index], self.nseg[index], self.radii[index],
        )  # fmt: skip


def _make_sectors(
    x: FloatArray,
    y: FloatArray,
    directions: list[tuple[Direction, ...]],
    per_camera: pd.DataFrame,
    resolution_px: int,
    arc_step_deg: float,
) -> _Sectors:
    """One sector per direction (or one disc) of each camera."""
    width = per_camera["width_deg"].to_numpy(dtype=np.float64)
    rng = per_camera["range_m"].to_numpy(dtype=np.float64)
    full = per_camera["full_circle"].to_numpy(dtype=bool)
    cams: list[int] = []
    starts: list[float] = []
    spans: list[float] = []
    for i, dirs in enumerate(directions):
        if full[i] or not dirs:
            cams.append(i)
            starts.append(0.0)
            spans.append(360.0)
            continue
        for d in dirs:
            # Compass bearings clockwise from north; the sector's counter-clockwise
            # start is the clockwise end of the bearing range.
            end = d.start + d.sweep_deg if d.is_sweep else d.start
            span = min(d.sweep_deg + width[i], 360.0)
            cams.append(i)
            starts.append(90.0 - (end + width[i] / 2.0))
            spans.append(span)
    camera = np.asarray(cams, dtype=np.int64)
    span_deg = np.asarray(spans, dtype=np.float64)
    disc = span_deg >= 360.0
    a0 = np.mod(np.radians(np.asarray(starts, dtype=np.float64)), _TWO_PI)
    a0[disc] = 0.0
    nseg = np.maximum(np.ceil(span_deg / arc_step_deg - 1e-9), 1).astype(np.int64)
    dori = dori_distances(width, resolution_px)
    radii = np.column_stack(
        [np.minimum(np.asarray(dori[level]), rng) for level in DORI_LEVELS[:3]] + [rng]
    )
    return _Sectors(
        camera, x[camera], y[camera], a0, np.radians(span_deg), disc, nseg, radii[camera]
    )


# --- buildings: edges and walls ---------------------------------------------------


@dataclass(slots=True)
class _Walls:
    """Building footprints (polygon parts, oriented counter-clockwise) and their edges."""

    parts: ObjectArray
    tree: shapely.STRtree
    start: FloatArray  # (m, 2)
    end: FloatArray  # (m, 2)
    offsets: IntArray  # edges of part i: offsets[i] .. offsets[i + 1]


def _walls(footprints: ObjectArray) -> _Walls:
    geoms = np.asarray(footprints, dtype=object)
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    parts = shapely.get_parts(repair_polygons(geoms))
    parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0.0)]
    parts = shapely.orient_polygons(parts, exterior_cw=False)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    same = coord_ring[:-1] == coord_ring[1:]
    start, end = coords[:-1][same], coords[1:][same]
    part = ring_part[coord_ring[:-1][same]]
    nonzero = np.any(start != end, axis=1)
    start, end, part = start[nonzero], end[nonzero], part[nonzero]
    counts = np.bincount(part, minlength=len(parts))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return _Walls(parts, shapely.STRtree(parts), start, end, offsets)


def _mount_on_walls(
    x: FloatArray, y: FloatArray, walls: _Walls, distance_m: float
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Move cameras on or near a footprint just outside its nearest wall.

    A camera within ``distance_m`` of a footprint, or inside it, is taken as
    mounted on that building: it is placed :data:`WALL_OFFSET_M` outside the
    nearest wall of the block formed by the footprints near it, so that its
    own building blocks what lies behind the wall and nothing in front of it.
    """
    x, y = x.copy(), y.copy()
    mounted = np.zeros(len(x), dtype=bool)
    if len(walls.parts) == 0 or len(x) == 0:
        return x, y, mounted
    points = shapely.points(x, y)
    cam, part = walls.tree.query(points, predicate="dwithin", distance=distance_m)
    if len(cam) == 0:
        return x, y, mounted
    groups: dict[int, set[int]] = {}
    for c, p in zip(cam.tolist(), part.tolist(), strict=True):
        groups.setdefault(c, set()).add(p)
    todo = np.array(sorted(groups), dtype=np.int64)
    for _ in range(4):  # grow the block while the new position lands in a footprint
        blocks = np.array([_block(walls.parts, groups[c]) for c in todo.tolist()], dtype=object)
        nx, ny, ok = _outside_point(blocks, x[todo], y[todo])
        inside_cam, inside_part = walls.tree.query(shapely.points(nx, ny), predicate="intersects")
        blocked = np.zeros(len(todo), dtype=bool)
        blocked[inside_cam] = True
        good = ok & ~blocked
        x[todo[good]], y[todo[good]] = nx[good], ny[good]
        mounted[todo[good]] = True
        grow = np.flatnonzero(blocked)
        if len(grow) == 0:
            break
        for i, p in zip(inside_cam.tolist(), inside_part.tolist(), strict=True):
            groups[int(todo[i])].add(p)
        todo = todo[grow]
    return x, y, mounted


def _block(parts: ObjectArray, members: set[int]) -> Any:
    """The footprint formed by the parts ``members`` (their union, shells counter-clockwise)."""
    if len(members) == 1:
        return parts[next(iter(members))]
    merged = shapely.union_all(parts[sorted(members)])
    return shapely.orient_polygons(merged, exterior_cw=False)


def _outside_point(
    blocks: ObjectArray, x: FloatArray, y: FloatArray
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """The point :data:`WALL_OFFSET_M` outside the wall of each block nearest to (x, y)."""
    points = shapely.points(x, y)
    lines = shapely.shortest_line(shapely.boundary(blocks), points)
    ends = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    wall = ends[:, 0]
    away = ends[:, 1] - wall
    dist = np.hypot(away[:, 0], away[:, 1])
    inside = shapely.contains(blocks, points)
    normal = np.zeros_like(away)
    far = dist > 1e-9
    normal[far] = away[far] / dist[far, None]
    normal[inside & far] *= -1.0
    for i in np.flatnonzero(~far):  # exactly on a wall: use the walls' outward normals
        normal[i] = _outward_normal(blocks[i], wall[i])
    length = np.hypot(normal[:, 0], normal[:, 1])
    ok = length > 0.5
    out = wall + WALL_OFFSET_M * normal
    return out[:, 0], out[:, 1], ok


def _outward_normal(block: shapely.Geometry, point: FloatArray) -> FloatArray:
    """Mean outward unit normal of the block's edges through ``point`` (rings oriented CCW)."""
    rings = shapely.get_rings(shapely.get_parts(block))
    total = np.zeros(2)
    for ring in rings:
        c = shapely.get_coordinates(ring)
        a, b = c[:-1], c[1:]
        d = b - a
        length = np.hypot(d[:, 0], d[:, 1])
        t = np.clip(((point - a) * d).sum(axis=1) / np.maximum(length**2, 1e-300), 0.0, 1.0)
        near = np.hypot(*(a + t[:, None] * d - point).T) < 1e-7
        for dx, dy, ln in zip(d[near, 0], d[near, 1], length[near], strict=True):
            if ln > 0:
                total += np.array([dy, -dx]) / ln  # right-hand normal points out of a CCW shell
    norm = float(np.hypot(total[0], total[1]))
    return total / norm if norm > 1e-9 else np.zeros(2)


def _facing_edges(
    sectors: _Sectors, walls: _Walls
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """(sector, p, q) for every building edge that faces a sector's camera within its range.

    ``p`` and ``q`` are the edge's end points relative to the camera. An
    edge faces the camera when the camera is on its outer (right-hand)
    side; only those edges can bound a view (back-face culling).
    """
    empty_f = np.empty(0)
    if len(walls.parts) == 0 or len(sectors) == 0:
        return np.empty(0, dtype=np.int64), empty_f, empty_f, empty_f, empty_f
    rng = sectors.radii[:, 3]
    # Bounding boxes only: the distance of each edge is checked below, faster in numpy.
    reach = shapely.box(sectors.x - rng, sectors.y - rng, sectors.x + rng, sectors.y + rng)
    sec, part = walls.tree.query(reach)
    counts = walls.offsets[part + 1] - walls.offsets[part]
    pair = np.repeat(np.arange(len(sec)), counts)
    first = np.cumsum(counts) - counts
    edge = np.arange(len(pair)) - first[pair] + walls.offsets[part][pair]
    sec = sec[pair]
    cx, cy = sectors.x[sec], sectors.y[sec]
    px, py = walls.start[edge, 0] - cx, walls.start[edge, 1] - cy
    qx, qy = walls.end[edge, 0] - cx, walls.end[edge, 1] - cy
    dx, dy = qx - px, qy - py
    facing = dx * py - dy * px > 0.0  # camera (the origin) right of p -> q
    length2 = dx * dx + dy * dy
    t = np.clip(-(px * dx + py * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    near = np.hypot(px + t * dx, py + t * dy) < rng[sec]
    keep = facing & near
    return sec[keep], px[keep], py[keep], qx[keep], qy[keep]


# --- the angular sweep ------------------------------------------------------------


def _cross(ax: FloatArray, ay: FloatArray, bx: FloatArray, by: FloatArray) -> FloatArray:
    return ax * by - ay * bx


def _sample_angle(k: IntArray, nseg: IntArray, span: FloatArray) -> FloatArray:
    """Local angle of arc vertex ``k`` of a sector (the last one is exactly ``span``)."""
    return np.where(k >= nseg, span, span * k / nseg)


def _local_angle(x: FloatArray, y: FloatArray, a0: FloatArray) -> FloatArray:
    t = np.mod(np.arctan2(y, x) - a0, _TWO_PI)
    t[t >= _TWO_PI] = 0.0
    return t


@dataclass(slots=True)
class _Pieces:
    """Facing edges cut to the angular extent of their sector, in local angles.

    Each piece covers local angles ``lo .. hi`` of sector ``sector`` and lies
    on the line through ``p`` with direction ``d`` (camera at the origin).
    ``lo_xy`` / ``hi_xy`` are the exact end points where the piece ends at a
    vertex of the edge (NaN where it was cut at a sector limit).
    """

    sector: IntArray
    lo: FloatArray
    hi: FloatArray
    p: FloatArray  # (n, 2)
    d: FloatArray  # (n, 2)
    lo_xy: FloatArray  # (n, 2)
    hi_xy: FloatArray  # (n, 2)


def _pieces(
    sectors: _Sectors,
    sec: IntArray,
    px: FloatArray,
    py: FloatArray,
    qx: FloatArray,
    qy: FloatArray,
) -> _Pieces:
    a0 = sectors.a0[sec]
    tp = _local_angle(px, py, a0)
    tq = _local_angle(qx, qy, a0)
    ccw = np.mod(tq - tp, _TWO_PI) < math.pi  # p -> q turns counter-clockwise
    lo = np.where(ccw, tp, tq)
    hi = np.where(ccw, tq, tp)
    lo_xy = np.where(ccw[:, None], np.column_stack([px, py]), np.column_stack([qx, qy]))
    hi_xy = np.where(ccw[:, None], np.column_stack([qx, qy]), np.column_stack([px, py]))
    real = lo != hi
    wrap = real & (hi < lo)  # crosses the sector's local angle 0: cut in two
    w = np.flatnonzero(wrap)
    nan2 = np.full((len(w), 2), np.nan)
    index = np.concatenate([np.flatnonzero(real), w])
    low = np.concatenate([lo[real], np.zeros(len(w))])
    high = np.concatenate([np.where(wrap, _TWO_PI, hi)[real], hi[w]])
    low_xy = np.concatenate([lo_xy[real], nan2])
    high_xy = np.concatenate([np.where(wrap[:, None], np.nan, hi_xy)[real], hi_xy[w]])
    sector = sec[index]
    span = sectors.span[sector]
    cut = high > span
    high_xy[cut] = np.nan
    high = np.minimum(high, span)
    keep = high > low
    index = index[keep]
    p = np.column_stack([px[index], py[index]])
    d = np.column_stack([qx[index] - px[index], qy[index] - py[index]])
    return _Pieces(sector[keep], low[keep], high[keep], p, d, low_xy[keep], high_xy[keep])


def _ray_hit(p: FloatArray, d: FloatArray, angle: FloatArray) -> FloatArray:
    """Distance along the ray at ``angle`` (absolute, radians) to the line ``p + s d``."""
    ux, uy = np.cos(angle), np.sin(angle)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = _cross(p[:, 0], p[:, 1], d[:, 0], d[:, 1]) / _cross(ux, uy, d[:, 0], d[:, 1])
    return np.where(np.isfinite(lam), np.maximum(lam, 0.0), np.inf)


@dataclass(slots=True)
class _Intervals:
    """Elementary angular intervals of the sectors, each with its nearest piece (or -1)."""

    sector: IntArray
    t0: FloatArray
    t1: FloatArray
    near: IntArray
    sample0: BoolArray  # t0 is an arc vertex
    sample1: BoolArray
    k: IntArray  # arc segment (between arc vertices k and k + 1) holding the interval


def _sector_order(sector: IntArray, t: FloatArray) -> IntArray:
    """Indices that sort by (sector, t); ``t`` in [0, 2 pi], ``sector`` small integers."""
    order = np.argsort(sector * 8.0 + t)
    ss, st = sector[order], t[order]
    same = ss[1:] == ss[:-1]
    if (ss[1:] < ss[:-1]).any() or (same & (st[1:] < st[:-1])).any():
        # The combined key rounds angles closer than about 1e-11 rad: sort exactly instead.
        order = np.lexsort((t, sector))
    return order


def _envelope(
    sectors: _Sectors, pieces: _Pieces, todo: IntArray, extra: tuple[IntArray, FloatArray]
) -> tuple[_Intervals, IntArray, FloatArray]:
    """Nearest piece in every elementary interval of the sectors ``todo``.

    Returns the intervals and the crossings found inside intervals (sector,
    local angle) where the nearest piece at the middle is not the nearest at
    an end: those intervals must be split there and swept again.
    """
    in_todo = np.zeros(len(sectors), dtype=bool)
    in_todo[todo] = True
    pk = np.flatnonzero(in_todo[pieces.sector])
    nseg = sectors.nseg[todo]
    s_sec = np.repeat(todo, nseg + 1)
    s_k = np.arange(len(s_sec)) - np.repeat(np.cumsum(nseg + 1) - (nseg + 1), nseg + 1)
    s_t = _sample_angle(s_k, sectors.nseg[s_sec], sectors.span[s_sec])
    ex_keep = in_todo[extra[0]]
    c_sec = np.concatenate([s_sec, pieces.sector[pk], pieces.sector[pk], extra[0][ex_keep]])
    c_t = np.concatenate([s_t, pieces.lo[pk], pieces.hi[pk], extra[1][ex_keep]])
    n_s, n_p = len(s_sec), len(pk)
    c_sample = np.zeros(len(c_t), dtype=bool)
    c_sample[:n_s] = True
    order = _sector_order(c_sec, c_t)
    sorted_sec, sorted_t = c_sec[order], c_t[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (sorted_sec[1:] != sorted_sec[:-1]) | (sorted_t[1:] != sorted_t[:-1])
    uid_sorted = np.cumsum(new) - 1
    uid = np.empty(len(order), dtype=np.int64)
    uid[order] = uid_sorted
    first = order[new]
    u_sec, u_t = c_sec[first], c_t[first]
    u_sample = np.logical_or.reduceat(c_sample[order], np.flatnonzero(new))
    # Arc segment of each critical angle: the last arc vertex at or before it.
    seen = np.cumsum(u_sample)
    sector_start = np.flatnonzero(np.r_[True, u_sec[1:] != u_sec[:-1]])
    before = np.repeat(seen[sector_start] - 1, np.diff(np.r_[sector_start, len(u_sec)]))
    u_k = seen - 1 - before
    # Pieces cover the intervals between their critical angles.
    j0 = uid[n_s : n_s + n_p]
    j1 = uid[n_s + n_p : n_s + 2 * n_p]
    counts = j1 - j0
    pair_piece = np.repeat(pk, counts)
    pair_j = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    pair_j += np.repeat(j0, counts)
    a0 = sectors.a0[pieces.sector[pair_piece]]
    p, d = pieces.p[pair_piece], pieces.d[pair_piece]
    lam_mid = _ray_hit(p, d, a0 + 0.5 * (u_t[pair_j] + u_t[pair_j + 1]))
    best = np.full(len(u_t), np.inf)
    np.minimum.at(best, pair_j, lam_mid)
    nearest = lam_mid == best[pair_j]
    near = np.full(len(u_t), -1, dtype=np.int64)
    near[pair_j[nearest]] = pair_piece[nearest]
    # Crossing check: the piece nearest at the middle must be nearest at both ends.
    held = np.flatnonzero(near >= 0)
    n_piece = near[held]
    n_a0 = sectors.a0[pieces.sector[n_piece]]
    n0 = np.full(len(u_t), np.inf)
    n1 = np.full(len(u_t), np.inf)
    n0[held] = _ray_hit(pieces.p[n_piece], pieces.d[n_piece], n_a0 + u_t[held])
    n1[held] = _ray_hit(pieces.p[n_piece], pieces.d[n_piece], n_a0 + u_t[held + 1])
    lam0 = _ray_hit(p, d, a0 + u_t[pair_j])
    lam1 = _ray_hit(p, d, a0 + u_t[pair_j + 1])
    m0, m1 = n0[pair_j], n1[pair_j]
    bad = (lam0 < m0 - 1e-9 * (1.0 + m0)) | (lam1 < m1 - 1e-9 * (1.0 + m1))
    bad &= pair_piece != near[pair_j]
    cross_sec = np.empty(0, dtype=np.int64)
    cross_t = np.empty(0)
    if bad.any():
        b = np.flatnonzero(bad)
        jb = pair_j[b]
        nb = near[jb]
        pn, dn = pieces.p[nb], pieces.d[nb]
        pq, dq = p[b], d[b]
        with np.errstate(divide="ignore", invalid="ignore"):
            s = _cross(pq[:, 0] - pn[:, 0], pq[:, 1] - pn[:, 1], dq[:, 0], dq[:, 1]) / _cross(
                dn[:, 0], dn[:, 1], dq[:, 0], dq[:, 1]
            )
        xx, xy = pn[:, 0] + s * dn[:, 0], pn[:, 1] + s * dn[:, 1]
        ok = np.isfinite(xx) & np.isfinite(xy)
        t = _local_angle(np.where(ok, xx, 1.0), np.where(ok, xy, 0.0), a0[b])
        ok &= (t > u_t[jb]) & (t < u_t[jb + 1])
        cross_sec, cross_t = u_sec[jb][ok], t[ok]
    valid = np.flatnonzero(u_sec[1:] == u_sec[:-1])
    intervals = _Intervals(
        u_sec[valid], u_t[valid], u_t[valid + 1], near[valid],
        u_sample[valid], u_sample[valid + 1], u_k[valid],
    )  # fmt: skip
    return intervals, cross_sec, cross_t


def _sweep_intervals(sectors: _Sectors, pieces: _Pieces) -> _Intervals:
    """Elementary intervals of all sectors, split wherever nearest pieces cross."""
    todo = np.arange(len(sectors))
    extra_sec = np.empty(0, dtype=np.int64)
    extra_t = np.empty(0)
    done: list[_Intervals] = []
    for round_ in range(8):
        intervals, cross_sec, cross_t = _envelope(sectors, pieces, todo, (extra_sec, extra_t))
        again = np.unique(cross_sec)
        if len(again) == 0 or round_ == 7:  # after 8 rounds keep the last sweep as it is
            done.append(intervals)
            break
        keep = ~np.isin(intervals.sector, again)
        done.append(_take_intervals(intervals, np.flatnonzero(keep)))
        extra_sec = np.concatenate([extra_sec, cross_sec])
        extra_t = np.concatenate([extra_t, cross_t])
        todo = again
    if len(done) == 1:
        return done[0]
    merged = _Intervals(
        *(np.concatenate([getattr(i, f) for i in done]) for f in _Intervals.__slots__)
    )
    return _take_intervals(merged, _sector_order(merged.sector, merged.t0))


def _take_intervals(intervals: _Intervals, index: IntArray) -> _Intervals:
    return _Intervals(*(getattr(intervals, f)[index] for f in _Intervals.__slots__))


_BANDS: tuple[tuple[str, int | None, int], ...] = (
    ("view", None, 3),
    ("identification", None, 0),
    ("recognition", 0, 1),
    ("observation", 1, 2),
    ("detection", 2, 3),
)
"""Layers of a sector: (level, index of its inner radius or None, index of its outer radius)."""

_DEDUP_M = 1e-7
"""Consecutive vertices closer than this (metres) are merged."""


def _unit(angle: FloatArray) -> FloatArray:
    return np.column_stack([np.cos(angle), np.sin(angle)])


@dataclass(slots=True)
class _Boundaries:
    """Start or end points of the sub-intervals, with what is exactly known about them."""

    t: FloatArray
    sample: BoolArray
    split_xy: FloatArray  # (n, 2), NaN where the point is no split
    split_radius: IntArray  # -1 where no split


def _sector_polygons(
    sectors: _Sectors, pieces: _Pieces, iv: _Intervals, bands: tuple[int, ...]
) -> ObjectArray:
    """View and DORI band polygons of every sector: an object array of shape (n, 5).

    Only the layers ``bands`` (indices into :data:`_BANDS`) are made; the others are None.
    """
    radii_used = sorted({i for b in bands for i in _BANDS[b][1:] if i is not None})
    sec = iv.sector
    has = iv.near >= 0
    e = np.where(has, iv.near, 0)
    p = pieces.p[e] if len(pieces.sector) else np.zeros((len(sec), 2))
    d = pieces.d[e] if len(pieces.sector) else np.ones((len(sec), 2))
    a0, nseg, span = sectors.a0[sec], sectors.nseg[sec], sectors.span[sec]
    tk0 = _sample_angle(iv.k, nseg, span)
    tk1 = _sample_angle(iv.k + 1, nseg, span)
    uk0, uk1 = _unit(a0 + tk0), _unit(a0 + tk1)

    # 1. Split intervals where their nearest piece crosses an arc segment of a radius.
    sp_iv, sp_t, sp_xy, sp_r = [], [], [], []
    for i in radii_used:
        radius = sectors.radii[sec, i][:, None]
        a, ab = radius * uk0, radius * (uk1 - uk0)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = _cross(a[:, 0] - p[:, 0], a[:, 1] - p[:, 1], ab[:, 0], ab[:, 1]) / _cross(
                d[:, 0], d[:, 1], ab[:, 0], ab[:, 1]
            )
        xy = p + s[:, None] * d
        ok = has & np.isfinite(xy).all(axis=1)
        t = _local_angle(np.where(ok, xy[:, 0], 1.0), np.where(ok, xy[:, 1], 0.0), a0)
        ok &= (t > iv.t0) & (t < iv.t1)
        sp_iv.append(np.flatnonzero(ok))
        sp_t.append(t[ok])
        sp_xy.append(xy[ok])
        sp_r.append(np.full(int(ok.sum()), i, dtype=np.int64))
    split_iv = np.concatenate(sp_iv)
    split_t = np.concatenate(sp_t)
    split_xy = np.concatenate(sp_xy)
    split_r = np.concatenate(sp_r)
    n_iv = len(sec)
    # Events in order: each interval's start, then its splits by angle.
    by = np.lexsort((split_t, split_iv))
    split_iv, split_t = split_iv[by], split_t[by]
    split_xy, split_r = split_xy[by], split_r[by]
    per_iv = np.bincount(split_iv, minlength=n_iv)
    base = np.arange(n_iv) + np.cumsum(per_iv) - per_iv
    rank = np.arange(len(split_iv)) - (np.cumsum(per_iv) - per_iv)[split_iv]
    total = n_iv + len(split_iv)
    ev_iv = np.empty(total, dtype=np.int64)
    ev_t = np.empty(total)
    ev_split = np.empty(total, dtype=np.int64)
    ev_iv[base], ev_t[base], ev_split[base] = np.arange(n_iv), iv.t0, -1
    at = base[split_iv] + 1 + rank
    ev_iv[at], ev_t[at], ev_split[at] = split_iv, split_t, np.arange(len(split_iv))
    last = np.ones(len(ev_iv), dtype=bool)
    last[:-1] = ev_iv[1:] != ev_iv[:-1]
    nxt = np.minimum(np.arange(len(ev_iv)) + 1, len(ev_iv) - 1)
    sub_t1 = np.where(last, iv.t1[ev_iv], ev_t[nxt])
    sub_split1 = np.where(last, -1, ev_split[nxt])
    keep = sub_t1 > ev_t
    j = ev_iv[keep]
    start = _boundaries(ev_t[keep], (ev_split[keep] < 0) & iv.sample0[j], ev_split[keep],
                        split_xy, split_r)  # fmt: skip
    end = _boundaries(sub_t1[keep], last[keep] & iv.sample1[j], sub_split1[keep],
                      split_xy, split_r)  # fmt: skip

    # 2. Vertices: on the nearest edge, or on the arc segment (chord) of each radius.
    sub_sec = sec[j]
    sub_has = has[j]
    sp, sd, sa0 = p[j], d[j], a0[j]
    radii = sectors.radii[sub_sec]
    half = 0.5 * (tk1[j] - tk0[j])
    centre = 0.5 * (tk0[j] + tk1[j])
    mid = 0.5 * (start.t + end.t)
    lam_mid = _ray_hit(sp, sd, sa0 + mid)
    chord_mid = np.cos(half) / np.cos(mid - centre)
    above = ~sub_has[:, None] | (lam_mid[:, None] > radii * chord_mid[:, None])  # per radius
    ends = []
    for bound, low in ((start, True), (end, False)):
        u = _unit(sa0 + bound.t)
        factor = np.where(bound.sample, 1.0, np.cos(half) / np.cos(bound.t - centre))
        edge = _edge_points(sp, sd, u, bound, sub_has, e[j], pieces, at_low=low)
        chords: dict[int, FloatArray] = {}
        outer: dict[int, FloatArray] = {}
        for i in radii_used:
            xy = (radii[:, i] * factor)[:, None] * u
            exact = bound.split_radius == i
            xy[exact] = bound.split_xy[exact]
            chords[i] = xy
            outer[i] = np.where(above[:, i, None], xy, edge)
        ends.append((chords, outer))
    (chord0, outer0), (chord1, outer1) = ends

    out = np.full((len(sectors), len(_BANDS)), None, dtype=object)
    for col in bands:
        _, inner, top = _BANDS[col]
        if inner is None:
            out[:, col] = _disc_band(sectors, sub_sec, outer0[top], outer1[top])
        else:
            out[:, col] = _ring_band(
                sectors, sub_sec, outer0[top], outer1[top], chord0[inner], chord1[inner],
                above[:, inner], sectors.radii[:, inner] < sectors.radii[:, top],
            )  # fmt: skip
    return out


def _boundaries(
    t: FloatArray, sample: BoolArray, split: IntArray, split_xy: FloatArray, split_r: IntArray
) -> _Boundaries:
    has = split >= 0
    s = np.where(has, split, 0)
    xy = np.where(has[:, None], split_xy[s] if len(split_xy) else np.nan, np.nan)
    radius = np.where(has, split_r[s] if len(split_r) else -1, -1)
    return _Boundaries(t, sample, xy, radius)


def _edge_points(
    p: FloatArray,
    d: FloatArray,
    u: FloatArray,
    at: _Boundaries,
    has: BoolArray,
    piece: IntArray,
    pieces: _Pieces,
    *,
    at_low: bool,
) -> FloatArray:
    """Points of the nearest edge at the boundaries ``at`` (relative to the camera).

    ``u`` holds the unit vectors of the boundaries' rays.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = _cross(p[:, 0], p[:, 1], d[:, 0], d[:, 1]) / _cross(
            u[:, 0], u[:, 1], d[:, 0], d[:, 1]
        )
    lam = np.where(np.isfinite(lam), np.maximum(lam, 0.0), 0.0)
    xy = lam[:, None] * u
    if len(pieces.sector):
        limit = pieces.lo[piece] if at_low else pieces.hi[piece]
        vertex = pieces.lo_xy[piece] if at_low else pieces.hi_xy[piece]
        exact = has & (at.t == limit) & np.isfinite(vertex).all(axis=1)
        xy[exact] = vertex[exact]
    split = at.split_radius >= 0
    xy[split] = at.split_xy[split]
    return xy


def _same(a: FloatArray, b: FloatArray) -> BoolArray:
    same: BoolArray = (a[:, 0] == b[:, 0]) & (a[:, 1] == b[:, 1])
    return same


def _disc_band(sectors: _Sectors, sub_sec: IntArray, o0: FloatArray, o1: FloatArray) -> ObjectArray:
    """The part of each sector nearer than its outer boundary (the view, or identification).

    One ring per sector: the apex (wedges only), then the outer boundary in
    angular order; a sub-interval's end is left out where the next one starts there.
    """
    n = len(sub_sec)
    n_sec = len(sectors)
    first = np.r_[True, sub_sec[1:] != sub_sec[:-1]]
    nxt = np.minimum(np.arange(n) + 1, n - 1)
    emit_end = ~(np.r_[~first[1:], False] & _same(o1, o0[nxt]))
    apex = first & ~sectors.disc[sub_sec]
    count = 1 + emit_end + apex
    at = np.cumsum(count) - count + apex
    xy = np.empty((int(count.sum()), 2))
    lin = np.empty(len(xy), dtype=np.int64)
    xy[at] = o0
    xy[at[emit_end] + 1] = o1[emit_end]
    xy[at[apex] - 1] = 0.0
    lin[at] = sub_sec
    lin[at[emit_end] + 1] = sub_sec[emit_end]
    lin[at[apex] - 1] = sub_sec[apex]
    xy += np.column_stack([sectors.x, sectors.y])[lin]
    return _assemble(xy, 2 * lin, np.arange(n_sec), n_sec)


def _ring_band(
    sectors: _Sectors,
    sub_sec: IntArray,
    o0: FloatArray,
    o1: FloatArray,
    i0: FloatArray,
    i1: FloatArray,
    beyond_inner: BoolArray,
    nonempty: BoolArray,
) -> ObjectArray:
    """The part of each sector between an inner chord polygon and an outer boundary.

    The band is made of runs of consecutive sub-intervals where the view
    reaches past the inner radius; each run is one polygon (outer boundary
    forward, inner chord backward), or, for a disc whose view passes the
    inner radius all around, one polygon with a hole.
    """
    n_sec = len(sectors)
    member = beyond_inner & nonempty[sub_sec]
    if not member.any():
        return np.full(n_sec, None, dtype=object)
    first = np.r_[True, sub_sec[1:] != sub_sec[:-1]]
    last = np.r_[sub_sec[1:] != sub_sec[:-1], True]
    prev_in = np.r_[False, member[:-1]]
    run = np.cumsum(member & (first | ~prev_in)) - 1
    count_in = np.bincount(sub_sec, weights=member, minlength=n_sec)
    count_all = np.bincount(sub_sec, minlength=n_sec)
    all_in = (count_in == count_all) & (count_all > 0)
    first_in = np.zeros(n_sec, dtype=bool)
    first_in[sub_sec[first]] = member[first]
    last_in = np.zeros(n_sec, dtype=bool)
    last_in[sub_sec[last]] = member[last]
    last_run = np.zeros(n_sec, dtype=np.int64)
    last_run[sub_sec[last]] = run[last]
    first_run = np.full(n_sec, -1, dtype=np.int64)
    first_run[sub_sec[first]] = run[first]
    # A run of a disc that passes its local angle 0 continues with the sector's first run.
    wraps = sectors.disc & first_in & last_in & ~all_in
    moved = member & wraps[sub_sec] & (run == first_run[sub_sec])
    run = np.where(moved, last_run[sub_sec], run)
    m = np.concatenate([np.flatnonzero(member & ~moved), np.flatnonzero(moved)])
    m = m[np.argsort(run[m], kind="stable")]
    r = run[m]
    new_run = np.r_[True, r[1:] != r[:-1]]
    run_index = np.cumsum(new_run) - 1
    cont = np.r_[~new_run[1:], False]  # the next member continues the same run
    nxt = np.r_[m[1:], m[-1]]
    prv = np.r_[m[0], m[:-1]]
    emit_o1 = ~(cont & _same(o1[m], o0[nxt]))
    emit_i0 = ~(np.r_[False, cont[:-1]] & _same(i0[m], i1[prv]))
    n_out = 1 + emit_o1
    n_in = 1 + emit_i0
    # Global cumulative sums, restarted at each run.
    c_out = np.cumsum(n_out)
    c_in = np.cumsum(n_in)
    run_start = np.flatnonzero(new_run)
    out_before = (c_out - n_out)[run_start][run_index]
    in_before = (c_in - n_in)[run_start][run_index]
    run_end = np.r_[run_start[1:], len(m)] - 1
    out_total = (c_out[run_end] - out_before[run_start])[run_index]
    in_total = (c_in[run_end] - in_before[run_start])[run_index]
    base = (out_before + in_before)[run_start][run_index]
    at_out = base + (c_out - n_out) - out_before
    at_in = base + out_total + (in_total - (c_in - in_before))
    size = int(c_out[-1] + c_in[-1])
    xy = np.empty((size, 2))
    lin = np.empty(size, dtype=np.int64)
    ms = sub_sec[m]
    hole = (sectors.disc & all_in)[ms].astype(np.int64)
    xy[at_out] = o0[m]
    xy[at_out[emit_o1] + 1] = o1[m][emit_o1]
    xy[at_in] = i1[m]
    xy[at_in[emit_i0] + 1] = i0[m][emit_i0]
    lin[at_out] = 2 * run_index
    lin[at_out[emit_o1] + 1] = 2 * run_index[emit_o1]
    lin[at_in] = 2 * run_index + hole
    lin[at_in[emit_i0] + 1] = (2 * run_index + hole)[emit_i0]
    ring_sector = ms[run_start]
    xy += np.column_stack([sectors.x, sectors.y])[ring_sector[lin // 2]]
    return _assemble(xy, lin, ring_sector, n_sec)


def _assemble(xy: FloatArray, lin: IntArray, poly_sector: IntArray, n_sectors: int) -> ObjectArray:
    """Polygons from vertices grouped by ring, in order.

    ``lin`` is ``2 * polygon + 0`` for the shell's vertices and ``+ 1`` for the
    hole's, non-decreasing; ``poly_sector`` gives each polygon's sector.
    Repeated vertices are merged and rings of fewer than three are dropped.
    """
    out = np.full(n_sectors, None, dtype=object)
    if len(lin) == 0:
        return out
    step = np.hypot(xy[1:, 0] - xy[:-1, 0], xy[1:, 1] - xy[:-1, 1])
    keep = np.r_[True, (lin[1:] != lin[:-1]) | (step > _DEDUP_M)]
    xy, lin = xy[keep], lin[keep]
    starts = np.flatnonzero(np.r_[True, lin[1:] != lin[:-1]])
    ends = np.r_[starts[1:], len(lin)] - 1
    closing = (ends > starts) & (np.hypot(*(xy[ends] - xy[starts]).T) <= _DEDUP_M)
    keep = np.ones(len(lin), dtype=bool)
    keep[ends[closing]] = False
    xy, lin = xy[keep], lin[keep]
    starts = np.flatnonzero(np.r_[True, lin[1:] != lin[:-1]])
    sizes = np.diff(np.r_[starts, len(lin)])
    ring_lin = lin[starts]
    good = sizes >= 3
    good_shell = np.zeros(int(ring_lin.max()) // 2 + 1, dtype=bool)
    good_shell[ring_lin[good & (ring_lin % 2 == 0)] // 2] = True
    good &= good_shell[ring_lin // 2]
    if not good.any():
        return out
    vertex_ok = np.repeat(good, sizes)
    xy, lin = xy[vertex_ok], lin[vertex_ok]
    ring_lin = ring_lin[good]
    sizes = sizes[good]
    ring_of_vertex = np.repeat(np.arange(len(ring_lin)), sizes)
    rings: ObjectArray = np.asarray(shapely.linearrings(xy, indices=ring_of_vertex), dtype=object)
    poly = ring_lin // 2
    new_poly = np.r_[True, poly[1:] != poly[:-1]]
    poly_of_ring = np.cumsum(new_poly) - 1
    polys: ObjectArray = np.asarray(shapely.polygons(rings, indices=poly_of_ring), dtype=object)
    sector = poly_sector[poly[new_poly]]
    per_sector = np.bincount(sector, minlength=n_sectors)
    single = per_sector[sector] == 1
    out[sector[single]] = polys[single]
    multi = ~single
    if multi.any():
        shapely.multipolygons(polys[multi], indices=sector[multi], out=out)
    return out


# --- views of cameras -------------------------------------------------------------

VIEW_COLUMNS = (
    "camera_id", "physical_id", "kind", "operator", "surveillance", "level", "range_m",
    "width_deg", "full_circle", "direction_known", "assumed", "on_wall", "range_source",
    "width_source",
)  # fmt: skip
"""Columns of the frame :func:`compute_views` returns, besides ``geometry``."""

_PER_CAMERA_COLUMNS = ("range_m", "width_deg", "full_circle", "counted")


def compute_views(
    cameras: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    params: SightParameters,
    *,
    crs: pyproj.CRS | None = None,
    per_camera: pd.DataFrame | None = None,
    progress: ProgressCallback | None = None,
) -> gpd.GeoDataFrame:
    """Fields of view of cameras, cut by buildings and split into DORI bands.

    Parameters
    ----------
    cameras
        Camera points in WGS 84 (the atlas's camera layer).
    buildings
        Building footprints in WGS 84 (may be empty).
    params
        Overrides and options; see :class:`SightParameters`.
    crs
        Metric CRS of the result; by default :func:`local_crs` of the cameras.
    per_camera
        Range and width per camera, replacing :func:`camera_parameters` (same
        index and columns; e.g. sampled values for uncertainty estimates).
    progress
        Called with (stage, done, total) as the work advances.

    Returns
    -------
    geopandas.GeoDataFrame
        In ``crs`` (metres), one row per camera and level: ``level`` is
        ``"view"`` for the whole visible area, or one of :data:`DORI_LEVELS`
        for the band where the camera resolves that level and no finer one
        (bands of one camera are disjoint, their union is its view; a band
        that is empty has no row). Columns :data:`VIEW_COLUMNS`: ``range_m``
        and ``width_deg`` as used, ``assumed`` (a default was used for
        either), ``on_wall`` (the camera was taken as mounted on a building
        and moved :data:`WALL_OFFSET_M` outside its wall), ``range_source``
        and ``width_source``. Cameras whose ``counted`` is False have no
        rows.
    """
    cameras = cameras if cameras.crs is not None else cameras.set_crs(4326)
    if per_camera is None:
        per_camera = camera_parameters(cameras, params)
    else:
        _check_per_camera(per_camera, cameras)
    counted = per_camera["counted"].to_numpy(dtype=bool)
    cams = cameras[counted]
    table = per_camera[counted]
    if crs is None:
        crs = local_crs(cameras) if len(cameras) else pyproj.CRS.from_epsg(4326)
    if len(cams) == 0:
        return _empty_views(crs)
    geoms = cams.geometry.to_crs(crs).to_numpy()
    if not (shapely.get_type_id(geoms) == 0).all():
        geoms = shapely.point_on_surface(geoms)
    x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    directions = camera_directions(cams)
    on_wall = np.zeros(len(cams), dtype=bool)
    walls = None
    if params.occlusion and len(buildings):
        if progress:
            progress("buildings", 0, 0)
        reach = float(np.nanmax(table["range_m"].to_numpy())) + params.wall_distance_m
        walls = _walls(_footprints_near(buildings, crs, x, y, reach))
        mx, my, on_wall = _mount_on_walls(x, y, walls, params.wall_distance_m)
        moved = float(np.max(np.hypot(mx - x, my - y), initial=0.0))
        if moved > params.wall_distance_m + WALL_OFFSET_M:
            # A camera mapped deep inside a large building went to its wall: look around there.
            walls = _walls(_footprints_near(buildings, crs, mx, my, reach))
        x, y = mx, my
    sectors = _make_sectors(x, y, directions, table, params.resolution_px, params.arc_step_deg)
    polys = np.empty((len(sectors), len(_BANDS)), dtype=object)
    total = len(sectors)
    for lo in range(0, total, _CHUNK_SECTORS):
        index = np.arange(lo, min(lo + _CHUNK_SECTORS, total))
        chunk = sectors.take(index)
        if walls is not None:
            pieces = _pieces(chunk, *_facing_edges(chunk, walls))
        else:
            empty = np.empty(0)
            pieces = _pieces(chunk, np.empty(0, dtype=np.int64), empty, empty, empty, empty)
        bands = tuple(range(len(_BANDS))) if params.dori else (0,)
        polys[index] = _sector_polygons(chunk, pieces, _sweep_intervals(chunk, pieces), bands)
        if progress:
            progress("views", int(index[-1]) + 1, total)
    per_cam = _merge_sectors(polys, sectors.camera, len(cams))
    return _views_frame(cams, table, directions, on_wall, per_cam, crs)


def _check_per_camera(per_camera: pd.DataFrame, cameras: pd.DataFrame) -> None:
    missing = [c for c in _PER_CAMERA_COLUMNS if c not in per_camera.columns]
    if missing:
        raise InputError(f"per-camera parameters lack the column(s) {', '.join(missing)}")
    if not per_camera.index.equals(cameras.index):
        raise InputError("per-camera parameters must have the same index as the cameras")
    for column, low, high in (("range_m", 0.0, 1e5), ("width_deg", 0.0, 360.0)):
        values = pd.to_numeric(per_camera[column], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~((values > low) & (values <= high))
        if bad.any():
            raise InputError(
                f"per-camera {column} must be over {low:g} and at most {high:g}",
                value=values[bad][0],
            )


def _footprints_near(
    buildings: gpd.GeoDataFrame, crs: pyproj.CRS, x: FloatArray, y: FloatArray, reach: float
) -> ObjectArray:
    """Footprints (in ``crs``) within ``reach`` metres of any camera."""
    frame = buildings if buildings.crs is not None else buildings.set_crs(4326)
    geoms = frame.geometry.to_crs(crs).to_numpy()
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if len(geoms) == 0:
        return np.asarray(geoms, dtype=object)
    tree = shapely.STRtree(geoms)
    _, hit = tree.query(shapely.box(x - reach, y - reach, x + reach, y + reach))
    used = np.zeros(len(geoms), dtype=bool)
    used[hit] = True
    return np.asarray(geoms[used], dtype=object)


def _merge_sectors(polys: ObjectArray, camera: IntArray, n: int) -> ObjectArray:
    """Per-camera geometries (n, 5): the union of the camera's sectors, made valid."""
    out = np.full((n, polys.shape[1]), None, dtype=object)
    counts = np.bincount(camera, minlength=n)
    single = counts[camera] == 1
    out[camera[single]] = polys[single]
    for cam in np.flatnonzero(counts > 1).tolist():
        rows = polys[camera == cam]
        for col in range(polys.shape[1]):
            parts = [g for g in rows[:, col] if g is not None]
            if parts:
                out[cam, col] = shapely.union_all(repair_polygons(np.asarray(parts, dtype=object)))
    flat = out.ravel()
    present = np.flatnonzero(~shapely.is_missing(flat))
    flat[present] = repair_polygons(flat[present])
    return out


def _empty_views(crs: pyproj.CRS) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype=object) for name in VIEW_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _views_frame(
    cams: gpd.GeoDataFrame,
    table: pd.DataFrame,
    directions: list[tuple[Direction, ...]],
    on_wall: BoolArray,
    geoms: ObjectArray,
    crs: pyproj.CRS,
) -> gpd.GeoDataFrame:
    n = len(cams)
    levels = len(_BANDS)
    geometry = geoms.ravel()
    level = np.tile(np.array([b[0] for b in _BANDS], dtype=object), n)
    missing = shapely.is_missing(geometry)
    is_view = level == "view"
    geometry[missing & is_view] = shapely.Polygon()
    empty = np.zeros(len(geometry), dtype=bool)
    empty[~missing] = shapely.is_empty(geometry[~missing])
    keep = is_view | ~(missing | empty)
    row = np.repeat(np.arange(n), levels)

    def column(name: str) -> ObjectArray:
        if name in cams.columns:
            return np.asarray(cams[name].to_numpy(), dtype=object)
        return np.full(n, None, dtype=object)

    range_source = table["range_source"].to_numpy() if "range_source" in table else None
    width_source = table["width_source"].to_numpy() if "width_source" in table else None
    sources = [s for s in (range_source, width_source) if s is not None]
    assumed = np.zeros(n, dtype=bool)
    for s in sources:
        assumed |= np.array([str(v).startswith("default") for v in s], dtype=bool)
    data = {
        "camera_id": column("id"),
        "physical_id": column("physical_id"),
        "kind": column("kind"),
        "operator": column("operator"),
        "surveillance": column("surveillance"),
        "range_m": table["range_m"].to_numpy(dtype=np.float64),
        "width_deg": table["width_deg"].to_numpy(dtype=np.float64),
        "full_circle": table["full_circle"].to_numpy(dtype=bool),
        "direction_known": np.array([bool(d) for d in directions], dtype=bool),
        "assumed": assumed,
        "on_wall": on_wall,
        "range_source": range_source if range_source is not None else np.full(n, "given"),
        "width_source": width_source if width_source is not None else np.full(n, "given"),
    }
    frame = pd.DataFrame({k: np.asarray(v)[row[keep]] for k, v in data.items()})
    frame.insert(5, "level", level[keep])
    frame = frame[list(VIEW_COLUMNS)]
    return gpd.GeoDataFrame(frame, geometry=geometry[keep], crs=crs)


def summarize(views: gpd.GeoDataFrame, *, by_level: bool = False) -> dict[str, Any]:
    """Totals of views made by :func:`compute_views`.

    Areas are measured in the metres of the frame's CRS, which must be projected: the
    CRS the views were computed in (:func:`combine` adds up the totals of several
    zones). The split of the area by best DORI level (``by_level``) unions each
    level's bands on top of the finer ones: about five times the overlay work of the
    union of the views alone, so it is computed only when asked for.

    Returns
    -------
    dict
        ``cameras`` (with a view row), ``cameras_with_views`` (non-empty
        view), ``assumed`` (cameras for which a default was used),
        ``full_circle``, ``on_wall``, ``area_km2`` (area of the union of all
        views, km²: overlaps count once) and ``area_by_level_km2`` (area where
        the best level available from any camera is that level; None unless
        ``by_level``).
    """
    if views.crs is not None and views.crs.is_geographic and len(views):
        raise InputError(
            "views are in a geographic CRS (degrees): summarize them in the metric CRS they "
            "were computed in",
            value=views.crs.to_string(),
        )
    rows = views[views["level"] == "view"]
    area_km2, levels = _union_areas(views, by_level=by_level)
    return {
        "cameras": len(rows),
        "cameras_with_views": int((~shapely.is_empty(rows.geometry.to_numpy())).sum()),
        "assumed": int(rows["assumed"].sum()),
        "full_circle": int(rows["full_circle"].sum()),
        "on_wall": int(rows["on_wall"].sum()),
        "area_km2": area_km2,
        "area_by_level_km2": levels,
    }


def _union_areas(
    views: gpd.GeoDataFrame, *, by_level: bool
) -> tuple[float, dict[str, float] | None]:
    """Area of the union of the views and (``by_level``), per DORI level, of where it is
    the best level of any camera (km²).

    Views that overlap no other view add their own areas, with no overlay at all. The
    others are grouped into the connected sets of overlapping views (one spatial-index
    query for all), and only each group is unioned: level by level, the union of the
    finer levels grows, and a level's area is what its union adds. A camera's bands
    partition its view, so the union of every band is the union of the views.
    """
    level = views["level"].to_numpy()
    geoms = views.geometry.to_numpy()
    camera = views["camera_id"].to_numpy() if "camera_id" in views else np.arange(len(views))
    is_view = level == VIEW_LEVEL
    seen = is_view & ~shapely.is_empty(geoms)
    levels = dict.fromkeys(DORI_LEVELS, 0.0)
    if not seen.any():
        return 0.0, levels if by_level else None
    # Groups of views that overlap, through any chain of overlaps.
    view_rows = np.flatnonzero(seen)
    tree = shapely.STRtree(geoms[view_rows])
    a, b = tree.query(geoms[view_rows], predicate="intersects")
    n = len(view_rows)
    matrix = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, group_of_view = csgraph.connected_components(matrix, directed=False)
    sizes = np.bincount(group_of_view)
    group_of_camera = dict(zip(camera[view_rows].tolist(), group_of_view.tolist(), strict=True))
    group = np.array([group_of_camera.get(c, -1) for c in camera.tolist()], dtype=np.int64)
    area = shapely.area(geoms)
    counted = group >= 0
    alone = counted & (sizes[np.maximum(group, 0)] == 1)
    has_bands = by_level and bool(np.isin(level, DORI_LEVELS).any())
    whole = float(area[alone & is_view].sum())
    for name in DORI_LEVELS:
        levels[name] += float(area[alone & (level == name)].sum())
    together = np.flatnonzero(counted & ~alone)
    together = together[np.argsort(group[together], kind="stable")]
    cuts = np.flatnonzero(np.diff(group[together])) + 1
    for rows in np.split(together, cuts) if len(together) else []:
        g, lv = geoms[rows], level[rows]
        if not has_bands:
            whole += float(shapely.area(shapely.union_all(g[lv == VIEW_LEVEL])))
            continue
        finer: Any = None
        before = 0.0
        for name in DORI_LEVELS:
            band = g[lv == name]
            if not len(band):
                continue
            union = shapely.union_all(band)
            finer = union if finer is None else shapely.union(finer, union)
            now = float(shapely.area(finer))
            levels[name] += now - before
            before = now
        whole += before
    if not by_level:
        return whole / 1e6, None
    return whole / 1e6, {name: value / 1e6 for name, value in levels.items()}


def combine(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """The totals of views of places measured apart (each in its own zone): their sums."""
    counts = ("cameras", "cameras_with_views", "assumed", "full_circle", "on_wall", "area_km2")
    total: dict[str, Any] = {key: sum(p[key] for p in summaries) for key in counts}
    total["area_km2"] = float(total["area_km2"])
    split = [p["area_by_level_km2"] for p in summaries]
    total["area_by_level_km2"] = (
        {level: float(sum(p[level] for p in split)) for level in DORI_LEVELS}
        if split and all(p is not None for p in split)
        else None
    )
    return total
