"""The command line, run as a user runs it: a real process, real files, exit codes."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import click
import pyogrio
import pytest

import camatlas
from camatlas import cli
from camatlas.cli.render import errors
from tests.cli import run_camatlas, start_camatlas
from tests.factories import small_city

REPO = Path(__file__).resolve().parent.parent


def write_csv(path: Path, rows: int, start: int = 0) -> Path:
    lines = ["id,name,latitude,longitude,camera:direction"]
    for i in range(start, start + rows):
        lines.append(
            f"{i},Camera {i},{41.0 + (i % 1000) * 1e-4:.6f},"
            f"{-8.0 - (i // 1000) * 1e-4:.6f},{i % 360}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def atlas_content(path: Path) -> tuple[object, ...]:
    with camatlas.open_atlas(path, create=False) as atlas:
        cams = atlas.cameras()
        return (
            len(cams),
            tuple(sorted(cams["id"])),
            tuple(sorted(cams["name"].fillna(""))),
            len(atlas.sources()),
            len(atlas.streets()),
            len(atlas.normalization_report()),
        )


EVERY_COMMAND = (
    "import", "validate", "fetch", "stats", "export", "vendors", "todo", "copy",
    "sight", "measure", "route", "graph", "exposure", "serve",
)  # fmt: skip


def test_the_command_lists_every_command_in_order() -> None:
    top = run_camatlas("--help").stdout
    commands = top.split("\nCommands:\n", 1)[1]
    listed = [c for c in re.findall(r"^  (\w+)\s", commands, flags=re.M) if c in EVERY_COMMAND]
    assert listed == list(EVERY_COMMAND)
    assert list(cli.COMMANDS) == list(EVERY_COMMAND)


@pytest.mark.parametrize("command", EVERY_COMMAND)
def test_help_explains_every_command_and_option(command: str) -> None:
    proc = run_camatlas(command, "--help")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert f"Usage: python -m camatlas {command}" in " ".join(proc.stdout.split())
    summary = (cli.COMMANDS[command].help or "").strip().splitlines()[0]
    assert summary and summary.split(":")[0][:30] in " ".join(proc.stdout.split())
    # Every option says what it is for (click would print it without a word otherwise).
    click_command = cli.app.commands[command]
    for param in click_command.params:
        if param.name != "help":
            assert getattr(param, "help", None), f"{command} --{param.name} has no help"


def test_import_then_stats_json(tmp_path: Path) -> None:
    atlas = tmp_path / "a.gpkg"
    csv = write_csv(tmp_path / "registry.csv", 25)
    run_camatlas("import", csv, "--atlas", atlas)
    stats = json.loads(run_camatlas("stats", "--atlas", atlas, "--json").stdout)
    assert stats["cameras"] == 25
    assert stats["direction"] == {"known": 25, "unknown": 0}
    assert stats["by_source"] == {"registry": 25}


def test_stats_text_shows_every_breakdown_of_the_json_with_units(tmp_path: Path) -> None:
    atlas = tmp_path / "a.gpkg"
    run_camatlas("import", write_csv(tmp_path / "registry.csv", 25), "--atlas", atlas)
    stats = json.loads(run_camatlas("stats", "--atlas", atlas, "--json").stdout)
    text = run_camatlas("stats", "--atlas", atlas).stdout
    breakdowns = [k for k, v in stats.items() if isinstance(v, dict)]
    assert "by_mount" in breakdowns and "direction" in breakdowns
    for key in breakdowns:
        title = key.replace("by_", "by ").replace("_", " ")
        assert title in text, key
    assert text.count("camera records") >= len(breakdowns)  # the unit of every count column
    assert text.count("share of 25") == len(breakdowns)
    assert "25 camera records" in text


def test_second_import_of_the_same_file_reports_unchanged(tmp_path: Path) -> None:
    atlas = tmp_path / "a.gpkg"
    csv = write_csv(tmp_path / "registry.csv", 5)
    run_camatlas("import", csv, "--atlas", atlas)
    before = atlas_content(atlas)
    second = json.loads(run_camatlas("import", csv, "--atlas", atlas, "--json").stdout)
    assert second["imports"][0]["status"] == "unchanged"
    assert atlas_content(atlas) == before


def test_bad_row_fails_with_file_line_and_value_and_writes_nothing(tmp_path: Path) -> None:
    atlas = tmp_path / "a.gpkg"
    run_camatlas("import", write_csv(tmp_path / "good.csv", 3), "--atlas", atlas)
    before = atlas_content(atlas)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lat,lon\n1,41.1,-8.6\n2,461.993.881,-8.6\n3,41.2,-8.7\n")
    proc = run_camatlas("import", bad, "--atlas", atlas, check=False)
    assert proc.returncode != 0
    assert "bad.csv" in proc.stderr and "line 3" in proc.stderr and "461.993.881" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert atlas_content(atlas) == before


def test_skip_bad_rows_imports_the_rest_and_lists_rejects(tmp_path: Path) -> None:
    atlas = tmp_path / "a.gpkg"
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lat,lon\n1,41.1,-8.6\n2,95.0,-8.6\n3,41.2,-8.7\n")
    rejected = tmp_path / "rejected.csv"
    run_camatlas("import", bad, "--atlas", atlas, "--skip-bad-rows", "--rejected", rejected)
    assert atlas_content(atlas)[0] == 2
    text = rejected.read_text()
    assert "line 3" in text and "95.0" in text


def test_a_bad_file_among_several_stops_before_anything_is_written(tmp_path: Path) -> None:
    atlas = tmp_path / "a.gpkg"
    good = write_csv(tmp_path / "good.csv", 4)
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    proc = run_camatlas("import", good, empty, "--atlas", atlas, check=False)
    assert proc.returncode != 0
    assert "empty.osm.pbf" in proc.stderr and "empty" in proc.stderr
    # The files are read before the atlas is created: it does not exist afterwards ...
    assert not atlas.exists() and list(tmp_path.glob("a.gpkg*")) == []
    # ... and an atlas that existed is left byte for byte as it was.
    run_camatlas("import", write_csv(tmp_path / "first.csv", 2), "--atlas", atlas)
    before = atlas.read_bytes()
    proc = run_camatlas("import", good, empty, "--atlas", atlas, check=False)
    assert proc.returncode != 0 and atlas.read_bytes() == before
    assert atlas_content(atlas)[0] == 2


def test_validate_is_a_dry_run(tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text(
        "id,lat,lon,camera:type,name\n1,41.1,-8.6,dome;fixed,[bold]x[/bold] <img src=x>\n"
    )
    proc = run_camatlas("validate", csv, cwd=tmp_path)
    assert "1 cameras" in proc.stdout
    assert "dome;fixed" in proc.stdout  # reported, not guessed
    result = json.loads(run_camatlas("validate", csv, "--json", cwd=tmp_path).stdout)
    assert result["files"][0]["cameras"] == 1
    assert any(r["key"] == "camera:type" for r in result["files"][0]["report"])
    # nothing written, beside the file or in the working folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_tag_values_are_printed_verbatim_not_as_markup(tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text("id,lat,lon,operator\n1,41.1,-8.6,[red]Evil[/red] <b>Corp</b>\n")
    atlas = tmp_path / "a.gpkg"
    run_camatlas("import", csv, "--atlas", atlas)
    assert "[red]Evil[/red] <b>Corp</b>" in run_camatlas("stats", "--atlas", atlas).stdout


def test_stats_on_a_missing_atlas_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_camatlas("stats", "--atlas", tmp_path / "nope.gpkg", check=False)
    assert proc.returncode != 0 and "no atlas here" in proc.stderr
    assert not (tmp_path / "nope.gpkg").exists()


def test_export_geojson_carries_attribution(tmp_path: Path) -> None:
    atlas = tmp_path / "a.gpkg"
    run_camatlas("import", write_csv(tmp_path / "r.csv", 3), "--atlas", atlas)
    out = tmp_path / "cams.geojson"
    proc = run_camatlas("export", "--atlas", atlas, "--format", "geojson", "--output", out)
    assert "OpenStreetMap contributors" in proc.stdout
    assert len(json.loads(out.read_text())["features"]) == 3


def test_kill_9_during_an_import_leaves_the_atlas_intact(tmp_path: Path) -> None:
    atlas = tmp_path / "a.gpkg"
    run_camatlas("import", write_csv(tmp_path / "small.csv", 10), "--atlas", atlas)
    before = atlas_content(atlas)
    size_before = atlas.stat().st_size
    big = write_csv(tmp_path / "big.csv", 120_000, start=10_000)
    journal = atlas.with_name(atlas.name + "-journal")
    proc = start_camatlas(
        "import", big, "--atlas", atlas, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 240
    # Wait until the import is writing: SQLite's rollback journal exists and
    # changed pages have already spilled into the atlas file itself.
    while not (journal.exists() and atlas.stat().st_size > size_before):
        assert proc.poll() is None, "the import ended before it could be killed"
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert journal.exists(), "the kill should leave a hot journal behind"
    assert atlas_content(atlas) == before
    with sqlite3.connect(atlas) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The atlas is usable afterwards: the next import lands whole.
    run_camatlas("import", write_csv(tmp_path / "more.csv", 5, start=500), "--atlas", atlas)
    assert atlas_content(atlas)[0] == 15


def test_import_records_the_table_options_that_read_the_file(tmp_path: Path) -> None:
    atlas = tmp_path / "a.gpkg"
    csv = tmp_path / "odd.csv"
    csv.write_text("CAM_NO;LAT_WGS84;LON_WGS84;radius\nA1;41.15;-8.61;25\nA2;41.16;-8.62;40\n")
    run_camatlas(
        "import", csv, "--atlas", atlas, "--lat", "LAT_WGS84", "--lon", "LON_WGS84",
        "--id-column", "CAM_NO", "--column", "range_m=radius", "--delimiter", ";",
    )  # fmt: skip
    with camatlas.open_atlas(atlas, create=False) as opened:
        options = json.loads(opened.sources()["options"].iloc[0])
        assert sorted(opened.cameras()["range_m"]) == [25.0, 40.0]
    assert options["table"]["lat"] == "LAT_WGS84" and options["table"]["lon"] == "LON_WGS84"
    assert options["table"]["id"] == "CAM_NO" and options["table"]["delimiter"] == ";"
    assert options["table"]["columns"] == {"range_m": "radius"}
    assert options["link_distance_m"] == 15.0 and "cameras" in options["layers"]


def test_export_of_a_result_layer_and_of_everything(tmp_path: Path) -> None:
    atlas = tmp_path / "city.gpkg"
    with camatlas.open_atlas(atlas) as opened:
        opened.import_data(small_city(), sha256="small-city")
    run_camatlas("sight", "--atlas", atlas)
    views = tmp_path / "views.geojson"
    run_camatlas("export", "--atlas", atlas, "--layer", "views", "--output", views)
    read = pyogrio.read_dataframe(views)
    assert len(read) == 3 and set(read["level"]) == {"view"}
    everything = tmp_path / "all.gpkg"
    run_camatlas("export", "--atlas", atlas, "--format", "gpkg", "--output", everything)
    layers = {name for name, _ in pyogrio.list_layers(everything)}
    assert {"cameras", "streets", "buildings", "areas", "views", "view_zones"} <= layers
    assert len(pyogrio.read_dataframe(everything, layer="view_zones")) > 3
    unknown = run_camatlas(
        "export", "--atlas", atlas, "--layer", "nothing", "--output", tmp_path / "x.geojson",
        check=False,
    )  # fmt: skip
    assert unknown.returncode == 1 and "no layer 'nothing'" in unknown.stderr
    # the message lists what may be exported
    message = " ".join(unknown.stderr.split())
    assert "cameras, streets, buildings, areas" in message and "views, view_zones" in message
    assert "Traceback" not in unknown.stderr
    assert not (tmp_path / "x.geojson").exists()


def test_export_into_a_path_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    atlas = tmp_path / "a.gpkg"
    run_camatlas("import", write_csv(tmp_path / "r.csv", 3), "--atlas", atlas)
    before = atlas.read_bytes()
    (tmp_path / "link.gpkg").symlink_to(atlas)
    cases = {
        tmp_path / "missing" / "cams.geojson": "no such folder",
        tmp_path: "is a folder",
        atlas: "would overwrite",
        tmp_path / "link.gpkg": "would overwrite",
        tmp_path / "a.gpkg-journal": "would overwrite",
    }
    for output, words in cases.items():
        proc = run_camatlas(
            "export", "--atlas", atlas, "--format", "gpkg", "--output", output, check=False
        )
        assert proc.returncode == 1, output
        assert words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert atlas.read_bytes() == before
    # A failed export leaves the file already there as it was, and nothing beside it.
    kept = tmp_path / "kept.geojson"
    kept.write_text("{}")
    run_camatlas("sight", "--atlas", atlas)
    proc = run_camatlas(
        "export", "--atlas", atlas, "--layer", "nothing", "--output", kept, check=False
    )
    assert proc.returncode == 1 and kept.read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.gpkg", "kept.geojson", "link.gpkg", "r.csv",
    ]  # fmt: skip


def test_rejected_rows_never_overwrite_an_input_or_the_atlas(tmp_path: Path) -> None:
    atlas = tmp_path / "a.gpkg"
    run_camatlas("import", write_csv(tmp_path / "good.csv", 3), "--atlas", atlas)
    bad = tmp_path / "bad.csv"
    bad.write_text("lat,lon\n41.15,-8.61\n41.16,-8.6x\n", encoding="utf-8")
    before, text = atlas.read_bytes(), bad.read_text()
    (tmp_path / "link.csv").symlink_to(bad)
    for target in (atlas, bad, tmp_path / "link.csv", tmp_path / "a.gpkg-wal", tmp_path):
        proc = run_camatlas("import", bad, "--atlas", atlas, "--skip-bad-rows",
                            "--rejected", target, check=False)  # fmt: skip
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert "would overwrite" in proc.stderr or "is a folder" in proc.stderr
        assert atlas.read_bytes() == before and bad.read_text() == text
    with camatlas.open_atlas(atlas) as opened:
        assert len(opened.sources()) == 1  # the refused imports wrote nothing
    done = run_camatlas("import", bad, "--atlas", atlas, "--skip-bad-rows",
                        "--rejected", tmp_path / "rejected.csv")  # fmt: skip
    assert "41.16,-8.6x" not in done.stderr and (tmp_path / "rejected.csv").exists()


def test_a_file_that_cannot_be_read_or_written_is_a_message_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(click.exceptions.Exit) as info, errors():
        raise PermissionError(13, "Permission denied", "/srv/atlas.gpkg")
    assert info.value.exit_code == 1
    assert "error: /srv/atlas.gpkg: Permission denied" in " ".join(capsys.readouterr().err.split())


def test_rejected_rows_into_a_missing_folder_are_refused_before_the_import(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text("id,lat,lon\na,41.15,-8.61\nb,not,-8.62\n")
    proc = run_camatlas(
        "import", csv, "--atlas", tmp_path / "a.gpkg", "--skip-bad-rows",
        "--rejected", tmp_path / "missing" / "rejected.csv", check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and "no such folder" in proc.stderr
    assert not (tmp_path / "a.gpkg").exists()


@pytest.mark.parametrize("value", ["nan", "-1", "inf", "-inf", "1e9"])
def test_a_link_distance_that_is_not_a_distance_is_refused(tmp_path: Path, value: str) -> None:
    table = tmp_path / "cams.csv"
    table.write_text("lat,lon\n41.15,-8.61\n", encoding="utf-8")
    atlas = tmp_path / "city.gpkg"
    proc = run_camatlas("import", str(table), "--atlas", str(atlas), "--link-distance", value,
                        check=False)  # fmt: skip
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "link distance must be a number of metres" in proc.stderr
    with camatlas.open_atlas(atlas) as opened:
        assert len(opened.sources()) == 0 and len(opened.cameras()) == 0
        with pytest.raises(camatlas.InputError, match="link distance"):
            opened.import_data(small_city(), sha256="city", link_distance_m=float(value))
        assert len(opened.sources()) == 0
        # 0 turns linking off; it is a distance too.
        opened.import_data(small_city(), sha256="city", link_distance_m=0.0)
        assert len(opened.cameras()) == 3


def test_control_characters_in_values_never_reach_the_terminal(tmp_path: Path) -> None:
    # Tag values are written by strangers: clear screen, colours, a window title, a bell.
    hostile = "\x1b[2J\x1b]0;pwned\x07\x1b[31mred\x9b1m"
    table = tmp_path / "cams.csv"
    table.write_text(
        f'lat,lon,operator,name,camera:type\n41.15,-8.61,"{hostile}","{hostile}","{hostile}"\n',
        encoding="utf-8",
    )
    atlas = tmp_path / "a.gpkg"
    outputs = [
        run_camatlas("validate", table),
        run_camatlas("import", table, "--atlas", atlas),
        run_camatlas("stats", "--atlas", atlas),
        run_camatlas("stats", "--atlas", atlas, "--json"),
        run_camatlas("measure", "--atlas", atlas),
    ]
    for proc in outputs:
        for text in (proc.stdout, proc.stderr):
            assert not any(c in text for c in "\x1b\x07\x9b"), text
    assert "\\x1b" in outputs[2].stdout or "\\u001b" in outputs[3].stdout  # shown, escaped
