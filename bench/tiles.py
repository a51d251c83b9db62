"""Benchmark: vector tiles from ``camatlas serve`` under concurrent load.

For each atlas and backend a real ``camatlas serve`` process answers a fixed set of tile
requests (map views of 3 x 3 tiles around randomly chosen cameras at zooms 5, 8, 11, 14
and 16, all layers a map view asks for: cameras, streets, buildings, areas) from a load
generator on 127.0.0.1 (asyncio + httpx, ``--concurrency`` requests in flight, bounded in
count and in time). It measures latency percentiles and throughput

* **cold**: every tile made on demand from the atlas (bounding-box queries of the store,
  clustering, clipping, encoding), the first time it is asked for;
* **warm**: the same requests again, answered from the server's tile cache.

**Reference**, measured in the same run with the same load generator and the same request
list: the very same tile bytes, written beforehand as static files ``z/x/y.pbf`` and served
by Python's standard ``http.server`` (``ThreadingHTTPServer``, HTTP/1.1 keep-alive, no
compression). Ratios are camatlas / reference.

Atlases: the 18,078 US-West points of ``../shared/data/uswest_surveillance_points.json``
imported into a fresh GeoPackage, and a synthetic atlas of ``--cameras`` (default one
million) cameras scattered around those points (kept in ``bench/out`` to be reused). Each
is also served from PostGIS when a throwaway PostgreSQL 15 + PostGIS cluster can be started
here (``tests/postgis.py``), copied there with ``camatlas.copy_atlas``.

Usage: ``python bench/tiles.py [--cameras 1000000] [--views 40] [--concurrency 8]
[--time-limit 120] [--no-postgis] [--data DIR]``; prints a Markdown table and writes it to
``bench/out/tiles.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests/postgis.py
DATA = REPO.parent / "shared" / "data"
OUT = REPO / "bench" / "out"
ZOOMS = (5, 8, 11, 14, 16)
LAYERS_BY_ZOOM = {
    5: ("cameras", "areas"),
    8: ("cameras", "areas"),
    11: ("cameras", "streets", "areas"),
    14: ("cameras", "streets", "buildings"),
    16: ("cameras", "streets", "buildings"),
}

STATIC_SERVER = r"""
import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    extensions_map = {".pbf": "application/vnd.mapbox-vector-tile"}
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                         functools.partial(Handler, directory=sys.argv[1]))
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
"""


@dataclass
class Load:
    """Latencies (seconds), wall time and server CPU time of one pass of requests."""

    latencies: list[float]
    wall_s: float
    errors: int
    by_zoom: dict[int, list[float]]
    server_cpu_s: float = 0.0

    @property
    def cpu_ms(self) -> float:
        """Server CPU time (user + system) per request, milliseconds."""
        return 1000.0 * self.server_cpu_s / max(1, len(self.latencies))

    def p(self, q: float) -> float:
        values = sorted(self.latencies)
        return values[min(len(values) - 1, int(q * len(values)))] * 1000.0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall_s


def slippy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def request_paths(points: np.ndarray, views: int, seed: int = 7) -> list[str]:
    """Tile paths of ``views`` map views (3 x 3 tiles) per zoom around random cameras."""
    rng = np.random.default_rng(seed)
    seen: dict[str, None] = {}
    for z in ZOOMS:
        for i in rng.choice(len(points), size=min(views, len(points)), replace=False):
            cx, cy = slippy(float(points[i, 0]), float(points[i, 1]), z)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    x, y = cx + dx, cy + dy
                    if 0 <= x < 2**z and 0 <= y < 2**z:
                        for layer in LAYERS_BY_ZOOM[z]:
                            seen[f"/tiles/{layer}/{z}/{x}/{y}.pbf"] = None
    return list(seen)


async def _load(base: str, paths: list[str], concurrency: int, limit_s: float) -> Load:
    latencies: list[float] = []
    by_zoom: dict[int, list[float]] = {}
    errors = 0
    gate = asyncio.Semaphore(concurrency)
    deadline = time.perf_counter() + limit_s
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def one(path: str) -> None:
            nonlocal errors
            async with gate:
                if time.perf_counter() > deadline:
                    return
                t0 = time.perf_counter()
                response = await client.get(path)
                await response.aread()
                dt = time.perf_counter() - t0
                if response.status_code != 200:
                    errors += 1
                latencies.append(dt)
                by_zoom.setdefault(int(path.split("/")[3]), []).append(dt)

        started = time.perf_counter()
        await asyncio.gather(*(one(p) for p in paths))
        wall = time.perf_counter() - started
    return Load(latencies, wall, errors, by_zoom)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(base: str, paths: list[str], concurrency: int, limit_s: float, pid: int) -> Load:
    """One pass of ``paths`` against the server at ``base`` whose process is ``pid``."""
    before = cpu_seconds(pid)
    result = asyncio.run(_load(base, paths, concurrency, limit_s))
    result.server_cpu_s = cpu_seconds(pid) - before
    return result


class Process:
    """A child process printing its URL first; stopped (by its own pid) on exit."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=REPO,
                env={**os.environ, "COLUMNS": "200"},
            )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            found = re.search(r"http://127\.0\.0\.1:\d+", log.read_text(errors="replace"))
            if found:
                self.url = found.group(0)
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{args[:4]} exited:\n{log.read_text()}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{args[:4]} printed no URL")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def serve(atlas: str, log: Path) -> tuple[Process, float]:
    """Start ``camatlas serve``; return it and the seconds until its camera index was ready."""
    started = time.perf_counter()
    server = Process(
        [sys.executable, "-m", "camatlas", "serve", "--atlas", atlas, "--port", "0"], log
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.url}/api/health", timeout=5).json().get("index_ready"):
                return server, time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError("camatlas serve was not ready in 600 s")


# --- atlases ------------------------------------------------------------------------------


def uswest_atlas(data: Path, workdir: Path) -> tuple[str, np.ndarray]:
    import camatlas

    path = workdir / "uswest.gpkg"
    with camatlas.open_atlas(path) as atlas:
        atlas.import_file(data / "uswest_surveillance_points.json")
        cameras = atlas.cameras()
        points = np.column_stack([cameras.geometry.x, cameras.geometry.y])
    return str(path), points


def synthetic_atlas(base: np.ndarray, n: int, seed: int = 1) -> tuple[str, np.ndarray]:
    """``n`` cameras scattered (about 1 km) around the real points; reused when present."""
    from camatlas.records import Camera
    from camatlas.store import open_store

    rng = np.random.default_rng(seed)
    xy = base[rng.integers(0, len(base), n)] + rng.normal(0.0, 0.01, (n, 2))
    path = OUT / f"tiles-synthetic-{n}-{seed}.gpkg"
    if path.exists():
        return str(path), xy
    kinds = ("camera", "camera", "camera", "alpr", "guard")
    types = ("fixed", "dome", "panning", "unknown", "doorbell")
    scopes = ("public", "outdoor", "indoor", None)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with closing(open_store(partial)) as store, store.transaction():
        for start in range(0, n, 100_000):
            store.upsert_records(
                "cameras",
                [
                    Camera(
                        id=f"synthetic:{i}",
                        lon=float(xy[i, 0]),
                        lat=float(xy[i, 1]),
                        source="synthetic",
                        source_id=str(i),
                        kind=kinds[i % 5],
                        camera_type=types[i % 5],
                        surveillance=scopes[i % 4],
                        tags={"man_made": "surveillance"},
                    )
                    for i in range(start, min(n, start + 100_000))
                ],
            )
    partial.rename(path)
    return str(path), xy


def to_postgis(cluster: object, source: str, schema: str) -> str:
    from camatlas import copy_atlas

    url = cluster.url(schema=schema)  # type: ignore[attr-defined]
    copy_atlas(source, url)
    return str(url)


# --- one measurement ----------------------------------------------------------------------


def measure(
    label: str,
    backend: str,
    atlas: str,
    points: np.ndarray,
    args: argparse.Namespace,
    workdir: Path,
) -> dict[str, object]:
    paths = request_paths(points, args.views)
    server, ready_s = serve(atlas, workdir / f"serve-{backend}-{len(points)}.log")
    try:
        pid = server.proc.pid
        cold = load(server.url, paths, args.concurrency, args.time_limit, pid)
        warm = load(server.url, paths, args.concurrency, args.time_limit, pid)
        static_dir = workdir / f"static-{backend}-{len(points)}"
        sizes = []
        with httpx.Client(
            base_url=server.url, timeout=120, headers={"Accept-Encoding": "identity"}
        ) as client:
            for path in paths:
                body = client.get(path).content
                sizes.append(len(body))
                target = static_dir / path.removeprefix("/tiles/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
    finally:
        server.stop()
    reference = Process(
        [sys.executable, "-c", STATIC_SERVER, str(static_dir)], workdir / "static.log"
    )
    try:
        static = load(
            reference.url,
            [p.removeprefix("/tiles") for p in paths],
            args.concurrency,
            args.time_limit,
            reference.proc.pid,
        )
    finally:
        reference.stop()
    return {
        "atlas": label,
        "backend": backend,
        "requests": len(paths),
        "ready_s": ready_s,
        "mean_tile_kb": statistics.fmean(sizes) / 1024,
        "cold": cold,
        "warm": warm,
        "static": static,
    }


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| atlas | backend | tiles | server ready (s) | cold p50 / p95 (ms) | cold tiles/s "
        "| warm p50 / p95 (ms) | warm tiles/s | static files p50 / p95 (ms) | static tiles/s "
        "| cold / static throughput | warm / static throughput |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cold, warm, static = r["cold"], r["warm"], r["static"]
        assert isinstance(cold, Load) and isinstance(warm, Load) and isinstance(static, Load)
        lines.append(
            f"| {r['atlas']} | {r['backend']} | {r['requests']} | {r['ready_s']:.1f} "
            f"| {cold.p(0.5):.1f} / {cold.p(0.95):.1f} | {cold.throughput:.0f} "
            f"| {warm.p(0.5):.1f} / {warm.p(0.95):.1f} | {warm.throughput:.0f} "
            f"| {static.p(0.5):.1f} / {static.p(0.95):.1f} | {static.throughput:.0f} "
            f"| {cold.throughput / static.throughput:.2f} "
            f"| {warm.throughput / static.throughput:.2f} |"
        )
    lines += [
        "",
        "Server CPU time per tile (ms; the serving process only, without the load generator "
        "and, for PostGIS, without the database server):",
        "",
        "| atlas | backend | cold | warm | static files | cold / static | warm / static |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cold, warm, static = r["cold"], r["warm"], r["static"]
        assert isinstance(cold, Load) and isinstance(warm, Load) and isinstance(static, Load)
        base = max(static.cpu_ms, 1e-9)
        lines.append(
            f"| {r['atlas']} | {r['backend']} | {cold.cpu_ms:.2f} | {warm.cpu_ms:.2f} "
            f"| {static.cpu_ms:.2f} | {cold.cpu_ms / base:.1f} | {warm.cpu_ms / base:.1f} |"
        )
    lines += [
        "",
        "Cold latency by zoom (p50 / p95 ms):",
        "",
        "| atlas | backend | " + " | ".join(f"z{z}" for z in ZOOMS) + " |",
        "|---|---|" + "---:|" * len(ZOOMS),
    ]
    for r in rows:
        cold = r["cold"]
        assert isinstance(cold, Load)
        cells = []
        for z in ZOOMS:
            values = sorted(cold.by_zoom.get(z, [0.0]))
            cells.append(
                f"{values[len(values) // 2] * 1000:.1f} / "
                f"{values[min(len(values) - 1, int(0.95 * len(values)))] * 1000:.1f}"
            )
        lines.append(f"| {r['atlas']} | {r['backend']} | " + " | ".join(cells) + " |")
    errors = sum(int(r[k].errors) for r in rows for k in ("cold", "warm", "static"))  # type: ignore[attr-defined]
    lines += ["", f"Failed requests: {errors}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=1_000_000)
    parser.add_argument("--views", type=int, default=40, help="map views per zoom level")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per pass")
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    if not (args.data / "uswest_surveillance_points.json").is_file():
        sys.exit(f"needs {args.data / 'uswest_surveillance_points.json'} (see SOURCES.md)")
    OUT.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    cluster = None
    if not args.no_postgis:
        try:
            from tests.postgis import PostgresCluster, missing

            reason = missing()
            if reason is None:
                cluster = PostgresCluster.create()
            else:
                print(f"PostGIS left out: {reason}", file=sys.stderr)
        except Exception as exc:
            print(f"PostGIS left out: {exc}", file=sys.stderr)
    try:
        with tempfile.TemporaryDirectory(prefix="camatlas-tiles-") as tmp:
            workdir = Path(tmp)
            t0 = time.perf_counter()
            uswest, points = uswest_atlas(args.data, workdir)
            print(
                f"US-West atlas: {len(points)} cameras ({time.perf_counter() - t0:.1f} s)",
                file=sys.stderr,
            )
            t0 = time.perf_counter()
            synthetic, many = synthetic_atlas(points, args.cameras)
            print(
                f"synthetic atlas: {len(many)} cameras ({time.perf_counter() - t0:.1f} s)",
                file=sys.stderr,
            )
            atlases = [
                (f"US West, {len(points):,} points", uswest, points),
                (f"synthetic, {len(many):,} cameras", synthetic, many),
            ]
            for label, path, pts in atlases:
                rows.append(measure(label, "GeoPackage", path, pts, args, workdir))
                print(table(rows[-1:]).split("\n\n")[0], file=sys.stderr)
                if cluster is not None:
                    t0 = time.perf_counter()
                    url = to_postgis(cluster, path, f"bench_{len(pts)}")
                    print(f"copied to PostGIS in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
                    rows.append(measure(label, "PostGIS", url, pts, args, workdir))
                    print(table(rows[-1:]).split("\n\n")[0], file=sys.stderr)
    finally:
        if cluster is not None:
            cluster.remove()
    text = table(rows)
    details = {"concurrency": args.concurrency, "views_per_zoom": args.views, "zooms": ZOOMS}
    (OUT / "tiles.md").write_text(text + "\n\n" + json.dumps(details) + "\n")
    print(text)


if __name__ == "__main__":
    main()
