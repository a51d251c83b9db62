"""The straightforward reference for street coverage: one Python loop over street segments.

For each segment: intersect it with each view polygon, union the pieces, take the length;
once for the whole views and once for each growing set of DORI levels (the best-level
split), and collect the cameras whose view the segment crosses. The union runs on a
1 micrometre precision grid: without it GEOS leaves overlapping pieces of one line
undissolved (they are collinear only up to rounding) and counts them twice. This is how one would
write it first with Shapely's scalar API; ``bench/coverage.py`` measures
:func:`camatlas.coverage.coverage_of_lines` against it.

Two variants:

* ``every_view=True``: literally every view for every segment (quadratic);
* ``every_view=False``: only the views whose bounding box meets the segment's, found with
  an STRtree (the first optimisation anyone adds).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

DORI_LEVELS = ("identification", "recognition", "observation", "detection")


def reference_coverage(
    lines: gpd.GeoSeries, views: gpd.GeoDataFrame, *, every_view: bool = False
) -> pd.DataFrame:
    """length_m, watched_m, watched_m_<level> and camera_count per line, by a Python loop."""
    geoms = list(views.geometry)
    levels = list(views["level"])
    cams = list(views["physical_id"])
    rank = {name: k for k, name in enumerate(DORI_LEVELS)}
    tree = shapely.STRtree(np.asarray(geoms, dtype=object))
    rows: list[dict[str, Any]] = []
    for line in lines:
        candidates = range(len(geoms)) if every_view else tree.query(line)
        pieces: list[tuple[int, Any, str]] = []
        for i in candidates:
            piece = line.intersection(geoms[i])
            if not piece.is_empty and piece.length > 0:
                pieces.append((rank.get(levels[i], len(DORI_LEVELS)), piece, cams[i]))
        row: dict[str, Any] = {"length_m": line.length}
        previous = 0.0
        for k, level in enumerate(DORI_LEVELS):
            chosen = (
                [p for r, p, _ in pieces if r <= k]
                if k < len(DORI_LEVELS) - 1
                else [p for _, p, _ in pieces]
            )
            # grid_size: pieces cut from one line by different polygons are collinear only up
            # to rounding, and GEOS does not dissolve them without a precision grid
            covered = shapely.union_all(chosen, grid_size=1e-6).length if chosen else 0.0
            row[f"watched_m_{level}"] = covered - previous
            previous = covered
        row["watched_m"] = previous
        row["camera_count"] = len({c for _, _, c in pieces})
        rows.append(row)
    return pd.DataFrame(rows, index=lines.index)
