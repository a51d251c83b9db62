"""Property-based fuzzing of every reader, the coordinate parsers, the tag parsers and the
track reader: whatever the bytes, a reader returns records or refuses with a
:class:`~camatlas.errors.CamatlasError` naming the file, never another exception.

Inputs are valid files of each format, cut, byte-flipped, with bytes inserted or deleted
and with their numbers replaced by hostile ones (``NaN``, ``1e309``, ``48,1``, 400 digits),
and plain random bytes. A bounded number of examples runs with the suite (the same ones
each time); ``make fuzz`` runs the same properties with ``CAMATLAS_FUZZ_EXAMPLES`` examples
each and random seeds, and writes the counts to ``CAMATLAS_FUZZ_REPORT``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camatlas.coords import (
    BBOX_PATTERN,
    LAT_LON_PATTERN,
    check_bbox,
    check_lat_lon,
    parse_bbox,
    parse_lat_lon,
)
from camatlas.errors import CamatlasError, InputError
from camatlas.sources import read_file
from camatlas.sources.osm import read_osm
from camatlas.sources.overpass import read_overpass
from camatlas.sources.polygons import read_polygons, read_population
from camatlas.sources.table import TableOptions, read_table
from camatlas.sources.tracks import parse_track
from camatlas.tags import camera_from_tags
from tests.osmfiles import osm_xml, small_city_osm, write_pbf
from tests.test_overpass import OVERPASS_RESPONSE

EXAMPLES = int(os.environ.get("CAMATLAS_FUZZ_EXAMPLES", "0"))
"""Examples per property; 0 runs the bounded, derandomized suite."""


def fuzz_settings(share: float = 1.0) -> settings:
    """Hypothesis settings of a property that runs ``share`` of the examples."""
    return settings(
        max_examples=max(int((EXAMPLES or 150) * share), 1),
        derandomize=not EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


FUZZ = fuzz_settings()

OUTCOMES: dict[str, Counter[str]] = {}
"""Per property: inputs tried, read, refused (a CamatlasError)."""


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    target = os.environ.get("CAMATLAS_FUZZ_REPORT")
    if target:
        path = Path(target)
        known = json.loads(path.read_text()) if path.exists() else {}
        for name, counts in OUTCOMES.items():
            merged = Counter(known.get(name, {}))
            merged.update(counts)
            known[name] = dict(merged)
        path.write_text(json.dumps(known, indent=2, sort_keys=True))


def outcome(name: str, what: str) -> None:
    OUTCOMES.setdefault(name, Counter())[what] += 1


# --- inputs -----------------------------------------------------------------------------

HOSTILE_NUMBERS = [
    b"NaN", b"nan", b"inf", b"-Infinity", b"1e309", b"-1e309", b"1e-400", b"", b" ", b"+48.1",
    b"48,1", b"1e3", b"0x1F", b"1_000", b"-0", b"9" * 400, b"-" + b"9" * 40, b"\xd9\xa3",
    b"true", b"null", b'"1"', b"[]", b"{}", b"1.", b".5", b"--1", b"1e", b"\x00",
]  # fmt: skip
HOSTILE_BYTES = [
    b"\x00", b"\xff", b"\xc3", b'"', b"'", b"<", b">", b"&", b"&amp;", b"]]>", b"<!ENTITY x 'y'>",
    b"\\ud800", b"\\", b"{", b"}", b"[", b"]", b",", b";", b"\n", b"\r", b"\t", b"\x1b[2J",
    b"[" * 2000, b"{\"a\":" * 1500, b"\xef\xbb\xbf",
]  # fmt: skip
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?")


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed file with a few mutations: cuts, flips, insertions, deletions, hostile values."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "token", "number"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            data[min(at, len(data) - 1)] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 32))]
        elif kind == "cut":
            del data[at:]
        elif kind == "token":
            data[at:at] = draw(st.sampled_from(HOSTILE_BYTES))
        else:
            numbers = list(_NUMBER.finditer(bytes(data)))
            if numbers:
                found = numbers[draw(st.integers(0, len(numbers) - 1))]
                data[found.start() : found.end()] = draw(st.sampled_from(HOSTILE_NUMBERS))
    return bytes(data)


def files(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(mutated(seeds), st.binary(max_size=512))


def _pbf_seed() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write_pbf(Path(folder) / "city.osm.pbf", small_city_osm()).read_bytes()


OSM_XML = [osm_xml(small_city_osm()).encode()]
OSM_PBF = [_pbf_seed()]
OVERPASS = [json.dumps(OVERPASS_RESPONSE).encode()]
CSV = [
    b"id,name,lat,lon,direction,operator\n1,Cam 1,53.46,-2.28,90,City\n"
    b'2,"Cam, 2",53.47,-2.29,N,\n',
    b"ref;latitude;longitude\r\nA;41,15;-8,61\r\nB;41.16;-8.62\r\n",
    b"easting,northing\n530000,180000\n",
]  # fmt: skip
TABLE_JSON = [
    json.dumps([{"id": 1, "lat": 40.7, "lon": -74.0, "name": "x"}]).encode(),
    json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, "features": [
        {"type": "Feature", "properties": {"id": "a"}, "geometry": {
            "type": "Point", "coordinates": [-8.6, 41.1]}},
        {"type": "Feature", "properties": {"id": "b"}, "geometry": {
            "type": "Polygon", "coordinates": [[[0, 1], [1, 1], [1, 2], [0, 1]]]}},
        {"type": "Feature", "properties": {}, "geometry": {
            "type": "GeometryCollection",
            "geometries": [{"type": "Point", "coordinates": [1, 2]}]}},
    ]}).encode(),
]  # fmt: skip
TRACKS = [
    b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
    b'<trk><trkseg><trkpt lat="41.15" lon="-8.61"/><trkpt lat="41.16" lon="-8.60"/></trkseg>'
    b'</trk><rte><rtept lat="41.1" lon="-8.6"/><rtept lat="41.2" lon="-8.7"/></rte></gpx>',
    json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {
        "type": "MultiLineString", "coordinates": [[[-8.6, 41.1, 3], [-8.7, 41.2]]]}}]}).encode(),
]  # fmt: skip
POLYGONS = [
    json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "name": "Centro", "population": 1200, "code": "C1"}, "geometry": {"type": "Polygon",
        "coordinates": [[[-8.62, 41.14], [-8.60, 41.14], [-8.60, 41.16], [-8.62, 41.14]]]}}]}
    ).encode(),
]  # fmt: skip
POPULATION = [b"code,population\nC1,1200\nC2,3400\n"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check_file(
    name: str, reader: Callable[[Path], Any], path: Path, data: bytes, *, names_file: bool = True
) -> None:
    """Write ``data`` to ``path`` and read it: records, or a CamatlasError naming the file."""
    path.write_bytes(data)
    outcome(name, "tried")
    try:
        reader(path)
    except CamatlasError as exc:
        outcome(name, "refused")
        if names_file:
            assert str(path) in str(exc), f"{type(exc).__name__} without the file: {exc}"
    else:
        outcome(name, "read")


# --- the readers ------------------------------------------------------------------------


@FUZZ
@given(data=files(OSM_XML))
def test_osm_xml_reader(folder: Path, data: bytes) -> None:
    check_file("osm-xml", lambda p: read_osm_all(p, "osm-xml"), folder / "city.osm", data)


@FUZZ
@given(data=files(OSM_PBF))
def test_osm_pbf_reader(folder: Path, data: bytes) -> None:
    check_file("osm-pbf", lambda p: read_osm_all(p, "osm-pbf"), folder / "city.osm.pbf", data)


def read_osm_all(path: Path, fmt: str) -> None:
    # No file may stay open after a read, refused or not (libosmium keeps the file of a
    # cut PBF open after its error, so a cut file must never reach it).
    before = open_files()
    try:
        read_osm(path, layers=("cameras", "streets", "buildings", "areas"), format=fmt)
    finally:
        assert open_files() == before, "a file stayed open"


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


REAL_FILES = ("dc_whitehouse.osm", "monaco.osm.pbf", "trafford_cctv.csv",
              "nyc_dot_traffic_cams_scanmap.json")  # fmt: skip
"""The shared real files of each format small enough to rewrite for every example."""


@pytest.fixture(scope="module")
def real_seeds(shared_data: Path) -> list[bytes]:
    return [(shared_data / name).read_bytes() for name in REAL_FILES]


@pytest.mark.realdata
@fuzz_settings(0.2)
@given(data=st.data())
def test_real_files_cut_and_flipped(folder: Path, real_seeds: list[bytes], data: Any) -> None:
    # Real files of each format, cut and flipped as a download or a disk damages them.
    content = data.draw(mutated(real_seeds))
    check_file("real files", lambda p: read_file(p, layers=("cameras",)), folder / "real", content)


@FUZZ
@given(data=files(OVERPASS))
def test_overpass_reader(folder: Path, data: bytes) -> None:
    check_file("overpass", read_overpass, folder / "answer.json", data)


@FUZZ
@given(data=files(CSV), skip=st.booleans())
def test_csv_reader(folder: Path, data: bytes, skip: bool) -> None:
    options = TableOptions(skip_bad_rows=skip, crs="EPSG:27700" if b"easting" in data else None)
    check_file("csv", lambda p: read_table(p, options), folder / "cams.csv", data)


@FUZZ
@given(data=files(TABLE_JSON), skip=st.booleans())
def test_json_and_geojson_reader(folder: Path, data: bytes, skip: bool) -> None:
    options = TableOptions(skip_bad_rows=skip)
    check_file("json-geojson", lambda p: read_table(p, options), folder / "cams.json", data)


@FUZZ
@given(data=files([*CSV, *TABLE_JSON, *OVERPASS, *OSM_XML, *OSM_PBF]))
def test_any_file_through_format_detection(folder: Path, data: bytes) -> None:
    check_file("read_file", read_file, folder / "input.data", data)


@pytest.mark.filterwarnings("ignore:More than one layer found")  # GDAL seeing OSM XML
@FUZZ
@given(data=files(POLYGONS), population=files(POPULATION))
def test_polygon_and_population_readers(folder: Path, data: bytes, population: bytes) -> None:
    (folder / "population.csv").write_bytes(population)

    def read(path: Path) -> None:
        read_polygons(path, population=folder / "population.csv", population_key="code")

    check_file("polygons", read, folder / "areas.geojson", data, names_file=False)
    check_file("population", lambda p: read_population(p, "code"), folder / "pop.csv", population)


@FUZZ
@given(data=files(TRACKS), strict=st.booleans())
def test_track_reader(data: bytes, strict: bool) -> None:
    outcome("tracks", "tried")
    try:
        lines = parse_track(data, name="the track", strict=strict)
    except InputError as exc:
        outcome("tracks", "refused")
        assert "the track" in str(exc)
    else:
        outcome("tracks", "read")
        assert lines.geoms and all(len(line.coords) >= 2 for line in lines.geoms)


# --- the coordinate and tag parsers -------------------------------------------------------

_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.text(max_size=12),
    st.booleans(),
    st.none(),
    st.sampled_from([v.decode("utf-8", "replace") for v in HOSTILE_NUMBERS]),
)
_coordinate_text = st.one_of(
    st.text(max_size=40),
    st.from_regex(LAT_LON_PATTERN),
    st.from_regex(BBOX_PATTERN),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=5).map(
        lambda xs: ",".join(map(str, xs))
    ),
)


@FUZZ
@given(text=_coordinate_text)
def test_coordinate_text_parsers(text: str) -> None:
    # The patterns are the API's schema: what they allow, the parsers accept.
    for name, parse, pattern in (
        ("parse_lat_lon", lambda t: parse_lat_lon(t, "p"), LAT_LON_PATTERN),
        ("parse_bbox", parse_bbox, BBOX_PATTERN),
    ):
        outcome(name, "tried")
        try:
            value = parse(text)
        except InputError:
            outcome(name, "refused")
            ordered = True
            if name == "parse_bbox" and re.match(pattern, text):
                w, s, e, n = (float(v) for v in text.split(","))
                ordered = w < e and s < n
            assert not (re.match(pattern, text) and ordered), f"{name} refused {text!r}"
        else:
            outcome(name, "read")
            assert all(-180 <= v <= 180 for v in value)


@FUZZ
@given(
    values=st.one_of(
        st.lists(_values, min_size=0, max_size=5),
        st.lists(st.floats(-200, 200), min_size=4, max_size=4),  # boxes, some in range
    )
)
def test_coordinate_value_checks(values: list[Any]) -> None:
    for name, check in (
        ("check_lat_lon", lambda v: check_lat_lon(*[*v, 0, 0][:2], "p")),
        ("check_bbox", check_bbox),
    ):
        outcome(name, "tried")
        try:
            checked = check(values)
        except InputError:
            outcome(name, "refused")
        else:
            outcome(name, "read")
            assert all(isinstance(v, float) and abs(v) <= 180 for v in checked)


_KEYS = [
    "man_made", "surveillance", "surveillance:type", "surveillance:zone", "camera:type",
    "camera:direction", "direction", "camera:angle", "camera:mount", "height", "operator",
    "manufacturer", "brand", "name", "start_date", "check_date", "level", "indoor",
    "camera:range", "surveillance:range", "camera:fov",
]  # fmt: skip


@FUZZ
@given(
    tags=st.dictionaries(
        st.one_of(st.sampled_from(_KEYS), st.text(max_size=10)),
        st.one_of(st.text(max_size=20), st.sampled_from(
            [v.decode("utf-8", "replace") for v in HOSTILE_NUMBERS + HOSTILE_BYTES])),
        max_size=8,
    )
)  # fmt: skip
def test_camera_tags(tags: dict[str, str]) -> None:
    outcome("camera_from_tags", "tried")
    camera, problems = camera_from_tags(source="osm", source_id="node/1", lon=1.0, lat=2.0,
                                        tags=tags)  # fmt: skip
    outcome("camera_from_tags", "read")
    assert camera.lon == 1.0 and all(p.key for p in problems)
