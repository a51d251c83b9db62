"""Cameras: those in a box as GeoJSON, and one camera with every column and tag."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from camatlas.coords import BBOX_PATTERN
from camatlas.errors import NotFoundError
from camatlas.web.models import BBOX_TEXT, ErrorBody
from camatlas.web.routers.layers import GEOJSON_ANSWER, MAX_GEOJSON_FEATURES, layer_geojson
from camatlas.web.served import ServedAtlas, served_atlas

router = APIRouter(tags=["cameras"])

Served = Annotated[ServedAtlas, Depends(served_atlas)]


@router.get("/api/cameras/{camera_id:path}", responses={404: {"model": ErrorBody}})
async def camera(camera_id: str, served: Served) -> dict[str, Any]:
    """One camera record: every column, its tags as an object, lon and lat."""
    index = await served.index()
    where = index.locate(camera_id)
    if where is None:
        raise NotFoundError(f"no camera {camera_id!r} in this atlas")
    record: dict[str, Any] = await served.read(lambda a: a.camera(camera_id, near=where))
    return record


@router.get("/api/cameras", response_class=Response, responses=GEOJSON_ANSWER)
async def cameras(
    served: Served,
    bbox: Annotated[str, Query(pattern=BBOX_PATTERN, description=BBOX_TEXT)],
    limit: Annotated[int, Query(ge=1, le=MAX_GEOJSON_FEATURES)] = 1000,
) -> Response:
    """Cameras in a bounding box as GeoJSON (at most ``limit``; see ``truncated``)."""
    return await layer_geojson(served, "cameras", bbox, limit)
