"""Readers that turn input files into camatlas records.

Each reader returns a :class:`~camatlas.records.SourceData`: the cameras,
streets, buildings and areas it found, the tag problems met while normalizing,
and the rows it rejected. Readers never write to an atlas; the atlas
(:meth:`camatlas.atlas.Atlas.import_file`) does that in one transaction, so a
failing reader leaves the atlas untouched.

- :mod:`~camatlas.sources.osm`: OpenStreetMap PBF and XML files, streamed;
- :mod:`~camatlas.sources.overpass`: Overpass API queries and their JSON answers;
- :mod:`~camatlas.sources.table`: camera registries (CSV, GeoJSON, JSON records);
- :mod:`~camatlas.sources.multipolygon`: areas of multipolygon relations, for both OSM readers;
- :mod:`~camatlas.sources.tracks`: GPX and GeoJSON tracks, for exposure;
- :mod:`~camatlas.sources.polygons`: a user's areas and population tables, for measure.

:func:`read_file` reads any input, its format told from its content.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from camatlas.records import SourceData
from camatlas.sources.formats import (
    Progress,
    check_layers,
    detect_format,
    file_format,
    source_name_for,
)
from camatlas.sources.table import TableOptions
from camatlas.vocab import FORMATS, LAYERS

__all__ = [
    "FORMATS",
    "Progress",
    "TableOptions",
    "check_layers",
    "detect_format",
    "file_format",
    "read_file",
    "source_name_for",
]


def read_file(
    path: str | Path,
    *,
    format: str | None = None,
    layers: Collection[str] = LAYERS,
    table_options: TableOptions | None = None,
    progress: Progress | None = None,
) -> SourceData:
    """Read one input file into records without touching any atlas.

    Parameters
    ----------
    path
        An OSM PBF or XML file, an Overpass JSON response, a CSV, GeoJSON or
        JSON list of camera records.
    format
        One of :data:`camatlas.vocab.FORMATS`; detected from the content
        when omitted. A given format wins over the content (for files the
        detection misjudges): the file is read as that format, and what does not
        fit it is an error of that reader.
    layers
        Which of ``cameras``, ``streets``, ``buildings``, ``areas`` to read (OSM inputs).
    table_options
        Column choices for registries (CSV, GeoJSON, JSON records).
    progress
        Called as ``progress(stage, done, total)`` while an OSM file is read.

    Raises
    ------
    FormatError
        If the file is missing or in no format camatlas reads, or ``format`` is
        unknown.
    InputError
        If the file cannot be read (the message names the file, line or element,
        and the value), or a layer is unknown.
    """
    chosen = file_format(path, format)
    wanted = check_layers(layers)
    # The readers load when a file of theirs is read: opening an atlas (the web server,
    # a registry import) never loads pyosmium.
    from camatlas.sources.osm import read_osm
    from camatlas.sources.overpass import read_overpass
    from camatlas.sources.table import read_table

    if chosen in ("osm-pbf", "osm-xml"):
        return read_osm(path, layers=wanted, progress=progress, format=chosen)
    if chosen == "overpass-json":
        return read_overpass(path, format=chosen).keep_layers(wanted)
    return read_table(path, table_options, format=chosen)
