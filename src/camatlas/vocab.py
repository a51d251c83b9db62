"""The words of camatlas: what cameras, streets, layers and levels are called, and the defaults.

One place for every named set the rest of the package uses, so that a kind of
camera, a class of street or a DORI level means the same thing in every module,
on the command line and in the web app. This module imports nothing heavy: the
command line reads its help texts and defaults from here before any analysis
library is loaded.

>>> from camatlas import vocab
>>> "footway" in vocab.COUNTED_HIGHWAYS, "footway" in vocab.DRIVABLE_HIGHWAYS
(True, False)
>>> vocab.DORI_LEVELS[0]
'identification'
"""

from __future__ import annotations

from typing import Final

# --- cameras ---------------------------------------------------------------------------

KINDS = ("camera", "guard", "alpr", "gunshot_detector", "other")
"""What a surveillance device is (from ``surveillance:type``)."""

CAMERA_TYPES = ("fixed", "dome", "panning", "doorbell", "unknown")
"""How a camera moves (from ``camera:type``)."""

SURVEILLANCE_SCOPES = ("public", "outdoor", "indoor")
"""What a camera watches (from ``surveillance``)."""

SURVEILLANCE_SELECTIONS = (*SURVEILLANCE_SCOPES, "unknown")
"""What ``measure --surveillance`` selects from: a scope, or ``unknown`` (not tagged)."""

STREET_FACING = ("public", "outdoor", "unknown")
"""Scopes of the **street-facing** cameras, those densities and rankings count unless told
otherwise: every camera not tagged ``surveillance=indoor``. An indoor camera (a shop's, a
station hall's) watches no street, and counting it would overstate how watched the streets
are; it is reported beside them."""

FIELDS = (
    "kind",
    "camera_type",
    "mount",
    "zone",
    "surveillance",
    "directions",
    "width_deg",
    "range_m",
    "height_m",
    "tilt_deg",
    "operator",
    "manufacturer",
    "name",
)
"""Camera fields a registry column can be mapped onto (``--column FIELD=COLUMN``)."""

KIND_TAG_VALUES = {
    "camera": "camera",
    "guard": "guard",
    "alpr": "alpr",
    "anpr": "alpr",
    "gunshot_detector": "gunshot_detector",
    "other": "other",  # a registry's own word for "none of the above": read, not guessed
}
"""``surveillance:type`` value (lower case) -> :data:`KINDS` entry."""

REGISTRY_KINDS: dict[str, tuple[str, str | None]] = {
    "camera": ("camera", None),
    "cctv": ("camera", None),
    "surveillance_camera": ("camera", None),
    "video_camera": ("camera", None),
    "traffic_camera": ("camera", "traffic"),
    "speed_camera": ("camera", "traffic"),
    "red_light_camera": ("camera", "traffic"),
    "alpr": ("alpr", None),
    "anpr": ("alpr", None),
    "lpr": ("alpr", None),
    "alpr_camera": ("alpr", None),
    "anpr_camera": ("alpr", None),
    "lpr_camera": ("alpr", None),
    "license_plate_reader": ("alpr", None),
    "licence_plate_reader": ("alpr", None),
    "gunshot_detector": ("gunshot_detector", None),
    "gunshot_detection": ("gunshot_detector", None),
    "shotspotter": ("gunshot_detector", None),
    "guard": ("guard", None),
    "other": ("other", None),
}
"""Kind values of public registries (lower case, ``_`` for blanks and ``-``) -> (kind, zone).

Traffic, speed and red-light cameras are cameras in zone ``traffic``."""

# --- what cameras can make out ---------------------------------------------------------

DORI_LEVELS = ("identification", "recognition", "observation", "detection")
"""DORI levels of IEC EN 62676-4, finest first."""

DORI_PX_PER_M = {
    "identification": 250.0,
    "recognition": 125.0,
    "observation": 62.5,
    "detection": 25.0,
}
"""Pixels per metre of scene width each DORI level needs (IEC EN 62676-4:2015)."""

VIEW_LEVEL = "view"
"""Level of the rows holding a camera's whole visible area (its DORI bands have the others)."""

LEVELS = (VIEW_LEVEL, *DORI_LEVELS)
"""Every value of a view's ``level``: the whole view, then its DORI bands."""

# --- streets ---------------------------------------------------------------------------
# OSM ``highway`` values grouped once; the named sets below are unions of these groups,
# so that where two sets differ the difference is written here, with its reason.

MOTORWAYS = frozenset({"motorway", "motorway_link"})
"""Motorways and their links."""

MAIN_ROADS = frozenset(
    {
        "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
        "tertiary", "tertiary_link",
    }
)  # fmt: skip
"""Trunk, primary, secondary and tertiary roads and their links."""

LOCAL_ROADS = frozenset({"unclassified", "residential", "living_street", "service", "road"})
"""Minor roads open to every kind of traffic."""

FOOTWAYS = frozenset({"pedestrian", "footway", "path", "steps", "track", "bridleway", "crossing"})
"""Ways for walking (``track`` and ``path`` are walked, ridden and cycled)."""

CYCLEWAYS = frozenset({"cycleway", "path", "track"})
"""Ways for cycling."""

COUNTED_HIGHWAYS = (
    MOTORWAYS | MAIN_ROADS | LOCAL_ROADS | FOOTWAYS | {"cycleway", "busway", "sidewalk"}
)
"""Streets whose length counts in coverage and density: every way a person walks, cycles or
drives along outdoors, motorways included (ALPR and traffic cameras watch the people in the
vehicles). Left out: ways not open (yet, or any longer: ``proposed``, ``construction``,
``abandoned``, ``disused``, ``razed``), places and features rather than ways (``platform``,
``bus_stop``, ``rest_area``, ``services``, ``elevator``, ``emergency_bay``,
``traffic_island``), indoor corridors (``corridor``), ``raceway``, ``bus_guideway``,
``escape``, ``via_ferrata``; also any closed way tagged ``area=yes`` (the outline of a square
is not a street)."""

WALKABLE_HIGHWAYS = MAIN_ROADS | LOCAL_ROADS | FOOTWAYS | {"corridor", "platform"}
"""Streets the ``walk`` profile routes on unless an access tag says otherwise. Unlike
:data:`COUNTED_HIGHWAYS` it has corridors and platforms, which a person walks along to get
somewhere but which are no street to watch; it has no motorways."""

CYCLABLE_HIGHWAYS = MAIN_ROADS | LOCAL_ROADS | CYCLEWAYS
"""Streets the ``bike`` profile routes on unless an access tag says otherwise."""

DRIVABLE_HIGHWAYS = MAIN_ROADS | LOCAL_ROADS | MOTORWAYS
"""Streets the ``car`` profile routes on unless an access tag says otherwise."""

DRAWN_AT_LOW_ZOOM = MOTORWAYS | MAIN_ROADS
"""Streets the map draws below zoom 14 (every street from zoom 14)."""

NOT_A_WAY = frozenset(
    {
        "proposed", "construction", "abandoned", "planned", "razed", "disused", "raceway",
        "bus_guideway", "escape", "emergency_bay", "rest_area", "services", "no",
        "via_ferrata",
    }
)  # fmt: skip
"""Highway values that are no usable way for anyone (or not a way at all): never routed on,
whatever an access tag says."""

PROFILES = ("walk", "bike", "car")
"""Ways of travelling: walking ignores one-way streets; bikes and cars respect them."""

PROFILE_HIGHWAYS = {
    "walk": WALKABLE_HIGHWAYS,
    "bike": CYCLABLE_HIGHWAYS,
    "car": DRIVABLE_HIGHWAYS,
}
"""The streets each profile uses by default."""

# --- the atlas -------------------------------------------------------------------------

LAYERS = ("cameras", "streets", "buildings", "areas")
"""Feature layers of every atlas (WGS 84, EPSG:4326)."""

SIGHT_LAYERS = ("views", "view_zones")
"""Result layers written by ``camatlas sight``: each camera's view, and its DORI bands."""

MEASURE_LAYERS = ("street_coverage", "measure_by_area", "blind_spots")
"""Result layers written by ``camatlas measure``."""

FORMATS = ("osm-pbf", "osm-xml", "overpass-json", "geojson", "json-records", "csv")
"""Input formats camatlas reads, as named by ``--format``."""

EXPORT_FORMATS = {"geojson": "GeoJSON", "gpkg": "GPKG", "fgb": "FlatGeobuf", "csv": "CSV"}
"""Export formats and the GDAL drivers that write them."""

# --- defaults, each documented in docs/method.md ---------------------------------------

DEFAULT_LINK_DISTANCE_M = 15.0
"""Cameras of different sources this close (metres, great-circle) are linked as one camera."""

DEFAULT_RESOLUTION_PX = 1920
"""Assumed horizontal resolution of a camera in pixels (1080p, the most common today)."""

AREA_BUFFER_M = 100.0
"""Street land: the land within this distance of a counted street (metres)."""

DEFAULT_MIN_BLIND_M = 100.0
"""Shortest unwatched stretch reported as a blind spot (metres; about one city block)."""

RANK_BY = (
    "cameras_per_km2",
    "watched_share",
    "cameras_per_street_km",
    "cameras_per_drivable_km",
    "cameras_per_1000_residents",
    "watched_m_per_street_km",
    "cameras",
)
"""Figures an area ranking can be sorted by (largest first); the first is the default."""

DEFAULT_PROFILE: Final = "walk"
"""The profile of a route unless told otherwise."""

DEFAULT_MAX_SNAP_M = 250.0
"""Farthest a route's end may lie from the nearest usable street (metres)."""

DEFAULT_SPEED_KMH = 5.0
"""Speed that turns metres in view into seconds: 5 km/h, a common walking average."""

MIN_SPEED_KMH = 0.1
"""Slowest speed an exposure is measured at (km/h): slower, seconds have no meaning."""

MAX_SPEED_KMH = 300.0
"""Fastest speed an exposure is measured at (km/h), a high-speed train."""

# --- what every figure says about itself -----------------------------------------------

OSM_ATTRIBUTION = "(c) OpenStreetMap contributors, ODbL 1.0"
"""Attribution that every map, report or export of OSM-derived data carries."""

DATA_ATTRIBUTION = f"OpenStreetMap data {OSM_ATTRIBUTION}"
"""The attribution as a sentence."""

KNOWN_CAMERAS_ONLY = (
    "Known cameras only: cameras that are not mapped are not counted, so every figure is a "
    "lower bound of the real one."
)
"""What every figure counts."""

PROVENANCE = f"{KNOWN_CAMERAS_ONLY} {DATA_ATTRIBUTION}."
"""The line every result ends with: what it counts and whose data it is."""

NOT_LOGGED = "The points and tracks sent are not logged or stored."
"""What route and exposure answers add about the request itself."""
