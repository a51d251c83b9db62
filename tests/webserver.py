"""A real ``camatlas serve`` process on a free port, and a small atlas to serve, for web tests."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import shapely

import camatlas
from camatlas.records import Area, Building, SourceData, Street
from tests.cli import start_camatlas
from tests.factories import camera

REPO = Path(__file__).resolve().parent.parent

XSS_NAME = "<img src=x onerror=alert(1)>"
"""Name of a camera that must be shown as text, never run as HTML."""

# A 4 x 4 grid of street nodes around Porto; streets join neighbouring nodes.
GRID_WEST, GRID_SOUTH, GRID_STEP = -8.612, 41.148, 0.002
CLUSTER_CENTRE = (-8.640, 41.170)
CLUSTER_SIZE = 40


def grid_node(i: int, j: int) -> tuple[float, float]:
    return (GRID_WEST + i * GRID_STEP, GRID_SOUTH + j * GRID_STEP)


def latlon(point: tuple[float, float]) -> list[float]:
    """A (lon, lat) point as the API's ``[lat, lon]``."""
    return [point[1], point[0]]


def web_data() -> SourceData:
    """Cameras (one with a hostile name, a tight group of 40), a street grid, a building and
    an area."""
    cams = [
        camera(
            "osm",
            "node/1",
            *grid_node(1, 1),
            camera_type="dome",
            surveillance="public",
            operator="City police",
        ),
        camera(
            "osm",
            "node/2",
            *grid_node(2, 2),
            kind="alpr",
            camera_type="fixed",
            surveillance="outdoor",
        ),
        camera(
            "osm",
            "node/666",
            grid_node(2, 1)[0],
            grid_node(2, 1)[1],
            camera_type="fixed",
            surveillance="public",
            name=XSS_NAME,
            operator="<b>Acme</b>",
        ),
    ]
    cams[2].tags.update({"name": XSS_NAME, "operator": "<b>Acme</b>", "note": '"quoted" & <tag>'})
    lon0, lat0 = CLUSTER_CENTRE
    cams += [
        camera(
            "registry",
            str(k),
            lon0 + (k % 8) * 0.0002,
            lat0 + (k // 8) * 0.0002,
            surveillance="public" if k % 4 else "indoor",
        )
        for k in range(CLUSTER_SIZE)
    ]
    streets = []
    for i in range(4):
        for j in range(4):
            for di, dj in ((1, 0), (0, 1)):
                if i + di > 3 or j + dj > 3:
                    continue
                a, b = 100 + i * 10 + j, 100 + (i + di) * 10 + (j + dj)
                streets.append(
                    Street(
                        id=f"osm:way/{a}{b}",
                        highway="residential",
                        name=f"Rua {a}-{b}",
                        geometry=shapely.LineString([grid_node(i, j), grid_node(i + di, j + dj)]),
                        nodes=(a, b),
                    )
                )
    buildings = [
        Building(
            id="osm:way/20",
            building="yes",
            height_m=12.0,
            levels=4.0,
            geometry=shapely.box(-8.6085, 41.1505, -8.6075, 41.1515),
        )
    ]
    areas = [
        Area(
            id="osm:relation/7",
            name="Testville",
            admin_level=8,
            population=1000.0,
            geometry=shapely.box(-8.65, 41.14, -8.60, 41.18),
        )
    ]
    return SourceData(
        path="web.osm",
        format="osm-xml",
        source="osm",
        cameras=cams,
        streets=streets,
        buildings=buildings,
        areas=areas,
    )


def hand_made_views(atlas: camatlas.Atlas, radius_m: float = 30.0) -> None:
    """A ``views`` result layer of discs around the grid's cameras (test data standing in
    for ``camatlas sight``), so that result tiles and exposure have something to show."""
    cams = atlas.cameras()
    cams = cams[cams["source"] == "osm"]
    metric = cams.to_crs(32629)
    views = gpd.GeoDataFrame(
        {
            "camera_id": cams["id"].to_list(),
            "physical_id": cams["physical_id"].to_list(),
            "kind": cams["kind"].to_list(),
            "operator": cams["operator"].to_list(),
            "surveillance": cams["surveillance"].to_list(),
            "level": "view",
            "range_m": radius_m,
            "width_deg": 360.0,
            "full_circle": True,
            "direction_known": False,
            "assumed": True,
        },
        geometry=metric.geometry.buffer(radius_m).to_list(),
        crs=32629,
    ).to_crs(4326)
    atlas.write_results({"views": views}, {"made_by": "tests", "radius_m": radius_m})


class InProcessClient:
    """An httpx client of an ASGI app in this process (``httpx.ASGITransport``), with the
    app's lifespan run, as a server would: no socket, no second process.

    The app runs on an event loop in a thread of its own, so tests call it synchronously:
    ``client.get("/api/stats")`` returns an :class:`httpx.Response`.
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._lifespan = app.router.lifespan_context(app)
        self._run(self._lifespan.__aenter__())
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", timeout=120
        )

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=300)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        content = kwargs.get("content")
        if content is not None and not isinstance(content, bytes | str):
            chunks = list(content)  # an iterator of bytes: sent as a stream without a length

            async def stream() -> AsyncIterator[bytes]:
                for chunk in chunks:
                    yield chunk

            kwargs["content"] = stream()
        response: httpx.Response = self._run(self._client.request(method, url, **kwargs))
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("HEAD", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("OPTIONS", url, **kwargs)

    def close(self) -> None:
        self._run(self._client.aclose())
        self._run(self._lifespan.__aexit__(None, None, None))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def __enter__(self) -> InProcessClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_web_atlas(path: Path) -> Path:
    with camatlas.open_atlas(path) as atlas:
        atlas.import_data(web_data(), sha256="web-test-data")
        hand_made_views(atlas)
    return path


@dataclass
class Server:
    """A running ``camatlas serve``."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def running_server(atlas: Path | str, log_path: Path, *options: str) -> Iterator[Server]:
    """Start ``camatlas serve --atlas ATLAS --port 0 OPTIONS`` and stop it afterwards."""
    with log_path.open("wb") as log:
        process = start_camatlas(
            "serve", "--atlas", atlas, "--port", "0", *options,
            stdout=log, stderr=subprocess.STDOUT, text=False,
        )  # fmt: skip
    try:
        url = _wait_for_url(process, log_path)
        server = Server(url, process, log_path)
        _wait_until_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _wait_for_url(process: subprocess.Popen[bytes], log_path: Path) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        found = re.search(r"http://127\.0\.0\.1:\d+", text)
        if found:
            return found.group(0)
        if process.poll() is not None:
            raise AssertionError(f"camatlas serve exited with {process.returncode}:\n{text}")
        time.sleep(0.1)
    raise AssertionError(f"camatlas serve printed no URL within 60 s:\n{log_path.read_text()}")


def _wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            health = httpx.get(f"{server.url}/api/health", timeout=5).json()
            if health.get("index_ready"):
                return
        except httpx.TransportError:
            pass
        if server.process.poll() is not None:
            raise AssertionError(f"camatlas serve exited:\n{server.log()}")
        time.sleep(0.1)
    raise AssertionError(f"camatlas serve was not ready within 120 s:\n{server.log()}")


def feature_ids(layer: dict[str, object]) -> set[str]:
    return {str(f["properties"].get("id")) for f in layer.get("features", [])}  # type: ignore[attr-defined]


def as_json(response: httpx.Response) -> dict[str, object]:
    return json.loads(response.text)  # type: ignore[no-any-return]


def slippy_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The OSM wiki's formula for the tile holding a point (an oracle independent of tiles.py)."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (to show a served atlas is never changed)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
