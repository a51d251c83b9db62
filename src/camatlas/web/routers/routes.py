"""Least-watched routes and the exposure of a track. Nothing they are sent is logged or kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Depends, Query, Request

import camatlas
from camatlas.atlas import Atlas
from camatlas.coords import LAT_LON_PATTERN, check_lat_lon, parse_lat_lon
from camatlas.errors import InputError
from camatlas.sources.tracks import TRACK_GEOJSON_SCHEMA, TRACK_GPX_SCHEMA
from camatlas.vocab import (
    DEFAULT_PROFILE,
    DEFAULT_SPEED_KMH,
    MAX_SPEED_KMH,
    MIN_SPEED_KMH,
    NOT_LOGGED,
    PROVENANCE,
)
from camatlas.web.models import ErrorBody, Profile, RouteAnswer, RouteRequest
from camatlas.web.served import ServedAtlas, served_atlas

router = APIRouter(tags=["routes"])

Served = Annotated[ServedAtlas, Depends(served_atlas)]

ROUTE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A detour or point the search cannot use"},
    404: {"model": ErrorBody, "description": "No street near a point, or no route joins them"},
}

MAX_TRACK_POINTS = 20_000
"""Largest number of points of a track sent for exposure."""


async def _route(served: ServedAtlas, request: RouteRequest) -> dict[str, Any]:
    origin = check_lat_lon(*request.origin, "origin")
    destination = check_lat_lon(*request.destination, "destination")

    def plan(atlas: Atlas, check: Callable[[], None]) -> list[dict[str, Any]]:
        result = camatlas.least_watched(
            atlas, origin, destination, profile=request.profile, max_detour=request.max_detour
        )
        return [option.to_dict() for option in result.options]

    options = await served.analyse(plan)
    return {"options": options, "note": f"{PROVENANCE} {NOT_LOGGED}"}


@router.post("/api/route", response_model=RouteAnswer, responses=ROUTE_ERRORS)
async def route_post(served: Served, request: RouteRequest) -> dict[str, Any]:
    """Least-watched routes between two points: alternatives from the shortest to the
    least watched, each with length, detour and metres in view of known cameras.
    Coordinates in the body are never logged or stored."""
    return await _route(served, request)


@router.get("/api/route", response_model=RouteAnswer, responses=ROUTE_ERRORS)
async def route_get(
    served: Served,
    origin: Annotated[str, Query(pattern=LAT_LON_PATTERN, description="LAT,LON of the start")],
    destination: Annotated[str, Query(pattern=LAT_LON_PATTERN, description="LAT,LON of the end")],
    profile: Profile = DEFAULT_PROFILE,
    max_detour: Annotated[float | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """As ``POST /api/route``, with the points in the query (kept out of the access log)."""
    return await _route(
        served,
        RouteRequest(
            origin=parse_lat_lon(origin, "origin"),
            destination=parse_lat_lon(destination, "destination"),
            profile=profile,
            max_detour=max_detour,
        ),
    )


@router.post(
    "/api/exposure",
    responses={
        400: {"model": ErrorBody, "description": "Not a track, or more work than one request"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/geo+json": {
                    "schema": TRACK_GEOJSON_SCHEMA,
                    "example": {
                        "type": "LineString",
                        "coordinates": [[-8.61, 41.15], [-8.60, 41.15]],
                    },
                },
                "application/json": {"schema": TRACK_GEOJSON_SCHEMA},
                "application/gpx+xml": {"schema": TRACK_GPX_SCHEMA},
            },
        }
    },
)
async def exposure(
    served: Served,
    request: Request,
    speed_kmh: Annotated[
        float,
        Query(ge=MIN_SPEED_KMH, le=MAX_SPEED_KMH, description="Speed along the track, km/h"),
    ] = DEFAULT_SPEED_KMH,
) -> dict[str, Any]:
    """Exposure of a track (GeoJSON line or GPX in the body): distinct cameras, metres and
    seconds in view, by operator, surveillance and DORI level. Never logged or stored."""
    track = camatlas.parse_track(await request.body(), name="the track sent", strict=True)
    points = int(shapely.get_num_coordinates(track))
    if points > MAX_TRACK_POINTS:
        raise InputError(f"a track may have at most {MAX_TRACK_POINTS} points", value=points)

    def measure(atlas: Atlas, check: Callable[[], None]) -> dict[str, Any]:
        return camatlas.exposure(
            atlas,
            track,
            speed_kmh=speed_kmh,
            max_pairs=served.settings.max_exposure_pairs,
            progress=lambda *_: check(),
        ).to_dict()

    result = await served.analyse(measure, lane="exposure", request=request)
    result["note"] = f"{PROVENANCE} {NOT_LOGGED}"
    return result
