"""Both backends hold the same atlas, and `camatlas copy` moves one between them without loss."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

import camatlas
from camatlas.errors import AtlasError, CamatlasError
from camatlas.records import Area, Direction, TagProblem
from camatlas.store import Store, open_store
from camatlas.store.copy import copy_atlas
from camatlas.vocab import LAYERS
from tests.cli import run_camatlas
from tests.factories import DEG_PER_M_LAT, camera, osm_data, source_data
from tests.postgis import PostgresCluster


def fill(url: str) -> None:
    """An atlas with something in every layer and table, built the way users build one."""
    lon, lat = -8.61, 41.15
    data = osm_data()
    data.areas = [
        Area(
            id="osm:relation/1",
            name="Freguesia",
            admin_level=9,
            population=12345.0,
            geometry=shapely.box(-8.62, 41.14, -8.60, 41.16),
            tags={"name": "Freguesia"},
        ),
        Area(
            id="osm:relation/2",
            name=None,
            admin_level=None,
            geometry=shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
        ),
    ]
    data.problems = [
        TagProblem("camera:type", "dome;fixed", "osm:node/1", "kept as unknown"),
        TagProblem("camera:type", "dome;fixed", "osm:node/2", "kept as unknown"),
        TagProblem("height", "tall", "osm:node/2", "not a number; no height"),
    ]
    registry = [
        camera(
            "reg",
            "1",
            lon,
            lat + 10 * DEG_PER_M_LAT,
            operator="Câmara",
            width_deg=90.0,
            directions=(Direction(10.5), Direction(350.0, 20.0)),
        ),
        camera("reg", "2", lon + 0.01, lat, kind="alpr"),
    ]
    registry[1].tags = {"note": "ünïcode ✓", "a": "1"}
    moved = [camera("reg", "2", lon + 0.02, lat, kind="alpr", name="moved")]
    views = gpd.GeoDataFrame(
        {
            "camera_id": ["osm:node/1", None, "reg:1"],
            "range_m": [30.0, np.nan, 12.5],
            "assumed": [True, None, False],
            "n": pd.array([1, None, 3], dtype="Int64"),
        },
        geometry=[shapely.box(-8.611, 41.15, -8.610, 41.151), None, shapely.Point(-8.61, 41.15)],
        crs=4326,
    )
    table = pd.DataFrame(
        {"area": ["x", "y"], "share": [0.25, None], "cameras": [3, 4], "flag": [True, False]}
    )
    empty = gpd.GeoDataFrame({"label": pd.Series([], dtype=object)}, geometry=[], crs=4326)
    with camatlas.open_atlas(url) as atlas:
        atlas.import_data(data, sha256="a" * 64)
        atlas.import_data(
            source_data("reg", registry, path="reg.csv"), sha256="b" * 64, options={"note": "first"}
        )
        atlas.import_data(source_data("reg", moved, path="reg.csv"), sha256="c" * 64)
        atlas.write_results({"views": views}, {"range_m": 30, "seed": [1, 2]})
        atlas.write_results({"coverage_by_area": table}, {"by": "h3:9"})
        atlas.write_results({"nothing": empty}, {})
        # replaced: moves to the end of the results table
        atlas.write_results({"views": views}, {"range_m": 40})
        atlas.write_blobs({"graph:walk": (bytes(range(256)) * 3, {"key": "k", "zones": [1]}),
                           "empty": (b"", {})})  # fmt: skip


def assert_same_atlas(a: Store, b: Store, *, link_fids: bool = True, times: bool = True) -> None:
    """Every layer, table and result layer of ``a`` and ``b`` is equal, ids and types included.

    ``times=False`` leaves out the import and creation times (for atlases built apart).
    """
    for layer in LAYERS:
        assert_geodataframe_equal(a.read_layer(layer), b.read_layer(layer))
    for table in ("sources", "normalization_report", "results"):
        skip = ["fid"] if times else ["fid", "imported_at", "created_at"]
        pd.testing.assert_frame_equal(
            a.read_table(table).drop(columns=skip, errors="ignore"),
            b.read_table(table).drop(columns=skip, errors="ignore"),
        )
    for table in ("sources", "normalization_report"):
        pd.testing.assert_series_equal(a.read_table(table)["fid"], b.read_table(table)["fid"])
    pd.testing.assert_frame_equal(a.links(), b.links())
    assert a.blob_names() == b.blob_names()
    for name in a.blob_names():
        stored_a, stored_b = a.read_blob(name), b.read_blob(name)
        assert stored_a is not None and stored_b is not None
        assert stored_a[:2] == stored_b[:2], name  # the bytes and the parameters
        if times:
            assert stored_a[2] == stored_b[2], name  # the creation time
    if link_fids:
        pd.testing.assert_frame_equal(a.read_table("camera_links"), b.read_table("camera_links"))
    for name in a.results()["name"]:
        assert a.result_columns(name) == b.result_columns(name), name
        ra, rb = a.read_result(name), b.read_result(name)
        if isinstance(ra, gpd.GeoDataFrame):
            assert_geodataframe_equal(ra, rb)
        else:
            pd.testing.assert_frame_equal(ra, rb)


def test_both_backends_hold_the_same_atlas(postgres: PostgresCluster, tmp_path: Path) -> None:
    bbox = (-8.6115, 41.1495, -8.6095, 41.1515)
    gpkg = str(tmp_path / "a.gpkg")
    pg = postgres.url(schema="same_atlas")
    for url in (gpkg, pg):
        fill(url)
        with (
            closing(open_store(url)) as store,
            pytest.raises(CamatlasError, match="boom"),
            store.transaction(),
        ):
            store.upsert_records("cameras", [camera("zzz", "1", 0.0, 0.0)])
            raise CamatlasError("boom")  # a failed write uses up no id on either backend
        with camatlas.open_atlas(url) as atlas:
            atlas.import_data(source_data("zzz", [camera("zzz", "2", 0.0, 0.0)]), sha256="d" * 64)
    with closing(open_store(gpkg)) as sa, closing(open_store(pg)) as sb:
        assert list(sa.results()["name"]) == ["coverage_by_area", "nothing", "views"]
        assert_same_atlas(sa, sb, times=False)
        pd.testing.assert_frame_equal(sa.camera_points(bbox), sb.camera_points(bbox))
        pd.testing.assert_frame_equal(sa.line_ends("streets"), sb.line_ends("streets"))
    with camatlas.open_atlas(gpkg) as a, camatlas.open_atlas(pg) as b:
        assert a.stats().cameras == 5
        assert a.stats().to_dict() | {"atlas": ""} == b.stats().to_dict() | {"atlas": ""}
        found = {layer: len(a.layer(layer, bbox)) for layer in LAYERS}
        assert found == {"cameras": 3, "streets": 2, "buildings": 1, "areas": 1}
        for layer in LAYERS:
            assert_geodataframe_equal(a.layer(layer, bbox), b.layer(layer, bbox))
        assert len(a.result("views", bbox)) == 2
        assert_geodataframe_equal(a.result("views", bbox), b.result("views", bbox))


@pytest.mark.parametrize("origin", ["gpkg", "postgis"])
def test_copy_is_lossless_both_ways(origin: str, postgres: PostgresCluster, tmp_path: Path) -> None:
    gpkg = [str(tmp_path / "first.gpkg"), str(tmp_path / "second.gpkg")]
    pg = [postgres.url(schema=f"copy_{origin}_1"), postgres.url(schema=f"copy_{origin}_2")]
    there, back = (pg[0], gpkg[1]) if origin == "gpkg" else (gpkg[0], pg[1])
    start = gpkg[0] if origin == "gpkg" else pg[0]
    fill(start)
    first = copy_atlas(start, there)
    second = copy_atlas(there, back)
    assert first.rows == second.rows
    assert first.rows["cameras"] == 4 and first.rows["areas"] == 2
    assert first.results == second.results == ["coverage_by_area", "nothing", "views"]
    assert first.rows["stored_data"] == 2
    with (
        closing(open_store(start)) as a,
        closing(open_store(there)) as b,
        closing(open_store(back)) as c,
    ):
        # camera_links fids are renumbered by a copy (links replaced over time leave gaps).
        assert_same_atlas(a, b, link_fids=False)
        assert_same_atlas(b, c)
    with camatlas.open_atlas(back) as c:
        cams = c.cameras().set_index("id")
        assert cams.loc["reg:1", "physical_id"] == "osm:node/1"
        # The copy goes on living: a new import links against the copied cameras.
        summary = c.import_data(
            source_data("zzz", [camera("zzz", "1", -8.61, 41.15 + 5 * DEG_PER_M_LAT)]),
            sha256="e" * 64,
        )
        assert summary.links == 2
        assert c.cameras().set_index("id").loc["zzz:1", "physical_id"] == "osm:node/1"
    assert not list(tmp_path.glob(".*copy-*")), "the half-built GeoPackage is removed"


def test_copy_refuses_an_atlas_with_data_unless_replace(
    make_atlas_url: Callable[[], str], postgres: PostgresCluster, tmp_path: Path
) -> None:
    source, destination = str(tmp_path / "source.gpkg"), make_atlas_url()
    fill(source)
    with camatlas.open_atlas(destination) as atlas:
        atlas.import_data(source_data("old", [camera("old", "1", 5.0, 5.0)]), sha256="f" * 64)
    with pytest.raises(AtlasError, match="already holds an atlas"):
        copy_atlas(source, destination)
    with camatlas.open_atlas(destination) as atlas:
        assert list(atlas.cameras()["id"]) == ["old:1"]  # untouched
    copy_atlas(source, destination, replace=True)
    with closing(open_store(source)) as a, closing(open_store(destination)) as b:
        assert_same_atlas(a, b, link_fids=False)  # replaced, not merged
    copy_atlas(source, destination, replace=True)  # again, over a full atlas
    with pytest.raises(AtlasError, match="same atlas"):
        copy_atlas(destination, destination, replace=True)


def test_an_empty_atlas_may_be_copied_onto(
    make_atlas_url: Callable[[], str], postgres: PostgresCluster, tmp_path: Path
) -> None:
    source, destination = str(tmp_path / "source.gpkg"), make_atlas_url()
    fill(source)
    camatlas.open_atlas(destination).close()  # exists, holds nothing
    assert copy_atlas(source, destination).rows["cameras"] == 4


def test_copy_never_overwrites_a_file_that_is_not_an_atlas(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    source = postgres.url(schema="copy_not_atlas")
    fill(source)
    notes = tmp_path / "notes.gpkg"
    notes.write_text("my notes")
    with pytest.raises(AtlasError, match=r"notes\.gpkg"):
        copy_atlas(source, notes, replace=True)
    assert notes.read_text() == "my notes"
    with pytest.raises(AtlasError, match="no atlas here"):
        copy_atlas(tmp_path / "missing.gpkg", str(tmp_path / "out.gpkg"))


def test_copy_command(postgres: PostgresCluster, tmp_path: Path) -> None:
    gpkg = tmp_path / "a.gpkg"
    fill(str(gpkg))
    url = postgres.url(schema="copy_cli")
    proc = run_camatlas("copy", gpkg, url, "--json", check=False)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["rows"]["cameras"] == 4 and summary["results"] == [
        "coverage_by_area",
        "nothing",
        "views",
    ]
    again = run_camatlas("copy", gpkg, url, check=False)
    assert again.returncode == 1 and "--replace" in again.stderr and "Traceback" not in again.stderr
    back = tmp_path / "back.gpkg"
    proc = run_camatlas("copy", url, back, check=False)
    assert proc.returncode == 0 and "4 cameras" in proc.stdout, proc.stderr
    with closing(open_store(gpkg)) as a, closing(open_store(back)) as b:
        assert_same_atlas(a, b, link_fids=False)
    assert "copy" in run_camatlas("--help", check=False).stdout


def test_a_copied_atlas_answers_routes_from_its_stored_graph(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    from tests.test_graph import city_atlas, latlon

    start = str(tmp_path / "city.gpkg")
    city_atlas(start).close()
    run_camatlas("graph", "--atlas", start)
    there = postgres.url(schema="copy_graph")
    back = str(tmp_path / "back.gpkg")
    copy_atlas(start, there)
    copy_atlas(there, back)
    (lat0, lon0), (lat1, lon1) = latlon(0, 0), latlon(4, 2)
    answers = []
    for url in (start, there, back):
        proc = run_camatlas("route", "-a", url, "--from", f"{lat0},{lon0}",
                            "--to", f"{lat1},{lon1}", "--json")  # fmt: skip
        answer = json.loads(proc.stdout)
        assert answer["street_graph"].startswith("stored "), (url, answer["street_graph"])
        answers.append([(r["length_m"], r["watched_m"]) for r in answer["routes"]])
    assert answers[0] == answers[1] == answers[2] and answers[0]
