"""How fresh cameras are, and the tasks for mappers (``camatlas todo``)."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
import pytest

import camatlas
from camatlas.dates import parse_duration_days
from camatlas.errors import InputError
from camatlas.freshness import AGE_CLASSES, freshness_frame
from camatlas.pipelines.todo import todo, write_tasks
from tests.cli import run_camatlas
from tests.osmfiles import OsmData, write_xml

CAMERA = {"man_made": "surveillance", "surveillance:type": "camera"}


def test_the_last_check_is_the_latest_survey_date_as_old_as_its_last_day() -> None:
    frame = freshness_frame(
        [
            {"check_date": "2024-06-01"},
            {"check_date": "2018-01-10", "survey:date": "2023-12"},  # the later one counts
            {"source:date": "2019"},  # as old as 2019-12-31
            {"check_date": "2020-05-01;2016-01-01"},
            {"start_date": "2015-03-01"},  # installed: no check
            {"check_date": "spring 2019"},
            {"check_date": "2023-13-45", "survey:date": "2017-02-02"},
            {"check_date": "2031-01-01"},  # after the day asked as of
        ],
        as_of="2025-06-01",
    )
    assert frame["last_check"].tolist()[:4] == ["2024-06-01", "2023-12", "2019", "2020-05-01"]
    assert frame["checked_by"].tolist()[:3] == ["check_date", "survey:date", "source:date"]
    assert frame["age_class"].tolist() == [
        "under 1 year", "1 to 2 years", "5 years or more", "5 years or more", "no check date",
        "unreadable check date", "5 years or more", "unreadable check date",
    ]  # fmt: skip
    assert frame["check_age_years"].iat[2] == pytest.approx((365 + 152) / 365.25 + 4, abs=0.01)
    assert frame["installed"].iat[4] == "2015-03-01"
    assert "check_date=spring 2019: not a date" in frame["date_problem"].iat[5]
    assert "check_date=2023-13-45: no such date" in frame["date_problem"].iat[6]
    assert "after the day asked as of" in frame["date_problem"].iat[7]
    assert set(frame["age_class"]) <= set(AGE_CLASSES)


def test_spans_are_years_months_weeks_or_days() -> None:
    assert parse_duration_days("5y") == pytest.approx(5 * 365.25)
    assert parse_duration_days("18m") == pytest.approx(1.5 * 365.25)
    assert parse_duration_days(" 2W ") == 14 and parse_duration_days("90d") == 90
    for bad in ("5", "five years", "5 years", "-1y", "y"):
        with pytest.raises(ValueError):
            parse_duration_days(bad)


def stale_city(path: Path) -> Path:
    d = OsmData()
    d.node(1, -8.61, 41.15, {**CAMERA, "check_date": "2016-04-01", "camera:direction": "90"},
           "2016-04-02T10:00:00Z")  # fmt: skip
    d.node(2, -8.6101, 41.15, {**CAMERA, "check_date": "2024-09-01", "camera:type": "dome"},
           "2024-09-02T10:00:00Z")  # fmt: skip
    d.node(3, -8.6102, 41.15, {**CAMERA, "camera:direction": "0", "camera:type": "fixed",
                               "height": "4"}, "2015-01-01T00:00:00Z")  # fmt: skip
    named = {**CAMERA, "camera:direction": "0", "camera:type": "fixed", "height": "4",
             "name": 'Rua "<b>"'}  # fmt: skip
    d.node(4, -8.6103, 41.15, named, "2025-01-01T00:00:00Z")
    d.node(5, -8.6104, 41.15, {**CAMERA, "check_date": "May 2020", "camera:direction": "10",
                               "camera:type": "fixed", "height": "3"},
           "2025-01-01T00:00:00Z")  # fmt: skip
    return write_xml(path, d)


def test_todo_picks_old_and_incomplete_osm_cameras_with_what_to_check(tmp_path: Path) -> None:
    with camatlas.open_atlas(tmp_path / "a.gpkg") as atlas:
        atlas.import_file(stale_city(tmp_path / "c.osm"))
        old = todo(atlas, older_than="5y", as_of="2025-06-01")
        lacking = todo(atlas, missing=["direction", "height"], as_of="2025-06-01")
        both = todo(atlas, older_than="5y", missing=["type"], as_of="2025-06-01")
        stats = atlas.stats(as_of="2025-06-01").to_dict()
    tasks = old.tasks.set_index("id")
    # node 1 last checked 2016; node 3 never checked, untouched since 2015; node 5's date
    # cannot be read (reported for correction).
    assert sorted(tasks.index) == ["node/1", "node/3", "node/5"]
    assert "last checked 2016-04-01 (check_date), over 5y ago" in tasks.loc["node/1", "task"]
    assert "no check date, and not edited in OSM since 2015-01-01" in tasks.loc["node/3", "task"]
    assert "check_date=May 2020: not a date" in tasks.loc["node/5", "task"]
    assert tasks.loc["node/1", "url"] == "https://www.openstreetmap.org/node/1"
    assert sorted(lacking.tasks["id"]) == ["node/1", "node/2"]
    assert lacking.tasks.set_index("id").loc["node/2", "missing"] == "direction,height"
    assert sorted(both.tasks["id"]) == ["node/1", "node/3", "node/5"]
    assert "Add its type" in both.tasks.set_index("id").loc["node/1", "task"]
    assert stats["by_check_age"]["5 years or more"] == 1
    assert stats["by_check_age"]["no check date"] == 2
    assert stats["by_check_age"]["unreadable check date"] == 1
    # Written as GeoJSON that GDAL reads back, one feature per task.
    out = tmp_path / "tasks.geojson"
    assert write_tasks(old, out) == 3
    frame = pyogrio.read_dataframe(out, columns=["id", "url", "task"])
    assert sorted(frame["id"]) == ["node/1", "node/3", "node/5"]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and data["camatlas"]["as_of"] == "2025-06-01"


def test_todo_refuses_what_it_cannot_read_and_never_writes_over_the_atlas(tmp_path: Path) -> None:
    atlas_path = tmp_path / "a.gpkg"
    with camatlas.open_atlas(atlas_path) as atlas:
        atlas.import_file(stale_city(tmp_path / "c.osm"))
        with pytest.raises(InputError, match="say what to check"):
            todo(atlas)
        with pytest.raises(InputError, match="not a span") as info:
            todo(atlas, older_than="five years")
        assert info.value.value == "five years"
        with pytest.raises(InputError, match="not a field") as info:
            todo(atlas, missing=["colour"])
        assert info.value.value == "colour"
        result = todo(atlas, older_than="1y")
    before = atlas_path.read_bytes()
    with pytest.raises(InputError):
        write_tasks(result, atlas_path, protected=[atlas_path])
    assert atlas_path.read_bytes() == before


def test_the_todo_command_writes_a_challenge_file(tmp_path: Path) -> None:
    atlas_path = tmp_path / "a.gpkg"
    out = tmp_path / "tasks.geojson"
    run_camatlas("import", stale_city(tmp_path / "c.osm"), "--atlas", atlas_path)
    shown = run_camatlas("todo", "--atlas", atlas_path, "--older-than", "5y", "--missing",
                         "height", "--as-of", "2025-06-01", "-o", out, "--json")  # fmt: skip
    summary = json.loads(shown.stdout)
    assert summary["tasks"] == 4 and summary["osm_cameras"] == 5
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert {f["id"] for f in features} == {"node/1", "node/2", "node/3", "node/5"}
    proc = run_camatlas("todo", "--atlas", atlas_path, "--older-than", "5 years", "-o", out,
                        check=False)  # fmt: skip
    assert proc.returncode != 0 and "5 years" in proc.stderr and "Traceback" not in proc.stderr
    assert len(json.loads(out.read_text(encoding="utf-8"))["features"]) == 4  # left as it was
