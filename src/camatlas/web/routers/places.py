"""Places by name, from the atlas itself (no online geocoder), and the map's place labels."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from camatlas.lazy import pd
from camatlas.web.served import ServedAtlas, served_atlas

router = APIRouter(tags=["places"])

Served = Annotated[ServedAtlas, Depends(served_atlas)]

MAX_PLACES = 50
"""Most places one search returns."""


@router.get("/api/places")
async def places(
    served: Served,
    q: Annotated[str, Query(min_length=1, max_length=200, description="A name, or part of one")],
    limit: Annotated[int, Query(ge=1, le=MAX_PLACES)] = 10,
) -> dict[str, Any]:
    """Areas, streets and cameras of the atlas whose name matches ``q``, best first (case,
    accents and spacing do not matter): each with ``kind``, ``name``, ``detail``, ``id``, a
    point (``lon``, ``lat``) and a box (``west``, ``south``, ``east``, ``north``)."""
    found: list[dict[str, Any]] = await served.read(lambda a: a.find(q, limit))
    return {"query": q, "places": found}


@router.get("/api/places/labels")
async def labels(served: Served) -> dict[str, Any]:
    """The atlas's named admin areas as GeoJSON points (one inside each area), for labels."""

    def make(atlas: Any) -> dict[str, Any]:
        areas = atlas.places()
        areas = areas[areas["kind"] == "area"]
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
                    "properties": {
                        "name": r.name,
                        "admin_level": None if pd.isna(r.admin_level) else int(r.admin_level),
                    },
                }
                for r in areas.itertuples()
            ],
        }

    labels: dict[str, Any] = await served.memo("place-labels", make)
    return labels
