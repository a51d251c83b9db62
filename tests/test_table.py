"""Tests of camatlas.sources.table: registries as CSV, GeoJSON and JSON records."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from camatlas.errors import FormatError, InputError
from camatlas.sources.table import TableOptions, read_table

EARTH_RADIUS_M = 6378137.0
"""WGS 84 semi-major axis, the sphere of Web Mercator (EPSG:3857)."""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def write_json(tmp_path: Path, name: str, document: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# --- CSV -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    rows = [
        ["id", "name", "lat", "lon", "operator"],
        ["a1", '"Main St, north"', "53.464515", "-2.284777", "Trafford Council"],
        ["a2", "Chester Rd", "53.466056", "-2.296845", "Trafford Council"],
    ]
    path = write(tmp_path, "My Registry.csv", "\n".join(delimiter.join(row) for row in rows) + "\n")

    data = read_table(path)

    assert data.format == "csv"
    assert data.source == "my_registry"
    assert [c.id for c in data.cameras] == ["my_registry:a1", "my_registry:a2"]
    first = data.cameras[0]
    assert (first.lon, first.lat) == (-2.284777, 53.464515)
    assert first.name == "Main St, north"
    assert first.operator == "Trafford Council"
    assert first.kind == "camera"
    assert first.tags["lat"] == "53.464515"
    assert data.rejected == []


def test_latitude_longitude_columns_any_case_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "cams.csv"
    path.write_bytes("\ufeffCameraID,Latitude,Longitude\r\n7,48.1,11.5\r\n".encode())

    data = read_table(path)

    assert [(c.source_id, c.lat, c.lon) for c in data.cameras] == [("7", 48.1, 11.5)]


def test_row_number_is_the_id_without_an_id_column(tmp_path: Path) -> None:
    path = write(tmp_path, "cams.csv", "lat,lon\n48.1,11.5\n\n48.2,11.6\n")

    data = read_table(path)

    assert [c.source_id for c in data.cameras] == ["1", "2"]


def test_explicit_columns_and_source(tmp_path: Path) -> None:
    path = write(tmp_path, "cams.csv", "ref;north;east\nK1;48.1;11.5\n")

    data = read_table(path, TableOptions(lat="north", lon="east", id="ref", source="munich"))

    camera = data.cameras[0]
    assert camera.id == "munich:K1"
    assert (camera.lon, camera.lat) == (11.5, 48.1)


def test_web_mercator_x_y_with_crs(tmp_path: Path) -> None:
    lon, lat = 10.123456, 50.654321
    x = EARTH_RADIUS_M * math.radians(lon)
    y = EARTH_RADIUS_M * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    path = write(tmp_path, "cams.csv", f"id,x,y\n1,{x:.4f},{y:.4f}\n")

    data = read_table(path, TableOptions(crs="EPSG:3857"))

    camera = data.cameras[0]
    assert camera.lon == pytest.approx(lon, abs=1e-6)
    assert camera.lat == pytest.approx(lat, abs=1e-6)


def test_x_y_without_crs_are_longitude_latitude(tmp_path: Path) -> None:
    path = write(tmp_path, "cams.csv", "X,Y\n-2.5,53.5\n")

    assert [(c.lon, c.lat) for c in read_table(path).cameras] == [(-2.5, 53.5)]


def test_projected_x_y_without_crs_are_refused_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "cams.csv", "x,y\n530000,180000\n")

    with pytest.raises(InputError, match="crs") as info:
        read_table(path)
    assert "line 2" in str(info.value)


def test_easting_northing_need_a_crs(tmp_path: Path) -> None:
    path = write(tmp_path, "cams.csv", "easting,northing\n530000,180000\n")

    with pytest.raises(InputError, match="CRS"):
        read_table(path)
    data = read_table(path, TableOptions(crs="EPSG:27700"))
    camera = data.cameras[0]
    # British National Grid 530000 E, 180000 N lies by Charing Cross, London.
    assert camera.lon == pytest.approx(-0.1284, abs=0.001)
    assert camera.lat == pytest.approx(51.5040, abs=0.001)


def test_unknown_crs(tmp_path: Path) -> None:
    path = write(tmp_path, "cams.csv", "x,y\n1,2\n")

    with pytest.raises(InputError, match="unknown CRS"):
        read_table(path, TableOptions(crs="EPSG:999999"))


def test_wkt_column_point_and_centroid(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cams.csv",
        'id,WKT\n1,POINT (-2.25 53.5)\n2,"POLYGON ((0 50, 2 50, 2 52, 0 52, 0 50))"\n',
    )

    data = read_table(path)

    assert [(c.lon, c.lat) for c in data.cameras] == [(-2.25, 53.5), (1.0, 51.0)]


def test_bad_wkt(tmp_path: Path) -> None:
    path = write(tmp_path, "cams.csv", "id,wkt\n1,POINT (1 2\n")

    with pytest.raises(InputError, match="not valid WKT") as info:
        read_table(path)
    assert info.value.line == 2


def test_no_coordinate_columns_lists_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "nocoords.csv", "id,where,what\n1,here,cam\n")

    with pytest.raises(InputError) as info:
        read_table(path)
    message = str(info.value)
    assert "nocoords.csv" in message
    assert "id, where, what" in message


def test_quoted_fields_with_delimiters_and_newlines_keep_line_numbers(tmp_path: Path) -> None:
    text = (
        "id,name,lat,lon\n"  # line 1
        '1,"Main St, north\nsecond line",53.1,-2.1\n'  # lines 2-3
        '2,"Plain",53.2,-2.2\n'  # line 4
        '3,"Another\nmulti\nline",bad,-2.3\n'  # lines 5-7
    )
    path = write(tmp_path, "multi.csv", text)

    with pytest.raises(InputError) as info:
        read_table(path)
    assert info.value.line == 5
    assert "multi.csv, line 5" in str(info.value)

    data = read_table(path, TableOptions(skip_bad_rows=True))
    assert data.cameras[0].name == "Main St, north\nsecond line"
    assert [c.source_id for c in data.cameras] == ["1", "2"]
    assert [r.where for r in data.rejected] == ["line 5"]


BAD_COORDINATES = [
    pytest.param("abc", "not a plain decimal number", id="unparsable"),
    pytest.param("461.993.881", "not a plain decimal number", id="thousands-dots"),
    pytest.param("53,464515", "not a plain decimal number", id="decimal-comma"),
    pytest.param("\u0665\u0663.\u0661", "not a plain decimal number", id="non-ascii-digits"),
    pytest.param("5.3e1", "not a plain decimal number", id="exponent"),
    pytest.param("95.5", "outside -90..90", id="out-of-range"),
    pytest.param("", "empty", id="missing"),
]


@pytest.mark.parametrize(("value", "reason"), BAD_COORDINATES)
def test_bad_latitude_in_csv(tmp_path: Path, value: str, reason: str) -> None:
    text = f'id;latitude;longitude\n1;53.1;-2.1\n2;53.2;-2.2\n3;"{value}";-2.3\n4;53.4;-2.4\n'
    path = write(tmp_path, "registry.csv", text)

    with pytest.raises(InputError) as info:
        read_table(path)

    message = str(info.value)
    assert "registry.csv" in message
    assert "line 4" in message
    assert "'latitude'" in message
    assert reason in message
    assert repr(value) in message
    assert info.value.line == 4
    assert info.value.value == value


def test_bad_longitude_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path, "registry.csv", "lat,lon\n53.1,-200.5\n")

    with pytest.raises(InputError, match=r"'lon'.*outside -180\.\.180") as info:
        read_table(path)
    assert info.value.value == "-200.5"


def test_missing_coordinate_cell(tmp_path: Path) -> None:
    path = write(tmp_path, "registry.csv", "id,lat,lon\n1,53.1\n")

    with pytest.raises(InputError, match="'lon' is empty") as info:
        read_table(path)
    assert info.value.line == 2


def test_null_island_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "registry.csv", "id,lat,lon\n1,0,0.0\n")

    with pytest.raises(InputError, match="null island"):
        read_table(path)


def test_skip_bad_rows_keeps_the_good_ones(tmp_path: Path) -> None:
    text = (
        "id,lat,lon\n"
        "1,53.1,-2.1\n"
        "2,461.993.881,-2.2\n"
        "3,53.3,-2.3\n"
        "4,53.4,\n"
        "5,91,-2.5\n"
        "6,53.6,-2.6\n"
    )
    path = write(tmp_path, "registry.csv", text)

    data = read_table(path, TableOptions(skip_bad_rows=True))

    assert [c.source_id for c in data.cameras] == ["1", "3", "6"]
    assert [(r.where, r.value) for r in data.rejected] == [
        ("line 3", "461.993.881"),
        ("line 5", ""),
        ("line 6", "91"),
    ]
    assert "not a plain decimal number" in data.rejected[0].reason
    assert "'lon' is empty" in data.rejected[1].reason
    assert "outside -90..90" in data.rejected[2].reason


def test_duplicate_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "registry.csv", "id,lat,lon\n1,53.1,-2.1\n2,53.2,-2.2\n1,53.3,-2.3\n")

    with pytest.raises(InputError, match="duplicate id") as info:
        read_table(path)
    assert info.value.line == 4
    assert "first seen at line 2" in str(info.value)
    assert info.value.value == "1"

    data = read_table(path, TableOptions(skip_bad_rows=True))
    assert [c.lat for c in data.cameras] == [53.1, 53.2]
    assert [r.where for r in data.rejected] == ["line 4"]


def test_extra_fields_are_a_bad_row(tmp_path: Path) -> None:
    path = write(tmp_path, "registry.csv", "id,lat,lon\n1,53,1,-2.1\n2,53.2,-2.2,\n")

    with pytest.raises(InputError, match="4 fields but the header has 3") as info:
        read_table(path)
    assert info.value.line == 2


def test_header_only_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_table(write(tmp_path, "empty.csv", ""))
    with pytest.raises(InputError, match="no data rows"):
        read_table(write(tmp_path, "header.csv", "id,lat,lon\n"))


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,lat,lon\nK\xf6ln,50.9,6.9\n".encode("latin-1"))

    with pytest.raises(InputError, match="UTF-8") as info:
        read_table(path)
    assert info.value.line == 2


def test_wrong_formats_are_refused(tmp_path: Path) -> None:
    pbf = tmp_path / "extract.osm.pbf"
    pbf.write_bytes(b"\x00\x00\x00\x0e\x0a\x09OSMHeader\x18\x00" + bytes(64))
    overpass = write_json(tmp_path, "o.json", {"osm3s": {}, "elements": []})

    with pytest.raises(FormatError, match="osm-pbf"):
        read_table(pbf)
    with pytest.raises(FormatError, match="overpass"):
        read_table(overpass)


# --- mapping -------------------------------------------------------------------------------------


def test_columns_map_onto_model_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cams.csv",
        "id,lat,lon,radius,angle_of_view,owner,camera:direction\n1,53.1,-2.1,50,90,Council,180\n",
    )

    data = read_table(
        path,
        TableOptions(
            columns={"range_m": "radius", "width_deg": "Angle_Of_View", "operator": "owner"}
        ),
    )

    camera = data.cameras[0]
    assert camera.range_m == 50.0
    assert camera.width_deg == 90.0
    assert camera.operator == "Council"
    assert camera.directions[0].start == 180.0
    assert camera.tags["radius"] == "50"


def test_unknown_field_or_column_in_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "cams.csv", "lat,lon,radius\n53.1,-2.1,50\n")

    with pytest.raises(InputError, match="not a camera field"):
        read_table(path, TableOptions(columns={"reach": "radius"}))
    with pytest.raises(InputError, match=r"no column 'range'.*lat, lon, radius"):
        read_table(path, TableOptions(columns={"range_m": "range"}))


def test_name_is_taken_from_a_label_column(tmp_path: Path) -> None:
    labelled = write(tmp_path, "a.csv", "lat,lon,label\n53.1,-2.1,Bridge St\n")
    named = write(tmp_path, "b.csv", "lat,lon,label,name\n53.1,-2.1,Bridge St,Cam 4\n")

    assert read_table(labelled).cameras[0].name == "Bridge St"
    assert read_table(named).cameras[0].name == "Cam 4"


def test_kind_vocabulary(tmp_path: Path) -> None:
    types = [
        "alpr",
        "ANPR",
        "cctv",
        "traffic_camera",
        "Speed Camera",
        "red_light_camera",
        "shotspotter",
        "guard",
        "other",
        "drone",
    ]
    records = [
        {"id": n, "lat": 40 + n / 100, "lon": -120.0, "type": kind} for n, kind in enumerate(types)
    ]
    path = write_json(tmp_path, "points.json", records)

    data = read_table(path)

    assert [c.kind for c in data.cameras] == [
        "alpr",
        "alpr",
        "camera",
        "camera",
        "camera",
        "camera",
        "gunshot_detector",
        "guard",
        "other",
        "other",
    ]
    assert [c.zone for c in data.cameras] == [None] * 3 + ["traffic"] * 3 + [None] * 4
    assert [(p.value, p.element) for p in data.problems] == [("drone", "points:9")]


def test_default_kind_without_a_kind_column(tmp_path: Path) -> None:
    path = write(tmp_path, "plates.csv", "lat,lon\n53.1,-2.1\n")

    assert read_table(path).cameras[0].kind == "camera"
    assert read_table(path, TableOptions(kind="ANPR")).cameras[0].kind == "alpr"
    with pytest.raises(InputError, match="unknown kind"):
        read_table(path, TableOptions(kind="spaceship"))


def test_osm_style_surveillance_type_column_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "osmish.csv", "lat,lon,surveillance:type\n53.1,-2.1,ALPR\n")

    assert read_table(path).cameras[0].kind == "alpr"


# --- JSON records and GeoJSON --------------------------------------------------------------------


def test_json_records(tmp_path: Path) -> None:
    records = [
        {"id": 368, "latitude": 40.79, "longitude": -73.93, "label": "1 Ave @ 110 St"},
        {"id": 369, "latitude": "40.80", "longitude": "-73.94", "label": None, "img": None},
    ]
    path = write_json(tmp_path, "nyc.json", records)

    data = read_table(path)

    assert data.format == "json-records"
    assert [c.id for c in data.cameras] == ["nyc:368", "nyc:369"]
    assert data.cameras[0].name == "1 Ave @ 110 St"
    assert data.cameras[0].tags == {
        "id": "368",
        "latitude": "40.79",
        "longitude": "-73.93",
        "label": "1 Ave @ 110 St",
    }
    assert (data.cameras[1].lon, data.cameras[1].lat) == (-73.94, 40.8)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("461.993.881", "not a plain decimal number", id="mangled"),
        pytest.param(True, "not a number", id="boolean"),
        pytest.param(-91.0, "outside -90..90", id="out-of-range"),
        pytest.param(None, "empty", id="missing"),
    ],
)
def test_bad_coordinate_in_json_record(tmp_path: Path, value: object, reason: str) -> None:
    records = [{"id": 1, "lat": 40.0, "lon": -73.0}, {"id": 2, "lat": value, "lon": -73.0}]
    path = write_json(tmp_path, "records.json", records)

    with pytest.raises(InputError) as info:
        read_table(path)

    message = str(info.value)
    assert "records.json, record 2" in message
    assert "'lat'" in message
    assert reason in message


def test_geojson_points_and_polygon_centroid(tmp_path: Path) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "cam-1",
                "geometry": {"type": "Point", "coordinates": [-2.25, 53.5]},
                "properties": {"operator": "Council", "radius": 40},
            },
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0, 50], [2, 50], [2, 52], [0, 52], [0, 50]]],
                },
                "properties": {"id": "cam-2", "kind": "ALPR"},
            },
        ],
    }
    path = write_json(tmp_path, "cams.geojson", collection)

    data = read_table(path, TableOptions(columns={"range_m": "radius"}))

    assert data.format == "geojson"
    assert [c.source_id for c in data.cameras] == ["cam-1", "cam-2"]
    first, second = data.cameras
    assert (first.lon, first.lat) == (-2.25, 53.5)
    assert first.operator == "Council"
    assert first.range_m == 40.0
    assert (second.lon, second.lat) == (1.0, 51.0)
    assert second.kind == "alpr"


def test_geojson_feature_without_geometry(tmp_path: Path) -> None:
    point = {"type": "Point", "coordinates": [1.0, 2.0]}
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": point, "properties": {}},
            {"type": "Feature", "geometry": None, "properties": {}},
        ],
    }
    path = write_json(tmp_path, "cams.geojson", collection)

    with pytest.raises(InputError, match="feature 2: the feature has no geometry"):
        read_table(path)
    data = read_table(path, TableOptions(skip_bad_rows=True))
    assert len(data.cameras) == 1
    assert [r.where for r in data.rejected] == ["feature 2"]


def test_single_geojson_feature_in_a_named_crs(tmp_path: Path) -> None:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [530000, 180000]},
        "properties": None,
    }
    path = write_json(tmp_path, "one.geojson", feature)

    camera = read_table(path, TableOptions(crs="EPSG:27700")).cameras[0]

    assert camera.source_id == "1"
    assert camera.lat == pytest.approx(51.504, abs=0.001)


# --- real data -----------------------------------------------------------------------------------


@pytest.mark.realdata
def test_trafford_cctv(shared_data: Path) -> None:
    data = read_table(shared_data / "trafford_cctv.csv")

    assert len(data.cameras) == 98
    assert data.rejected == []
    assert data.source == "trafford_cctv"
    assert {c.kind for c in data.cameras} == {"camera"}
    assert len({c.id for c in data.cameras}) == 98
    assert data.cameras[0].name == "Cam 1 - Trafford Wharf Road"
    assert all(53.3 < c.lat < 53.5 and -2.5 < c.lon < -2.2 for c in data.cameras)


@pytest.mark.realdata
def test_nyc_dot_traffic_cams(shared_data: Path) -> None:
    path = shared_data / "nyc_dot_traffic_cams_scanmap.json"

    # The list has 724 records, but id 175 appears twice (records 182 and 724).
    with pytest.raises(InputError, match="record 724: duplicate id"):
        read_table(path)
    data = read_table(path, TableOptions(skip_bad_rows=True))

    assert len(data.cameras) == 723
    assert [(r.where, r.value) for r in data.rejected] == [("record 724", "175")]
    assert all(c.name for c in data.cameras)
    # Numbering the records keeps all 724, both cameras with id 175 among them.
    numbered = read_table(path, TableOptions(row_ids=True))
    assert [c.source_id for c in numbered.cameras] == [str(i) for i in range(1, 725)]
    assert [c.tags["id"] for c in numbered.cameras].count("175") == 2


@pytest.mark.realdata
def test_uswest_surveillance_points(shared_data: Path) -> None:
    data = read_table(shared_data / "uswest_surveillance_points.json")

    assert len(data.cameras) == 18_078
    assert data.rejected == []
    assert data.problems == []
    assert Counter(c.kind for c in data.cameras) == {
        "alpr": 10_255,
        "camera": 5_668 + 1_765 + 243 + 7,
        "gunshot_detector": 128,
        "other": 12,
    }
    assert Counter(c.zone for c in data.cameras)["traffic"] == 1_765 + 243 + 7
    assert all(36 <= c.lat <= 49 and -125 <= c.lon <= -102 for c in data.cameras)


def test_row_ids_number_the_rows_instead_of_a_repeated_id_column(tmp_path: Path) -> None:
    path = tmp_path / "repeated.csv"
    path.write_text("id,lat,lon\n7,41.1,-8.6\n7,41.2,-8.7\n9,41.3,-8.8\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 3: duplicate id.*--row-ids"):
        read_table(path)
    data = read_table(path, TableOptions(row_ids=True))
    assert [(c.id, c.lat) for c in data.cameras] == [
        ("repeated:1", 41.1),
        ("repeated:2", 41.2),
        ("repeated:3", 41.3),
    ]
    with pytest.raises(InputError, match="not both"):
        read_table(path, TableOptions(row_ids=True, id="id"))


HOSTILE_JSON = {
    "nested 5,000 deep": ("records.json", "[" * 5000 + "]" * 5000, "nested too deeply"),
    "a 5,000-digit number": (
        "records.json", '[{"lat": ' + "9" * 5000 + ', "lon": 1}]', "thousands of digits",
    ),
    "half a surrogate pair": (
        "records.json", '[{"lat": 1, "lon": 2,\n "name": "\\ud800"}]', "line 2: a string escape",
    ),
    "a low surrogate alone in GeoJSON": (
        "cams.geojson",
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"name": "\\uDC00"}, "geometry": {"type": "Point", "coordinates": [1, 2]}}]}',
        "half a surrogate pair",
    ),
    "Overpass JSON nested deep": (
        "answer.json", '{"version": 0.6, "elements": ' + "[" * 5000 + "]" * 5000 + "}",
        "nested too deeply",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", HOSTILE_JSON.values(), ids=HOSTILE_JSON.keys())
def test_hostile_json_is_an_input_error_naming_the_file(
    tmp_path: Path, case: tuple[str, str, str]
) -> None:
    from camatlas.sources import read_file

    name, text, words = case
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=words) as caught:
        read_file(path)
    assert str(path) in str(caught.value)


def test_an_escaped_backslash_before_u_d800_is_text(tmp_path: Path) -> None:
    path = tmp_path / "records.json"
    path.write_text('[{"lat": 41.15, "lon": -8.61, "name": "C:\\\\ud800"}]', encoding="utf-8")
    data = read_table(path)
    assert data.cameras[0].name == "C:\\ud800"


BAD_GEOMETRIES = {
    "true": '{"type": "LineString", "coordinates": [[true, false], [1, 2]]}',
    "a string": '{"type": "Polygon", "coordinates": [[["a", 1], [2, 2], [3, 3], ["a", 1]]]}',
    "not a list": '{"type": "GeometryCollection", "geometries": 5}',
    "a number among geometries": '{"type": "GeometryCollection", "geometries": [5]}',
    "deep collections": '{"type": "GeometryCollection", "geometries": ['
    + '{"type": "GeometryCollection", "geometries": [' * 400 + "]}" * 400 + "]}",
}  # fmt: skip


@pytest.mark.parametrize("geometry", BAD_GEOMETRIES.values(), ids=BAD_GEOMETRIES.keys())
def test_a_malformed_geometry_is_a_bad_row_not_a_traceback(tmp_path: Path, geometry: str) -> None:
    path = tmp_path / "cams.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "crs": {"type": "name", "properties": 5}, "features": ['
        f'{{"type": "Feature", "properties": {{}}, "geometry": {geometry}}},'
        '{"type": "Feature", "properties": {}, "geometry": {"type": "Point", '
        '"coordinates": [-8.61, 41.15]}}]}',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"feature 1: the feature's geometry"):
        read_table(path)
    kept = read_table(path, TableOptions(skip_bad_rows=True))
    assert [(c.lon, c.lat) for c in kept.cameras] == [(-8.61, 41.15)]
    assert [r.where for r in kept.rejected] == ["feature 1"]


def test_a_given_format_wins_over_the_content(tmp_path: Path) -> None:
    from camatlas.sources import read_file

    # A CSV whose first header begins with "[": the content looks like JSON.
    path = tmp_path / "cams.csv"
    path.write_text("[ref],lat,lon\nA1,41.15,-8.61\nA2,41.16,-8.60\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        read_file(path)
    data = read_file(path, format="csv")
    assert data.format == "csv" and [c.lat for c in data.cameras] == [41.15, 41.16]
    # A format that does not fit the content is that reader's error, naming the file.
    with pytest.raises(InputError, match=r"cams\.csv.*OSM XML"):
        read_file(path, format="osm-xml")
    with pytest.raises(FormatError, match="unknown format 'csv2'"):
        read_file(path, format="csv2")
    with pytest.raises(FormatError, match="the file is empty"):
        (tmp_path / "empty.csv").write_text("  \n")
        read_file(tmp_path / "empty.csv", format="csv")


def _registry(rows: int, last: str, *, newline: bool) -> str:
    lines = ["id,name,lat,lon"]
    lines += [f"{n},cam {n},53.4{n:05d},-2.2{n:05d}" for n in range(1, rows)]
    return "\n".join([*lines, last]) + ("\n" if newline else "")


@pytest.mark.parametrize(
    ("last", "why"),
    [
        ("99,cam 99,53.412345,-2.3", "'lon' value '-2.3' has 1 decimals"),
        ("99,cam 99,53.41", "it has 3 of the header's 4 fields"),
    ],
    ids=["inside-the-number", "inside-a-field"],
)
def test_a_csv_cut_inside_its_last_row_is_refused(tmp_path: Path, last: str, why: str) -> None:
    path = write(tmp_path, "cut.csv", _registry(30, last, newline=False))
    with pytest.raises(InputError, match="looks cut short") as caught:
        read_table(path)
    assert why in str(caught.value)
    assert caught.value.line == 31
    # skipping bad rows keeps the whole ones, and says which row was left out
    data = read_table(path, TableOptions(skip_bad_rows=True))
    assert len(data.cameras) == 29
    assert [r.where for r in data.rejected] == ["line 31"]


@pytest.mark.parametrize(
    ("text"),
    [
        _registry(30, "99,cam 99,53.412345,-2.3", newline=True),  # ends with a line break
        _registry(30, "99,cam 99,53.412345,-2.312345", newline=False),  # whole, no break
        "id,lat,lon,name\n1,53.412345,-2.212345,a\n2,53.4,-2.2,b",  # the last field is text
        "id,lat,lon\n1,53.5,-2.2\n2,53.4,-2.3",  # as precise as every other row
    ],
    ids=["terminated", "whole", "text-last", "same-precision"],
)
def test_a_last_row_that_is_whole_is_kept(tmp_path: Path, text: str) -> None:
    data = read_table(write(tmp_path, "ok.csv", text))
    assert data.rejected == []
    assert len(data.cameras) == len(text.strip().splitlines()) - 1


@pytest.mark.realdata
def test_a_registry_with_rounded_values_is_not_judged_cut(
    shared_data: Path, tmp_path: Path
) -> None:
    # Trafford's longitude column mixes 1, 5 and 6 decimals; a last row cut to 3 is
    # caught against most rows, and the whole file without its final break is kept.
    text = (shared_data / "trafford_cctv.csv").read_text(encoding="utf-8").rstrip("\n")
    assert len(read_table(write(tmp_path, "whole.csv", text)).cameras) == 98
    with pytest.raises(InputError, match="3 decimals where 96 of the 97 other rows"):
        read_table(write(tmp_path, "cut.csv", text[:-3]))
