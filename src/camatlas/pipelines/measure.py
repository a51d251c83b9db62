"""Measure: how much of a place known cameras watch, and how dense they are.

>>> import camatlas
>>> atlas = camatlas.open_atlas(city_path)
>>> result = camatlas.measure(atlas, write=False)
>>> result.summary["cameras"], round(result.summary["street_length_m"])
(3, 2117)

:func:`measure` reads the atlas's counted streets and cameras, computes the
views of each UTM zone's cameras (:func:`camatlas.pipelines.sight.views_in_zone`),
measures the streets' coverage (:mod:`camatlas.coverage`) and the density by
area (:mod:`camatlas.density`), samples the unknown view parameters for an
uncertainty range, and writes the layers ``street_coverage``,
``measure_by_area`` and ``blind_spots`` in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from camatlas.assumptions import SightParameters, camera_parameters, sampled_parameters
from camatlas.atlas import Atlas
from camatlas.coverage import (
    COVERAGE_COLUMNS,
    TOLERANCE_M,
    LineCoverage,
    Segments,
    area_intervals,
    line_coverage,
    street_land,
    stretches,
)
from camatlas.dates import as_of_day
from camatlas.density import (
    assumptions_summary,
    cameras_per_area,
    completeness_estimates,
    counted_streets,
    h3_cells,
    h3_resolution,
    h3_street_step_m,
    in_no_area,
    percentiles,
    physical_cameras,
    rank,
    ratio,
    surveillance_scope,
    underground_streets,
)
from camatlas.errors import InputError
from camatlas.geo import (
    FloatArray,
    IntArray,
    expand_bbox,
    geodesic_area_km2,
    geodesic_length_m,
    interval_gaps,
    merge_intervals,
    overlap_lengths,
)
from camatlas.lazy import gpd, pd, pyproj
from camatlas.pipelines import json_ready
from camatlas.pipelines.sight import buildings_near, shared_views, view_reach_m, views_in_zone
from camatlas.sources.polygons import read_polygons
from camatlas.vendors import Registry, load_registry, vendor_frame
from camatlas.vocab import (
    AREA_BUFFER_M,
    COUNTED_HIGHWAYS,
    DATA_ATTRIBUTION,
    DEFAULT_MIN_BLIND_M,
    DORI_LEVELS,
    DRIVABLE_HIGHWAYS,
    KINDS,
    KNOWN_CAMERAS_ONLY,
    RANK_BY,
    SURVEILLANCE_SELECTIONS,
)

__all__ = ["MeasureParameters", "MeasureResult", "measure"]

Progress = Callable[[str, int, int], None]
"""Called with (stage, done, total) on long steps."""


@dataclass(frozen=True)
class MeasureParameters:
    """What a measurement counts and how; every field has a documented default.

    Parameters
    ----------
    by
        Aggregate by ``"admin"`` (admin boundaries of the atlas at the most detailed
        ``admin_level`` present, or ``"admin:LEVEL"``), ``"geojson:FILE"`` (user polygons
        with a ``name`` property) or ``"h3:RES"`` (H3 cells at resolution RES). None:
        the whole atlas only.
    samples, seed
        Number of draws of the unknown view parameters (0: none) and the seed.
    completeness
        Share of real cameras that are mapped (0 < completeness <= 1): estimated cameras
        = counted / completeness, stated beside the counted figures.
    kinds
        Surveillance kinds counted (default: all of :data:`camatlas.vocab.KINDS`).
    surveillance
        Surveillance scopes counted (:data:`camatlas.vocab.SURVEILLANCE_SELECTIONS`).
        Default (None): every camera is read, and densities and rankings count the
        street-facing ones (:data:`camatlas.vocab.STREET_FACING`), with the indoor ones
        beside them; given, only cameras of these scopes are read, and all of them count.
    admin_level
        admin_level for ``by="admin"``.
    population, population_key
        CSV with columns ``population_key`` and ``population`` joined to user polygons.
    include_underground
        Count streets below ground or indoors (tunnels, ``layer`` or ``level`` below 0,
        ``indoor=yes``, ``location=underground``; see :func:`camatlas.tags.underground`),
        which street cameras do not see; by default they are left out, and reported.
    rank_by
        Figure the areas are ranked by (largest first), one of :data:`camatlas.vocab.RANK_BY`.
    min_blind_m
        Shortest unwatched stretch reported as a blind spot, metres.
    vendors, flags, as_of, registries
        Count only the cameras of these vendors (registry ids), or of vendors on these
        risk lists (list ids, e.g. ``FCC``) as of the day ``as_of`` (default today; a list
        counts from its date); ``registries``: user registry files over the shipped one
        (:func:`camatlas.vendors.load_registry`). A camera whose vendor is unknown or in
        conflict is not counted by either.
    """

    by: str | None = None
    samples: int = 0
    seed: int = 0
    completeness: float = 1.0
    kinds: tuple[str, ...] | None = None
    surveillance: tuple[str, ...] | None = None
    admin_level: int | None = None
    population: str | None = None
    population_key: str | None = None
    rank_by: str = RANK_BY[0]
    min_blind_m: float = DEFAULT_MIN_BLIND_M
    include_underground: bool = False
    vendors: tuple[str, ...] | None = None
    flags: tuple[str, ...] | None = None
    as_of: str | None = None
    registries: tuple[str, ...] = ()

    def registry(self) -> Registry:
        """The vendor registry the selection by vendor or risk list reads."""
        return load_registry(self.registries)

    def __post_init__(self) -> None:
        if not 0.0 < self.completeness <= 1.0:
            raise InputError("completeness must be a share in (0, 1]", value=self.completeness)
        if self.samples < 0:
            raise InputError("samples must be 0 or more", value=self.samples)
        if self.rank_by not in RANK_BY:
            raise InputError(f"rank by one of {', '.join(RANK_BY)}", value=self.rank_by)
        if not self.min_blind_m >= 0:
            raise InputError(
                "the minimum blind-spot length must be 0 m or more", value=self.min_blind_m
            )
        if self.kinds is not None:
            unknown = sorted(set(self.kinds) - set(KINDS))
            if unknown:
                raise InputError(f"unknown kind; use {', '.join(KINDS)}", value=unknown[0])
        if self.surveillance is not None:
            if not self.surveillance:
                raise InputError(
                    f"choose at least one surveillance scope: {', '.join(SURVEILLANCE_SELECTIONS)}"
                )
            odd = sorted(set(self.surveillance) - set(SURVEILLANCE_SELECTIONS))
            if odd:
                raise InputError(
                    f"unknown surveillance scope; use {', '.join(SURVEILLANCE_SELECTIONS)}",
                    value=odd[0],
                )
        if self.by is not None:
            _parse_by(self.by)
        if self.as_of is not None or self.flags is not None:
            # The day is kept with the result (today's when not given): the same result again.
            object.__setattr__(self, "as_of", as_of_day(self.as_of).isoformat())
        if self.vendors is not None or self.flags is not None:
            registry = self.registry()
            if self.flags is not None:
                if not self.flags:
                    raise InputError("choose at least one risk list", element="--flag")
                object.__setattr__(self, "flags", tuple(registry.check_lists(self.flags)))
            if self.vendors is not None:
                if not self.vendors:
                    raise InputError("choose at least one vendor", element="--vendor")
                chosen = [registry.vendor_id(given) for given in self.vendors]
                object.__setattr__(self, "vendors", tuple(chosen))
        if self.population is not None and (self.by is None or not self.by.startswith("geojson:")):
            raise InputError("--population joins to user polygons: use it with --by geojson:FILE")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as stored with the result layers."""
        out = asdict(self)
        out["kinds"] = None if self.kinds is None else sorted(self.kinds)
        out["surveillance"] = None if self.surveillance is None else sorted(self.surveillance)
        out["vendors"] = None if self.vendors is None else sorted(self.vendors)
        out["flags"] = None if self.flags is None else list(self.flags)
        out["registries"] = list(self.registries)
        return out


@dataclass
class _Areas:
    """Polygons (WGS 84) to aggregate by, with population where known."""

    kind: str  # "atlas", "admin", "polygons" or "h3"
    frame: gpd.GeoDataFrame  # columns id, name, population, [partial,] area_km2, geometry
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
            f"{atlas.url}: the atlas holds no admin areas at admin_level {admin_level}; "
            f"levels it holds: {', '.join(map(str, levels)) or 'none'}. Boundaries cut by "
            "the edge of an imported file are kept (as partial areas) only where the file "
            "tells which side is inside; the import's rejected rows say why the others "
            "were not",
            value=admin_level,
        )
    frame = gpd.GeoDataFrame(
        {
            "id": chosen["id"].astype(str).to_numpy(),
            "name": chosen["name"].to_numpy(),
            "admin_level": chosen["admin_level"].astype("int64").to_numpy(),
            "population": pd.to_numeric(chosen["population"], errors="coerce").to_numpy(),
            "partial": chosen["partial"].to_numpy(dtype=bool),
        },
        geometry=chosen.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    return _Areas("admin", frame, f"admin boundaries at admin_level {admin_level}")


@dataclass
class _Zone:
    """Counted streets of one UTM zone, projected, with their area intervals.

    An atlas may hold several cities far apart; each is measured in its own UTM zone so
    that metres stay metres.
    """

    crs: pyproj.CRS
    rows: IntArray  # positions of the zone's streets among the counted streets
    segments: Segments
    cameras: gpd.GeoDataFrame  # cameras of the zone, every kind counted
    buildings: gpd.GeoDataFrame  # near them, as far as any sampled view reaches
    lines: gpd.GeoSeries  # the zone's streets (metric)
    land: BaseGeometry  # street land (metric)
    area_line: IntArray = field(default_factory=lambda: np.empty(0, np.int64))
    area_start: FloatArray = field(default_factory=lambda: np.empty(0, np.float64))
    area_end: FloatArray = field(default_factory=lambda: np.empty(0, np.float64))
    area_of: IntArray = field(default_factory=lambda: np.empty(0, np.int64))
    views: str = ""  # where the point estimate's views came from


def _zones(
    atlas: Atlas,
    streets: gpd.GeoDataFrame,
    cameras: gpd.GeoDataFrame,
    reach_m: float,
    params: SightParameters,
) -> list[_Zone]:
    """The counted streets of each UTM zone of the atlas's places, with the cameras whose
    views may reach them (of any zone: near a zone border a camera serves both sides) and
    the buildings near those cameras."""
    street_zone = atlas.zoning().line_epsg(streets.geometry.array)
    zones = []
    for code in np.unique(street_zone):
        rows = np.flatnonzero(street_zone == code).astype(np.int64)
        crs = pyproj.CRS.from_epsg(int(code))
        west, south, east, north = expand_bbox(
            streets.geometry.iloc[rows].total_bounds, view_reach_m(reach_m, params)
        )
        here = cameras.cx[west:east, south:north]
        lines = streets.geometry.iloc[rows].to_crs(crs)
        zones.append(
            _Zone(
                crs=crs,
                rows=rows,
                segments=Segments(lines),
                cameras=here,
                buildings=buildings_near(atlas, here, reach_m, params),
                lines=lines,
                land=street_land(lines),
            )
        )
    return zones


def _near_streets(zones: list[_Zone], cameras: gpd.GeoDataFrame) -> npt.NDArray[np.bool_]:
    """Which cameras stand within :data:`~camatlas.vocab.AREA_BUFFER_M` of a counted
    street (measured in the street's zone)."""
    near = np.zeros(len(cameras), dtype=bool)
    position = pd.Series(np.arange(len(cameras)), index=cameras["id"].to_numpy())
    for zone in zones:
        mine = cameras[cameras["id"].isin(zone.cameras["id"])]
        if len(mine) == 0:
            continue
        points = np.asarray(mine.geometry.to_crs(zone.crs).array, dtype=object)
        tree = shapely.STRtree(np.asarray(zone.lines.array, dtype=object))
        hit, _ = tree.query(points, predicate="dwithin", distance=AREA_BUFFER_M)
        near[position[mine["id"].to_numpy()[hit]].to_numpy()] = True
    return near


def _stored_views(atlas: Atlas, zone: _Zone, params: SightParameters) -> gpd.GeoDataFrame | None:
    """The stored views of the zone's cameras when ``camatlas sight`` made them with
    ``params`` and after the last import (every camera has one): the very polygons route
    and exposure use, so a street's watched metres agree between the three."""
    shared = shared_views(atlas)
    if not shared.made_with(params):
        return None
    counted = camera_parameters(zone.cameras, params)["counted"].to_numpy(dtype=bool)
    ids = zone.cameras["id"].to_numpy()[counted].tolist()
    return shared.of_cameras(zone.crs, ids)


def _zone_coverage(
    atlas: Atlas,
    zone: _Zone,
    params: SightParameters,
    per_camera: pd.DataFrame | None,
    progress: Progress | None,
) -> LineCoverage:
    stored = None
    if len(zone.cameras) and per_camera is None:
        stored = _stored_views(atlas, zone, params)
    if stored is not None:
        views = stored
        zone.views = shared_views(atlas).source
    elif len(zone.cameras):
        if per_camera is None:
            zone.views = "computed with the measure's sight parameters"
        views = views_in_zone(
            atlas,
            zone.cameras,
            params,
            zone.crs,
            per_camera=None if per_camera is None else per_camera.loc[zone.cameras.index],
            buildings=zone.buildings,
            progress=progress,
        )
    else:
        views = gpd.GeoDataFrame({"level": [], "physical_id": []}, geometry=[], crs=zone.crs)
    return line_coverage(zone.segments, views, progress)


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


def _tally(zones: list[_Zone], coverages: list[LineCoverage], n_areas: int) -> _Tally:
    street_length = 0.0
    by_union = np.zeros(len(DORI_LEVELS))
    area_watched = [np.zeros(n_areas) for _ in DORI_LEVELS]
    watching: set[str] = set()
    for zone, cov in zip(zones, coverages, strict=True):
        street_length += float(zone.segments.line_length.sum())
        parts = (zone.area_line, zone.area_start, zone.area_end)
        for k, union in enumerate(cov.unions):
            by_union[k] += float((union[2] - union[1]).sum())
            if n_areas and len(zone.area_line):
                metres = overlap_lengths(union, parts, zone.segments.line_length)
                area_watched[k] += np.bincount(zone.area_of, weights=metres, minlength=n_areas)
        if len(cov.pieces.view):
            watching.update(cov.camera[np.unique(cov.pieces.view)].astype(str).tolist())
    return _Tally(street_length, by_union, len(watching), area_watched)


@dataclass
class MeasureResult:
    """What :func:`measure` found.

    Attributes
    ----------
    summary
        Whole-atlas figures (see :func:`measure`).
    streets
        Per counted street (WGS 84): ``id, highway, name`` and the columns of
        :func:`camatlas.coverage.coverage_of_lines` plus ``watched_share``.
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

    def to_dict(self) -> dict[str, Any]:
        """One JSON-ready object: the summary, parameters, uncertainty and area rows."""
        out = dict(self.summary)
        out["parameters"] = self.parameters
        out["uncertainty"] = self.uncertainty
        if self.parameters.get("by"):
            rows = pd.DataFrame(self.by_area.drop(columns="geometry"))
            out["areas"] = [
                {k: json_ready(v) for k, v in row.items()} for row in rows.to_dict("records")
            ]
        return json_ready(out)  # type: ignore[no-any-return]


def measure(
    atlas: Atlas,
    *,
    by: str | None = None,
    sight: SightParameters | None = None,
    samples: int = 0,
    seed: int = 0,
    completeness: float = 1.0,
    kinds: Sequence[str] | None = None,
    surveillance: Sequence[str] | None = None,
    admin_level: int | None = None,
    population: str | Path | None = None,
    population_key: str | None = None,
    rank_by: str = RANK_BY[0],
    min_blind_m: float = DEFAULT_MIN_BLIND_M,
    include_underground: bool = False,
    vendors: Sequence[str] | None = None,
    flags: Sequence[str] | None = None,
    as_of: str | None = None,
    registries: Sequence[str | Path] = (),
    write: bool = True,
    progress: Progress | None = None,
) -> MeasureResult:
    """Street coverage, density, by area, blind spots and their uncertainty for an atlas.

    Every figure counts known cameras only, so it is a lower bound of the real one.

    Parameters
    ----------
    atlas
        The atlas: its cameras, streets, buildings and (for ``by="admin"``) areas.
    by, samples, seed, completeness, kinds, surveillance, admin_level, population, population_key
        What to count and how: see :class:`MeasureParameters`.
    rank_by, min_blind_m, include_underground
        How to rank the areas, the shortest blind spot, and whether to count streets below
        ground: see :class:`MeasureParameters`.
    vendors, flags, as_of, registries
        Count only the cameras of these vendors, or of vendors on these risk lists as of a
        day: see :class:`MeasureParameters`.
    sight
        View parameters (:class:`camatlas.assumptions.SightParameters`): overrides of
        range and width, occlusion, indoor cameras.
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
        each DORI level, ``cameras`` (the physical cameras the densities count in the street
        land: the street-facing ones unless ``surveillance`` is given; ``counted`` says
        which), ``cameras_street_facing`` and ``cameras_indoor`` (both in the street land),
        ``cameras_total`` (physical cameras read, anywhere in the atlas),
        ``camera_records``, ``cameras_watching_streets``, ``area_km2`` (street land),
        ``cameras_per_km2``, ``cameras_per_street_km``, ``drivable_length_m`` (the counted
        streets cars use by default) and ``cameras_per_drivable_km``, ``population``,
        ``population_cameras`` (the cameras of the areas, which it divides) and
        ``cameras_per_1000_residents`` (when every area's population is known and no area
        is partial), with ``by``: ``cameras_in_no_area`` and ``street_length_m_in_no_area``
        (what no area holds) and ``partial_areas`` (areas cut by the edge of their file),
        ``completeness`` and the estimated figures, ``assumptions``, ``views`` (where
        the views came from: the stored ones of ``camatlas sight`` when it made them
        with the same parameters, else computed), ``note`` and ``attribution``.

    Raises
    ------
    InputError
        A parameter is out of range, an area file cannot be read, or the atlas has no
        areas of the kind asked for.
    """
    options = MeasureParameters(
        by=by,
        samples=samples,
        seed=seed,
        completeness=completeness,
        kinds=None if kinds is None else tuple(kinds),
        surveillance=None if surveillance is None else tuple(surveillance),
        admin_level=admin_level,
        population=None if population is None else str(population),
        population_key=population_key,
        rank_by=rank_by,
        min_blind_m=min_blind_m,
        include_underground=include_underground,
        vendors=None if vendors is None else tuple(vendors),
        flags=None if flags is None else tuple(flags),
        as_of=as_of,
        registries=tuple(str(r) for r in registries),
    )
    params = sight if sight is not None else SightParameters()
    records = atlas.cameras()
    if options.kinds is not None:
        records = records[records["kind"].isin(list(options.kinds))]
    if options.vendors is not None or options.flags is not None:
        records = records[_of_vendors(records, options)]
    if options.surveillance is not None:
        records = records[np.isin(surveillance_scope(records), list(options.surveillance))]
    # Density counts every kind asked for, gunshot detectors too, but indoor cameras only
    # when asked for by --surveillance: by default they are reported beside the
    # street-facing ones. Views, and so coverage, come only from the devices sight gives
    # a view (its ``counted``: indoor cameras only with ``include_indoor``).
    base = camera_parameters(records, params)
    physical = physical_cameras(records)
    indoor = surveillance_scope(physical) == "indoor"
    counts = np.ones(len(physical), dtype=bool) if options.surveillance is not None else ~indoor
    every_street = atlas.streets()
    streets = every_street[counted_streets(every_street, include_underground=True)]
    left_out = None
    if not options.include_underground:
        below = underground_streets(streets)
        left_out = _left_out(streets, below)
        streets = streets[pd.isna(below)]
    drivable = np.isin(streets["highway"].astype(str).to_numpy(), sorted(DRIVABLE_HIGHWAYS))
    reach = float(
        np.nanmax(np.r_[base["range_high"].to_numpy(float), base["range_m"].to_numpy(float), 0.0])
    )
    zones = _zones(atlas, streets, records, reach + 1.0, params) if len(streets) else []
    areas = _areas_for(atlas, options, physical, zones)
    if areas is not None:
        for zone in zones:
            projected = np.asarray(areas.frame.geometry.to_crs(zone.crs).array, dtype=object)
            zone.area_line, zone.area_of, zone.area_start, zone.area_end = area_intervals(
                zone.segments, projected
            )
    n_areas = 0 if areas is None else len(areas.frame)

    coverages = []
    for i, zone in enumerate(zones):
        if progress is not None:
            progress(f"views and coverage, zone {i + 1} of {len(zones)}", i, len(zones))
        coverages.append(_zone_coverage(atlas, zone, params, None, progress))
    tally = _tally(zones, coverages, n_areas)
    uncertainty, sampled_area_share = _uncertainty(atlas, zones, base, records, params, options,
                                                   n_areas, progress, tally.totals())  # fmt: skip

    summary, land = _summary(zones, physical, counts, indoor, drivable, records, tally, options)
    by_area = _area_rows(areas, physical, counts, indoor, drivable, tally, zones, land, summary,
                         sampled_area_share)  # fmt: skip
    summary["cameras_in_no_area"] = None
    summary["street_length_m_in_no_area"] = None
    summary["partial_areas"] = None
    if areas is not None:
        summary.update(_outside_areas(areas, physical[counts], zones, tally))
    if areas is not None and areas.kind != "atlas":
        pop = by_area["population"].to_numpy(dtype=np.float64)
        if len(pop) and np.isfinite(pop).all() and not by_area["partial"].any():
            summary["population"] = float(pop.sum())
            summary["population_cameras"] = int(by_area["cameras"].sum())
            summary["cameras_per_1000_residents"] = ratio(
                float(by_area["cameras"].sum()), float(pop.sum()), 1000.0
            )
    summary.setdefault("population", None)
    summary.setdefault("population_cameras", None)
    summary.setdefault("cameras_per_1000_residents", None)
    summary["left_out"] = left_out
    summary["completeness"] = completeness_estimates(summary, options.completeness)
    summary["assumptions"] = assumptions_summary(base, params)
    summary["views"] = "; ".join(dict.fromkeys(z.views for z in zones if z.views)) or None
    by_area = rank(by_area, options.rank_by)
    street_frame = _street_frame(streets, zones, coverages)
    blind = _blind_spots(streets, zones, coverages, options.min_blind_m)
    summary["blind_spots"] = {
        "count": len(blind),
        "length_m": float(blind["length_m"].sum()) if len(blind) else 0.0,
        "min_length_m": options.min_blind_m,
    }
    parameters: dict[str, Any] = {
        **options.to_dict(),
        "sight": params.to_dict(),
        "areas": None if areas is None else areas.description,
        "counted_highways": sorted(COUNTED_HIGHWAYS),
        "area_buffer_m": AREA_BUFFER_M,
    }
    result = MeasureResult(summary, street_frame, by_area, blind, parameters, uncertainty)
    if write:
        stored = dict(parameters, summary=json_ready(summary), uncertainty=json_ready(uncertainty))
        atlas.write_results(
            {
                "street_coverage": _storable(street_frame),
                "measure_by_area": _storable(by_area),
                "blind_spots": blind,
            },
            stored,
        )
    return result


def _outside_areas(
    areas: _Areas, counted: gpd.GeoDataFrame, zones: list[_Zone], tally: _Tally
) -> dict[str, Any]:
    """The counted cameras and street metres that fall in no area, and how many areas are
    partial (cut by the edge of their file)."""
    in_areas = 0.0
    for zone in zones:
        _, start, end = merge_intervals(zone.area_line, zone.area_start, zone.area_end)
        in_areas += float((end - start).sum())
    outside = in_no_area(areas.frame, counted, by_cell=areas.kind == "h3")
    partial = areas.frame["partial"] if "partial" in areas.frame.columns else None
    return {
        "cameras_in_no_area": int(np.count_nonzero(outside)),
        "street_length_m_in_no_area": max(tally.street_length_m - in_areas, 0.0),
        "partial_areas": 0 if partial is None else int(partial.sum()),
    }


def _left_out(streets: gpd.GeoDataFrame, below: npt.NDArray[np.object_]) -> dict[str, Any]:
    """What the street length leaves out of the counted ``streets``: those below ground or
    indoors (``below``: the tag that says so, per street)."""
    gone = pd.notna(below)
    tags = pd.Series(below[gone], dtype=object).value_counts()
    return {
        "streets": int(gone.sum()),
        "length_m": float(geodesic_length_m(streets.geometry.array[gone]).sum()),
        "by_tag": {str(k): int(v) for k, v in tags.items()},
        "why": (
            "below ground or indoors (tunnels, layer or level below 0, indoor=yes, "
            "location=underground): street cameras do not see them; --include-underground "
            "counts them"
        ),
    }


def _uncertainty(
    atlas: Atlas,
    zones: list[_Zone],
    base: pd.DataFrame,
    records: gpd.GeoDataFrame,
    params: SightParameters,
    options: MeasureParameters,
    n_areas: int,
    progress: Progress | None,
    point: dict[str, float],
) -> tuple[dict[str, Any] | None, list[FloatArray]]:
    """Median and 5-95 % range of the coverage figures over ``options.samples`` draws of
    the unknown view parameters, and each draw's watched metres per area.

    Each figure's range is given with the ``point`` figure (the defaults' values) and
    whether it lies inside; ``point_outside`` lists those outside and ``why`` explains."""
    if not options.samples:
        return None, []
    rng = np.random.default_rng(options.seed)
    runs: list[dict[str, float]] = []
    sampled_area_share: list[FloatArray] = []
    for s in range(options.samples):
        if progress is not None:
            progress("uncertainty samples", s, options.samples)
        drawn = sampled_parameters(base, records, rng)
        covs = [_zone_coverage(atlas, z, params, drawn, None) for z in zones]
        run = _tally(zones, covs, n_areas)
        runs.append(run.totals())
        if n_areas:
            sampled_area_share.append(run.area_watched[-1])
    if progress is not None:
        progress("uncertainty samples", options.samples, options.samples)
    uncertainty = {
        "samples": options.samples,
        "seed": options.seed,
        "method": (
            "range_m and width_deg of each camera drawn uniformly within the plausible "
            "interval of camatlas.assumptions.camera_parameters() where the value came from "
            "a default; values from tags or overrides fixed"
        ),
    }
    outside = []
    for key in runs[0]:
        figure: dict[str, Any] = percentiles([r[key] for r in runs])
        value = float(point[key])
        figure["point"] = value
        inside = figure["p5"] - 1e-9 * abs(value) <= value <= figure["p95"] + 1e-9 * abs(value)
        figure["point_in_range"] = bool(inside) if np.isfinite(value) else None
        if figure["point_in_range"] is False:
            outside.append(key)
        uncertainty[key] = figure
    uncertainty["point_outside"] = outside
    uncertainty["why"] = POINT_OUTSIDE_RANGE if outside else None
    return uncertainty, sampled_area_share


POINT_OUTSIDE_RANGE = (
    "the point figure uses each default's typical value, the draws the whole plausible interval "
    "around it, which is not centred on it (a 30 m default range is drawn from 15-50 m) and "
    "coverage grows faster than range: over many cameras the draws' range narrows around their "
    "own median and can leave the point figure outside it. Both are figures for known cameras "
    "with unknown parameters; the range says how much the unknown parameters matter"
)
"""Why the point figure of :func:`measure` may lie outside its 5-95 % range."""


def _summary(
    zones: list[_Zone],
    physical: gpd.GeoDataFrame,
    counts: npt.NDArray[np.bool_],
    indoor: npt.NDArray[np.bool_],
    drivable: npt.NDArray[np.bool_],
    records: gpd.GeoDataFrame,
    tally: _Tally,
    options: MeasureParameters,
) -> tuple[dict[str, Any], BaseGeometry]:
    """The whole-atlas figures (coverage, street land and the cameras in it) and the
    street land (WGS 84). ``counts`` marks the physical cameras densities count,
    ``indoor`` those tagged indoor, ``drivable`` the counted streets cars use."""
    land_parts = [
        gpd.GeoSeries([z.land], crs=z.crs).to_crs(4326).iloc[0]
        for z in zones
        if not z.land.is_empty
    ]
    land = shapely.union_all(land_parts) if land_parts else shapely.Polygon()
    area_km2 = float(geodesic_area_km2([land])[0])
    near = _near_streets(zones, physical)
    cameras_in_land = int(np.count_nonzero(near))
    counted_in_land = int(np.count_nonzero(near & counts))
    totals = tally.totals()
    street_km = tally.street_length_m / 1000.0
    drivable_m = float(sum(z.segments.line_length[drivable[z.rows]].sum() for z in zones))
    if options.surveillance is None:
        counting = "street-facing cameras: every camera not tagged surveillance=indoor"
    else:
        counting = f"cameras of surveillance scopes {', '.join(sorted(options.surveillance))}"
    selection = _vendor_selection(options)
    summary = {
        "note": KNOWN_CAMERAS_ONLY,
        "attribution": DATA_ATTRIBUTION,
        "street_length_m": tally.street_length_m,
        "streets": int(sum(len(z.rows) for z in zones)),
        "watched_length_m": totals["watched_length_m"],
        "watched_share": totals["watched_share"],
        "watched_m_per_street_km": totals["watched_m_per_street_km"],
        **{f"watched_m_{lv}": totals[f"watched_m_{lv}"] for lv in DORI_LEVELS},
        "cameras": counted_in_land,
        "counted": counting,
        "selection": selection,
        "cameras_street_facing": int(np.count_nonzero(near & ~indoor)),
        "cameras_indoor": int(np.count_nonzero(near & indoor)),
        "cameras_total": len(physical),
        "cameras_outside_area": len(physical) - cameras_in_land,
        "camera_records": len(records),
        "cameras_watching_streets": int(totals["cameras_watching_streets"]),
        "counting": (
            "physical cameras: records of different sources linked as one camera count once"
        ),
        "kinds": sorted(set(records["kind"].dropna()))
        if options.kinds is None
        else sorted(options.kinds),
        "area_km2": area_km2,
        "area_definition": (
            f"street land: land within {AREA_BUFFER_M:g} m of a counted street, cut to the "
            "convex hull of each cluster of streets; cameras: those within "
            f"{AREA_BUFFER_M:g} m of a counted street"
        ),
        "cameras_per_km2": ratio(counted_in_land, area_km2),
        "cameras_per_street_km": ratio(counted_in_land, street_km),
        "drivable_length_m": drivable_m,
        "cameras_per_drivable_km": ratio(counted_in_land, drivable_m / 1000.0),
    }
    return summary, land


def _of_vendors(records: gpd.GeoDataFrame, options: MeasureParameters) -> npt.NDArray[np.bool_]:
    """Which camera records are of the vendors, or of vendors on the lists, asked for."""
    registry = options.registry()
    found = vendor_frame(records["tags"], registry, options.as_of)
    keep = np.ones(len(records), dtype=bool)
    if options.vendors is not None:
        keep &= found["vendor"].isin(list(options.vendors)).to_numpy()
    if options.flags is not None:
        wanted = set(options.flags)
        keep &= np.fromiter((bool(wanted & set(f)) for f in found["flags"]), bool, len(found))
    return keep


def _vendor_selection(options: MeasureParameters) -> str:
    """The selection by vendor or risk list in words, or ""."""
    parts = []
    if options.vendors is not None:
        parts.append(f"only cameras of the vendors {', '.join(options.vendors)}")
    if options.flags is not None:
        registry = options.registry()
        named = ", ".join(
            f"{registry.lists[f].name} ({registry.lists[f].date.text})" for f in options.flags
        )
        parts.append(f"only cameras of vendors on {named}, as of {options.as_of}")
    return "; ".join(parts)


def _areas_for(
    atlas: Atlas, options: MeasureParameters, physical: gpd.GeoDataFrame, zones: list[_Zone]
) -> _Areas | None:
    if options.by is None:
        return None
    kind, arg = _parse_by(options.by)
    if kind == "admin":
        return _admin_areas(atlas, arg, options.admin_level)
    if kind == "geojson":
        if not arg:
            raise InputError("--by geojson:FILE needs a file name", value=options.by)
        polygons = read_polygons(
            arg, population=options.population, population_key=options.population_key
        )
        return _Areas("polygons", polygons, f"polygons from {Path(arg).name}")
    res = h3_resolution(arg)
    step = h3_street_step_m(res)
    points = [np.empty((0, 2))]
    for zone in zones:
        dense = shapely.segmentize(np.asarray(zone.lines.array, dtype=object), step)
        xy = shapely.get_coordinates(dense)
        to_wgs84 = pyproj.Transformer.from_crs(zone.crs, 4326, always_xy=True)
        points.append(np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1])))
    cells = h3_cells(res, physical, np.vstack(points))
    return _Areas("h3", cells, f"H3 cells at resolution {res}")


def _area_rows(
    areas: _Areas | None,
    physical: gpd.GeoDataFrame,
    counts: npt.NDArray[np.bool_],
    indoor: npt.NDArray[np.bool_],
    drivable: npt.NDArray[np.bool_],
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
        frame["cameras_indoor"] = summary["cameras_indoor"]
        frame["street_length_m"] = summary["street_length_m"]
        frame["drivable_length_m"] = summary["drivable_length_m"]
        for level in DORI_LEVELS:
            frame[f"watched_m_{level}"] = summary[f"watched_m_{level}"]
        frame["watched_length_m"] = summary["watched_length_m"]
    else:
        frame = areas.frame.copy()
        n = len(frame)
        if "area_km2" not in frame.columns:
            frame["area_km2"] = geodesic_area_km2(frame.geometry.array)
        by_cell = areas.kind == "h3"
        frame["cameras"] = cameras_per_area(areas.frame, physical[counts], by_cell=by_cell)
        frame["cameras_indoor"] = cameras_per_area(areas.frame, physical[indoor], by_cell=by_cell)
        length = np.zeros(n)
        drivable_length = np.zeros(n)
        for zone in zones:
            metres = zone.area_end - zone.area_start
            length += np.bincount(zone.area_of, weights=metres, minlength=n)
            on_road = drivable[zone.rows][zone.area_line]
            drivable_length += np.bincount(
                zone.area_of[on_road], weights=metres[on_road], minlength=n
            )
        frame["street_length_m"] = length
        frame["drivable_length_m"] = drivable_length
        previous = np.zeros(n)
        for level, covered in zip(DORI_LEVELS, tally.area_watched, strict=True):
            frame[f"watched_m_{level}"] = covered - previous
            previous = covered
        frame["watched_length_m"] = tally.area_watched[-1]
        if areas.kind == "h3":
            # neighbours added to catch corners that hold neither street nor camera
            frame = frame[
                (frame["street_length_m"] > 0)
                | (frame["cameras"] > 0)
                | (frame["cameras_indoor"] > 0)
            ]
            sampled_watched = [w[frame.index.to_numpy()] for w in sampled_watched]
    if "partial" not in frame.columns:
        frame["partial"] = False
    whole = ~frame["partial"].to_numpy(dtype=bool)
    # A partial area holds only the part of it inside the data: its counts are of that
    # part, and no density is given for it, as it would read as the whole area's.
    cams = np.where(whole, frame["cameras"].to_numpy(dtype=np.float64), np.nan)
    length_m = frame["street_length_m"].to_numpy(dtype=np.float64)
    frame["watched_share"] = ratio(frame["watched_length_m"].to_numpy(dtype=np.float64), length_m)
    frame["watched_m_per_street_km"] = 1000.0 * frame["watched_share"]
    frame["cameras_per_km2"] = ratio(cams, frame["area_km2"].to_numpy(dtype=np.float64))
    frame["cameras_per_street_km"] = ratio(cams, length_m / 1000.0)
    frame["cameras_per_drivable_km"] = ratio(
        cams, frame["drivable_length_m"].to_numpy(dtype=np.float64) / 1000.0
    )
    frame["cameras_per_1000_residents"] = ratio(
        cams, frame["population"].to_numpy(dtype=np.float64), 1000.0
    )
    if sampled_watched:
        shares = np.vstack([ratio(w, length_m) for w in sampled_watched])
        with np.errstate(all="ignore"):
            p5, median, p95 = np.nanpercentile(shares, [5, 50, 95], axis=0)
        frame["watched_share_p5"] = p5
        frame["watched_share_median"] = median
        frame["watched_share_p95"] = p95
    return frame


def _street_frame(
    streets: gpd.GeoDataFrame, zones: list[_Zone], coverages: list[LineCoverage]
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
    out["watched_share"] = ratio(
        out["watched_m"].to_numpy(dtype=np.float64), out["length_m"].to_numpy(dtype=np.float64)
    )
    return out


def _blind_spots(
    streets: gpd.GeoDataFrame,
    zones: list[_Zone],
    coverages: list[LineCoverage],
    min_length_m: float,
) -> gpd.GeoDataFrame:
    frames = []
    for zone, cov in zip(zones, coverages, strict=True):
        line, start, end = interval_gaps(cov.unions[-1], zone.segments.line_length)
        keep = (end - start >= min_length_m) & (end - start > TOLERANCE_M)
        line, start, end = line[keep], start[keep], end[keep]
        geoms = stretches(zone.segments, line, start, end)
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
