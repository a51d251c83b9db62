"""Storage backends of an atlas.

An atlas is kept by a :class:`Store`. The embedded default is one GeoPackage
file (:mod:`camatlas.store.gpkg`); a shared PostgreSQL/PostGIS server plugs in
behind the same protocol (:mod:`camatlas.store.postgis`), chosen by URL in
:func:`open_store`. :mod:`camatlas.store.copy` moves a whole atlas between them.

A store writes and reads rows and keeps transactions; everything that decides
*what* to write (normalization, linking of duplicates, statistics, analyses)
lives above it, in :mod:`camatlas.atlas` and the pipelines, so both backends
give the same answers. Nothing above :mod:`camatlas.atlas` talks to a store.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from camatlas.store.pgurl import is_postgres_url

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from camatlas.records import BBox, Link, ReportRow, SourceRecord
    from camatlas.store.rows import AtlasVersion, Records

__all__ = ["Store", "open_store"]


class Store(Protocol):
    """What an atlas backend provides. All coordinates are WGS 84 lon/lat.

    Writes happen inside :meth:`transaction`; a store opened read-only refuses
    them (:class:`~camatlas.errors.AtlasError`) and never changes the atlas.
    Layer names are those of :data:`camatlas.vocab.LAYERS`; an unknown one
    raises :class:`~camatlas.errors.NotFoundError`.
    """

    url: str
    """Where the atlas is: a file path, or a URL without its password."""

    read_only: bool
    """Whether the store was opened read-only."""

    # -- transactions ------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """A write transaction: everything inside lands together or not at all.

        Writers of one atlas take turns; readers never wait for them.
        """
        ...

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one state of the atlas, whatever other writers commit meanwhile."""
        ...

    def clear(self) -> None:
        """Empty the atlas (every layer, table and result layer); inside :meth:`transaction`."""
        ...

    def close(self) -> None: ...

    # -- imports -----------------------------------------------------------------

    def has_source(self, sha256: str) -> bool:
        """Whether an input with this SHA-256 was already imported."""
        ...

    def add_source(self, record: SourceRecord, report: Sequence[ReportRow]) -> int:
        """Record one import and its normalization report; return its id."""
        ...

    def upsert_records(self, layer: str, records: Records) -> None:
        """Insert records into ``layer``, replacing those with the same id.

        A camera keeps the ``physical_id`` the atlas gave it: linking owns that column.
        """
        ...

    def upsert_rows(self, layer: str, frame: gpd.GeoDataFrame) -> None:
        """Upsert rows of ``layer`` given as :meth:`read_layer` returns them.

        Every column is written verbatim, ``physical_id`` included: this is how
        a copy moves an atlas between backends without loss.
        """
        ...

    def camera_points(self, bbox: BBox | None = None) -> pd.DataFrame:
        """Columns ``id, lon, lat, kind, source`` of the cameras in ``bbox``."""
        ...

    def replace_links(self, camera_ids: Sequence[str], links: Sequence[Link]) -> None:
        """Drop the links touching ``camera_ids``, then add ``links``."""
        ...

    def links(self) -> pd.DataFrame:
        """All links: ``camera_a, camera_b, distance_m``."""
        ...

    def set_physical_ids(self, mapping: dict[str, str]) -> None:
        """Set ``physical_id`` of the cameras named in ``mapping``."""
        ...

    # -- reads -------------------------------------------------------------------

    def read_layer(self, layer: str, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        """A feature layer, or its features whose bounding box meets ``bbox``."""
        ...

    def read_table(self, table: str) -> pd.DataFrame:
        """A non-spatial table: ``sources``, ``normalization_report``, ``camera_links``,
        ``results``; with its ``fid``."""
        ...

    def count(self, name: str) -> int:
        """Rows of a layer or table."""
        ...

    def layer_columns(self, layer: str, columns: Sequence[str]) -> pd.DataFrame:
        """Some attribute columns of a layer, without geometry (for counts and statistics)."""
        ...

    def line_ends(self, layer: str) -> pd.DataFrame:
        """``id, x0, y0, x1, y1``: the first and last vertex of every feature of a layer
        of lines (:func:`camatlas.geo.line_ends`), in the order of the layer."""
        ...

    # -- result layers -----------------------------------------------------------

    def write_result(
        self,
        name: str,
        frame: pd.DataFrame,
        parameters: dict[str, Any],
        *,
        created_at: str | None = None,
    ) -> None:
        """Replace the result layer ``name`` with ``frame`` and record its parameters.

        A GeoDataFrame (WGS 84) becomes a feature layer, a plain DataFrame an
        attribute table. Column types: text, real, integer and boolean.
        ``created_at`` (ISO 8601, UTC) defaults to now; copies keep the original.
        Must be called inside :meth:`transaction`.
        """
        ...

    def result_columns(self, name: str) -> list[tuple[str, str]]:
        """(column, kind) of the result layer ``name`` besides its geometry.

        Kinds are ``text``, ``real``, ``integer`` or ``boolean``, as declared
        when the layer was written (a column read back with missing values
        may otherwise not show its kind).
        """
        ...

    def read_result(self, name: str, bbox: BBox | None = None) -> pd.DataFrame:
        """A result layer (GeoDataFrame when it has geometry); ``bbox`` filters features."""
        ...

    def results(self) -> pd.DataFrame:
        """Every result layer: ``name, geometry_type, rows, parameters, created_at``."""
        ...

    def version(self) -> AtlasVersion:
        """The imports (fid, sha256) and the result layers (name, created_at, rows): what
        changes whenever the atlas is written. Plain tuples, read without pandas."""
        ...

    # -- stored data -------------------------------------------------------------

    def write_blob(
        self, name: str, data: bytes, parameters: dict[str, Any], *, created_at: str | None = None
    ) -> None:
        """Replace the stored data ``name``: bytes derived from the atlas and kept to save
        recomputing them (a street graph), with the parameters that made them, created now
        (or at ``created_at``, ISO 8601 UTC, for a copy). Inside :meth:`transaction`."""
        ...

    def blob_names(self) -> list[str]:
        """The names of the stored data (:meth:`write_blob`), sorted."""
        ...

    def read_blob(self, name: str) -> tuple[bytes, dict[str, Any], str] | None:
        """The stored data ``name``: its bytes, parameters and creation time (UTC, ISO
        8601); None when there is none."""
        ...


def open_store(url: str | Path, *, create: bool = True, read_only: bool = False) -> Store:
    """Open (or create) the store at ``url``: a ``.gpkg`` path or a ``postgresql://`` URL.

    Parameters
    ----------
    url
        Where the atlas is.
    create
        Whether a missing atlas may be created (never when ``read_only``).
    read_only
        Open it so that nothing can be written through this store.

    Raises
    ------
    AtlasError
        If the atlas is missing (and may not be created), is not an atlas, was
        written by a newer camatlas, or the server cannot be reached.
    """
    # A backend loads its libraries (sqlite3 and GEOS; psycopg) only when an atlas is
    # opened, so that naming an atlas (the command line's --help, a URL check) costs nothing.
    text = str(url)
    if is_postgres_url(text):
        from camatlas.store.postgis import PostGISStore

        return PostGISStore(text, create=create and not read_only, read_only=read_only)
    from camatlas.store.gpkg import GeoPackageStore

    return GeoPackageStore(Path(text), create=create and not read_only, read_only=read_only)
