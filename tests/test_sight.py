"""Fields of view: wedges and discs, occlusion by buildings, DORI bands, the sight command.

Scenes are built in metres around a point near Porto (UTM zone 29N) and
handed to camatlas in WGS 84, as the atlas holds them.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import camatlas
from camatlas.assumptions import WALL_OFFSET_M, SightParameters, camera_parameters, dori_distances
from camatlas.errors import InputError
from camatlas.geo import local_crs
from camatlas.records import Building, Camera, Direction, SourceData
from camatlas.views import compute_views, summarize
from camatlas.vocab import DORI_LEVELS, LEVELS
from tests.cli import run_camatlas

UTM = pyproj.CRS.from_epsg(32629)
ORIGIN = (532_000.0, 4_555_000.0)  # metres in UTM 29N, in Porto
_TO_WGS84 = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """WGS 84 of the point (x, y) metres east and north of ORIGIN."""
    lon, lat = _TO_WGS84.transform(ORIGIN[0] + x, ORIGIN[1] + y)
    return float(lon), float(lat)


def scene_cameras(*specs: dict[str, Any]) -> gpd.GeoDataFrame:
    """Cameras at (x, y) metres from ORIGIN; other keys are camera columns."""
    rows = []
    points = []
    for i, spec in enumerate(specs):
        spec = dict(spec)
        x, y = spec.pop("x"), spec.pop("y")
        row = {"id": f"cam{i}", "physical_id": f"cam{i}", "kind": "camera",
               "camera_type": "fixed", "directions": "", "width_deg": None, "range_m": None,
               "surveillance": None, "zone": None, "mount": None, "operator": None}  # fmt: skip
        row.update(spec)
        rows.append(row)
        points.append(shapely.Point(*lonlat(x, y)))
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=points, crs=4326)


def scene_buildings(*polygons: shapely.Polygon) -> gpd.GeoDataFrame:
    """Footprints given in metres from ORIGIN."""
    moved = [shapely.affinity.translate(p, *ORIGIN) for p in polygons]
    series = gpd.GeoSeries(moved, crs=UTM).to_crs(4326)
    return gpd.GeoDataFrame({"id": [f"b{i}" for i in range(len(moved))]}, geometry=series)


def views_of(
    cams: gpd.GeoDataFrame,
    blds: gpd.GeoDataFrame | None = None,
    params: SightParameters | None = None,
) -> gpd.GeoDataFrame:
    blds = blds if blds is not None else scene_buildings()
    return compute_views(cams, blds, params or SightParameters(), crs=UTM)


def local(geom: Any) -> Any:
    """A result geometry moved back to metres from ORIGIN."""
    return shapely.affinity.translate(geom, -ORIGIN[0], -ORIGIN[1])


def view(frame: gpd.GeoDataFrame, camera: str = "cam0", level: str = "view") -> Any:
    rows = frame[(frame["camera_id"] == camera) & (frame["level"] == level)]
    assert len(rows) == 1, f"{len(rows)} rows for {camera} {level}"
    return local(rows.geometry.iloc[0])


def at_bearing(bearing: float, distance: float, x: float = 0.0, y: float = 0.0) -> shapely.Point:
    rad = math.radians(bearing)
    return shapely.Point(x + distance * math.sin(rad), y + distance * math.cos(rad))


def bearing_of(point: shapely.Point, x: float = 0.0, y: float = 0.0) -> float:
    return math.degrees(math.atan2(point.x - x, point.y - y)) % 360.0


# --- wedges and discs ------------------------------------------------------------------


def test_quarter_wedge_area_within_half_a_percent_of_the_circle() -> None:
    cams = scene_cameras(dict(x=0, y=0, directions="45", width_deg=90.0, range_m=10.0))
    area = view(views_of(cams)).area
    exact = math.pi * 100 / 4
    assert area <= exact  # the arc is an inscribed polygon
    assert abs(area - exact) / exact < 0.005


def test_heading_zero_is_centred_on_north() -> None:
    cams = scene_cameras(dict(x=0, y=0, directions="0", width_deg=60.0, range_m=20.0))
    v = view(views_of(cams))
    assert v.contains(shapely.Point(0, 10))
    assert not v.contains(shapely.Point(0, -10))
    assert not v.contains(shapely.Point(10, 0))
    assert v.contains(at_bearing(25, 10)) and v.contains(at_bearing(335, 10))
    assert not v.contains(at_bearing(35, 10)) and not v.contains(at_bearing(325, 10))
    assert abs(v.centroid.x) < 1e-6 and v.centroid.y > 10


def test_range_wrapping_past_north_covers_the_clockwise_sweep() -> None:
    cams = scene_cameras(dict(x=0, y=0, directions="190-100", width_deg=10.0, range_m=20.0))
    frame = views_of(cams)
    v = view(frame)
    for bearing in (186, 200, 300, 0, 90, 104):
        assert v.contains(at_bearing(bearing, 10)), bearing
    for bearing in (110, 150, 180):
        assert not v.contains(at_bearing(bearing, 10)), bearing
    assert not frame["full_circle"].iloc[0]


def test_dome_and_unknown_direction_get_full_discs() -> None:
    cams = scene_cameras(
        dict(x=0, y=0, camera_type="dome", directions="90"),
        dict(x=500, y=0, camera_type="unknown", directions=""),
        dict(x=1000, y=0, camera_type="fixed", directions="90"),
    )
    frame = views_of(cams, params=SightParameters(range_m=20.0))
    rows = frame[frame["level"] == "view"].set_index("camera_id")
    assert rows.loc["cam0", "full_circle"] and rows.loc["cam0", "direction_known"]
    assert rows.loc["cam1", "full_circle"] and not rows.loc["cam1", "direction_known"]
    assert not rows.loc["cam2", "full_circle"]
    for cam, cx in (("cam0", 0), ("cam1", 500)):
        v = view(frame, cam)
        for bearing in range(0, 360, 30):
            assert v.contains(at_bearing(bearing, 15, cx)), (cam, bearing)
    assert not view(frame, "cam2").contains(at_bearing(270, 15, 1000))


def test_several_directions_give_several_wedges() -> None:
    cams = scene_cameras(dict(x=0, y=0, directions="90;270", width_deg=40.0, range_m=20.0))
    v = view(views_of(cams))
    assert v.contains(shapely.Point(10, 0)) and v.contains(shapely.Point(-10, 0))
    assert not v.contains(shapely.Point(0, 10)) and not v.contains(shapely.Point(0, -10))
    assert v.area == pytest.approx(2 * 40 / 360 * math.pi * 400, rel=0.005)


def test_a_tagged_sweep_bounds_a_dome() -> None:
    cams = scene_cameras(
        dict(x=0, y=0, camera_type="dome", directions="0-90", width_deg=20.0, range_m=20.0)
    )
    frame = views_of(cams)
    v = view(frame)
    assert not frame["full_circle"].iloc[0]
    assert v.contains(at_bearing(45, 10)) and not v.contains(at_bearing(200, 10))
    assert v.area == pytest.approx(110 / 360 * math.pi * 400, rel=0.005)


# --- occlusion -----------------------------------------------------------------------------


def test_the_shadow_behind_a_wall_is_excluded_exactly() -> None:
    wall = shapely.box(-5, 10, 5, 11)
    cams = scene_cameras(dict(x=0, y=0, camera_type="dome", range_m=30.0, width_deg=90.0))
    frame = views_of(cams, scene_buildings(wall))
    v = view(frame)
    open_view = view(views_of(cams))
    # The shadow: everything farther than the wall's front edge between the rays through its ends.
    far = 100.0
    shadow = shapely.Polygon([(-5, 10), (5, 10), (far / 2, far), (-far / 2, far)])
    expected = open_view.difference(shadow)
    assert v.symmetric_difference(expected).area < 1e-6
    for point in [(0, 15), (3, 20), (0, 10.5), (5.8, 12), (-5.8, 12), (0, 29)]:
        assert not v.contains(shapely.Point(point)), point
    for point in [(0, 9.9), (6.2, 12), (-6.2, 12), (8, 15), (-9, 14), (0, -20)]:
        assert v.contains(shapely.Point(point)), point


def test_a_camera_on_its_own_wall_sees_outward_only() -> None:
    house = shapely.box(0, 0, 20, 10)
    blds = scene_buildings(house)
    for x, y in ((10, 10.4), (10, 9.6), (10, 10.0), (10, 6.0)):
        cams = scene_cameras(dict(x=x, y=y, camera_type="dome", range_m=30.0))
        frame = views_of(cams, blds)
        v = view(frame)
        assert frame["on_wall"].iloc[0]
        assert v.intersection(house).area < 1e-6, (x, y)
        assert not v.contains(shapely.Point(10, -5)), (x, y)  # behind the house
        assert not v.contains(shapely.Point(25, 5)), (x, y)  # seen only through the house
        assert v.contains(shapely.Point(10, 20)), (x, y)
        assert v.contains(shapely.Point(25, 12)), (x, y)
        # About half the disc, as seen from WALL_OFFSET_M outside the north wall.
        assert v.area == pytest.approx(view(views_of(cams)).area / 2, rel=0.02)


def test_a_corner_camera_sees_three_quarters() -> None:
    house = shapely.box(0, 0, 20, 10)
    cams = scene_cameras(dict(x=20.3, y=10.3, camera_type="dome", range_m=30.0))
    v = view(views_of(cams, scene_buildings(house)))
    assert v.intersection(house).area < 1e-6
    assert v.area == pytest.approx(view(views_of(cams)).area * 0.75, rel=0.02)


def test_a_wall_mounted_camera_is_moved_just_outside_its_wall() -> None:
    cams = scene_cameras(dict(x=10, y=9.0, directions="0", width_deg=90.0, range_m=20.0))
    v = view(views_of(cams, scene_buildings(shapely.box(0, 0, 20, 10))))
    apex = min(shapely.get_coordinates(v), key=lambda c: c[1])
    assert apex == pytest.approx((10, 10 + WALL_OFFSET_M), abs=1e-6)


def test_overlapping_footprints_occlude_like_their_union() -> None:
    a = shapely.box(-6, 10, 2, 13)
    b = shapely.affinity.rotate(shapely.box(-1, 9, 7, 12), 20)
    cams = scene_cameras(dict(x=0, y=0, camera_type="dome", range_m=25.0))
    apart = view(views_of(cams, scene_buildings(a, b)))
    merged = view(views_of(cams, scene_buildings(shapely.union(a, b))))
    assert apart.symmetric_difference(merged).area < 1e-6
    assert apart.is_valid


def textbook_view(
    x: float, y: float, heading: float | None, width: float, range_m: float,
    polygons: list[shapely.Polygon],
) -> Any:  # fmt: skip
    """The range polygon (vertices every 5 degrees) minus the shadow of every footprint edge."""
    if heading is None:
        angles = np.radians(np.arange(0.0, 360.0, 5.0))
        ring = np.column_stack([x + range_m * np.cos(angles), y + range_m * np.sin(angles)])
    else:
        n = math.ceil(width / 5.0 - 1e-9)
        angles = np.radians(90.0 - (heading + width / 2.0) + width * np.arange(n + 1) / n)
        arc = np.column_stack([x + range_m * np.cos(angles), y + range_m * np.sin(angles)])
        ring = np.vstack([[x, y], arc])
    shadows = []
    far = 50.0 * range_m
    for polygon in polygons:
        coords = shapely.get_coordinates(polygon.exterior)
        for (ax, ay), (bx, by) in itertools.pairwise(coords):
            fa, fb = math.atan2(ay - y, ax - x), math.atan2(by - y, bx - x)
            fm = fa + ((fb - fa + math.pi) % (2 * math.pi) - math.pi) / 2
            quad = shapely.Polygon([
                (ax, ay), (bx, by), (x + far * math.cos(fb), y + far * math.sin(fb)),
                (x + far * math.cos(fm), y + far * math.sin(fm)),
                (x + far * math.cos(fa), y + far * math.sin(fa)),
            ])  # fmt: skip
            if quad.is_valid:
                shadows.append(quad)
    return shapely.Polygon(ring).difference(shapely.union_all(shadows))


def test_views_equal_the_textbook_construction_on_random_scenes() -> None:
    rng = np.random.default_rng(2024)
    for scene in range(25):
        polys = [box(tuple(v)) for v in rng.uniform([-30, -30, 2, 2, 0], [30, 30, 14, 14, 90],
                                                    size=(int(rng.integers(1, 9)), 5))]  # fmt: skip
        while True:  # a camera clear of the buildings (the wall rule would move it)
            x, y = rng.uniform(-30, 30, 2)
            if all(p.distance(shapely.Point(x, y)) > 1.5 for p in polys):
                break
        heading = None if scene % 3 == 0 else float(rng.integers(0, 360))
        width, range_m = float(rng.uniform(20, 160)), float(rng.uniform(8, 45))
        direction = "" if heading is None else str(int(heading))
        cams = scene_cameras(
            dict(x=float(x), y=float(y), directions=direction, width_deg=width, range_m=range_m)
        )
        mine = view(views_of(cams, scene_buildings(*polys)))
        blds = gpd.GeoSeries(scene_buildings(*polys).geometry).to_crs(UTM)
        exact = textbook_view(x, y, heading, width, range_m, [local(g) for g in blds])
        assert mine.is_valid
        assert mine.symmetric_difference(exact).area <= 1e-7 * max(exact.area, 1.0), scene


def test_no_occlusion_ignores_buildings() -> None:
    cams = scene_cameras(dict(x=0, y=0, camera_type="dome", range_m=30.0))
    blds = scene_buildings(shapely.box(-5, 10, 5, 11))
    free = views_of(cams, blds, SightParameters(occlusion=False))
    assert view(free).symmetric_difference(view(views_of(cams))).area < 1e-6
    assert not free["on_wall"].iloc[0]


# --- DORI bands ----------------------------------------------------------------------------


def test_dori_distances_at_known_numbers() -> None:
    d = dori_distances(90.0, 1920)
    assert d["identification"] == pytest.approx(1920 / (2 * 250))
    assert d["recognition"] == pytest.approx(7.68)
    assert d["observation"] == pytest.approx(15.36)
    assert d["detection"] == pytest.approx(38.4)
    assert dori_distances(60.0, 1280)["detection"] == pytest.approx(
        1280 / (2 * math.tan(math.radians(30)) * 25)
    )


def test_dori_bands_follow_the_distances() -> None:
    cams = scene_cameras(dict(x=0, y=0, directions="0", width_deg=90.0, range_m=100.0))
    frame = views_of(cams)
    d = dori_distances(90.0, 1920)
    apex = shapely.Point(0, 0)
    inner = 0.0
    for level in DORI_LEVELS:
        band = view(frame, level=level)
        corners = shapely.points(shapely.get_coordinates(band))
        outer = 100.0 if level == "detection" else d[level]
        assert shapely.distance(apex, corners).max() == pytest.approx(outer, rel=1e-6)
        assert band.hausdorff_distance(apex) == pytest.approx(outer, rel=1e-6)
        assert shapely.distance(apex, band) == pytest.approx(inner * math.cos(math.radians(2.5)),
                                                             rel=0.01)  # fmt: skip
        inner = outer


def test_a_lower_resolution_shrinks_the_identification_band() -> None:
    cams = scene_cameras(dict(x=0, y=0, directions="0", width_deg=90.0, range_m=50.0))
    hd = view(views_of(cams), level="identification").area
    low = view(views_of(cams, params=SightParameters(resolution_px=960)), level="identification")
    assert low.area == pytest.approx(hd / 4, rel=1e-6)


def dori_partition_holds(frame: gpd.GeoDataFrame) -> None:
    for cam, rows in frame.groupby("camera_id"):
        whole = rows[rows["level"] == "view"].geometry.iloc[0]
        bands = rows[rows["level"] != "view"].geometry.to_numpy()
        assert set(rows["level"]) <= set(LEVELS)
        total = float(shapely.area(bands).sum())
        assert total == pytest.approx(whole.area, rel=1e-6, abs=1e-9), cam
        assert shapely.union_all(bands).symmetric_difference(whole).area <= 1e-6 * whole.area
        for i in range(len(bands)):
            for j in range(i + 1, len(bands)):
                assert shapely.intersection(bands[i], bands[j]).area <= 1e-9 * whole.area


def test_dori_bands_are_disjoint_and_make_up_the_view() -> None:
    blds = scene_buildings(
        shapely.box(-5, 6, 5, 8), shapely.box(8, -3, 10, 12), shapely.box(-30, -40, 30, -38),
        shapely.affinity.rotate(shapely.box(-20, 10, -12, 20), 30),
    )  # fmt: skip
    cams = scene_cameras(
        dict(x=0, y=0, camera_type="dome"),
        dict(x=1, y=-5, directions="30", width_deg=100.0, range_m=60.0),
        dict(x=-3, y=3, directions="190-100"),
        dict(x=0, y=8.3, camera_type="panning"),
    )
    frame = views_of(cams, blds)
    assert set(frame["camera_id"]) == {"cam0", "cam1", "cam2", "cam3"}
    assert shapely.is_valid(frame.geometry).all()
    dori_partition_holds(frame)


def test_summary_counts_overlaps_once() -> None:
    cams = scene_cameras(
        dict(x=0, y=0, camera_type="dome", range_m=10.0),
        dict(x=5, y=0, camera_type="dome", range_m=10.0),
        dict(x=100, y=0, directions="0", range_m=10.0, width_deg=90.0),
    )
    frame = views_of(cams)
    summary = summarize(frame, by_level=True)
    assert summary["cameras"] == summary["cameras_with_views"] == 3
    assert summary["full_circle"] == 2 and summary["assumed"] == 2
    whole = shapely.union_all(frame[frame["level"] == "view"].geometry.to_numpy())
    assert summary["area_km2"] == pytest.approx(whole.area / 1e6, rel=1e-9)
    assert summary["area_km2"] < frame[frame["level"] == "view"].area.sum() / 1e6
    assert sum(summary["area_by_level_km2"].values()) == pytest.approx(summary["area_km2"],
                                                                       rel=1e-6)  # fmt: skip
    plain = summarize(frame)
    assert plain["area_by_level_km2"] is None
    assert plain["area_km2"] == pytest.approx(summary["area_km2"], rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_summary_areas_equal_plain_unions_of_every_view_and_level(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Clusters of overlapping cameras, pairs, and cameras alone.
    cams = scene_cameras(*[
        dict(x=float(x), y=float(y), camera_type=str(rng.choice(["dome", "fixed"])),
             directions=str(int(rng.integers(0, 360))), range_m=float(rng.uniform(8, 40)))
        for x, y in rng.uniform(0, 300, (40, 2))
    ])  # fmt: skip
    frame = views_of(cams)
    summary = summarize(frame, by_level=True)
    geoms, levels = frame.geometry.to_numpy(), frame["level"].to_numpy()
    whole = shapely.union_all(geoms[levels == "view"])
    assert summary["area_km2"] == pytest.approx(whole.area / 1e6, rel=1e-9)
    finer = shapely.Polygon()
    for level in ("identification", "recognition", "observation", "detection"):
        union = shapely.union_all(geoms[levels == level])
        best = shapely.difference(union, finer).area / 1e6
        assert summary["area_by_level_km2"][level] == pytest.approx(best, rel=1e-9, abs=1e-12)
        finer = shapely.union(finer, union)


# --- parameters and overrides --------------------------------------------------------------


def test_defaults_come_from_type_zone_and_mount_and_tags_win() -> None:
    cams = scene_cameras(
        dict(x=0, y=0, camera_type="panning"),
        dict(x=0, y=0, camera_type="fixed", zone="traffic"),
        dict(x=0, y=0, camera_type="fixed", mount="pole"),
        dict(x=0, y=0, camera_type="fixed", range_m=12.0, width_deg=33.0),
        dict(x=0, y=0, camera_type="dome", zone="town;traffic"),
        dict(x=0, y=0, kind="alpr", directions="10"),
    )
    table = camera_parameters(cams, SightParameters())
    assert list(table["range_m"]) == [100.0, 60.0, 40.0, 12.0, 60.0, 30.0]
    assert list(table["width_deg"]) == [60.0, 80.0, 80.0, 33.0, 90.0, 30.0]
    assert table["range_source"].iloc[0] == "default: camera_type=panning"
    assert table["range_source"].iloc[3] == "tag" and table["width_source"].iloc[3] == "tag"
    assert (table["range_low"] < table["range_m"]).iloc[[0, 1, 2, 4, 5]].all()
    assert (table["range_high"] > table["range_m"]).iloc[[0, 1, 2, 4, 5]].all()
    assert table["range_low"].iloc[3] == table["range_high"].iloc[3] == 12.0


def test_overrides_take_effect_and_are_stored_with_the_result(tmp_path: Path) -> None:
    params = SightParameters(range_m=12.0, width_deg=45.0)
    cams = scene_cameras(dict(x=0, y=0, directions="0", range_m=50.0, width_deg=90.0))
    table = camera_parameters(cams, params)
    assert table.loc[0, "range_m"] == 12.0 and table.loc[0, "range_source"] == "override"
    assert table.loc[0, "width_low"] == table.loc[0, "width_high"] == 45.0
    frame = views_of(cams, params=params)
    assert view(frame).area == pytest.approx(45 / 360 * math.pi * 144, rel=0.005)
    assert (frame["range_m"] == 12.0).all() and (frame["width_deg"] == 45.0).all()

    with camatlas.open_atlas(tmp_path / "a.gpkg") as atlas:
        atlas.import_data(scene_source(cams), sha256="overrides")
        camatlas.sight(atlas, params)
        stored = atlas.results().set_index("name")
        for layer in ("views", "view_zones"):
            parameters = stored.loc[layer, "parameters"]
            assert parameters["range_m"] == 12.0 and parameters["width_deg"] == 45.0
            assert parameters["crs"] == "EPSG:32629"
            assert parameters["resolution_px"] == 1920
        assert atlas.result("views")["range_m"].tolist() == [12.0]


def test_sampled_per_camera_values_replace_the_parameters() -> None:
    cams = scene_cameras(dict(x=0, y=0, directions="0"), dict(x=100, y=0, camera_type="dome"))
    table = camera_parameters(cams, SightParameters())
    sampled = table.assign(range_m=[5.0, 7.0], width_deg=[20.0, 50.0])
    frame = compute_views(cams, scene_buildings(), SightParameters(), crs=UTM, per_camera=sampled)
    assert view(frame, "cam0").area == pytest.approx(20 / 360 * math.pi * 25, rel=0.005)
    assert view(frame, "cam1").area == pytest.approx(math.pi * 49, rel=0.005)
    with pytest.raises(InputError, match="range_m"):
        compute_views(cams, scene_buildings(), SightParameters(), crs=UTM,
                      per_camera=sampled.assign(range_m=[5.0, -1.0]))  # fmt: skip


def test_indoor_cameras_have_views_only_when_included() -> None:
    cams = scene_cameras(
        dict(x=0, y=0, surveillance="indoor"),
        dict(x=50, y=0, surveillance="public"),
        dict(x=90, y=0, kind="gunshot_detector"),
    )
    assert list(camera_parameters(cams, SightParameters())["counted"]) == [False, True, False]
    assert set(views_of(cams)["camera_id"]) == {"cam1"}
    included = views_of(cams, params=SightParameters(include_indoor=True))
    assert set(included["camera_id"]) == {"cam0", "cam1"}
    assert included[included["camera_id"] == "cam0"]["range_m"].iloc[0] == 10.0


@pytest.mark.parametrize(
    ("field", "value"),
    [("range_m", 0.0), ("range_m", -3.0), ("width_deg", 400.0), ("resolution_px", 0),
     ("arc_step_deg", 0.0), ("range_m", float("nan"))],
)  # fmt: skip
def test_bad_parameters_are_refused_with_the_value(field: str, value: float) -> None:
    with pytest.raises(InputError, match=repr(value) if value == value else "nan"):
        SightParameters(**{field: value})


def test_local_crs_is_the_utm_zone() -> None:
    assert local_crs(scene_cameras(dict(x=0, y=0))).to_epsg() == 32629
    south = gpd.GeoDataFrame(geometry=[shapely.Point(151.2, -33.9)], crs=4326)
    assert local_crs(south).to_epsg() == 32756
    with pytest.raises(InputError):
        local_crs(south.iloc[:0])


# --- properties ----------------------------------------------------------------------------

boxes = st.tuples(
    st.floats(-25, 25), st.floats(-25, 25), st.floats(1, 10), st.floats(1, 10), st.floats(0, 90)
)


def box(spec: tuple[float, float, float, float, float]) -> shapely.Polygon:
    x, y, w, h, angle = spec
    return shapely.affinity.rotate(shapely.box(x, y, x + w, y + h), angle, origin=(x, y))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(boxes, max_size=4),
    extra=boxes,
    camera=st.tuples(st.floats(-20, 20), st.floats(-20, 20), st.integers(0, 359)),
)
def test_adding_a_building_never_increases_a_view(
    specs: list[tuple[float, float, float, float, float]],
    extra: tuple[float, float, float, float, float],
    camera: tuple[float, float, int],
) -> None:
    x, y, heading = camera
    new = box(extra)
    assume(new.distance(shapely.Point(x, y)) > 1.5)  # a building at the camera moves it
    cams = scene_cameras(
        dict(x=x, y=y, directions=str(heading), width_deg=70.0, range_m=30.0),
        dict(x=x, y=y, camera_type="dome", range_m=30.0),
    )
    polys = [box(s) for s in specs]
    before = views_of(cams, scene_buildings(*polys))
    after = views_of(cams, scene_buildings(*polys, new))
    assume(set(before.loc[before["level"] == "view", "camera_id"]) == {"cam0", "cam1"})
    old_views = before.set_index(["camera_id", "level"]).geometry
    for (cam, level), seen in after.set_index(["camera_id", "level"]).geometry.items():
        # what a camera sees with one more building lies within what it saw without it
        assert (cam, level) in old_views.index, (cam, level)
        assert seen.difference(old_views[(cam, level)]).area < 1e-6, (cam, level)


def test_results_do_not_depend_on_input_order() -> None:
    rng = np.random.default_rng(7)
    polys = [box((x, y, w, h, a)) for x, y, w, h, a in rng.uniform(
        [-40, -40, 2, 2, 0], [40, 40, 12, 12, 90], size=(25, 5))]  # fmt: skip
    specs = [dict(x=float(x), y=float(y), directions=str(int(h)) if h < 360 else "")
             for x, y, h in rng.uniform([-40, -40, 0], [40, 40, 450], size=(12, 3))]  # fmt: skip
    cams = scene_cameras(*specs)
    blds = scene_buildings(*polys)
    first = views_of(cams, blds)
    second = views_of(cams.iloc[::-1], blds.iloc[rng.permutation(len(blds))])
    # every camera has its view and DORI bands, whatever the order
    assert first["camera_id"].nunique() == 12 and len(first) == 57
    a = first.set_index(["camera_id", "level"]).geometry
    b = second.set_index(["camera_id", "level"]).geometry
    assert set(a.index) == set(b.index)
    for key, geom in a.items():
        assert shapely.symmetric_difference(geom, b[key]).area < 1e-6, key


# --- the atlas, the stored layers and the command ------------------------------------------


def scene_source(cams: gpd.GeoDataFrame, blds: gpd.GeoDataFrame | None = None) -> SourceData:
    records = []
    for row in cams.itertuples():
        records.append(Camera(
            id=f"osm:{row.id}", lon=row.geometry.x, lat=row.geometry.y, source="osm",
            source_id=row.id, kind=row.kind, camera_type=row.camera_type,
            directions=tuple(Direction(float(d)) for d in row.directions.split(";") if d),
            width_deg=row.width_deg, range_m=row.range_m, surveillance=row.surveillance,
        ))  # fmt: skip
    footprints = [
        Building(id=f"osm:way/{i}", building="yes", geometry=g)
        for i, g in enumerate([] if blds is None else blds.geometry)
    ]
    return SourceData("scene.osm", "osm-xml", "osm", cameras=records, buildings=footprints)


@pytest.fixture(scope="module")
def small_atlas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sight") / "small.gpkg"
    cams = scene_cameras(
        dict(x=0, y=0, camera_type="dome", width_deg=None),
        dict(x=30, y=-12, directions="0", width_deg=70.0),
        dict(x=-20, y=14, surveillance="indoor"),
    )
    blds = scene_buildings(shapely.box(-5, 6, 5, 8), shapely.box(20, 0, 40, 10))
    with camatlas.open_atlas(path) as atlas:
        atlas.import_data(scene_source(cams, blds), sha256="small-scene")
    return path


def test_sight_writes_views_that_gdal_reads(small_atlas: Path) -> None:
    with camatlas.open_atlas(small_atlas) as atlas:
        result = camatlas.sight(atlas)
        views = pd.concat([result.views, result.view_zones]).to_crs(32629)
    read = pyogrio.read_dataframe(small_atlas, layer="views")
    assert read.crs.to_epsg() == 4326
    assert sorted(read["camera_id"]) == ["osm:cam0", "osm:cam1"]
    assert set(read["level"]) == {"view"}
    assert set(read.geometry.geom_type) == {"MultiPolygon"}
    metric = read.to_crs(32629).set_index("camera_id").area
    mine = views[views["level"] == "view"].set_index("camera_id").area
    for cam in metric.index:
        assert metric[cam] == pytest.approx(mine[cam], rel=1e-6)
    zones = pyogrio.read_dataframe(small_atlas, layer="view_zones")
    assert set(zones["level"]) <= set(DORI_LEVELS) and len(zones) >= 6
    info = pyogrio.read_info(small_atlas, layer="views")
    assert info["geometry_type"] == "MultiPolygon"


def test_sight_command_json_with_overrides(small_atlas: Path) -> None:
    proc = run_camatlas("sight", "--atlas", small_atlas, "--range", "15", "--width", "50",
                   "--include-indoor", "--resolution", "1280", "--json", check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["cameras_with_views"] == 3
    assert out["parameters"]["range_m"] == 15 and out["parameters"]["width_deg"] == 50
    assert out["parameters"]["resolution_px"] == 1280
    # The indoor camera's 15 m disc meets no building: the union is larger than one disc,
    # and no larger than two discs and a 50 degree wedge, the views uncut.
    disc = math.pi * 15**2 / 1e6
    assert disc < out["area_km2"] <= (2 + 50 / 360) * disc
    with camatlas.open_atlas(small_atlas, create=False) as atlas:
        assert set(atlas.result("views")["range_m"]) == {15.0}


def test_sight_command_text_and_errors(small_atlas: Path) -> None:
    proc = run_camatlas("sight", "--atlas", small_atlas, "--no-occlusion", check=False)
    assert proc.returncode == 0, proc.stderr
    assert "km²" in proc.stdout
    # the indoor camera is left out by default: views of the other two
    assert "views of 2 of 3 camera records" in " ".join(proc.stdout.split())
    with camatlas.open_atlas(small_atlas, create=False) as atlas:
        assert atlas.result_parameters("views")["occlusion"] is False
    bad = run_camatlas("sight", "--atlas", small_atlas, "--range", "-5", check=False)
    assert bad.returncode != 0
    assert "range" in bad.stderr and "-5" in bad.stderr and "Traceback" not in bad.stderr


# --- real data -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_atlases(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("real")
    paths = {}
    for name in ("monaco", "porto", "london"):
        paths[name] = folder / f"{name}.gpkg"
        with camatlas.open_atlas(paths[name]) as atlas:
            atlas.import_file(shared_data / f"{name}.osm.pbf",
                              layers=("cameras", "streets", "buildings"))  # fmt: skip
    return paths


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["monaco", "porto", "london"])
def test_real_atlases_give_every_camera_a_view(name: str, real_atlases: dict[str, Path]) -> None:
    with camatlas.open_atlas(real_atlases[name]) as atlas:
        cameras = atlas.cameras()
        result = camatlas.sight(atlas)
        frame = pd.concat([result.views, result.view_zones]).to_crs(local_crs(cameras))
    counted = camera_parameters(cameras, SightParameters())["counted"]
    views = frame[frame["level"] == "view"]
    assert sorted(views["camera_id"]) == sorted(cameras["id"][counted])
    assert not shapely.is_empty(views.geometry).any()
    assert shapely.is_valid(frame.geometry).all()
    assert (views.area > 1.0).all()
    dori_partition_holds(frame)


@pytest.mark.realdata
def test_monaco_wedges_point_the_mapped_way(real_atlases: dict[str, Path]) -> None:
    with camatlas.open_atlas(real_atlases["monaco"]) as atlas:
        cameras = atlas.cameras()
        free = compute_views(cameras, atlas.buildings(), SightParameters(occlusion=False))
        cut = compute_views(cameras, atlas.buildings(), SightParameters())
    directed = cameras[cameras["directions"] != ""].set_index("id")
    assert sorted(directed["directions"]) == ["0", "160", "240"]
    points = directed.to_crs(free.crs).geometry
    for cam, heading in directed["directions"].items():
        wedge = free[(free["camera_id"] == cam) & (free["level"] == "view")].geometry.iloc[0]
        p = points[cam]
        bearing = bearing_of(wedge.centroid, p.x, p.y)
        assert abs((bearing - float(heading) + 180) % 360 - 180) < 0.5, (cam, bearing)
        seen = cut[(cut["camera_id"] == cam) & (cut["level"] == "view")].geometry.iloc[0]
        assert seen.area > 1.0


def test_each_city_of_an_atlas_is_measured_in_its_own_utm_zone(tmp_path: Path) -> None:
    # Two 20 m discs (no direction, no buildings): one in Porto (UTM 29N), one in
    # Helsinki (UTM 35N). Measured in one zone for both, the Helsinki disc would come
    # out several per cent too large or small on the ground.
    cities = {"porto": (-8.61, 41.15, 32629), "helsinki": (24.94, 60.17, 32635)}
    cameras = [
        Camera(id=f"osm:{name}", lon=lon, lat=lat, source="osm", source_id=name,
               camera_type="dome", range_m=20.0)
        for name, (lon, lat, _) in cities.items()
    ]  # fmt: skip
    path = tmp_path / "two-cities.gpkg"
    with camatlas.open_atlas(path) as atlas:
        atlas.import_data(
            SourceData(path="x.osm", format="osm-xml", source="osm", cameras=cameras), sha256="2c"
        )
        result = camatlas.sight(atlas)
        parameters = atlas.result_parameters("views")
    assert "EPSG:32629" in parameters["crs"] and "EPSG:32635" in parameters["crs"]
    assert result.parameters == parameters
    stored = result.views
    disc = math.pi * 20.0**2
    for name, (_, _, epsg) in cities.items():
        view = stored[(stored["camera_id"] == f"osm:{name}") & (stored["level"] == "view")]
        assert view.to_crs(epsg).area.iloc[0] == pytest.approx(disc, rel=0.005), name
    assert result.summary["cameras"] == 2
    assert result.summary["area_km2"] == pytest.approx(2 * disc / 1e6, rel=0.005)
    # a summary of views in degrees would be meaningless: it is refused
    with pytest.raises(InputError, match="geographic"):
        summarize(stored)
