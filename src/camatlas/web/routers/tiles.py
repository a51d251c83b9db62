"""Vector tiles of the atlas's layers and result layers, cached and served with ETags;
the glyphs of the map's labels."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from camatlas.errors import NotFoundError
from camatlas.web.glyphs import RANGE_SIZE, glyph_range
from camatlas.web.models import ErrorBody
from camatlas.web.served import ServedAtlas, served_atlas
from camatlas.web.tiles import (
    BASE_LAYERS,
    MAX_ZOOM,
    MVT_MEDIA_TYPE,
    RESULT_LAYERS,
    Tile,
    camera_tile,
    check_tile,
    layer_tile,
)

router = APIRouter(tags=["tiles"])

Served = Annotated[ServedAtlas, Depends(served_atlas)]

TILE_MAX_AGE_S = 60
"""``Cache-Control: max-age`` of tiles, seconds: short, since the atlas may be re-imported."""

TILED = {**BASE_LAYERS, **RESULT_LAYERS}


@router.head("/tiles/{layer}/{z}/{x}/{y}.pbf", include_in_schema=False)
@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.pbf",
    responses={
        200: {"content": {MVT_MEDIA_TYPE: {}}, "description": "A vector tile"},
        304: {"description": "The tile has not changed (If-None-Match)"},
        404: {"model": ErrorBody, "description": "No such layer, or a tile beyond the grid"},
    },
    response_class=Response,
)
async def tile(
    served: Served,
    layer: str,
    z: Annotated[int, PathParam(ge=0, le=MAX_ZOOM, description="Zoom")],
    x: Annotated[int, PathParam(ge=0, description="Column, 0 .. 2^z - 1")],
    y: Annotated[int, PathParam(ge=0, description="Row from the north, 0 .. 2^z - 1")],
    request: Request,
) -> Response:
    """Vector tile ``z/x/y`` (XYZ, Web Mercator) of a layer: cameras (clustered below
    zoom 14), streets, buildings, areas, or a result layer the atlas holds."""
    check_tile(z, x, y)
    spec = TILED.get(layer)
    if spec is None or (spec.result and layer not in await served.result_names()):
        raise NotFoundError(f"no tiled layer {layer!r} in this atlas")
    key = (served.generation, layer, z, x, y)
    cached = served.cache.get(key)
    if cached is None:
        if layer == "cameras":
            index = await served.index()
            made = await served.read(lambda a: camera_tile(a, index, z, x, y))
        else:
            made = await served.read(lambda a: layer_tile(a, spec, z, x, y))
        cached = Tile.from_bytes(made)
        served.cache.put(key, cached)
    headers = {
        "Cache-Control": f"public, max-age={TILE_MAX_AGE_S}",
        "ETag": cached.etag,
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == cached.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "") and cached.size:
        headers["Content-Encoding"] = "gzip"
        return Response(cached.gzipped, media_type=MVT_MEDIA_TYPE, headers=headers)
    return Response(cached.plain(), media_type=MVT_MEDIA_TYPE, headers=headers)


GLYPH_MAX_AGE_S = 86_400
"""``Cache-Control: max-age`` of glyph files, seconds: they change only with camatlas."""


@router.get(
    "/glyphs/{fontstack}/{first}-{last}.pbf",
    responses={
        200: {"content": {"application/x-protobuf": {}}, "description": "SDF glyphs"},
        404: {"model": ErrorBody, "description": "Not a range of 256 code points"},
    },
    response_class=Response,
)
async def glyphs(
    fontstack: str,
    first: Annotated[int, PathParam(ge=0, le=65280, description="First code point")],
    last: Annotated[int, PathParam(ge=255, le=65535, description="Last code point")],
) -> Response:
    """Signed distance fields of the glyphs of code points ``first`` .. ``last`` (256 of
    them), for the map's labels, in Noto Sans whatever ``fontstack`` names."""
    if first % RANGE_SIZE or last != first + RANGE_SIZE - 1:
        raise NotFoundError(f"no glyph range {first}-{last}: ranges are of 256 code points")
    body = await run_in_threadpool(glyph_range, first)
    return Response(
        body,
        media_type="application/x-protobuf",
        headers={"Cache-Control": f"public, max-age={GLYPH_MAX_AGE_S}"},
    )
