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
from typing import TYPE_CHECKING

import numpy as np
import shapely

from camatlas.errors import InputError
from camatlas.geo import approx_xy_m, great_circle_m
from camatlas.lazy import lazy_module
from camatlas.records import Link
from camatlas.vocab import DEFAULT_LINK_DISTANCE_M

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")


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
    def project(frame: pd.DataFrame) -> np.ndarray:
        x, y = approx_xy_m(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
        return np.asarray(shapely.points(x, y))

    tree = shapely.STRtree(project(candidates))
    i_new, i_cand = tree.query(project(new), predicate="dwithin", distance=distance_m * 1.01)
    if len(i_new) == 0:
        return []
    a = new.iloc[i_new].reset_index(drop=True)
    b = candidates.iloc[i_cand].reset_index(drop=True)
    dist = great_circle_m(
        a["lon"].to_numpy(float),
        a["lat"].to_numpy(float),
        b["lon"].to_numpy(float),
        b["lat"].to_numpy(float),
    )
    kind_a, kind_b = a["kind"].to_numpy(), b["kind"].to_numpy()
    keep = (
        (dist <= distance_m)
        & (a["source"].to_numpy() != b["source"].to_numpy())
        & ((kind_a == kind_b) | (kind_a == "other") | (kind_b == "other"))
    )
    pairs: dict[tuple[str, str], float] = {}
    for ida, idb, d in zip(a["id"][keep], b["id"][keep], dist[keep], strict=True):
        key = (ida, idb) if ida < idb else (idb, ida)
        pairs[key] = float(d)
    return [Link(x, y, round(d, 3)) for (x, y), d in sorted(pairs.items())]


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
