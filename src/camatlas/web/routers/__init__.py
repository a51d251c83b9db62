"""The app's endpoints, one router per resource.

- :mod:`~camatlas.web.routers.pages`: the map and the API documentation;
- :mod:`~camatlas.web.routers.atlas`: health, the map's configuration, statistics;
- :mod:`~camatlas.web.routers.cameras`: cameras as GeoJSON, one camera with its tags;
- :mod:`~camatlas.web.routers.layers`: layers and result layers, stored measurements;
- :mod:`~camatlas.web.routers.places`: places found by name, and the map's place labels;
- :mod:`~camatlas.web.routers.routes`: least-watched routes and the exposure of a track;
- :mod:`~camatlas.web.routers.tiles`: vector tiles, and the glyphs of the map's labels.
"""
