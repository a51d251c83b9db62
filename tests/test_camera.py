"""Tests of the camera record: direction parsing and OSM tag normalization."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from camatlas.records import Camera, Direction, TagProblem, directions_to_text
from camatlas.tags import camera_from_tags, directions_from_text, parse_direction
from camatlas.vocab import CAMERA_TYPES, FIELDS, KINDS, SURVEILLANCE_SCOPES

CAMERA_ID = "osm:node/1"


def build(
    tags: Mapping[str, str], fields: Mapping[str, str] | None = None
) -> tuple[Camera, list[TagProblem]]:
    """A camera at (7.42, 43.73) from ``tags``, with a surveillance:type unless given."""
    return camera_from_tags(
        source="osm", source_id="node/1", lon=7.42, lat=43.73, tags=tags, fields=fields
    )


def camera_with(tags: Mapping[str, str]) -> Camera:
    """A camera of kind camera built from ``tags``; fails if any problem is reported."""
    camera, problems = build({"surveillance:type": "camera", **tags})
    assert problems == []
    return camera


def problems_with(tags: Mapping[str, str]) -> tuple[Camera, dict[str, TagProblem]]:
    """A camera of kind camera built from ``tags`` and its problems by key."""
    camera, problems = build({"surveillance:type": "camera", **tags})
    by_key = {problem.key: problem for problem in problems}
    assert len(by_key) == len(problems), "one problem per key expected"
    return camera, by_key


# --- parse_direction: single shapes -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "heading"),
    [
        ("240", 240.0),  # Monaco
        ("160", 160.0),
        ("0", 0.0),
        ("360", 0.0),
        ("360.0", 0.0),
        ("45.5", 45.5),
        ("22.5", 22.5),
        ("090", 90.0),
        ("  240\t", 240.0),
    ],
)
def test_degrees(value: str, heading: float) -> None:
    assert parse_direction(value) == (Direction(heading),)


@pytest.mark.parametrize(
    ("value", "heading"),
    [
        ("N", 0.0),
        ("NNE", 22.5),
        ("NE", 45.0),
        ("ENE", 67.5),
        ("E", 90.0),  # Porto
        ("ESE", 112.5),
        ("SE", 135.0),
        ("SSE", 157.5),
        ("S", 180.0),
        ("SSW", 202.5),
        ("SW", 225.0),
        ("WSW", 247.5),
        ("W", 270.0),
        ("WNW", 292.5),
        ("NW", 315.0),
        ("NNW", 337.5),
        ("nw", 315.0),
        ("Nw", 315.0),
    ],
)
def test_compass_points(value: str, heading: float) -> None:
    assert parse_direction(value) == (Direction(heading),)


@pytest.mark.parametrize(
    ("value", "heading"),
    [
        ("north", 0.0),
        ("south", 180.0),
        ("East", 90.0),
        ("WEST", 270.0),
        ("northeast", 45.0),
        ("north-east", 45.0),
        ("north east", 45.0),
        ("north_east", 45.0),
        ("North-East", 45.0),
        ("southeast", 135.0),
        ("south-west", 225.0),
        ("northwest", 315.0),
        ("north-west", 315.0),
        ("north-northeast", 22.5),
        ("west north west", 292.5),
    ],
)
def test_compass_words(value: str, heading: float) -> None:
    assert parse_direction(value) == (Direction(heading),)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("180-360", Direction(180.0, 0.0)),  # White House
        ("0-180", Direction(0.0, 180.0)),
        ("190-100", Direction(190.0, 100.0)),
        ("0-360", Direction(0.0, 0.0)),
        ("180 - 360", Direction(180.0, 0.0)),
        ("N-E", Direction(0.0, 90.0)),
        ("NW-NE", Direction(315.0, 45.0)),
        ("sw - 300", Direction(225.0, 300.0)),
    ],
)
def test_ranges(value: str, expected: Direction) -> None:
    assert parse_direction(value) == (expected,)


def test_range_sweeps() -> None:
    (wrapping,) = parse_direction("190-100")
    assert wrapping.sweep_deg == 270.0
    (full,) = parse_direction("0-360")
    assert full.sweep_deg == 360.0
    (half,) = parse_direction("180-360")
    assert half.sweep_deg == 180.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90;160;270", (Direction(90.0), Direction(160.0), Direction(270.0))),
        ("180, 270", (Direction(180.0), Direction(270.0))),
        ("90;", (Direction(90.0),)),
        ("N;180-360", (Direction(0.0), Direction(180.0, 0.0))),
        ("north-east, south west", (Direction(45.0), Direction(225.0))),
    ],
)
def test_lists(value: str, expected: tuple[Direction, ...]) -> None:
    assert parse_direction(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        ";",
        " ; , ",
        "forward",
        "backward",
        "up",
        "abc",
        "1e5",
        "nan",
        "NaN",
        "inf",
        "infinity",
        "\u0661\u0662",  # Arabic-Indic digits: float() reads them as 12
        "\uff19\uff10",  # full-width digits
        "1_0",
        "361",
        "360.5",
        "400",
        "-10",
        "+90",
        ".5",
        "5.",
        "90°",
        "90;forward",  # one bad item spoils the whole value
        "10-20-30",
        "180-",
        "-180",
        "north-south",  # words are not range ends
        "north north",
        "nor-th",
        "NNNE",
        "1" * 400,  # float() would give inf
    ],
)
def test_unreadable_direction_raises(value: str) -> None:
    with pytest.raises(ValueError):
        parse_direction(value)


def test_error_names_the_unreadable_part() -> None:
    with pytest.raises(ValueError, match="forward"):
        parse_direction("90;forward")
    with pytest.raises(ValueError, match="400"):
        parse_direction("180-400")


def test_angles_kept_to_a_millidegree() -> None:
    assert parse_direction("12.3456") == (Direction(12.346),)
    assert parse_direction("359.9999") == (Direction(0.0),)


@pytest.mark.parametrize(
    "value", ["22.5", "359.999", "123.456", "0-360", "190-100", "NNE;ssw-wnw", "0.001"]
)
def test_canonical_text_round_trips(value: str) -> None:
    parsed = parse_direction(value)
    assert parse_direction(directions_to_text(parsed)) == parsed
    assert directions_from_text(directions_to_text(parsed)) == parsed


def test_canonical_text() -> None:
    assert directions_to_text(parse_direction("NNE; 180 - 360")) == "22.5;180-0"
    assert directions_from_text("") == ()
    assert directions_from_text(None) == ()


# --- parse_direction: properties ----------------------------------------------------------


def assert_valid_directions(directions: tuple[Direction, ...]) -> None:
    assert isinstance(directions, tuple)
    assert directions
    for direction in directions:
        assert 0.0 <= direction.start < 360.0
        assert direction.end is None or 0.0 <= direction.end < 360.0


@given(st.integers(0, 359), st.sampled_from(["", " ", ".0"]))
def test_parse_direction_reads_every_whole_degree(heading: int, suffix: str) -> None:
    assert parse_direction(f"{heading}{suffix}") == (Direction(float(heading)),)


@given(st.text())
def test_parse_direction_on_any_text_returns_or_raises_value_error(value: str) -> None:
    try:
        directions = parse_direction(value)
    except ValueError:
        return
    assert_valid_directions(directions)


@given(st.text(alphabet="0123456789.-;, NSEWnsewortha_\t"))
def test_parse_direction_on_direction_like_text_returns_or_raises_value_error(
    value: str,
) -> None:
    try:
        directions = parse_direction(value)
    except ValueError:
        return
    assert_valid_directions(directions)


@given(
    st.floats(min_value=0.0, max_value=360.0, exclude_max=True),
    st.integers(min_value=0, max_value=3),
)
def test_formatted_degrees_parse_to_that_heading(heading: float, decimals: int) -> None:
    text = f"{heading:.{decimals}f}"
    # Formatting may round up to "360.0..", which is north.
    assert parse_direction(text) == (Direction(float(text) % 360.0),)


COMPASS_POINTS = [
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
    "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW",
]  # fmt: skip
POINTS = [
    *COMPASS_POINTS,
    *[
        "ne",
        "sw",
        "nnw",
        "north",
        "South",
        "east",
        "west",
        "north-east",
        "south_west",
        "north west",
    ],
]

headings = st.one_of(
    st.integers(min_value=0, max_value=360).map(str),
    st.decimals(min_value=0, max_value=360, places=3, allow_nan=False).map(str),
    st.floats(min_value=0.0, max_value=360.0).map(lambda x: f"{x:.6f}"),
    st.sampled_from(POINTS),
)
range_ends = st.one_of(
    st.integers(min_value=0, max_value=360).map(str),
    st.decimals(min_value=0, max_value=360, places=2, allow_nan=False).map(str),
    st.sampled_from(COMPASS_POINTS),
)
ranges = st.tuples(range_ends, st.sampled_from(["-", " - "]), range_ends).map("".join)


@given(
    st.lists(st.one_of(headings, ranges), min_size=1, max_size=6),
    st.sampled_from([";", ", ", ","]),
)
def test_lists_round_trip_through_canonical_text(items: list[str], separator: str) -> None:
    value = separator.join(items)
    parsed = parse_direction(value)
    assert len(parsed) == len(items)
    assert_valid_directions(parsed)
    assert parse_direction(directions_to_text(parsed)) == parsed


# --- camera_from_tags: identity and verbatim tags -----------------------------------------


def test_identity_and_tags_copied() -> None:
    tags = {"man_made": "surveillance", "surveillance:type": "camera", "fixme": "<b>x</b>"}
    camera, problems = camera_from_tags(
        source="trafford_cctv",
        source_id="17",
        lon=-2.3,
        lat=53.4,
        tags=tags,
        timestamp="2018-05-01T00:00:00Z",
    )
    assert problems == []
    assert camera.id == "trafford_cctv:17"
    assert (camera.source, camera.source_id) == ("trafford_cctv", "17")
    assert (camera.lon, camera.lat) == (-2.3, 53.4)
    assert camera.source_timestamp == "2018-05-01T00:00:00Z"
    assert camera.physical_id is None
    assert camera.tags == tags
    assert camera.tags is not tags
    tags["fixme"] = "changed"
    assert camera.tags["fixme"] == "<b>x</b>"


def test_no_tags_gives_unknowns_and_one_assumption() -> None:
    camera, problems = build({})
    assert camera.kind == "camera"
    assert camera.camera_type == "unknown"
    assert camera.directions == ()
    assert not camera.direction_known
    for name in ("mount", "zone", "surveillance", "width_deg", "range_m", "height_m"):
        assert getattr(camera, name) is None
    for name in ("tilt_deg", "operator", "manufacturer", "name"):
        assert getattr(camera, name) is None
    assert problems == [
        TagProblem(
            key="surveillance:type",
            value="",
            element=CAMERA_ID,
            reason="missing; assumed camera",
        )
    ]


# --- kind ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("camera", "camera"),
        ("Camera", "camera"),
        ("guard", "guard"),
        ("ALPR", "alpr"),
        ("alpr", "alpr"),
        ("ANPR", "alpr"),
        ("anpr", "alpr"),
        ("gunshot_detector", "gunshot_detector"),
        (" camera ", "camera"),
        ("other", "other"),
    ],
)
def test_kind(value: str, kind: str) -> None:
    camera, problems = build({"surveillance:type": value})
    assert camera.kind == kind
    assert problems == []


@pytest.mark.parametrize("value", ["microphone", "camera;guard", "others", "cctv"])
def test_unknown_kind_is_other_and_reported(value: str) -> None:
    camera, problems = build({"surveillance:type": value})
    assert camera.kind == "other"
    assert len(problems) == 1
    assert problems[0].key == "surveillance:type"
    assert problems[0].value == value
    assert problems[0].element == CAMERA_ID
    assert "kind set to other" in problems[0].reason


def test_kind_list_reason() -> None:
    _, problems = build({"surveillance:type": "camera;guard"})
    assert problems[0].reason.startswith("several values")


# --- camera_type --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "camera_type"),
    [("fixed", "fixed"), ("dome", "dome"), ("Panning", "panning"), ("DOORBELL", "doorbell")],
)
def test_camera_type(value: str, camera_type: str) -> None:
    assert camera_with({"camera:type": value}).camera_type == camera_type


def test_missing_camera_type_is_unknown_without_problem() -> None:
    assert camera_with({}).camera_type == "unknown"


@pytest.mark.parametrize("value", ["360", "dome;fixed", "public", "ptz"])
def test_junk_camera_type_is_unknown_and_reported(value: str) -> None:
    camera, problems = problems_with({"camera:type": value})
    assert camera.camera_type == "unknown"
    assert problems["camera:type"].value == value
    assert problems["camera:type"].element == CAMERA_ID


# --- mount and zone -----------------------------------------------------------------------


def test_mount_and_zone_lowercased_free_vocabulary() -> None:
    camera = camera_with({"camera:mount": " Street_Lamp ", "surveillance:zone": "Parking"})
    assert camera.mount == "street_lamp"
    assert camera.zone == "parking"


def test_mount_and_zone_lists_kept_verbatim() -> None:
    camera = camera_with({"camera:mount": "Wall;Pole", "surveillance:zone": "town;traffic"})
    assert camera.mount == "wall;pole"
    assert camera.zone == "town;traffic"


# --- surveillance -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "scope"), [("public", "public"), ("Outdoor", "outdoor"), ("INDOOR", "indoor")]
)
def test_surveillance(value: str, scope: str) -> None:
    assert camera_with({"surveillance": value}).surveillance == scope


@pytest.mark.parametrize("value", ["webcam", "fake", "yes", "public;indoor"])
def test_junk_surveillance_is_none_and_reported(value: str) -> None:
    camera, problems = problems_with({"surveillance": value})
    assert camera.surveillance is None
    assert problems["surveillance"].value == value


# --- directions ---------------------------------------------------------------------------


def test_camera_direction() -> None:
    camera = camera_with({"camera:direction": "180-360"})
    assert camera.directions == (Direction(180.0, 0.0),)
    assert camera.direction_known


def test_old_direction_key() -> None:
    assert camera_with({"direction": "240"}).directions == (Direction(240.0),)
    assert camera_with({"direction": "E"}).directions == (Direction(90.0),)


def test_camera_direction_wins_over_direction() -> None:
    camera = camera_with({"camera:direction": "90", "direction": "270"})
    assert camera.directions == (Direction(90.0),)


@pytest.mark.parametrize("key", ["camera:direction", "direction"])
def test_unreadable_direction_reported(key: str) -> None:
    camera, problems = problems_with({key: "forward"})
    assert camera.directions == ()
    assert not camera.direction_known
    assert problems[key].value == "forward"
    assert "direction unknown" in problems[key].reason


def test_broken_camera_direction_falls_back_to_direction() -> None:
    camera, problems = problems_with({"camera:direction": "upwards", "direction": "NW"})
    assert camera.directions == (Direction(315.0),)
    assert set(problems) == {"camera:direction"}
    assert problems["camera:direction"].value == "upwards"
    assert "direction unknown" not in problems["camera:direction"].reason


def test_both_directions_broken_both_reported() -> None:
    camera, problems = problems_with({"camera:direction": "up", "direction": "forward"})
    assert camera.directions == ()
    assert set(problems) == {"camera:direction", "direction"}


def test_direction_value_reported_verbatim() -> None:
    _, problems = problems_with({"camera:direction": "  90;<script> "})
    assert problems["camera:direction"].value == "  90;<script> "


# --- width of view, and camera:angle is a tilt --------------------------------------------


@pytest.mark.parametrize(("value", "width"), [("60", 60.0), ("360", 360.0), ("92.5", 92.5)])
def test_width_from_angle_of_view(value: str, width: float) -> None:
    assert camera_with({"camera:angle_of_view": value}).width_deg == width


@pytest.mark.parametrize("value", ["0", "361", "wide", "nan", "4,5", "-30"])
def test_bad_width_reported(value: str) -> None:
    camera, problems = problems_with({"camera:angle_of_view": value})
    assert camera.width_deg is None
    assert problems["camera:angle_of_view"].value == value


def test_camera_angle_is_tilt_never_width() -> None:
    camera = camera_with({"camera:angle": "30"})
    assert camera.tilt_deg == 30.0
    assert camera.width_deg is None


def test_camera_angle_used_as_width_by_some_tools_is_not_a_width() -> None:
    camera, problems = problems_with({"camera:angle": "120"})
    assert camera.width_deg is None
    assert camera.tilt_deg is None
    assert problems["camera:angle"].value == "120"


# --- tilt ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tilt"), [("15", 15.0), ("-10", -10.0), ("90", 90.0), ("-90", -90.0), ("0", 0.0)]
)
def test_tilt(value: str, tilt: float) -> None:
    assert camera_with({"camera:tilt": value}).tilt_deg == tilt


def test_camera_tilt_wins_over_camera_angle() -> None:
    assert camera_with({"camera:tilt": "10", "camera:angle": "45"}).tilt_deg == 10.0


@pytest.mark.parametrize("value", ["91", "-91", "down", "inf", "1e1"])
def test_bad_tilt_reported(value: str) -> None:
    camera, problems = problems_with({"camera:tilt": value})
    assert camera.tilt_deg is None
    assert problems["camera:tilt"].value == value


# --- range --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "range_m"), [("50", 50.0), ("50 m", 50.0), ("12.5m", 12.5), ("30 M", 30.0)]
)
def test_range(value: str, range_m: float) -> None:
    assert camera_with({"camera:range": value}).range_m == range_m


@pytest.mark.parametrize("value", ["0", "-5", "far", "50 km", "4,5", "nan"])
def test_bad_range_reported(value: str) -> None:
    camera, problems = problems_with({"camera:range": value})
    assert camera.range_m is None
    assert problems["camera:range"].value == value


# --- height -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "height"),
    [
        ("10", 10.0),
        ("5 m", 5.0),
        ("4.5", 4.5),
        ("3m", 3.0),
        ("12'", 12 * 0.3048),
        ("12 ft", 12 * 0.3048),
        ("10 feet", 10 * 0.3048),
        ("12'6\"", 12.5 * 0.3048),
    ],
)
def test_height(value: str, height: float) -> None:
    assert camera_with({"height": value}).height_m == pytest.approx(height)


def test_camera_height_used_when_height_missing() -> None:
    assert camera_with({"camera:height": "6"}).height_m == 6.0
    assert camera_with({"height": "4", "camera:height": "6"}).height_m == 4.0


@pytest.mark.parametrize(
    "value", ["4,5", "tall", "0", "-3", "nan", "inf", "\u0664", "5 km", "1e3", "12'13\""]
)
def test_bad_height_reported(value: str) -> None:
    camera, problems = problems_with({"height": value})
    assert camera.height_m is None
    assert problems["height"].value == value
    assert "height unknown" in problems["height"].reason


def test_decimal_comma_reason() -> None:
    _, problems = problems_with({"height": "4,5"})
    assert "decimal comma" in problems["height"].reason


def test_huge_height_is_not_infinite() -> None:
    camera, problems = problems_with({"height": "9" * 400})
    assert camera.height_m is None
    assert "height" in problems


# --- operator, manufacturer, name ---------------------------------------------------------


def test_operator_manufacturer_name() -> None:
    camera = camera_with(
        {"operator": " City Police ", "manufacturer": "Axis", "name": "Cam <1> & co"}
    )
    assert camera.operator == "City Police"
    assert camera.manufacturer == "Axis"
    assert camera.name == "Cam <1> & co"


def test_operator_fallback() -> None:
    assert camera_with({"surveillance:operator": "TfL"}).operator == "TfL"
    assert camera_with({"operator": "A", "surveillance:operator": "B"}).operator == "A"
    assert camera_with({"operator": "  ", "surveillance:operator": "B"}).operator == "B"


@pytest.mark.parametrize(
    ("tags", "manufacturer"),
    [
        ({"manufacturer": "M", "surveillance:manufacturer": "SM", "brand": "B"}, "M"),
        ({"surveillance:manufacturer": "SM", "brand": "B", "surveillance:brand": "SB"}, "SM"),
        ({"brand": "B", "surveillance:brand": "SB"}, "B"),
        ({"surveillance:brand": "Flock Safety"}, "Flock Safety"),
        ({"manufacturer": ""}, None),
    ],
)
def test_manufacturer_fallback(tags: dict[str, str], manufacturer: str | None) -> None:
    assert camera_with(tags).manufacturer == manufacturer


def test_empty_strings_are_none() -> None:
    camera = camera_with({"name": "", "operator": "   ", "camera:mount": " "})
    assert camera.name is None
    assert camera.operator is None
    assert camera.mount is None


# --- fields from registry columns ---------------------------------------------------------


def test_fields_override_tags() -> None:
    camera, problems = build(
        {"surveillance:type": "camera", "camera:direction": "90", "height": "3"},
        fields={"directions": "N;S", "height_m": "5 m", "kind": "ANPR", "operator": " Council "},
    )
    assert problems == []
    assert camera.directions == (Direction(0.0), Direction(180.0))
    assert camera.height_m == 5.0
    assert camera.kind == "alpr"
    assert camera.operator == "Council"


def test_fields_problems_keyed_by_field() -> None:
    camera, problems = build(
        {"surveillance:type": "camera", "camera:direction": "90"},
        fields={"directions": "forward", "width_deg": "400"},
    )
    assert camera.directions == ()
    assert camera.width_deg is None
    by_key = {problem.key: problem for problem in problems}
    assert set(by_key) == {"field directions", "field width_deg"}
    assert by_key["field directions"].value == "forward"
    assert by_key["field directions"].element == CAMERA_ID
    assert "direction unknown" in by_key["field directions"].reason


def test_field_kind_replaces_missing_surveillance_type() -> None:
    camera, problems = build({}, fields={"kind": "guard"})
    assert camera.kind == "guard"
    assert problems == []


def test_blank_field_does_not_hide_tag() -> None:
    camera = camera_with({"height": "4"})
    camera_from_field, problems = build(
        {"surveillance:type": "camera", "height": "4"}, fields={"height_m": " "}
    )
    assert problems == []
    assert camera_from_field.height_m == camera.height_m == 4.0


def test_unknown_field_name_raises() -> None:
    with pytest.raises(ValueError, match="bogus"):
        build({}, fields={"bogus": "1"})
    with pytest.raises(ValueError, match="height"):
        build({}, fields={"height": "1"})  # a tag key, not a field name


def test_every_field_name_accepted() -> None:
    camera, _ = build({}, fields=dict.fromkeys(FIELDS, "1"))
    assert camera.width_deg == 1.0
    assert camera.directions == (Direction(1.0),)
    assert camera.name == "1"


# --- camera_from_tags: properties ---------------------------------------------------------

KEYS = (
    "surveillance:type",
    "surveillance",
    "surveillance:zone",
    "camera:type",
    "camera:mount",
    "camera:direction",
    "direction",
    "camera:angle_of_view",
    "camera:angle",
    "camera:tilt",
    "camera:range",
    "height",
    "camera:height",
    "operator",
    "surveillance:operator",
    "manufacturer",
    "brand",
    "name",
)


def assert_camera_invariants(camera: Camera, problems: list[TagProblem]) -> None:
    assert camera.kind in KINDS
    assert camera.camera_type in CAMERA_TYPES
    assert camera.surveillance is None or camera.surveillance in SURVEILLANCE_SCOPES
    for direction in camera.directions:
        assert 0.0 <= direction.start < 360.0
        assert direction.end is None or 0.0 <= direction.end < 360.0
    for value in (camera.width_deg, camera.range_m, camera.height_m, camera.tilt_deg):
        assert value is None or math.isfinite(value)
    assert camera.width_deg is None or 0.0 < camera.width_deg <= 360.0
    assert camera.tilt_deg is None or -90.0 <= camera.tilt_deg <= 90.0
    assert all(problem.element == camera.id for problem in problems)


@given(st.dictionaries(st.text(), st.text()))
def test_camera_from_any_tags_never_raises(tags: dict[str, str]) -> None:
    camera, problems = build(tags)
    assert_camera_invariants(camera, problems)
    assert camera.tags == tags


@given(st.dictionaries(st.sampled_from(KEYS), st.text()))
def test_camera_from_any_values_of_known_keys_never_raises(tags: dict[str, str]) -> None:
    camera, problems = build(tags)
    assert_camera_invariants(camera, problems)


@given(st.dictionaries(st.sampled_from(FIELDS), st.text()))
def test_camera_from_any_field_values_never_raises(fields: dict[str, str]) -> None:
    camera, problems = build({}, fields=fields)
    assert_camera_invariants(camera, problems)
    assert all(p.key.startswith("field ") or p.key == "surveillance:type" for p in problems)
