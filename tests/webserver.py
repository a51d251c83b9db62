"""A real ``camatlas serve`` process on a free port, and a small atlas to serve, for web tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import httpx
import shapely

import camatlas
from camatlas.sources import Area, Building, SourceData, Street
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
    with atlas.store.transaction():
        atlas.store.write_result("views", views, {"made_by": "tests", "radius_m": radius_m})


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
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "camatlas",
                "serve",
                "--atlas",
                str(atlas),
                "--port",
                "0",
                *options,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            env={**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"},
        )
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
