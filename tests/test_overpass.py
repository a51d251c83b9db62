"""Tests of camatlas.sources.overpass: Overpass JSON, queries, and fetching from a local server."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, Polygon

import camatlas
from camatlas.errors import FetchError, FormatError, InputError
from camatlas.sources.overpass import (
    DEFAULT_ENDPOINT,
    ENDPOINT_VARIABLE,
    build_query,
    default_endpoint,
    fetch,
    read_overpass,
)
from tests.cli import run_camatlas


def ll(lon: float, lat: float) -> dict[str, float]:
    return {"lat": lat, "lon": lon}


def ring(west: float, south: float, east: float, north: float) -> list[dict[str, float]]:
    return [ll(west, south), ll(east, south), ll(east, north), ll(west, north), ll(west, south)]


ELEMENTS: list[dict[str, Any]] = [
    {
        "type": "node",
        "id": 1,
        "lat": 43.7301,
        "lon": 7.4201,
        "timestamp": "2023-05-01T10:00:00Z",
        "tags": {
            "man_made": "surveillance",
            "surveillance:type": "camera",
            "camera:direction": "90",
        },
    },
    {"type": "node", "id": 2, "lat": 43.7302, "lon": 7.4202},
    {
        "type": "way",
        "id": 10,
        "center": ll(7.425, 43.735),
        "nodes": [5, 6, 7, 5],
        "tags": {"man_made": "surveillance", "surveillance:type": "ALPR"},
    },
    {
        "type": "way",
        "id": 11,
        "geometry": ring(7.43, 43.74, 7.432, 43.742),
        "tags": {"man_made": "surveillance", "surveillance:type": "camera"},
    },
    {
        "type": "relation",
        "id": 12,
        "bounds": {"minlat": 43.70, "minlon": 7.40, "maxlat": 43.72, "maxlon": 7.44},
        "members": [],
        "tags": {"man_made": "surveillance", "surveillance:type": "guard"},
    },
    {"type": "way", "id": 13, "tags": {"man_made": "surveillance"}},
    {
        "type": "relation",
        "id": 14,
        "members": [
            {"type": "node", "ref": 8, "role": "", "lat": 43.70, "lon": 7.40},
            {
                "type": "way",
                "ref": 9,
                "role": "",
                "geometry": [ll(7.45, 43.75), ll(7.47, 43.75)],
            },
        ],
        "tags": {"man_made": "surveillance", "surveillance:type": "camera"},
    },
    {
        "type": "way",
        "id": 20,
        "nodes": [1, 2, 3],
        "geometry": [ll(7.420, 43.730), ll(7.421, 43.731), ll(7.422, 43.731)],
        "tags": {"highway": "residential", "name": "Rue Grimaldi", "oneway": "yes"},
    },
    {"type": "way", "id": 21, "nodes": [1, 2], "tags": {"highway": "service"}},
    {
        "type": "way",
        "id": 30,
        "nodes": [11, 12, 13, 14, 11],
        "geometry": ring(7.410, 43.720, 7.411, 43.721),
        "tags": {"building": "yes", "height": "12", "building:levels": "4"},
    },
    {
        "type": "way",
        "id": 31,
        "geometry": ring(7.412, 43.720, 7.413, 43.721),
        "tags": {"building": "apartments", "height": "40 ft", "building:levels": "3;4"},
    },
    {
        "type": "way",
        "id": 34,
        "geometry": [
            ll(7.0, 43.0),
            ll(7.002, 43.002),
            ll(7.002, 43.0),
            ll(7.0, 43.002),
            ll(7.0, 43.0),
        ],
        "tags": {"building": "yes", "height": "7.5 m"},
    },
    {
        "type": "relation",
        "id": 41,
        "members": [
            {
                "type": "way",
                "ref": 104,
                "role": "outer",
                "geometry": [ll(7.420, 43.730), ll(7.421, 43.730), ll(7.421, 43.731)],
            },
        ],
        "tags": {"type": "multipolygon", "building": "yes"},
    },
    {
        "type": "way",
        "id": 32,
        "geometry": [ll(7.414, 43.720), ll(7.415, 43.720), ll(7.415, 43.721)],
        "tags": {"building": "yes"},
    },
    {
        "type": "way",
        "id": 33,
        "geometry": ring(7.416, 43.720, 7.417, 43.721),
        "tags": {"building": "no", "amenity": "parking"},
    },
    {
        "type": "relation",
        "id": 40,
        "bounds": {"minlat": 43.730, "minlon": 7.420, "maxlat": 43.731, "maxlon": 7.421},
        "members": [
            {
                "type": "way",
                "ref": 101,
                "role": "outer",
                "geometry": [ll(7.420, 43.730), ll(7.421, 43.730), ll(7.421, 43.731)],
            },
            {
                "type": "way",
                "ref": 102,
                "role": "outer",
                "geometry": [ll(7.421, 43.731), ll(7.420, 43.731), ll(7.420, 43.730)],
            },
            {
                "type": "way",
                "ref": 103,
                "role": "inner",
                "geometry": ring(7.4204, 43.7304, 7.4206, 43.7306),
            },
            {"type": "node", "ref": 1, "role": "entrance", "lat": 43.7301, "lon": 7.4201},
            # a way of another role (not a ring): left out, as the OSM file reader does
            {
                "type": "way",
                "ref": 104,
                "role": "label",
                "geometry": [ll(7.4202, 43.7302), ll(7.4203, 43.7303)],
            },
        ],
        "tags": {"type": "multipolygon", "building": "church", "height": "30.5"},
    },
    {"type": "area", "id": 3600000001, "tags": {"name": "Monaco"}},
]

OVERPASS_RESPONSE: dict[str, Any] = {
    "version": 0.6,
    "generator": "Overpass API 0.7.62 (test)",
    "osm3s": {"timestamp_osm_base": "2024-01-01T00:00:00Z", "copyright": "ODbL 1.0"},
    # The first camera appears twice, as a union of two queries may output it.
    "elements": [*ELEMENTS, ELEMENTS[0]],
}


@pytest.fixture
def overpass_file(tmp_path: Path) -> Path:
    path = tmp_path / "monaco.json"
    path.write_text(json.dumps(OVERPASS_RESPONSE), encoding="utf-8")
    return path


# --- reading -------------------------------------------------------------------------------------


def test_cameras(overpass_file: Path) -> None:
    data = read_overpass(overpass_file)

    assert data.format == "overpass-json"
    assert data.source == "osm"
    cameras = {c.source_id: c for c in data.cameras}
    assert list(cameras) == ["node/1", "way/10", "way/11", "relation/12", "relation/14"]
    node = cameras["node/1"]
    assert node.id == "osm:node/1"
    assert (node.lon, node.lat) == (7.4201, 43.7301)
    assert node.source_timestamp == "2023-05-01T10:00:00Z"
    assert node.directions[0].start == 90.0
    assert node.tags["man_made"] == "surveillance"
    assert (cameras["way/10"].lon, cameras["way/10"].lat) == (7.425, 43.735)
    assert cameras["way/10"].kind == "alpr"
    assert cameras["way/11"].lon == pytest.approx(7.431)
    assert cameras["way/11"].lat == pytest.approx(43.741)
    assert cameras["relation/12"].lon == pytest.approx(7.42)
    assert cameras["relation/12"].lat == pytest.approx(43.71)
    assert cameras["relation/12"].kind == "guard"
    # The centroid of a mixed collection is that of its highest dimension: the way.
    assert cameras["relation/14"].lon == pytest.approx(7.46)
    assert cameras["relation/14"].lat == pytest.approx(43.75)


def test_unplaceable_elements_are_rejected(overpass_file: Path) -> None:
    data = read_overpass(overpass_file)

    rejected = {r.where: r.reason for r in data.rejected}
    assert set(rejected) == {"way/13", "way/21", "way/32", "relation/41"}
    assert "camera without usable coordinates" in rejected["way/13"]
    assert "out geom" in rejected["way/21"]
    assert "building way is not closed" in rejected["way/32"]
    assert "1 ring(s) left open" in rejected["relation/41"]


def test_streets(overpass_file: Path) -> None:
    data = read_overpass(overpass_file)

    assert [s.id for s in data.streets] == ["osm:way/20"]
    street = data.streets[0]
    assert street.highway == "residential"
    assert street.name == "Rue Grimaldi"
    assert street.oneway == "yes"
    assert street.nodes == (1, 2, 3)
    assert list(street.geometry.coords) == [(7.420, 43.730), (7.421, 43.731), (7.422, 43.731)]
    assert street.tags["highway"] == "residential"
    assert street.source == "osm"


def test_buildings(overpass_file: Path) -> None:
    data = read_overpass(overpass_file)

    buildings = {b.id: b for b in data.buildings}
    assert list(buildings) == ["osm:way/30", "osm:way/31", "osm:way/34", "osm:relation/40"]
    house = buildings["osm:way/30"]
    assert isinstance(house.geometry, Polygon)
    assert house.geometry.area == pytest.approx(1e-6)
    assert (house.building, house.height_m, house.levels) == ("yes", 12.0, 4.0)
    flats = buildings["osm:way/31"]
    assert (flats.building, flats.levels) == ("apartments", None)  # "3;4" is no count
    assert flats.height_m == pytest.approx(40 * 0.3048)  # feet, as for a camera's height
    assert flats.tags["height"] == "40 ft"
    bowtie = buildings["osm:way/34"]
    assert bowtie.geometry.is_valid
    assert bowtie.geometry.area == pytest.approx(2e-6)
    assert bowtie.height_m == 7.5


def test_multipolygon_building_with_a_hole(overpass_file: Path) -> None:
    church = {b.id: b for b in read_overpass(overpass_file).buildings}["osm:relation/40"]

    assert isinstance(church.geometry, MultiPolygon)
    assert church.geometry.is_valid
    (polygon,) = church.geometry.geoms
    assert len(polygon.interiors) == 1
    assert polygon.area == pytest.approx(1e-6 - 4e-8)
    assert church.building == "church"
    assert church.height_m == 30.5


def test_runtime_error_remark(tmp_path: Path) -> None:
    response = dict(OVERPASS_RESPONSE)
    response["remark"] = 'runtime error: Query timed out in "query" at line 3 after 181 seconds.'
    path = tmp_path / "timeout.json"
    path.write_text(json.dumps(response), encoding="utf-8")

    with pytest.raises(InputError, match='Query timed out in "query" at line 3') as info:
        read_overpass(path)
    assert "timeout.json" in str(info.value)


def test_not_overpass_json(tmp_path: Path) -> None:
    path = tmp_path / "cams.csv"
    path.write_text("lat,lon\n1,2\n", encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text('{"generator": "Overpass", "elements": [\n{"type": "node",,}]}')

    with pytest.raises(FormatError, match="not Overpass"):
        read_overpass(path)
    with pytest.raises(InputError, match="not valid JSON") as info:
        read_overpass(broken)
    assert info.value.line == 2


# --- queries -------------------------------------------------------------------------------------


def test_bbox_query() -> None:
    query = build_query(bbox=(7.40, 43.72, 7.44, 43.75))

    assert query.startswith("[out:json][timeout:180];\n")
    assert '  nwr["man_made"="surveillance"](43.72,7.4,43.75,7.44);' in query
    assert '  way["highway"](43.72,7.4,43.75,7.44);' in query
    assert 'way["building"]["building"!="no"](43.72,7.4,43.75,7.44);' in query
    assert 'relation["type"="multipolygon"]["building"]' in query
    assert query.rstrip().endswith("out geom;")


def test_cameras_only_query_asks_for_centres() -> None:
    query = build_query(bbox=(-0.1, 51.5, 0.0, 51.52), layers=("cameras",), timeout_s=60)

    assert query.startswith("[out:json][timeout:60];")
    assert "highway" not in query
    assert "building" not in query
    assert "(51.5,-0.1,51.52,0)" in query
    assert query.rstrip().endswith("out center;")


def unescape_ql(literal: str) -> str:
    escapes = {"n": "\n", "t": "\t", "r": "\r"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), literal)


@pytest.mark.parametrize(
    "name", ["Monaco", 'Saint "Quote" Town', "Back\\slash\\", 'x"];out;//', "Two\nlines"]
)
def test_area_query_escapes_the_name(name: str) -> None:
    query = build_query(area=name, layers=("cameras", "streets"))

    match = re.search(r'area\["name"="((?:[^"\\]|\\.)*)"\]->\.searchArea;\n', query)
    assert match is not None
    assert unescape_ql(match.group(1)) == name
    assert '["man_made"="surveillance"](area.searchArea);' in query
    assert "building" not in query


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "either a bbox or an area"),
        ({"bbox": (1, 2, 3, 4), "area": "X"}, "either a bbox or an area"),
        ({"bbox": (7.44, 43.72, 7.40, 43.75)}, "west must be less than east"),
        ({"bbox": (7.40, 43.75, 7.44, 43.72)}, "south must be less than north"),
        ({"bbox": (37.7, -122.5, 37.8, -122.3)}, "the order is west, south, east, north"),
        ({"bbox": (7.40, 43.72, 7.44, 93.0)}, "latitudes in -90..90"),
        ({"bbox": (-190.0, 43.72, 7.44, 43.75)}, "longitudes in -180..180"),
        ({"bbox": (7.40, float("nan"), 7.44, 43.75)}, "finite"),
        ({"bbox": (7.40, 43.72, 7.44)}, "four numbers"),
        ({"area": "  "}, "area name is empty"),
        ({"area": "X", "layers": ("cameras", "trees")}, "unknown layer.*'trees'"),
        ({"area": "X", "timeout_s": 0}, "positive whole number"),
    ],
)
def test_bad_query_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        build_query(**kwargs)


# --- fetching ------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.received.append((self.path, dict(self.headers), body))
        if self.path == "/api/interpreter":
            self._answer(200, json.dumps(OVERPASS_RESPONSE).encode(), "application/json")
        elif self.path == "/busy":
            self._answer(429, b"<html><body>Too many requests</body></html>", "text/html")
        elif self.path == "/timeout":
            self._answer(504, b"<html><body>Gateway Timeout</body></html>", "text/html")
        elif self.path == "/syntax":
            page = (
                b"<html><body><p><strong>Error</strong>: line 2: parse error: "
                b"Unknown type &quot;nwx&quot; </p></body></html>"
            )
            self._answer(400, page, "text/html")
        elif self.path == "/remark":
            answer = dict(OVERPASS_RESPONSE, elements=[], remark="runtime error: out of memory")
            self._answer(200, json.dumps(answer).encode(), "application/json")
        elif self.path == "/slow":
            time.sleep(2.0)
            self._answer(200, b"{}", "application/json")
        else:
            self._answer(404, b"not found", "text/plain")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    received: list[tuple[str, dict[str, str], bytes]]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    """A real HTTP server on 127.0.0.1 playing an Overpass API; no request leaves the machine."""
    for variable in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv(ENDPOINT_VARIABLE, raising=False)
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.received = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def url(server: _Server, path: str) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}{path}"


def test_fetch_posts_the_query(server: _Server, tmp_path: Path) -> None:
    query = build_query(area='Monaco "&" co', layers=("cameras",))

    answer = fetch(query, endpoint=url(server, "/api/interpreter"), timeout_s=10)

    assert json.loads(answer) == OVERPASS_RESPONSE
    ((path, headers, body),) = server.received
    assert path == "/api/interpreter"
    assert urllib.parse.parse_qs(body.decode()) == {"data": [query]}
    assert headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert headers["User-Agent"].startswith("camatlas/")
    saved = tmp_path / "answer.json"
    saved.write_bytes(answer)
    assert len(read_overpass(saved).cameras) == 5


def test_fetch_uses_the_endpoint_from_the_environment(
    server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_endpoint() == DEFAULT_ENDPOINT
    monkeypatch.setenv(ENDPOINT_VARIABLE, url(server, "/api/interpreter"))

    assert default_endpoint() == url(server, "/api/interpreter")
    fetch("[out:json];node(1);out;", timeout_s=10)
    assert len(server.received) == 1


@pytest.mark.parametrize(
    ("path", "status", "hint"),
    [
        ("/busy", "429", "try again"),
        ("/timeout", "504", "smaller bbox"),
        ("/syntax", "400", 'Error: line 2: parse error: Unknown type "nwx"'),
    ],
)
def test_fetch_http_errors(server: _Server, path: str, status: str, hint: str) -> None:
    endpoint = url(server, path)

    with pytest.raises(FetchError) as info:
        fetch("[out:json];out;", endpoint=endpoint, timeout_s=10)

    message = str(info.value)
    assert f"HTTP {status}" in message
    assert hint in message
    assert endpoint in message


def test_fetch_runtime_error_remark(server: _Server) -> None:
    with pytest.raises(FetchError, match="runtime error: out of memory"):
        fetch("[out:json];out;", endpoint=url(server, "/remark"), timeout_s=10)


def test_fetch_timeout(server: _Server) -> None:
    with pytest.raises(FetchError, match=r"did not answer within 0\.3 s"):
        fetch("[out:json];out;", endpoint=url(server, "/slow"), timeout_s=0.3)


def test_fetch_connection_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("http_proxy", "HTTP_PROXY", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}/api/interpreter"

    with pytest.raises(FetchError, match="cannot reach") as info:
        fetch("[out:json];out;", endpoint=endpoint, timeout_s=5)
    assert endpoint in str(info.value)


def test_fetch_refuses_other_schemes(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="http"):
        fetch("[out:json];out;", endpoint=(tmp_path / "x").as_uri())


def test_cli_fetch_imports_the_answer_and_keeps_it(server: _Server, tmp_path: Path) -> None:
    atlas = tmp_path / "monaco.gpkg"
    saved = tmp_path / "answer.json"
    run_camatlas(
        "fetch", "--bbox", "7.40,43.72,7.44,43.75", "--atlas", atlas,
        "--endpoint", url(server, "/api/interpreter"), "--save", saved,
    )  # fmt: skip
    query = urllib.parse.parse_qs(server.received[0][2].decode())["data"][0]
    assert "(43.72,7.4,43.75,7.44)" in query.replace(" ", "")
    assert json.loads(saved.read_text()) == OVERPASS_RESPONSE
    with camatlas.open_atlas(atlas, create=False) as opened:
        cams = opened.cameras()
        assert "osm:node/1" in set(cams["id"])
        assert opened.sources()["path"].tolist() == [str(saved)]
    # A server that is busy: a clear error and a non-zero exit, nothing imported.
    busy = run_camatlas(
        "fetch", "--bbox", "7.40,43.72,7.44,43.75", "--atlas", tmp_path / "other.gpkg",
        "--endpoint", url(server, "/busy"), check=False,
    )  # fmt: skip
    assert busy.returncode != 0 and "429" in busy.stderr
    # the query fails before any atlas is opened: none is left behind
    assert not (tmp_path / "other.gpkg").exists()
    # An answer that cannot be saved: a clear error naming the path, no atlas either.
    unsaved = tmp_path / "no-such-folder" / "answer.json"
    proc = run_camatlas(
        "fetch", "--bbox", "7.40,43.72,7.44,43.75", "--atlas", tmp_path / "third.gpkg",
        "--endpoint", url(server, "/api/interpreter"), "--save", unsaved, check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and "cannot save the response" in proc.stderr
    assert (
        str(unsaved) in " ".join(proc.stderr.split()).replace(" ", "")
        or "answer.json" in proc.stderr
    )
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "third.gpkg").exists()


def test_admin_boundaries_become_areas_with_population(tmp_path: Path) -> None:
    boundary = {
        "type": "relation",
        "id": 77,
        "tags": {
            "type": "boundary",
            "boundary": "administrative",
            "admin_level": "10",
            "name": "Monaco-Ville",
            "population": "975",
        },
        "members": [
            {"type": "way", "ref": 1, "role": "outer", "geometry": ring(7.42, 43.73, 7.43, 43.74)},
            {"type": "node", "ref": 9, "role": "admin_centre", "lat": 43.735, "lon": 7.425},
        ],
    }
    path = tmp_path / "areas.json"
    path.write_text(json.dumps(dict(OVERPASS_RESPONSE, elements=[boundary])), encoding="utf-8")
    data = read_overpass(path)
    assert [(a.id, a.name, a.admin_level, a.population) for a in data.areas] == [
        ("osm:relation/77", "Monaco-Ville", 10, 975.0)
    ]
    assert data.areas[0].geometry.bounds == pytest.approx((7.42, 43.73, 7.43, 43.74))
    assert 'relation["boundary"="administrative"]' in build_query(
        bbox=(7.4, 43.7, 7.5, 43.8), layers=("areas",)
    )


def test_a_way_of_one_place_is_no_street(tmp_path: Path) -> None:
    path = tmp_path / "answer.json"
    way = {"type": "way", "id": 7, "tags": {"highway": "footway"}, "nodes": [1, 1],
           "geometry": [{"lat": 48.1, "lon": 11.5}, {"lat": 48.1, "lon": 11.5}]}  # fmt: skip
    path.write_text(json.dumps({"version": 0.6, "elements": [way]}), encoding="utf-8")
    data = read_overpass(path)
    assert data.streets == []
    assert [r.where for r in data.rejected] == ["way/7"]
    assert "at one place" in data.rejected[0].reason


def test_a_member_role_that_is_not_text_is_passed_over(tmp_path: Path) -> None:
    # Found by fuzzing: a role that is a list or an object once raised TypeError.
    ring_way = {
        "type": "way",
        "ref": 1,
        "role": ["outer"],
        "geometry": ring(7.43, 43.74, 7.44, 43.75),
    }
    outer = {"type": "way", "ref": 2, "role": "outer", "geometry": ring(7.43, 43.74, 7.44, 43.75)}
    element = {"type": "relation", "id": 5, "members": [ring_way, {**ring_way, "role": {}}, outer],
               "tags": {"type": "multipolygon", "building": "yes"}}  # fmt: skip
    path = tmp_path / "roles.json"
    path.write_text(json.dumps({**OVERPASS_RESPONSE, "elements": [element]}))
    (building,) = read_overpass(path).buildings
    assert building.geometry.area == pytest.approx(0.01 * 0.01)
