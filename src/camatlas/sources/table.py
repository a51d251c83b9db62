"""Public camera registries: CSV, GeoJSON, or a JSON list of records.

:func:`read_table` turns each row (CSV line, JSON record, GeoJSON feature) into
one :class:`~camatlas.records.Camera`. Every non-empty value of the row is kept
verbatim as a tag ``{column: value}``, so columns named like OSM keys
(``operator``, ``name``, ``camera:direction``, ``surveillance:type``,
``height``, ...) are read by :func:`~camatlas.tags.camera_from_tags` like
any OSM tag. Other columns are mapped onto model fields with
:attr:`TableOptions.columns`.

What is recognized without being told (column names compared without regard to
case, surrounding blanks, or ``-``/space versus ``_``):

coordinates
    ``lat``/``latitude``/``y_lat``... with ``lon``/``lng``/``long``/
    ``longitude``...; else ``x``/``y`` (WGS 84 longitude/latitude unless
    :attr:`TableOptions.crs` says otherwise) or ``easting``/``northing``
    (which need :attr:`TableOptions.crs`); else a WKT column ``wkt``,
    ``wkt_geom``, ``geometry``, ``the_geom`` or ``geom`` (a point; any other
    geometry stands for its centroid). GeoJSON features use their geometry.
source id
    the first of ``id``, ``cameraId``, ``camera_id``, ``fid``, ``objectid``,
    ``featureNum`` (a GeoJSON feature's own ``id`` first); else the 1-based
    number of the data row. Ids must be unique within a file.
kind
    a column ``kind``, ``type``, ``surveillance_type``, ``camera_type_raw`` or
    ``device_type``, translated from registry vocabulary (see
    :data:`~camatlas.vocab.REGISTRY_KINDS`): ``alpr``/``anpr``/``lpr`` -> ``alpr``;
    ``cctv``/``camera`` -> ``camera``; ``traffic_camera``/``speed_camera``/
    ``red_light_camera`` -> ``camera`` in zone ``traffic``; ``shotspotter`` ->
    ``gunshot_detector``; ``guard``. Any other value becomes ``other`` and is
    reported as a problem. A registry without a kind column is taken to be a
    CCTV registry: every row gets :attr:`TableOptions.kind`, by default
    ``camera``.
name
    when there is no ``name`` column and no explicit mapping, the first of
    ``label``, ``title``, ``camera_name``, ``featureAlias`` gives the name.

Coordinates are read strictly: a plain ASCII decimal number (``53.464515``,
``-2.28``) or a JSON number. Values that a spreadsheet has mangled, such as
``461.993.881`` or ``53,464515``, are refused, never repaired; so are values out
of range and the placeholder position 0, 0 ("null island"). A refused row stops
the import with an :class:`~camatlas.errors.InputError` naming the file, the
line (CSV, 1-based, the header is line 1) or record/feature (JSON), the column
and the value; with :attr:`TableOptions.skip_bad_rows` it is listed in
:attr:`SourceData.rejected` instead and the import goes on.

Units: coordinates in WGS 84 degrees (longitude, latitude) after transformation
from :attr:`TableOptions.crs`; other values are passed on verbatim.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

import shapely.errors
import shapely.geometry
import shapely.wkt

from camatlas.coords import NULL_ISLAND, is_finite, is_null_island
from camatlas.errors import FormatError, InputError
from camatlas.lazy import pyproj
from camatlas.records import Rejected, SourceData
from camatlas.sources.formats import file_format, load_json, source_name_for
from camatlas.tags import camera_from_tags
from camatlas.vocab import FIELDS, REGISTRY_KINDS

__all__ = ["TableOptions", "read_table"]

TABLE_FORMATS = ("csv", "geojson", "json-records")
"""Formats :func:`read_table` reads (as named by :func:`~camatlas.sources.detect_format`)."""

LAT_COLUMNS = ("lat", "latitude", "y_lat", "lat_y", "lat_wgs84", "wgs84_lat", "latitude_wgs84")
LON_COLUMNS = (
    "lon",
    "lng",
    "long",
    "longitude",
    "x_lon",
    "lon_x",
    "x_lng",
    "x_long",
    "lon_wgs84",
    "wgs84_lon",
    "longitude_wgs84",
)
XY_COLUMNS = (("x", "y"), ("point_x", "point_y"), ("coord_x", "coord_y"))
"""Column pairs taken as WGS 84 longitude/latitude unless a CRS is given."""
PROJECTED_COLUMNS = (("easting", "northing"),)
"""Column pairs that are always projected coordinates and so need a CRS."""
WKT_COLUMNS = ("wkt", "wkt_geom", "geometry", "the_geom", "geom")
ID_COLUMNS = ("id", "cameraid", "camera_id", "fid", "objectid", "featurenum")
KIND_COLUMNS = ("kind", "type", "surveillance_type", "camera_type_raw", "device_type")
NAME_COLUMNS = ("label", "title", "camera_name", "cameraname", "featurealias")

SNIFF_BYTES = 65536
"""How much of a CSV file (in characters) the delimiter sniffer looks at."""

DELIMITERS = ",;\t|"
"""Delimiters a CSV file may use when none is given."""

CUT_ROWS = 10
"""Rows from which a last row may be judged cut against most, not all, others."""

CUT_SHARE = 0.9
"""Share of the other rows with more decimals that makes a last row look cut."""

_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


@dataclass(slots=True)
class TableOptions:
    """How to read a registry table; every field is optional.

    Attributes
    ----------
    lat, lon
        Columns of latitude and longitude (degrees; WGS 84 unless ``crs``).
    x, y
        Columns of x (easting or longitude) and y (northing or latitude), in
        ``crs`` (metres for a projected CRS), WGS 84 degrees without it.
    wkt
        Column of WKT geometry in ``crs``; a non-point stands for its centroid.
    crs
        CRS of the coordinates, e.g. ``"EPSG:27700"``; anything pyproj reads.
        Default: WGS 84 longitude/latitude. Applies to whichever coordinates
        are read (lat/lon, x/y, WKT or a GeoJSON geometry).
    id
        Column holding each row's id within the registry.
    columns
        Model field (one of :data:`camatlas.vocab.FIELDS`) -> column name,
        e.g. ``{"range_m": "radius", "width_deg": "angle_of_view"}``. The
        column's raw value overrides the value derived from tags. A column
        mapped to ``kind`` is translated with :data:`~camatlas.vocab.REGISTRY_KINDS`.
    kind
        Kind of every row when there is no kind column (registry vocabulary,
        e.g. ``"cctv"`` or ``"alpr"``). Default ``"camera"``.
    source
        Source name of the cameras; default derived from the file name by
        :func:`~camatlas.sources.source_name_for`.
    skip_bad_rows
        List rows with bad coordinates or ids as rejected instead of failing.
    row_ids
        Use each row's number (1-based; record or feature number in JSON) as
        its id, ignoring id columns: for registries whose ids are missing or
        repeated. Such ids stay stable only while the file keeps its order.
    delimiter
        CSV delimiter; sniffed among ``, ; TAB |`` when not given.
    """

    lat: str | None = None
    lon: str | None = None
    x: str | None = None
    y: str | None = None
    wkt: str | None = None
    crs: str | None = None
    id: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    kind: str | None = None
    source: str | None = None
    skip_bad_rows: bool = False
    delimiter: str | None = None
    row_ids: bool = False


def read_table(
    path: str | Path, options: TableOptions | None = None, *, format: str | None = None
) -> SourceData:
    """Read a camera registry: CSV, GeoJSON, or a JSON list of records.

    Parameters
    ----------
    path
        The file. Its format is told from its content, not its extension.
    options
        How to read it; see :class:`TableOptions`. Default: detect everything.

    Returns
    -------
    SourceData
        One camera per good row, with format ``"csv"``, ``"geojson"`` or
        ``"json-records"``; rows refused under ``skip_bad_rows`` in ``rejected``.

    Raises
    ------
    FormatError
        If the file is not in one of those formats (e.g. an OSM PBF file).
    InputError
        If the file holds no rows, no coordinate columns can be found, or a
        row has bad coordinates or a duplicate id (unless ``skip_bad_rows``).
        The message names the file, the line or record, the column and the value.
    """
    options = options or TableOptions()
    fmt = file_format(path, format)
    if fmt not in TABLE_FORMATS:
        hint = {
            "osm-pbf": "read OSM files with the OSM reader",
            "osm-xml": "read OSM files with the OSM reader",
            "overpass-json": "read Overpass API output with camatlas.sources.overpass",
        }.get(fmt, "")
        raise FormatError(
            f"this is {fmt}, not a registry table (CSV, GeoJSON or JSON records)"
            + (f"; {hint}" if hint else ""),
            path=path,
        )
    if options.delimiter is not None and len(options.delimiter) != 1:
        raise InputError("the CSV delimiter must be one character", value=options.delimiter)
    if fmt == "csv":
        return _read_csv(Path(path), options)
    return _read_json(Path(path), fmt, options)


# --- formats -----------------------------------------------------------------------------------


def _read_csv(path: Path, options: TableOptions) -> SourceData:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            'not UTF-8 text; save the table as UTF-8 ("CSV UTF-8" in spreadsheet programs)',
            path=path,
            line=raw[: exc.start].count(b"\n") + 1,
            value=raw[exc.start : exc.start + 8],
        ) from None
    delimiter = options.delimiter or _sniff_delimiter(text)
    rows = _csv_rows(path, text, delimiter)
    header_line, header = next(rows, (0, []))
    names = [name.strip() for name in header]
    if not any(names):
        raise InputError("the table is empty: no header and no rows", path=path)
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise InputError(
                "a column name appears twice in the header", path=path, line=header_line, value=name
            )
        seen.add(name)
    reader = _TableReader(path, "csv", options, [name for name in names if name])
    width = len(names)
    digits = _Digits(width)
    unterminated = not text.endswith(("\n", "\r"))
    pending: tuple[int, list[str]] | None = None
    # Each row is taken when the next one is read, so that the last one is known:
    # in a file without a final line break it may have been cut short.
    for line, cells in chain(rows, [(0, [])]):
        if pending is not None:
            last = not cells
            row_line, row_cells = pending
            reader.row_number += 1
            where = _Where(line=row_line, element=None)
            if len(row_cells) > width and any(cell.strip() for cell in row_cells[width:]):
                reader.bad(
                    f"the row has {len(row_cells)} fields but the header has {width}; "
                    f"a value probably holds an unquoted {delimiter!r}",
                    delimiter.join(row_cells),
                    where,
                )
            elif last and unterminated and (cut := digits.cut_short(row_cells, names)):
                reader.bad(
                    f"the file ends inside this row without a line break, and {cut}: the "
                    "file looks cut short (if the row is whole, end the file with a line break)",
                    delimiter.join(row_cells),
                    where,
                )
            else:
                digits.add(row_cells)
                values = {name: cell for name, cell in zip(names, row_cells, strict=False) if name}
                reader.add(values, where)
        pending = (line, cells)
    if reader.row_number == 0:
        raise InputError("the table has a header but no data rows", path=path)
    return reader.finish()


CUT_ROWS = 10
"""Rows from which a last row may be judged cut against most, not all, others."""

CUT_SHARE = 0.9
"""Share of the other rows with more decimals that makes a last row look cut."""

_FRACTION = re.compile(r"\s*[-+]?\d*\.(\d+)\s*")


class _Digits:
    """How many decimals the last column's numbers have, to spot a last row cut inside one.

    A cut ends a row, so only a row's last field can be shortened (a row with fewer fields
    than the header is cut anyway): only the header's last column is counted. A number cut
    short has fewer decimals than the column's usual: the last row is suspect when every
    other row has more, or, from :data:`CUT_ROWS` rows on, a share of at least
    :data:`CUT_SHARE` of them (registries mix a few rounded values into 6-decimal columns).
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self.decimals: Counter[int] = Counter()
        self.other = False  # a value in the last column that is not a decimal number
        self.rows = 0

    def add(self, cells: list[str]) -> None:
        self.rows += 1
        if len(cells) < self.width:
            return
        found = _FRACTION.fullmatch(cells[self.width - 1])
        if found is None:
            self.other = True
        else:
            self.decimals[len(found[1])] += 1

    def cut_short(self, cells: list[str], names: list[str]) -> str:
        """Why the last row looks cut, or ``""``: fewer fields than the header, or its last
        value a number with fewer decimals than the column's usual."""
        if self.rows == 0:
            return ""
        if len(cells) < self.width:
            return f"it has {len(cells)} of the header's {self.width} fields"
        if len(cells) > self.width or self.other:
            return ""
        last = cells[-1]
        found = _FRACTION.fullmatch(last)
        seen = sum(self.decimals.values())
        if found is None or not seen:
            return ""
        more = sum(n for decimals, n in self.decimals.items() if decimals > len(found[1]))
        if more < seen and (seen < CUT_ROWS or more < CUT_SHARE * seen):
            return ""
        return (
            f"its {names[-1] or 'last'!r} value {last.strip()!r} has "
            f"{len(found[1])} decimals where {more} of the {seen} other rows have more"
        )


def _csv_rows(path: Path, text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first physical line, cells) of each non-blank CSV record; lines are 1-based."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", path=path, line=previous + 1) from None
        first = previous + 1
        previous = reader.line_num
        if any(cell.strip() for cell in cells):
            yield first, cells


def _sniff_delimiter(text: str) -> str:
    """Guess the delimiter among :data:`DELIMITERS` from the start of ``text``."""
    sample = text[:SNIFF_BYTES]
    if len(text) > SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    header = sample.lstrip("\r\n").split("\n", 1)[0]
    try:
        found: str = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and found in header:
        return found
    counts = {candidate: header.count(candidate) for candidate in DELIMITERS}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


def _read_json(path: Path, fmt: str, options: TableOptions) -> SourceData:
    document = load_json(path.read_bytes(), path)
    if fmt == "geojson":
        return _read_geojson(path, document, options)
    if not isinstance(document, list):
        raise FormatError("expected a JSON list of records", path=path)
    if not document:
        raise InputError("the list of records is empty", path=path)
    reader = _TableReader(path, fmt, options, _keys(document))
    for number, record in enumerate(document, start=1):
        reader.row_number = number
        where = _Where(line=None, element=f"record {number}")
        if not isinstance(record, dict):
            reader.bad("the record is not a JSON object", _raw_text(record), where)
            continue
        reader.add(record, where)
    return reader.finish()


def _read_geojson(path: Path, document: Any, options: TableOptions) -> SourceData:
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise FormatError("a FeatureCollection without a list of features", path=path)
    elif isinstance(document, dict) and document.get("type") == "Feature":
        features = [document]
    else:
        raise FormatError("GeoJSON, but neither a FeatureCollection nor a Feature", path=path)
    if not features:
        raise InputError("the FeatureCollection has no features", path=path)
    crs = options.crs
    if crs is None and isinstance(document.get("crs"), dict):
        # Pre-RFC 7946 GeoJSON names its CRS, e.g. "urn:ogc:def:crs:EPSG::27700".
        named = document["crs"].get("properties")
        named = named.get("name") if isinstance(named, dict) else None
        crs = named if isinstance(named, str) else None
    properties = [(f.get("properties") or {}) if isinstance(f, dict) else {} for f in features]
    reader = _TableReader(path, "geojson", options, _keys(properties), crs=crs, geometry=True)
    for number, (feature, props) in enumerate(zip(features, properties, strict=True), start=1):
        reader.row_number = number
        where = _Where(line=None, element=f"feature {number}")
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            reader.bad("not a GeoJSON Feature", _raw_text(feature), where)
            continue
        if not isinstance(props, dict):
            reader.bad("the feature's properties are not an object", _raw_text(props), where)
            continue
        reader.add(props, where, geometry=feature.get("geometry"), feature_id=feature.get("id"))
    return reader.finish()


def _keys(records: Sequence[object]) -> list[str]:
    """Union of the keys of the dict records, in order of first appearance."""
    keys: dict[str, None] = {}
    for record in records:
        if isinstance(record, dict):
            keys.update(dict.fromkeys(record))
    return list(keys)


# --- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Where:
    """Where a row is: a 1-based physical CSV line, or a JSON element such as ``record 3``."""

    line: int | None
    element: str | None

    def __str__(self) -> str:
        return f"line {self.line}" if self.line is not None else str(self.element)


class _BadRow(Exception):
    """A row that cannot be imported; ``value`` is the offending raw text."""

    def __init__(self, message: str, value: str) -> None:
        super().__init__(message)
        self.message = message
        self.value = value


class _Transform(Protocol):
    def __call__(self, x: float, y: float) -> tuple[float, float]: ...


class _TableReader:
    """Turns the rows of one table into cameras, knowing which column means what."""

    def __init__(
        self,
        path: Path,
        fmt: str,
        options: TableOptions,
        header: list[str],
        *,
        crs: str | None = None,
        geometry: bool = False,
    ) -> None:
        self.path = path
        self.options = options
        self.header = header
        self._lookup: dict[str, str] = {}
        for name in header:
            self._lookup.setdefault(_normal(name), name)
        self.data = SourceData(
            path=str(path), format=fmt, source=options.source or source_name_for(path)
        )
        self.row_number = 0
        self._ids: dict[str, _Where] = {}
        crs = options.crs or crs
        self._crs = crs
        self._transform = _transformer(crs, path) if crs is not None else None
        self._coordinates = self._find_coordinates(use_geometry=geometry)
        if options.row_ids and options.id:
            raise InputError("give an id column or row ids, not both", path=path, value=options.id)
        self._id_column = (
            None
            if options.row_ids
            else self._column(options.id, "id")
            if options.id
            else self._auto(ID_COLUMNS)
        )
        for name in options.columns:
            if name not in FIELDS:
                raise InputError(
                    f"{name!r} is not a camera field; map columns onto: {', '.join(FIELDS)}",
                    path=path,
                )
        self._fields = {
            name: self._column(column, f"field {name}") for name, column in options.columns.items()
        }
        # A column mapped onto another field is not also guessed to be the kind or the name.
        mapped = set(self._fields.values())
        self._kind_column = self._fields.pop("kind", None) or self._auto(KIND_COLUMNS, mapped)
        if "name" not in self._fields and self._auto(("name",)) is None:
            name_column = self._auto(NAME_COLUMNS, mapped)
            if name_column is not None:
                self._fields["name"] = name_column
        default = options.kind or "camera"
        found = REGISTRY_KINDS.get(_normal(default))
        if found is None:
            raise InputError(
                f"unknown kind; use one of {', '.join(sorted(REGISTRY_KINDS))}",
                path=path,
                value=default,
            )
        self._default_kind = found

    # column resolution

    def _auto(self, candidates: Sequence[str], exclude: Set[str] = frozenset()) -> str | None:
        """The first column whose normalized name is among ``candidates``, if any."""
        for candidate in candidates:
            column = self._lookup.get(candidate)
            if column is not None and column not in exclude:
                return column
        return None

    def _column(self, name: str, what: str) -> str:
        if name in self.header:
            return name
        if _normal(name) in self._lookup:
            return self._lookup[_normal(name)]
        raise InputError(
            f"no column {name!r} (given for {what}); the header has: {self._header_text()}",
            path=self.path,
        )

    def _header_text(self) -> str:
        return ", ".join(self.header) if self.header else "(no columns)"

    def _find_coordinates(self, *, use_geometry: bool) -> tuple[str, str | None, str | None]:
        """Return (mode, first column, second column); mode is lonlat, wkt or geometry."""
        o = self.options
        if o.lat or o.lon:
            lat = self._column(o.lat, "latitude") if o.lat else self._auto(LAT_COLUMNS)
            lon = self._column(o.lon, "longitude") if o.lon else self._auto(LON_COLUMNS)
            if lat is None or lon is None:
                missing = "longitude (lon=)" if lon is None else "latitude (lat=)"
                raise InputError(
                    f"no {missing} column found; the header has: {self._header_text()}",
                    path=self.path,
                )
            return "lonlat", lon, lat
        if o.x or o.y:
            if not (o.x and o.y):
                raise InputError("give both the x and the y column", path=self.path)
            return "lonlat", self._column(o.x, "x"), self._column(o.y, "y")
        if o.wkt:
            return "wkt", self._column(o.wkt, "WKT geometry"), None
        if use_geometry:
            return "geometry", None, None
        lat, lon = self._auto(LAT_COLUMNS), self._auto(LON_COLUMNS)
        if lat is not None and lon is not None:
            return "lonlat", lon, lat
        for xname, yname in XY_COLUMNS:
            x, y = self._auto((xname,)), self._auto((yname,))
            if x is not None and y is not None:
                return "lonlat", x, y
        for xname, yname in PROJECTED_COLUMNS:
            x, y = self._auto((xname,)), self._auto((yname,))
            if x is not None and y is not None:
                if self._crs is None:
                    raise InputError(
                        f"columns {x!r} and {y!r} are projected coordinates: give their CRS "
                        "(crs=, e.g. EPSG:27700 for British National Grid)",
                        path=self.path,
                    )
                return "lonlat", x, y
        wkt = self._auto(WKT_COLUMNS)
        if wkt is not None:
            return "wkt", wkt, None
        raise InputError(
            "no coordinate columns found: expected latitude/longitude (lat, lon, ...), "
            "x/y, easting/northing or a WKT column, or name them (lat=/lon=, x=/y=, wkt=); "
            f"the header has: {self._header_text()}",
            path=self.path,
        )

    # rows

    def bad(self, message: str, value: str, where: _Where) -> None:
        """Reject a row: raise, or record it when skipping bad rows."""
        if not self.options.skip_bad_rows:
            raise InputError(
                message, path=self.path, line=where.line, element=where.element, value=value
            )
        self.data.rejected.append(Rejected(where=str(where), value=value, reason=message))

    def add(
        self,
        row: Mapping[str, object],
        where: _Where,
        *,
        geometry: object = None,
        feature_id: object = None,
    ) -> None:
        """Import one row (its values by column name), or reject it."""
        try:
            lon, lat = self._position(row, geometry)
            source_id = self._source_id(row, feature_id, where)
        except _BadRow as exc:
            self.bad(exc.message, exc.value, where)
            return
        self._ids[source_id] = where
        tags = {}
        for name, value in row.items():
            text = _tag_text(value)
            if text is not None:
                tags[name] = text
        fields = {}
        for name, column in self._fields.items():
            text = _tag_text(row.get(column))
            if text is not None:
                fields[name] = text.strip()
        kind, zone = self._kind(row, tags)
        if kind is not None:
            fields["kind"] = kind
        if zone is not None and "zone" not in fields and "surveillance:zone" not in tags:
            fields["zone"] = zone
        camera, problems = camera_from_tags(
            source=self.data.source,
            source_id=source_id,
            lon=lon,
            lat=lat,
            tags=tags,
            fields=fields,
        )
        self.data.cameras.append(camera)
        self.data.problems.extend(problems)

    def finish(self) -> SourceData:
        return self.data

    def _kind(
        self, row: Mapping[str, object], tags: Mapping[str, str]
    ) -> tuple[str | None, str | None]:
        """Kind (a :data:`~camatlas.vocab.KINDS` entry or a raw unknown value) and zone of a row.

        An unknown value is passed on verbatim, so that
        :func:`~camatlas.tags.camera_from_tags` reports it and sets kind ``other``.
        """
        text = _tag_text(row.get(self._kind_column)) if self._kind_column is not None else None
        if text is None:
            if "surveillance:type" in tags:
                return None, None  # an OSM-style column says it; camera_from_tags reads it
            return self._default_kind
        return REGISTRY_KINDS.get(_normal(text), (text, None))

    def _source_id(self, row: Mapping[str, object], feature_id: object, where: _Where) -> str:
        if self.options.row_ids:
            return str(self.row_number)
        if self.options.id is None and feature_id is not None:
            value: object = feature_id
            column = "the feature id"
        elif self._id_column is not None:
            value = row.get(self._id_column)
            column = f"id column {self._id_column!r}"
        else:
            return str(self.row_number)
        text = _tag_text(value)
        if text is None or not text.strip():
            raise _BadRow(f"{column} is empty", _raw_text(value))
        text = text.strip()
        first = self._ids.get(text)
        if first is not None:
            raise _BadRow(
                f"duplicate id in {column} (first seen at {first}); ids must be unique within "
                "a file: choose another id column, number the rows (--row-ids), or skip bad "
                "rows to keep the first",
                text,
            )
        return text

    def _position(self, row: Mapping[str, object], geometry: object) -> tuple[float, float]:
        """WGS 84 (longitude, latitude) of a row, in degrees."""
        mode, first, second = self._coordinates
        if mode == "lonlat":
            assert first is not None and second is not None
            x = _coordinate(row.get(first), first)
            y = _coordinate(row.get(second), second)
            raw = (_raw_text(row.get(first)), _raw_text(row.get(second)))
            return self._to_wgs84(x, y, (first, second), raw)
        if mode == "wkt":
            assert first is not None
            x, y = _wkt_point(row.get(first), first)
            text = _raw_text(row.get(first))
            return self._to_wgs84(x, y, (first, first), (text, text))
        x, y = _geometry_point(geometry)
        text = _raw_text(geometry)
        return self._to_wgs84(x, y, ("geometry", "geometry"), (text, text))

    def _to_wgs84(
        self, x: float, y: float, columns: tuple[str, str], raw: tuple[str, str]
    ) -> tuple[float, float]:
        if is_null_island(x, y):
            raise _BadRow(NULL_ISLAND, f"{raw[0]}, {raw[1]}" if raw[0] != raw[1] else raw[0])
        if self._transform is None:
            hint = (
                "; if these are projected coordinates, give their CRS (crs=, e.g. EPSG:27700)"
                if columns[0] != "geometry"
                else ""
            )
            if not -180.0 <= x <= 180.0:
                raise _BadRow(
                    f"column {columns[0]!r}: longitude {x:g} is outside -180..180{hint}", raw[0]
                )
            if not -90.0 <= y <= 90.0:
                raise _BadRow(
                    f"column {columns[1]!r}: latitude {y:g} is outside -90..90{hint}", raw[1]
                )
            return x, y
        lon, lat = self._transform(x, y)
        if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
            raise _BadRow(
                f"columns {columns[0]!r}, {columns[1]!r} cannot be transformed from "
                f"{self._crs} to WGS 84 (outside the CRS's area, or the wrong CRS?)",
                f"{raw[0]}, {raw[1]}" if raw[0] != raw[1] else raw[0],
            )
        return lon, lat


# --- values ------------------------------------------------------------------------------------


def _normal(name: str) -> str:
    """Column name as compared: lower case, trimmed, ``_`` for blanks and ``-``."""
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _tag_text(value: object) -> str | None:
    """Text of a value as a tag, or None when empty or missing."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool | int | float | list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _raw_text(value: object) -> str:
    """A value as shown in messages: strings verbatim, anything else as JSON (shortened)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


def _coordinate(value: object, column: str) -> float:
    """A coordinate: a JSON number or a plain ASCII decimal such as ``-2.284777``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _BadRow(f"column {column!r} is empty: no coordinate", _raw_text(value))
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _BadRow(f"column {column!r} is not a number", _raw_text(value))
    if isinstance(value, str) and not _DECIMAL.fullmatch(value.strip()):
        raise _BadRow(
            f"column {column!r} is not a plain decimal number such as 53.4645 "
            "(values a spreadsheet has mangled, like 461.993.881 or 53,4645, "
            "are refused, not repaired)",
            value,
        )
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except OverflowError:  # an integer too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise _BadRow(f"column {column!r} is not a finite number", _raw_text(value))
    return number


def _wkt_point(value: object, column: str) -> tuple[float, float]:
    """(x, y) of a WKT geometry: the point itself, or the centroid of anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _BadRow(f"column {column!r} is empty: no geometry", _raw_text(value))
    if not isinstance(value, str):
        raise _BadRow(f"column {column!r} is not WKT text", _raw_text(value))
    try:
        geometry = shapely.wkt.loads(value)
    except shapely.errors.ShapelyError as exc:
        raise _BadRow(f"column {column!r} is not valid WKT ({exc})", value) from None
    return _centre(geometry, f"column {column!r}", value)


def _geometry_point(geometry: object) -> tuple[float, float]:
    """(x, y) of a GeoJSON geometry: the point itself, or the centroid of anything else."""
    if geometry is None:
        raise _BadRow("the feature has no geometry", "")
    if not isinstance(geometry, dict):
        raise _BadRow("the feature's geometry is not a GeoJSON geometry", _raw_text(geometry))
    if geometry.get("type") == "Point":
        coordinates = geometry.get("coordinates")
        if not isinstance(coordinates, list) or len(coordinates) < 2:
            raise _BadRow("a Point's coordinates must be [x, y]", _raw_text(geometry))
        return (
            _coordinate(coordinates[0], "geometry x"),
            _coordinate(coordinates[1], "geometry y"),
        )
    bad = _not_numbers(geometry)
    if bad is not None:
        raise _BadRow(f"the feature's geometry has {bad}", _raw_text(geometry))
    try:
        shape = shapely.geometry.shape(geometry)
    except (shapely.errors.ShapelyError, ValueError, TypeError, KeyError, IndexError,
            AttributeError, RecursionError) as exc:  # fmt: skip
        raise _BadRow(f"the feature's geometry is invalid ({exc})", _raw_text(geometry)) from None
    return _centre(shape, "the feature's geometry", _raw_text(geometry))


def _not_numbers(geometry: dict[str, Any]) -> str | None:
    """What stands where a GeoJSON geometry's coordinates need numbers (``true``, a string,
    an object), or None; GeometryCollections are walked without recursion."""
    todo: list[Any] = [geometry]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            if item.get("type") == "GeometryCollection":
                parts = item.get("geometries")
                if not isinstance(parts, list):
                    return "a GeometryCollection without a list of geometries"
                todo.extend(parts)
            else:
                todo.append(item.get("coordinates", []))
        elif isinstance(item, list):
            todo.extend(item)
        elif isinstance(item, bool) or not isinstance(item, int | float):
            return f"{json.dumps(item, default=str)[:40]} where a number belongs"
        elif not is_finite(item):  # 1e309 reads as infinity, a 400-digit integer overflows
            return f"{str(item)[:40]} where a finite number belongs"
    return None


def _centre(geometry: Any, what: str, raw: str) -> tuple[float, float]:
    if geometry.is_empty:
        raise _BadRow(f"{what} is empty", raw)
    try:
        point = geometry if geometry.geom_type == "Point" else geometry.centroid
    except shapely.errors.GEOSException as exc:  # e.g. a WKT polygon with NaN vertices
        raise _BadRow(f"{what} has no centroid ({exc})", raw) from None
    if point.is_empty:
        raise _BadRow(f"{what} has no centroid", raw)
    x, y = float(point.x), float(point.y)
    if not (math.isfinite(x) and math.isfinite(y)):
        raise _BadRow(f"{what} has non-finite coordinates", raw)
    return x, y


def _transformer(crs: str, path: Path) -> _Transform:
    """A function from (x, y) in ``crs`` to WGS 84 (longitude, latitude) in degrees."""
    try:
        source = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        raise InputError(
            "unknown CRS; give one pyproj reads, e.g. EPSG:27700", path=path, value=crs
        ) from None
    transformer = pyproj.Transformer.from_crs(source, "EPSG:4326", always_xy=True)

    def transform(x: float, y: float) -> tuple[float, float]:
        lon, lat = transformer.transform(x, y, errcheck=False)
        return float(lon), float(lat)

    return transform
