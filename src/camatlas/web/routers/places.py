"""Places by name, from the atlas itself (no online geocoder), and the map's place labels."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from camatlas.lazy import pd
from camatlas.places import find_places
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
    return {"query": q, "places": find_places(await _index(served), q, limit)}


async def _index(served: ServedAtlas) -> pd.DataFrame:
    """The atlas's place index, made once per version of the atlas (not once per thread)."""
    index: pd.DataFrame = await served.memo("places", lambda a: a.places())
    return index


@router.get("/api/places/labels")
async def labels(served: Served) -> dict[str, Any]:
    """The atlas's named admin areas as GeoJSON points (one inside each area), for labels."""
    index = await _index(served)

    def make(atlas: Any) -> dict[str, Any]:
        areas = index[index["kind"] == "area"]
        levels = [None if pd.isna(v) else int(v) for v in areas["admin_level"].tolist()]
        points = zip(areas["lon"].tolist(), areas["lat"].tolist(), strict=True)
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
                    "properties": {"name": name, "admin_level": level},
                }
                for (x, y), name, level in zip(points, areas["name"].tolist(), levels, strict=True)
            ],
        }

    labels: dict[str, Any] = await served.memo("place-labels", make)
    return labels
