"""Finding places, streets and cameras by name in the atlas itself, and the map's place labels
and glyphs (through the app in this process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import camatlas
from camatlas.places import find_places, normalize_name, place_index
from camatlas.sources.pbf import fields
from camatlas.web.app import create_app
from camatlas.web.settings import ServerSettings
from tests.webserver import CLUSTER_CENTRE, XSS_NAME, InProcessClient, grid_node, make_web_atlas


def frame(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def line(x0: float, y0: float, x1: float, y1: float) -> shapely.LineString:
    return shapely.LineString([(x0, y0), (x1, y1)])


def street(way: int, name: str | None, highway: str, geometry: object) -> dict[str, object]:
    return {"id": f"osm:way/{way}", "name": name, "highway": highway, "geometry": geometry}


def area(rel: int, name: str, level: int, geometry: object) -> dict[str, object]:
    return {"id": f"osm:relation/{rel}", "name": name, "admin_level": level, "geometry": geometry}


def test_names_are_compared_without_case_accents_or_extra_spaces() -> None:
    assert normalize_name("  Praça   da LIBERDADE") == "praca da liberdade"
    assert normalize_name("Straße") == normalize_name("STRASSE")
    assert normalize_name("Ærøskøbing") != ""  # letters without a decomposition stay


def test_streets_of_one_name_are_one_place_unless_far_apart() -> None:
    streets = frame(
        [
            street(1, "Rua Nova", "residential", line(0, 0, 0.001, 0)),
            street(2, "Rua Nova", "residential", line(0.001, 0, 0.004, 0)),
            street(3, "Rua Nova", "tertiary", line(1, 1, 1.001, 1)),
            street(4, None, "service", line(0, 0, 0, 0.001)),
        ]
    )
    found = find_places(place_index(streets=streets), "rua nova")
    assert len(found) == 2  # one in each town; the unnamed way is no place
    near = next(p for p in found if p["west"] == 0)
    assert (near["east"], near["id"], near["detail"]) == (0.004, "osm:way/2", "residential")
    assert near["lon"] == pytest.approx(0.0025) and near["lat"] == 0  # the longest way's middle
    far = next(p for p in found if p["west"] == 1)
    assert far["id"] == "osm:way/3"


def test_better_matches_come_first_areas_before_streets_before_cameras() -> None:
    areas = frame(
        [
            area(1, "Sé", 9, shapely.box(0, 0, 1, 1)),
            area(2, "Vitória e Sé", 8, shapely.box(0, 0, 2, 2)),
        ]
    )
    streets = frame(
        [
            street(1, "Calçada Serra", "tertiary", line(0, 0, 0.1, 0)),
            street(2, "Terreiro da Sé", "pedestrian", line(0, 0.5, 0.1, 0.5)),
            street(3, "Sé", "footway", line(0, 0.7, 0.1, 0.7)),
        ]
    )
    point = shapely.Point(0.5, 0.5)
    cameras = frame([{"id": "osm:node/9", "name": "Sé", "operator": "Policia", "geometry": point}])
    index = place_index(areas=areas, streets=streets, cameras=cameras)
    names = [(p["kind"], p["name"]) for p in find_places(index, "SE", limit=20)]
    assert names == [
        ("area", "Sé"), ("street", "Sé"), ("camera", "Sé"),  # whole names, by kind
        ("area", "Vitória e Sé"), ("street", "Terreiro da Sé"),  # the query as a word
        ("street", "Calçada Serra"),  # a word starting with it
    ]  # fmt: skip
    assert find_places(index, "se", limit=2) == find_places(index, "se", limit=20)[:2]
    assert [p["name"] for p in find_places(index, "policia")] == ["Policia"]
    first = find_places(index, "sé")[0]
    assert first["admin_level"] == 9 and first["detail"] == "admin_level 9"
    assert shapely.box(0, 0, 1, 1).contains(shapely.Point(first["lon"], first["lat"]))
    assert find_places(index, "   ") == [] and find_places(index, "zzz") == []
    assert find_places(index, "(sé") == [] and find_places(index, "[") == []  # no regex


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessClient]:
    path = make_web_atlas(tmp_path_factory.mktemp("places") / "atlas.gpkg")
    with InProcessClient(create_app(ServerSettings(atlas=str(path)))) as c:
        yield c


def test_the_api_finds_areas_streets_and_cameras_of_the_atlas(client: InProcessClient) -> None:
    area = client.get("/api/places", params={"q": "testVILLE"}).json()["places"][0]
    assert (area["kind"], area["name"], area["id"]) == ("area", "Testville", "osm:relation/7")
    street = client.get("/api/places", params={"q": "rua 100-110"}).json()["places"][0]
    assert (street["kind"], street["name"]) == ("street", "Rua 100-110")
    (west, south), (east, north) = grid_node(0, 0), grid_node(1, 0)
    assert (street["west"], street["east"]) == pytest.approx((west, east))
    assert (street["south"], street["north"]) == pytest.approx((south, north))
    camera = client.get("/api/places", params={"q": "city police"}).json()["places"][0]
    assert (camera["kind"], camera["id"], camera["detail"]) == ("camera", "osm:node/1", "operator")
    hostile = client.get("/api/places", params={"q": "onerror"}).json()["places"]
    assert [p["name"] for p in hostile] == [XSS_NAME]  # verbatim text, for the page to escape
    assert client.get("/api/places", params={"q": "rua", "limit": 3}).json()["places"][2]
    assert len(client.get("/api/places", params={"q": "rua", "limit": 3}).json()["places"]) == 3
    assert client.get("/api/places", params={"q": ""}).status_code == 422
    assert client.get("/api/places", params={"q": "x", "limit": 0}).status_code == 422


def test_place_labels_are_one_point_inside_each_named_area(client: InProcessClient) -> None:
    labels = client.get("/api/places/labels").json()
    (feature,) = labels["features"]
    assert feature["properties"] == {"name": "Testville", "admin_level": 8}
    point = shapely.Point(feature["geometry"]["coordinates"])
    assert shapely.box(-8.65, 41.14, -8.60, 41.18).contains(point)


def _message(data: bytes) -> dict[int, list[object]]:
    out: dict[int, list[object]] = {}
    for number, value in fields(data):
        out.setdefault(number, []).append(value)
    return out


def test_glyphs_are_signed_distance_fields_of_noto_sans(client: InProcessClient) -> None:
    response = client.get("/glyphs/Noto%20Sans%20Regular,Arial%20Unicode%20MS/0-255.pbf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    (stack,) = _message(response.content)[1]
    assert isinstance(stack, bytes)
    parsed = _message(stack)
    assert parsed[1] == [b"Noto Sans Regular"] and parsed[2] == [b"0-255"]
    glyphs = {}
    for raw in parsed[3]:
        assert isinstance(raw, bytes)
        glyph = _message(raw)
        glyphs[glyph[1][0]] = glyph
    assert ord("A") in glyphs and ord("é") in glyphs and ord(" ") in glyphs
    l_glyph = glyphs[ord("l")]
    width, height = l_glyph[3][0], l_glyph[4][0]
    assert isinstance(width, int) and isinstance(height, int)
    bitmap = l_glyph[2][0]
    assert isinstance(bitmap, bytes) and len(bitmap) == (width + 6) * (height + 6)
    # an "l" is a vertical bar: inside it (the middle pixel) above the outline value 192,
    # the corners of its border well outside (values fall 32 a pixel)
    middle = bitmap[((height + 6) // 2) * (width + 6) + (width + 6) // 2]
    assert middle > 192 and bitmap[0] < 100 and bitmap[-1] < 100
    assert 5 <= height <= 20 and width <= 4  # at 24 px
    assert 1 not in glyphs[ord(" ")] or glyphs[ord(" ")].get(2) is None  # a space: no bitmap
    cyrillic = _message(_message(client.get("/glyphs/x/1024-1279.pbf").content)[1][0])  # type: ignore[arg-type]
    assert len(cyrillic[3]) > 60  # Д, Ж, Я ...
    # code points the font lacks (here Chinese) are left out: MapLibre draws nothing for them
    chinese = _message(_message(client.get("/glyphs/x/19968-20223.pbf").content)[1][0])  # type: ignore[arg-type]
    assert chinese[2] == [b"19968-20223"] and 3 not in chinese
    assert client.get("/glyphs/x/1-256.pbf").status_code == 404
    assert client.get("/glyphs/x/0-511.pbf").status_code == 404


def test_the_map_opens_on_the_densest_cluster_of_cameras(client: InProcessClient) -> None:
    config = client.get("/api/config").json()
    west, south, east, north = config["focus"]
    bw, bs, be, bn = config["bounds"]
    assert bw <= west <= east <= be and bs <= south <= north <= bn
    lon, lat = CLUSTER_CENTRE  # the 40 cameras of the cluster, in 8 x 5 rows 0.0002° apart
    assert west <= lon and lon + 7 * 0.0002 <= east + 1e-9
    assert south <= lat and lat + 4 * 0.0002 <= north + 1e-9


def test_an_empty_atlas_has_no_places(tmp_path: Path) -> None:
    with camatlas.open_atlas(tmp_path / "empty.gpkg") as atlas:
        assert atlas.find("anything") == []
        assert len(atlas.places()) == 0
