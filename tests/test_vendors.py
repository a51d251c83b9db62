"""The vendor registry, vendor names as mappers write them, and dated risk lists."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import camatlas
from camatlas.dates import parse_period
from camatlas.errors import InputError
from camatlas.vendors import (
    VENDOR_STATUSES,
    Registry,
    load_registry,
    name_key,
    read_registry,
    shipped_registry_path,
    vendor_frame,
)
from tests.cli import run_camatlas
from tests.osmfiles import OsmData, write_xml

SCHEMA = shipped_registry_path().with_name("vendors.schema.json")


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


def write_registry(path: Path, **parts: Any) -> Path:
    data = {"format": "camatlas-vendors", "version": 1, **parts}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# --- the shipped registry ------------------------------------------------------------------


def test_the_shipped_registry_is_valid_by_its_schema_and_by_the_reader() -> None:
    data = json.loads(shipped_registry_path().read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)
    vendors, lists = read_registry(shipped_registry_path())
    assert len(vendors) == len(data["vendors"]) and len(lists) == len(data["lists"])
    ids = {v.id for v in vendors}
    for risk in lists:
        assert {e.vendor for e in risk.entries} <= ids
        assert risk.document and risk.date.text
    for vendor in vendors:
        assert not vendor.parent or vendor.parent in ids  # parents are vendors of the registry


def test_the_schema_refuses_what_the_reader_refuses(tmp_path: Path) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    bad = [
        {"vendors": [{"id": "x", "name": "X", "country": "cn"}]},
        {"lists": [{"id": "l", "name": "L", "document": "D", "date": "2023-13-45"}]},
        {"vendors": [{"id": "x", "name": "X", "colour": "red"}]},
        {"vendors": [{"id": "x", "name": "X", "wikidata": [{"id": "Hikvision", "source": "s"}]}]},
    ]
    for k, parts in enumerate(bad):
        data = {"format": "camatlas-vendors", "version": 1, **parts}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, schema)
        with pytest.raises(InputError):
            read_registry(write_registry(tmp_path / f"bad{k}.json", **parts))


def test_the_risk_lists_hold_the_documents_dates_and_vendors_asked_for(registry: Registry) -> None:
    lists = registry.lists
    five = {"huawei", "zte", "hytera", "hikvision", "dahua"}
    assert lists["FCC"].date.text == "2021-03-12"
    assert {e.vendor for e in lists["FCC"].entries} == five
    # Hytera, Hikvision and Dahua only for public safety, government and infrastructure uses.
    scopes = {e.vendor: e.scope for e in lists["FCC"].entries}
    assert all("public safety" in scopes[v] for v in ("hytera", "hikvision", "dahua"))
    assert "public safety" not in scopes["huawei"]
    assert lists["FCC-22-84"].date.text == "2022-11-25"
    assert lists["NDAA-889"].date.text == "2019-08-13"
    assert "2018-08-13" in lists["NDAA-889"].document and "2020-08-13" in lists["NDAA-889"].scope
    assert {e.vendor for e in lists["ENTITY-LIST"].entries} == {
        "hikvision", "dahua", "iflytek", "megvii", "sensetime", "yitu", "meiya-pico", "yixin"
    }  # fmt: skip
    assert lists["ENTITY-LIST"].date.text == "2019-10-09"
    assert lists["UK-2022"].date.text == "2022-11-24" and lists["UK-2022"].rule_country == "CN"
    assert lists["AU-2023"].date.text.startswith("2023")


def test_every_name_of_every_vendor_finds_it_however_it_is_cased_or_spaced(
    registry: Registry,
) -> None:
    for vendor in registry.vendors.values():
        for name in vendor.names():
            spaced = name.replace(" ", "  ")
            for written in (name, name.upper(), name.lower(), f"  {name}  ", spaced):
                assert registry.find(written) == {vendor.id}, (vendor.id, written)


# --- names as mappers write them -------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "vendor"),
    [
        ({"manufacturer": "hikvision"}, "hikvision"),
        ({"manufacturer": "HIKVISION"}, "hikvision"),
        ({"manufacturer": "Hikvision Digital Technology"}, "hikvision"),
        ({"manufacturer": "Hangzhou Hikvision Digital Technology Co., Ltd."}, "hikvision"),
        ({"manufacturer": "Hik-Vision"}, "hikvision"),
        ({"brand": "海康威视"}, "hikvision"),
        ({"surveillance:manufacturer": "大华"}, "dahua"),
        ({"surveillance:brand": "Dahua Technology Co., Ltd"}, "dahua"),
        ({"camera:manufacturer": "axis communications ab"}, "axis"),
        ({"Manufacturer": "Bosch"}, "bosch"),  # a key written with a capital
        ({"manufacturer:wikidata": "Q108485435"}, "flock-safety"),
        ({"brand:wikidata": "Q18111506"}, "dahua"),
        ({"make": "Samsung Techwin"}, "hanwha"),  # a registry column, a former name
        ({"manufacturer": "Flock Safety", "manufacturer:wikidata": "Q108485435"}, "flock-safety"),
        # A subsidiary and its parent agree: the more specific is meant.
        ({"brand": "Avigilon", "manufacturer": "Motorola Solutions"}, "avigilon"),
    ],
)
def test_vendor_tags_as_mappers_write_them(
    registry: Registry, tags: dict[str, str], vendor: str
) -> None:
    found = registry.match(tags)
    assert (found.vendor, found.status) == (vendor, "matched"), found


def test_a_model_column_with_the_vendor_first_gives_both(registry: Registry) -> None:
    found = registry.match({"camera_model": "Zmodo ZP-IBH23-S"})
    assert (found.vendor, found.model, found.status) == ("zmodo", "ZP-IBH23-S", "matched")
    found = registry.match({"manufacturer": "Hikvision", "model": "DS-2CD2043G2-I"})
    assert (found.vendor, found.model) == ("hikvision", "DS-2CD2043G2-I")
    # A model alone names no vendor, and is kept as written.
    alone = registry.match({"model": "DS-2CD2043G2-I"})
    assert (alone.vendor, alone.model, alone.status) == (None, "DS-2CD2043G2-I", "none")


@pytest.mark.parametrize(
    ("tags", "status", "in_note"),
    [
        ({"manufacturer": "Acme Cams"}, "unmatched", "manufacturer=Acme Cams"),
        ({"manufacturer": "Axis Bank"}, "unmatched", "Axis Bank"),  # a first word is no match
        ({"manufacturer:wikidata": "Q1"}, "unmatched", "does not know"),
        ({"manufacturer:wikidata": "hikvision"}, "unmatched", "not a Wikidata id"),
        ({"brand": "Dahua", "manufacturer": "Hikvision"}, "conflict", "brand=Dahua says dahua"),
        ({"manufacturer": "Flock Safety", "manufacturer:wikidata": "Q18111506"}, "conflict",
         "manufacturer:wikidata=Q18111506 says dahua"),
        ({"manufacturer": "Hikvision;Dahua"}, "conflict", "manufacturer=Hikvision says hikvision"),
        ({"name": "Hikvision camera"}, "none", ""),  # a name is not a vendor tag
        ({}, "none", ""),
    ],
)  # fmt: skip
def test_unmatched_and_conflicting_vendors_are_reported_not_guessed(
    registry: Registry, tags: dict[str, str], status: str, in_note: str
) -> None:
    found = registry.match(tags)
    assert found.status == status and found.vendor is None, found
    assert in_note in found.note


def test_a_vendor_known_beside_an_unknown_value_is_matched_with_a_note(registry: Registry) -> None:
    found = registry.match({"manufacturer": "Hikvision", "brand": "NoName Security"})
    assert (found.vendor, found.status) == ("hikvision", "matched")
    assert "brand=NoName Security: not in the vendor registry" in found.note


def test_a_name_two_vendors_share_is_a_conflict(tmp_path: Path) -> None:
    path = write_registry(tmp_path / "r.json", vendors=[
        {"id": "a", "name": "Alpha", "aliases": ["AV"]},
        {"id": "b", "name": "Beta", "aliases": ["av"]},
    ])  # fmt: skip
    registry = load_registry([path], shipped=False)
    found = registry.match({"manufacturer": "AV"})
    assert (found.vendor, found.status) == (None, "unmatched")
    assert "names a, b" in found.note
    found = registry.match({"manufacturer": "Alpha", "brand": "AV"})
    assert (found.vendor, found.status) == (None, "conflict")


def test_name_keys_drop_case_punctuation_blanks_and_legal_forms() -> None:
    assert name_key("Zhejiang Dahua Technology Co., Ltd.") == "zhejiangdahuatechnology"
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "HIKVISION")  # as some fonts write
    assert name_key(full_width) == "hikvision"  # (NFKC)
    assert name_key("Face++") == "face++"
    assert name_key("Limited") == "limited"  # a legal form alone stays a name


# --- dates ----------------------------------------------------------------------------------


def test_dates_are_a_day_a_month_or_a_year_and_nothing_else() -> None:
    assert parse_period("2021-03-12").effective == dt.date(2021, 3, 12)
    # A month or a year counts from the day after it: never earlier than it may have been.
    assert parse_period("2023-02").effective == dt.date(2023, 3, 1)
    assert parse_period("2023-12").last == dt.date(2023, 12, 31)
    assert parse_period("2019").effective == dt.date(2020, 1, 1)
    for bad in ("2023-13-45", "2023-02-30", "spring 2019", "", "19-01-2020", "2020/01/01"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_a_vendor_is_not_listed_before_the_list_existed(registry: Registry) -> None:
    assert registry.flags("dahua", "2019-08-12") == ()
    assert registry.flags("dahua", "2019-08-13") == ("NDAA-889",)
    assert registry.flags("dahua", "2019-10-09") == ("NDAA-889", "ENTITY-LIST")
    assert "FCC" not in registry.flags("hikvision", "2021-03-11")
    assert "FCC" in registry.flags("hikvision", "2021-03-12")
    # The UK statement names no company: it applies to vendors headquartered in China.
    assert "UK-2022" in registry.flags("uniview", "2022-11-24")
    assert "UK-2022" not in registry.flags("uniview", "2022-11-23")
    assert "UK-2022" not in registry.flags("axis", "2025-01-01")
    # Dated to a month: counted from the month after.
    assert "AU-2023" not in registry.flags("hikvision", "2023-02-28")
    assert "AU-2023" in registry.flags("hikvision", "2023-03-01")
    assert registry.flags("axis", "2025-01-01") == ()
    assert registry.flags(None) == ()


def test_an_entry_added_later_than_its_list_counts_from_its_own_date(tmp_path: Path) -> None:
    path = write_registry(
        tmp_path / "r.json",
        vendors=[{"id": "a", "name": "Alpha"}, {"id": "b", "name": "Beta"}],
        lists=[{"id": "L", "name": "L", "document": "Doc", "date": "2020-01-01",
                "entries": [{"vendor": "a"}, {"vendor": "b", "date": "2022-06-01"}]}],
    )  # fmt: skip
    registry = load_registry([path], shipped=False)
    assert registry.flags("a", "2021-01-01") == ("L",) and registry.flags("b", "2021-01-01") == ()
    assert registry.flags("b", "2022-06-01") == ("L",)


def test_asking_as_of_a_date_that_is_not_a_day_is_an_error(registry: Registry) -> None:
    for bad in ("2023-13-45", "spring 2019", "2023"):
        with pytest.raises(InputError, match="as of"):
            registry.flags("dahua", bad)


def test_an_unknown_list_id_is_an_error_naming_the_lists(registry: Registry) -> None:
    assert registry.check_lists(["fcc", "ENTITY-list"]) == ["FCC", "ENTITY-LIST"]
    with pytest.raises(InputError, match=r"no such risk list.*FCC") as info:
        registry.check_lists(["FCC-1999"])
    assert info.value.value == "FCC-1999"


# --- a user's registry -----------------------------------------------------------------------


def test_a_users_registry_adds_vendors_and_replaces_by_id(tmp_path: Path) -> None:
    path = write_registry(
        tmp_path / "mine.json",
        vendors=[
            {"id": "acme", "name": "Acme Cams", "aliases": ["ACME"], "country": "US"},
            {"id": "axis", "name": "Axis", "aliases": ["Axis Communications", "アクシス"],
             "country": "SE"},
        ],
        lists=[{"id": "CITY-BAN", "name": "City ban", "document": "Council resolution 12/2024",
                "date": "2024-05-02", "entries": [{"vendor": "acme"}]}],
    )  # fmt: skip
    registry = load_registry([path])
    assert registry.match({"manufacturer": "acme"}).vendor == "acme"
    assert registry.match({"brand": "アクシス"}).vendor == "axis"
    assert registry.vendors["axis"].origin == str(path)
    assert registry.flags("acme", "2024-05-02") == ("CITY-BAN",)
    assert "hikvision" in registry.vendors  # the shipped ones stay


@pytest.mark.parametrize(
    ("content", "message", "element"),
    [
        ("{not json", "not JSON", None),
        ('{"format": "geojson", "version": 1}', "not a camatlas vendor registry", "format"),
        ('{"format": "camatlas-vendors", "version": 1, "vendors": {}}', "expected a list",
         "the file: vendors"),
        ('{"format": "camatlas-vendors", "version": 1, "vendors": [{"id": "x"}]}',
         "missing 'name'", "vendors[0]"),
        ('{"format": "camatlas-vendors", "version": 1, "vendors": [{"id": "x", "name": "X", '
         '"country": "China"}]}', "country code", "vendors[0].country"),
        ('{"format": "camatlas-vendors", "version": 1, "vendors": [{"id": "x y", "name": "X"}]}',
         "not an id", "vendors[0].id"),
        ('{"format": "camatlas-vendors", "version": 1, "vendors": [{"id": "x", "name": "X"}, '
         '{"id": "x", "name": "Y"}]}', "a second vendor", "vendors[1].id"),
        ('{"format": "camatlas-vendors", "version": 1, "lists": [{"id": "l", "name": "L", '
         '"document": "D", "date": "spring 2019"}]}', "not a date", "lists[0].date"),
        ('{"format": "camatlas-vendors", "version": 1, "lists": [{"id": "l", "name": "L", '
         '"document": "D", "date": "2023-13-45"}]}', "no such date", "lists[0].date"),
        ('{"format": "camatlas-vendors", "version": 1, "lists": [{"id": "l", "name": "L", '
         '"document": "D", "date": "2023-02-30"}]}', "no such date", "lists[0].date"),
    ],
)  # fmt: skip
def test_a_bad_registry_file_is_an_error_naming_file_element_and_value(
    tmp_path: Path, content: str, message: str, element: str | None
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        load_registry([path])
    assert info.value.path == str(path)
    assert info.value.element == element


def test_a_list_naming_a_vendor_no_registry_has_is_an_error(tmp_path: Path) -> None:
    path = write_registry(tmp_path / "r.json", lists=[
        {"id": "L", "name": "L", "document": "D", "date": "2020", "entries": [{"vendor": "nope"}]}
    ])  # fmt: skip
    with pytest.raises(InputError, match="in no registry file") as info:
        load_registry([path])
    assert info.value.value == "nope" and info.value.path == str(path)


# --- many cameras, an atlas, the command line ------------------------------------------------


def test_vendor_frame_matches_each_cameras_tags_in_order(registry: Registry) -> None:
    tags: list[Any] = [
        json.dumps({"manufacturer": "Dahua"}),
        {"brand": "Axis"},
        None,
        "",
        json.dumps({"manufacturer": "Dahua"}),
        json.dumps({"brand": "Dahua", "manufacturer": "Hikvision"}),
    ]
    frame = vendor_frame(tags, registry, as_of="2020-01-01")
    assert frame["vendor"].fillna("").tolist() == ["dahua", "axis", "", "", "dahua", ""]
    assert frame["vendor_name"].tolist()[:2] == ["Dahua Technology", "Axis Communications"]
    assert frame["vendor_status"].tolist() == ["matched", "matched", "none", "none", "matched",
                                               "conflict"]  # fmt: skip
    assert set(frame["vendor_status"]) <= set(VENDOR_STATUSES)
    assert frame["flags"].tolist()[0] == ("NDAA-889", "ENTITY-LIST")
    assert frame["flags"].tolist()[1] == ()


def vendor_city(path: Path) -> Path:
    """An OSM file of eight cameras with vendor tags as mappers write them."""
    d = OsmData()
    cams = [
        {"manufacturer": "Hikvision"},
        {"manufacturer": "HIKVISION", "model": "DS-2CD2043G2-I"},
        {"brand": "海康威视"},
        {"manufacturer": "Dahua Technology", "manufacturer:wikidata": "Q18111506"},
        {"manufacturer": "Axis"},
        {"manufacturer": 'Acme <Cams> & "Co"'},  # written by a stranger: escaped everywhere
        {"brand": "Dahua", "manufacturer": "Hikvision"},
        {},
    ]
    for k, tags in enumerate(cams):
        d.node(k + 1, -8.61 + k * 1e-4, 41.15, {"man_made": "surveillance",
                                                "surveillance:type": "camera", **tags})  # fmt: skip
    return write_xml(path, d)


def test_stats_break_cameras_down_by_vendor_and_by_risk_list_as_of_a_day(tmp_path: Path) -> None:
    atlas_path = tmp_path / "a.gpkg"
    with camatlas.open_atlas(atlas_path) as atlas:
        atlas.import_file(vendor_city(tmp_path / "v.osm"))
        stats = atlas.stats(as_of="2021-03-12").to_dict()
        early = atlas.stats(as_of="2019-01-01").to_dict()
        frame = atlas.vendors(as_of="2021-03-12")
    assert stats["by_vendor"] == {"Hikvision": 3, "(unknown)": 3, "Axis Communications": 1,
                                  "Dahua Technology": 1}  # fmt: skip
    assert stats["by_vendor_status"] == {"matched": 5, "conflict": 1, "none": 1, "unmatched": 1}
    assert stats["by_flag"]["FCC"] == 4 and stats["by_flag"]["ENTITY-LIST"] == 4
    assert stats["by_flag"]["FCC-22-84"] == 0  # not yet in force on 2021-03-12
    assert stats["by_flag"]["(on no list)"] == 4
    assert early["by_flag"]["FCC"] == 0 and early["by_flag"]["(on no list)"] == 8
    assert stats["as_of"] == "2021-03-12"
    assert {item["id"] for item in stats["lists"]} >= {"FCC", "NDAA-889"}
    assert frame.loc[frame["id"] == "osm:node/2", "model"].item() == "DS-2CD2043G2-I"


def test_the_vendors_command_lists_the_registry_and_an_atlases_vendors(tmp_path: Path) -> None:
    atlas_path = tmp_path / "a.gpkg"
    run_camatlas("import", vendor_city(tmp_path / "v.osm"), "--atlas", atlas_path)
    listed = json.loads(run_camatlas("vendors", "--json").stdout)
    assert {"FCC", "ENTITY-LIST"} <= {item["id"] for item in listed["lists"]}
    assert any(v["id"] == "hikvision" and "海康威视" in v["aliases"] for v in listed["vendors"])
    found = json.loads(run_camatlas("vendors", "--atlas", atlas_path, "--as-of", "2020-01-01",
                                    "--json").stdout)["atlas"]  # fmt: skip
    assert found["by_vendor"]["Hikvision [NDAA-889, ENTITY-LIST]"] == 3
    assert found["by_vendor"]["Axis Communications"] == 1
    notes = {row["note"]: row for row in found["report"]}
    stranger = 'manufacturer=Acme <Cams> & "Co": not in the vendor registry'
    assert notes[stranger]["status"] == "unmatched" and notes[stranger]["cameras"] == 1
    assert any(row["status"] == "conflict" and "brand=Dahua says dahua" in row["note"]
               for row in found["report"])  # fmt: skip
    text = run_camatlas("vendors", "--atlas", atlas_path).stdout
    assert "Normalization report" in text and "Acme <Cams>" in text
    assert "Security Update: Surveillance Equipment" in text
    stats = run_camatlas("stats", "--atlas", atlas_path, "--as-of", "2020-01-01").stdout
    assert "by vendor" in stats and "FCC Covered List (2021-03-12)" in stats
    assert "as of 2020-01-01" in stats


def test_the_command_line_refuses_a_bad_registry_and_a_bad_day(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "camatlas-vendors", "version": 1, "lists": [{"id": "l", '
                   '"name": "L", "document": "D", "date": "2023-13-45"}]}')  # fmt: skip
    proc = run_camatlas("vendors", "--registry", bad, check=False)
    assert proc.returncode != 0
    assert str(bad) in proc.stderr and "lists[0].date" in proc.stderr
    assert "2023-13-45" in proc.stderr
    proc = run_camatlas("vendors", "--registry", tmp_path / "none.json", check=False)
    assert proc.returncode != 0 and "no such registry file" in proc.stderr
    atlas_path = tmp_path / "a.gpkg"
    run_camatlas("import", vendor_city(tmp_path / "v.osm"), "--atlas", atlas_path)
    proc = run_camatlas("stats", "--atlas", atlas_path, "--as-of", "spring 2019", check=False)
    assert proc.returncode != 0 and "spring 2019" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- measure: the street metres watched by cameras of listed vendors ---------------------------


def vendor_town(path: Path) -> Path:
    """The small city of the tests, its dome by Hikvision, its fixed camera by Axis."""
    from tests.osmfiles import small_city_osm

    data = small_city_osm()
    brands = {1: {"manufacturer": "Hikvision"}, 2: {"brand": "Axis Communications"}}
    data.nodes = [
        (nid, lon, lat, {**tags, **brands.get(nid, {})}, ts)
        for nid, lon, lat, tags, ts in data.nodes
    ]
    return write_xml(path, data)


def test_measure_counts_only_the_cameras_of_listed_vendors_as_of_a_day(tmp_path: Path) -> None:
    with camatlas.open_atlas(tmp_path / "a.gpkg") as atlas:
        atlas.import_file(vendor_town(tmp_path / "town.osm"))
        every = camatlas.measure(atlas, write=False).summary
        listed = camatlas.measure(atlas, flags=["fcc"], as_of="2022-01-01", write=False)
        hikvision = camatlas.measure(atlas, vendors=["Hikvision"], write=False).summary
        axis = camatlas.measure(atlas, vendors=["axis"], write=False).summary
        before = camatlas.measure(atlas, flags=["FCC"], as_of="2021-03-11", write=False).summary
    summary = listed.summary
    assert (every["camera_records"], summary["camera_records"]) == (3, 1)
    assert axis["camera_records"] == 1 and before["camera_records"] == 0
    assert 0 < summary["watched_length_m"] < every["watched_length_m"]
    assert summary["watched_length_m"] == pytest.approx(hikvision["watched_length_m"], abs=1e-9)
    assert before["watched_length_m"] == 0
    # Each vendor's cameras watch part of what all cameras watch.
    assert 0 < axis["watched_length_m"] <= every["watched_length_m"] + 1e-9
    assert "FCC Covered List (2021-03-12), as of 2022-01-01" in summary["selection"]
    assert listed.parameters["flags"] == ["FCC"] and listed.parameters["as_of"] == "2022-01-01"
    assert every["selection"] == ""


def test_measure_refuses_an_unknown_vendor_or_list(tmp_path: Path) -> None:
    with camatlas.open_atlas(tmp_path / "a.gpkg") as atlas:
        atlas.import_file(vendor_town(tmp_path / "town.osm"))
        with pytest.raises(InputError, match="no such vendor") as info:
            camatlas.measure(atlas, vendors=["Acme"], write=False)
        assert info.value.value == "Acme"
        with pytest.raises(InputError, match="no such risk list"):
            camatlas.measure(atlas, flags=["FCC-1999"], write=False)
    atlas_path = tmp_path / "b.gpkg"
    run_camatlas("import", vendor_town(tmp_path / "t.osm"), "--atlas", atlas_path)
    out = run_camatlas("measure", "--atlas", atlas_path, "--flag", "FCC", "--as-of", "2022-01-01")
    assert "Selection: only cameras of vendors on FCC Covered List (2021-03-12)" in out.stdout
    proc = run_camatlas("measure", "--atlas", atlas_path, "--flag", "NOPE", check=False)
    assert proc.returncode != 0 and "NOPE" in proc.stderr and "Traceback" not in proc.stderr
