"""Sight: every camera's view, computed and stored in the atlas.

>>> import camatlas
>>> atlas = camatlas.open_atlas(city_path)
>>> result = camatlas.sight(atlas)
>>> result.summary["cameras_with_views"], sorted(result.to_dict()["layers"])
(3, ['view_zones', 'views'])

:func:`sight` reads the cameras and the buildings near them, computes the views
with :func:`camatlas.views.compute_views` in the UTM zone of each place
(:meth:`camatlas.atlas.Atlas.zoning`), and writes the result layers ``views`` and
``view_zones`` in one transaction, with the parameters that made them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from camatlas.assumptions import SightParameters, camera_parameters
from camatlas.atlas import Atlas
from camatlas.geo import WGS84, as_multipolygons, expand_bbox
from camatlas.lazy import gpd, pd, pyproj
from camatlas.views import combine, compute_views, summarize
from camatlas.vocab import SIGHT_LAYERS, VIEW_LEVEL

__all__ = [
    "MOVED_INSIDE_M",
    "AtlasViews",
    "SightResult",
    "ViewsFor",
    "atlas_views",
    "buildings_near",
    "shared_views",
    "sight",
    "view_reach_m",
    "views_in_zone",
]

Progress = Callable[[str, int, int], None]
"""Called with (stage, done, total) as the work advances."""

ViewsFor = Callable[["pyproj.CRS", "tuple[float, float, float, float] | None"], "gpd.GeoDataFrame"]
"""Gives the views that reach into a lon/lat box (None: everywhere), in a metric CRS."""

MOVED_INSIDE_M = 250.0
"""Buildings are read this much farther than a camera's range: a camera mapped deep inside a
large footprint moves to its wall, and sees from there."""


@dataclass(frozen=True)
class SightResult:
    """What :func:`sight` computed and stored.

    Attributes
    ----------
    views
        One row per camera with a view (WGS 84): its whole view, a MultiPolygon (None
        when nothing is visible), with the columns of
        :data:`camatlas.views.VIEW_COLUMNS`.
    view_zones
        The views' DORI bands (WGS 84), one row per camera and level.
    summary
        ``camera_records``, ``cameras``, ``cameras_with_views``, ``assumed``,
        ``full_circle``, ``on_wall``, ``area_km2`` and ``area_by_level_km2`` (None
        unless ``area_by_level``; see
        :func:`camatlas.views.summarize`), measured in each place's zone.
    parameters
        What made the views, as stored with the layers: the
        :class:`~camatlas.assumptions.SightParameters`, the defaults tables, the CRSs.
    """

    views: gpd.GeoDataFrame
    view_zones: gpd.GeoDataFrame
    summary: dict[str, Any]
    parameters: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the summary, the CRSs, the layers written and the parameters."""
        return {
            **self.summary,
            "crs": self.parameters["crs"],
            "layers": ["views", "view_zones"],
            "parameters": self.parameters,
        }


def view_reach_m(range_m: float, params: SightParameters) -> float:
    """How far from its mapped position a camera's view may reach, metres: its range,
    from where it sees (its wall, up to ``wall_distance_m`` plus :data:`MOVED_INSIDE_M`
    away)."""
    return range_m + params.wall_distance_m + MOVED_INSIDE_M


def buildings_near(
    atlas: Atlas, cameras: gpd.GeoDataFrame, reach_m: float, params: SightParameters
) -> gpd.GeoDataFrame:
    """The atlas's buildings that may cut views of ``cameras`` reaching ``reach_m`` metres
    (none without occlusion); WGS 84."""
    if not params.occlusion or len(cameras) == 0:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    return atlas.buildings(expand_bbox(cameras.total_bounds, view_reach_m(reach_m, params)))


def views_in_zone(
    atlas: Atlas,
    cameras: gpd.GeoDataFrame,
    params: SightParameters,
    crs: pyproj.CRS,
    *,
    per_camera: pd.DataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    progress: Progress | None = None,
) -> gpd.GeoDataFrame:
    """Views of ``cameras`` (WGS 84) in the metric ``crs``, cut by the atlas's buildings.

    ``per_camera`` replaces :func:`camatlas.assumptions.camera_parameters` (e.g. with
    sampled ranges and widths); ``buildings`` the buildings read near the cameras.
    """
    per_camera = camera_parameters(cameras, params) if per_camera is None else per_camera
    if buildings is None:
        counted = per_camera["counted"].to_numpy(dtype=bool)
        reach = float(per_camera["range_m"][counted].max()) if counted.any() else 0.0
        buildings = buildings_near(atlas, cameras[counted], reach, params)
    views: gpd.GeoDataFrame = compute_views(
        cameras, buildings, params, crs=crs, per_camera=per_camera, progress=progress
    )
    return views


def sight(
    atlas: Atlas,
    params: SightParameters | None = None,
    *,
    progress: Progress | None = None,
    area_by_level: bool = False,
) -> SightResult:
    """Compute the view of every camera of an atlas and store it in the atlas.

    Writes the result layers ``views`` (one row per camera: its whole view) and
    ``view_zones`` (its DORI bands) in WGS 84, in one transaction, with
    ``params.to_dict()`` and the CRSs used as their parameters. Each place is
    computed in its own UTM zone, so an atlas of cities far apart gets each city's
    views in metres of its own zone.

    Parameters
    ----------
    atlas
        An open atlas (not read-only).
    params
        Overrides and options; defaults to ``SightParameters()``.
    progress
        Called with (stage, done, total) as the work advances.
    area_by_level
        Also split the area in view by the best DORI level there (the summary's
        ``area_by_level_km2``; about five times the overlay work of the area alone).

    Returns
    -------
    SightResult
        The layers as stored, their summary and parameters.
    """
    params = params or SightParameters()
    if progress:
        progress("cameras", 0, 0)
    cameras = atlas.cameras()
    per_camera = camera_parameters(cameras, params)
    zones = atlas.zoning().epsg(cameras.geometry.x, cameras.geometry.y)
    pieces, summaries = [], []
    for epsg in np.unique(zones) if len(cameras) else []:
        here = zones == epsg
        views = views_in_zone(
            atlas,
            cameras[here],
            params,
            pyproj.CRS.from_epsg(int(epsg)),
            per_camera=per_camera[here],
            progress=progress,
        )
        summaries.append(summarize(views, by_level=area_by_level))
        pieces.append(views.to_crs(4326))
    if pieces:
        stored = gpd.GeoDataFrame(pd.concat(pieces, ignore_index=True), crs=4326)
    else:
        stored = compute_views(cameras, cameras.iloc[:0], params, crs=pyproj.CRS.from_epsg(4326))
        summaries.append(summarize(stored, by_level=area_by_level))
    stored["geometry"] = as_multipolygons(stored.geometry.to_numpy())
    parameters = {
        **params.to_dict(),
        "crs": ", ".join(f"EPSG:{int(epsg)}" for epsg in np.unique(zones)),
        "cameras": int(per_camera["counted"].sum()),
    }
    if progress:
        progress("writing", 0, 0)
    is_view = (stored["level"] == VIEW_LEVEL).to_numpy()
    views, view_zones = stored[is_view], stored[~is_view]
    atlas.write_results({"views": views, "view_zones": view_zones}, parameters)
    summary = {"camera_records": len(cameras), **combine(summaries)}
    return SightResult(
        gpd.GeoDataFrame(views.reset_index(drop=True), crs=4326),
        gpd.GeoDataFrame(view_zones.reset_index(drop=True), crs=4326),
        summary,
        parameters,
    )


# --- the views every analysis shares ---------------------------------------------------


@dataclass(slots=True)
class AtlasViews:
    """An atlas's camera views: the stored ones (``camatlas sight``), or what computing them
    with the default parameters needs.

    Route, exposure and measure take their views from here, so that a street's watched
    metres are the same whichever command measures them: the same stored polygons,
    projected by the same transformation into the same zone's CRS.
    """

    atlas: Atlas
    source: str
    stored: gpd.GeoDataFrame | None  # EPSG:4326
    parameters: dict[str, Any] | None = None  # what made the stored views
    cameras: gpd.GeoDataFrame | None = None
    reach_m: float = 0.0

    def near(
        self, crs: pyproj.CRS, bbox: tuple[float, float, float, float] | None
    ) -> gpd.GeoDataFrame:
        """The views that reach into ``bbox`` (lon/lat; None: all), in the metric ``crs``."""
        if self.stored is not None:
            frame = self.stored
            if bbox is not None and len(frame):
                hits = frame.sindex.query(shapely.box(*bbox))
                frame = frame.iloc[np.sort(hits)]
            return frame.to_crs(crs)
        assert self.cameras is not None
        cameras = self.cameras
        if bbox is not None:
            west, south, east, north = expand_bbox(
                bbox, view_reach_m(self.reach_m, SightParameters())
            )
            cameras = cameras.cx[west:east, south:north]
        return views_in_zone(self.atlas, cameras, SightParameters(), crs)

    def made_with(self, params: SightParameters) -> bool:
        """Whether the stored views were made with ``params`` (so they are the views a
        measure with ``params`` would compute)."""
        if self.stored is None or self.parameters is None:
            return False
        wanted = json.loads(json.dumps(params.to_dict(), default=str))
        return all(self.parameters.get(key) == value for key, value in wanted.items())

    def of_cameras(self, crs: pyproj.CRS, camera_ids: Sequence[str]) -> gpd.GeoDataFrame | None:
        """The stored views of the cameras ``camera_ids`` in ``crs``; None when one of
        them has no stored view (the views predate an import)."""
        if self.stored is None:
            return None
        ids = set(camera_ids)
        mine = self.stored[self.stored["camera_id"].isin(ids)]
        if set(mine["camera_id"]) != ids:
            return None
        return gpd.GeoDataFrame(mine.reset_index(drop=True), crs=WGS84).to_crs(crs)


def _read_views(atlas: Atlas) -> AtlasViews:
    results = atlas.results()
    stored = {str(row["name"]): row for row in results.to_dict("records")}
    if any(name in stored for name in SIGHT_LAYERS):
        frames = []
        if "view_zones" in stored:
            frames.append(atlas.result("view_zones"))
        if "views" in stored:
            frames.append(atlas.result("views"))
        else:
            zones = gpd.GeoDataFrame(frames[0])
            whole = zones.dissolve(by="camera_id", as_index=False, aggfunc="first")
            whole["level"] = VIEW_LEVEL
            frames.append(whole)
        views = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)
        if "physical_id" in views:
            views["physical_id"] = views["physical_id"].fillna(views.get("camera_id"))
        names = [n for n in SIGHT_LAYERS if n in stored]
        made = ", ".join(f"{n} ({stored[n]['created_at']})" for n in names)
        parameters = atlas.result_parameters(names[-1])
        return AtlasViews(atlas, f"stored result layers {made}", views, parameters)
    cameras = atlas.cameras()
    table = camera_parameters(cameras, SightParameters())
    reach = float(table["range_m"].max()) if len(table) else 0.0
    return AtlasViews(
        atlas,
        "computed with the default sight parameters (run `camatlas sight` to store them)",
        None,
        cameras=cameras,
        reach_m=reach,
    )


def atlas_views(atlas: Atlas) -> tuple[ViewsFor, str]:
    """The views of an atlas near any box, in any metric CRS, and where they came from.

    Uses the stored ``views`` / ``view_zones`` result layers when present; otherwise
    computes views with the default sight parameters. Kept with the atlas until it changes.
    """
    found = shared_views(atlas)
    return found.near, found.source


def shared_views(atlas: Atlas) -> AtlasViews:
    """The atlas's views as route, exposure and measure share them (:class:`AtlasViews`);
    kept with the atlas until it changes."""
    found: AtlasViews = atlas.cached("views", _read_views)
    return found
