"""Street graph, least-watched routes and track exposure.

Exact answers on hand-made towns (streets in metres near Porto, views as
rectangles), the search engine against networkx's Dijkstra on random graphs,
the Pareto set against every simple path of small random grids, the CLI as a
real process, and one route across the real City of London.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import pytest
import shapely

import camatlas
from camatlas.atlas import Atlas
from camatlas.coverage import coverage_of_lines
from camatlas.errors import InputError
from camatlas.pipelines import route as planner
from camatlas.records import Camera, SourceData, Street
from camatlas.route import network, search
from camatlas.sources import tracks
from camatlas.vocab import PROFILES
from tests.cli import run_camatlas

UTM = pyproj.CRS("EPSG:32629")  # Porto's UTM zone: the hand-made towns' metric CRS
X0, Y0 = 532_000.0, 4_555_000.0  # a point in Porto, metres
TO_WGS84 = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
LEVELS = ("identification", "recognition", "observation", "detection")


# --- hand-made towns ------------------------------------------------------------------


class Town:
    """Streets drawn in metres from (X0, Y0), with OSM-like node ids."""

    def node(self, nid: int, x: float, y: float) -> int:
        self.points[nid] = (x, y)
        return nid

    def __init__(self, first_way: int = 1) -> None:
        self.points: dict[int, tuple[float, float]] = {}
        self.ways: list[tuple[str, list[int], dict[str, str]]] = []
        self.first_way = first_way

    def way(self, *nids: int, highway: str = "residential", **tags: str) -> str:
        wid = f"osm:way/{self.first_way + len(self.ways)}"
        self.ways.append((wid, list(nids), {"highway": highway, **tags}))
        return wid

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = TO_WGS84.transform(X0 + x, Y0 + y)
        return float(lon), float(lat)

    def latlon(self, nid_or_xy: int | tuple[float, float]) -> tuple[float, float]:
        x, y = self.points[nid_or_xy] if isinstance(nid_or_xy, int) else nid_or_xy
        lon, lat = self.lonlat(x, y)
        return lat, lon

    def streets(self, drop_ids: tuple[str, ...] = ()) -> list[Street]:
        out = []
        for wid, nids, tags in self.ways:
            line = shapely.LineString([self.lonlat(*self.points[n]) for n in nids])
            out.append(
                Street(
                    id=wid,
                    highway=tags["highway"],
                    geometry=line,
                    name=tags.get("name"),
                    oneway=tags.get("oneway"),
                    nodes=() if wid in drop_ids else tuple(nids),
                    tags=tags,
                )
            )
        return out

    def frame(self, drop_ids: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
        rows = [
            {
                "id": s.id,
                "highway": s.highway,
                "name": s.name,
                "oneway": s.oneway,
                "nodes": json.dumps(list(s.nodes)),
                "tags": json.dumps(s.tags),
                "geometry": s.geometry,
            }
            for s in self.streets(drop_ids)
        ]
        return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def views_frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Rows of (physical_id, level, geometry[, operator, surveillance]) as a views frame."""
    return gpd.GeoDataFrame(
        {
            "camera_id": [r["id"] for r in rows],
            "physical_id": [r["id"] for r in rows],
            "kind": "camera",
            "operator": [r.get("operator") for r in rows],
            "surveillance": [r.get("surveillance", "public") for r in rows],
            "level": [r["level"] for r in rows],
        },
        geometry=[r["geometry"] for r in rows],
        crs=UTM,
    )


def camera_view(pid: str, geometry: shapely.Polygon, **extra: str) -> list[dict[str, Any]]:
    """A camera whose whole view is one rectangle, all of it at the detection level."""
    return [
        {"id": pid, "level": "view", "geometry": geometry, **extra},
        {"id": pid, "level": "detection", "geometry": geometry, **extra},
    ]


def make_atlas(path: Path, town: Town, views: gpd.GeoDataFrame | None = None) -> Atlas:
    """An atlas with the town's streets, one camera per view and the views stored as results."""
    atlas = camatlas.open_atlas(path)
    cameras = []
    if views is not None:
        for pid, geom in zip(views["physical_id"], views.geometry, strict=True):
            if pid in {c.source_id for c in cameras}:
                continue
            lon, lat = TO_WGS84.transform(geom.centroid.x, geom.centroid.y)
            cameras.append(
                Camera(
                    id=f"test:{pid}",
                    lon=lon,
                    lat=lat,
                    source="test",
                    source_id=pid,
                    kind="camera",
                    tags={},
                )
            )
    data = SourceData(
        path="town.osm", format="osm-xml", source="osm", streets=town.streets(), cameras=cameras
    )
    atlas.import_data(data, sha256=hashlib.sha256(path.name.encode()).hexdigest())
    if views is not None:
        stored = views.to_crs("EPSG:4326")
        stored["physical_id"] = [f"test:{p}" for p in stored["physical_id"]]
        stored["camera_id"] = stored["physical_id"]
        atlas.write_results(
            {
                "views": stored[stored["level"] == "view"],
                "view_zones": stored[stored["level"] != "view"],
            },
            {"test": True},
        )
    return atlas


def three_ways() -> tuple[Town, gpd.GeoDataFrame]:
    """Three ways from O (node 1) to D (node 2).

    - straight, 300 m, 100 m of it seen by camera a;
    - up 25 m, across 300 m, down 25 m: 350 m, 40 m seen by camera b;
    - up 50 m, across, down 50 m: 400 m, unseen.
    """
    town = Town()
    o, d = town.node(1, 0, 0), town.node(2, 300, 0)
    p1, p2 = town.node(3, 0, 25), town.node(4, 0, 50)
    q1, q2 = town.node(5, 300, 25), town.node(6, 300, 50)
    town.way(o, d, name="Low Street")
    town.way(o, p1, p2, name="West Lane")
    town.way(p1, q1, name="Middle Street")
    town.way(p2, q2, name="High Street")
    town.way(q2, q1, d, name="East Lane")
    views = views_frame(
        camera_view("a", box(100, -5, 200, 5), operator="City", surveillance="public")
        + camera_view("b", box(130, 20, 170, 30), operator="Shop", surveillance="outdoor")
    )
    return town, views


# --- the street graph ----------------------------------------------------------------


def test_streets_are_cut_at_shared_nodes_and_unaligned_streets_at_their_ends() -> None:
    town = Town()
    for nid, (x, y) in {
        1: (0, 0),
        2: (100, 0),
        3: (200, 0),
        4: (100, 100),
        5: (100, -80),
        6: (150, -80),
    }.items():
        town.node(nid, x, y)
    town.way(1, 2, 3)  # cut at 2 where way 2 starts
    town.way(2, 4)
    way3 = town.way(5, 6, 3)  # its node ids get lost: joined by coordinates at its ends
    graph = network.graph_from_streets(town.frame(drop_ids=(way3,)), crs=UTM)
    edges = graph.edges
    assert sorted(edges["length_m"].round(6)) == sorted(
        [100.0, 100.0, 100.0, round(50 + math.hypot(50, 80), 6)]
    )
    assert graph.unaligned_streets == 1
    assert graph.network.n_nodes == 5  # 1 to 5: way 3 joins node 3 by its coordinates
    assert len(graph.detached) == 0
    # The unaligned street joins node 3 (exact same coordinates), so 5 -> 2 is possible.
    options = graph.least_watched(town.latlon(5), town.latlon(4))
    assert options[0].length_m == pytest.approx(50 + math.hypot(50, 80) + 100 + 100)


def test_profiles_choose_streets_by_kind_and_access() -> None:
    town = Town()
    for nid, (x, y) in {1: (0, 0), 2: (100, 0), 3: (200, 0), 4: (300, 0), 5: (400, 0)}.items():
        town.node(nid, x, y)
    town.way(1, 2, highway="footway")
    town.way(2, 3, highway="residential")
    town.way(3, 4, highway="motorway", oneway="no")
    town.way(4, 5, highway="service", access="private", foot="yes")
    frame = town.frame()
    kinds = {
        p: set(network.graph_from_streets(frame, p, crs=UTM).edges["highway"]) for p in PROFILES
    }
    # The largest connected part for walking is the chain 1-2-3 plus 4-5 cut off by
    # the motorway: its components are {1,2,3} and {4,5}; the larger is kept.
    assert kinds["walk"] == {"footway", "residential"}
    assert kinds["bike"] == {"residential"}
    assert kinds["car"] == {"residential", "motorway"}


def test_oneway_respected_for_bike_and_car_ignored_for_walk() -> None:
    town = Town()
    o, d = town.node(1, 0, 0), town.node(2, 100, 0)
    p, q = town.node(3, 0, 50), town.node(4, 100, 50)
    town.way(d, o, oneway="yes")  # drawn D -> O: travel only from D to O
    town.way(o, p, q, d)  # the 200 m way round, both directions
    frame = town.frame()
    o_ll, d_ll = town.latlon(o), town.latlon(d)
    for profile, there, back in (("walk", 100, 100), ("bike", 200, 100), ("car", 200, 100)):
        graph = network.graph_from_streets(frame, profile, crs=UTM)
        assert graph.least_watched(o_ll, d_ll)[0].length_m == pytest.approx(there), profile
        assert graph.least_watched(d_ll, o_ll)[0].length_m == pytest.approx(back), profile


@pytest.mark.parametrize(
    ("tags", "bike", "car"),
    [
        ({"oneway": "-1"}, 100, 100),  # drawn D -> O, -1: travel O -> D only
        ({"junction": "roundabout"}, 200, 200),  # implied one-way along the drawing
        ({"oneway": "yes", "oneway:bicycle": "no"}, 100, 200),
        ({"junction": "roundabout", "oneway": "no"}, 100, 100),
    ],
)
def test_oneway_tags(tags: dict[str, str], bike: float, car: float) -> None:
    town = Town()
    o, d = town.node(1, 0, 0), town.node(2, 100, 0)
    town.node(3, 0, 50)
    town.node(4, 100, 50)
    town.way(d, o, **tags)
    town.way(o, 3, 4, d)
    frame = town.frame()
    for profile, expected in (("bike", bike), ("car", car)):
        graph = network.graph_from_streets(frame, profile, crs=UTM)
        got = graph.least_watched(town.latlon(o), town.latlon(d))[0].length_m
        assert got == pytest.approx(expected), profile


def test_only_the_largest_strongly_connected_part_is_kept_for_cars() -> None:
    town = Town()
    for nid, (x, y) in {1: (0, 0), 2: (100, 0), 3: (100, 100), 4: (200, 0)}.items():
        town.node(nid, x, y)
    town.way(1, 2, 3, 1)  # a loop, both ways
    dead_end = town.way(2, 4, oneway="yes")  # one way out, no way back: not strongly connected
    car = network.graph_from_streets(town.frame(), "car", crs=UTM)
    walk = network.graph_from_streets(town.frame(), "walk", crs=UTM)
    assert dead_end in set(car.detached["street_id"])
    assert dead_end not in set(car.edges["street_id"])
    assert dead_end in set(walk.edges["street_id"])
    with pytest.raises(InputError, match=f"{dead_end} at 20 m is not connected"):
        car.least_watched(town.latlon(1), town.latlon((200, 20)), max_snap_m=50)


def test_snapping_beyond_the_limit_names_the_point_and_the_distance() -> None:
    town, _ = three_ways()
    graph = network.graph_from_streets(town.frame(), crs=UTM)
    far = town.latlon((150, -400))  # 400 m south of Low Street
    with pytest.raises(InputError) as info:
        graph.least_watched(far, town.latlon(2))
    text = str(info.value)
    assert text.startswith("origin")
    assert "400 m away" in text and "250 m" in text
    with pytest.raises(InputError, match=r"destination.*400 m away"):
        graph.least_watched(town.latlon(1), far)
    # Within a raised limit the same point is fine, and the distance is reported.
    option = graph.least_watched(far, town.latlon(2), max_snap_m=500)[0]
    assert option.origin_snap_m == pytest.approx(400, abs=1e-3)
    with pytest.raises(InputError, match="latitude"):
        graph.least_watched((95.0, 0.0), town.latlon(2))


# --- least-watched routes: exact answers ------------------------------------------------


def test_least_watched_on_three_ways_gives_every_trade_off() -> None:
    town, views = three_ways()
    graph = network.graph_from_streets(town.frame(), views=views)
    options = graph.least_watched(town.latlon(1), town.latlon(2))
    got = [(round(o.length_m, 6), round(o.watched_m, 6), o.cameras) for o in options]
    assert got == [(300.0, 100.0, ("a",)), (350.0, 40.0, ("b",)), (400.0, 0.0, ())]
    assert [round(o.detour_m, 6) for o in options] == [0.0, 50.0, 100.0]
    assert [round(o.detour_ratio, 6) for o in options] == [
        0.0,
        round(50 / 300, 6),
        round(100 / 300, 6),
    ]
    # The geometry runs from the origin to the destination in lon/lat.
    first, last = options[1].geometry.coords[0], options[1].geometry.coords[-1]
    assert first == pytest.approx(town.lonlat(0, 0), abs=1e-7)
    assert last == pytest.approx(town.lonlat(300, 0), abs=1e-7)
    assert options[1].to_dict()["geometry"]["type"] == "LineString"
    # A maximum detour keeps the routes within it.
    capped = graph.least_watched(town.latlon(1), town.latlon(2), max_detour=0.2)
    assert [round(o.length_m, 6) for o in capped] == [300.0, 350.0]
    assert len(graph.least_watched(town.latlon(1), town.latlon(2), max_detour=0.1)) == 1


def test_each_route_names_its_main_streets_in_the_order_travelled() -> None:
    town, views = three_ways()
    graph = network.graph_from_streets(town.frame(), views=views)
    low, middle, high = graph.least_watched(town.latlon(1), town.latlon(2))
    assert [n for n, _ in low.streets] == ["Low Street"]
    assert low.streets[0][1] == pytest.approx(300.0)
    # 25 + 300 + 25 m: the lanes, 7 % each, are too short to be main streets
    assert [(n, round(m, 6)) for n, m in middle.streets] == [("Middle Street", 300.0)]
    assert [(n, round(m, 6)) for n, m in high.streets] == [("High Street", 300.0)]
    assert high.to_dict()["streets"] == [{"name": "High Street", "length_m": 300.0}]


def test_edge_exposure_by_level_and_cameras() -> None:
    town, views = three_ways()
    graph = network.graph_from_streets(town.frame(), views=views)
    edges = graph.edges.set_index("street_id")
    low = edges.loc["osm:way/1"]
    assert low["watched_m"] == pytest.approx(100)
    assert low["watched_m_detection"] == pytest.approx(100)
    assert low["cameras"] == ("a",)
    high = edges.loc["osm:way/4"]
    assert high["watched_m"] == 0 and high["cameras"] == ()


def test_ways_below_ground_are_never_in_view_and_snapped_onto_last() -> None:
    # A street along y = 0 and, 3 m beside it under the same camera's view, a metro passage
    # (tunnel) joining the same two ends; a third street far off in the north.
    town = Town()
    a, b = town.node(1, 0, 0), town.node(2, 200, 0)
    m1, m2 = town.node(3, 0, 3), town.node(4, 200, 3)
    street = town.way(a, b)
    passage = town.way(a, m1, m2, b, highway="footway", tunnel="yes", layer="-1")
    town.way(town.node(5, 0, 1000), town.node(6, 200, 1000))
    views = views_frame(camera_view("cam", box(-10, -10, 210, 10)))
    graph = network.graph_from_streets(town.frame(), views=views, crs=UTM)
    edges = graph.edges.set_index("street_id")
    assert bool(edges.loc[passage, "underground"]) and not bool(edges.loc[street, "underground"])
    assert float(edges.loc[passage, "watched_m"]) == 0 and edges.loc[passage, "cameras"] == ()
    assert float(edges.loc[street, "watched_m"]) == pytest.approx(200)
    # On the passage's line, 3 m from it and 3 m from the street: the street above is chosen.
    on_passage = graph.snap(*town.latlon((100, 3)))
    assert graph.edges.iloc[on_passage.edge]["street_id"] == street
    # The least-watched route goes through the passage, which no camera sees: only the
    # metre of street from each end to the passage's entrance is in view.
    options = graph.least_watched(town.latlon((1, 0)), town.latlon((199, 0)))
    assert len(options) == 2 and options[0].watched_m == pytest.approx(198)
    assert options[-1].watched_m == pytest.approx(2) and options[-1].length_m > 200
    # Stored and read back, the graph keeps which ways are below ground.
    again = network.StreetGraph.from_bytes(graph.to_bytes())
    assert again.snap(*town.latlon((100, 3))).edge == on_passage.edge
    assert again.edges["underground"].tolist() == graph.edges["underground"].tolist()


def test_route_starts_and_ends_at_the_snapped_points_inside_edges() -> None:
    town, views = three_ways()
    graph = network.graph_from_streets(town.frame(), views=views)
    # From 10 m north of Low Street at x=50 to x=250 on it: 200 m, of which 100 m in view.
    options = graph.least_watched(town.latlon((50, 10)), town.latlon((250, 0)))
    assert options[0].length_m == pytest.approx(200)
    assert options[0].watched_m == pytest.approx(100)
    assert options[0].origin_snap_m == pytest.approx(10)
    assert options[0].geometry.coords[0] == pytest.approx(town.lonlat(50, 0), abs=1e-7)
    assert options[0].geometry.coords[-1] == pytest.approx(town.lonlat(250, 0), abs=1e-7)
    # Both points inside the seen stretch, on one edge: the direct piece, 60 m, all seen,
    # or round the west lane, middle street and back: longer and less seen.
    inside = graph.least_watched(town.latlon((120, 0)), town.latlon((180, 0)))
    assert (inside[0].length_m, inside[0].watched_m) == pytest.approx((60, 60))
    assert inside[0].cameras == ("a",)
    # and the way round the block, longer and less watched
    assert len(inside) == 2 and inside[1].length_m > 60 and inside[1].watched_m < 60
    # And backwards along the same edge.
    back = graph.least_watched(town.latlon((180, 0)), town.latlon((120, 0)))
    assert (back[0].length_m, back[0].watched_m) == pytest.approx((60, 60))
    # Origin and destination the same point: a route of length zero.
    still = graph.least_watched(town.latlon((180, 0)), town.latlon((180, 0)))
    assert still[0].length_m == pytest.approx(0)


def test_a_long_way_round_is_found_beyond_the_first_search_bound() -> None:
    town = Town()
    for nid, (x, y) in {1: (0, 0), 2: (0, 600), 3: (20, 600), 4: (20, 0)}.items():
        town.node(nid, x, y)
    town.way(1, 2, 3, 4)  # 1,220 m round a 20 m gap (a river without a bridge)
    graph = network.graph_from_streets(town.frame(), crs=UTM)
    (option,) = graph.least_watched(town.latlon(1), town.latlon(4))
    assert option.length_m == pytest.approx(1220)


def test_parallel_streets_between_two_junctions() -> None:
    town = Town()
    o, d = town.node(1, 0, 0), town.node(2, 100, 0)
    town.node(3, 50, 30)
    town.way(o, d)  # 100 m, watched
    town.way(o, 3, d)  # about 117 m, not watched: a parallel edge between the same nodes
    views = views_frame(camera_view("a", box(40, -5, 60, 5)))
    graph = network.graph_from_streets(town.frame(), views=views)
    assert graph.network.parallel
    options = graph.least_watched(town.latlon((-1, 0)), town.latlon((101, 0)), max_snap_m=5)
    assert [round(o.watched_m, 6) for o in options] == [20.0, 0.0]
    assert options[1].length_m == pytest.approx(2 * math.hypot(50, 30))  # from the snapped ends


# --- the search engine against networkx ------------------------------------------------


def _leg(node: int) -> search.Leg:
    return search.Leg(node, 0.0, 0.0, -1, 0.0, 0.0, True)


@pytest.mark.parametrize("engine", ["scipy", "python"])
@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("seed", range(30))
def test_search_costs_equal_networkx_dijkstra(seed: int, exact: bool, engine: str) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    m = int(rng.integers(1, 5 * n))
    tail, head = rng.integers(0, n, m), rng.integers(0, n, m)
    xy = rng.uniform(0, 1000, (n, 2))
    chord = np.hypot(*(xy[tail] - xy[head]).T)
    # Streets at least as long as the straight line; rounded up (ties), some loops (zeros).
    length = np.ceil(chord * rng.uniform(1, 1.3, m) * 10) / 10
    watched = length * rng.uniform(0, 1, m) * (rng.random(m) < 0.6)
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(n))
    for t, h, ln, w in zip(tail, head, length, watched, strict=True):
        graph.add_edge(int(t), int(h), length=ln, watched=w)
    directed = seed % 2 == 0  # goal-directed (A*) on even seeds, plain Dijkstra on odd
    net = search.Network(n, tail, head, np.arange(m), np.ones(m, bool), length, watched,
                         node_xy=xy if directed else None)  # fmt: skip
    source, target = (int(v) for v in rng.integers(0, n, 2))
    searcher = net.search([_leg(source)], [_leg(target)], None, origin_xy=tuple(xy[source]),
                          goal_xy=tuple(xy[target]), engine=engine, exact=exact)  # fmt: skip
    assert (searcher.engine, searcher.exact) == (engine, exact)
    for weight in (0.0, 0.5, 3.0, 1000.0):
        found = searcher.run(weight)

        def cost(u: int, v: int, data: dict[int, dict[str, float]], w: float = weight) -> float:
            return min(d["length"] + w * d["watched"] for d in data.values())

        try:
            expected = nx.dijkstra_path_length(graph, source, target, weight=cost)
        except nx.NetworkXNoPath:
            assert found is None
            continue
        assert found is not None
        assert found.length_m + weight * found.watched_m == pytest.approx(expected, abs=1e-6)
        # Bounded at the optimum, the same cost is found; just below it, none.
        again = searcher.run(weight, expected + 1e-6)
        assert again is not None
        assert again.length_m + weight * again.watched_m == pytest.approx(expected, abs=1e-6)
        if expected > 1e-3:
            assert searcher.run(weight, expected - 1e-3) is None
        # The arcs form a path from the source to the target.
        nodes = [source] + [int(net.head[a]) for a in found.arcs]
        assert all(int(net.tail[a]) == nodes[i] for i, a in enumerate(found.arcs))
        assert nodes[-1] == target


def test_python_search_stops_once_the_destination_cannot_get_cheaper() -> None:
    # A line of 2,000 nodes, 10 m apart, both ways: from node 1,000 to node 1,010.
    n = 2_000
    tail = np.concatenate((np.arange(n - 1), np.arange(1, n)))
    head = np.concatenate((np.arange(1, n), np.arange(n - 1)))
    m = len(tail)
    net = search.Network(n, tail, head, np.arange(m), np.ones(m, bool), np.full(m, 10.0),
                         np.zeros(m))  # fmt: skip
    sources = [(1_000, 0.0)]
    everything, _ = search._python_dijkstra(net.lists, 1.0, None, sources, math.inf)
    stopped, pred = search._python_dijkstra(net.lists, 1.0, None, sources, math.inf, {1_010: 5.0})
    assert len(everything) == n
    assert stopped[1_010] == everything[1_010] == 100.0
    assert len(stopped) < 30  # the nodes within 105 m, and their neighbours
    node, steps = 1_010, 0
    while pred[node] != -1:
        node, steps = pred[node], steps + 1
    assert (node, steps) == (1_000, 10)


def _grid(seed: int, size: int = 4) -> tuple[Town, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    town = Town()
    for i in range(size):
        for j in range(size):
            town.node(
                i * size + j + 1, j * 100 + rng.uniform(-20, 20), i * 100 + rng.uniform(-20, 20)
            )
    for i in range(size):
        for j in range(size):
            nid = i * size + j + 1
            if j + 1 < size:
                town.way(nid, nid + 1)
            if i + 1 < size:
                town.way(nid, nid + size)
    rows = []
    for k in range(6):
        x, y = rng.uniform(-20, 320, 2)
        w, h = rng.uniform(10, 120, 2)
        rows += camera_view(f"c{k}", box(x, y, x + w, y + h))
    return town, views_frame(rows)


def _lower_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Vertices of the lower-left convex hull of (length, watched): the supported Pareto set."""
    pts = sorted(set(points))
    frontier: list[tuple[float, float]] = []
    for p in pts:
        if frontier and p[1] >= frontier[-1][1] - 1e-9:
            continue
        frontier.append(p)
    hull: list[tuple[float, float]] = []
    for p in frontier:
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) <= 1e-7:
                hull.pop()  # hull[-1] lies on or above the segment hull[-2] -> p
            else:
                break
        hull.append(p)
    return hull


@pytest.mark.parametrize("seed", range(6))
def test_pareto_routes_are_the_supported_set_of_every_simple_path(seed: int) -> None:
    town, views = _grid(seed)
    graph = network.graph_from_streets(town.frame(), views=views)
    edges = graph.edges
    multi = nx.MultiGraph()
    for row in edges.itertuples():
        multi.add_edge(row.u, row.v, length=row.length_m, watched=row.watched_m)
    at = {
        tuple(np.round(g.coords[0], 6)): u for g, u in zip(edges.geometry, edges["u"], strict=True)
    }
    at.update(
        {
            tuple(np.round(g.coords[-1], 6)): v
            for g, v in zip(edges.geometry, edges["v"], strict=True)
        }
    )
    start, end = 1, len(town.points)
    s_node = at[tuple(np.round(np.add((X0, Y0), town.points[start]), 6))]
    t_node = at[tuple(np.round(np.add((X0, Y0), town.points[end]), 6))]
    points = []
    for path in nx.all_simple_edge_paths(multi, s_node, t_node):
        data = [multi.edges[e] for e in path]
        points.append((sum(d["length"] for d in data), sum(d["watched"] for d in data)))
    options = graph.least_watched(town.latlon(start), town.latlon(end))
    got = [(o.length_m, o.watched_m) for o in options]
    # no route is dominated by any path
    for length, watched in got:
        assert not any(
            (pl < length - 1e-6 and pw <= watched + 1e-6)
            or (pl <= length + 1e-6 and pw < watched - 1e-6)
            for pl, pw in points
        )
    assert got[0][0] == pytest.approx(min(p[0] for p in points), abs=1e-6)
    least = min(p[1] for p in points)
    assert got[-1][1] == pytest.approx(least, abs=1e-6)
    assert got[-1][0] == pytest.approx(min(p[0] for p in points if p[1] <= least + 1e-6))
    assert np.allclose(got, _lower_hull(points), atol=1e-6)
    # A maximum detour keeps exactly the routes within it: a prefix, the shortest first.
    capped = graph.least_watched(town.latlon(start), town.latlon(end), max_detour=0.1)
    assert capped and capped[0].detour_ratio == 0
    within = [g for g in got if g[0] <= got[0][0] * 1.1 + 1e-9]
    assert [(o.length_m, o.watched_m) for o in capped] == within


# --- atlases with several places: one graph per UTM zone, islands left out ---------------

GEOD = pyproj.Geod(ellps="WGS84")
HELSINKI = (24.94, 60.17)  # lon, lat: UTM zone 35 north
PORTO = (-8.61, 41.15)  # UTM zone 29 north


class GeoGrid:
    """A square grid of two-way streets, ``step`` metres apart on the ground near (lon, lat)."""

    def __init__(
        self, lon: float, lat: float, size: int, first_node: int, first_way: int, step: float = 100
    ) -> None:
        # Degrees per step north and east at the grid's corner (geodesic: true lengths).
        _, north_lat, _ = GEOD.fwd(lon, lat, 0, step)
        east_lon, _, _ = GEOD.fwd(lon, lat, 90, step)
        self.dlat, self.dlon = north_lat - lat, east_lon - lon
        self.lon, self.lat, self.size, self.step = lon, lat, size, step
        self.first_node, self.first_way = first_node, first_way

    def lonlat(self, i: float, j: float) -> tuple[float, float]:
        """Row ``i`` (north), column ``j`` (east); fractions lie between nodes."""
        return self.lon + j * self.dlon, self.lat + i * self.dlat

    def latlon(self, i: float, j: float) -> tuple[float, float]:
        lon, lat = self.lonlat(i, j)
        return lat, lon

    def streets(self) -> list[Street]:
        node = self.first_node
        ids = {(i, j): node + i * self.size + j for i in range(self.size) for j in range(self.size)}
        out: list[Street] = []
        for i in range(self.size):
            for j in range(self.size):
                for di, dj in ((0, 1), (1, 0)):
                    if i + di >= self.size or j + dj >= self.size:
                        continue
                    a, b = (i, j), (i + di, j + dj)
                    out.append(
                        Street(
                            id=f"osm:way/{self.first_way + len(out)}",
                            highway="residential",
                            geometry=shapely.LineString([self.lonlat(*a), self.lonlat(*b)]),
                            nodes=(ids[a], ids[b]),
                            tags={"highway": "residential"},
                        )
                    )
        return out


def grid_atlas(path: Path, *grids: GeoGrid, extra: list[Street] | None = None) -> Atlas:
    atlas = camatlas.open_atlas(path)
    streets = [s for g in grids for s in g.streets()] + (extra or [])
    data = SourceData(path="grids.osm", format="osm-xml", source="osm", streets=streets)
    atlas.import_data(data, sha256=hashlib.sha256(path.name.encode()).hexdigest())
    return atlas


def test_each_place_is_routed_in_its_own_utm_zone(tmp_path: Path) -> None:
    helsinki = GeoGrid(*HELSINKI, size=8, first_node=1, first_way=1)
    porto = GeoGrid(*PORTO, size=8, first_node=10_001, first_way=10_001)
    atlas = grid_atlas(tmp_path / "two.gpkg", helsinki, porto)
    graph = planner.build_graph(atlas)
    assert set(graph.zones) == {32635, 32629}
    for grid in (helsinki, porto):
        # Five blocks east and seven north: 1,200 m on the ground. Measured in one
        # CRS for both places (34 degrees of longitude apart), one would be far off.
        (option,) = camatlas.least_watched(atlas, grid.latlon(0, 0), grid.latlon(7, 5)).options
        assert option.length_m == pytest.approx(12 * grid.step, rel=0.005)
        assert option.origin_snap_m < 1 and option.destination_snap_m < 1
        # From inside a block, 20 m off a street, to a point between two nodes.
        (inside,) = camatlas.least_watched(
            atlas, grid.latlon(0.2, 0.5), grid.latlon(3, 2.5)
        ).options
        assert inside.length_m == pytest.approx(150 + 300 + 50, rel=0.005)
        assert inside.origin_snap_m == pytest.approx(20, rel=0.01)
        track = shapely.LineString([grid.lonlat(0, 0), grid.lonlat(0, 7)])
        assert camatlas.exposure(atlas, track).length_m == pytest.approx(700, rel=0.005)
    # Each zone's graph is in its own UTM CRS, and only the zone asked for is built.
    assert graph.graph(32635).crs.to_epsg() == 32635
    assert len(graph.edges) == 2 * 2 * 8 * 7
    assert set(graph.edges["zone"]) == {32635, 32629}
    # Between the two places: refused, naming the zones.
    with pytest.raises(InputError, match=r"different UTM zones.*not supported"):
        camatlas.least_watched(atlas, helsinki.latlon(0, 0), porto.latlon(1, 1))
    with pytest.raises(InputError, match=r"different UTM zones"):
        camatlas.least_watched(atlas, porto.latlon(1, 1), helsinki.latlon(0, 0), profile="car")
    atlas.close()


def test_separate_networks_in_one_zone_are_both_kept_but_not_joined(tmp_path: Path) -> None:
    west = GeoGrid(*PORTO, size=8, first_node=1, first_way=1)
    east = GeoGrid(PORTO[0] + 0.03, PORTO[1], size=8, first_node=1_001, first_way=1_001)
    atlas = grid_atlas(tmp_path / "pair.gpkg", west, east)
    graph = planner.build_graph(atlas)
    assert graph.zones == (32629,)
    street_graph = graph.graph(32629)
    assert len(street_graph.detached) == 0
    assert set(street_graph.edge_component) == {0, 1}
    for grid in (west, east):
        (option,) = camatlas.least_watched(atlas, grid.latlon(0, 0), grid.latlon(2, 3)).options
        assert option.length_m == pytest.approx(500, rel=0.005)
    for profile in ("walk", "bike", "car"):
        with pytest.raises(InputError, match="networks that do not connect") as info:
            camatlas.least_watched(
                atlas, west.latlon(0.1, 0.5), east.latlon(7, 7.1), profile=profile
            )
        text = str(info.value)
        assert "origin was moved 10 m" in text and "destination 10 m" in text
    atlas.close()


def test_a_long_street_out_of_a_city_across_a_zone_border(tmp_path: Path) -> None:
    # A London grid just west of 0 degrees (30 N) and one primary road from its north-east
    # corner running 35 km east-north-east into 31 N, with a camera 10 m along it.
    town = GeoGrid(-0.06, 51.5, size=8, first_node=1, first_way=1)
    start = town.lonlat(7, 7)
    road = shapely.LineString([start, (0.2, 51.6), (0.42, 51.66)])
    _, _, ten = GEOD.inv(*start, 0.2, 51.6)
    cam_lon, cam_lat, _ = GEOD.fwd(*start, ten, 10)
    long_way = Street(
        id="osm:way/5000",
        highway="primary",
        geometry=road,
        nodes=(1 + 7 * 8 + 7, 5001, 5002),
        tags={"highway": "primary"},
    )
    camera = Camera(
        id="osm:node/1", lon=cam_lon, lat=cam_lat, source="osm", source_id="node/1",
        camera_type="dome", range_m=20.0,
    )  # fmt: skip
    path = tmp_path / "london.gpkg"
    with camatlas.open_atlas(path) as atlas:
        data = SourceData(
            path="l.osm", format="osm-xml", source="osm", cameras=[camera],
            streets=[*town.streets(), long_way],
        )  # fmt: skip
        atlas.import_data(data, sha256="1e")
        assert atlas.zoning().places == 1
        # The road is measured with the camera beside it: 30 m of it in a 20 m disc
        # centred 10 m from its start.
        streets = camatlas.measure(atlas).streets.set_index("id")
        assert streets.loc["osm:way/5000", "watched_m"] == pytest.approx(30, rel=0.02)
        # and routed to its far end in one graph.
        (option,) = camatlas.least_watched(atlas, town.latlon(0, 0), (51.66, 0.42)).options
        length = 14 * town.step + GEOD.geometry_length(road)
        assert option.length_m == pytest.approx(length, rel=0.002)
        # In view: those 30 m and the part of the last block (from the west or the south,
        # the same length: the less watched) inside the disc.
        utm = pyproj.Transformer.from_crs(4326, 32631, always_xy=True).transform
        disc = shapely.Point(utm(cam_lon, cam_lat)).buffer(20, quad_segs=64)
        corner = utm(*start)
        legs = [shapely.LineString([utm(*town.lonlat(*a)), corner]) for a in ((7, 6), (6, 7))]
        last = min(leg.intersection(disc).length for leg in legs)
        assert last > 5
        assert option.watched_m == pytest.approx(30 + last, rel=0.01)


def test_a_small_island_is_still_left_out(tmp_path: Path) -> None:
    town = GeoGrid(*PORTO, size=8, first_node=1, first_way=1)
    # Three nodes in a row, 400 m east of the grid's east side: an island.
    island = GeoGrid(PORTO[0], PORTO[1], size=8, first_node=0, first_way=0)
    nodes = [(1, 11), (1, 12), (1, 13)]
    lonlat = [island.lonlat(*n) for n in nodes]
    extra = [
        Street(
            id=f"osm:way/{900 + k}",
            highway="residential",
            geometry=shapely.LineString([lonlat[k], lonlat[k + 1]]),
            nodes=(900 + k, 901 + k),
            tags={"highway": "residential"},
        )
        for k in range(2)
    ]
    atlas = grid_atlas(tmp_path / "island.gpkg", town, extra=extra)
    street_graph = planner.build_graph(atlas).graph(32629)
    assert set(street_graph.detached["street_id"]) == {"osm:way/900", "osm:way/901"}
    assert set(street_graph.edge_component) == {0}
    # Next to the island and 400 m from the grid: too far, and the island is named.
    with pytest.raises(InputError, match=r"osm:way/90\d at 5 m is not connected"):
        camatlas.least_watched(atlas, town.latlon(1.05, 12), town.latlon(0, 0))
    # With a wider limit, the point goes to the grid, not to the island.
    (option,) = camatlas.least_watched(
        atlas, town.latlon(1.05, 12), town.latlon(0, 0), max_snap_m=600
    ).options
    assert option.origin_snap_m == pytest.approx(500, rel=0.01)
    assert option.length_m == pytest.approx(105 + 700, rel=0.005)
    atlas.close()


def test_kept_components_keep_every_part_but_islands() -> None:
    # A path of 60 nodes, one of 55, one of 3 and a lone node.
    sizes = [60, 55, 3, 1]
    tail: list[int] = []
    head: list[int] = []
    start = 0
    for size in sizes:
        tail += range(start, start + size - 1)
        head += range(start + 1, start + size)
        start += size
    t, h = np.array(tail + head), np.array(head + tail)
    labels = search.kept_components(start, t, h, strong=True)
    assert np.bincount(labels[labels >= 0]).tolist() == [60, 55]
    assert (labels[115:] == -1).all()
    assert search.largest_component(start, t, h, strong=False).sum() == 60
    # A part under 1% of the largest is an island, even with more than 50 nodes.
    big = 6_000
    t2 = np.concatenate([np.arange(big - 1), np.arange(big, big + 54)])
    h2 = t2 + 1
    labels = search.kept_components(big + 55, t2, h2, strong=False)
    assert set(labels[big:].tolist()) == {-1} and set(labels[:big].tolist()) == {0}


# --- tracks ---------------------------------------------------------------------------


GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>walk</name>
    <trkseg><trkpt lat="41.15" lon="-8.61"><ele>80</ele></trkpt>
            <trkpt lat="41.151" lon="-8.611"/></trkseg>
    <trkseg><trkpt lat="41.152" lon="-8.612"/><trkpt lat="41.153" lon="-8.613"/>
            <trkpt lat="41.154" lon="-8.614"/></trkseg>
  </trk>
  <rte><rtept lat="41.1" lon="-8.6"/><rtept lat="41.2" lon="-8.7"/></rte>
</gpx>"""


LINE = {"type": "LineString", "coordinates": [[-8.61, 41.15], [-8.60, 41.15]]}


@pytest.mark.parametrize(
    ("document", "why", "lenient"),
    [
        ({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": None}, {"type": "Feature", "geometry": LINE}]},
         "feature 1: expected a LineString", 1),
        ({"type": "GeometryCollection", "geometries": [LINE]}, "the track: expected a", 1),
        ({"type": "LineString", "coordinates": [[-8.61, 41.15]]}, "two or more positions", 0),
        ({"type": "MultiLineString", "coordinates": []}, "one or more lines", 0),
        ({"type": "FeatureCollection", "features": []}, "one or more features", 0),
        ({"type": "FeatureCollection", "features": [LINE]}, "feature 1 is not a GeoJSON", 1),
    ],
)  # fmt: skip
def test_a_strict_track_is_exactly_its_schema(
    document: dict[str, Any], why: str, lenient: int
) -> None:
    # The web API reads tracks strictly, as its OpenAPI schema describes them; files are
    # read leniently (other geometries passed over) where a line is there to be found.
    text = json.dumps(document)
    with pytest.raises(InputError, match=why):
        tracks.parse_track(text, strict=True)
    if lenient:
        assert len(tracks.parse_track(text).geoms) == lenient
    else:
        with pytest.raises(InputError):
            tracks.parse_track(text)
    feature = {"type": "Feature", "geometry": LINE}
    for accepted in (LINE, feature, {"type": "FeatureCollection", "features": [feature]}):
        assert len(tracks.parse_track(json.dumps(accepted), strict=True).geoms) == 1


@pytest.mark.parametrize("speed", [0.0, 1e-300, 0.09, 301.0, math.nan, math.inf])
def test_an_exposure_speed_out_of_its_range_is_refused(speed: float) -> None:
    # a speed of 5e-324 km/h once made the seconds infinite, which JSON cannot hold
    line = shapely.LineString([(-8.61, 41.15), (-8.60, 41.15)])
    views = gpd.GeoDataFrame({"physical_id": ["a"]}, geometry=[shapely.Point(0, 0).buffer(1)],
                             crs=32629)  # fmt: skip
    with pytest.raises(InputError, match=r"between 0\.1 and 300 km/h"):
        planner.exposure(None, line, speed_kmh=speed, views=views)  # type: ignore[arg-type]


def test_gpx_and_geojson_tracks_are_parsed(tmp_path: Path) -> None:
    lines = tracks.parse_track(GPX.encode())
    assert [len(part.coords) for part in lines.geoms] == [2, 3, 2]
    assert lines.geoms[0].coords[0] == (-8.61, 41.15)
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "LineString", "coordinates": [[-8.6, 41.1, 3], [-8.7, 41.2, 4]]},
    }
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature,
            {
                "type": "Feature",
                "properties": {},
                "geometry": {
                    "type": "MultiLineString",
                    "coordinates": [[[0, 0], [1, 1]], [[2, 2], [3, 3]]],
                },
            },
        ],
    }
    path = tmp_path / "walk.geojson"
    path.write_text(json.dumps(collection))
    assert [list(p.coords) for p in tracks.read_track(path).geoms] == [
        [(-8.6, 41.1), (-8.7, 41.2)],
        [(0, 0), (1, 1)],
        [(2, 2), (3, 3)],
    ]
    bad = {
        "broken.gpx": "<gpx><trk><trkseg><trkpt lat='1'",
        "empty.gpx": "<gpx xmlns='http://www.topografix.com/GPX/1/1'><trk/></gpx>",
        "point.geojson": json.dumps({"type": "Point", "coordinates": [0, 0]}),
        "far.geojson": json.dumps({"type": "LineString", "coordinates": [[0, 0], [200, 95]]}),
        "osm.xml": "<osm version='0.6'/>",
        "text.txt": "hello",
        "nolon.gpx": "<gpx><rte><rtept lat='1'/><rtept lat='2' lon='3'/></rte></gpx>",
    }
    for name, content in bad.items():
        (tmp_path / name).write_text(content)
        with pytest.raises(InputError) as info:
            tracks.read_track(tmp_path / name)
        assert name in str(info.value)
    with pytest.raises(InputError, match="no such file"):
        tracks.read_track(tmp_path / "missing.gpx")
    # Geometries given directly are checked as files are.
    assert len(tracks.track_lines(shapely.LineString([(0, 0), (1, 1)]))) == 1
    with np.errstate(invalid="ignore"):
        odd = [shapely.LineString(c) for c in ([(0, 0), (math.nan, 1)], [(0, 0), (1, math.inf)])]
    for line in [*odd, shapely.LineString([(0, 0), (181, 1)])]:
        with pytest.raises(InputError, match="track coordinates") as info:
            tracks.track_lines(line)
        assert any(word in str(info.value) for word in ("nan", "inf", "181"))


def _watched_street_scene() -> tuple[Town, gpd.GeoDataFrame]:
    """A 300 m street; camera a sees x 50-150 (identification to 80, recognition beyond),
    camera b sees x 120-200 at detection level."""
    town = Town()
    town.node(1, 0, 0)
    town.node(2, 300, 0)
    town.way(1, 2, name="Watched Street")
    a = dict(id="a", operator="City Police", surveillance="public")
    b = dict(id="b", operator="Corner Shop", surveillance="outdoor")
    views = views_frame(
        [
            {**a, "level": "view", "geometry": box(50, -10, 150, 10)},
            {**a, "level": "identification", "geometry": box(50, -10, 80, 10)},
            {**a, "level": "recognition", "geometry": box(80, -10, 150, 10)},
            {**b, "level": "view", "geometry": box(120, -10, 200, 10)},
            {**b, "level": "detection", "geometry": box(120, -10, 200, 10)},
        ]
    )
    return town, views


def _check_watched_street(result: dict[str, Any], prefix: str = "") -> None:
    assert result["length_m"] == pytest.approx(300)
    assert result["watched_m"] == pytest.approx(150)
    assert result["seconds_in_view"] == pytest.approx(150 / (5 / 3.6), abs=0.1)
    assert result["camera_ids"] == [prefix + "a", prefix + "b"]
    assert result["cameras"] == 2
    assert {k: v["watched_m"] for k, v in result["by_level"].items()} == pytest.approx(
        {"identification": 30, "recognition": 70, "observation": 0, "detection": 50}
    )
    assert result["by_operator"] == {
        "City Police": {"cameras": 1, "watched_m": 100.0, "seconds_in_view": 72.0},
        "Corner Shop": {"cameras": 1, "watched_m": 80.0, "seconds_in_view": 57.6},
    }
    assert {k: v["watched_m"] for k, v in result["by_surveillance"].items()} == {
        "public": 100.0,
        "outdoor": 80.0,
    }
    (stretch,) = result["stretches"]["features"]
    props = stretch["properties"]
    assert (props["start_m"], props["end_m"]) == pytest.approx((50, 200))
    assert props["cameras"] == [prefix + "a", prefix + "b"]
    assert props["best_level"] == "identification"
    assert stretch["geometry"]["type"] == "LineString"


def test_exposure_of_a_track_along_a_watched_street_equals_its_coverage() -> None:
    town, views = _watched_street_scene()
    track = shapely.LineString([town.lonlat(0, 0), town.lonlat(300, 0)])
    direct = coverage_of_lines(
        gpd.GeoSeries([shapely.LineString([(X0, Y0), (X0 + 300, Y0)])], crs=UTM), views
    )
    result = camatlas.exposure(None, track, views=views).to_dict()  # type: ignore[arg-type]
    assert result["watched_m"] == pytest.approx(direct["watched_m"].iloc[0])
    assert result["camera_ids"] == list(direct["cameras"].iloc[0])
    _check_watched_street(result)
    slow = camatlas.exposure(None, track, views=views, speed_kmh=2.5).to_dict()  # type: ignore[arg-type]
    assert slow["seconds_in_view"] == pytest.approx(2 * result["seconds_in_view"], abs=0.2)
    with pytest.raises(InputError, match="speed"):
        camatlas.exposure(None, track, views=views, speed_kmh=0)  # type: ignore[arg-type]


# --- through the atlas --------------------------------------------------------------------


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_routes_and_exposure_through_the_atlas_write_and_log_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    town, views = three_ways()
    atlas = make_atlas(tmp_path / "town.gpkg", town, views)
    gpx = tmp_path / "track.gpx"
    points = "".join(
        f'<trkpt lat="{lat}" lon="{lon}"/>'
        for lat, lon in (town.latlon((0, 0)), town.latlon((300, 0)))
    )
    gpx.write_text(f"<gpx><trk><trkseg>{points}</trkseg></trk></gpx>")
    before = _digest(tmp_path)
    with caplog.at_level(logging.DEBUG):
        options = camatlas.least_watched(atlas, town.latlon(1), town.latlon(2)).options
        result = camatlas.exposure(atlas, gpx).to_dict()
    got = [(round(o.length_m, 6), round(o.watched_m, 6), o.cameras) for o in options]
    assert got == [(300.0, 100.0, ("test:a",)), (350.0, 40.0, ("test:b",)), (400.0, 0.0, ())]
    assert result["watched_m"] == pytest.approx(100)
    assert result["by_operator"]["City"]["cameras"] == 1
    assert "stored result layers views" in result["views"]
    atlas.close()
    assert _digest(tmp_path) == before
    # No coordinate of the origin, the destination or the track in any message, at any
    # precision down to three decimals (truncated, as a log line might print them).
    asked = [town.latlon(1), town.latlon(2), town.latlon((0, 0)), town.latlon((300, 0))]
    needles = {f"{abs(v):.9f}"[: f"{abs(v):.9f}".index(".") + 4] for p in asked for v in p}
    messages = [r.getMessage() for r in caplog.records]
    assert not [(n, m) for m in messages for n in needles if n in m]


def test_graph_is_built_once_per_atlas_and_profile_until_the_atlas_changes(
    tmp_path: Path,
) -> None:
    town, views = three_ways()
    atlas = make_atlas(tmp_path / "town.gpkg", town, views)
    walk = planner.build_graph(atlas)
    assert planner.build_graph(atlas) is walk
    assert planner.build_graph(atlas, "car") is not walk
    more = Town(first_way=100)
    more.node(1, 0, 0)
    more.node(7, -100, 0)
    more.way(1, 7)
    atlas.import_data(
        SourceData(path="more.osm", format="osm-xml", source="osm", streets=more.streets()),
        sha256="more",
    )
    rebuilt = planner.build_graph(atlas)
    assert rebuilt is not walk
    assert len(rebuilt.edges) == len(walk.edges) + 1
    with pytest.raises(InputError, match="unknown profile"):
        planner.build_graph(atlas, "horse")
    atlas.close()


def test_cli_route_and_exposure(tmp_path: Path) -> None:
    town, views = _watched_street_scene()
    path = tmp_path / "town.gpkg"
    make_atlas(path, town, views).close()
    start = "{:.7f},{:.7f}".format(*town.latlon((0, 0)))
    end = "{:.7f},{:.7f}".format(*town.latlon((300, 0)))
    data = json.loads(
        run_camatlas("route", "--atlas", path, "--from", start, "--to", end, "--json").stdout
    )
    (only,) = data["routes"]
    assert only["length_m"] == pytest.approx(300)
    assert only["watched_m"] == pytest.approx(150)
    assert only["cameras"] == 2 and only["detour_m"] == 0
    assert only["geometry"]["coordinates"][0] == pytest.approx(list(town.lonlat(0, 0)), abs=1e-6)
    text = run_camatlas("route", "--atlas", path, "--from", start, "--to", end).stdout
    assert "300 m" in text and "150 m" in text
    far = "{:.7f},{:.7f}".format(*town.latlon((0, 1000)))
    failed = run_camatlas("route", "--atlas", path, "--from", far, "--to", end, check=False)
    assert failed.returncode == 1
    assert "1,000 m away" in failed.stderr and "Traceback" not in failed.stderr
    bad = run_camatlas("route", "--atlas", path, "--from", "41.1", "--to", end, check=False)
    assert bad.returncode == 1 and "LAT,LON" in bad.stderr
    track = tmp_path / "walk.geojson"
    track.write_text(
        json.dumps(
            {
                "type": "LineString",
                "coordinates": [list(town.lonlat(0, 0)), list(town.lonlat(300, 0))],
            }
        )
    )
    result = json.loads(run_camatlas("exposure", track, "--atlas", path, "--json").stdout)
    _check_watched_street(result, prefix="test:")
    text = run_camatlas("exposure", track, "--atlas", path, "--speed", "4").stdout
    assert "150 m in view" in text and "City Police" in text
    for command in ("route", "exposure"):
        assert "never logged or stored" in " ".join(run_camatlas(command, "--help").stdout.split())


# --- real data --------------------------------------------------------------------------


@pytest.mark.realdata
def test_route_across_the_city_of_london(shared_data: Path, tmp_path: Path) -> None:
    atlas = camatlas.open_atlas(tmp_path / "london.gpkg")
    atlas.import_file(shared_data / "london.osm.pbf")
    st_pauls, chancery_lane = (51.51378, -0.09846), (51.51852, -0.11113)
    options = camatlas.least_watched(atlas, st_pauls, chancery_lane).options
    geod = pyproj.Geod(ellps="WGS84")
    straight = geod.inv(st_pauls[1], st_pauls[0], chancery_lane[1], chancery_lane[0])[2]
    assert len(options) >= 1
    assert options[0].length_m >= straight
    assert options[0].length_m < 2 * straight
    for a, b in itertools.pairwise(options):
        assert b.length_m > a.length_m and b.watched_m < a.watched_m
    graph = planner.build_graph(atlas)
    assert graph.unaligned_streets == 0  # the reader keeps node ids aligned with vertices
    assert graph.edges["watched_m"].sum() > 0  # the City's cameras see some streets
    atlas.close()


@pytest.mark.parametrize("seed", range(5))
def test_a_subnetwork_chooses_among_parallel_arcs_as_one_built_afresh(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 30, 200
    tail, head = rng.integers(0, n, m), rng.integers(0, n, m)
    # Many arcs between the same nodes: some shorter, some less watched, some dominated.
    tail[100:], head[100:] = tail[:100], head[:100]
    length = rng.uniform(10, 100, m)
    watched = length * rng.uniform(0, 1, m) * (rng.random(m) < 0.7)
    net = search.Network(n, tail, head, np.arange(m), np.ones(m, bool), length, watched)
    assert len(net.multi.pairs) > 0  # made before the cut: the subnetwork inherits it
    keep = rng.random(n) < 0.6
    sub, _, arcs = net.subnetwork(keep)
    fresh = search.Network(sub.n_nodes, sub.tail, sub.head, sub.edge, sub.forward, sub.length,
                           sub.watched)  # fmt: skip
    got, want = sub.multi, fresh.multi
    assert np.array_equal(got.best, want.best)
    assert np.array_equal(got.pairs, want.pairs)
    assert np.array_equal(got.row, want.row)
    for a, b in zip(got.arcs, want.arcs, strict=True):
        assert set(a.tolist()) == set(b.tolist())
    assert np.array_equal(sub.edge, net.edge[arcs])
