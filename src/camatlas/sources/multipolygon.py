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

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from camatlas.geo import repair_polygons

Keys = npt.NDArray[np.int64]
Locate = Callable[
    [Keys], tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.float64]]
]
"""Says which node keys have a location, and gives their lon/lat (NaN where missing)."""


def join_rings(chains: Sequence[Keys]) -> tuple[list[Keys], int]:
    """Join ways (arrays of node keys) end to end into closed rings.

    Returns the rings (keys, first == last) and how many chains stayed open.
    """
    rings = [p for p in chains if len(p) >= 2 and p[0] == p[-1]]
    pieces = [p for p in chains if len(p) >= 2 and p[0] != p[-1]]
    by_end: dict[int, list[int]] = defaultdict(list)
    for i, piece in enumerate(pieces):
        by_end[int(piece[0])].append(i)
        by_end[int(piece[-1])].append(i)
    used = [False] * len(pieces)
    open_chains = 0
    for i, piece in enumerate(pieces):
        if used[i]:
            continue
        used[i] = True
        chain = [piece]
        first, last = int(piece[0]), int(piece[-1])
        while last != first:
            following = next((j for j in by_end[last] if not used[j]), None)
            if following is None:
                break
            used[following] = True
            nxt = pieces[following]
            if int(nxt[0]) != last:
                nxt = nxt[::-1]
            chain.append(nxt[1:])
            last = int(nxt[-1])
        if last == first:
            rings.append(np.concatenate(chain))
        else:
            open_chains += 1
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
        why = ["outer ring(s) not closed"]
        if missing_outer:
            why.append(f"{missing_outer} outer member way(s) {missing}")
        if open_rings:
            why.append(f"{open_rings} ring(s) left open")
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
