"""PostgreSQL connection URLs: recognise them, split off the atlas schema, hide the password.

An atlas on a server is named by a libpq URL such as
``postgresql://camatlas@db.example.org:5432/newsroom?schema=porto``. The
``schema`` query parameter is camatlas's own (the PostgreSQL schema that holds
the atlas, default :data:`DEFAULT_SCHEMA`); every other part goes to libpq as
it is, so ``sslmode=``, ``PGPASSWORD``, ``~/.pgpass`` and service files work
as they do for ``psql``.

This module does not import psycopg, so that recognising a URL costs nothing
for the GeoPackage default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from camatlas.errors import AtlasError

DEFAULT_SCHEMA = "camatlas"
"""PostgreSQL schema of an atlas when the URL names none."""

SCHEMES = ("postgresql://", "postgres://")

_SCHEMA_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_HIDDEN = "***"


def is_postgres_url(text: object) -> bool:
    """Whether ``text`` is a ``postgresql://`` (or ``postgres://``) URL."""
    return isinstance(text, str) and text.startswith(SCHEMES)


@dataclass(frozen=True, slots=True)
class PostgresURL:
    """A parsed atlas URL.

    Attributes
    ----------
    conninfo
        The URL to hand to libpq: the given one without camatlas's ``schema``
        parameter.
    schema
        The PostgreSQL schema that holds the atlas.
    display
        The URL with its password replaced by ``***``: the only form camatlas
        prints.
    database
        The database name as written in the URL (``""`` when libpq's default
        applies).
    password
        The password written in the URL, if any; kept only to scrub it from
        messages that libpq or the server produce.
    """

    conninfo: str
    schema: str
    display: str
    database: str
    password: str | None


def parse_postgres_url(url: str, schema: str | None = None) -> PostgresURL:
    """Split an atlas URL into what libpq needs and what camatlas needs.

    Parameters
    ----------
    url
        A ``postgresql://`` URL, optionally with ``?schema=NAME``.
    schema
        Overrides the URL's ``schema`` parameter.

    Raises
    ------
    AtlasError
        If the URL is not a PostgreSQL URL or the schema name is not a plain
        identifier (letters, digits, ``_``; at most 63 characters).
    """
    if not is_postgres_url(url):
        raise AtlasError(f"{redact_url(url)}: not a postgresql:// URL")
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    user, colon, password_text = userinfo.partition(":")
    password: str | None = unquote(password_text) if colon else None
    # The query is filtered piece by piece, not re-encoded, so that libpq
    # reads exactly what the user wrote.
    pieces = [piece for piece in parts.query.split("&") if piece]
    kept, display_pieces, from_url = [], [], []
    for piece in pieces:
        key, _, value = piece.partition("=")
        key = unquote(key)
        if key == "schema":
            from_url.append(unquote(value))
            display_pieces.append(piece)
        elif key == "password":
            password = unquote(value)
            kept.append(piece)
            display_pieces.append(f"password={_HIDDEN}")
        else:
            kept.append(piece)
            display_pieces.append(piece)
    chosen = schema or (from_url[-1] if from_url else DEFAULT_SCHEMA)
    display_netloc = f"{user}:{_HIDDEN}@{hosts}" if colon else parts.netloc
    display = _join(parts.scheme, display_netloc, parts.path, display_pieces)
    if not _SCHEMA_RE.fullmatch(chosen):
        raise AtlasError(
            f"{display}: schema {chosen!r} is not a plain identifier; use letters, digits "
            "and _ (at most 63 characters)"
        )
    conninfo = _join(parts.scheme, parts.netloc, parts.path, kept)
    database = unquote(parts.path.lstrip("/"))
    for piece in kept:
        key, _, value = piece.partition("=")
        if unquote(key) == "dbname":
            database = unquote(value)
    return PostgresURL(conninfo, chosen, display, database, password)


def _join(scheme: str, netloc: str, path: str, query: list[str]) -> str:
    # urlunsplit would drop the "//" of a URL without host (postgresql:///db).
    return f"{scheme}://{netloc}{path}" + (f"?{'&'.join(query)}" if query else "")


def redact_url(text: str) -> str:
    """``text`` with the password of a PostgreSQL URL replaced by ``***``.

    Anything that is not a PostgreSQL URL (a GeoPackage path) comes back as it is.
    """
    if not is_postgres_url(text):
        return text
    try:
        return parse_postgres_url(text, schema=DEFAULT_SCHEMA).display
    except (AtlasError, ValueError):
        return text.split("://", 1)[0] + "://" + _HIDDEN


def scrub(message: str, password: str | None) -> str:
    """``message`` with every occurrence of ``password`` replaced by ``***``."""
    if password:
        message = message.replace(password, _HIDDEN)
    return message
