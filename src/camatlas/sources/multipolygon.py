"""Areas of OSM multipolygon and boundary relations, from their member ways.

One algorithm for every reader, so that a relation gives the same footprint
from a PBF or XML file as from an Overpass answer:

1. member ways with role ``outer`` (or no role) make outer rings, ``inner``
   ones holes; other members are left out by the caller;
2. ways are joined end to end into closed rings by the keys of their end
   nodes: OSM node ids in a file, the ids of distinct coordinates in an
   Overpass answer (which gives member geometry but not node ids);
3. a relation whose outer ways are missing, or whose outer rings stay open, is
   refused: its area would be wrong (an extract cuts it, or the data is
   broken). Inner rings that are missing or open are left out;
4. the area is the union of the outer rings' polygons minus the union of the
   inner ones, each repaired by :func:`camatlas.geo.repair_polygons`.

>>> import numpy as np
>>> corners = {1: (0, 0), 2: (1, 0), 3: (1, 1), 4: (0, 1)}
>>> def locate(keys):
...     xy = np.array([corners[k] for k in keys], dtype=float)
...     return np.ones(len(keys), bool), xy[:, 0], xy[:, 1]
>>> area, why = area_from_members([np.array([1, 2, 3]), np.array([3, 4, 1])], [], locate)
>>> area.area, why
(1.0, '')
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from camatlas.geo import repair_polygons

NOT_CLOSED = "outer ring(s) not closed"
"""How :func:`area_from_members` begins its reason when outer rings are cut or open."""

Keys = npt.NDArray[np.int64]
Locate = Callable[
    [Keys], tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.float64]]
]
"""Says which node keys have a location, and gives their lon/lat (NaN where missing)."""


def join_rings(chains: Sequence[Keys]) -> tuple[list[Keys], list[Keys]]:
    """Join ways (arrays of node keys) end to end into closed rings.

    Returns the rings (keys, first == last) and the chains that stayed open.
    """
    rings = [p for p in chains if len(p) >= 2 and p[0] == p[-1]]
    pieces = [p for p in chains if len(p) >= 2 and p[0] != p[-1]]
    by_end: dict[int, list[int]] = defaultdict(list)
    for i, piece in enumerate(pieces):
        by_end[int(piece[0])].append(i)
        by_end[int(piece[-1])].append(i)
    used = [False] * len(pieces)

    def extend(end: int, stop: int) -> list[Keys]:
        """Pieces following on from node ``end`` until ``stop`` or a dead end."""
        found = []
        while end != stop:
            following = next((j for j in by_end[end] if not used[j]), None)
            if following is None:
                break
            used[following] = True
            nxt = pieces[following]
            if int(nxt[0]) != end:
                nxt = nxt[::-1]
            found.append(nxt[1:])
            end = int(nxt[-1])
        return found

    open_chains: list[Keys] = []
    for i, piece in enumerate(pieces):
        if used[i]:
            continue
        used[i] = True
        first = int(piece[0])
        ahead = extend(int(piece[-1]), first)
        last = int(ahead[-1][-1]) if ahead else int(piece[-1])
        if last == first:
            rings.append(np.concatenate([piece, *ahead]))
            continue
        # Open: also follow it back from its first node, so it is one chain.
        behind = extend(first, last)
        open_chains.append(np.concatenate([*(b[::-1] for b in reversed(behind)), piece, *ahead]))
    return rings, open_chains


def _rings_union(rings: list[Keys], locate: Locate) -> BaseGeometry | None:
    """Union of the polygons of closed rings; None when no ring has 3 located corners."""
    polygons = []
    for ring in rings:
        found, lon, lat = locate(ring[:-1])
        if found.sum() >= 3:
            polygons.append(shapely.Polygon(np.column_stack((lon[found], lat[found]))))
    if not polygons:
        return None
    union = shapely.union_all(repair_polygons(polygons))
    return None if union.is_empty else union


def area_from_members(
    outer: Sequence[Keys],
    inner: Sequence[Keys],
    locate: Locate,
    *,
    missing_outer: int = 0,
    missing: str = "missing from the file",
) -> tuple[BaseGeometry | None, str]:
    """The area of a relation: outer rings minus inner rings, or (None, why not).

    Parameters
    ----------
    outer, inner
        Node keys of the member ways present, by role.
    locate
        Looks up the locations of node keys.
    missing_outer
        How many outer member ways are missing (not in the file, no geometry).
    missing
        What "missing" means for the reader, for the message.

    Returns
    -------
    tuple
        A valid (Multi)Polygon in lon/lat degrees and ``""``; or None and the reason.
    """
    if not outer and not missing_outer:
        return None, "no outer member way"
    outer_rings, open_rings = join_rings(outer)
    inner_rings, _ = join_rings(inner)
    if missing_outer or open_rings or not outer_rings:
        why = [NOT_CLOSED]
        if missing_outer:
            why.append(f"{missing_outer} outer member way(s) {missing}")
        if open_rings:
            why.append(f"{len(open_rings)} ring(s) left open")
        return None, "; ".join(why)
    shell = _rings_union(outer_rings, locate)
    if shell is None:
        return None, "no outer ring with 3 or more located corners"
    holes = _rings_union(inner_rings, locate)
    try:
        shape = shell if holes is None else shapely.difference(shell, holes)
    except GEOSException as exc:
        return None, f"rings cannot be combined ({exc})"
    (area,) = repair_polygons([shape])
    if area.is_empty:
        return None, "inner rings cover the whole outer area"
    return area, ""


# --- areas cut by the edge of the data -----------------------------------------------

CUT_REACH = 0.05
"""How far inside the data's bounds a cut ring may end where its next member way is missing,
as a share of the bounds' shorter side: such a way lies outside the bounds, so the ring's end
is on or near them. A ring ending deeper inside is broken, not cut. An end inside is joined
to the nearest point of the bounds."""

NODE_CUT_REACH = 0.25
"""The same where the ring's next node is missing: extracts that cut ways (osmium's
``simple`` strategy) keep only their nodes inside the bounds, so such a ring ends at its last
node inside, up to one segment's length from the edge."""

CLEAR_OVERLAP = 0.05
"""Largest share of a side that may overlap neighbouring areas of the same admin_level for
that side to be taken as the inside; the other side must overlap them by 10 times as much."""


@dataclass(frozen=True, slots=True)
class CutArea:
    """An area whose outer rings are cut by the edge of the data: the two ways to close them.

    Inside the data's bounds, the cut rings split the bounds into faces; an area
    is either the faces of even parity (crossing an even number of rings from
    the first face) or those of odd parity, joined to its whole outer rings
    and less its inner rings. Which one is the area the file cannot say by
    itself: :func:`choose_side` decides from evidence or refuses.
    """

    sides: tuple[BaseGeometry, BaseGeometry]


def cut_area(
    outer: Sequence[Keys], inner: Sequence[Keys], locate: Locate, bounds: shapely.Polygon
) -> tuple[CutArea | None, str]:
    """The two candidate areas of a relation whose outer rings are cut by ``bounds``.

    Parameters
    ----------
    outer, inner
        Node keys of the member ways present, by role.
    locate
        Looks up the locations of node keys.
    bounds
        The bounds of the data (a convex polygon in lon/lat degrees, e.g. the
        box a PBF header states): everything inside them is in the file.

    Returns
    -------
    tuple
        The :class:`CutArea` and ``""``; or None and the reason.
    """
    closed, chains = join_rings(outer)
    whole = _rings_union(closed, locate)
    runs = [run for chain in chains for run in _located_runs(chain, locate)]
    edge = bounds.exterior
    shorter = _shorter_side(bounds)
    lines = []
    for run, cut_node in runs:
        ends = np.asarray(shapely.points(run[[0, -1]]), dtype=object)
        inside = np.asarray(shapely.contains(bounds, ends), dtype=bool)
        depth = np.asarray(shapely.distance(ends, edge), dtype=np.float64)
        reach = np.where(cut_node, NODE_CUT_REACH, CUT_REACH) * shorter
        if (inside & (depth > reach)).any():
            deepest = float(depth[inside].max())
            return None, (
                f"a cut ring ends {deepest:.4g}° inside the data's bounds, more than "
                f"{float(reach.max()):.4g}°: broken, not cut by the edge"
            )
        # An end inside the bounds is joined to the nearest point of the edge.
        to_edge = shapely.get_coordinates(
            shapely.line_interpolate_point(edge, shapely.line_locate_point(edge, ends))
        )
        head = to_edge[:1] if inside[0] else np.zeros((0, 2))
        tail = to_edge[1:] if inside[1] else np.zeros((0, 2))
        lines.append(shapely.LineString(np.vstack([head, run, tail])))
    # With no cut ring inside the bounds, the area holds all of them or none.
    pieces = shapely.intersection(shapely.union_all(lines), bounds) if lines else shapely.Point()
    faces = np.asarray(
        shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all([edge, pieces]))))
    )
    if len(faces) == 0:
        return None, "the cut rings make no face inside the data's bounds"
    # Parity of each face: how many cut rings a straight path from the first face's
    # probe crosses (the bounds are convex, so the path stays inside them).
    probes = shapely.get_coordinates(shapely.point_on_surface(faces))
    paths = np.asarray(
        shapely.linestrings(np.stack([np.broadcast_to(probes[0], probes.shape), probes], axis=1)),
        dtype=object,
    )
    crossings = np.asarray(shapely.get_num_geometries(shapely.intersection(paths[1:], pieces)))
    odd = np.concatenate([[False], crossings % 2 == 1])
    holes = _rings_union(join_rings(inner)[0], locate)
    sides = []
    for chosen in (~odd, odd):
        side: BaseGeometry = shapely.union_all(faces[chosen])
        if whole is not None:
            side = shapely.union(side, whole)
        if holes is not None:
            side = shapely.difference(side, holes)
        (side,) = repair_polygons([side])
        sides.append(side)
    return CutArea((sides[0], sides[1])), ""


def _located_runs(
    chain: Keys, locate: Locate
) -> list[tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]]:
    """The stretches of a chain whose nodes are all located (2 or more), as lon/lat arrays,
    each with whether its first and last node are next to a missing node."""
    found, lon, lat = locate(chain)
    xy = np.column_stack((lon, lat))
    runs = []
    for run in np.split(np.arange(len(chain)), np.flatnonzero(~found)):
        run = run[found[run]]
        if len(run) >= 2:
            cut_node = np.array([run[0] > 0, run[-1] < len(chain) - 1])
            runs.append((xy[run], cut_node))
    return runs


def _shorter_side(bounds: shapely.Polygon) -> float:
    west, south, east, north = bounds.bounds
    return float(min(east - west, north - south))


def choose_sides(
    cuts: Sequence[CutArea],
    markers: Sequence[BaseGeometry | None],
    neighbours: BaseGeometry | None,
) -> list[tuple[int | None, str]]:
    """Which side of each :class:`CutArea` of one admin_level is the area, from evidence.

    Areas of one admin_level do not overlap, and that, with what lies inside
    an area, is the evidence:

    1. ``markers``: each relation's ``label`` and ``admin_centre`` nodes in the
       file lie inside it: a side that does not hold them all is ruled out;
    2. ``neighbours``: areas of the same admin_level whole in the file: a side
       overlapping them by more than :data:`CLEAR_OVERLAP` of its area is ruled out;
    3. the cut areas themselves: two sides that overlap by more than
       :data:`CLEAR_OVERLAP` of the smaller cannot both be areas.

    A side is taken when the other is ruled out, directly or because taking it
    leaves some other area with no side (the rules are pairwise, so following
    them decides exactly what they imply). Returns, for each cut area, the
    side and why, or None and why not.
    """
    n = len(cuts)
    areas = [[float(side.area) for side in cut.sides] for cut in cuts]
    # An area none of whose rings reach into the data holds all of it or none:
    # only its own markers tell which, not its neighbours (which may be nested in it
    # though tagged with the same admin_level, as London and the City of London are).
    inside = [not (cut.sides[0].is_empty or cut.sides[1].is_empty) for cut in cuts]
    banned: list[set[int]] = [set() for _ in range(n)]
    for k, cut in enumerate(cuts):
        marker = markers[k]
        for v, side in enumerate(cut.sides):
            if side.is_empty:  # the area lies outside the data: possible, unless marked
                if marker is not None and not marker.is_empty:
                    banned[k].add(v)
            elif marker is not None and not marker.is_empty and not side.covers(marker):
                banned[k].add(v)
            elif inside[k] and neighbours is not None and not neighbours.is_empty:
                share = shapely.intersection(side, neighbours).area / areas[k][v]
                if share > CLEAR_OVERLAP:
                    banned[k].add(v)
    clashes: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for k in range(n):
        for m in range(k + 1, n):
            if not (inside[k] and inside[m]):
                continue
            for v in (0, 1):
                for w in (0, 1):
                    a, b = cuts[k].sides[v], cuts[m].sides[w]
                    if a.is_empty or b.is_empty or not a.intersects(b):
                        continue
                    smaller = min(areas[k][v], areas[m][w])
                    if shapely.intersection(a, b).area > CLEAR_OVERLAP * smaller:
                        clashes[k, v].append((m, w))
                        clashes[m, w].append((k, v))

    def follow(chosen: dict[int, int], k: int, v: int) -> dict[int, int] | None:
        """``chosen`` with area k on side v and what that implies; None on a contradiction."""
        out = dict(chosen)
        todo = [(k, v)]
        while todo:
            k, v = todo.pop()
            if v in banned[k] or out.get(k, v) != v:
                return None
            if k in out:
                continue
            out[k] = v
            for m, w in clashes[k, v]:
                todo.append((m, 1 - w))
        return out

    chosen: dict[int, int] = {}
    why = ["" for _ in range(n)]
    for k in range(n):
        if len(banned[k]) == 1:
            why[k] = _WHY_EVIDENCE
            if k not in chosen:
                (v,) = {0, 1} - banned[k]
                taken = follow(chosen, k, v)
                if taken is None:
                    return [(None, _CONTRADICTORY)] * n
                chosen = taken
    changed = True
    while changed:
        changed = False
        for k in range(n):
            if k in chosen:
                continue
            options = [follow(chosen, k, v) for v in (0, 1)]
            if (options[0] is None) != (options[1] is None):
                chosen = options[0] or options[1]  # type: ignore[assignment]
                changed = True
    out: list[tuple[int | None, str]] = []
    for k in range(n):
        if k not in chosen:
            if len(banned[k]) == 2:
                reason = _CONTRADICTORY
            elif not inside[k]:
                reason = _WHY_OUT_OF_REACH
            else:
                reason = _WHY_UNDECIDED
            out.append((None, reason))
        else:
            out.append((chosen[k], why[k] or _WHY_NEIGHBOURS))
    return out


_WHY_EVIDENCE = "cut by the edge of the data; its label or admin_centre node, or its whole \
neighbours of the same admin_level, rule out the other side"
_WHY_NEIGHBOURS = "cut by the edge of the data; the other side would overlap its neighbours \
of the same admin_level"
_WHY_UNDECIDED = "cut by the edge of the data, and neither a label or admin_centre node nor \
the areas of the same admin_level say which side is inside"
_WHY_OUT_OF_REACH = "cut by the edge of the data, none of its rings reach into the data's \
bounds, and no label or admin_centre node in the file says whether it covers them"
_CONTRADICTORY = "cut by the edge of the data, and the areas of the same admin_level overlap \
whichever side is taken"
