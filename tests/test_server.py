"""A real ``camatlas serve``: uvicorn on 127.0.0.1, its access log, its command line, and an
atlas on PostgreSQL; the API itself is tested in process (test_web_api.py)."""

from __future__ import annotations

import json
import random
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

import camatlas
from camatlas.errors import AtlasError
from camatlas.store import open_store
from camatlas.web.security import loggable_target
from camatlas.web.tiles import MVT_MEDIA_TYPE, decode_tile
from tests.cli import run_camatlas
from tests.factories import camera, source_data
from tests.postgis import PostgresCluster
from tests.webserver import (
    CLUSTER_CENTRE,
    CLUSTER_SIZE,
    XSS_NAME,
    Server,
    feature_ids,
    grid_node,
    hand_made_views,
    latlon,
    make_web_atlas,
    running_server,
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
def server(
    atlas_path: Path, atlas_digest: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("web-log") / "server.log"
    with running_server(atlas_path, log) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=120) as c:
        yield c


def get_tile(client: httpx.Client, layer: str, z: int, x: int, y: int) -> dict[str, object]:
    response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MVT_MEDIA_TYPE
    return decode_tile(response.content).get(layer, {"features": []})


def test_access_log_holds_no_route_coordinates_nor_client_addresses(
    client: httpx.Client, server: Server
) -> None:
    client.get(
        "/api/route", params={"origin": "41.14917,-8.61031", "destination": "41.15377,-8.60577"}
    )
    client.post(
        "/api/route", json={"origin": [41.14917, -8.61031], "destination": [41.15377, -8.60577]}
    )
    client.get("/api/cameras", params={"bbox": "-8.7,41.1,-8.5,41.2"})
    deadline = time.monotonic() + 30
    while "/api/cameras" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = server.log()
    access = [line for line in log.splitlines() if '"GET ' in line or '"POST ' in line]
    assert any('"GET /api/route HTTP' in line for line in access)
    assert any('"POST /api/route HTTP' in line for line in access)
    assert "41.149" not in log and "8.610" not in log and "8.605" not in log
    assert '"GET /api/cameras HTTP' in log and "bbox=" not in log  # no query string at all
    assert not [line for line in access if "127.0.0.1" in line]


NEAR_MISSES = [
    "//api/route?origin=41.14917,-8.61031",
    "/./api/route?origin=41.14917,-8.61031",
    "/api/route%3Forigin=41.14917,-8.61031",
    "/api/route%3forigin=41.14917,-8.61031",
    "/API/route?origin=41.14917,-8.61031",
    "/api/routes?origin=41.14917,-8.61031",
    "/api/route#origin=41.14917,-8.61031",
    "/api/exposure/?track=41.14917,-8.61031",
]


def test_no_spelling_of_a_route_request_leaves_its_coordinates_in_the_log(
    server: Server,
) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    targets = [*NEAR_MISSES, f"http://{host}:{port}/api/route?origin=41.14917,-8.61031"]
    for target in targets:
        with socket.create_connection((host, int(port)), timeout=30) as conn:
            conn.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                         .encode())  # fmt: skip
            answer = conn.recv(65536)
        assert answer.startswith(b"HTTP/1.1 "), answer[:100]
    deadline = time.monotonic() + 30
    while server.log().count("/api/ro") + server.log().count("/API/ro") < 7:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    log = server.log()
    assert "41.149" not in log and "8.610" not in log, log[-2000:]


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/api/cameras?bbox=1,2,3,4", "/api/cameras"),
        ("//api/route?origin=1,2", "//api/route"),
        ("/api/route%3Forigin=1,2", "/api/route"),
        ("/api/route%3forigin=1,2", "/api/route"),
        ("/api/route%23x", "/api/route"),
        ("http://example.org/api/route?origin=1,2", "/api/route"),
        ("HTTPS://example.org:8000/./api/route?x", "/./api/route"),
        ("http://example.org", "/"),
        ("/tiles/cameras/1/2/3.pbf", "/tiles/cameras/1/2/3.pbf"),
    ],
)
def test_the_access_log_keeps_only_a_path(target: str, kept: str) -> None:
    assert loggable_target(target) == kept


def test_serve_with_cors_basemap_and_a_changing_atlas(atlas_path: Path, tmp_path: Path) -> None:
    atlas = shutil.copy(atlas_path, tmp_path / "copy.gpkg")
    basemap = "https://tiles.example.org/{z}/{x}/{y}.png"
    with (
        running_server(
            atlas,
            tmp_path / "log.txt",
            "--cors-origin",
            "https://example.org",
            "--basemap",
            basemap,
            "--basemap-attribution",
            "Tiles <by> Example",
        ) as srv,
        httpx.Client(base_url=srv.url, timeout=60) as c,
    ):
        allowed = c.get("/api/stats", headers={"Origin": "https://example.org"})
        assert allowed.headers["access-control-allow-origin"] == "https://example.org"
        other = c.get("/api/stats", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        config = c.get("/api/config").json()
        assert config["basemap"] == basemap
        assert config["basemap_attribution"] == "Tiles <by> Example"
        assert "https://tiles.example.org" in c.get("/").headers["content-security-policy"]
        # Another process imports a camera: the server notices and serves it.
        with camatlas.open_atlas(atlas, create=False) as writer:
            writer.import_data(
                source_data("late", [camera("late", "1", *grid_node(3, 3))]), sha256="late-import"
            )
        deadline = time.monotonic() + 60
        while c.get("/api/config").json()["cameras"] != CLUSTER_SIZE + 4:
            assert time.monotonic() < deadline, "the server did not see the new camera"
            time.sleep(0.2)
        x, y = slippy_tile(*grid_node(3, 3), 17)
        assert "late:1" in feature_ids(get_tile(c, "cameras", 17, x, y))


def test_serve_refuses_a_missing_atlas_without_a_traceback(tmp_path: Path) -> None:
    proc = run_camatlas("serve", "--atlas", tmp_path / "none.gpkg", check=False)
    assert proc.returncode != 0
    assert "no atlas here" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "none.gpkg").exists()


def test_serve_a_postgis_atlas_read_only(postgres: PostgresCluster, tmp_path: Path) -> None:
    url = postgres.url(schema="web_served")
    with camatlas.open_atlas(url) as atlas:
        atlas.import_data(web_data(), sha256="web-test-data")
        hand_made_views(atlas)
    with (
        running_server(url, tmp_path / "log.txt") as srv,
        httpx.Client(base_url=srv.url, timeout=60) as c,
    ):
        assert c.get("/api/cameras/osm:node/666").json()["name"] == XSS_NAME
        x, y = slippy_tile(*grid_node(1, 1), 16)
        assert "osm:node/1" in {
            f["properties"]["camera_id"] for f in get_tile(c, "views", 16, x, y)["features"]
        }
        assert (
            sum(
                f["properties"].get("count", 1)
                for f in get_tile(c, "cameras", 5, *slippy_tile(*CLUSTER_CENTRE, 5))["features"]
            )
            == CLUSTER_SIZE + 3
        )
    with (
        camatlas.open_atlas(url, read_only=True) as reader,
        pytest.raises(AtlasError, match="read-only"),
    ):
        reader.write_results({"sneaky": reader.result("views")}, {})
    # Below the facade, the server refuses: every transaction of the connection is read-only.
    store = open_store(url, create=False, read_only=True)
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            store.conn.execute("DELETE FROM cameras")  # type: ignore[attr-defined]
    finally:
        store.close()


def test_a_long_exposure_neither_delays_routes_nor_outlives_its_client(tmp_path: Path) -> None:
    # 225 views over one block: a 5,000-point track winding through them is seconds of
    # work (half a million segment-view pairs), a route on the street grid milliseconds.
    path = tmp_path / "dense.gpkg"
    lon0, lat0 = grid_node(1, 1)
    dense = [
        camera("osm", f"node/{5000 + k}", lon0 + (k % 15) * 1e-4, lat0 + (k // 15) * 1e-4)
        for k in range(225)
    ]
    with camatlas.open_atlas(path) as atlas:
        atlas.import_data(web_data(), sha256="web-test-data")
        atlas.import_data(source_data("osm", dense, path="dense.osm"), sha256="dense")
        hand_made_views(atlas)
    rng = random.Random(7)
    points = [[lon0 + rng.uniform(0, 14e-4), lat0 + rng.uniform(0, 14e-4)] for _ in range(5000)]
    track = json.dumps({"type": "LineString", "coordinates": points}).encode()
    route = {"origin": latlon(grid_node(0, 0)), "destination": latlon(grid_node(3, 3))}

    with (
        running_server(path, tmp_path / "log.txt") as server,
        httpx.Client(base_url=server.url, timeout=120) as client,
    ):
        assert client.post("/api/route", json=route).status_code == 200  # the graph is built
        host, port = server.url.removeprefix("http://").split(":")

        def send_track() -> socket.socket:
            sock = socket.create_connection((host, int(port)))
            sock.sendall(
                f"POST /api/exposure HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json"
                f"\r\nContent-Length: {len(track)}\r\n\r\n".encode()
                + track
            )
            return sock

        # Client A sends the track and waits; client B sends it too, queued behind A's,
        # and leaves at once: B's work must never start.
        first = send_track()
        time.sleep(0.3)
        send_track().close()
        # A route asked meanwhile is answered while A's track is still being measured ...
        assert client.post("/api/route", json=route).status_code == 200
        # ... which the server shows: A leaving now stops its work part-way. Had the route
        # waited behind the exposure, A's work would be finished and nothing left to stop.
        first.close()
        deadline = time.monotonic() + 60
        stopped = ("dropped before it started", "stopped part-way")
        while not all(s in server.log() for s in stopped) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get("/api/health").status_code == 200
        log = server.log()

    assert all(s in log for s in stopped), log
    assert "Traceback" not in log
