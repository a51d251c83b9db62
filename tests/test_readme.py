"""The README's Python examples run as written, on a small city of real-format files."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pyogrio
import pyproj
import pytest

import camatlas
from tests.factories import city_node
from tests.osmfiles import small_city_osm, write_pbf

REPO = Path(__file__).resolve().parent.parent


def python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_readme_has_python_examples() -> None:
    blocks = python_blocks()
    assert len(blocks) >= 2
    assert any("camatlas.sight(atlas)" in block for block in blocks)


def test_the_readme_python_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_pbf(tmp_path / "city.osm.pbf", small_city_osm())
    (west, lat), (east, _) = city_node(0, 1), city_node(4, 1)
    (tmp_path / "walk.gpx").write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        f'<trkpt lat="{lat}" lon="{west}"/><trkpt lat="{lat}" lon="{east}"/>'
        "</trkseg></trk></gpx>",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in python_blocks():
        exec(compile(block, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "3 0"  # 3 cameras, every tag read
    share, spread = printed[1].split(" ", 1)
    assert 0 < float(share) < 1 and "median" in spread
    # The routes, shortest first: the shortest goes four blocks east and one north.
    routes = ast.literal_eval(printed[2])
    geod = pyproj.Geod(ellps="WGS84")
    east = geod.inv(-8.612, 41.150, -8.611, 41.150)[2]
    north = geod.inv(-8.608, 41.150, -8.608, 41.151)[2]
    assert routes and routes[0][0] == pytest.approx(4 * east + north, abs=1)
    assert [r[0] for r in routes] == sorted(r[0] for r in routes)
    watched, cameras = printed[3].split()
    assert float(watched) > 0 and int(cameras) >= 1
    assert float(printed[4]) > 0  # the engines' own coverage
    with camatlas.open_atlas(tmp_path / "city.gpkg", create=False) as atlas:
        stored = set(atlas.results()["name"])
    assert {"views", "view_zones", "street_coverage", "measure_by_area", "blind_spots"} <= stored
    exported = pyogrio.read_dataframe(tmp_path / "views.geojson")
    assert len(exported) == 3 and exported.crs.to_epsg() == 4326
