"""Commands that analyse an atlas and store their results in it: sight and measure."""

from __future__ import annotations

from pathlib import Path

import click

import camatlas
from camatlas.cli import options as opt
from camatlas.cli.render import (
    errors,
    footer,
    new_table,
    number,
    out,
    print_json,
    progress,
    say,
    shown,
    text,
)
from camatlas.vocab import (
    DEFAULT_MIN_BLIND_M,
    DEFAULT_RESOLUTION_PX,
    DORI_LEVELS,
    MEASURE_LAYERS,
    RANK_BY,
    SIGHT_LAYERS,
    SURVEILLANCE_SELECTIONS,
)


@click.command("sight")
@opt.atlas_option
@opt.view_options
@click.option(
    "--resolution",
    type=int,
    default=DEFAULT_RESOLUTION_PX,
    help="Assumed horizontal resolution in pixels, for the DORI zones.",
)
@click.option(
    "--area-by-level",
    is_flag=True,
    help="Also split the area in view by the best DORI level there (slower: five "
    "unions of the views instead of one).",
)
@click.option(
    "--no-graph", is_flag=True, help="Do not store the walking street graph for routes afterwards."
)
@opt.json_option
def sight(
    atlas: str,
    range_m: float | None,
    width: float | None,
    no_occlusion: bool,
    include_indoor: bool,
    resolution: int,
    area_by_level: bool,
    no_graph: bool,
    as_json: bool,
) -> None:
    """Compute every camera's field of view, cut by buildings and split into DORI zones.

    Writes the layers views (one polygon per camera) and view_zones (identification,
    recognition, observation and detection bands, IEC EN 62676-4) into the atlas, with
    the parameters used. Missing widths and ranges get documented defaults. Then stores
    the walking street graph with these views (`camatlas graph`), so routes start at once.
    """
    with errors():
        params = opt.sight_parameters(
            range_m=range_m, width=width, no_occlusion=no_occlusion,
            include_indoor=include_indoor, resolution=resolution,
        )  # fmt: skip
        with camatlas.open_atlas(atlas, create=False) as at, progress("sight") as bar:
            result = camatlas.sight(at, params, progress=bar, area_by_level=area_by_level).to_dict()
            graphs = [] if no_graph else camatlas.store_graphs(at, progress=bar)
    result = {"atlas": shown(atlas), **result, "graphs": [g.to_dict() for g in graphs]}
    if as_json:
        print_json(result)
        return
    say(
        f"{result['atlas']}: views of {result['cameras_with_views']} of "
        f"{result['camera_records']} camera records ({result['full_circle']} full discs, "
        f"{result['on_wall']} on a building's wall); {result['assumed']} used a default "
        "width or range."
    )
    say("Area in view (overlaps counted once):")
    table = new_table(show_header=False, box=None)
    table.add_column("level")
    table.add_column("km²", justify="right")
    table.add_row("any level", f"{result['area_km2']:.4f} km²")
    for level, km2 in (result["area_by_level_km2"] or {}).items():
        table.add_row(f"  best {level}", f"{km2:.4f} km²")
    out.print(table)
    say(
        f"Stored as layers {' and '.join(SIGHT_LAYERS)} (computed in metres of "
        f"{result['crs']}, each place in its UTM zone; WGS 84 in the atlas). Defaults and "
        "their sources: docs/method.md."
    )
    for g in graphs:
        say(
            f"Stored the {g.profile} street graph for routes ({g.edges:,} edges, "
            f"{g.watched_edges:,} of them in view)."
        )
    footer()


@click.command("measure")
@opt.atlas_option
@click.option(
    "--by",
    help="Aggregate by admin boundaries (admin, admin:LEVEL), user polygons "
    "(geojson:FILE.geojson with a name property) or H3 cells (h3:9).",
)
@click.option(
    "--admin-level", type=int, help="admin_level for --by admin (default: the most detailed)."
)
@click.option(
    "--kind",
    help="Surveillance kinds counted, comma-separated, e.g. camera,alpr (default: all).",
)
@click.option(
    "--surveillance",
    help=f"Surveillance scopes counted, comma-separated, of {', '.join(SURVEILLANCE_SELECTIONS)} "
    "(unknown: not tagged). Default: densities count the street-facing cameras (every one "
    "not tagged indoor) and report the indoor ones beside them.",
)
@click.option(
    "--samples",
    type=int,
    default=0,
    help="Draws of the unknown view parameters for an uncertainty range (0: none).",
)
@click.option("--seed", type=int, default=0, help="Seed of the draws.")
@click.option(
    "--completeness",
    type=float,
    default=1.0,
    help="Share of real cameras that are mapped, e.g. 0.63; density estimates "
    "= counted / completeness.",
)
@opt.view_options
@click.option(
    "--population",
    type=opt.PATH,
    help="CSV of population per user polygon (columns KEY and population).",
)
@click.option("--population-key", help="Column of --population matching a polygon property.")
@click.option("--rank-by", default=RANK_BY[0], help=f"Rank areas by {', '.join(RANK_BY)}.")
@click.option(
    "--min-blind",
    type=float,
    default=DEFAULT_MIN_BLIND_M,
    help="Shortest unwatched stretch reported as a blind spot, metres.",
)
@click.option(
    "--include-underground",
    is_flag=True,
    help="Count streets below ground or indoors (tunnels, layer or level below 0, indoor=yes, "
    "location=underground), which street cameras do not see (default: left out, and reported).",
)
@click.option(
    "--vendor",
    help="Count only the cameras of these vendors, comma-separated registry ids or names "
    "(see `camatlas vendors`), e.g. hikvision,dahua.",
)
@click.option(
    "--flag",
    help="Count only the cameras of vendors on these risk lists, comma-separated list ids "
    "(see `camatlas vendors --lists`), e.g. FCC or NDAA-889,ENTITY-LIST.",
)
@opt.as_of_option
@opt.registry_option
@click.option("--top", type=int, default=15, help="Areas shown in the ranking (text output).")
@opt.json_option
def measure(
    atlas: str,
    by: str | None,
    admin_level: int | None,
    kind: str | None,
    surveillance: str | None,
    samples: int,
    seed: int,
    completeness: float,
    range_m: float | None,
    width: float | None,
    no_occlusion: bool,
    include_indoor: bool,
    population: Path | None,
    population_key: str | None,
    rank_by: str,
    min_blind: float,
    include_underground: bool,
    vendor: str | None,
    flag: str | None,
    as_of: str | None,
    registries: tuple[Path, ...],
    top: int,
    as_json: bool,
) -> None:
    """Measure how much of the streets known cameras watch, and how dense they are.

    Street coverage (metres and share of street length in view, by DORI level),
    cameras per km², per km of street and per 1,000 residents, by area, blind
    spots, and an uncertainty range over unknown view parameters. Results are
    written into the atlas as layers street_coverage, measure_by_area and
    blind_spots. With --vendor or --flag, only the cameras of those vendors (or of
    vendors on those risk lists, as of --as-of) count: the street metres watched by
    cameras of listed vendors.
    """
    with errors():
        params = opt.sight_parameters(
            range_m=range_m, width=width, no_occlusion=no_occlusion, include_indoor=include_indoor
        )
        kinds, scopes = opt.comma_list(kind), opt.comma_list(surveillance)
        with camatlas.open_atlas(atlas, create=False) as at, progress("measure") as bar:
            result = camatlas.measure(
                at,
                by=by,
                sight=params,
                samples=samples,
                seed=seed,
                completeness=completeness,
                kinds=kinds,
                surveillance=scopes,
                admin_level=admin_level,
                population=population,
                population_key=population_key,
                rank_by=rank_by,
                min_blind_m=min_blind,
                include_underground=include_underground,
                vendors=opt.comma_list(vendor),
                flags=opt.comma_list(flag),
                as_of=as_of,
                registries=registries,
                progress=bar,
            )
    if as_json:
        print_json(result.to_dict())
        return
    s = result.summary
    share = s["watched_share"]
    say(
        f"{shown(atlas)}: {s['cameras_total']} physical cameras counted "
        f"({s['camera_records']} records; records of different sources linked as one camera "
        f"count once; kinds: {', '.join(s['kinds']) or 'none'})."
    )
    if s.get("selection"):
        say(f"Selection: {s['selection']}.")
    say(
        f"Streets: {s['streets']} ways, {s['street_length_m'] / 1000:.1f} km; watched "
        f"{s['watched_length_m'] / 1000:.2f} km"
        + (
            f" = {100 * share:.1f}% ({s['watched_m_per_street_km']:.0f} m per km of street)"
            if share is not None and share == share
            else ""
        )
        + f", by {s['cameras_watching_streets']} cameras."
    )
    gone = s["left_out"]
    if gone and gone["streets"]:
        tags = ", ".join(f"{tag} {n}" for tag, n in gone["by_tag"].items())
        say(
            f"Left out: {gone['streets']} ways below ground or indoors, "
            f"{gone['length_m'] / 1000:.2f} km ({tags}): street cameras do not see them "
            "(--include-underground counts them)."
        )
    say(
        "Best level in view: "
        + ", ".join(f"{level} {s[f'watched_m_{level}'] / 1000:.2f} km" for level in DORI_LEVELS)
    )
    residents = (
        f"; {number(s['cameras_per_1000_residents'])} per 1,000 residents "
        f"({s['population_cameras']} cameras in the areas, {s['population']:,.0f} residents)"
        if s["cameras_per_1000_residents"] is not None
        else ""
    )
    counted = (
        f"{s['cameras']} street-facing cameras "
        + (
            f"(and {s['cameras_indoor']} tagged indoor, not counted)"
            if s["cameras_indoor"]
            else "(none tagged indoor)"
        )
        if result.parameters.get("surveillance") is None
        else f"{s['cameras']} cameras ({s['counted']})"
    )
    say(
        f"Street land {s['area_km2']:.2f} km² holds {counted}: "
        f"{number(s['cameras_per_km2'])} per km², {number(s['cameras_per_street_km'], 3)} per "
        f"km of street, {number(s['cameras_per_drivable_km'], 3)} per km of drivable road "
        f"({s['drivable_length_m'] / 1000:.1f} km){residents}."
    )
    c = s["completeness"]
    if c["factor"] < 1:
        say(
            f"Estimated with completeness {c['factor']:g} (counted / {c['factor']:g}): "
            f"{c['estimated_cameras']:.0f} cameras, "
            f"{number(c['estimated_cameras_per_km2'])} per km², "
            f"{number(c['estimated_cameras_per_street_km'], 3)} per km of street."
        )
    u = (result.uncertainty or {}).get("watched_share")
    if u and u["median"] == u["median"]:  # NaN when there is no street
        say(
            f"Uncertainty over {result.uncertainty['samples']} draws "  # type: ignore[index]
            f"of unknown view parameters (seed {result.uncertainty['seed']}): "  # type: ignore[index]
            f"watched share median {number(100 * u['median'], 1)}%, 5-95% range "
            f"{number(100 * u['p5'], 1)}-{number(100 * u['p95'], 1)}%."
        )
        if u.get("point_in_range") is False:
            say(
                f"The watched share at the defaults, {number(100 * u['point'], 1)}%, lies "
                f"outside this range: {result.uncertainty['why']}."  # type: ignore[index]
            )
    if result.parameters.get("by"):
        table = new_table(
            title=f"Areas ({result.parameters['areas']}), ranked by {rank_by}", title_justify="left"
        )
        for name in ("rank", "area", "km²", "cameras", "indoor", "per km²", "per street km",
                     "residents", "per 1,000 res.", "watched"):  # fmt: skip
            table.add_column(name, justify="left" if name == "area" else "right")
        for row in result.by_area.head(top).itertuples():
            table.add_row(
                str(row.rank),
                text(row.name) + (" (partial)" if row.partial else ""),
                f"{row.area_km2:.2f}",
                str(row.cameras),
                str(row.cameras_indoor),
                number(row.cameras_per_km2),
                number(row.cameras_per_street_km, 3),
                "-" if row.population != row.population else f"{row.population:,.0f}",
                number(row.cameras_per_1000_residents),
                "-"
                if row.watched_share != row.watched_share
                else f"{100 * row.watched_share:.1f}%",
            )
        out.print(table)
        say(_outside_areas_line(s, top < len(result.by_area)))
    b = s["blind_spots"]
    say(
        f"Blind spots: {b['count']} unwatched stretches of at least "
        f"{b['min_length_m']:g} m, {b['length_m'] / 1000:.1f} km in all."
    )
    a = s["assumptions"]
    say(
        f"Assumptions: range from defaults for {a['range_from_default']} of "
        f"{a['cameras_with_views']} cameras, width for {a['width_from_default']}; "
        f"{a['full_circle']} seen as full circles (dome/panning or direction unknown); "
        f"occlusion by buildings {'on' if a['occlusion_by_buildings'] else 'off'}; indoor "
        f"cameras {'with' if a['indoor_cameras_included'] else 'without'} views. "
        "Street length counts streets people use (see docs/method.md); the area is the "
        "street land."
    )
    say(f"Written to {shown(atlas)}: layers {', '.join(MEASURE_LAYERS)}.")
    footer(s.get("views"))


def _outside_areas_line(s: dict[str, object], shortened: bool) -> str:
    """What falls in no area, and what the partial areas are."""
    line = (
        f"In no area: {s['cameras_in_no_area']} counted cameras and "
        f"{float(s['street_length_m_in_no_area']) / 1000:.2f} km of street."  # type: ignore[arg-type]
    )
    partial = s["partial_areas"]
    if partial:
        line += (
            f" {partial} {'area is' if partial == 1 else 'areas are'} partial (cut by the edge "
            "of the imported file): figures of the part inside it, and no density."
        )
    if shortened:
        line += " (--top limits the rows shown, not the figures.)"
    return line
