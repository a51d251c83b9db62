"""Layers and result layers as GeoJSON, result tables, and the stored measurements."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.responses import Response

from camatlas.coords import BBOX_PATTERN, parse_bbox
from camatlas.errors import InputError, NotFoundError
from camatlas.vocab import DATA_ATTRIBUTION, LAYERS, PROVENANCE
from camatlas.web.models import BBOX_TEXT, ErrorBody
from camatlas.web.served import ServedAtlas, served_atlas
from camatlas.web.tiles import geojson_features

router = APIRouter()

Served = Annotated[ServedAtlas, Depends(served_atlas)]

MAX_GEOJSON_FEATURES = 10_000
"""Largest number of features one GeoJSON response holds."""


async def layer_geojson(
    served: ServedAtlas, layer: str, bbox_text: str | None, limit: int
) -> Response:
    """A layer or result layer, or its features in a box, as a GeoJSON response."""
    bbox = None if bbox_text is None else parse_bbox(bbox_text)
    if layer == "cameras" and bbox is None:
        raise InputError("give a bbox WEST,SOUTH,EAST,NORTH for cameras (or use the tiles)")
    if layer in LAYERS:
        frame = await served.read(lambda a: a.layer(layer, bbox))
    elif layer in await served.result_names():
        frame = await served.read(lambda a: a.result(layer, bbox))
        if not hasattr(frame, "geometry"):
            raise InputError(f"result {layer!r} is a table; read it from /api/results/{layer}")
    else:
        raise NotFoundError(f"no layer {layer!r} in this atlas")
    total = len(frame)
    collection = geojson_features(frame.iloc[:limit])
    collection["total"] = total
    collection["truncated"] = total > limit
    collection["attribution"] = DATA_ATTRIBUTION
    return Response(json.dumps(collection), media_type="application/geo+json")


GEOJSON_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A GeoJSON FeatureCollection, with total, truncated and attribution",
        "content": {"application/geo+json": {"schema": {"type": "object"}}},
    },
    400: {"model": ErrorBody, "description": "A box out of order (west >= east, south >= north)"},
}
"""The answers of the GeoJSON endpoints, as OpenAPI documents them."""


@router.get(
    "/api/layers/{layer}.geojson",
    tags=["layers"],
    response_class=Response,
    responses={**GEOJSON_ANSWER, 404: {"model": ErrorBody}},
)
async def layer(
    served: Served,
    layer: Annotated[str, PathParam(description="streets, buildings, areas or a result layer")],
    bbox: Annotated[str | None, Query(pattern=BBOX_PATTERN, description=BBOX_TEXT)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_GEOJSON_FEATURES)] = 1000,
) -> Response:
    """A small layer, or part of one, as GeoJSON (at most ``limit`` features)."""
    return await layer_geojson(served, layer, bbox, limit)


@router.get("/api/results", tags=["analyses"])
async def results(served: Served) -> list[dict[str, Any]]:
    """Result layers held in the atlas, with the parameters that made them."""
    frame = await served.results()
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


@router.get("/api/results/{name}", tags=["analyses"], responses={404: {"model": ErrorBody}})
async def result_table(
    served: Served,
    name: str,
    limit: Annotated[int, Query(ge=1, le=MAX_GEOJSON_FEATURES)] = 1000,
) -> dict[str, Any]:
    """The attribute rows of a result layer (no geometry), at most ``limit``."""
    if name not in await served.result_names():
        raise NotFoundError(f"no result layer {name!r} in this atlas")
    frame = await served.read(lambda a: a.result(name))
    table = frame.drop(columns=[frame.geometry.name]) if hasattr(frame, "geometry") else frame
    rows = json.loads(table.iloc[:limit].to_json(orient="records"))
    return {"name": name, "rows": rows, "total": len(table), "truncated": len(table) > limit}


@router.get("/api/measure", tags=["analyses"])
async def measure(served: Served) -> dict[str, Any]:
    """Stored measurements: ``summary`` (the totals of the last ``camatlas measure``:
    street length, watched length and share, cameras per km² and per street km, ...;
    null when not measured), ``uncertainty`` (its 5-95 % ranges, when it drew samples)
    and every result layer with its parameters. The atlas is
    read-only here: run ``camatlas sight`` / ``camatlas measure`` to compute them."""
    frame = await served.results()
    stored = {
        row["name"]: {
            "rows": row["rows"],
            "created_at": row["created_at"],
            "parameters": row["parameters"],
        }
        for row in frame.to_dict(orient="records")
    }
    measured = stored.get("street_coverage", {}).get("parameters", {})
    return {
        "summary": measured.get("summary"),
        "uncertainty": measured.get("uncertainty"),
        "results": stored,
        "note": PROVENANCE,
    }
