"""Tests of the OSM reader on small hand-made files (XML and PBF) and on real extracts."""

from __future__ import annotations

import collections
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest
import shapely

from camatlas.errors import FormatError, InputError
from camatlas.records import Direction, SourceData
from camatlas.sources import pbf
from camatlas.sources.osm import read_osm
from tests.osmfiles import OsmData, write_pbf, write_xml
from tests.pbfcraft import CraftedBlock, write_crafted_pbf

# --- writing small OSM files ----------------------------------------------------------------


# --- the town used by most tests ------------------------------------------------------------

LON, LAT = 2.35, 48.85
STAMP = "2014-09-16T14:15:22Z"


def town() -> OsmData:
    """One of each: camera node, camera area, streets, building way and multipolygon."""
    d = OsmData()
    d.node(
        1,
        LON,
        LAT,
        {"man_made": "surveillance", "surveillance:type": "camera", "camera:direction": "240"},
        STAMP,
    )
    # a camera mapped as a closed way: a right triangle
    d.node(31, LON + 0.001, LAT)
    d.node(32, LON + 0.002, LAT)
    d.node(33, LON + 0.001, LAT + 0.001)
    d.way(30, [31, 32, 33, 31], {"man_made": "surveillance", "surveillance:type": "camera"})
    # streets
    for node_id, k in ((11, 0), (12, 1), (13, 2)):
        d.node(node_id, LON + 0.0005 * k, LAT - 0.001)
    d.way(10, [11, 12, 13], {"highway": "residential", "name": "Rue A", "oneway": "yes"}, STAMP)
    d.way(14, [13, 11], {"highway": "footway"})
    # a building way
    ring = d.square(21, LON + 0.003, LAT, 0.0002)
    d.way(20, ring, {"building": "yes", "height": "12", "building:levels": "4"})
    # a building multipolygon: outer ring split over two ways, one inner ring
    for node_id, (x, y) in zip(
        (41, 42, 43, 44), ((0, 0), (0.001, 0), (0.001, 0.001), (0, 0.001)), strict=True
    ):
        d.node(node_id, LON + 0.005 + x, LAT + y)
    d.way(401, [41, 42, 43])
    d.way(402, [43, 44, 41])
    inner = d.square(51, LON + 0.0053, LAT + 0.0003, 0.0004)
    d.way(403, inner)
    d.relation(
        400,
        [("w", 401, "outer"), ("w", 403, "inner"), ("w", 402, "outer")],
        {"type": "multipolygon", "building": "apartments", "height": "20 m"},
    )
    return d


@pytest.fixture(params=["xml", "pbf"])
def town_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "xml":
        return write_xml(tmp_path / "town.osm", town())
    return write_pbf(tmp_path / "town.osm.pbf", town())


class _Record(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=_Record)


def by_id(items: Sequence[R]) -> dict[str, R]:
    return {item.id: item for item in items}


# --- cameras --------------------------------------------------------------------------------


def test_camera_node_is_normalized(town_file: Path) -> None:
    data = read_osm(town_file)
    camera = by_id(data.cameras)["osm:node/1"]
    assert camera.source == "osm"
    assert camera.source_id == "node/1"
    assert (camera.lon, camera.lat) == (LON, LAT)
    assert camera.kind == "camera"
    assert camera.directions == (Direction(240.0),)
    assert camera.source_timestamp == STAMP
    assert camera.tags["camera:direction"] == "240"


def test_camera_way_sits_at_the_centroid_of_its_polygon(town_file: Path) -> None:
    data = read_osm(town_file)
    camera = by_id(data.cameras)["osm:way/30"]
    triangle = [(LON + 0.001, LAT), (LON + 0.002, LAT), (LON + 0.001, LAT + 0.001)]
    center = shapely.Polygon(triangle).centroid
    assert camera.lon == pytest.approx(center.x, abs=1e-9)
    assert camera.lat == pytest.approx(center.y, abs=1e-9)
    outline = shapely.LineString([*triangle, triangle[0]]).centroid
    assert abs(camera.lat - outline.y) > 1e-5  # not the centroid of the outline
    assert camera.source_timestamp is None  # the element has no timestamp


def test_camera_on_an_open_way_sits_at_the_centroid_of_its_line(tmp_path: Path) -> None:
    d = OsmData()
    d.node(1, 0.0, 0.0)
    d.node(2, 0.003, 0.0)
    d.node(3, 0.003, 0.001)
    d.way(5, [1, 2, 3], {"man_made": "surveillance"})
    data = read_osm(write_xml(tmp_path / "line.osm", d))
    (camera,) = data.cameras
    center = shapely.LineString([(0, 0), (0.003, 0), (0.003, 0.001)]).centroid
    assert (camera.lon, camera.lat) == pytest.approx((center.x, center.y))


@pytest.mark.parametrize("layers", [("cameras",), ("cameras", "buildings")])
def test_camera_relation_sits_at_the_centroid_of_its_member_ways(
    tmp_path: Path, layers: tuple[str, ...]
) -> None:
    d = OsmData()
    d.node(1, 0.0, 0.0)
    d.node(2, 0.002, 0.0)
    d.way(7, [1, 2])
    d.relation(9, [("w", 7, ""), ("w", 8, "")], {"man_made": "surveillance"})
    data = read_osm(write_pbf(tmp_path / "rel.osm.pbf", d), layers=layers)
    (camera,) = data.cameras
    assert camera.source_id == "relation/9"
    assert (camera.lon, camera.lat) == pytest.approx((0.001, 0.0))


def test_camera_relation_without_members_in_the_file_is_rejected(tmp_path: Path) -> None:
    d = OsmData()
    d.node(1, 0.0, 0.0)
    d.relation(9, [("w", 8, "")], {"man_made": "surveillance"})
    data = read_osm(write_xml(tmp_path / "rel.osm", d))
    assert data.cameras == []
    assert [r.where for r in data.rejected] == ["relation/9"]


def test_problems_of_the_cameras_are_collected(tmp_path: Path) -> None:
    d = OsmData()
    d.node(1, 0.0, 1.0, {"man_made": "surveillance", "camera:direction": "sideways"})
    data = read_osm(write_xml(tmp_path / "p.osm", d))
    (camera,) = data.cameras
    assert camera.directions == ()
    keys = {p.key for p in data.problems}
    assert "camera:direction" in keys
    assert {p.element for p in data.problems} == {"osm:node/1"}


# --- streets --------------------------------------------------------------------------------


def test_streets_keep_names_tags_and_node_ids(town_file: Path) -> None:
    data = read_osm(town_file)
    streets = by_id(data.streets)
    assert set(streets) == {"osm:way/10", "osm:way/14"}
    street = streets["osm:way/10"]
    assert street.highway == "residential"
    assert street.name == "Rue A"
    assert street.oneway == "yes"
    assert street.nodes == (11, 12, 13)
    assert street.tags == {"highway": "residential", "name": "Rue A", "oneway": "yes"}
    assert street.geometry.geom_type == "LineString"
    expected = [(LON, LAT - 0.001), (LON + 0.0005, LAT - 0.001), (LON + 0.001, LAT - 0.001)]
    coords = list(street.geometry.coords)
    assert len(coords) == 3
    for got, want in zip(coords, expected, strict=True):
        assert got == pytest.approx(want, abs=1e-7)  # OSM keeps 7 decimals
    assert streets["osm:way/14"].nodes == (13, 11)
    assert streets["osm:way/14"].name is None


def test_closed_highway_area_stays_a_line(tmp_path: Path) -> None:
    d = OsmData()
    ring = d.square(1, 0.0, 0.0, 0.001)
    d.way(5, ring, {"highway": "pedestrian", "area": "yes"})
    (street,) = read_osm(write_xml(tmp_path / "sq.osm", d)).streets
    assert street.geometry.geom_type == "LineString"
    assert street.geometry.is_closed
    assert street.nodes == (1, 2, 3, 4, 1)


# --- buildings ------------------------------------------------------------------------------


def test_building_way(town_file: Path) -> None:
    building = by_id(read_osm(town_file).buildings)["osm:way/20"]
    assert building.building == "yes"
    assert building.height_m == 12.0
    assert building.levels == 4.0
    assert building.geometry.geom_type == "Polygon"
    assert building.geometry.is_valid
    assert building.geometry.area == pytest.approx(0.0002**2)
    assert building.tags["building:levels"] == "4"


def test_building_multipolygon_is_outer_minus_inner(town_file: Path) -> None:
    building = by_id(read_osm(town_file).buildings)["osm:relation/400"]
    assert building.building == "apartments"
    assert building.height_m == 20.0
    assert building.levels is None
    geometry = building.geometry
    assert geometry.geom_type == "Polygon"
    assert geometry.is_valid
    assert len(geometry.interiors) == 1
    assert geometry.area == pytest.approx(0.001**2 - 0.0004**2, rel=1e-6)
    # the hole is empty: a point inside the inner ring is not in the building
    assert not geometry.contains(shapely.Point(LON + 0.0055, LAT + 0.0005))
    assert geometry.contains(shapely.Point(LON + 0.0051, LAT + 0.0001))


def test_building_values(tmp_path: Path) -> None:
    d = OsmData()
    for way_id, tags in enumerate(
        [
            {"building": "no"},
            {"building": "yes", "height": "12 ft", "building:levels": "three"},
            {"building": "house", "height": "7.5", "building:levels": "2"},
        ],
        start=1,
    ):
        d.way(way_id, d.square(way_id * 10, way_id * 0.01, 0.0, 0.0001), tags)
    buildings = by_id(read_osm(write_xml(tmp_path / "b.osm", d)).buildings)
    assert set(buildings) == {"osm:way/2", "osm:way/3"}
    # feet are read as for a camera's height (one rule for every height); "three" is no count
    assert buildings["osm:way/2"].height_m == pytest.approx(12 * 0.3048)
    assert buildings["osm:way/2"].levels is None
    assert (buildings["osm:way/3"].height_m, buildings["osm:way/3"].levels) == (7.5, 2.0)


def test_self_crossing_building_is_repaired_and_flat_one_rejected(tmp_path: Path) -> None:
    d = OsmData()
    # a bow tie: 1 -> 2 -> 3 -> 4 crosses itself
    for node_id, (x, y) in zip((1, 2, 3, 4), ((0, 0), (1, 1), (1, 0), (0, 1)), strict=True):
        d.node(node_id, x * 0.001, y * 0.001)
    d.way(10, [1, 2, 3, 4, 1], {"building": "yes"})
    # all corners on one line: no area at all
    for node_id, lon in zip((5, 6, 7), (0.0, 0.001, 0.002), strict=True):
        d.node(node_id, lon, 0.01)
    d.way(11, [5, 6, 7, 5], {"building": "yes"})
    data = read_osm(write_xml(tmp_path / "bad.osm", d))
    (building,) = data.buildings
    assert building.id == "osm:way/10"
    assert building.geometry.is_valid
    assert building.geometry.area == pytest.approx(0.5 * 0.001**2)
    assert [(r.where, r.value) for r in data.rejected] == [("way/11", "yes")]


def test_open_building_way_is_rejected(tmp_path: Path) -> None:
    d = OsmData()
    for node_id in (1, 2, 3):
        d.node(node_id, node_id * 0.001, 0.0)
    d.way(5, [1, 2, 3], {"building": "yes"})
    data = read_osm(write_xml(tmp_path / "open.osm", d))
    assert data.buildings == []
    assert [r.where for r in data.rejected] == ["way/5"]
    assert "not closed" in data.rejected[0].reason


# --- administrative areas -------------------------------------------------------------------


def quarters() -> OsmData:
    """Two admin boundaries: one whole, one cut by the edge of the extract."""
    d = OsmData()
    ring = d.square(1, 0.0, 0.0, 0.01)
    d.way(10, ring[:3])
    d.way(11, ring[2:])
    d.relation(
        100,
        [("w", 10, "outer"), ("w", 11, "outer"), ("n", 1, "admin_centre"), ("r", 7, "subarea")],
        {
            "type": "boundary",
            "boundary": "administrative",
            "admin_level": "10",
            "name": "Vieux Port",
            "population": "2067",
        },
    )
    d.relation(
        101,
        [("w", 10, "outer"), ("w", 12, "outer")],
        {"type": "boundary", "boundary": "administrative", "admin_level": "8", "name": "Cut"},
    )
    return d


def test_areas_are_read_only_when_asked_for(tmp_path: Path) -> None:
    path = write_pbf(tmp_path / "q.osm.pbf", quarters())
    assert read_osm(path).areas == []
    data = read_osm(path, layers=("areas",))
    (area,) = data.areas
    assert area.id == "osm:relation/100"
    assert (area.name, area.admin_level, area.population) == ("Vieux Port", 10, 2067.0)
    assert area.geometry.area == pytest.approx(0.01**2)
    (rejected,) = data.rejected
    assert (rejected.where, rejected.value) == ("relation/101", "Cut")
    assert "missing from the file" in rejected.reason


def _boundary(d: OsmData, rel_id: int, level: str, name: str, members: list[Any]) -> None:
    tags = {"type": "boundary", "boundary": "administrative", "admin_level": level}
    d.relation(rel_id, members, {**tags, "name": name})


def cut_districts(strategy: str) -> OsmData:
    """An extract of the box (0, 0)-(0.02, 0.02) cutting admin boundaries at its edge, as
    osmium writes it: ways reaching into the box whole ("complete_ways") or only their
    nodes inside it ("simple"); ways wholly outside it are missing either way."""
    d = OsmData(bounds=(0.0, 0.0, 0.02, 0.02))
    outside: set[int] = set()

    def node(node_id: int, lon: float, lat: float) -> int:
        if (0 <= lon <= 0.02 and 0 <= lat <= 0.02) or strategy == "complete_ways":
            d.node(node_id, lon, lat)
        else:
            outside.add(node_id)
        return node_id

    # Whole inside the box, level 9.
    d.way(10, d.square(100, 0.002, 0.002, 0.004))
    _boundary(d, 1, "9", "Whole", [("w", 10, "outer")])
    # Across the east edge, level 9, with a label node: its part inside is
    # box(0.01, 0.005, 0.02, 0.015). Way 23 (x = 0.03) lies outside: missing.
    d.way(20, [node(200, 0.03, 0.005), node(201, 0.018, 0.005), node(202, 0.01, 0.005)])
    d.way(21, [202, node(203, 0.01, 0.015)])
    d.way(22, [203, node(204, 0.018, 0.015), node(205, 0.03, 0.015)])
    d.node(206, 0.015, 0.01)
    members = [("w", 20, "outer"), ("w", 21, "outer"), ("w", 22, "outer"), ("w", 23, "outer")]
    _boundary(d, 2, "9", "East", [*members, ("n", 206, "label")])
    # Across the west edge, level 9, no label: the other side would hold "Whole" and
    # part of "East", so its part inside is box(0, 0, 0.001, 0.02).
    d.way(30, [node(300, -0.01, -0.01), node(301, 0.001, -0.01), node(302, 0.001, 0.0)])
    d.way(31, [302, node(303, 0.001, 0.02)])
    d.way(32, [303, node(304, 0.001, 0.03), node(305, -0.01, 0.03)])
    members = [("w", 30, "outer"), ("w", 31, "outer"), ("w", 32, "outer"), ("w", 33, "outer")]
    _boundary(d, 3, "9", "West", members)
    # Level 8, alone at its level and without a label: either side may be it.
    d.way(40, [node(400, 0.005, -0.01), node(401, 0.005, 0.003), node(402, 0.015, 0.003)])
    d.way(41, [402, node(403, 0.015, -0.01)])
    _boundary(d, 4, "8", "Alone", [("w", 40, "outer"), ("w", 41, "outer"), ("w", 42, "outer")])
    # Level 7, no ring inside the box but its admin_centre is: it covers the whole box.
    d.node(500, 0.01, 0.01)
    _boundary(d, 5, "7", "Around", [("w", 50, "outer"), ("n", 500, "admin_centre")])
    # Level 6, no ring inside the box and no marker: nothing says whether it covers it.
    d.way(60, [node(600, 0.03, 0.03), node(601, 0.04, 0.03)])
    _boundary(d, 6, "6", "Beyond", [("w", 60, "outer"), ("w", 61, "outer")])
    for way_id, refs, tags, ts in list(d.ways):
        d.ways.remove((way_id, refs, tags, ts))
        if any(r not in outside for r in refs):
            d.way(way_id, refs, tags, ts)  # the ids of nodes outside stay, as osmium writes
    return d


@pytest.mark.parametrize("strategy", ["complete_ways", "simple"])
@pytest.mark.parametrize("writer", [write_xml, write_pbf])
def test_areas_cut_by_the_edge_are_kept_clipped_to_it_where_evidence_says_which_side(
    tmp_path: Path, strategy: str, writer: Any
) -> None:
    name = "cut.osm" if writer is write_xml else "cut.osm.pbf"
    path = writer(tmp_path / name, cut_districts(strategy))
    data = read_osm(path, layers=("areas",))
    areas = {a.name: a for a in data.areas}
    assert set(areas) == {"Whole", "East", "West", "Around"}
    assert not areas["Whole"].partial
    expected = {
        "East": shapely.box(0.01, 0.005, 0.02, 0.015),
        "West": shapely.box(0.0, 0.0, 0.001, 0.02),
        "Around": shapely.box(0.0, 0.0, 0.02, 0.02),
    }
    for name, shape in expected.items():
        area = areas[name]
        assert area.partial, name
        assert area.geometry.symmetric_difference(shape).area < 1e-12, name
    rejected = {r.value: r.reason for r in data.rejected}
    assert set(rejected) == {"Alone", "Beyond"}
    assert "neither a label or admin_centre node nor the areas" in rejected["Alone"]
    assert "none of its rings reach into the data's bounds" in rejected["Beyond"]


def test_without_bounds_in_the_file_cut_areas_are_refused(tmp_path: Path) -> None:
    d = cut_districts("complete_ways")
    d.bounds = None
    data = read_osm(write_pbf(tmp_path / "cut.osm.pbf", d), layers=("areas",))
    assert [a.name for a in data.areas] == ["Whole"]
    assert {r.value for r in data.rejected} == {"East", "West", "Alone", "Around", "Beyond"}
    assert all("missing from the file" in r.reason for r in data.rejected)


def test_a_ring_open_deep_inside_the_bounds_is_broken_not_cut(tmp_path: Path) -> None:
    d = OsmData(bounds=(0.0, 0.0, 0.02, 0.02))
    d.node(1, 0.005, 0.005)
    d.node(2, 0.015, 0.005)
    d.node(3, 0.015, 0.025)
    d.way(10, [1, 2, 3])
    _boundary(d, 1, "9", "Broken", [("w", 10, "outer"), ("w", 11, "outer")])
    (rejected,) = read_osm(write_pbf(tmp_path / "b.osm.pbf", d), layers=("areas",)).rejected
    assert "inside the data's bounds" in rejected.reason
    assert "broken, not cut by the edge" in rejected.reason


# --- extracts with missing nodes or members -------------------------------------------------


def test_ways_with_missing_nodes_are_kept_or_rejected_not_fatal(tmp_path: Path) -> None:
    d = OsmData()
    d.node(1, 0.0, 0.0)
    d.node(2, 0.001, 0.0)
    d.node(3, 0.001, 0.001)
    d.way(10, [1, 900, 901], {"highway": "service"})  # one node in the file: rejected
    d.way(11, [1, 902, 2], {"highway": "footway"})  # two: kept, without the missing one
    d.way(12, [903, 1, 2, 3, 903], {"building": "yes"})  # 3 corners: kept, ring closed
    d.way(13, [1, 904, 905, 2, 1], {"building": "yes"})  # 2 corners: rejected
    data = read_osm(write_xml(tmp_path / "cut.osm", d))
    (street,) = data.streets
    assert street.id == "osm:way/11"
    assert street.nodes == (1, 2)
    assert list(street.geometry.coords) == [(0.0, 0.0), (0.001, 0.0)]
    (building,) = data.buildings
    assert building.id == "osm:way/12"
    assert building.geometry.area == pytest.approx(0.5 * 0.001**2)
    rejected = {r.where: r for r in data.rejected}
    assert set(rejected) == {"way/10", "way/13"}
    assert all("missing from the file" in r.reason for r in rejected.values())


def test_multipolygon_with_a_missing_outer_way_is_rejected(tmp_path: Path) -> None:
    d = OsmData()
    d.node(1, 0.0, 0.0)
    d.node(2, 0.001, 0.0)
    d.node(3, 0.001, 0.001)
    d.way(5, [1, 2, 3])
    d.relation(
        7, [("w", 5, "outer"), ("w", 6, "outer")], {"type": "multipolygon", "building": "yes"}
    )
    data = read_osm(write_pbf(tmp_path / "mp.osm.pbf", d))
    assert data.buildings == []
    (rejected,) = data.rejected
    assert rejected.where == "relation/7"
    assert "missing from the file" in rejected.reason


# --- layers, passes and progress ------------------------------------------------------------


def test_cameras_layer_only(town_file: Path) -> None:
    data = read_osm(town_file, layers=("cameras",))
    assert data.streets == []
    assert data.buildings == []
    assert {c.id for c in data.cameras} == {"osm:node/1", "osm:way/30"}


def test_streets_layer_only(town_file: Path) -> None:
    data = read_osm(town_file, layers=["streets"])
    assert data.cameras == []
    assert data.problems == []
    assert data.buildings == []
    assert len(data.streets) == 2


def test_cameras_on_nodes_only_take_one_pass(tmp_path: Path) -> None:
    d = OsmData()
    d.node(1, 0.0, 1.0, {"man_made": "surveillance"})
    d.node(2, 0.001, 1.0)
    d.way(5, [1, 2], {"highway": "service"})
    path = write_pbf(tmp_path / "cams.osm.pbf", d)
    calls: list[tuple[str, int, int]] = []
    data = read_osm(path, layers=("cameras",), progress=lambda *call: calls.append(call))
    assert len(data.cameras) == 1
    assert {stage for stage, _, _ in calls} == {"ways"}
    assert calls[-1] == ("ways", path.stat().st_size, path.stat().st_size)


def test_progress_reports_each_pass_in_bytes(town_file: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    read_osm(town_file, progress=lambda *call: calls.append(call))
    size = town_file.stat().st_size
    stages = list(dict.fromkeys(stage for stage, _, _ in calls))
    assert stages == ["relations", "ways", "nodes"]
    assert all(0 <= done <= total == size for _, done, total in calls)
    for stage in stages:
        assert (stage, size, size) in calls


def test_unknown_layer_is_refused(town_file: Path) -> None:
    with pytest.raises(InputError, match="houses"):
        read_osm(town_file, layers=("cameras", "houses"))


def test_xml_and_pbf_give_the_same_records(tmp_path: Path) -> None:
    xml = read_osm(write_xml(tmp_path / "town.osm", town()))
    pbf = read_osm(write_pbf(tmp_path / "town.osm.pbf", town()))
    assert (xml.format, pbf.format) == ("osm-xml", "osm-pbf")
    assert (xml.source, pbf.source) == ("osm", "osm")
    assert xml.path == str(tmp_path / "town.osm")
    assert xml.counts() == pbf.counts()
    # town(): two cameras, two streets, two buildings
    assert xml.counts() == {
        "cameras": 2, "streets": 2, "buildings": 2, "areas": 0, "problems": 0, "rejected": 0,
    }  # fmt: skip
    assert xml.cameras == pbf.cameras
    assert xml.problems == pbf.problems
    assert xml.rejected == pbf.rejected
    assert _comparable(xml) == _comparable(pbf)


def _comparable(data: SourceData) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for s in data.streets:
        rows.append((s.id, s.highway, s.name, s.oneway, s.nodes, s.tags, s.geometry.wkb))
    for b in data.buildings:
        rows.append((b.id, b.building, b.height_m, b.levels, b.tags, b.geometry.wkb))
    return rows


def test_josm_save_skips_deleted_elements_and_keeps_new_ones(tmp_path: Path) -> None:
    path = tmp_path / "josm.osm"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<osm version='0.6' upload='true' generator='JOSM'>\n"
        "  <node id='-1' action='modify' lat='1.0' lon='2.0'>"
        "<tag k='man_made' v='surveillance' /></node>\n"
        "  <node id='5' action='delete' visible='true' version='2' lat='1.0' lon='2.0'>"
        "<tag k='man_made' v='surveillance' /></node>\n"
        "  <node id='6' visible='true' version='1' lat='1.5' lon='2.5'>"
        "<tag k='man_made' v='surveillance' /></node>\n"
        "</osm>\n",
        encoding="utf-8",
    )
    data = read_osm(path)
    assert sorted(c.source_id for c in data.cameras) == ["node/-1", "node/6"]


# --- errors ---------------------------------------------------------------------------------


def test_truncated_pbf_names_the_file_and_the_last_element(tmp_path: Path) -> None:
    d = OsmData()
    for node_id in range(1, 20_001):  # several PBF blocks of 8000 nodes
        d.node(
            node_id, (node_id % 100) * 1e-4, (node_id // 100) * 1e-4, {"man_made": "surveillance"}
        )
    whole = write_pbf(tmp_path / "whole.osm.pbf", d)
    cut = tmp_path / "cut.osm.pbf"
    content = whole.read_bytes()
    cut.write_bytes(content[: len(content) // 2])
    with pytest.raises(InputError) as caught:
        read_osm(cut, layers=("cameras",))
    message = str(caught.value)
    assert str(cut) in message
    assert caught.value.path == str(cut)
    # The refusal names the block the cut falls in and the byte it starts at.
    found = re.search(r"damaged in block (\d+) \(from byte (\d+)\): the file ends inside", message)
    assert found, message
    starts = {b.offset: b for b in pbf.blocks(whole)}
    block = starts[int(found[2])]
    assert block.number == int(found[1])
    assert block.offset < len(content) // 2 < block.offset + 4 + len(block.blob) + 64


CAMERA_TAGS = {b"man_made": b"surveillance"}


def test_a_crafted_pbf_reads_as_its_encoding_says(tmp_path: Path) -> None:
    # The hand-made encoder and libosmium agree on a valid file that uses a
    # granularity and offsets other than the defaults, so the refusals below
    # are about the values, not the encoder.
    block = CraftedBlock(granularity=1000, lat_offset=48_000_000_000, lon_offset=11_000_000_000)
    block.node(1, 100_000, 500_000, CAMERA_TAGS)  # 48.1, 11.5
    block.node(2, 100_100, 500_100)
    block.node(3, 100_200, 500_100)
    block.way(4, [2, 3], {b"highway": b"footway"})
    path = write_crafted_pbf(tmp_path / "valid.osm.pbf", block)
    data = read_osm(path, layers=("cameras", "streets"))
    ((camera),) = data.cameras
    assert (camera.lon, camera.lat) == pytest.approx((11.5, 48.1), abs=1e-9)
    assert [s.id for s in data.streets] == ["osm:way/4"]


@pytest.mark.parametrize(
    ("make", "bad_node", "reason"),
    [
        # 481 degrees: libosmium narrows it to 32 bits, a real-looking 85.5
        (lambda b: b.node(1, 4_810_000_000, 115_000_000, CAMERA_TAGS), 1, "latitude 481 "),
        (lambda b: b.node(1, 481_000_000, 2**62, CAMERA_TAGS), 1, "longitude "),
        # a street through a node that overflows: the street is not imported somewhere else
        (lambda b: (b.node(2, 2**40, 1), b.node(3, 1, 1)), 2, "latitude "),
    ],
    ids=["wraps-into-range", "overflows-int64", "way-node"],
)
def test_a_pbf_coordinate_off_the_globe_is_refused_naming_node_and_block(
    tmp_path: Path, make: Any, bad_node: int, reason: str
) -> None:
    block = CraftedBlock()
    block.node(9, 481_000_000, 115_000_000, CAMERA_TAGS)
    make(block)
    block.way(4, [2, 3], {b"highway": b"footway"})
    path = write_crafted_pbf(tmp_path / "crafted.osm.pbf", block)
    for layers in (("cameras",), ("streets",)):
        with pytest.raises(InputError) as caught:
            read_osm(path, layers=layers)
        assert caught.value.element == f"node/{bad_node}"
        assert reason in str(caught.value)
        assert "block 2, which starts at byte" in str(caught.value)


def test_a_pbf_block_with_granularity_zero_is_refused(tmp_path: Path) -> None:
    block = CraftedBlock(granularity=0)
    block.node(5, 481_000_000, 115_000_000, CAMERA_TAGS)
    path = write_crafted_pbf(tmp_path / "flat.osm.pbf", block)
    with pytest.raises(InputError, match="granularity of 0") as caught:
        read_osm(path, layers=("cameras",))
    assert caught.value.element == "node/5"


@pytest.mark.parametrize("where", ["key", "value", "way-value"])
def test_a_pbf_tag_that_is_not_utf8_is_refused_naming_the_element(
    tmp_path: Path, where: str
) -> None:
    block = CraftedBlock()
    tags = dict(CAMERA_TAGS)
    if where == "key":
        tags[b"na\xc3me"] = b"x"
    elif where == "value":
        tags[b"name"] = b"caf\xe9"
    block.node(1, 481_000_000, 115_000_000, tags)
    block.node(2, 481_000_100, 115_000_000)
    way_tags = {b"highway": b"footway", b"name": b"\xff" if where == "way-value" else b"ok"}
    block.way(7, [1, 2], way_tags)
    path = write_crafted_pbf(tmp_path / "latin1.osm.pbf", block)
    with pytest.raises(InputError, match="not UTF-8") as caught:
        read_osm(path, layers=("cameras", "streets"))
    assert caught.value.element == ("way/7" if where == "way-value" else "node/1")
    assert caught.value.path == str(path)


def test_a_byte_flipped_pbf_names_the_damaged_block(tmp_path: Path) -> None:
    d = OsmData()
    for node_id in range(1, 20_001):
        d.node(node_id, (node_id % 100) * 1e-4, (node_id // 100) * 1e-4, {"man_made": "x"})
    whole = write_pbf(tmp_path / "whole.osm.pbf", d)
    third = list(pbf.blocks(whole))[2]
    content = bytearray(whole.read_bytes())
    content[third.offset + 40] ^= 0xFF  # inside the compressed data of block 3
    flipped = tmp_path / "flipped.osm.pbf"
    flipped.write_bytes(bytes(content))
    with pytest.raises(InputError, match=rf"block 3 \(from byte {third.offset}\)"):
        read_osm(flipped, layers=("cameras",))


def test_truncated_pbf_fails_in_every_layer_combination(tmp_path: Path) -> None:
    whole = write_pbf(tmp_path / "town.osm.pbf", town())
    cut = tmp_path / "cut.osm.pbf"
    content = whole.read_bytes()
    cut.write_bytes(content[: len(content) // 2])
    for layers in (("cameras",), ("streets",), ("buildings",), ("cameras", "streets", "buildings")):
        with pytest.raises(InputError, match=r"cut\.osm\.pbf"):
            read_osm(cut, layers=layers)


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.osm"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<osm version='0.6'>\n"
        " <node id='1' lat='1' lon='2'>\n"
        "  <tag k='man_made' v='surveillance'>\n"
        " </node>\n"
        "</osm>\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_osm(path)
    assert caught.value.line == 5
    assert "line 5" in str(caught.value)
    assert str(path) in str(caught.value)


def test_unreadable_xml_value_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.osm"
    path.write_text("<osm version='0.6'>\n <node id='x' lat='1' lon='2'/>\n</osm>\n")
    with pytest.raises(InputError, match=r"bad\.osm"):
        read_osm(path)


@pytest.mark.parametrize(
    "value", ["48,1", "", "NaN", "+48.1", "1e3", "1e309", "1e-400", "95.5", "-90.0001", " 48.1"]
)
@pytest.mark.parametrize("where", ["camera", "way node"])
def test_a_malformed_coordinate_names_the_line_node_and_value(
    tmp_path: Path, value: str, where: str
) -> None:
    # libosmium refuses some of these without saying where, and reads 1e309 and 1e-400
    # as 0: a camera would land on the equator.
    camera = "<tag k='man_made' v='surveillance'/>" if where == "camera" else ""
    path = tmp_path / "coords.osm"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"
        " <node id='1' lat='48.1' lon='11.5'/>\n"
        f" <node id='2' lon='11.6'\n       lat='{value}'>{camera}</node>\n"
        " <way id='3'><nd ref='1'/><nd ref='2'/><tag k='highway' v='footway'/></way>\n"
        "</osm>\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_osm(path)
    assert caught.value.line == 5 and caught.value.element == "node/2"
    assert caught.value.value == value and str(path) in str(caught.value)
    assert "lat of a node" in str(caught.value)


def test_plain_coordinates_at_the_limits_are_read(tmp_path: Path) -> None:
    path = tmp_path / "limits.osm"
    path.write_text(
        "<?xml version='1.0'?>\n<osm version='0.6'>\n"
        " <node id='1' lat='-90.0' lon='180'><tag k='man_made' v='surveillance'/></node>\n"
        " <node id='2' lat='90' lon='-180.0000000'><tag k='man_made' v='surveillance'/></node>\n"
        " <bounds minlat='-90' maxlat='90' minlon='-180' maxlon='180'/>\n"
        "</osm>\n",
        encoding="utf-8",
    )
    data = read_osm(path)
    assert sorted((c.lat, c.lon) for c in data.cameras) == [(-90.0, 180.0), (90.0, -180.0)]
    # What libosmium itself refuses (here in the bounds) is an error naming the file too.
    path.write_text(path.read_text().replace("maxlat='90'", "maxlat='1e5'"))
    with pytest.raises(InputError, match=r"limits\.osm: .*1e5"):
        read_osm(path)


def test_empty_file_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.osm.pbf"
    path.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        read_osm(path)


def test_file_of_another_format_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "cams.osm.pbf"
    path.write_text("id,lat,lon\n1,48.1,2.3\n")
    with pytest.raises(FormatError, match="csv"):
        read_osm(path)


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        read_osm(tmp_path / "nowhere.osm.pbf")


# --- real extracts (../shared/data, see its SOURCES.md) -------------------------------------


def _way_count(items: Sequence[_Record]) -> int:
    return sum(item.id.startswith("osm:way/") for item in items)


def _headings(data: SourceData) -> set[float]:
    return {d.start for c in data.cameras for d in c.directions}


def _check_geometries(data: SourceData) -> None:
    assert all(s.geometry.geom_type == "LineString" for s in data.streets)
    assert all(len(s.nodes) == len(s.geometry.coords) for s in data.streets)
    geometries = [b.geometry for b in data.buildings]
    assert all(g.geom_type in ("Polygon", "MultiPolygon") for g in geometries)
    assert all(g.is_valid and not g.is_empty for g in geometries)


@pytest.mark.realdata
def test_monaco(shared_data: Path) -> None:
    data = read_osm(shared_data / "monaco.osm.pbf")
    assert len(data.cameras) == 14
    assert all(c.source_id.startswith("node/") for c in data.cameras)
    assert collections.Counter(c.camera_type for c in data.cameras) == {
        "dome": 8,
        "fixed": 3,
        "panning": 3,
    }
    assert _headings(data) == {240.0, 160.0, 0.0}  # from the old `direction` key
    assert len(data.streets) == 2852
    assert _way_count(data.buildings) == 1256
    assert len(data.buildings) - 1256 == 29  # building multipolygons (measured)
    assert data.rejected == []
    _check_geometries(data)


@pytest.mark.realdata
def test_porto(shared_data: Path) -> None:
    data = read_osm(shared_data / "porto.osm.pbf")
    assert len(data.cameras) == 17
    assert _headings(data) == {90.0, 0.0, 270.0}  # E, N, W
    assert len(data.streets) == 4656
    assert _way_count(data.buildings) == 11353
    assert len(data.buildings) - 11353 == 51  # building multipolygons (measured)
    _check_geometries(data)


@pytest.mark.realdata
def test_london(shared_data: Path) -> None:
    data = read_osm(shared_data / "london.osm.pbf")
    assert len(data.cameras) == 23
    assert sum(c.source_id.startswith("node/") for c in data.cameras) == 22
    assert sum(c.source_id.startswith("way/") for c in data.cameras) == 1
    assert len(data.streets) == 3141
    # 2,120 ways carry a building key, 3 of them building=no: not footprints
    assert _way_count(data.buildings) == 2117
    _check_geometries(data)


@pytest.mark.realdata
def test_dc_whitehouse_josm_save(shared_data: Path) -> None:
    data = read_osm(shared_data / "dc_whitehouse.osm")
    assert data.format == "osm-xml"
    assert len(data.cameras) == 13
    assert collections.Counter(c.kind for c in data.cameras) == {"camera": 12, "guard": 1}
    sweeps = [d for c in data.cameras for d in c.directions if d.is_sweep]
    assert {d.start for d in sweeps} == {180.0, 0.0}
    assert all(d.sweep_deg == 180.0 for d in sweeps)
    assert all(c.source_timestamp for c in data.cameras)
    _check_geometries(data)


@pytest.mark.realdata
def test_monaco_areas(shared_data: Path) -> None:
    data = read_osm(shared_data / "monaco.osm.pbf", layers=("areas",))
    # the six quarters are whole in the extract; Monaco itself and the French
    # communes and regions around it are cut by its edge, so refused (measured)
    assert sorted(a.name or "" for a in data.areas) == [
        "Fontvieille",
        "La Condamine",
        "La Rousse",
        "Larvotto",
        "Monaco-Ville",
        "Monte-Carlo",
    ]
    assert {a.admin_level for a in data.areas} == {10}
    assert all(a.geometry.is_valid and a.geometry.area > 0 for a in data.areas)
    assert "Monaco" in {r.value for r in data.rejected}


@pytest.mark.realdata
def test_real_pbf_cameras_only_matches_all_layers(shared_data: Path) -> None:
    path = shared_data / "london.osm.pbf"
    everything = read_osm(path).cameras
    # SOURCES.md: 22 surveillance nodes and one more mapped as a way.
    assert len(everything) == 23
    assert sum(c.id.startswith("osm:way/") for c in everything) == 1
    assert read_osm(path, layers=("cameras",)).cameras == everything


@pytest.mark.parametrize("refs", [(1, 1), (1, 1, 1), (1, 2)])
def test_a_way_repeating_one_place_is_no_street(tmp_path: Path, refs: tuple[int, ...]) -> None:
    # Node 2 stands where node 1 does: the way is of one place, of no length.
    path = tmp_path / "flat.osm"
    nds = "".join(f"<nd ref='{r}'/>" for r in refs)
    path.write_text(
        "<?xml version='1.0'?>\n<osm version='0.6'>\n"
        " <node id='1' lat='48.1' lon='11.5'/>\n <node id='2' lat='48.1' lon='11.5'/>\n"
        " <node id='3' lat='48.1' lon='11.6'/>\n"
        f" <way id='7'>{nds}<tag k='highway' v='footway'/></way>\n"
        " <way id='8'><nd ref='1'/><nd ref='3'/><tag k='highway' v='footway'/></way>\n"
        "</osm>\n",
        encoding="utf-8",
    )
    data = read_osm(path, layers=("streets",))
    assert [s.id for s in data.streets] == ["osm:way/8"]
    (rejected,) = [r for r in data.rejected if r.where == "way/7"]
    assert "at one place" in rejected.reason


@pytest.mark.parametrize("writer", [write_xml, write_pbf], ids=["xml", "pbf"])
def test_a_camera_at_zero_zero_is_refused_as_a_placeholder(tmp_path: Path, writer: Any) -> None:
    # A PBF whose coordinates overflow or scale to nothing puts every node at (0, 0): a
    # camera there is a broken coordinate, refused as the registry readers refuse it.
    data = OsmData()
    cam = {"man_made": "surveillance"}
    data.node(1, 0.0, 0.0, cam)
    data.node(2, 0.0001, 0.0, cam)  # a real place on the equator is kept
    data.node(3, 0.0, 0.0)
    data.node(4, 0.0, 0.0)
    data.way(5, [3, 4], cam)  # a camera mapped as a way at (0, 0)
    path = writer(tmp_path / ("nulls.osm" if writer is write_xml else "nulls.osm.pbf"), data)
    found = read_osm(path, layers=("cameras",))
    assert [c.source_id for c in found.cameras] == ["node/2"]
    refused = {r.where: r.reason for r in found.rejected}
    assert set(refused) == {"node/1", "way/5"}
    assert all("null island" in reason for reason in refused.values())


def test_an_area_reaching_no_ring_into_the_box_is_not_decided_by_its_neighbours(
    tmp_path: Path,
) -> None:
    # Nested areas tagged with one level (as London and the City of London): "Whole" lies
    # in "Around", which has no ring in the box and no marker: it is refused, not thrown
    # out as lying outside the data because it would overlap "Whole".
    d = OsmData(bounds=(0.0, 0.0, 0.02, 0.02))
    d.way(10, d.square(100, 0.002, 0.002, 0.01))  # a quarter of the box
    _boundary(d, 1, "6", "Whole", [("w", 10, "outer")])
    d.node(600, 0.03, 0.03)
    d.node(601, 0.04, 0.03)
    d.way(60, [600, 601])
    _boundary(d, 2, "6", "Around", [("w", 60, "outer"), ("w", 61, "outer")])
    data = read_osm(write_pbf(tmp_path / "nested.osm.pbf", d), layers=("areas",))
    assert [a.name for a in data.areas] == ["Whole"]
    (rejected,) = data.rejected
    assert "none of its rings reach into the data's bounds" in rejected.reason
