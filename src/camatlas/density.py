"""Density: which cameras and streets count, per area, and how the figures are ranked.

Counting policy in one place: physical cameras (records linked across sources
count once), counted streets (:data:`camatlas.vocab.COUNTED_HIGHWAYS`), cameras
per area (admin boundaries, the user's polygons, H3 cells), rankings, ratios,
completeness estimates and the summary of what the views assumed.

This module is an engine: frames in, frames out; no atlas.

>>> import numpy as np
>>> ratio(np.array([3.0, 2.0]), np.array([1.5, 0.0])).tolist()
[2.0, nan]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from camatlas.assumptions import SightParameters
from camatlas.errors import InputError
from camatlas.geo import FloatArray, IntArray
from camatlas.lazy import gpd, h3, pd
from camatlas.tags import parse_tags, underground
from camatlas.vocab import COUNTED_HIGHWAYS

__all__ = [
    "assumptions_summary",
    "cameras_per_area",
    "completeness_estimates",
    "counted_streets",
    "h3_cells",
    "h3_resolution",
    "h3_street_step_m",
    "percentiles",
    "physical_cameras",
    "rank",
    "ratio",
    "surveillance_scope",
    "underground_streets",
]

_AREA_YES = r'"area"\s*:\s*"yes"'


def surveillance_scope(cameras: gpd.GeoDataFrame) -> npt.NDArray[np.object_]:
    """Each camera's ``surveillance`` scope (:data:`~camatlas.vocab.SURVEILLANCE_SCOPES`),
    ``"unknown"`` where it is not tagged."""
    if "surveillance" not in cameras.columns:
        return np.full(len(cameras), "unknown", dtype=object)
    scope = cameras["surveillance"].astype(object).to_numpy()
    return np.where(pd.isna(scope), "unknown", scope).astype(object)


def counted_streets(
    streets: gpd.GeoDataFrame, *, include_underground: bool = False
) -> npt.NDArray[np.bool_]:
    """Which streets count for street length: ``highway`` in :data:`COUNTED_HIGHWAYS`, not
    ``area=yes``, and not below ground or indoors (:func:`underground_streets`) unless
    ``include_underground``."""
    highway = streets["highway"].astype(str).to_numpy()
    keep = np.isin(highway, sorted(COUNTED_HIGHWAYS))
    if "tags" in streets.columns:
        tags = streets["tags"].fillna("").astype(str)
        keep &= ~tags.str.contains(_AREA_YES, regex=True).to_numpy()
    if not include_underground:
        keep &= pd.isna(underground_streets(streets))
    return np.asarray(keep, dtype=bool)


def underground_streets(streets: gpd.GeoDataFrame) -> npt.NDArray[np.object_]:
    """Per street, the tag that puts it below ground or indoors (:func:`camatlas.tags.underground`),
    or None."""
    if "tags" not in streets.columns:
        return np.full(len(streets), None, dtype=object)
    found = [underground(tags) for tags in parse_tags(streets["tags"])]
    return np.asarray(found, dtype=object)


def physical_cameras(cameras: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per physical camera: records linked across sources share a ``physical_id``
    and count once, at the position of the record with the smallest ``id``."""
    if len(cameras) == 0:
        return cameras
    pid = cameras["physical_id"].fillna(cameras["id"]).astype(str)
    ordered = cameras.assign(physical_id=pid).sort_values(["physical_id", "id"], kind="stable")
    return ordered.drop_duplicates("physical_id", keep="first")


def ratio(num: FloatArray | float, den: FloatArray | float, scale: float = 1.0) -> Any:
    """num / den * scale, NaN where den is not positive."""
    n = np.asarray(num, dtype=np.float64)
    d = np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(d > 0, n * scale / np.where(d > 0, d, 1.0), np.nan)
    return out if out.ndim else float(out)


def percentiles(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=np.float64)
    p5, median, p95 = np.percentile(arr, [5, 50, 95], method="linear") if len(arr) else [np.nan] * 3
    return {"median": float(median), "p5": float(p5), "p95": float(p95)}


def h3_resolution(text: str) -> int:
    """The H3 resolution of ``--by h3:RES``: a whole number 0..15.

    >>> h3_resolution("9")
    9
    """
    try:
        res = int(text)
        if not 0 <= res <= 15:
            raise ValueError
    except ValueError:
        raise InputError("--by h3:RESOLUTION: a whole number 0..15", value=text) from None
    return res


def h3_street_step_m(resolution: int) -> float:
    """How far apart (metres) the street points given to :func:`h3_cells` may lie: a third
    of the cells' mean edge, so that no cell a street crosses is missed."""
    return float(h3.average_hexagon_edge_length(resolution, unit="m")) / 3.0


def h3_cells(res: int, cameras: gpd.GeoDataFrame, street_points: FloatArray) -> gpd.GeoDataFrame:
    """H3 cells (WGS 84) at resolution ``res`` that hold a camera or a street point, with
    their neighbours: ``id``, ``name``, ``population`` (NaN), ``area_km2``;
    ``street_points`` are (lon, lat) rows, :func:`h3_street_step_m` apart at most."""
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
    return frame


def cameras_per_area(
    areas: gpd.GeoDataFrame, physical: gpd.GeoDataFrame, *, by_cell: bool = False
) -> IntArray:
    """Physical cameras inside each area (H3 cells: the cell each camera falls in)."""
    n = len(areas)
    if len(physical) == 0 or n == 0:
        return np.zeros(n, dtype=np.int64)
    if by_cell:
        res = h3.get_resolution(str(areas["id"].iloc[0]))
        position = {c: i for i, c in enumerate(areas["id"])}
        cells = [
            h3.latlng_to_cell(y, x, res)
            for x, y in zip(physical.geometry.x, physical.geometry.y, strict=True)
        ]
        which = np.array([position[c] for c in cells], dtype=np.int64)
        return np.bincount(which, minlength=n).astype(np.int64)
    tree = shapely.STRtree(np.asarray(areas.geometry.array, dtype=object))
    _, area_idx = tree.query(np.asarray(physical.geometry.array, dtype=object), predicate="within")
    return np.bincount(area_idx, minlength=n).astype(np.int64)


def in_no_area(
    areas: gpd.GeoDataFrame, physical: gpd.GeoDataFrame, *, by_cell: bool = False
) -> npt.NDArray[np.bool_]:
    """Which physical cameras lie in none of the areas (H3 cells hold every camera)."""
    found = np.zeros(len(physical), dtype=bool)
    if by_cell or len(physical) == 0:
        return found
    if len(areas) == 0:
        return ~found
    tree = shapely.STRtree(np.asarray(areas.geometry.array, dtype=object))
    camera_idx, _ = tree.query(
        np.asarray(physical.geometry.array, dtype=object), predicate="within"
    )
    found[camera_idx] = True
    return ~found


def rank(frame: gpd.GeoDataFrame, rank_by: str) -> gpd.GeoDataFrame:
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


def completeness_estimates(summary: dict[str, Any], factor: float) -> dict[str, Any]:
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


def assumptions_summary(base: pd.DataFrame, params: SightParameters) -> dict[str, Any]:
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
