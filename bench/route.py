"""Benchmark: least-watched route queries (:mod:`camatlas.route`) against networkx.

Reference, measured in the same run on the same graph and the same weights: the
same Pareto search (:func:`camatlas.route.search.pareto_routes`: the shortest route,
the least watched, then the weights between them) with networkx's Dijkstra
(``single_source_dijkstra`` with the target and the same cost cutoff) in place of
scipy's compiled one. Both searches must return the same routes; the script
checks it. A second line compares one plain shortest-path run of each.

Cases:

* ``london`` and ``porto``: the OSM extracts imported into a temporary atlas; the
  extracts hold only 22 and 17 cameras, too few to make exposure interesting, so
  SYNTHETIC cameras are added (400 and 600, 2-8 m beside random streets, random
  direction, fixed or dome), and their views are computed by
  :func:`camatlas.views.compute_views` and cut by the real buildings;
* ``grid``: a synthetic grid city of at least 1M street edges (50 m blocks) with
  synthetic camera views (discs 20-60 m across at random places, 40 per km²).

Pairs: origins and destinations are random points up to 20 m from random street
points (so every query snaps). Query times are for the whole
``StreetGraph.least_watched`` call (snapping, every search run, geometries).
networkx runs on a subset of the pairs (it is slow); its ratio is taken per query
on the search alone, on the same legs, and summarized by the median.

A second reference for the warm queries is camatlas's own earlier search, run in the
same process on the same legs: the straight-line heuristic for every run on the whole
network (``exact=False, narrow=False``), as camatlas 0.1 searched.

**Cold processes** (``cold`` cases): the wall time of a whole ``camatlas route --json``
process, from its start to its answer, on Porto with 2,100 synthetic cameras (the size of
the 2,120-camera case the figures were asked for): with the street graph stored in the
atlas (``camatlas graph``), and with it rebuilt in the process. Named references in the
same run: the start-up floor ``python -c "import camatlas"``, ``camatlas --help``, and a
kamerafrei-like process: Python loading the same street graph with each street's
exposure precomputed from a pickle into networkx and answering one least-watched route
(networkx's Dijkstra on ``length + 10 * watched``), as kamerafrei does with its stored
graph. Each is the median of ``--cold-runs`` processes.

Usage: ``python bench/route.py [--quick] [--pairs 1000] [--data DIR]``. Prints
Markdown and writes ``bench/out/route.md`` and ``bench/out/route.json``.
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import json
import math
import pickle
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely

import camatlas
from camatlas import open_atlas
from camatlas.geo import local_crs
from camatlas.pipelines import route as planner
from camatlas.records import Camera, Direction, SourceData
from camatlas.route import network, search

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
CITY_CAMERAS = {"london": 400, "porto": 600}


# --- the networkx engine ----------------------------------------------------------


def networkx_graph(net: search.Network) -> nx.DiGraph:
    """The arcs of ``net`` as a networkx graph (a multigraph when streets run in parallel)."""
    graph: nx.DiGraph = nx.MultiDiGraph() if net.parallel else nx.DiGraph()
    graph.add_nodes_from(range(net.n_nodes))
    graph.add_edges_from(
        (int(t), int(h), {"l": float(ln), "x": float(x), "arc": k})
        for k, (t, h, ln, x) in enumerate(
            zip(net.tail, net.head, net.length, net.watched, strict=True)
        )
    )
    return graph


class NetworkxSearch:
    """:class:`camatlas.route.search.Search` with networkx's Dijkstra as the engine."""

    def __init__(
        self,
        graph: nx.DiGraph,
        first: list[search.Leg],
        last: list[search.Leg],
        direct: search.Leg | None,
        goal: dict[Any, float] | None = None,
    ) -> None:
        self.graph, self.first, self.last, self.direct = graph, first, last, direct
        self.goal = goal  # straight-line distance to the goal per node: A* when given
        self.runs = 0

    def run(self, weight: float, limit: float = math.inf) -> search.Found | None:
        self.runs += 1
        best: search.Found | None = None
        best_cost = math.inf
        if self.direct is not None:
            d = self.direct
            best_cost = d.length_m + weight * d.watched_m
            best = search.Found(d.length_m, d.watched_m, (), None, None, d, weight)
        graph = self.graph
        multi = graph.is_multigraph()

        def cost(u: Any, v: Any, data: dict[str, Any]) -> float:
            if multi:
                return min(e["l"] + weight * e["x"] for e in data.values())
            return float(data["l"] + weight * data["x"])

        graph.add_node("O")
        graph.add_node("D")
        try:
            # Two legs into one node (the origin on a loop): a simple graph keeps the cheaper.
            for leg in sorted(self.first, key=lambda g: -(g.length_m + weight * g.watched_m)):
                graph.add_edge("O", leg.node, l=leg.length_m, x=leg.watched_m, leg=leg)
            for leg in sorted(self.last, key=lambda g: -(g.length_m + weight * g.watched_m)):
                graph.add_edge(leg.node, "D", l=leg.length_m, x=leg.watched_m, leg=leg)
            try:
                if self.goal is None:
                    dist, path = nx.single_source_dijkstra(
                        graph, "O", "D", cutoff=limit, weight=cost
                    )
                else:
                    goal = self.goal
                    bound = None if math.isinf(limit) else limit
                    path = nx.astar_path(
                        graph, "O", "D", heuristic=lambda u, _: goal[u], weight=cost, cutoff=bound
                    )
                    dist = sum(cost(u, v, graph[u][v]) for u, v in itertools.pairwise(path))
            except nx.NetworkXNoPath:
                return best if best_cost <= limit else None
            if dist >= best_cost:
                return best if best_cost <= limit else None
            length = watched = 0.0
            arcs = []
            for u, v in itertools.pairwise(path[1:-1]):
                data = graph[u][v]
                edge = min(data.values(), key=lambda e: e["l"] + weight * e["x"]) if multi else data
                length += edge["l"]
                watched += edge["x"]
                arcs.append(edge["arc"])
            first = self._leg(graph["O"][path[1]], multi, weight)
            last = self._leg(graph[path[-2]]["D"], multi, weight)
            length += first.length_m + last.length_m
            watched += first.watched_m + last.watched_m
            return search.Found(length, watched, tuple(arcs), first, last, None, weight)
        finally:
            graph.remove_node("O")
            graph.remove_node("D")

    @staticmethod
    def _leg(data: dict[Any, Any], multi: bool, weight: float) -> search.Leg:
        options = list(data.values()) if multi else [data]
        best = min(options, key=lambda e: e["l"] + weight * e["x"])
        leg: search.Leg = best["leg"]
        return leg


# --- inputs -----------------------------------------------------------------------


def synthetic_cameras(streets: gpd.GeoDataFrame, count: int, seed: int) -> list[Camera]:
    """Cameras 2-8 m beside random street points, random direction, fixed or dome."""
    rng = np.random.default_rng(seed)
    crs = local_crs(streets)
    lines = streets.to_crs(crs).geometry.to_numpy()
    pick = rng.integers(0, len(lines), count)
    at = shapely.line_interpolate_point(lines[pick], rng.random(count), normalized=True)
    angle = rng.uniform(0, 2 * np.pi, count)
    side = rng.uniform(2, 8, count)
    x = shapely.get_x(at) + side * np.cos(angle)
    y = shapely.get_y(at) + side * np.sin(angle)
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
    cameras = []
    for k in range(count):
        dome = rng.random() < 0.3
        cameras.append(
            Camera(
                id=f"synthetic:{k}",
                lon=float(lon[k]),
                lat=float(lat[k]),
                source="synthetic",
                source_id=str(k),
                camera_type="dome" if dome else "fixed",
                directions=() if dome else (Direction(float(rng.uniform(0, 360))),),
                surveillance="outdoor",
                operator=f"operator {k % 5}",
            )
        )
    return cameras


def grid_streets(edges: int, block_m: float = 50.0) -> tuple[gpd.GeoDataFrame, pyproj.CRS]:
    """A square grid of at least ``edges`` one-block streets near Porto, in lon/lat."""
    crs = pyproj.CRS("EPSG:32629")
    n = math.ceil(math.sqrt(edges / 2)) + 1  # nodes per side: 2 n (n - 1) edges
    idx = np.arange(n * n).reshape(n, n)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    x0, y0 = 520_000.0, 4_540_000.0
    xy = np.column_stack([x0 + (np.arange(n * n) % n) * block_m,
                          y0 + (np.arange(n * n) // n) * block_m])  # fmt: skip
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(xy[:, 0], xy[:, 1])
    ll = np.column_stack([lon, lat])
    lines = shapely.linestrings(np.stack([ll[a], ll[b]], axis=1))
    frame = gpd.GeoDataFrame(
        {"id": [f"grid:{k}" for k in range(len(a))], "highway": "residential", "name": None,
         "oneway": None, "nodes": [f"[{i},{j}]" for i, j in zip(a, b, strict=True)],
         "tags": "{}"},
        geometry=lines, crs=4326,
    )  # fmt: skip
    return frame, crs


def grid_views(edges: gpd.GeoDataFrame, count: int, seed: int) -> gpd.GeoDataFrame:
    """Disc views 20-60 m across at random places, at detection level."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = edges.total_bounds
    centre = shapely.points(rng.uniform(xmin, xmax, count), rng.uniform(ymin, ymax, count))
    discs = shapely.buffer(centre, rng.uniform(10, 30, count), quad_segs=4)
    ids = [f"cam{k}" for k in range(count)]
    rows = pd.DataFrame({"camera_id": ids * 2, "physical_id": ids * 2,
                         "operator": None, "surveillance": "public",
                         "level": ["view"] * count + ["detection"] * count})  # fmt: skip
    return gpd.GeoDataFrame(rows, geometry=np.concatenate([discs, discs]), crs=edges.crs)


def random_pairs(graph: network.StreetGraph, count: int, seed: int) -> list[tuple[Any, Any]]:
    rng = np.random.default_rng(seed)
    lines = graph.edges.geometry.to_numpy()
    weight = graph.edges["length_m"].to_numpy()
    pick = rng.choice(len(lines), 2 * count, p=weight / weight.sum())
    at = shapely.line_interpolate_point(lines[pick], rng.random(2 * count), normalized=True)
    angle = rng.uniform(0, 2 * np.pi, 2 * count)
    off = rng.uniform(0, 20, 2 * count)
    x = shapely.get_x(at) + off * np.cos(angle)
    y = shapely.get_y(at) + off * np.sin(angle)
    lon, lat = pyproj.Transformer.from_crs(graph.crs, 4326, always_xy=True).transform(x, y)
    points = list(zip(lat.tolist(), lon.tolist(), strict=True))
    return [(points[2 * k], points[2 * k + 1]) for k in range(count)]


# --- measuring --------------------------------------------------------------------


def measure(name: str, graph: network.StreetGraph, pairs: int, nx_pairs: int,
            setup: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    od = random_pairs(graph, pairs, seed=7)
    times, counts = [], []
    for origin, destination in od:
        t = time.perf_counter()
        options = graph.least_watched(origin, destination, max_snap_m=1000)
        times.append(time.perf_counter() - t)
        counts.append(len(options))
    t = time.perf_counter()
    reference = networkx_graph(graph.network)
    nx_build = time.perf_counter() - t
    ratios, astar_ratios, ours_s, theirs_s, astar_s, earlier_s = [], [], [], [], [], []
    one_ours, one_theirs, runs = [], [], []
    xy = graph.network.node_xy
    for origin, destination in od[:nx_pairs]:
        start = graph.snap(*origin, max_snap_m=1000)
        end = graph.snap(*destination, max_snap_m=1000)
        first, last, direct = graph._legs(start, end)
        guess = 2 * math.hypot(end.x - start.x, end.y - start.y) + network.FIRST_SEARCH_MARGIN_M
        points = {"origin_xy": (start.x, start.y), "goal_xy": (end.x, end.y)}
        t0 = time.perf_counter()
        runner = graph.network.search(first, last, direct, **points)
        ours = search.pareto_routes(runner, max_runs=network.MAX_RUNS, first_limit=guess)
        t1 = time.perf_counter()
        theirs = search.pareto_routes(NetworkxSearch(reference, first, last, direct),
                                      max_runs=network.MAX_RUNS, first_limit=guess,
                                      narrow=False)  # fmt: skip
        t2 = time.perf_counter()
        goal = dict(enumerate(np.hypot(xy[:, 0] - end.x, xy[:, 1] - end.y).tolist()))
        goal["O"], goal["D"] = math.hypot(start.x - end.x, start.y - end.y), 0.0
        theirs_astar = search.pareto_routes(
            NetworkxSearch(reference, first, last, direct, goal),
            max_runs=network.MAX_RUNS,
            first_limit=guess,
            narrow=False,
        )
        t3 = time.perf_counter()
        before = graph.network.search(first, last, direct, **points, exact=False)
        earlier = search.pareto_routes(before, max_runs=network.MAX_RUNS, first_limit=guess,
                                       narrow=False)  # fmt: skip
        t4 = time.perf_counter()
        earlier_s.append(t4 - t3)
        got = [(r.length_m, r.watched_m) for r in ours]
        old_routes = [(r.length_m, r.watched_m) for r in earlier]
        if len(got) != len(old_routes) or not np.allclose(got, old_routes, rtol=1e-9, atol=1e-6):
            raise AssertionError(f"{name}: routes differ from the earlier search's")
        for other in (theirs, theirs_astar):
            want = [(r.length_m, r.watched_m) for r in other]
            if len(got) != len(want) or not np.allclose(got, want, rtol=1e-9, atol=1e-6):
                raise AssertionError(f"{name}: routes differ from networkx's: {got} != {want}")
        ours_s.append(t1 - t0)
        theirs_s.append(t2 - t1)
        astar_s.append(t3 - t2)
        ratios.append((t2 - t1) / (t1 - t0))
        astar_ratios.append((t3 - t2) / (t1 - t0))
        runs.append(runner.runs)
        # one plain shortest path (weight 0, no bound, no goal direction) with each engine
        t0 = time.perf_counter()
        graph.network.search(first, last, direct).run(0.0)
        t1 = time.perf_counter()
        NetworkxSearch(reference, first, last, direct).run(0.0)
        one_ours.append(t1 - t0)
        one_theirs.append(time.perf_counter() - t1)
    ms = np.array(times) * 1000
    return {
        "case": name, **setup, "nodes": graph.network.n_nodes, "edges": len(graph.edges),
        "arcs": len(graph.network.tail), "pairs": pairs, "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)), "mean_routes": float(np.mean(counts)),
        "nx_pairs": nx_pairs, "nx_build_s": nx_build,
        "search_p50_ms": float(np.median(ours_s) * 1000),
        "nx_search_p50_ms": float(np.median(theirs_s) * 1000),
        "ratio_median": float(np.median(ratios)), "ratio_min": float(np.min(ratios)),
        "nx_astar_search_p50_ms": float(np.median(astar_s) * 1000),
        "astar_ratio_median": float(np.median(astar_ratios)),
        "astar_ratio_min": float(np.min(astar_ratios)),
        "ratio_total": float(np.sum(theirs_s) / np.sum(ours_s)),
        "mean_runs": float(np.mean(runs)),
        "earlier_search_p50_ms": float(np.median(earlier_s) * 1000),
        "earlier_ratio_median": float(np.median(np.array(earlier_s) / np.array(ours_s))),
        "one_path_ratio_median": float(np.median(np.array(one_theirs) / np.array(one_ours))),
    }  # fmt: skip


def city_case(name: str, data: Path, pairs: int, nx_pairs: int, cameras: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        atlas = open_atlas(Path(folder) / f"{name}.gpkg")
        t = time.perf_counter()
        atlas.import_file(data / f"{name}.osm.pbf")
        imported = time.perf_counter() - t
        real = len(atlas.cameras())
        extra = synthetic_cameras(atlas.streets(), cameras, seed=3)
        atlas.import_data(SourceData(path="synthetic", format="csv", source="synthetic",
                                     cameras=extra), sha256=f"synthetic-{name}")  # fmt: skip
        t = time.perf_counter()
        views_for, _ = planner.atlas_views(atlas)
        views = views_for(local_crs(atlas.cameras()), None)
        views_s = time.perf_counter() - t
        streets = atlas.streets()
        t = time.perf_counter()
        graph = network.graph_from_streets(streets, "walk", views=views, crs=views.crs)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        network.graph_from_streets(streets, "walk", crs=views.crs)
        bare_s = time.perf_counter() - t
        atlas.close()
    setup = {
        "import_s": imported,
        "real_cameras": real,
        "synthetic_cameras": cameras,
        "views_s": views_s,
        "build_s": build_s,
        "build_without_exposure_s": bare_s,
    }
    return measure(name, graph, pairs, nx_pairs, setup)


def grid_case(edges: int, pairs: int, nx_pairs: int, cameras: int) -> dict[str, Any]:
    streets, crs = grid_streets(edges)
    t = time.perf_counter()
    bare = network.graph_from_streets(streets, "walk", crs=crs)
    bare_s = time.perf_counter() - t
    views = grid_views(bare.edges, cameras, seed=5)
    del bare
    t = time.perf_counter()
    graph = network.graph_from_streets(streets, "walk", views=views, crs=crs)
    build_s = time.perf_counter() - t
    setup = {"import_s": 0.0, "real_cameras": 0, "synthetic_cameras": cameras, "views_s": 0.0,
             "build_s": build_s, "build_without_exposure_s": bare_s}  # fmt: skip
    return measure("grid", graph, pairs, nx_pairs, setup)


# --- cold processes ------------------------------------------------------------------

KAMERAFREI_LIKE = """
import json, pickle, sys
import networkx as nx
with open(sys.argv[1], "rb") as f:
    stored = pickle.load(f)
graph, xy = stored["graph"], stored["xy"]
def nearest(x, y):
    return min(range(len(xy)), key=lambda k: (xy[k][0] - x) ** 2 + (xy[k][1] - y) ** 2)
s = nearest(float(sys.argv[2]), float(sys.argv[3]))
t = nearest(float(sys.argv[4]), float(sys.argv[5]))
path = nx.dijkstra_path(graph, s, t, weight="cost")
print(json.dumps({"route": [xy[k] for k in path]}))
"""


def wall(command: list[str], runs: int) -> float:
    """Median wall time of ``runs`` fresh processes running ``command`` (seconds)."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cold_case(data: Path, cameras: int, runs: int) -> dict[str, Any]:
    # Byte-compiled as an installed package is (an editable install is not, and with
    # PYTHONDONTWRITEBYTECODE every process would compile camatlas's modules again).
    compileall.compile_dir(str(REPO / "src" / "camatlas"), quiet=1)
    exe = Path(sys.executable).parent / "camatlas"
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "camatlas"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "porto.gpkg"
        atlas = open_atlas(path)
        atlas.import_file(data / "porto.osm.pbf")
        extra = synthetic_cameras(atlas.streets(), cameras, seed=3)
        atlas.import_data(SourceData(path="synthetic", format="csv", source="synthetic",
                                     cameras=extra), sha256="synthetic-porto-cold")  # fmt: skip
        camatlas.sight(atlas)
        (stored,) = camatlas.store_graphs(atlas)
        graph = planner.build_graph(atlas)
        street_graph = graph.graph(graph.zones[0])
        n_cameras = len(atlas.cameras())
        atlas.close()
        rebuilt = Path(folder) / "rebuilt.gpkg"
        shutil.copy(path, rebuilt)
        with sqlite3.connect(rebuilt) as conn:
            conn.execute("DROP TABLE camatlas_blobs")
        pairs = random_pairs(street_graph, runs, seed=11)
        # The kamerafrei-like stored graph: networkx, exposure precomputed per street.
        edges = street_graph.edges
        xy = street_graph.network.node_xy
        reference = nx.Graph()
        for u, v, length, watched in zip(edges["u"], edges["v"], edges["length_m"],
                                         edges["watched_m"], strict=True):  # fmt: skip
            cost = float(length + 10.0 * watched)
            if not reference.has_edge(u, v) or reference[u][v]["cost"] > cost:
                reference.add_edge(int(u), int(v), cost=cost)
        pickled = Path(folder) / "graph.pickle"
        with pickled.open("wb") as f:
            pickle.dump({"graph": reference, "xy": xy.tolist()}, f)
        to_metric = pyproj.Transformer.from_crs(4326, street_graph.crs, always_xy=True)

        def route_command(atlas_path: Path, k: int) -> list[str]:
            (lat0, lon0), (lat1, lon1) = pairs[k]
            return [*cli, "route", "-a", str(atlas_path), "--from", f"{lat0},{lon0}",
                    "--to", f"{lat1},{lon1}", "--json"]  # fmt: skip

        def reference_command(k: int) -> list[str]:
            (lat0, lon0), (lat1, lon1) = pairs[k]
            x0, y0 = to_metric.transform(lon0, lat0)
            x1, y1 = to_metric.transform(lon1, lat1)
            return [sys.executable, "-c", KAMERAFREI_LIKE, str(pickled),
                    str(x0), str(y0), str(x1), str(y1)]  # fmt: skip

        def over_pairs(make: Any) -> float:
            return statistics.median(wall(make(k), 1) for k in range(runs))

        wall(route_command(path, 0), 1)  # warm the file cache
        figures = {
            "case": "cold",
            "cameras": n_cameras,
            "graph_edges": stored.edges,
            "graph_mb": stored.bytes / 1e6,
            "floor_s": wall([sys.executable, "-c", "import camatlas"], runs),
            "help_s": wall([*cli, "--help"], runs),
            "route_stored_s": over_pairs(lambda k: route_command(path, k)),
            "route_rebuilt_s": over_pairs(lambda k: route_command(rebuilt, k)),
            "kamerafrei_like_s": over_pairs(reference_command),
            "runs": runs,
        }
    figures["stored_vs_kamerafrei_like"] = figures["route_stored_s"] / figures["kamerafrei_like_s"]
    figures["rebuilt_vs_stored"] = figures["route_rebuilt_s"] / figures["route_stored_s"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs, for a smoke run")
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--cold-runs", type=int, default=7, help="processes per cold figure")
    parser.add_argument("--cold-only", action="store_true", help="only the cold processes")
    parser.add_argument(
        "--grid-nx-pairs", type=int, default=25,
        help="pairs timed with networkx on the 1M-edge grid (about 2 s each)",
    )  # fmt: skip
    args = parser.parse_args()
    quick = args.quick
    results = []
    started = time.perf_counter()
    data = Path(args.data)
    if not args.cold_only:
        for name in ("london", "porto"):
            if not (data / f"{name}.osm.pbf").is_file():
                print(f"{name}.osm.pbf not found in {args.data}: skipping")
                continue
            results.append(city_case(name, data, 50 if quick else args.pairs,
                                     10 if quick else 100, CITY_CAMERAS[name]))  # fmt: skip
            print(json.dumps(results[-1]), flush=True)
        results.append(grid_case(20_000 if quick else 1_000_000, 20 if quick else 100,
                                 3 if quick else args.grid_nx_pairs,
                                 2_000 if quick else 50_000))  # fmt: skip
        print(json.dumps(results[-1]), flush=True)
    cold = None
    if (data / "porto.osm.pbf").is_file():
        cold = cold_case(data, 2_100, 3 if quick else args.cold_runs)
        print(json.dumps(cold), flush=True)
    lines = [
        "| case | nodes | edges | cameras (synthetic) | graph build | of which exposure | "
        "query p50 | query p95 | routes per query | pairs | networkx pairs | "
        "Pareto search vs networkx Dijkstra (median per query) | vs networkx A* | "
        "one shortest path vs networkx | vs the earlier search (median per query) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cams = f"{r['real_cameras'] + r['synthetic_cameras']:,} ({r['synthetic_cameras']:,})"
        lines.append(
            f"| {r['case']} | {r['nodes']:,} | {r['edges']:,} | {cams} | {r['build_s']:.2f} s | "
            f"{r['build_s'] - r['build_without_exposure_s']:.2f} s | {r['p50_ms']:.1f} ms | "
            f"{r['p95_ms']:.1f} ms | {r['mean_routes']:.1f} | {r['pairs']:,} | {r['nx_pairs']} | "
            f"{r['ratio_median']:.0f}x (min {r['ratio_min']:.0f}x; {r['search_p50_ms']:.1f} vs "
            f"{r['nx_search_p50_ms']:.0f} ms) | {r['astar_ratio_median']:.0f}x (min "
            f"{r['astar_ratio_min']:.0f}x; {r['nx_astar_search_p50_ms']:.0f} ms) | "
            f"{r['one_path_ratio_median']:.0f}x | {r['earlier_ratio_median']:.2f}x "
            f"({r['search_p50_ms']:.2f} vs {r['earlier_search_p50_ms']:.2f} ms) |"
        )
    if results:
        lines += [
            "",
            "Views of the city cases were computed by camatlas.views.compute_views in "
            + ", ".join(f"{r['views_s']:.1f} s ({r['case']})" for r in results if r["views_s"])
            + ".",
        ]
    if cold is not None:
        lines += [
            "",
            f"Cold processes, Porto with {cold['cameras']:,} cameras (street graph "
            f"{cold['graph_edges']:,} edges, {cold['graph_mb']:.1f} MB stored), wall time from "
            f"process start, median of {cold['runs']} processes:",
            "",
            "| process | wall | vs kamerafrei-like |",
            "|---|---:|---:|",
            f'| `python -c "import camatlas"` (floor) | {cold["floor_s"]:.3f} s | |',
            f"| `camatlas --help` | {cold['help_s']:.3f} s | |",
            f"| kamerafrei-like (networkx, stored graph, one route) | "
            f"{cold['kamerafrei_like_s']:.3f} s | 1.00x |",
            f"| `camatlas route --json`, graph stored | {cold['route_stored_s']:.3f} s | "
            f"{cold['stored_vs_kamerafrei_like']:.2f}x |",
            f"| `camatlas route --json`, graph rebuilt | {cold['route_rebuilt_s']:.3f} s | "
            f"{cold['route_rebuilt_s'] / cold['kamerafrei_like_s']:.2f}x |",
        ]
    lines.append(f"\nThe whole run took {time.perf_counter() - started:.0f} s.")
    output = {"warm": results, "cold": cold}
    report = "\n".join(lines)
    print(report)
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "route.md").write_text(report + "\n", encoding="utf-8")
    (out / "route.json").write_text(json.dumps(output, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
