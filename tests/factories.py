"""Small hand-made records for store and atlas tests."""

from __future__ import annotations

import shapely

from camatlas.records import Building, Camera, Direction, SourceData, Street

# Offsets in degrees that move a point by about one metre near latitude 41.
DEG_PER_M_LAT = 1 / 111_132.0


def camera(
    source: str, source_id: str, lon: float, lat: float, kind: str = "camera", **fields: object
) -> Camera:
    return Camera(
        id=f"{source}:{source_id}",
        lon=lon,
        lat=lat,
        source=source,
        source_id=source_id,
        kind=kind,
        tags={"man_made": "surveillance", "name": f"cam {source_id}"},
        **fields,  # type: ignore[arg-type]
    )


def source_data(source: str, cameras: list[Camera], path: str = "test.csv") -> SourceData:
    return SourceData(path=path, format="csv", source=source, cameras=cameras)


def osm_data() -> SourceData:
    """Two cameras, two streets and a building around (-8.61, 41.15)."""
    cams = [
        camera(
            "osm",
            "node/1",
            -8.6100,
            41.1500,
            camera_type="dome",
            surveillance="public",
            directions=(Direction(90.0),),
            height_m=5.0,
        ),
        camera(
            "osm", "node/2", -8.6110, 41.1510, kind="alpr", directions=(Direction(190.0, 100.0),)
        ),
    ]
    streets = [
        Street(
            id="osm:way/10",
            highway="residential",
            name="Rua A",
            geometry=shapely.LineString([(-8.612, 41.15), (-8.608, 41.15)]),
            nodes=(1, 2),
        ),
        Street(
            id="osm:way/11",
            highway="footway",
            name=None,
            geometry=shapely.LineString([(-8.610, 41.149), (-8.610, 41.152)]),
            nodes=(3, 4),
        ),
    ]
    buildings = [
        Building(
            id="osm:way/20",
            building="yes",
            height_m=12.0,
            levels=4.0,
            geometry=shapely.box(-8.6105, 41.1502, -8.6102, 41.1505),
        ),
    ]
    return SourceData(
        path="city.osm.pbf",
        format="osm-pbf",
        source="osm",
        cameras=cams,
        streets=streets,
        buildings=buildings,
    )


# --- a small city, for docstring examples and the README's -------------------------------

CITY_WEST, CITY_SOUTH, CITY_STEP = -8.612, 41.149, 0.001
"""A grid of 5 x 3 street nodes 0.001 degrees apart (about 84 m east-west, 111 m
north-south) in Porto."""


def city_node(i: int, j: int) -> tuple[float, float]:
    """(lon, lat) of node (i, j) of the small city's grid."""
    return (round(CITY_WEST + i * CITY_STEP, 6), round(CITY_SOUTH + j * CITY_STEP, 6))


def small_city() -> SourceData:
    """Streets of a 5 x 3 grid, one building and three cameras (a dome, a fixed camera
    looking east, an ALPR), as an OSM import."""
    streets = []
    for i in range(5):
        for j in range(3):
            for di, dj in ((1, 0), (0, 1)):
                if i + di > 4 or j + dj > 2:
                    continue
                a, b = 100 + 10 * i + j, 100 + 10 * (i + di) + (j + dj)
                streets.append(
                    Street(
                        id=f"osm:way/{a}{b}",
                        highway="residential",
                        name=f"Rua {a}-{b}",
                        geometry=shapely.LineString([city_node(i, j), city_node(i + di, j + dj)]),
                        nodes=(a, b),
                        tags={"highway": "residential", "name": f"Rua {a}-{b}"},
                    )
                )
    lon, lat = city_node(1, 1)
    cams = [
        camera("osm", "node/1", lon + 0.0001, lat, camera_type="dome", surveillance="public",
               operator="City police"),
        camera("osm", "node/2", *city_node(3, 1), camera_type="fixed", surveillance="outdoor",
               directions=(Direction(90.0),)),
        camera("osm", "node/3", *city_node(2, 0), kind="alpr", camera_type="fixed",
               directions=(Direction(0.0),)),
    ]  # fmt: skip
    buildings = [
        Building(
            id="osm:way/50",
            building="yes",
            geometry=shapely.box(lon + 0.0002, lat + 0.0001, lon + 0.0006, lat + 0.0005),
        )
    ]
    return SourceData(
        path="city.osm", format="osm-xml", source="osm",
        cameras=cams, streets=streets, buildings=buildings,
    )  # fmt: skip
