"""Street coverage, density, areas and uncertainty, checked against hand-computed figures
and against an independent point-sampling check."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from camatlas import MeasureResult, measure
from camatlas.assumptions import SightParameters, camera_parameters
from camatlas.atlas import Atlas, open_atlas
from camatlas.coverage import coverage_of_lines, watched_intervals
from camatlas.errors import InputError
from camatlas.records import Area, Building, Camera, Direction, SourceData, Street
from camatlas.tags import underground
from camatlas.views import compute_views
from camatlas.vocab import DORI_LEVELS
from tests.cli import run_camatlas

UTM = "EPSG:32629"  # metric CRS of the hand-made scenes (Porto's UTM zone)


# --- hand-made views -----------------------------------------------------------------


def wedge(
    x: float, y: float, bearing: float, width: float, radius: float, inner: float = 0.0
) -> shapely.Polygon:
    """A circular sector (or the ring of it between ``inner`` and ``radius``), bearing
    clockwise from north, vertices every half degree and exactly on both edges."""
    steps = max(2, math.ceil(width / 0.5))
    angles = np.radians(bearing - width / 2 + width * np.arange(steps + 1) / steps)
    outer = np.column_stack([x + radius * np.sin(angles), y + radius * np.cos(angles)])
    if inner > 0:
        ring = np.column_stack([x + inner * np.sin(angles), y + inner * np.cos(angles)])[::-1]
    else:
        ring = np.array([[x, y]])
    return shapely.Polygon(np.vstack([ring, outer]))


def views_frame(rows: list[tuple[str, str, shapely.Geometry]]) -> gpd.GeoDataFrame:
    """(physical_id, level, geometry) rows as a views frame with the contract's columns."""
    return gpd.GeoDataFrame(
        {
            "camera_id": [r[0] for r in rows],
            "physical_id": [r[0] for r in rows],
            "kind": "camera",
            "operator": None,
            "surveillance": "public",
            "level": [r[1] for r in rows],
        },
        geometry=[r[2] for r in rows],
        crs=UTM,
    )


def camera_with_bands(
    pid: str,
    x: float,
    y: float,
    bearing: float,
    width: float,
    edges: tuple[float, float, float, float],
) -> list[tuple[str, str, shapely.Geometry]]:
    """A view plus its four DORI bands: identification up to edges[0] metres, recognition
    up to edges[1], ..., detection up to edges[3]."""
    rows = [(pid, "view", wedge(x, y, bearing, width, edges[3]))]
    inner = 0.0
    for level, outer in zip(DORI_LEVELS, edges, strict=True):
        rows.append((pid, level, wedge(x, y, bearing, width, outer, inner)))
        inner = outer
    return rows


def streets(*coords: list[tuple[float, float]]) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.LineString(c) for c in coords], crs=UTM)


# --- hand-computable cases -------------------------------------------------------------


def test_street_crossing_a_90_degree_wedge_is_watched_over_its_chord() -> None:
    # Camera at the origin looking east, 90 degrees wide, 100 m: inside where |y| <= x <= ~100.
    views = views_frame([("a", "view", wedge(0, 0, 90, 90, 100))])
    lines = streets(
        [(-50, 0), (150, 0)],  # along the axis: x in [0, 100]
        [(50, -80), (50, 80)],  # across at x = 50: |y| <= 50
        [(-50, 120), (150, 120)],  # misses
        [(20, 10), (30, 10)],  # wholly inside
    )
    cov = coverage_of_lines(lines, views)
    assert cov["length_m"].tolist() == pytest.approx([200, 160, 200, 10])
    assert cov["watched_m"].tolist() == pytest.approx([100, 100, 0, 10], abs=1e-9)
    assert cov["cameras"].tolist() == [("a",), ("a",), (), ("a",)]
    assert cov["camera_count"].tolist() == [1, 1, 0, 1]
    # a view with only a "view" row: everything watched counts as detection
    assert cov["watched_m_detection"].tolist() == pytest.approx([100, 100, 0, 10], abs=1e-9)
    assert cov["watched_m_identification"].sum() == 0


def test_straight_edged_wedge_gives_exact_metres_off_axis() -> None:
    triangle = shapely.Polygon([(0, 0), (100, 100), (100, -100)])
    cov = coverage_of_lines(
        streets([(-50, 10), (200, 10)], [(-50, -30), (200, -30)]),
        views_frame([("a", "view", triangle)]),
    )
    assert cov["watched_m"].tolist() == pytest.approx([90, 70], abs=1e-9)


def test_two_overlapping_cameras_do_not_double_count() -> None:
    views = views_frame(
        [
            ("a", "view", shapely.box(0, -5, 60, 5)),
            ("b", "view", shapely.box(40, -5, 100, 5)),
            ("c", "view", shapely.box(45, -5, 55, 5)),  # wholly inside both
        ]
    )
    cov = coverage_of_lines(streets([(-10, 0), (110, 0)]), views)
    assert cov["watched_m"].iloc[0] == pytest.approx(100)
    assert cov["cameras"].iloc[0] == ("a", "b", "c")
    assert cov["camera_count"].iloc[0] == 3


def test_a_view_touching_a_street_at_a_point_does_not_watch_it() -> None:
    views = views_frame(
        [
            ("touch", "view", shapely.Polygon([(5, 0), (0, 10), (10, 10)])),  # apex on the street
            ("apex", "view", shapely.Polygon([(20, 0), (30, -5), (30, 5)])),  # opens along it
            ("edge", "view", shapely.box(32, 0, 36, 6)),  # its edge runs along the street
        ]
    )
    cov = coverage_of_lines(streets([(0, 0), (40, 0)]), views)
    assert cov["watched_m"].iloc[0] == pytest.approx(10 + 4)
    assert cov["cameras"].iloc[0] == ("apex", "edge")


def test_linked_records_of_one_physical_camera_count_once() -> None:
    views = views_frame(
        [("p1", "view", shapely.box(0, -5, 60, 5)), ("p1", "view", shapely.box(10, -5, 70, 5))]
    )
    views["camera_id"] = ["osm:node/1", "registry:7"]
    cov = coverage_of_lines(streets([(0, 0), (100, 0)]), views)
    assert cov["cameras"].iloc[0] == ("p1",)
    assert cov["watched_m"].iloc[0] == pytest.approx(70)


def test_dori_split_takes_the_best_level_and_sums_to_watched() -> None:
    # Camera a at the origin looking east: identification to 20 m, recognition to 40,
    # observation to 80, detection to 100. Camera b at x = 100 looking west, identification
    # to 10 m: it improves x in [90, 100] from detection to identification.
    rows = camera_with_bands("a", 0, 0, 90, 60, (20, 40, 80, 100))
    rows += camera_with_bands("b", 100, 0, 270, 60, (10, 30, 50, 60))
    cov = coverage_of_lines(streets([(0, 0), (100, 0)]), views_frame(rows)).iloc[0]
    assert cov["watched_m"] == pytest.approx(100)
    # identification: [0,20] from a, [90,100] from b -> 30
    # recognition: [20,40] from a, [70,90] from b -> 40
    # observation: [40,70] (a to 80; b's observation [50,70] from x) -> 30
    # detection: nothing left (b's detection band covers x in [40,50], a has better there)
    assert cov["watched_m_identification"] == pytest.approx(30)
    assert cov["watched_m_recognition"] == pytest.approx(40)
    assert cov["watched_m_observation"] == pytest.approx(30)
    assert cov["watched_m_detection"] == pytest.approx(0, abs=1e-9)
    parts = sum(cov[f"watched_m_{level}"] for level in DORI_LEVELS)
    assert parts == pytest.approx(cov["watched_m"])


def test_distance_runs_on_across_segments_and_parts() -> None:
    views = views_frame([("a", "view", shapely.box(5, -1, 15, 21))])
    lines = gpd.GeoSeries(
        [
            shapely.LineString([(0, 0), (10, 0), (10, 20), (0, 20)]),
            shapely.MultiLineString([[(0, 50), (3, 50)], [(0, 0), (20, 0)]]),
        ],
        index=["L", "M"],
        crs=UTM,
    )
    pieces = watched_intervals(lines, views)
    first = pieces[pieces["line"] == "L"]
    # from (5,0) at 5 m along, round the corner, up to (10,20) at 30 m and on to (5,20) at 35 m
    assert first[["start_m", "end_m"]].to_numpy().ravel().tolist() == pytest.approx([5, 35])
    second = pieces[pieces["line"] == "M"]
    assert second[["start_m", "end_m"]].to_numpy().ravel().tolist() == pytest.approx([8, 18])
    assert set(pieces["level"]) == {"view"} and set(pieces["camera"]) == {"a"}
    cov = coverage_of_lines(lines, views)
    assert cov.loc["L", "length_m"] == pytest.approx(40)
    assert cov.loc["M", "watched_m"] == pytest.approx(10)


def test_watched_intervals_name_each_camera_and_level() -> None:
    rows = camera_with_bands("a", 0, 0, 90, 60, (20, 40, 80, 100))
    rows.append(("b", "view", shapely.box(50, -1, 150, 1)))
    pieces = watched_intervals(streets([(0, 0), (120, 0)]), views_frame(rows))
    got = {
        (r.level, r.camera): (round(r.start_m, 6), round(r.end_m, 6)) for r in pieces.itertuples()
    }
    assert got == {
        ("view", "a"): (0, 100),
        ("identification", "a"): (0, 20),
        ("recognition", "a"): (20, 40),
        ("observation", "a"): (40, 80),
        ("detection", "a"): (80, 100),
        ("view", "b"): (50, 120),
    }
    assert (pieces["line"] == 0).all()


def test_no_views_and_empty_streets() -> None:
    empty_views = views_frame([])
    cov = coverage_of_lines(streets([(0, 0), (10, 0)]), empty_views)
    assert cov["watched_m"].tolist() == [0.0] and cov["length_m"].tolist() == [10.0]
    assert cov["cameras"].tolist() == [()]
    none = coverage_of_lines(
        gpd.GeoSeries([], crs=UTM), views_frame([("a", "view", shapely.box(0, 0, 1, 1))])
    )
    assert len(none) == 0
    assert watched_intervals(streets([(0, 0), (10, 0)]), empty_views).empty


def test_geographic_or_mismatched_crs_is_refused() -> None:
    views = views_frame([("a", "view", shapely.box(0, 0, 1, 1))])
    with pytest.raises(InputError, match="geographic"):
        coverage_of_lines(streets([(0, 0), (1, 1)]).set_crs(4326, allow_override=True), views)
    with pytest.raises(InputError, match="same CRS"):
        coverage_of_lines(streets([(0, 0), (1, 1)]).set_crs(32630, allow_override=True), views)
    with pytest.raises(InputError, match="level"):
        coverage_of_lines(streets([(0, 0), (1, 1)]), views.assign(level="sharp"))


# --- an independent check: sample points and cast rays ---------------------------------


def rings_as_edges(geometry: shapely.Geometry) -> np.ndarray:
    """Every ring edge of a (Multi)Polygon as rows x1, y1, x2, y2."""
    edges = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        for ring in [polygon.exterior, *polygon.interiors]:
            xy = np.asarray(ring.coords)
            edges.append(np.hstack([xy[:-1], xy[1:]]))
    return np.vstack(edges) if edges else np.empty((0, 4))


def inside_by_ray_casting(points: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Even-odd rule: a ray from each point towards +x crosses the boundary an odd number
    of times when the point is inside."""
    px, py = points[:, :1], points[:, 1:2]
    x1, y1, x2, y2 = (edges[:, i][None, :] for i in range(4))
    straddles = (y1 > py) != (y2 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
    crossings = (straddles & (px < x_cross)).sum(axis=1)
    return crossings % 2 == 1


def sample_points(line: shapely.LineString, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Points in the middle of each ``step``-long stretch of the line, and the stretches'
    lengths."""
    n = math.ceil(line.length / step)
    edges = np.minimum(np.arange(n + 1) * step, line.length)
    weights = np.diff(edges)
    mids = shapely.line_interpolate_point(line, (edges[:-1] + edges[1:]) / 2)
    return shapely.get_coordinates(mids), weights


def random_scene(seed: int, cameras: int = 20) -> tuple[gpd.GeoSeries, gpd.GeoDataFrame]:
    """A 400 m square town: a street grid with a few diagonals, buildings cutting views, and
    ``cameras`` cameras with DORI bands."""
    rng = np.random.default_rng(seed)
    lines = [shapely.LineString([(0, y), (400, y)]) for y in range(20, 400, 60)]
    lines += [shapely.LineString([(x, 0), (x, 400)]) for x in range(30, 400, 70)]
    lines += [shapely.LineString(rng.uniform(0, 400, (4, 2))) for _ in range(6)]
    buildings = shapely.union_all(
        [
            shapely.box(x, y, x + w, y + h)
            for x, y, w, h in zip(
                rng.uniform(0, 380, 25),
                rng.uniform(0, 380, 25),
                rng.uniform(5, 30, 25),
                rng.uniform(5, 30, 25),
                strict=True,
            )
        ]
    )
    rows = []
    for i in range(cameras):
        x, y = rng.uniform(0, 400, 2)
        bearing, width = rng.uniform(0, 360), rng.uniform(30, 360 if i % 5 == 0 else 120)
        reach = rng.uniform(20, 120)
        edges = tuple(reach * f for f in (0.1, 0.2, 0.5, 1.0))
        for pid, level, geom in camera_with_bands(f"c{i % 17}", x, y, bearing, width, edges):
            rows.append((pid, level, geom.difference(buildings)))
    return gpd.GeoSeries(lines, crs=UTM), views_frame(rows)


def sampled_coverage(
    lines: gpd.GeoSeries, views: gpd.GeoDataFrame, step: float = 0.5
) -> dict[str, float]:
    """Watched metres (and by best DORI level) from points every ``step`` metres along the
    lines, each tested against every view polygon by ray casting."""
    samples = [sample_points(line, step) for line in lines]
    points = np.vstack([p for p, _ in samples])
    weights = np.concatenate([w for _, w in samples])
    rank = {level: k for k, level in enumerate(DORI_LEVELS)}
    best = np.full(len(points), len(DORI_LEVELS) + 1)  # + 1: not seen at all
    for level, geom in zip(views["level"], views.geometry, strict=True):
        x0, y0, x1, y1 = geom.bounds
        near = np.flatnonzero(
            (points[:, 0] >= x0)
            & (points[:, 0] <= x1)
            & (points[:, 1] >= y0)
            & (points[:, 1] <= y1)
        )
        inside = near[inside_by_ray_casting(points[near], rings_as_edges(geom))]
        best[inside] = np.minimum(best[inside], rank.get(level, len(DORI_LEVELS)))
    out = {"watched_m": float(weights[best <= len(DORI_LEVELS)].sum())}
    for level, k in rank.items():
        out[f"watched_m_{level}"] = float(weights[best == k].sum())
    # in a view but in no band: detection, as coverage_of_lines counts it
    out["watched_m_detection"] += float(weights[best == len(DORI_LEVELS)].sum())
    return out


@dataclass
class Scene:
    lines: gpd.GeoSeries  # streets, metric
    views: gpd.GeoDataFrame  # from compute_views, metric
    cameras: gpd.GeoDataFrame  # WGS 84
    buildings: gpd.GeoDataFrame  # WGS 84


@pytest.fixture(scope="module")
def sight_scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """A 400 m square town with 25 buildings and 20 cameras, views from compute_views."""
    rng = np.random.default_rng(11)
    streets = [
        Street(id=f"osm:way/{i}", highway="residential", geometry=metric_line(list(c)))
        for i, c in enumerate(
            [[(0, y), (400, y)] for y in range(20, 400, 60)]
            + [[(x, 0), (x, 400)] for x in range(30, 400, 70)]
            + [[tuple(p) for p in rng.uniform(0, 400, (4, 2))] for _ in range(6)]
        )
    ]
    buildings = [
        Building(id=f"osm:way/{500 + i}", building="yes", geometry=metric_box(x, y, x + w, y + h))
        for i, (x, y, w, h) in enumerate(
            zip(rng.uniform(0, 380, 25), rng.uniform(0, 380, 25), rng.uniform(5, 30, 25),
                rng.uniform(5, 30, 25), strict=True)
        )
    ]  # fmt: skip
    cameras = [
        tagged_camera(
            "osm", i, *rng.uniform(0, 400, 2),
            camera_type="dome" if i % 5 == 0 else "fixed",
            directions=(Direction(float(rng.uniform(0, 360))),),
            width_deg=float(rng.uniform(30, 120)), range_m=float(rng.uniform(20, 120)),
        )
        for i in range(20)
    ]  # fmt: skip
    data = SourceData(path="scene.osm", format="osm-xml", source="osm", cameras=cameras,
                      streets=streets, buildings=buildings)  # fmt: skip
    with open_atlas(tmp_path_factory.mktemp("scene") / "scene.gpkg") as atlas:
        atlas.import_data(data, sha256="scene")
        cams, blds = atlas.cameras(), atlas.buildings()
        views = compute_views(cams, blds, SightParameters(), crs=UTM)
        return Scene(atlas.streets().geometry.to_crs(UTM), views, cams, blds)


def test_exact_coverage_agrees_with_point_sampling_and_ray_casting(sight_scene: Scene) -> None:
    lines, views = sight_scene.lines, sight_scene.views
    assert views["camera_id"].nunique() == 20 and set(views["level"]) > {"view", "detection"}
    cov = coverage_of_lines(lines, views)
    sampled = sampled_coverage(lines, views)
    exact = float(cov["watched_m"].sum())
    assert exact > 500  # the scene does watch a good share of its streets
    assert exact == pytest.approx(sampled["watched_m"], rel=0.01)
    for level in DORI_LEVELS:
        column = f"watched_m_{level}"
        assert cov[column].sum() == pytest.approx(sampled[column], rel=0.01, abs=2.0)


def test_adding_a_building_never_increases_coverage_through_sight(
    sight_scene: Scene,
) -> None:
    before = coverage_of_lines(sight_scene.lines, sight_scene.views)
    rng = np.random.default_rng(5)
    cameras = sight_scene.cameras.geometry.to_crs(UTM)
    added, lost = 0, 0.0
    while added < 3:
        x, y = rng.uniform(50, 350, 2)
        # away from every camera: a camera inside or against a new wall is remounted on it
        # (sight moves it outside the wall), which is not occlusion
        if cameras.distance(shapely.box(532_000 + x, 4_555_000 + y, 532_040 + x,
                                        4_555_025 + y)).min() < 5.0:  # fmt: skip
            continue
        added += 1
        block = gpd.GeoDataFrame(
            {"id": ["osm:way/999"], "building": ["yes"]},
            geometry=[shapely.MultiPolygon([metric_box(x, y, x + 40, y + 25)])],
            crs="EPSG:4326",
        )
        buildings = pd.concat([sight_scene.buildings, block], ignore_index=True)
        views = compute_views(sight_scene.cameras, buildings, SightParameters(), crs=UTM)
        after = coverage_of_lines(sight_scene.lines, views)
        assert (after["watched_m"] <= before["watched_m"] + 1e-6).all()
        lost += before["watched_m"].sum() - after["watched_m"].sum()
    assert lost > 1.0  # the new walls did hide some street


# --- properties --------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_coverage_properties_on_random_scenes(seed: int) -> None:
    lines, views = random_scene(seed, cameras=8)
    cov = coverage_of_lines(lines, views)
    # the metres in view are those the ray-casting oracle finds (to its 0.5 m sampling)
    assert cov["watched_m"].sum() > 0
    oracle = sampled_coverage(lines, views)["watched_m"]
    assert cov["watched_m"].sum() == pytest.approx(oracle, rel=0.02)
    assert (cov["watched_m"] <= cov["length_m"] + 1e-9).all()
    parts = cov[[f"watched_m_{level}" for level in DORI_LEVELS]].sum(axis=1)
    assert np.allclose(parts, cov["watched_m"])
    assert (cov[[f"watched_m_{level}" for level in DORI_LEVELS]] >= -1e-9).all().all()

    # order of cameras and streets does not matter
    rng = np.random.default_rng(seed)
    shuffled_views = views.iloc[rng.permutation(len(views))]
    order = rng.permutation(len(lines))
    again = coverage_of_lines(lines.iloc[order], shuffled_views).loc[cov.index]
    assert np.allclose(again["watched_m"], cov["watched_m"], atol=1e-6)
    assert again["cameras"].tolist() == cov["cameras"].tolist()

    # one more building never increases coverage
    block = shapely.box(*rng.uniform(0, 300, 2), *rng.uniform(300, 400, 2))
    cut = views.assign(geometry=views.geometry.difference(block))
    fewer = coverage_of_lines(lines, cut)
    assert (fewer["watched_m"] <= cov["watched_m"] + 1e-6).all()

    # one more camera never decreases coverage
    extra = views_frame(
        camera_with_bands("new", *rng.uniform(0, 400, 2), rng.uniform(0, 360), 90, (5, 10, 30, 60))
    )
    more = coverage_of_lines(lines, pd.concat([views, extra], ignore_index=True))
    assert (more["watched_m"] >= cov["watched_m"] - 1e-6).all()
    assert (more["camera_count"] >= cov["camera_count"]).all()


# --- measure(): the atlas pipeline ------------------------------------------------------

TO_LONLAT = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """Metres east/north of a point in central Porto -> (lon, lat)."""
    lon, lat = TO_LONLAT.transform(532_000.0 + x, 4_555_000.0 + y)
    return float(lon), float(lat)


def metric_line(coords: list[tuple[float, float]]) -> shapely.LineString:
    return shapely.LineString([lonlat(x, y) for x, y in coords])


def metric_box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.Polygon([lonlat(x, y) for x, y in [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]])


def tagged_camera(source: str, n: int, x: float, y: float, **fields: object) -> Camera:
    lon, lat = lonlat(x, y)
    base: dict[str, object] = {
        "camera_type": "fixed",
        "directions": (Direction(90.0),),
        "range_m": 40.0,
        "width_deg": 60.0,
        "surveillance": "public",
    }
    base.update(fields)
    return Camera(
        id=f"{source}:{n}", lon=lon, lat=lat, source=source, source_id=str(n),
        tags={"man_made": "surveillance"}, **base,  # type: ignore[arg-type]
    )  # fmt: skip


# A 600 m x 400 m town: streets every 100 m, two wards (west x < 300, east x >= 300).
GRID_X = range(0, 601, 100)
GRID_Y = range(0, 401, 100)
COUNTED_LENGTH_M = len(GRID_Y) * 600 + len(GRID_X) * 400
DRIVABLE_LENGTH_M = len(GRID_Y) * 600  # the residential streets; the footways are not


def town_data(*, tagged: bool = True) -> tuple[SourceData, SourceData]:
    """OSM-like data and a registry whose camera 5 is the OSM camera 1 seen again."""
    streets = [
        Street(id=f"osm:way/{i}", highway="residential", name=f"Rua {i}",
               geometry=metric_line([(0, y), (600, y)]), nodes=(i, i + 1000))
        for i, y in enumerate(GRID_Y)
    ]  # fmt: skip
    streets += [
        Street(id=f"osm:way/{100 + i}", highway="footway",
               geometry=metric_line([(x, 0), (x, 400)]), nodes=(i + 2000, i + 3000))
        for i, x in enumerate(GRID_X)
    ]  # fmt: skip
    square = metric_line([(10, 10), (90, 10), (90, 90), (10, 90), (10, 10)])
    streets += [
        Street(id="osm:way/900", highway="proposed", geometry=metric_line([(0, 50), (600, 50)])),
        Street(id="osm:way/901", highway="pedestrian", geometry=square,
               tags={"highway": "pedestrian", "area": "yes"}),
    ]  # fmt: skip
    buildings = [
        Building(id="osm:way/500", building="yes", geometry=metric_box(120, 110, 180, 190)),
        Building(id="osm:way/501", building="yes", geometry=metric_box(420, 210, 480, 290)),
    ]
    extra: dict[str, object] = {} if tagged else {"range_m": None, "width_deg": None}
    cams = [
        tagged_camera("osm", 1, 50, 0, **extra),     # west, looks east along y = 0
        tagged_camera("osm", 2, 150, 100, **extra),  # west
        tagged_camera("osm", 3, 250, 300, **extra),  # west
        tagged_camera("osm", 4, 350, 200, **extra),  # east
        tagged_camera("osm", 6, 550, 400, kind="alpr", **extra),  # east
        tagged_camera("osm", 7, 450, 100, surveillance="indoor", **extra),  # east, indoor
        tagged_camera("osm", 8, 60, 300, kind="gunshot_detector"),  # west, sees nothing
    ]  # fmt: skip
    wards = [
        Area(id="osm:relation/1", name="West", admin_level=9, population=2000.0,
             geometry=metric_box(-50, -50, 300, 450)),
        Area(id="osm:relation/2", name="East", admin_level=9, population=500.0,
             geometry=metric_box(300, -50, 650, 450)),
        Area(id="osm:relation/3", name="Town", admin_level=8, population=2500.0,
             geometry=metric_box(-50, -50, 650, 450)),
    ]  # fmt: skip
    osm = SourceData(path="town.osm.pbf", format="osm-pbf", source="osm", cameras=cams,
                     streets=streets, buildings=buildings, areas=wards)  # fmt: skip
    registry = SourceData(path="registry.csv", format="csv", source="registry",
                          cameras=[tagged_camera("registry", 5, 52, 1, **extra)])  # fmt: skip
    return osm, registry


def town_atlas(path: Path, *, tagged: bool = True) -> Atlas:
    atlas = open_atlas(path)
    osm, registry = town_data(tagged=tagged)
    atlas.import_data(osm, sha256=f"osm-{tagged}")
    atlas.import_data(registry, sha256=f"registry-{tagged}")
    return atlas


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Atlas]:
    atlas = town_atlas(tmp_path_factory.mktemp("town") / "town.gpkg")
    yield atlas
    atlas.close()


@pytest.fixture(scope="module")
def town_by_admin(town: Atlas) -> MeasureResult:
    return measure(town, by="admin")


def test_street_length_counts_streets_people_use_only(town_by_admin: MeasureResult) -> None:
    s = town_by_admin.summary
    assert s["street_length_m"] == pytest.approx(COUNTED_LENGTH_M, rel=1e-6)
    assert s["streets"] == len(GRID_X) + len(GRID_Y)
    assert set(town_by_admin.streets["id"]) == {f"osm:way/{i}" for i in range(len(GRID_Y))} | {
        f"osm:way/{100 + i}" for i in range(len(GRID_X))
    }
    assert 0 < s["watched_length_m"] <= s["street_length_m"]
    assert s["watched_share"] == pytest.approx(s["watched_length_m"] / s["street_length_m"])
    levels = sum(s[f"watched_m_{level}"] for level in DORI_LEVELS)
    assert levels == pytest.approx(s["watched_length_m"])
    assert town_by_admin.streets["watched_m"].sum() == pytest.approx(s["watched_length_m"])


def test_cameras_are_physical_of_the_chosen_kinds_and_indoor_ones_have_no_view(
    town: Atlas, town_by_admin: MeasureResult
) -> None:
    s = town_by_admin.summary
    # 8 records: the registry's camera 5 is OSM camera 1 (linked); camera 7 is indoor:
    # it is reported beside the street-facing ones, never counted in densities, and sees
    # no street; the gunshot detector counts as a device but has no view.
    assert s["camera_records"] == 8
    assert s["cameras_total"] == 7
    assert s["cameras"] == 6 and s["cameras_outside_area"] == 0
    assert s["cameras_street_facing"] == 6 and s["cameras_indoor"] == 1
    assert "not tagged surveillance=indoor" in s["counted"]
    assert s["assumptions"]["cameras_with_views"] == 6  # 5 physical, one of them twice
    indoor = measure(town, sight=SightParameters(include_indoor=True), write=False)
    assert indoor.summary["cameras_total"] == 7
    assert indoor.summary["assumptions"]["cameras_with_views"] == 7
    assert indoor.summary["watched_length_m"] >= s["watched_length_m"]
    only_alpr = measure(town, kinds=["alpr"], write=False)
    assert only_alpr.summary["cameras_total"] == 1
    assert 0 < only_alpr.summary["watched_length_m"] < s["watched_length_m"]
    gunshot = measure(town, kinds=["gunshot_detector"], write=False).summary
    assert gunshot["cameras_total"] == 1 and gunshot["watched_length_m"] == 0


def test_surveillance_selects_the_cameras_counted_explicitly(town: Atlas) -> None:
    default = measure(town, write=False).summary
    # Asked for, indoor cameras count: alone, or with every other scope.
    alone = measure(town, surveillance=["indoor"], write=False).summary
    assert alone["cameras_total"] == 1 and alone["cameras"] == 1
    assert alone["cameras_indoor"] == 1 and alone["cameras_street_facing"] == 0
    assert alone["cameras_per_street_km"] == pytest.approx(1 / (COUNTED_LENGTH_M / 1000))
    assert alone["watched_length_m"] == 0  # an indoor camera has no view unless asked
    assert "indoor" in alone["counted"]
    every = measure(town, surveillance=["public", "outdoor", "indoor", "unknown"], write=False)
    assert every.summary["cameras"] == 7
    assert every.summary["cameras_per_km2"] > default["cameras_per_km2"]
    # Every camera of the town is tagged (public, or indoor): none has an unknown scope.
    unknown = measure(town, surveillance=["unknown"], write=False).summary
    assert unknown["cameras_total"] == 0 and unknown["cameras"] == 0
    for bad in (["inside"], []):
        with pytest.raises(InputError, match="surveillance scope"):
            measure(town, surveillance=bad, write=False)


def test_cameras_per_km_of_drivable_road(town_by_admin: MeasureResult) -> None:
    s = town_by_admin.summary
    assert s["drivable_length_m"] == pytest.approx(DRIVABLE_LENGTH_M, rel=1e-6)
    assert s["cameras_per_drivable_km"] == pytest.approx(6 / (DRIVABLE_LENGTH_M / 1000), rel=1e-6)
    rows = town_by_admin.by_area.set_index("name")
    # y = 0 ... 400 run 300 m through each ward
    for ward in ("West", "East"):
        assert rows.loc[ward, "drivable_length_m"] == pytest.approx(5 * 300, rel=1e-6)
    assert rows.loc["West", "cameras_per_drivable_km"] == pytest.approx(4 / 1.5, rel=1e-6)


def test_density_by_admin_area_with_known_population(town_by_admin: MeasureResult) -> None:
    rows = town_by_admin.by_area.set_index("name")
    assert list(rows.index) == ["West", "East"]  # most detailed level (9), ranked per km²
    # camera 7 is indoor, in the east: reported beside the others, not in densities
    assert rows.loc["West", "cameras"] == 4 and rows.loc["East", "cameras"] == 2
    assert rows.loc["West", "cameras_indoor"] == 0 and rows.loc["East", "cameras_indoor"] == 1
    assert rows.loc["West", "area_km2"] == pytest.approx(0.35 * 0.5, rel=0.005)
    assert rows.loc["West", "cameras_per_1000_residents"] == pytest.approx(4 / 2000 * 1000)
    assert rows.loc["East", "cameras_per_1000_residents"] == pytest.approx(2 / 500 * 1000)
    assert rows.loc["West", "cameras_per_km2"] == pytest.approx(4 / rows.loc["West", "area_km2"])
    # x = 0, 100, 200 run inside the west ward; x = 300 along the boundary the wards share
    # counts once, in the first of them
    assert rows.loc["West", "street_length_m"] == pytest.approx(5 * 300 + 4 * 400, rel=1e-6)
    assert rows.loc["East", "street_length_m"] == pytest.approx(5 * 300 + 3 * 400, rel=1e-6)
    assert rows["street_length_m"].sum() == pytest.approx(COUNTED_LENGTH_M, rel=1e-6)
    assert rows["watched_length_m"].sum() == pytest.approx(
        town_by_admin.summary["watched_length_m"], rel=1e-6
    )
    assert town_by_admin.summary["cameras_per_1000_residents"] == pytest.approx(6 / 2500 * 1000)
    # the population sits beside the cameras it divides
    assert town_by_admin.summary["population"] == 2500
    assert town_by_admin.summary["population_cameras"] == 6
    assert town_by_admin.by_area["rank"].tolist() == [1, 2]


def test_admin_level_choice_and_ranking(town: Atlas) -> None:
    whole = measure(town, by="admin:8", write=False).by_area
    assert whole["name"].tolist() == ["Town"] and whole["cameras"].tolist() == [6]
    assert whole["cameras_indoor"].tolist() == [1]
    by_share = measure(town, by="admin", rank_by="cameras_per_1000_residents", write=False)
    assert by_share.by_area["name"].tolist() == ["East", "West"]


def test_partial_areas_get_counts_but_no_density_and_what_falls_in_no_area_is_said(
    tmp_path: Path,
) -> None:
    atlas = town_atlas(tmp_path / "edge.gpkg")
    harbour = metric_box(-50, -50, 250, 250)
    hill = metric_box(240, 260, 650, 450)  # cut by the edge of its file: partial
    quarters = [
        Area(id="osm:relation/20", name="Harbour", admin_level=10, population=900.0,
             geometry=harbour),
        Area(id="osm:relation/21", name="Hill", admin_level=10, population=4000.0,
             geometry=hill, partial=True),
    ]  # fmt: skip
    atlas.import_data(
        SourceData(path="edge.osm.pbf", format="osm-pbf", source="osm", areas=quarters),
        sha256="edge",
    )
    result = measure(atlas, by="admin:10", write=False)
    rows = result.by_area.set_index("name")
    assert rows["partial"].to_dict() == {"Harbour": False, "Hill": True}
    assert rows.loc["Hill", "cameras"] == 2  # cameras 3 and 6: counted for its part
    assert rows.loc["Hill", "street_length_m"] > 0
    for density in ("cameras_per_km2", "cameras_per_street_km", "cameras_per_drivable_km",
                    "cameras_per_1000_residents"):  # fmt: skip
        assert math.isnan(rows.loc["Hill", density]), density
        assert rows.loc["Harbour", density] > 0, density
    assert rows.loc["Harbour", "cameras"] == 2  # cameras 1 (with 5, linked) and 2
    assert result.by_area["name"].tolist() == ["Harbour", "Hill"]  # no density: ranked last
    s = result.summary
    assert s["partial_areas"] == 1
    assert s["cameras_in_no_area"] == 2  # cameras 4 and 8; 7 is indoor, not counted
    # street metres outside both quarters, measured here on the plane of the grid
    grid = [shapely.LineString([(0, y), (600, y)]) for y in GRID_Y]
    grid += [shapely.LineString([(x, 0), (x, 400)]) for x in GRID_X]
    quarters_xy = shapely.union(shapely.box(-50, -50, 250, 250), shapely.box(240, 260, 650, 450))
    outside = sum(line.difference(quarters_xy).length for line in grid)
    assert s["street_length_m_in_no_area"] == pytest.approx(outside, rel=0.01)
    # population figures only where every area is whole
    assert s["population"] is None and s["cameras_per_1000_residents"] is None
    whole = measure(atlas, by="admin:9", write=False).summary
    assert whole["partial_areas"] == 0 and whole["cameras_in_no_area"] == 0
    assert whole["street_length_m_in_no_area"] == pytest.approx(0.0, abs=1e-6)
    assert whole["population"] == 2500
    # the command line marks partial areas and says what falls in no area
    text = run_camatlas("measure", "--atlas", str(tmp_path / "edge.gpkg"), "--by", "admin:10")
    assert "Hill (partial)" in text.stdout and "Harbour (partial)" not in text.stdout
    assert "In no area: 2 counted cameras" in text.stdout
    assert "1 area is partial (cut by the edge of the imported file)" in text.stdout
    with pytest.raises(InputError, match=r"no admin areas at admin_level 11.*partial areas"):
        measure(atlas, by="admin:11", write=False)
    atlas.close()


def test_h3_cells_share_out_cameras_and_streets(town: Atlas) -> None:
    result = measure(town, by="h3:10", write=False)
    cells = result.by_area
    assert len(cells) > 3
    # the town's 7 physical devices (8 records, two linked), each in one cell
    assert cells["cameras"].sum() + cells["cameras_indoor"].sum() == 7
    assert result.summary["cameras_total"] == 7 and cells["cameras_indoor"].sum() == 1
    assert result.summary["watched_length_m"] > 0
    assert cells["street_length_m"].sum() == pytest.approx(COUNTED_LENGTH_M, rel=1e-6)
    assert cells["watched_length_m"].sum() == pytest.approx(
        result.summary["watched_length_m"], rel=1e-6
    )
    assert cells["id"].map(h3.get_resolution).eq(10).all()


def test_user_polygons_with_population_table(town: Atlas, tmp_path: Path) -> None:
    polygons = gpd.GeoDataFrame(
        {"name": ["North half", "South half"], "code": ["N", "S"]},
        geometry=[metric_box(-50, 250, 650, 450), metric_box(-50, -50, 650, 250)],
        crs="EPSG:4326",
    )
    polygons.to_file(tmp_path / "halves.geojson", driver="GeoJSON")
    (tmp_path / "pop.csv").write_text("code,population\nN,1000\nS,4000\n", encoding="utf-8")
    result = measure(
        town,
        by=f"geojson:{tmp_path / 'halves.geojson'}",
        population=tmp_path / "pop.csv",
        population_key="code",
        write=False,
    )
    rows = result.by_area.set_index("name")
    # north: cameras 3 (250,300), 6 (550,400) and 8 (60,300); south: cameras 1, 2, 4 and
    # the indoor camera 7
    assert rows.loc["North half", "cameras"] == 3 and rows.loc["South half", "cameras"] == 3
    assert rows.loc["South half", "cameras_indoor"] == 1
    assert rows.loc["North half", "cameras_per_1000_residents"] == pytest.approx(3.0)
    assert rows.loc["South half", "cameras_per_1000_residents"] == pytest.approx(0.75)
    with pytest.raises(InputError, match="population-key"):
        measure(town, by=f"geojson:{tmp_path / 'halves.geojson'}",
                population=tmp_path / "pop.csv", write=False)  # fmt: skip


def test_completeness_scales_density_estimates(town: Atlas) -> None:
    result = measure(town, completeness=0.5, write=False)
    s = result.summary
    assert s["completeness"]["factor"] == 0.5
    assert s["completeness"]["estimated_cameras"] == pytest.approx(2 * s["cameras"])
    assert s["completeness"]["estimated_cameras_per_km2"] == pytest.approx(2 * s["cameras_per_km2"])
    assert s["cameras"] == 6  # the counted figure stays as counted
    with pytest.raises(InputError, match="completeness"):
        measure(town, completeness=0.0, write=False)


def test_whole_atlas_area_is_the_street_land(town_by_admin: MeasureResult) -> None:
    s = town_by_admin.summary
    # the grid's convex hull is 600 m x 400 m; the 100 m buffer covers every block
    assert s["area_km2"] == pytest.approx(0.24, rel=0.01)
    assert s["cameras_per_km2"] == pytest.approx(6 / s["area_km2"])
    assert s["cameras_per_street_km"] == pytest.approx(6 / (COUNTED_LENGTH_M / 1000), rel=1e-6)


def test_blind_spots_are_unwatched_stretches(town_by_admin: MeasureResult) -> None:
    blind = town_by_admin.blind_spots
    assert len(blind) > 0
    assert (blind["length_m"] >= 100.0).all()
    top = blind[blind["street_id"] == "osm:way/4"]  # y = 400: only camera 6 at its east end
    assert len(top) == 1 and top["start_m"].iloc[0] == pytest.approx(0.0)
    projected = blind.geometry.to_crs(UTM).length.to_numpy()
    assert np.allclose(projected, blind["length_m"], rtol=1e-6, atol=1e-3)
    coverage = town_by_admin.streets.set_index("id")
    for row in blind.itertuples():
        assert row.end_m <= coverage.loc[row.street_id, "length_m"] + 1e-6


def test_results_are_written_as_layers_with_parameters(town: Atlas) -> None:
    result = measure(town, by="admin", sight=SightParameters(range_m=35.0))
    stored = town.result("street_coverage")
    assert len(stored) == len(result.streets)
    assert json.loads(stored["cameras"].iloc[0]) == list(result.streets["cameras"].iloc[0])
    assert len(town.result("measure_by_area")) == 2
    assert len(town.result("blind_spots")) == len(result.blind_spots)
    results = town.results().set_index("name")
    params = results.loc["measure_by_area", "parameters"]
    assert params["by"] == "admin" and params["sight"]["range_m"] == 35.0
    assert "residential" in params["counted_highways"]


def test_measure_matches_coverage_of_views_from_sight(town: Atlas) -> None:
    result = measure(town, write=False)
    cams = town.cameras()
    counted = camera_parameters(cams, SightParameters())["counted"]
    views = compute_views(cams[counted], town.buildings(), SightParameters(), crs=UTM)
    streets = result.streets.set_index("id").geometry.to_crs(UTM)
    cov = coverage_of_lines(streets, views)
    assert cov["watched_m"].sum() == pytest.approx(result.summary["watched_length_m"], rel=1e-9)
    # and both agree with the ray-casting oracle on the same views
    assert result.summary["watched_length_m"] > 0
    oracle = sampled_coverage(streets, views)["watched_m"]
    assert oracle == pytest.approx(result.summary["watched_length_m"], rel=0.01)


def test_uncertainty_is_seeded_and_brackets_the_median(tmp_path: Path) -> None:
    with town_atlas(tmp_path / "untagged.gpkg", tagged=False) as atlas:
        first = measure(atlas, samples=6, seed=3, write=False).uncertainty
        again = measure(atlas, samples=6, seed=3, write=False).uncertainty
        other = measure(atlas, samples=6, seed=4, write=False).uncertainty
    assert first is not None and first == again
    assert first != other
    share = first["watched_share"]
    assert share["p5"] <= share["median"] <= share["p95"]
    assert share["p95"] > share["p5"]  # ranges and widths from defaults do vary


def test_uncertainty_ranges_say_whether_they_hold_the_point_figure(tmp_path: Path) -> None:
    with town_atlas(tmp_path / "untagged.gpkg", tagged=False) as atlas:
        point = measure(atlas, write=False).summary
        # With seed 4 the draws' range of the watched share leaves out the point figure.
        u = measure(atlas, samples=6, seed=4, write=False).uncertainty
    assert u is not None
    for key in ("watched_length_m", "watched_share", "watched_m_per_street_km",
                *(f"watched_m_{level}" for level in DORI_LEVELS)):  # fmt: skip
        figure = u[key]
        assert figure["point"] == pytest.approx(point[key])
        inside = figure["p5"] <= figure["point"] <= figure["p95"]
        assert figure["point_in_range"] is inside
        assert (key in u["point_outside"]) is (not inside)
    assert u["watched_share"]["point_in_range"] is False
    assert u["watched_share"]["point"] < u["watched_share"]["p5"]
    assert "faster than range" in u["why"]
    path = tmp_path / "untagged.gpkg"
    text = run_camatlas("measure", "--atlas", path, "--samples", "6", "--seed", "4").stdout
    flat = " ".join(text.split())
    assert f"at the defaults, {100 * point['watched_share']:.1f}%, lies outside this range" in flat


def test_uncertainty_collapses_when_every_parameter_is_tagged(town: Atlas) -> None:
    result = measure(town, samples=3, seed=1, write=False)
    assert result.uncertainty is not None
    for key in ("watched_length_m", "watched_share", "watched_m_detection"):
        band = result.uncertainty[key]
        assert band["p5"] == band["median"] == band["p95"]
        assert band["point"] == pytest.approx(band["median"]) and band["point_in_range"]
    assert result.uncertainty["point_outside"] == [] and result.uncertainty["why"] is None
    assert result.uncertainty["watched_length_m"]["median"] == pytest.approx(
        result.summary["watched_length_m"]
    )


def test_measure_refuses_bad_choices(town: Atlas, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--by"):
        measure(town, by="county", write=False)
    with pytest.raises(InputError, match="kind"):
        measure(town, kinds=["drone"], write=False)
    with pytest.raises(InputError, match="admin_level 4"):
        measure(town, by="admin:4", write=False)
    with pytest.raises(InputError, match="rank"):
        measure(town, rank_by="beauty", write=False)
    with open_atlas(tmp_path / "empty.gpkg") as empty, pytest.raises(InputError, match="admin"):
        measure(empty, by="admin", write=False)


# --- the command line and real data ---------------------------------------------------


def test_cli_measure_json_and_text(tmp_path: Path) -> None:
    path = tmp_path / "town.gpkg"
    town_atlas(path, tagged=False).close()
    data = json.loads(
        run_camatlas("measure", "--atlas", path, "--json", "--by", "admin", "--samples", "3",
                "--seed", "2", "--completeness", "0.63", "--kind", "camera,alpr").stdout
    )  # fmt: skip
    for key in ("street_length_m", "watched_length_m", "watched_share", "cameras", "area_km2",
                "cameras_per_km2", "cameras_per_street_km", "parameters"):  # fmt: skip
        assert key in data
    assert data["street_length_m"] == pytest.approx(COUNTED_LENGTH_M, rel=1e-6)
    # 5 street-facing: the gunshot detector is not of the kinds asked for, camera 7 is indoor
    assert data["cameras"] == 5 and data["cameras_indoor"] == 1
    assert 0 < data["watched_length_m"] < data["street_length_m"]
    assert data["watched_share"] == pytest.approx(data["watched_length_m"] / COUNTED_LENGTH_M)
    assert data["cameras_per_street_km"] == pytest.approx(5 / (COUNTED_LENGTH_M / 1000))
    assert data["cameras_per_km2"] == pytest.approx(5 / data["area_km2"])
    assert data["cameras_per_drivable_km"] == pytest.approx(5 / (DRIVABLE_LENGTH_M / 1000))
    assert data["completeness"]["estimated_cameras"] == pytest.approx(5 / 0.63)
    # Street-facing cameras or ALPRs: 3 in the west, 2 in the east (and the indoor camera
    # 7 beside them), ranked per km²
    assert [a["name"] for a in data["areas"]] == ["West", "East"]
    assert [(a["cameras"], a["cameras_indoor"]) for a in data["areas"]] == [(3, 0), (2, 1)]
    density = [a["cameras_per_km2"] for a in data["areas"]]
    assert density == sorted(density, reverse=True)
    assert data["uncertainty"]["samples"] == 3
    assert data["parameters"]["kinds"] == ["alpr", "camera"]
    text = run_camatlas("measure", "--atlas", path, "--range", "30", "--no-occlusion").stdout
    assert "known cameras only" in text.lower()
    assert "OpenStreetMap contributors" in text
    assert "Assumptions" in text
    flat = " ".join(text.split())
    assert "6 street-facing cameras (and 1 tagged indoor, not counted)" in flat
    assert "per km of drivable road (3.0 km)" in flat
    with open_atlas(path, create=False) as atlas:
        names = set(atlas.results()["name"])
        assert {"street_coverage", "measure_by_area", "blind_spots"} <= names
        params = atlas.result_parameters("street_coverage")
        assert params["sight"]["range_m"] == 30.0 and params["sight"]["occlusion"] is False
    by_ward = " ".join(run_camatlas("measure", "--atlas", path, "--by", "admin").stdout.split())
    assert "per 1,000 residents (6 cameras in the areas, 2,500 residents)" in by_ward
    assert "residents" in by_ward and "2,000" in by_ward  # the West ward's row
    outdoor = run_camatlas("measure", "--atlas", path, "--surveillance", "public").stdout
    assert "6 cameras (cameras of surveillance scopes public)" in " ".join(outdoor.split())
    indoor = run_camatlas("measure", "--atlas", path, "--surveillance", "indoor", "--json")
    assert json.loads(indoor.stdout)["cameras"] == 1
    bad = run_camatlas("measure", "--atlas", path, "--surveillance", "indoors", check=False)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "surveillance scope" in bad.stderr and "indoors" in bad.stderr


def test_cli_measure_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "town.gpkg"
    town_atlas(path).close()
    proc = run_camatlas("measure", "--atlas", path, "--by", "h3:99", check=False)
    assert proc.returncode == 1
    assert "h3" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.realdata
def test_porto_coverage_and_h3_cells(shared_data: Path, tmp_path: Path) -> None:
    with open_atlas(tmp_path / "porto.gpkg") as atlas:
        atlas.import_file(shared_data / "porto.osm.pbf")
        result = measure(atlas, by="h3:9", write=False)
    s = result.summary
    assert s["cameras_total"] == 17  # SOURCES.md: 17 surveillance nodes
    assert 100_000 < s["street_length_m"] < 1_000_000
    assert 0 < s["watched_length_m"] < s["street_length_m"]
    assert result.by_area["cameras"].sum() == s["cameras_total"]
    assert result.by_area["street_length_m"].sum() == pytest.approx(s["street_length_m"], rel=1e-6)
    assert (result.streets["watched_m"] <= result.streets["length_m"] + 1e-6).all()


def test_a_camera_at_a_zone_border_of_a_wide_network_watches_both_sides(tmp_path: Path) -> None:
    # A road along 40 N from 4 W to 4 E (wider than a zone: split at 0 degrees), in ways of
    # half a degree, and a camera 8.5 m west of the junction at 0 degrees, 20 m range.
    geod = pyproj.Geod(ellps="WGS84")
    west = np.arange(-4.0, 4.0, 0.5)
    ways = [
        Street(
            id=f"osm:way/{k}",
            highway="primary",
            geometry=shapely.LineString([(lon, 40.0), (lon + 0.5, 40.0)]),
            nodes=(k, k + 1),
            tags={"highway": "primary"},
        )
        for k, lon in enumerate(west)
    ]
    offset = geod.inv(-0.0001, 40.0, 0.0, 40.0)[2]
    camera = Camera(
        id="osm:node/1", lon=-0.0001, lat=40.0, source="osm", source_id="node/1",
        camera_type="dome", range_m=20.0,
    )  # fmt: skip
    with open_atlas(tmp_path / "road.gpkg") as atlas:
        data = SourceData(path="r.osm", format="osm-xml", source="osm", cameras=[camera],
                          streets=ways)  # fmt: skip
        atlas.import_data(data, sha256="40")
        assert atlas.zoning().places == 1
        result = measure(atlas)
    watched = result.streets.set_index("id")["watched_m"]
    before, after = "osm:way/7", "osm:way/8"  # ending and starting at 0 degrees
    assert watched[before] == pytest.approx(20 + offset, rel=0.01)
    assert watched[after] == pytest.approx(20 - offset, rel=0.01)
    assert watched.drop([before, after]).sum() == 0
    # each side measured in its own zone: the road's length is true on the ground
    length = sum(geod.geometry_length(w.geometry) for w in ways)
    assert result.summary["street_length_m"] == pytest.approx(length, rel=0.002)


# --- streets below ground --------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "why"),
    [
        ({"tunnel": "yes"}, "tunnel=yes"),
        ({"tunnel": "building_passage"}, None),  # a passage through a building, at street level
        ({"layer": "-1"}, "layer=-1"),
        ({"layer": "1", "bridge": "yes"}, None),
        ({"level": "-2;-1"}, "level=-2;-1"),
        ({"level": "-1;0"}, None),  # reaches the ground
        ({"level": "basement"}, None),  # not a number: says nothing
        ({"indoor": "yes"}, "indoor=yes"),
        ({"location": "underground"}, "location=underground"),
        ({"TUNNEL": "yes"}, None),  # keys are case-sensitive in OSM
        ({}, None),
    ],
)
def test_which_ways_are_below_ground(tags: dict[str, str], why: str | None) -> None:
    assert underground({"highway": "footway", **tags}) == why


def test_streets_below_ground_are_left_out_and_reported(tmp_path: Path) -> None:
    # Over the town's y = 0 street, a camera at (50, 0) looks east: a footway tunnel runs
    # under it (layer -1), a bridge over it (layer 1), and an indoor corridor of a mall.
    below = [
        Street(id="osm:way/700", highway="footway", geometry=metric_line([(20, 2), (120, 2)]),
               tags={"highway": "footway", "tunnel": "yes", "layer": "-1"}),
        Street(id="osm:way/701", highway="footway", geometry=metric_line([(20, 5), (120, 5)]),
               tags={"highway": "footway", "level": "-1", "indoor": "yes"}),
    ]  # fmt: skip
    bridge = Street(id="osm:way/702", highway="footway", geometry=metric_line([(20, 8), (120, 8)]),
                    tags={"highway": "footway", "bridge": "yes", "layer": "1"})  # fmt: skip
    osm, registry = town_data()
    osm.streets = [*osm.streets, *below, bridge]
    with open_atlas(tmp_path / "town.gpkg") as atlas:
        atlas.import_data(osm, sha256="osm-below")
        atlas.import_data(registry, sha256="registry-below")
        result = measure(atlas, write=False)
        counted = measure(atlas, include_underground=True, write=False)
    s = result.summary
    assert s["street_length_m"] == pytest.approx(COUNTED_LENGTH_M + 100, rel=1e-6)  # the bridge
    assert s["left_out"]["streets"] == 2
    assert s["left_out"]["length_m"] == pytest.approx(200, rel=1e-3)
    assert s["left_out"]["by_tag"] == {"tunnel=yes": 1, "indoor=yes": 1}
    assert "osm:way/700" not in set(result.streets["id"]) and "osm:way/702" in set(
        result.streets["id"]
    )
    # Counted, the two ways add their length, and the camera above "sees" them.
    c = counted.summary
    assert c["left_out"] is None
    assert c["street_length_m"] == pytest.approx(COUNTED_LENGTH_M + 300, rel=1e-6)
    assert c["watched_length_m"] > s["watched_length_m"]
