"""Commands about the ways people go: route and exposure. Nothing they are given is logged."""

from __future__ import annotations

from pathlib import Path

import click

import camatlas
from camatlas.cli import options as opt
from camatlas.cli.render import (
    errors,
    footer,
    new_table,
    out,
    print_json,
    progress,
    say,
    shown,
    text,
)
from camatlas.coords import parse_lat_lon
from camatlas.vocab import (
    DATA_ATTRIBUTION,
    DEFAULT_MAX_SNAP_M,
    DEFAULT_PROFILE,
    DEFAULT_SPEED_KMH,
    KNOWN_CAMERAS_ONLY,
    PROFILES,
)


@click.command("route")
@opt.atlas_option
@click.option(
    "--from",
    "origin",
    required=True,
    help="Start as LAT,LON in degrees, e.g. 51.5138,-0.0984.",
)
@click.option("--to", "destination", required=True, help="End as LAT,LON in degrees.")
@click.option(
    "--profile",
    default=DEFAULT_PROFILE,
    help=f"{' / '.join(PROFILES)}: walking takes one-way streets both ways, bikes and cars "
    "respect them.",
)
@click.option(
    "--max-detour",
    type=float,
    help="Leave out routes longer than the shortest by more than this share "
    "(0.5 = at most 50% longer). Default: no limit.",
)
@click.option(
    "--max-snap",
    type=float,
    default=DEFAULT_MAX_SNAP_M,
    help="Refuse a point farther than this from a usable street, metres.",
)
@opt.json_option
def route_(
    atlas: str,
    origin: str,
    destination: str,
    profile: str,
    max_detour: float | None,
    max_snap: float,
    as_json: bool,
) -> None:
    """Least-watched routes between two points, from the shortest to the least watched.

    Each alternative is Pareto-optimal: no other route is as short and less
    watched. "In view" is the length inside at least one known camera's view
    (stored views from `camatlas sight`, else views with default parameters).
    Privacy: the points you give and the routes found are never logged or
    stored; nothing is written to the atlas or anywhere else.
    """
    with errors():
        start = parse_lat_lon(origin, "--from")
        end = parse_lat_lon(destination, "--to")
        with camatlas.open_atlas(atlas, create=False, read_only=True) as at:
            result = camatlas.least_watched(
                at, start, end, profile=profile, max_detour=max_detour, max_snap_m=max_snap
            )
    if as_json:
        print_json(
            {**result.to_dict(), "note": KNOWN_CAMERAS_ONLY, "attribution": DATA_ATTRIBUTION}
        )
        return
    options = result.options
    table = new_table(
        title=f"{len(options)} {profile} route(s), shortest first, least watched last",
        title_justify="left",
    )
    for name in ("#", "length", "detour", "in view", "share in view", "cameras"):
        table.add_column(name, justify="right")
    table.add_column("via", justify="left")
    for i, o in enumerate(options, 1):
        table.add_row(
            str(i),
            f"{o.length_m:,.0f} m",
            f"+{o.detour_m:,.0f} m ({100 * o.detour_ratio:.0f}%)",
            f"{o.watched_m:,.0f} m",
            f"{100 * o.watched_share:.0f}%",
            str(len(o.cameras)),
            text(", ".join(name for name, _ in o.streets)),
        )
    out.print(table)
    say(
        f"Start and end moved {options[0].origin_snap_m:,.0f} m and "
        f"{options[0].destination_snap_m:,.0f} m onto the nearest streets. "
        "Use --json for the route geometries."
    )
    if result.graph == "built":
        say(
            "The street graph was built for this route (none stored, or the atlas changed "
            "since): `camatlas graph` stores it, so that the next route starts at once."
        )
    footer(result.views)


@click.command("graph")
@opt.atlas_option
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    help=f"Profile(s) to store: {' / '.join(PROFILES)}; repeat the option for several. "
    f"Default: {DEFAULT_PROFILE}.",
)
@opt.json_option
def graph(atlas: str, profiles: tuple[str, ...], as_json: bool) -> None:
    """Store the street graph with each street's exposure in the atlas, for fast routes.

    `camatlas route` and the map's routes then read it instead of building it
    (`camatlas sight` stores the walking graph itself). A later import or sight
    makes it out of date: routes then build the graph again until this is rerun.
    """
    with errors():
        chosen = list(profiles) or [DEFAULT_PROFILE]
        with camatlas.open_atlas(atlas, create=False) as at, progress("graph") as bar:
            stored = camatlas.store_graphs(at, chosen, progress=bar)
    if as_json:
        print_json({"atlas": shown(atlas), "graphs": [g.to_dict() for g in stored]})
        return
    table = new_table(title="Street graphs stored", title_justify="left")
    for name in ("profile", "edges", "nodes", "edges in view", "size", "built in"):
        table.add_column(name, justify="left" if name == "profile" else "right")
    for g in stored:
        table.add_row(
            g.profile, f"{g.edges:,}", f"{g.nodes:,}", f"{g.watched_edges:,}",
            f"{g.bytes / 1e6:,.1f} MB", f"{g.build_seconds:,.1f} s",
        )  # fmt: skip
    out.print(table)
    say(f"Views: {stored[0].views}." if stored else "")
    footer()


@click.command("exposure")
@click.argument(
    "track",
    type=opt.PATH,
    help="The track: a GPX file or a GeoJSON LineString.",
)
@opt.atlas_option
@click.option(
    "--speed",
    type=float,
    default=DEFAULT_SPEED_KMH,
    help="Speed in km/h that turns metres into seconds (5: walking).",
)
@opt.json_option
def exposure_(track: Path, atlas: str, speed: float, as_json: bool) -> None:
    """How watched a route or GPS track is: cameras passed, metres and seconds in view.

    Split by operator, by public/outdoor and by the best DORI level in view;
    --json adds the watched stretches as GeoJSON. Privacy: the track is read,
    never logged or stored; nothing is written to the atlas or anywhere else.
    """
    with errors(), camatlas.open_atlas(atlas, create=False, read_only=True) as at:
        result = camatlas.exposure(at, track, speed_kmh=speed).to_dict()
    if as_json:
        print_json({**result, "note": KNOWN_CAMERAS_ONLY, "attribution": DATA_ATTRIBUTION})
        return
    say(
        f"{result['length_m']:,.0f} m, {result['seconds'] / 60:.1f} min at {speed:g} km/h: "
        f"{result['watched_m']:,.0f} m in view ({100 * result['watched_share']:.0f}%), "
        f"{result['seconds_in_view'] / 60:.1f} min, by {result['cameras']} distinct cameras; "
        f"{len(result['stretches']['features'])} watched stretches."
    )
    for key, title in (
        ("by_operator", "by operator"),
        ("by_surveillance", "by surveillance"),
        ("by_level", "by best DORI level"),
    ):
        table = new_table(title=title, title_justify="left")
        table.add_column("")
        if key != "by_level":
            table.add_column("cameras", justify="right")
        table.add_column("in view", justify="right")
        table.add_column("seconds", justify="right")
        for name, row in result[key].items():
            cells = [str(row["cameras"])] if key != "by_level" else []
            table.add_row(
                text(name), *cells, f"{row['watched_m']:,.0f} m", f"{row['seconds_in_view']:,.0f}"
            )
        out.print(table)
    footer(result["views"])
