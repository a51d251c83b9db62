"""The HTTP API, pages and vector tiles, tested in this process through httpx's ASGI transport
on a real atlas (the app's lifespan runs, as under a server)."""

from __future__ import annotations

import asyncio
import gzip
import json
import math
import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import camatlas
from camatlas.errors import AtlasError
from camatlas.store import open_store
from camatlas.vocab import MEASURE_LAYERS, PROFILES, SIGHT_LAYERS
from camatlas.web.app import create_app
from camatlas.web.models import Profile
from camatlas.web.settings import ServerSettings
from camatlas.web.tiles import (
    MVT_MEDIA_TYPE,
    RESULT_LAYERS,
    TileCache,
    decode_tile,
    first_bearing,
    tile_bounds,
)
from tests.webserver import (
    CLUSTER_CENTRE,
    CLUSTER_SIZE,
    XSS_NAME,
    InProcessClient,
    feature_ids,
    grid_node,
    latlon,
    make_web_atlas,
    sha256,
    slippy_tile,
    web_data,
)


@pytest.fixture(scope="module")
def atlas_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_web_atlas(tmp_path_factory.mktemp("web") / "atlas.gpkg")


@pytest.fixture(scope="module")
def atlas_digest(atlas_path: Path) -> str:
    return sha256(atlas_path)


@pytest.fixture(scope="module")
def client(atlas_path: Path, atlas_digest: str) -> Iterator[InProcessClient]:
    with InProcessClient(create_app(ServerSettings(atlas=str(atlas_path)))) as c:
        yield c


def get_tile(client: InProcessClient, layer: str, z: int, x: int, y: int) -> dict[str, object]:
    response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MVT_MEDIA_TYPE
    return decode_tile(response.content).get(layer, {"features": []})


# --- tiles without a server -------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat", "z"), [(-8.61, 41.15, 14), (139.7, 35.6, 9), (-77.0, 38.9, 3)]
)
def test_tile_bounds_hold_the_point_the_slippy_formula_puts_in_the_tile(
    lon: float, lat: float, z: int
) -> None:
    x, y = slippy_tile(lon, lat, z)
    west, south, east, north = tile_bounds(z, x, y)
    assert west <= lon < east and south < lat <= north
    assert math.isclose(east - west, 360.0 / 2**z)


def test_first_bearing_of_directions_text() -> None:
    assert first_bearing("90;190-100") == 90.0
    assert first_bearing("350-10") == 0.0  # a range wrapping past north: its middle
    assert first_bearing("190-100") == 325.0
    assert first_bearing("") is None
    assert first_bearing(None) is None


def test_tile_cache_keeps_within_its_byte_budget() -> None:
    cache = TileCache(max_bytes=3000)
    payload = random.Random(0).randbytes(2000)  # incompressible: about 2 kB gzipped
    for k in range(5):
        cache.get_or_make(("t", k), lambda: payload)
    kept = [k for k in range(5) if cache.get(("t", k)) is not None]
    assert kept == [4]  # the most recent one only
    assert cache.get_or_make(("t", 4), lambda: b"other").plain() == payload


def test_read_only_atlas_refuses_writes(tmp_path: Path) -> None:
    path = make_web_atlas(tmp_path / "a.gpkg")
    before = sha256(path)
    with camatlas.open_atlas(path, create=False, read_only=True) as atlas:
        assert atlas.read_only and len(atlas.cameras()) == CLUSTER_SIZE + 3
        with pytest.raises(AtlasError, match="read-only"):
            atlas.write_results({"sneaky": atlas.result("views")}, {})
        with pytest.raises(AtlasError, match="read-only"):
            atlas.import_data(web_data(), sha256="x" * 64)
    # Below the facade, SQLite itself refuses: the connection is query-only.
    store = open_store(path, create=False, read_only=True)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.conn.execute("DELETE FROM cameras")  # type: ignore[attr-defined]
    finally:
        store.close()
    assert sha256(path) == before
    with pytest.raises(AtlasError, match="no atlas here"):
        camatlas.open_atlas(tmp_path / "missing.gpkg", read_only=True)
    assert not (tmp_path / "missing.gpkg").exists()
    with pytest.raises(AtlasError, match="no atlas here"):
        create_app(ServerSettings(atlas=str(tmp_path / "missing.gpkg")))


def test_the_route_profiles_of_the_api_are_the_atlas_profiles() -> None:
    assert Profile.__args__ == PROFILES  # type: ignore[attr-defined]


# --- pages ------------------------------------------------------------------------------


def test_map_page_and_its_scripts_are_served_from_the_package(client: InProcessClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/static/vendor/maplibre-gl/maplibre-gl.js" in refs
    assert not [r for r in refs if r.startswith(("http:", "https:", "//"))]  # no CDN
    for ref in refs:
        if ref.startswith("/static/"):
            assert client.get(ref).status_code == 200, ref
    licence = client.get("/static/vendor/maplibre-gl/LICENSE.txt")
    assert "MapLibre contributors" in licence.text
    maplibre = client.get(
        "/static/vendor/maplibre-gl/maplibre-gl.js", headers={"Accept-Encoding": "gzip"}
    )
    assert maplibre.headers.get("content-encoding") == "gzip"
    assert "maplibregl" in maplibre.text[:3000]


def test_api_docs_work_offline(client: InProcessClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    refs = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in refs
    assert not [r for r in refs if r.startswith(("http:", "https:", "//"))]
    for ref in refs:
        if ref.startswith("/static/"):
            assert client.get(ref).status_code == 200, ref
    assert "Apache License" in client.get("/static/vendor/swagger-ui/LICENSE").text
    spec = client.get("/openapi.json").json()
    for path in (
        "/tiles/{layer}/{z}/{x}/{y}.pbf",
        "/api/route",
        "/api/exposure",
        "/api/stats",
        "/api/cameras/{camera_id}",
        "/api/measure",
    ):
        assert path in spec["paths"], path
    assert "/" not in spec["paths"] and "/docs" not in spec["paths"]


# --- vector tiles ---------------------------------------------------------------------------


def test_camera_tile_at_street_zoom_lists_each_camera_with_its_attributes(
    client: InProcessClient,
) -> None:
    lon, lat = grid_node(2, 1)
    x, y = slippy_tile(lon, lat, 17)
    response = client.get(f"/tiles/cameras/17/{x}/{y}.pbf")
    assert response.headers["content-type"] == MVT_MEDIA_TYPE
    assert "max-age=" in response.headers["cache-control"]
    etag = response.headers["etag"]
    layer = decode_tile(response.content)["cameras"]
    by_id = {f["properties"]["id"]: f["properties"] for f in layer["features"]}
    assert by_id["osm:node/666"]["name"] == XSS_NAME
    assert by_id["osm:node/666"]["surveillance"] == "public"
    assert by_id["osm:node/666"]["camera_type"] == "fixed"
    assert "count" not in by_id["osm:node/666"]
    again = client.get(f"/tiles/cameras/17/{x}/{y}.pbf", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    head = client.head(f"/tiles/cameras/17/{x}/{y}.pbf")
    assert head.status_code == 200 and head.headers["etag"] == etag
    # httpx asks for gzip and unpacks it: the same tile either way.
    raw = client.get(f"/tiles/cameras/17/{x}/{y}.pbf", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    plain = client.get(f"/tiles/cameras/17/{x}/{y}.pbf", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == raw.content == gzip.decompress(gzip.compress(response.content))


@pytest.mark.parametrize("z", [3, 8, 12])
def test_low_zoom_tiles_count_every_camera_in_clusters(
    client: InProcessClient, atlas_path: Path, z: int
) -> None:
    with camatlas.open_atlas(atlas_path, create=False) as atlas:
        cams = atlas.cameras()
    x, y = slippy_tile(*CLUSTER_CENTRE, z)
    on_tile = sum(slippy_tile(p.x, p.y, z) == (x, y) for p in cams.geometry)
    features = get_tile(client, "cameras", z, x, y)["features"]
    counts = [f["properties"].get("count", 1) for f in features]
    assert sum(counts) == on_tile >= CLUSTER_SIZE
    assert len(features) < on_tile  # aggregated, not listed
    assert max(counts) >= CLUSTER_SIZE // 2
    clusters = [f["properties"] for f in features if "count" in f["properties"]]
    for c in clusters:
        assert c["public"] + c["outdoor"] + c["indoor"] + c["unknown"] == c["count"]


def test_street_building_area_and_result_tiles(client: InProcessClient) -> None:
    lon, lat = grid_node(1, 1)
    x, y = slippy_tile(lon, lat, 16)
    streets = get_tile(client, "streets", 16, x, y)
    assert "osm:way/111121" in feature_ids(streets)
    assert {f["properties"]["highway"] for f in streets["features"]} == {"residential"}
    # Below its zoom range a layer's tiles are empty, not missing.
    low = client.get("/tiles/streets/9/{}/{}.pbf".format(*slippy_tile(lon, lat, 9)))
    assert low.status_code == 200 and decode_tile(low.content) == {}
    bx, by = slippy_tile(-8.608, 41.151, 16)
    buildings = get_tile(client, "buildings", 16, bx, by)
    assert [f["properties"]["building"] for f in buildings["features"]] == ["yes"]
    areas = get_tile(client, "areas", 8, *slippy_tile(lon, lat, 8))
    assert [f["properties"]["name"] for f in areas["features"]] == ["Testville"]
    views = get_tile(client, "views", 16, x, y)
    assert "osm:node/1" in {f["properties"]["camera_id"] for f in views["features"]}
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in views["features"])


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/tiles/cameras/23/0/0.pbf", 422, "path.z: Input should be less than or equal to 22"),
        ("/tiles/cameras/2/4/0.pbf", 404, "outside the grid"),  # no such tile
        ("/tiles/nothing/1/0/0.pbf", 404, "no tiled layer"),
        ("/tiles/blind_spots/1/0/0.pbf", 404, "no tiled layer"),  # not computed in this atlas
        ("/tiles/cameras/a/0/0.pbf", 422, "path.z: Input should be a valid integer"),
        ("/api/cameras/osm:node/404", 404, "no camera"),
        ("/api/cameras?bbox=1,2,3", 422, "query.bbox: String should match pattern"),
        ("/api/cameras?bbox=3,2,1,4", 400, "bbox"),  # in the pattern, but west > east
        ("/api/layers/secrets.geojson", 404, "no layer"),
        ("/api/layers/cameras.geojson", 400, "bbox"),
        ("/no/such/page", 404, "Not Found"),
    ],
)
def test_errors_are_json_with_a_message(
    client: InProcessClient, path: str, status: int, words: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    body = response.json()
    assert body["status"] == status and words in body["error"]
    assert "Traceback" not in response.text


# --- JSON and GeoJSON ---------------------------------------------------------------------------


def test_camera_details_keep_tag_values_verbatim(client: InProcessClient) -> None:
    record = client.get("/api/cameras/osm:node/666").json()
    assert record["name"] == XSS_NAME
    assert record["tags"]["note"] == '"quoted" & <tag>'
    assert record["operator"] == "<b>Acme</b>"
    assert (record["lon"], record["lat"]) == pytest.approx(grid_node(2, 1))


def test_geojson_of_cameras_in_a_bounding_box(client: InProcessClient) -> None:
    lon, lat = CLUSTER_CENTRE
    bbox = f"{lon - 0.001},{lat - 0.001},{lon + 0.003},{lat + 0.002}"
    everything = client.get("/api/cameras", params={"bbox": bbox, "limit": 100})
    assert everything.headers["content-type"].startswith("application/geo+json")
    body = everything.json()
    assert body["type"] == "FeatureCollection" and body["total"] == CLUSTER_SIZE
    assert len(body["features"]) == CLUSTER_SIZE and body["truncated"] is False
    assert "OpenStreetMap" in body["attribution"]
    few = client.get("/api/cameras", params={"bbox": bbox, "limit": 5}).json()
    assert len(few["features"]) == 5 and few["truncated"] is True
    areas = client.get("/api/layers/areas.geojson").json()
    assert areas["features"][0]["properties"]["population"] == 1000.0


def test_stats_results_and_measure(client: InProcessClient) -> None:
    stats = client.get("/api/stats").json()
    assert stats["cameras"] == CLUSTER_SIZE + 3
    assert stats["by_kind"] == {"camera": CLUSTER_SIZE + 2, "alpr": 1}
    assert "Known cameras only" in stats["note"]
    results = client.get("/api/results").json()
    assert [(r["name"], r["rows"], r["parameters"]["radius_m"]) for r in results] == [
        ("views", 3, 30.0)
    ]
    rows = client.get("/api/results/views").json()["rows"]
    assert sorted(r["camera_id"] for r in rows) == ["osm:node/1", "osm:node/2", "osm:node/666"]
    assert "views" in client.get("/api/measure").json()["results"]
    config = client.get("/api/config").json()
    assert config["cameras"] == CLUSTER_SIZE + 3 and config["results"] == ["views"]
    assert set(config["layers"]) == {"cameras", "streets", "buildings", "areas", "views"}
    west, south, east, north = config["bounds"]
    assert west <= CLUSTER_CENTRE[0] <= east and south <= CLUSTER_CENTRE[1] <= north


# --- routes and exposure ----------------------------------------------------------------------


def test_least_watched_route_alternatives(client: InProcessClient) -> None:
    body = {"origin": latlon(grid_node(1, 0)), "destination": latlon(grid_node(1, 2))}
    answer = client.post("/api/route", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    options = answer.json()["options"]
    first, last = options[0], options[-1]
    # Straight north past camera 1 (a 30 m disc: 60 m in view), or around it unwatched.
    assert first["length_m"] == pytest.approx(444.6, abs=2) and first["detour_m"] == 0
    assert first["watched_m"] == pytest.approx(60, abs=2) and first["cameras"] == 1
    assert last["watched_m"] == 0 and last["detour_m"] > 0 and len(options) >= 2
    coords = last["geometry"]["coordinates"]
    assert coords[0] == pytest.approx(list(grid_node(1, 0)), abs=1e-6)
    by_get = client.get(
        "/api/route",
        params={
            "origin": ",".join(map(str, body["origin"])),
            "destination": ",".join(map(str, body["destination"])),
        },
    )
    assert by_get.json()["options"] == options
    far = client.post("/api/route", json={"origin": [0.0, 0.0], "destination": body["destination"]})
    assert far.status_code == 404 and "snapping limit" in far.json()["error"]  # no street near
    bad = client.post("/api/route", json={"origin": [91, 0], "destination": [0, 0]})
    assert bad.status_code == 422, bad.text
    assert "origin.0: Input should be less than or equal to 90" in bad.json()["error"]


def test_exposure_of_a_track_as_geojson_and_gpx(client: InProcessClient) -> None:
    (w, lat), (e, _) = grid_node(0, 1), grid_node(3, 1)  # past cameras 1 and 666
    line = {"type": "LineString", "coordinates": [[w, lat], [e, lat]]}
    geojson = client.post(
        "/api/exposure", json={"type": "Feature", "geometry": line, "properties": {}}
    )
    assert geojson.status_code == 200, geojson.text
    result = geojson.json()
    assert result["cameras"] == 2 and result["watched_m"] == pytest.approx(120, abs=3)
    assert set(result["by_operator"]) == {"City police", "<b>Acme</b>"}
    assert result["stretches"]["type"] == "FeatureCollection"
    # one stretch past each camera: its 30 m disc, 60 m of the line
    stretches = [f["properties"] for f in result["stretches"]["features"]]
    assert len(stretches) == 2
    assert [p["end_m"] - p["start_m"] for p in stretches] == pytest.approx([60, 60], abs=2)
    gpx = (
        '<?xml version="1.0"?><gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        f'<trkpt lat="{lat}" lon="{w}"/><trkpt lat="{lat}" lon="{e}"/>'
        "</trkseg></trk></gpx>"
    )
    slow = client.post(
        "/api/exposure",
        params={"speed_kmh": 2.5},
        content=gpx,
        headers={"Content-Type": "application/gpx+xml"},
    ).json()
    assert slow["watched_m"] == pytest.approx(result["watched_m"])
    assert slow["seconds_in_view"] == pytest.approx(2 * result["seconds_in_view"])
    entities = '<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "b">]><gpx>&a;</gpx>'
    refused = client.post(
        "/api/exposure", content=entities, headers={"Content-Type": "application/gpx+xml"}
    )
    assert refused.status_code == 400 and "DOCTYPE" in refused.json()["error"]
    broken = client.post("/api/exposure", content=b"not a track")
    assert broken.status_code == 400 and "track" in broken.json()["error"]


HOSTILE_TRACKS = {
    "not UTF-8": b'{"type":"LineString","coordinates":[[1,2],[3,4]],"x":"\xff"}',
    "UTF-16": '{"type":"LineString","coordinates":[[1,2],[3,4]]}'.encode("utf-16"),
    "nested 5,000 deep": b"[" * 5000 + b"]" * 5000,
    "nested Features": b'{"type":"Feature","geometry":' * 3000 + b"null" + b"}" * 3000,
    "a 5,000-digit integer": b'{"type":"LineString","coordinates":[[' + b"9" * 5000
    + b",41.15],[1,2]]}",
    "1e400": b'{"type":"LineString","coordinates":[[1e400,41.15],[-8.6,41.15]]}',
    "strings": b'{"type":"LineString","coordinates":[["a","b"],["c","d"]]}',
    "booleans": b'{"type":"LineString","coordinates":[[true,false],[true,true]]}',
    "ragged": b'{"type":"LineString","coordinates":[[-8.61],[-8.6,41.15]]}',
    "an object": b'{"type":"LineString","coordinates":{"a":1}}',
    "a number of parts": b'{"type":"MultiLineString","coordinates":[7,[[1,2],[3,4]]]}',
    "binary": bytes(range(256)),
    "null": b"null",
}  # fmt: skip


@pytest.mark.parametrize("body", HOSTILE_TRACKS.values(), ids=HOSTILE_TRACKS.keys())
def test_a_hostile_track_is_a_400_with_a_reason(client: InProcessClient, body: bytes) -> None:
    answer = client.post("/api/exposure", content=body,
                         headers={"Content-Type": "application/geo+json"})  # fmt: skip
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith("the track sent: ")


# --- safety ---------------------------------------------------------------------------------


def test_request_bodies_are_bounded(client: InProcessClient) -> None:
    big = b"{" + b" " * 2_000_000 + b"}"
    declared = client.post("/api/route", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and "larger than" in declared.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
        for _ in range(40):
            yield b" " * 65536

    streamed = client.post(
        "/api/exposure", content=chunks(), headers={"Content-Type": "application/geo+json"}
    )
    assert streamed.status_code == 413 and "larger than" in streamed.json()["error"]


def test_cross_origin_calls_are_refused_by_default(client: InProcessClient) -> None:
    response = client.get("/api/stats", headers={"Origin": "https://example.org"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/api/route",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_exposure_work_is_bounded_by_what_the_track_meets_not_its_size(atlas_path: Path) -> None:
    # Two tracks of the same 400 points: one winds around camera 1 (each segment meets its
    # view), one runs where no view is. The bound refuses the first only.
    (cx, cy), (far_x, far_y) = grid_node(1, 1), grid_node(3, 3)

    def zigzag(x: float, y: float) -> dict[str, object]:
        points = [[x + (k % 2) * 1e-4, y + (k % 3) * 1e-4] for k in range(400)]
        return {"type": "LineString", "coordinates": points}

    bounded = ServerSettings(atlas=str(atlas_path), max_exposure_pairs=300)
    with InProcessClient(create_app(bounded)) as c:
        near = c.post("/api/exposure", json=zigzag(cx, cy))
        assert near.status_code == 400, near.text
        assert "passes near camera views 399 times" in near.json()["error"]
        assert "more than the 300" in near.json()["error"]
        assert c.post("/api/exposure", json=zigzag(far_x + 5e-4, far_y + 5e-4)).status_code == 200
    with InProcessClient(create_app(ServerSettings(atlas=str(atlas_path)))) as c:
        assert c.post("/api/exposure", json=zigzag(cx, cy)).status_code == 200


def test_serving_never_changed_the_atlas(
    client: InProcessClient, atlas_path: Path, atlas_digest: str
) -> None:
    # Every kind of request, reads and analyses alike, then the file as it was.
    lon, lat = CLUSTER_CENTRE
    body = {"origin": latlon(grid_node(1, 0)), "destination": latlon(grid_node(1, 2))}
    (w, y), (e, _) = grid_node(0, 1), grid_node(3, 1)
    track = {"type": "LineString", "coordinates": [[w, y], [e, y]]}
    answers = [
        client.get("/api/stats"),
        client.get("/api/cameras", params={"bbox": f"{lon - 0.001},{lat - 0.001},{lon},{lat}"}),
        client.post("/api/route", json=body),
        client.post("/api/exposure", json=track),
        client.get("/api/measure"),
        *(client.get(f"/tiles/{layer}/14/8191/8191.pbf") for layer in ("cameras", "streets")),
    ]
    assert [a.status_code for a in answers] == [200] * len(answers), [a.text for a in answers]
    assert sha256(atlas_path) == atlas_digest
    assert sorted(p.name for p in atlas_path.parent.iterdir()) == [atlas_path.name]


def test_an_atlas_not_yet_served_answers_503(atlas_path: Path) -> None:
    # Without the app's start-up (its lifespan), the camera index does not exist yet.
    app = create_app(ServerSettings(atlas=str(atlas_path)))

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.get("/api/config")

    response = asyncio.run(ask())
    assert response.status_code == 503
    assert response.json() == {"status": 503, "error": "the server has not started"}


def test_every_spatial_result_layer_of_sight_and_measure_is_tiled() -> None:
    assert set(RESULT_LAYERS) == {*SIGHT_LAYERS, *MEASURE_LAYERS}


# --- the open web: hosts and origins ------------------------------------------------------

ROUTE_BODY = {"origin": [41.14917, -8.61031], "destination": [41.15377, -8.60577]}


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "LOCALHOST:80", "[::1]:8000"])
def test_this_machines_names_are_served(client: InProcessClient, host: str) -> None:
    assert client.get("/api/config", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.2", "[::2]"])
def test_another_host_is_refused_against_dns_rebinding(client: InProcessClient, host: str) -> None:
    for path in ("/api/config", "/", "/tiles/cameras/14/7800/6100.pbf"):
        answer = client.get(path, headers={"Host": host})
        assert answer.status_code == 400, (path, answer.text)
        assert "--allowed-host" in answer.json()["error"]


def test_allowed_hosts_are_served(atlas_path: Path) -> None:
    public = ServerSettings(atlas=str(atlas_path), host="0.0.0.0",
                            allowed_hosts=("Atlas.Example.org",))  # fmt: skip
    with InProcessClient(create_app(public)) as c:
        assert c.get("/api/config", headers={"Host": "atlas.example.org"}).status_code == 200
        assert c.get("/api/config", headers={"Host": "other.example"}).status_code == 400
    listening = ServerSettings(atlas=str(atlas_path), host="192.0.2.7")
    with InProcessClient(create_app(listening)) as c:
        assert c.get("/api/config", headers={"Host": "192.0.2.7:8000"}).status_code == 200
    anyone = ServerSettings(atlas=str(atlas_path), allowed_hosts=("*",))
    with InProcessClient(create_app(anyone)) as c:
        assert c.get("/api/config", headers={"Host": "whatever.example"}).status_code == 200


def test_pages_of_other_sites_may_not_write(client: InProcessClient, atlas_path: Path) -> None:
    for origin in ("https://evil.example", "http://127.0.0.1:9999", "null"):
        for body in ({"json": ROUTE_BODY}, {"content": json.dumps(ROUTE_BODY)}):
            answer = client.post("/api/route", headers={"Origin": origin}, **body)
            assert answer.status_code == 403, (origin, answer.text)
    # A text/plain POST (no CORS preflight) from another site is refused the same way.
    plain = client.post("/api/exposure", content='{"type":"LineString"}',
                        headers={"Origin": "https://evil.example",
                                 "Content-Type": "text/plain"})  # fmt: skip
    assert plain.status_code == 403
    # The map itself (same origin) and reads from anywhere are answered.
    same = client.post("/api/route", json=ROUTE_BODY, headers={"Origin": "http://127.0.0.1"})
    assert same.status_code == 200, same.text
    assert client.get("/api/config", headers={"Origin": "https://evil.example"}).status_code == 200
    allowed = ServerSettings(atlas=str(atlas_path), cors_origins=("https://maps.example.org",))
    with InProcessClient(create_app(allowed)) as c:
        answer = c.post("/api/route", json=ROUTE_BODY,
                        headers={"Origin": "https://maps.example.org"})  # fmt: skip
        assert answer.status_code == 200, answer.text


def test_a_route_from_the_far_side_of_the_globe_is_a_404(client: InProcessClient) -> None:
    # Found by schemathesis: a point 80 degrees of longitude from the atlas's UTM zone
    # projects to infinity, and the nearest-street search found nothing (a 500).
    far = [-1.659275172199927e-141, 73.07638627268133]
    answer = client.post("/api/route", json={"origin": far, "destination": far})
    assert answer.status_code == 404, answer.text
    assert "far from this atlas's streets" in answer.json()["error"]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_route_colours_are_distinct_and_stand_out_from_the_land(client: InProcessClient) -> None:
    panel = client.get("/static/panel.js").text
    land = re.search(r'const LAND = "(#[0-9a-f]{6})"', client.get("/static/map.js").text)
    listed = re.search(r"const ROUTE_COLOURS = \[([^\]]+)\]", panel)
    least = re.search(r'const LEAST_WATCHED_COLOUR = "(#[0-9a-f]{6})"', panel)
    assert land and listed and least
    colours = [*re.findall(r'"(#[0-9a-f]{6})"', listed.group(1)), least.group(1)]
    assert len(set(colours)) == len(colours) == 9
    background = _luminance(land.group(1))
    for colour in colours:  # WCAG 1.4.11: 3:1 for the parts of a graphic one must see
        assert (background + 0.05) / (_luminance(colour) + 0.05) >= 3.0, colour
