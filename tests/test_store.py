"""The GeoPackage store: standard structure, round trip through GDAL, transactions, linking."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pyogrio
import pytest
import shapely

import camatlas
from camatlas.errors import AtlasError, CamatlasError, InputError, NotFoundError
from camatlas.records import Area
from camatlas.store import open_store
from camatlas.store.gpkg import GPKG_APPLICATION_ID, decode_geometries, encode_geometries
from tests.cli import environment, run_camatlas
from tests.factories import DEG_PER_M_LAT, camera, osm_data, source_data
from tests.postgis import atlas_sql


@pytest.fixture
def atlas_path(tmp_path: Path) -> Path:
    """A GeoPackage atlas, for the tests of what is particular to the GeoPackage (GDAL, SQLite).

    Every other test takes ``atlas_url`` (see conftest.py) and runs on both backends.
    """
    return tmp_path / "atlas.gpkg"


def test_new_atlas_is_a_standard_geopackage(atlas_path: Path) -> None:
    camatlas.open_atlas(atlas_path).close()
    conn = sqlite3.connect(atlas_path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == GPKG_APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 10300
    contents = dict(conn.execute("SELECT table_name, data_type FROM gpkg_contents"))
    assert {contents[t] for t in ("cameras", "streets", "buildings")} == {"features"}
    assert contents["sources"] == "attributes"
    srs = {r[0] for r in conn.execute("SELECT srs_id FROM gpkg_spatial_ref_sys")}
    assert {-1, 0, 4326} <= srs
    ext = set(conn.execute("SELECT table_name, extension_name FROM gpkg_extensions"))
    assert ("cameras", "gpkg_rtree_index") in ext
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_every_layer_reads_back_through_gdal(atlas_path: Path) -> None:
    data = osm_data()
    with camatlas.open_atlas(atlas_path) as atlas:
        atlas.import_data(data, sha256="a" * 64)
    layers = {name for name, _ in pyogrio.list_layers(atlas_path)}
    assert {"cameras", "streets", "buildings", "sources", "normalization_report"} <= layers
    cams = pyogrio.read_dataframe(atlas_path, layer="cameras")
    assert cams.crs.to_epsg() == 4326
    by_id = cams.set_index("id")
    assert by_id.loc["osm:node/1", "geometry"].equals(shapely.Point(-8.61, 41.15))
    assert by_id.loc["osm:node/2", "directions"] == "190-100"
    assert by_id.loc["osm:node/1", "camera_type"] == "dome"
    assert json.loads(by_id.loc["osm:node/1", "tags"])["name"] == "cam node/1"
    streets = pyogrio.read_dataframe(atlas_path, layer="streets")
    assert sorted(streets["id"]) == ["osm:way/10", "osm:way/11"]
    assert streets.set_index("id").loc["osm:way/10", "geometry"].equals(data.streets[0].geometry)
    buildings = pyogrio.read_dataframe(atlas_path, layer="buildings")
    assert buildings.geometry.iloc[0].geom_type == "MultiPolygon"
    assert buildings.geometry.iloc[0].equals(shapely.MultiPolygon([data.buildings[0].geometry]))
    # GDAL sees the R-tree: a bbox query is served by the spatial index.
    info = pyogrio.read_info(atlas_path, layer="cameras")
    assert info["capabilities"]["fast_spatial_filter"]
    only = pyogrio.read_dataframe(
        atlas_path, layer="cameras", bbox=(-8.6105, 41.149, -8.609, 41.1505)
    )
    assert list(only["id"]) == ["osm:node/1"]


def test_geometry_blobs_round_trip() -> None:
    geoms = [
        shapely.Point(1.5, -2),
        shapely.LineString([(0, 0), (1, 1)]),
        shapely.MultiPolygon([shapely.box(0, 0, 2, 1)]),
    ]
    import numpy as np

    blobs = encode_geometries(np.asarray(geoms, dtype=object))
    assert all(b[:2] == b"GP" for b in blobs)
    back = decode_geometries(blobs)
    assert all(a.equals(b) for a, b in zip(geoms, back, strict=True))


def test_bbox_query_uses_west_south_east_north(atlas_url: str) -> None:
    with camatlas.open_atlas(atlas_url) as atlas:
        atlas.import_data(osm_data(), sha256="a" * 64)
        inside = atlas.cameras(bbox=(-8.6115, 41.1505, -8.6105, 41.1515))
        assert list(inside["id"]) == ["osm:node/2"]
        assert len(atlas.cameras(bbox=(0, 0, 1, 1))) == 0
        assert len(atlas.streets(bbox=(-8.6101, 41.1509, -8.6099, 41.1511))) == 1


def test_import_of_the_same_input_twice_changes_nothing(atlas_url: str) -> None:
    with camatlas.open_atlas(atlas_url) as atlas:
        first = atlas.import_data(osm_data(), sha256="b" * 64)
        assert len(atlas.cameras()) == 2 and len(atlas.sources()) == 1
        before = atlas.cameras().to_json(), len(atlas.sources())
        second = atlas.import_data(osm_data(), sha256="b" * 64)
        assert (first.status, second.status) == ("imported", "unchanged")
        assert (atlas.cameras().to_json(), len(atlas.sources())) == before


def test_reimport_of_changed_data_updates_in_place(atlas_url: str) -> None:
    with camatlas.open_atlas(atlas_url) as atlas:
        atlas.import_data(
            source_data("reg", [camera("reg", "1", 2.0, 48.0, name="old")]), sha256="1" * 64
        )
        atlas.import_data(
            source_data("reg", [camera("reg", "1", 2.0, 48.0, name="new")]), sha256="2" * 64
        )
        cams = atlas.cameras()
        assert list(cams["name"]) == ["new"]
        assert len(atlas.sources()) == 2


def test_failed_import_leaves_the_atlas_as_it_was(
    atlas_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with camatlas.open_atlas(atlas_url) as atlas:
        atlas.import_data(source_data("reg", [camera("reg", "1", 2.0, 48.0)]), sha256="1" * 64)

        def explode(*args: object, **kwargs: object) -> int:
            raise CamatlasError("disk full")

        monkeypatch.setattr(atlas._store, "add_source", explode)  # a fault in the backend
        with pytest.raises(CamatlasError, match="disk full"):
            atlas.import_data(osm_data(), sha256="2" * 64)
        monkeypatch.undo()
        assert list(atlas.cameras()["id"]) == ["reg:1"]
        assert len(atlas.streets()) == 0
        assert len(atlas.sources()) == 1


def test_cameras_of_different_sources_nearby_are_linked_not_dropped(atlas_url: str) -> None:
    lon, lat = -8.61, 41.15
    a = [camera("osm", "node/1", lon, lat), camera("osm", "node/2", lon, lat + 40 * DEG_PER_M_LAT)]
    b = [
        camera("reg", "1", lon, lat + 10 * DEG_PER_M_LAT),  # 10 m from node/1: linked
        camera("reg", "2", lon, lat + 60 * DEG_PER_M_LAT),  # 20 m from node/2: not linked
        camera("reg", "3", lon, lat + 41 * DEG_PER_M_LAT, kind="alpr"),  # other kind: not linked
    ]
    with camatlas.open_atlas(atlas_url) as atlas:
        atlas.import_data(source_data("osm", a), sha256="1" * 64)
        summary = atlas.import_data(source_data("reg", b), sha256="2" * 64)
        assert summary.links == 1
        links = atlas.links()
        pairs = list(zip(links["camera_a"], links["camera_b"], strict=True))
        assert pairs == [("osm:node/1", "reg:1")]
        assert 9.5 < links["distance_m"].iloc[0] < 10.5
        cams = atlas.cameras().set_index("id")
        assert len(cams) == 5
        assert (
            cams.loc["reg:1", "physical_id"]
            == cams.loc["osm:node/1", "physical_id"]
            == "osm:node/1"
        )
        assert cams.loc["reg:2", "physical_id"] == "reg:2"
        stats = atlas.stats()
        assert (stats.cameras, stats.physical_cameras, stats.linked_pairs) == (5, 4, 1)


def test_same_source_cameras_are_never_linked(atlas_url: str) -> None:
    cams = [camera("osm", "node/1", 2.0, 48.0), camera("osm", "node/2", 2.0, 48.0)]
    with camatlas.open_atlas(atlas_url) as atlas:
        atlas.import_data(source_data("osm", cams), sha256="1" * 64)
        assert atlas.stats().physical_cameras == 2


def test_physical_ids_do_not_depend_on_import_order(make_atlas_url: Callable[[], str]) -> None:
    lat = 41.15
    a = [camera("aaa", "1", 2.0, lat), camera("aaa", "2", 2.001, lat)]
    b = [
        camera("bbb", "1", 2.0, lat + 5 * DEG_PER_M_LAT),
        camera("bbb", "2", 2.001, lat + 30 * DEG_PER_M_LAT),
    ]
    c = [camera("ccc", "1", 2.0, lat + 12 * DEG_PER_M_LAT)]
    results = []
    for order in ([a, b, c], [c, b, a], [b, c, a]):
        with camatlas.open_atlas(make_atlas_url()) as atlas:
            for i, group in enumerate(order):
                atlas.import_data(source_data(group[0].source, group), sha256=str(i) * 64)
            cams = atlas.cameras()
            results.append(dict(zip(cams["id"], cams["physical_id"], strict=True)))
    assert results[0] == results[1] == results[2]
    assert results[0]["ccc:1"] == results[0]["bbb:1"] == "aaa:1"


def test_moving_a_camera_away_unlinks_it(atlas_url: str) -> None:
    with camatlas.open_atlas(atlas_url) as atlas:
        atlas.import_data(source_data("aaa", [camera("aaa", "1", 2.0, 48.0)]), sha256="1" * 64)
        atlas.import_data(source_data("bbb", [camera("bbb", "1", 2.0, 48.00005)]), sha256="2" * 64)
        assert atlas.stats().physical_cameras == 1
        atlas.import_data(source_data("bbb", [camera("bbb", "1", 2.0, 48.01)]), sha256="3" * 64)
        cams = atlas.cameras().set_index("id")
        assert cams.loc["bbb:1", "physical_id"] == "bbb:1"
        assert atlas.stats().linked_pairs == 0


def test_opening_something_that_is_not_an_atlas_fails_clearly(tmp_path: Path) -> None:
    text = tmp_path / "notes.gpkg"
    text.write_text("hello")
    with pytest.raises(AtlasError, match=r"notes\.gpkg"):
        camatlas.open_atlas(text)
    with pytest.raises(AtlasError, match="no atlas here"):
        camatlas.open_atlas(tmp_path / "missing.gpkg", create=False)


def test_an_atlas_from_a_newer_camatlas_is_refused(atlas_url: str) -> None:
    camatlas.open_atlas(atlas_url).close()
    atlas_sql(atlas_url, "UPDATE camatlas_schema SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(AtlasError, match="newer camatlas"):
        camatlas.open_atlas(atlas_url)


def test_an_atlas_of_schema_version_1_is_migrated_when_opened(atlas_url: str) -> None:
    area = Area("osm:relation/7", "Ribeira", 10, shapely.box(-8.62, 41.14, -8.60, 41.16).buffer(0))
    data = osm_data()
    data.areas = [area]
    with camatlas.open_atlas(atlas_url) as atlas:
        atlas.import_data(data, sha256="a" * 64)
    # Make it an atlas of version 1 as an older camatlas wrote it: no areas.partial.
    atlas_sql(atlas_url, "ALTER TABLE areas DROP COLUMN partial")
    atlas_sql(atlas_url, "UPDATE camatlas_schema SET value = '1' WHERE key = 'schema_version'")
    with camatlas.open_atlas(atlas_url, read_only=True) as atlas:
        areas = atlas.areas()
        assert areas["partial"].tolist() == [False]
        assert areas["name"].tolist() == ["Ribeira"]
    version = atlas_sql(atlas_url, "SELECT value FROM camatlas_schema WHERE key = 'schema_version'")
    assert version == [("2",)]
    with camatlas.open_atlas(atlas_url) as atlas:  # and stays writable as version 2
        atlas.import_data(data, sha256="b" * 64)
        assert len(atlas.areas()) == 1


def test_a_plain_geopackage_is_not_taken_for_an_atlas(tmp_path: Path) -> None:
    import geopandas as gpd

    path = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=4326).to_file(path)
    with pytest.raises(AtlasError, match="not a camatlas atlas"):
        camatlas.open_atlas(path)


@pytest.mark.parametrize("fmt", ["geojson", "csv", "fgb", "gpkg"])
def test_export_formats_read_back(atlas_url: str, tmp_path: Path, fmt: str) -> None:
    with camatlas.open_atlas(atlas_url) as atlas:
        atlas.import_data(osm_data(), sha256="a" * 64)
        out = tmp_path / f"out.{fmt}"
        atlas.export(out, fmt)
    if fmt == "csv":
        import pandas as pd

        table = pd.read_csv(out)
        assert sorted(table["id"]) == ["osm:node/1", "osm:node/2"]
        assert table.set_index("id").loc["osm:node/1", "lon"] == pytest.approx(-8.61)
        return
    back = pyogrio.read_dataframe(out, layer="cameras")
    assert sorted(back["id"]) == ["osm:node/1", "osm:node/2"]
    if fmt == "gpkg":
        assert len(pyogrio.read_dataframe(out, layer="buildings")) == 1


def test_result_layers_round_trip_with_parameters(atlas_url: str, backend: str) -> None:
    import geopandas as gpd
    import pandas as pd

    views = gpd.GeoDataFrame(
        {"camera_id": ["a", "b"], "range_m": [30.0, 50.0], "assumed": [True, False], "n": [1, 2]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)],
        crs=4326,
    )
    table = pd.DataFrame({"area": ["x", "y"], "share": [0.25, None]})
    with camatlas.open_atlas(atlas_url) as atlas:
        atlas.write_results({"views": views, "coverage_by_area": table}, {"range_m": 30})
        atlas.write_results({"views": views}, {"range_m": 40})  # replacing keeps one entry
        back = atlas.result("views")
        assert list(back["camera_id"]) == ["a", "b"]
        assert back["assumed"].tolist() == [True, False]
        assert back.geometry.iloc[1].equals(shapely.box(2, 2, 3, 3))
        assert list(atlas.result("views", bbox=(1.5, 1.5, 4, 4))["camera_id"]) == ["b"]
        t = atlas.result("coverage_by_area")
        assert t["share"].iloc[0] == 0.25 and pd.isna(t["share"].iloc[1])
        results = atlas.results().set_index("name")
        assert results.loc["views", "parameters"] == {"range_m": 40}
        assert results.loc["coverage_by_area", "parameters"] == {"range_m": 30}
        assert results.loc["views", "geometry_type"] == "POLYGON"
        assert len(results) == 2
        # A bad name is refused before anything is written: both layers, or neither.
        with pytest.raises(InputError, match="reserved"):
            atlas.write_results({"views": views.iloc[:1], "cameras": views}, {})
        assert len(atlas.result("views")) == 2
        with pytest.raises(NotFoundError, match="no result layer 'nothing'"):
            atlas.result("nothing")
    if backend == "gpkg":  # GDAL reads the result layer like any other.
        assert len(pyogrio.read_dataframe(atlas_url, layer="views")) == 2


def test_layer_columns_read_attributes_without_geometry(atlas_url: str) -> None:
    with camatlas.open_atlas(atlas_url) as atlas:
        atlas.import_data(osm_data(), sha256="a" * 64)
        frame = atlas.camera_columns(["id", "kind", "direction_known"])
        assert list(frame.columns) == ["id", "kind", "direction_known"]
        assert frame["id"].tolist() == ["osm:node/1", "osm:node/2"]
        assert frame["kind"].tolist() == ["camera", "alpr"]
        assert [bool(v) for v in frame["direction_known"]] == [True, True]
        with pytest.raises(InputError, match="no column 'geom'"):
            atlas.camera_columns(["geom"])
        stats = atlas.stats().to_dict()
        assert stats["by_kind"] == {"alpr": 1, "camera": 1}
        assert stats["direction"] == {"known": 2, "unknown": 0}


def test_line_ends_are_the_first_and_last_vertex_of_each_street(atlas_url: str) -> None:
    with camatlas.open_atlas(atlas_url) as atlas:
        atlas.import_data(osm_data(), sha256="e" * 64)
        streets = atlas.streets()
        with closing(open_store(atlas_url)) as store:
            ends = store.line_ends("streets")
    assert len(streets) == 2
    assert ends["id"].tolist() == streets["id"].tolist()
    for (_, row), line in zip(ends.iterrows(), streets.geometry, strict=True):
        assert (row.x0, row.y0) == line.coords[0] and (row.x1, row.y1) == line.coords[-1]
    with closing(open_store(atlas_url)) as store, pytest.raises(NotFoundError):
        store.line_ends("nothing")


def test_a_write_waits_for_another_writer_then_fails_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "city.gpkg"
    with camatlas.open_atlas(path) as atlas:
        atlas.import_data(source_data("a", [camera("a", "1", 1.0, 1.0)]), sha256="a")
    monkeypatch.setenv("CAMATLAS_LOCK_TIMEOUT", "1.5")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    try:
        with camatlas.open_atlas(path) as atlas, caplog.at_level("WARNING"):
            with pytest.raises(AtlasError, match=r"another process has been writing .* 1\.5 s"):
                atlas.import_data(source_data("b", [camera("b", "1", 2.0, 2.0)]), sha256="b")
            assert "waiting up to 1.5 s" in caplog.text
            assert len(atlas.sources()) == 1  # nothing of the refused import
    finally:
        other.execute("ROLLBACK")
        other.close()
    with camatlas.open_atlas(path) as atlas:
        atlas.import_data(source_data("b", [camera("b", "1", 2.0, 2.0)]), sha256="b")
        assert len(atlas.sources()) == 2
    monkeypatch.setenv("CAMATLAS_LOCK_TIMEOUT", "soon")
    with pytest.raises(AtlasError, match="CAMATLAS_LOCK_TIMEOUT must be a number of seconds"):
        camatlas.open_atlas(path)


def test_imports_started_together_into_a_new_atlas_all_land(tmp_path: Path) -> None:
    # Each process finds no atlas and creates it; the tables are made under the write
    # lock, so the others find them made instead of failing on them.
    path = tmp_path / "new.gpkg"
    files = []
    for k in range(8):
        table = tmp_path / f"cams{k}.csv"
        table.write_text(f"lat,lon\n{41 + k / 100},-8.6\n", encoding="utf-8")
        files.append(table)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "camatlas", "import", str(f), "--atlas", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment(),
        )
        for f in files
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (_, stderr) in zip(procs, results, strict=True):
        assert proc.returncode == 0, stderr.decode()
    with camatlas.open_atlas(path) as atlas:
        assert len(atlas.sources()) == 8 and len(atlas.cameras()) == 8


def test_a_damaged_atlas_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "city.gpkg"
    with camatlas.open_atlas(path) as atlas:
        atlas.import_data(osm_data(), sha256="osm")
        camatlas.sight(atlas)
    size = path.stat().st_size
    page = int.from_bytes(path.read_bytes()[16:18], "big")  # SQLite's page size
    with path.open("r+b") as fh:  # every page but the first overwritten, as a bad disk does
        fh.seek(page)
        fh.write(b"\xff" * (size - page))
    proc = run_camatlas("route", "--atlas", path, "--from", "41.149,-8.612",
                        "--to", "41.150,-8.610", check=False)  # fmt: skip
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{path}: the atlas file is damaged" in proc.stderr
    with (
        pytest.raises(AtlasError, match="the atlas file is damaged"),
        camatlas.open_atlas(path) as atlas,
    ):
        for layer in ("cameras", "streets", "buildings", "views", "view_zones"):
            (atlas.layer(layer) if layer in ("cameras", "streets", "buildings")
             else atlas.result(layer))  # fmt: skip


DENSE_CLUSTER = """
import resource, sys
cap = 2 * 1024**3
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
import pandas as pd
from camatlas.merge import find_links
n = 6000
one = pd.DataFrame({"id": [f"a:{k}" for k in range(n)], "lon": 11.5, "lat": 48.1,
                    "kind": "camera", "source": "a"})
other = pd.DataFrame({"id": ["b:1", "b:2"], "lon": [11.5, 11.6], "lat": [48.1, 48.1],
                      "kind": ["camera", "camera"], "source": ["b", "b"]})
links = find_links(one, pd.concat([one, other], ignore_index=True))
print(len(links), links[0].camera_a, links[0].camera_b, links[0].distance_m)
"""


def test_linking_a_dense_cluster_needs_memory_linear_in_cameras() -> None:
    # 6,000 cameras of one source at one point: 36 million nearby pairs, all of one
    # source. Under a 2 GiB address-space cap the pair search must still finish.
    proc = subprocess.run([sys.executable, "-c", DENSE_CLUSTER], capture_output=True,
                          text=True, env=environment(), timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    count, a, b, metres = proc.stdout.split()
    # Each of the 6,000 links to the other source's camera at the same spot, none to the
    # one 7 km away, none between cameras of one source.
    assert (int(count), a, b, float(metres)) == (6000, "a:0", "b:1", 0.0)


def test_a_failed_write_of_several_files_says_which_landed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = []
    for k in range(3):
        table = tmp_path / f"cams{k}.csv"
        table.write_text(f"lat,lon\n{41 + k / 100},-8.6\n", encoding="utf-8")
        files.append(table)
    with camatlas.open_atlas(tmp_path / "a.gpkg") as atlas:
        real = atlas.import_data
        calls = []

        def failing_second(*args: object, **kwargs: object) -> object:
            calls.append(1)
            if len(calls) == 2:  # the disk fills up while the second file is written
                raise AtlasError(f"{atlas.url}: cannot write: database or disk is full")
            return real(*args, **kwargs)

        monkeypatch.setattr(atlas, "import_data", failing_second)
        with pytest.raises(AtlasError) as caught:
            atlas.import_files(files)
        message = str(caught.value)
        assert "disk is full" in message
        assert f"imported before the error: {files[0]}" in message
        assert f"not imported: {files[1]}, {files[2]}" in message
        assert len(atlas.sources()) == 1


def test_import_files_creates_the_atlas_only_once_every_file_is_read(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("id,lat,lon\n1,41.15,-8.61\n2,41.16,-8.62\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lat,lon\n1,41.15,east\n", encoding="utf-8")
    atlas = tmp_path / "new.gpkg"
    with pytest.raises(InputError, match=r"bad\.csv"):
        camatlas.import_files(atlas, [good, bad])
    assert not atlas.exists()
    first = camatlas.import_files(atlas, [good])
    assert [s.status for s in first] == ["imported"] and first[0].cameras == 2
    again = camatlas.import_files(atlas, [good])
    assert [s.status for s in again] == ["unchanged"]
    with camatlas.open_atlas(atlas, create=False) as opened:
        assert opened.count("cameras") == 2
