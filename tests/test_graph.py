"""The street graph stored in the atlas: round trip, freshness, damage, both search engines,
and a cold route that loads only what it needs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely

import camatlas
from camatlas.errors import AtlasError, FormatError
from camatlas.pipelines import route as planner
from camatlas.records import Building, Direction, SourceData, Street
from camatlas.route import network
from tests.cli import environment, run_camatlas
from tests.factories import camera, city_node, small_city, source_data

PAIRS = [
    ((0, 0), (4, 2)), ((4, 0), (0, 2)), ((1, 1), (3, 1)), ((0.5, 0), (2.5, 2)), ((2, 1), (2, 1.4)),
]  # fmt: skip
"""Grid positions (i, j) of the small city: corners, middles and points between nodes."""


def latlon(i: float, j: float) -> tuple[float, float]:
    lon, lat = city_node(0, 0)
    return (lat + j * 0.001, lon + i * 0.001)


def city_atlas(url: str) -> camatlas.Atlas:
    atlas = camatlas.open_atlas(url)
    atlas.import_data(small_city(), sha256="small-city")
    camatlas.sight(atlas)
    return atlas


def routes(graph: planner.AtlasGraph) -> list[list[tuple[float, float, str, tuple[str, ...]]]]:
    found = []
    for a, b in PAIRS:
        options = graph.least_watched(latlon(*a), latlon(*b))
        found.append([(o.length_m, o.watched_m, o.geometry.wkt, o.cameras) for o in options])
    return found


def test_a_graph_read_back_from_bytes_routes_exactly_as_built(tmp_path: Path) -> None:
    atlas = city_atlas(str(tmp_path / "city.gpkg"))
    built = planner.build_graph(atlas)
    (zone,) = built.zones
    graph = built.graph(zone)
    again = network.StreetGraph.from_bytes(graph.to_bytes())
    assert again.crs == graph.crs and again.profile == graph.profile
    assert again.network.n_nodes == graph.network.n_nodes
    assert again.edges.drop(columns="geometry").equals(graph.edges.drop(columns="geometry"))
    assert again.edges.geometry.geom_equals_exact(graph.edges.geometry, 0).all()
    assert again.camera_pieces.equals(graph.camera_pieces)
    assert graph.edges["watched_m"].sum() > 0  # the views reach the streets
    for a, b in PAIRS:
        want = graph.least_watched(latlon(*a), latlon(*b))
        got = again.least_watched(latlon(*a), latlon(*b))
        assert [o.to_dict() for o in got] == [o.to_dict() for o in want]
    atlas.close()


def test_stored_graphs_are_read_in_a_new_process_until_the_atlas_changes(atlas_url: str) -> None:
    atlas = city_atlas(atlas_url)
    built = routes(planner.build_graph(atlas))
    assert camatlas.least_watched(atlas, latlon(0, 0), latlon(4, 2)).graph == "built"
    (stored,) = camatlas.store_graphs(atlas)
    assert stored.profile == "walk" and stored.edges == 22 and stored.watched_edges > 0
    atlas.close()

    with camatlas.open_atlas(atlas_url, read_only=True) as opened:
        graph = planner.build_graph(opened)
        assert graph.stored_at is not None
        assert routes(graph) == built
        result = camatlas.least_watched(opened, latlon(0, 0), latlon(4, 2))
        assert result.graph.startswith("stored ") and result.to_dict()["street_graph"]
        # Another profile was not stored: built in memory.
        assert planner.build_graph(opened, "car").stored_at is None

    # A new import makes the stored graph out of date (its streets or cameras may differ).
    with camatlas.open_atlas(atlas_url) as opened:
        opened.import_data(
            source_data("extra", [camera("extra", "1", *city_node(4, 2))]), sha256="extra"
        )
        assert planner.build_graph(opened).stored_at is None
        camatlas.store_graphs(opened, ["walk", "car"])
    with camatlas.open_atlas(atlas_url) as opened:
        assert planner.build_graph(opened).stored_at is not None
        assert planner.build_graph(opened, "car").stored_at is not None
        # New views (sight again) too: the exposure of every edge depends on them.
        camatlas.sight(opened)
        assert planner.build_graph(opened).stored_at is None


def test_a_damaged_stored_graph_is_an_error_naming_it(tmp_path: Path) -> None:
    atlas = city_atlas(str(tmp_path / "city.gpkg"))
    camatlas.store_graphs(atlas)
    (name,) = [n for n in _blob_names(tmp_path / "city.gpkg") if "EPSG" in n]
    data, parameters, _ = atlas.blob(name)  # type: ignore[misc]
    atlas.write_blob(name, data[: len(data) // 2], parameters)
    atlas.close()
    with (
        camatlas.open_atlas(tmp_path / "city.gpkg") as opened,
        pytest.raises(AtlasError, match=rf"{name}: .*damaged.*camatlas graph"),
    ):
        camatlas.least_watched(opened, latlon(0, 0), latlon(4, 2))


def _blob_names(path: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'camatlas_blobs'").fetchone():
            return []
        return [r[0] for r in conn.execute("SELECT name FROM camatlas_blobs")]


def test_stored_bytes_that_do_not_fit_together_are_refused(tmp_path: Path) -> None:
    atlas = city_atlas(str(tmp_path / "city.gpkg"))
    graph = planner.build_graph(atlas).graph(planner.build_graph(atlas).zones[0])
    atlas.close()
    good = dict(np.load(io.BytesIO(graph.to_bytes())))
    tampered = {
        "edge beyond its vertices": {"coord_start": good["coord_start"] + 1},
        "node number out of range": {"column_u": good["column_u"] + 10_000},
        "camera code out of range": {"camera_code": good["camera_code"] + 99},
        "a pickled object": {"coords": np.array([object()], dtype=object)},
        "another format": {"meta": np.frombuffer(b'{"format": 99}', dtype=np.uint8)},
    }
    for what, change in tampered.items():
        out = io.BytesIO()
        np.savez(out, **{**good, **change})
        with pytest.raises(FormatError):
            network.StreetGraph.from_bytes(out.getvalue())
        assert what
    with pytest.raises(FormatError):
        network.StreetGraph.from_bytes(b"not a graph")


def test_the_pure_python_search_finds_the_routes_scipy_finds(tmp_path: Path) -> None:
    atlas = city_atlas(str(tmp_path / "city.gpkg"))
    graph = planner.build_graph(atlas)
    street_graph = graph.graph(graph.zones[0])
    for a, b in PAIRS:
        start = street_graph.snap(*latlon(*a))
        end = street_graph.snap(*latlon(*b))
        legs = street_graph._legs(start, end)
        found = {}
        for engine in ("scipy", "python"):
            search = street_graph.network.search(
                *legs, origin_xy=(start.x, start.y), goal_xy=(end.x, end.y), engine=engine
            )
            assert search.engine == engine
            pareto = network._search.pareto_routes(search)
            found[engine] = [(r.length_m, r.watched_m, r.arcs) for r in pareto]
        assert found["python"] == found["scipy"]
    atlas.close()


LOADED = """
import json, sys
from camatlas.cli import main
sys.argv = ["camatlas", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = ["pandas", "geopandas", "scipy", "pyogrio", "osmium", "h3", "shapely", "pyproj"]
sys.stderr.write("LOADED " + json.dumps([m for m in heavy if m in sys.modules]) + "\\n")
"""


def loaded_by(*args: str) -> list[str]:
    """The heavy libraries a camatlas command imported, run in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-c", LOADED, *args],
        capture_output=True, text=True, env=environment(), timeout=300,
    )  # fmt: skip
    line = [x for x in proc.stderr.splitlines() if x.startswith("LOADED ")]
    assert line, proc.stderr
    loaded: list[str] = json.loads(line[0].removeprefix("LOADED "))
    return loaded


def test_commands_start_without_the_libraries_they_do_not_use(tmp_path: Path) -> None:
    assert loaded_by("--help") == []
    assert loaded_by("route", "--help") == []
    path = tmp_path / "city.gpkg"
    city_atlas(str(path)).close()
    run_camatlas("graph", "--atlas", str(path))
    start, end = latlon(0, 0), latlon(4, 2)
    route = ["route", "-a", str(path), "--from", f"{start[0]},{start[1]}",
             "--to", f"{end[0]},{end[1]}", "--json"]  # fmt: skip
    # A route from the stored graph: numpy and shapely (snapping), no more; its UTM zone
    # is projected without pyproj.
    assert sorted(loaded_by(*route)) == ["shapely"]
    answer = json.loads(run_camatlas(*route).stdout)
    assert answer["street_graph"].startswith("stored ") and answer["routes"]


def test_the_graph_command_stores_each_profile_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "city.gpkg"
    city_atlas(str(path)).close()
    proc = run_camatlas("graph", "-a", str(path), "--profile", "walk", "--profile", "car",
                        "--json")  # fmt: skip
    stored = json.loads(proc.stdout)["graphs"]
    assert [g["profile"] for g in stored] == ["walk", "car"]
    assert all(g["edges"] > 0 and g["bytes"] > 0 for g in stored)
    text = run_camatlas("graph", "-a", str(path)).stdout
    assert "walk" in text and "edges" in text
    bad = run_camatlas("graph", "-a", str(path), "--profile", "horse", check=False)
    assert bad.returncode != 0 and "unknown profile" in bad.stderr and "horse" in bad.stderr


# --- one geometry of the views for measure, route and exposure ---------------------------

WALL = (-8.6100, 41.1500)  # lon, lat of the south-west corner of the building


def wall_atlas(path: Path, seed: int) -> camatlas.Atlas:
    """A street drawn on a building's south wall, and cameras south of it looking north:
    the building cuts their views along the wall, so the street lies on the views' edges."""
    rng = np.random.default_rng(seed)
    lon, lat = WALL
    east = lon + 0.002
    street = Street(
        id="osm:way/1", highway="footway", name="Along the wall", nodes=(1, 2, 3),
        geometry=shapely.LineString([(lon - 0.0006, lat), (lon, lat), (east, lat)]),
        tags={"highway": "footway"},
    )  # fmt: skip
    building = Building(id="osm:way/2", building="yes",
                        geometry=shapely.box(lon, lat, east, lat + 0.0005))  # fmt: skip
    cams = [
        camera("osm", f"node/{k}", float(x), float(lat - rng.uniform(0.00005, 0.0002)),
               camera_type="fixed", surveillance="public",
               directions=(Direction(float(rng.uniform(-40, 40)) % 360),))
        for k, x in enumerate(rng.uniform(lon - 0.0004, east, 4))
    ]  # fmt: skip
    atlas = camatlas.open_atlas(path)
    data = SourceData(path="wall.osm", format="osm-xml", source="osm",
                      cameras=cams, streets=[street], buildings=[building])  # fmt: skip
    atlas.import_data(data, sha256=f"wall-{seed}")
    camatlas.sight(atlas)
    return atlas


@pytest.mark.parametrize("seed", range(4))
def test_a_street_along_a_wall_is_as_watched_for_measure_route_and_exposure(
    tmp_path: Path, seed: int
) -> None:
    atlas = wall_atlas(tmp_path / "wall.gpkg", seed)
    result = camatlas.measure(atlas, write=False)
    assert result.summary["views"].startswith("stored result layers views")
    other = camatlas.measure(atlas, write=False, sight=camatlas.SightParameters(range_m=20))
    assert other.summary["views"] == "computed with the measure's sight parameters"
    measured = result.streets
    by_measure = float(measured.loc[measured["id"] == "osm:way/1", "watched_m"].sum())
    graph = planner.build_graph(atlas)
    edges = graph.graph(graph.zones[0]).edges
    by_route = float(edges.loc[edges["street_id"] == "osm:way/1", "watched_m"].sum())
    line = atlas.streets().geometry.iloc[0]
    by_exposure = camatlas.exposure(atlas, line).watched_m
    assert by_measure > 0
    assert by_route == pytest.approx(by_measure, abs=1e-3)
    assert by_exposure == pytest.approx(by_measure, abs=1e-3)
    # The stretch along the wall is on the views' edges, and an edge counts as inside:
    # the same metres as a street a centimetre south of the wall, inside the views.
    views = atlas.result("views").to_crs(edges.crs)
    along = shapely.LineString(np.asarray(edges.geometry.iloc[0].coords)) if len(edges) == 1 else (
        shapely.line_merge(shapely.union_all(edges.geometry.to_numpy()))
    )  # fmt: skip
    south = shapely.offset_curve(along, -0.01)
    inside = float(shapely.intersection(south, shapely.union_all(views.geometry.to_numpy())).length)
    assert by_measure == pytest.approx(inside, abs=0.05)
    atlas.close()


def test_sight_stores_the_walking_graph_and_splits_the_area_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "city.gpkg"
    with camatlas.open_atlas(path) as atlas:
        atlas.import_data(small_city(), sha256="small-city")
    plain = json.loads(run_camatlas("sight", "-a", str(path), "--no-graph", "--json").stdout)
    assert plain["area_by_level_km2"] is None and plain["area_km2"] > 0
    assert plain["graphs"] == [] and not _blob_names(path)
    split = json.loads(run_camatlas("sight", "-a", str(path), "--area-by-level", "--json").stdout)
    assert set(split["area_by_level_km2"]) == {"identification", "recognition", "observation",
                                               "detection"}  # fmt: skip
    assert sum(split["area_by_level_km2"].values()) == pytest.approx(split["area_km2"], rel=1e-6)
    assert split["area_km2"] == pytest.approx(plain["area_km2"], rel=1e-9)
    assert [g["profile"] for g in split["graphs"]] == ["walk"]
    with camatlas.open_atlas(path) as atlas:
        assert planner.build_graph(atlas).stored_at is not None
    text = run_camatlas("sight", "-a", str(path)).stdout
    assert "best identification" not in text and "Stored the walk street graph" in text
