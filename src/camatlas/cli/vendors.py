"""The ``vendors`` command: the vendor registry and its risk lists, or an atlas's vendors."""

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
