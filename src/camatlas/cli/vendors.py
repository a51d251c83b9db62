"""Who makes the cameras and how fresh their data is: ``vendors`` (the registry, its risk
lists, an atlas's cameras by vendor) and ``todo`` (tasks for mappers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import camatlas
from camatlas.cli import options as opt
from camatlas.cli.render import breakdown, errors, footer, new_table, out, print_json, say, text
from camatlas.vendors import vendor_summary


@click.command("vendors")
@click.option(
    "--atlas",
    "-a",
    envvar="CAMATLAS_ATLAS",
    show_envvar=True,
    help="Also show this atlas's cameras by vendor, with the vendor values it could not "
    "match and the tags that disagree (a GeoPackage file or a PostgreSQL/PostGIS URL).",
)
@opt.registry_option
@opt.as_of_option
@click.option("--lists", "lists_only", is_flag=True, help="Show only the risk lists.")
@opt.json_option
def vendors(
    atlas: str | None,
    registries: tuple[Path, ...],
    as_of: str | None,
    lists_only: bool,
    as_json: bool,
) -> None:
    """The vendor registry: vendors with their names, country and sources, and the dated
    risk lists (FCC Covered List, NDAA section 889, the US Entity List, ...) with their
    documents.

    With --atlas, the atlas's cameras by vendor as their tags (manufacturer, brand,
    *:wikidata, model, registry columns) give it, the risk lists naming each vendor as of
    --as-of, and the normalization report: vendor values not in the registry, kept
    verbatim, and tags naming two vendors, reported rather than resolved.
    """
    with errors():
        registry = camatlas.load_registry(registries)
        records = registry.to_records()
        result: dict[str, Any] = {"lists": records["lists"]}
        if not lists_only:
            result["vendors"] = records["vendors"]
        if atlas is not None:
            with camatlas.open_atlas(atlas, create=False, read_only=True) as at:
                found = at.vendors(registry, as_of)
            result["atlas"] = vendor_summary(found, registry, as_of)
    if as_json:
        print_json(result)
        return
    table = new_table("list", "name", "date", "document", "vendors named",
                      title="Risk lists", title_justify="left")  # fmt: skip
    for item in records["lists"]:
        named = ", ".join(item["vendors"])
        if item["rule"]:
            named = f"vendors headquartered in {item['rule']['country']} ({item['rule']['note']})"
        table.add_row(text(item["id"]), text(item["name"]), text(item["date"]),
                      text(item["document"]), text(named))  # fmt: skip
    out.print(table)
    if not lists_only:
        table = new_table("vendor", "name", "also written", "country", "part of", "Wikidata",
                          title="Vendors", title_justify="left")  # fmt: skip
        for item in records["vendors"]:
            table.add_row(
                text(item["id"]), text(item["name"]),
                text(", ".join([*item["legal_names"], *item["aliases"]])),
                text(item["country"] or "-"), text(item["parent"] or "-"),
                text(", ".join(f"{w['id']} ({w['source']})" for w in item["wikidata"]) or "-"),
            )  # fmt: skip
        out.print(table)
    if atlas is not None:
        summary = result["atlas"]
        total = summary["cameras"]
        out.print(breakdown("by vendor", summary["by_vendor"], total, "camera records"))
        out.print(breakdown("by vendor status", summary["by_vendor_status"], total,
                            "camera records"))  # fmt: skip
        report = new_table("status", "what", "camera records", title="Normalization report",
                           title_justify="left")  # fmt: skip
        for row in summary["report"]:
            report.add_row(text(row["status"]), text(row["note"]), str(row["cameras"]))
        out.print(report)
        say(f"Risk lists as of {summary['as_of']}; a list counts only from its date.")
        footer()


@click.command("todo")
@opt.atlas_option
@click.option(
    "--older-than",
    metavar="SPAN",
    help="Cameras last checked longer ago than this (5y, 18m, 90d), by check_date, "
    "survey:date or source:date; a camera with no check date counts when its OSM element "
    "was last edited longer ago.",
)
@click.option(
    "--missing",
    metavar="FIELDS",
    help="Cameras lacking any of these, comma-separated: direction, type, height, mount, "
    "surveillance, zone, operator, manufacturer.",
)
@opt.as_of_option
@click.option(
    "--output", "-o", required=True, type=opt.PATH,
    help="GeoJSON file of the tasks (replaced when present): MapRoulette reads it as a "
    "challenge, one task per camera.",
)  # fmt: skip
@opt.json_option
def todo(
    atlas: str,
    older_than: str | None,
    missing: str | None,
    as_of: str | None,
    output: Path,
    as_json: bool,
) -> None:
    """Tasks for mappers: the atlas's OpenStreetMap cameras not checked for a long time, or
    missing what the analyses need, each with its OSM link and what to check.

    Cameras of other sources are left out (they are not OSM's to edit).
    """
    from camatlas.pipelines.todo import todo as make_tasks
    from camatlas.pipelines.todo import write_tasks

    with errors(), camatlas.open_atlas(atlas, create=False, read_only=True) as at:
        result = make_tasks(
            at, older_than=older_than, missing=opt.comma_list(missing) or (), as_of=as_of
        )
        written = write_tasks(result, output, protected=[atlas])
    summary = {
        "tasks": written,
        "output": str(output),
        "osm_cameras": result.cameras_checked,
        "left_out_not_osm": result.left_out_not_osm,
        "as_of": result.as_of,
    }
    if as_json:
        print_json(summary)
        return
    say(
        f"Wrote {written} tasks of {result.cameras_checked} OpenStreetMap cameras to {output} "
        f"(as of {result.as_of}; {result.left_out_not_osm} cameras of other sources left out)."
    )
