"""Named places of an atlas, and finding them by name: no online geocoder.

:func:`place_index` lists what a visitor may look for, from the atlas's own layers:
its admin areas (by name), its streets (one entry per street name: the ways of a
name near each other joined), and its cameras (by name, operator or id). Each entry
has a point to show it at (lon/lat degrees: a point inside the area, on the street,
the camera) and a box to fit the map to.

:func:`find_places` matches a query against it, ignoring case, accents and spacing:
a whole name first, then names starting with the query, then names holding it as a
word, then names with a word starting with it, then names holding it anywhere; equal
matches areas first, then streets, then cameras, shorter names first.

>>> import geopandas as gpd, shapely
>>> streets = gpd.GeoDataFrame({"id": ["osm:way/1"], "name": ["Rua de Santa Catarina"]},
...     geometry=[shapely.LineString([(-8.606, 41.146), (-8.605, 41.152)])], crs=4326)
>>> index = place_index(streets=streets)
>>> [p["name"] for p in find_places(index, "santa cat")]
['Rua de Santa Catarina']
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import shapely

from camatlas.lazy import gpd, pd

__all__ = ["PLACE_COLUMNS", "PLACE_KINDS", "find_places", "normalize_name", "place_index"]

PLACE_KINDS = ("area", "street", "camera")
"""Kinds of place, in the order equal matches are listed."""

PLACE_COLUMNS = (
    "kind", "name", "detail", "id", "admin_level", "lon", "lat", "west", "south", "east", "north",
)  # fmt: skip
"""Columns of :func:`place_index`; ``detail`` says more (admin level, highway, operator);
``admin_level`` is an area's (None for other places)."""

STREET_JOIN_DEG = 0.01
"""Ways of one name whose boxes lie within this many degrees (about 1 km) are one street;
farther apart (the same name in two towns), they are listed apart."""

_SPACES = re.compile(r"\s+")


def normalize_name(text: str) -> str:
    """``text`` as names are compared: case folded, accents dropped, spaces single.

    >>> normalize_name("  Praça  da LIBERDADE ")
    'praca da liberdade'
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare).strip()


def place_index(
    *,
    areas: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    cameras: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """The named places of an atlas's layers (see the module), columns :data:`PLACE_COLUMNS`."""
    parts = [
        _areas(areas) if areas is not None and len(areas) else None,
        _streets(streets) if streets is not None and len(streets) else None,
        _cameras(cameras) if cameras is not None and len(cameras) else None,
    ]
    frames = [p for p in parts if p is not None and len(p)]
    if not frames:
        return pd.DataFrame({c: [] for c in PLACE_COLUMNS})
    index = pd.concat(frames, ignore_index=True).reindex(columns=list(PLACE_COLUMNS))
    index["key"] = [normalize_name(n) for n in index["name"]]
    return index


def _boxes(geometries: Any) -> dict[str, Any]:
    bounds = shapely.bounds(np.asarray(geometries, dtype=object))
    return {
        "west": bounds[:, 0],
        "south": bounds[:, 1],
        "east": bounds[:, 2],
        "north": bounds[:, 3],
    }


def _areas(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    named = areas[areas["name"].notna() & (areas["name"].astype(str).str.strip() != "")]
    geometries = np.asarray(named.geometry.array, dtype=object)
    points = shapely.point_on_surface(geometries)
    level = named["admin_level"]
    return pd.DataFrame(
        {
            "kind": "area",
            "name": named["name"].astype(str).to_numpy(),
            "detail": [None if pd.isna(v) else f"admin_level {int(v)}" for v in level],
            "id": named["id"].astype(str).to_numpy(),
            "admin_level": [None if pd.isna(v) else int(v) for v in level],
            "lon": shapely.get_x(points),
            "lat": shapely.get_y(points),
            **_boxes(geometries),
        }
    )


def _streets(streets: gpd.GeoDataFrame) -> pd.DataFrame:
    named = streets[streets["name"].notna() & (streets["name"].astype(str).str.strip() != "")]
    if not len(named):
        return pd.DataFrame()
    geometries = np.asarray(named.geometry.array, dtype=object)
    boxes = pd.DataFrame(_boxes(geometries))
    boxes["name"] = named["name"].astype(str).to_numpy()
    boxes["id"] = named["id"].astype(str).to_numpy()
    boxes["highway"] = named["highway"].astype(str).to_numpy() if "highway" in named else None
    boxes["length"] = shapely.length(geometries)
    boxes["row"] = np.arange(len(boxes))
    rows = []
    for name, group in boxes.groupby("name", sort=False):
        for members in _near_groups(group):
            longest = members.iloc[int(np.argmax(members["length"].to_numpy()))]
            middle = shapely.line_interpolate_point(
                geometries[int(longest["row"])], 0.5, normalized=True
            )
            rows.append(
                {
                    "kind": "street",
                    "name": name,
                    "detail": longest["highway"],
                    "id": longest["id"],
                    "lon": middle.x,
                    "lat": middle.y,
                    "west": members["west"].min(),
                    "south": members["south"].min(),
                    "east": members["east"].max(),
                    "north": members["north"].max(),
                }
            )
    return pd.DataFrame(rows)


def _near_groups(group: pd.DataFrame) -> list[pd.DataFrame]:
    """The ways of one name split into streets: boxes chained within STREET_JOIN_DEG."""
    if len(group) == 1:
        return [group]
    boxes = shapely.box(group["west"], group["south"], group["east"], group["north"])
    grown = np.asarray(shapely.buffer(boxes, STREET_JOIN_DEG, quad_segs=1), dtype=object)
    clusters = shapely.get_parts(shapely.union_all(grown))
    tree = shapely.STRtree(np.asarray(clusters, dtype=object))
    middles = shapely.points(
        (group["west"] + group["east"]) / 2, (group["south"] + group["north"]) / 2
    )  # the middle of each box
    which = tree.query(middles, predicate="within")
    label = np.empty(len(group), dtype=np.int64)
    label[which[0]] = which[1]
    return [group[label == k] for k in np.unique(label)]


def _cameras(cameras: gpd.GeoDataFrame) -> pd.DataFrame:
    xs = shapely.get_x(np.asarray(cameras.geometry.array, dtype=object))
    ys = shapely.get_y(np.asarray(cameras.geometry.array, dtype=object))
    frames = []
    for column in ("name", "operator", "id"):
        if column not in cameras:
            continue
        values = cameras[column]
        keep = (values.notna() & (values.astype(str).str.strip() != "")).to_numpy()
        if not keep.any():
            continue
        frames.append(
            pd.DataFrame(
                {
                    "kind": "camera",
                    "name": values[keep].astype(str).to_numpy(),
                    "detail": None if column == "id" else column,
                    "id": cameras["id"][keep].astype(str).to_numpy(),
                    "lon": xs[keep],
                    "lat": ys[keep],
                    "west": xs[keep],
                    "south": ys[keep],
                    "east": xs[keep],
                    "north": ys[keep],
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def find_places(index: pd.DataFrame, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """The places of ``index`` whose name matches ``query``, best first (see the module):
    each a dict of :data:`PLACE_COLUMNS`. An empty query finds nothing."""
    key = normalize_name(query)
    if not key or not len(index):
        return []
    names = index["key"]
    exact = (names == key).to_numpy()
    starts = names.str.startswith(key).to_numpy()
    escaped = re.escape(key)
    whole_word = names.str.contains(rf"\b{escaped}\b", regex=True).to_numpy()
    word = names.str.contains(rf"\b{escaped}", regex=True).to_numpy()
    anywhere = names.str.contains(key, regex=False).to_numpy()
    score = np.select([exact, starts, whole_word, word, anywhere], [0, 1, 2, 3, 4], default=-1)
    found = index[score >= 0].assign(
        _score=score[score >= 0],
        _kind=[PLACE_KINDS.index(k) for k in index["kind"][score >= 0]],
        _length=names[score >= 0].str.len(),
    )
    found = found.sort_values(["_score", "_kind", "_length", "name", "id"], kind="stable")
    found = found.drop_duplicates(["kind", "id"]).head(limit)
    out = []
    for row in found[list(PLACE_COLUMNS)].itertuples(index=False):
        place = dict(zip(PLACE_COLUMNS, row, strict=True))
        for column in ("lon", "lat", "west", "south", "east", "north"):
            place[column] = float(place[column])
        place["detail"] = None if pd.isna(place["detail"]) else str(place["detail"])
        level = place["admin_level"]
        place["admin_level"] = None if level is None or pd.isna(level) else int(level)
        out.append(place)
    return out
