"""The atlas as a whole: health, what the map needs to start, statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from camatlas import __version__
from camatlas.store.pgurl import is_postgres_url, redact_url
from camatlas.vocab import DATA_ATTRIBUTION, PROVENANCE
from camatlas.web.served import ServedAtlas, served_atlas
from camatlas.web.tiles import BASE_LAYERS, CLUSTER_BELOW_ZOOM, RESULT_LAYERS

router = APIRouter(tags=["atlas"])

Served = Annotated[ServedAtlas, Depends(served_atlas)]


def atlas_label(url: str) -> str:
    """The atlas as shown to visitors: a file name, or a URL without its password."""
    return redact_url(url) if is_postgres_url(url) else Path(url).name


@router.get("/api/health")
async def health(served: Served) -> dict[str, Any]:
    """Whether the server is up and its camera index is ready."""
    return {"status": "ok", "index_ready": served.index_ready}


@router.get("/api/config")
async def config(served: Served) -> dict[str, Any]:
    """What the map needs: tiled layers and their zooms, bounds (and ``focus``, the densest
    cluster of cameras, where the map opens), attribution, base map."""
    settings = served.settings
    index = await served.index()
    names = await served.result_names()
    layers = {
        name: {"minzoom": spec.minzoom, "result": False} for name, spec in BASE_LAYERS.items()
    }
    layers.update(
        {
            name: {"minzoom": spec.minzoom, "result": True}
            for name, spec in RESULT_LAYERS.items()
            if name in names
        }
    )
    bounds = index.bounds()
    focus = index.focus()
    if bounds is None:
        streets = await served.read(lambda a: a.streets())
        if len(streets):
            w, s, e, n = (float(v) for v in streets.total_bounds)
            bounds = (w, s, e, n)
    return {
        "version": __version__,
        "cameras": len(index),
        "bounds": bounds,
        "focus": focus or bounds,
        "layers": layers,
        "results": names,
        "cluster_below_zoom": CLUSTER_BELOW_ZOOM,
        "attribution": DATA_ATTRIBUTION,
        "basemap": settings.basemap,
        "basemap_attribution": settings.basemap_attribution,
        "route": True,
    }


@router.get("/api/stats")
async def stats(served: Served) -> dict[str, Any]:
    """Totals and breakdowns of the atlas's cameras (as ``camatlas stats --json``)."""
    result: dict[str, Any] = await served.memo("stats", lambda a: a.stats().to_dict())
    return {**result, "atlas": atlas_label(served.settings.atlas), "note": PROVENANCE}
