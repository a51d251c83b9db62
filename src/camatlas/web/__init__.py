"""The web map and HTTP API of an atlas (``camatlas serve``).

:mod:`camatlas.web.app` holds the FastAPI app and the server; :mod:`camatlas.web.tiles`
makes the vector tiles. The page's scripts and styles live in ``static/`` (with
MapLibre GL JS and Swagger UI vendored from npm, under their own licences) and
its HTML in ``templates/``.
"""
