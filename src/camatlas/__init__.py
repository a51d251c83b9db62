"""camatlas: an open atlas of surveillance cameras.

The public API::

    import camatlas

    atlas = camatlas.open_atlas("city.gpkg")
    atlas.import_file("city.osm.pbf")
    cameras = atlas.cameras(bbox=(west, south, east, north))  # a GeoDataFrame
    atlas.stats()

It maps infrastructure, never people.
"""

from camatlas.atlas import OSM_ATTRIBUTION, Atlas, ImportSummary, open_atlas, read_file
from camatlas.camera import Camera, Direction, TagProblem, camera_from_tags, parse_direction
from camatlas.errors import AtlasError, CamatlasError, FetchError, FormatError, InputError

__version__ = "0.1.0"

__all__ = [
    "OSM_ATTRIBUTION",
    "Atlas",
    "AtlasError",
    "CamatlasError",
    "Camera",
    "Direction",
    "FetchError",
    "FormatError",
    "ImportSummary",
    "InputError",
    "TagProblem",
    "__version__",
    "camera_from_tags",
    "open_atlas",
    "parse_direction",
    "read_file",
]
