"""The request and response bodies of the HTTP API, as OpenAPI documents them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from camatlas.vocab import DEFAULT_PROFILE

__all__ = ["BBOX_TEXT", "ErrorBody", "LatLon", "Profile", "RouteAnswer", "RouteRequest"]

BBOX_TEXT = "WEST,SOUTH,EAST,NORTH in degrees, west < east and south < north"
"""How the API describes a ``bbox`` parameter."""

Profile = Literal["walk", "bike", "car"]
"""The profiles of :data:`camatlas.vocab.PROFILES`, as OpenAPI lists them."""

LatLon = Annotated[
    tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]],
    Field(description="(latitude, longitude) in degrees, WGS 84"),
]


class RouteRequest(BaseModel):
    """Where from and where to; never logged or stored."""

    origin: LatLon
    destination: LatLon
    profile: Profile = DEFAULT_PROFILE
    max_detour: float | None = Field(
        None,
        ge=0,
        description="Largest detour of an alternative, as a share of the shortest "
        "route's length (0.5 = 50 % longer); none by default",
    )


class ErrorBody(BaseModel):
    """What every error answer holds."""

    error: str
    status: int


class RouteAnswer(BaseModel):
    """The routes found, and what they count."""

    options: list[dict[str, Any]] = Field(
        description="Alternatives from the shortest (first) to the least watched (last): "
        "length_m, detour_m, detour_ratio, watched_m, cameras, streets (the main named "
        "stretches, in order: name and length_m), geometry (GeoJSON, lon/lat)",
    )
    note: str
