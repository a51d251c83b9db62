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
