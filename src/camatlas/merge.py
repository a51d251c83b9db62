"""Linking cameras that different sources describe as one physical camera.

Two cameras are linked when they come from different sources, lie within a
distance (default 15 m, great-circle) and have compatible kinds (the same
kind, or one of them ``other``). Nothing is dropped: both records stay in the
atlas, and each carries a ``physical_id``, the smallest camera id of its
group of linked cameras, so counts of physical cameras do not depend on the
order in which sources were imported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import shapely

from camatlas.errors import InputError
from camatlas.geo import approx_xy_m, great_circle_m
from camatlas.lazy import pd
from camatlas.records import Link
from camatlas.vocab import DEFAULT_LINK_DISTANCE_M

MAX_LINK_DISTANCE_M = 1000.0
"""The largest link distance accepted: cameras farther apart are never the same one."""


def check_link_distance(distance_m: float) -> float:
    """The link distance in metres, refused unless it is a number from 0 (no linking) to
    :data:`MAX_LINK_DISTANCE_M`."""
    try:
        value = float(distance_m)
    except (TypeError, ValueError):
        value = math.nan
    if not 0.0 <= value <= MAX_LINK_DISTANCE_M:  # also refuses NaN
        raise InputError(
            f"the link distance must be a number of metres from 0 (no linking) to "
            f"{MAX_LINK_DISTANCE_M:g}",
            value=distance_m,
        )
    return value


def find_links(
    new: pd.DataFrame, candidates: pd.DataFrame, distance_m: float = DEFAULT_LINK_DISTANCE_M
) -> list[Link]:
    """Links between ``new`` cameras and ``candidates`` (both ``id, lon, lat, kind, source``).

    ``candidates`` may include the new cameras themselves; pairs from the same
    source are never linked. Each pair appears once, ordered by id.
    """
    if distance_m <= 0 or new.empty or candidates.empty:
        return []
    # A local equirectangular frame finds candidate pairs; the slack of 1% covers its
    # error at these distances before the exact check.
    lon_a, lat_a = new["lon"].to_numpy(float), new["lat"].to_numpy(float)
    lon_b, lat_b = candidates["lon"].to_numpy(float), candidates["lat"].to_numpy(float)
    x, y = approx_xy_m(np.concatenate([lon_a, lon_b]), np.concatenate([lat_a, lat_b]))
    points = np.asarray(shapely.points(x, y))
    points_a, points_b = points[: len(new)], points[len(new) :]
    codes, _ = pd.factorize(pd.concat([new["source"], candidates["source"]], ignore_index=True))
    source_a, source_b = codes[: len(new)], codes[len(new) :]
    kind_a, kind_b = new["kind"].to_numpy(dtype=object), candidates["kind"].to_numpy(dtype=object)
    ids_a, ids_b = new["id"].to_numpy(dtype=object), candidates["id"].to_numpy(dtype=object)
    tree = shapely.STRtree(points_b)
    pairs: dict[tuple[str, str], float] = {}
    # In chunks of new cameras, dropping pairs of one source before anything else: memory
    # stays bounded by the chunk times the densest cluster, however many cameras share a
    # spot (thousands at one point made every pair at once).
    for lo in range(0, len(new), LINK_CHUNK):
        i_a, i_b = tree.query(points_a[lo : lo + LINK_CHUNK], predicate="dwithin",
                              distance=distance_m * 1.01)  # fmt: skip
        i_a = i_a + lo
        other = source_a[i_a] != source_b[i_b]
        i_a, i_b = i_a[other], i_b[other]
        if len(i_a) == 0:
            continue
        dist = great_circle_m(lon_a[i_a], lat_a[i_a], lon_b[i_b], lat_b[i_b])
        ka, kb = kind_a[i_a], kind_b[i_b]
        keep = (dist <= distance_m) & ((ka == kb) | (ka == "other") | (kb == "other"))
        for ida, idb, d in zip(ids_a[i_a[keep]], ids_b[i_b[keep]], dist[keep], strict=True):
            key = (ida, idb) if ida < idb else (idb, ida)
            pairs[key] = float(d)
    return [Link(a, b, round(d, 3)) for (a, b), d in sorted(pairs.items())]


LINK_CHUNK = 512
"""New cameras whose nearby pairs are found at once (bounds the pair search's memory)."""


def physical_ids(links: Iterable[tuple[str, str]]) -> dict[str, str]:
    """For every camera in ``links``, the smallest id of its group of linked cameras."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            # The smaller id becomes the root, so each group's root is its minimum.
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra
    return {x: root(x) for x in list(parent)}
