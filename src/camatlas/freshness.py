"""How fresh a camera's data is: when it was last checked on the ground, and what it lacks.

A camera's **last check** is the latest of the dates its tags give for a survey
(:data:`CHECK_KEYS`: ``check_date``, ``survey:date``, ``source:date``); ``start_date`` says
when it was installed (:data:`INSTALLED_KEYS`), which is no check. Dates are read by
:func:`camatlas.dates.parse_period` (a day, a month or a year); a check dated to a month or
a year is as old as its **last** day, so a camera is never called older than it may be.
A date that cannot be read (``2023-13-45``, ``spring 2019``) is reported, never guessed.

>>> frame = freshness_frame([{"check_date": "2019"}, {"survey:date": "spring 2019"}, {}],
...                         as_of="2025-06-01")
>>> frame["age_class"].tolist()
['5 years or more', 'unreadable check date', 'no check date']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from camatlas.dates import as_of_day, parse_period
from camatlas.lazy import pd
from camatlas.records import decode_tags

__all__ = [
    "AGE_CLASSES",
    "CHECK_KEYS",
    "FRESHNESS_COLUMNS",
    "INSTALLED_KEYS",
    "age_class",
    "freshness_frame",
]

CHECK_KEYS = ("check_date", "survey:date", "source:date")
"""Tags dating a check of the camera on the ground (or of the source it was mapped from)."""

INSTALLED_KEYS = ("start_date",)
"""Tags dating the camera's installation."""

AGE_CLASSES = (
    "under 1 year",
    "1 to 2 years",
    "2 to 5 years",
    "5 years or more",
    "no check date",
    "unreadable check date",
)
"""How long ago a camera was last checked (its latest possible check date to the day asked
as of), or why that is not known."""

_YEAR_DAYS = 365.25
_BOUNDS_YEARS = (1.0, 2.0, 5.0)

FRESHNESS_COLUMNS = ("last_check", "checked_by", "check_age_years", "age_class", "installed",
                     "date_problem")  # fmt: skip
"""Columns of :func:`freshness_frame`: the last check as written (None: none readable), the
tag it came from, its age in years (from the last day it may have been), the
:data:`AGE_CLASSES` entry, the installation date as written, and what could not be read
(``key=value: why``; "" when all could)."""


def age_class(age_years: float) -> str:
    """The :data:`AGE_CLASSES` entry of a check ``age_years`` old."""
    for bound, name in zip(_BOUNDS_YEARS, AGE_CLASSES, strict=False):
        if age_years < bound:
            return name
    return AGE_CLASSES[3]


def freshness_frame(
    tags: Iterable[str | Mapping[str, str] | None], as_of: str | dt.date | None = None
) -> pd.DataFrame:
    """:data:`FRESHNESS_COLUMNS` for each camera's tags (a mapping, or its JSON text as the
    atlas stores it), as of a day (default today)."""
    on = as_of_day(as_of)
    rows: list[tuple[Any, ...]] = []
    seen: dict[str, tuple[Any, ...]] = {}
    for item in tags:
        key = item if isinstance(item, str) else None
        row = seen.get(key) if key is not None else None
        if row is None:
            row = _freshness(decode_tags(item), on)
            if key is not None and len(seen) < 200_000:
                seen[key] = row
        rows.append(row)
    return pd.DataFrame(rows, columns=list(FRESHNESS_COLUMNS))


def _freshness(tags: Mapping[str, str], on: dt.date) -> tuple[Any, ...]:
    latest: tuple[dt.date, str, str] | None = None
    problems: list[str] = []
    for key in CHECK_KEYS:
        value = tags.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        for part in (p.strip() for p in value.split(";")):
            if not part:
                continue
            try:
                period = parse_period(part)
            except ValueError as exc:
                problems.append(f"{key}={part}: {exc}")
                continue
            if period.first > on:
                problems.append(f"{key}={part}: after the day asked as of ({on.isoformat()})")
                continue
            if latest is None or period.last > latest[0]:
                latest = (min(period.last, on), part, key)
    installed = None
    for key in INSTALLED_KEYS:
        value = tags.get(key)
        if isinstance(value, str) and value.strip():
            try:
                parse_period(value.strip())
                installed = value.strip()
            except ValueError as exc:
                problems.append(f"{key}={value.strip()}: {exc}")
    note = "; ".join(problems)
    if latest is None:
        kind = AGE_CLASSES[5] if any(k in tags for k in CHECK_KEYS) and problems else AGE_CLASSES[4]
        return (None, None, None, kind, installed, note)
    age = (on - latest[0]).days / _YEAR_DAYS
    return (latest[1], latest[2], age, age_class(age), installed, note)
