"""Dates as people write them in tags and documents: a day, a month or a year.

One rule for every date camatlas reads (a risk list's date, ``check_date``,
``survey:date``, ``start_date``, ``--as-of``): ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``,
kept as precisely as it was written (:class:`Period`); anything else (``2023-13-45``,
``spring 2019``, ``12/05/2023``) is refused with the reason, never guessed.

>>> parse_period("2023-02").first, parse_period("2023-02").last
(datetime.date(2023, 2, 1), datetime.date(2023, 2, 28))
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from camatlas.errors import InputError

__all__ = ["Period", "as_of_day", "parse_duration_days", "parse_period"]

_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*([ymwd])$")
_DAYS = {"y": 365.25, "m": 30.4375, "w": 7.0, "d": 1.0}


@dataclass(frozen=True, slots=True)
class Period:
    """A date as precisely as it was written: a day, a month or a year."""

    text: str
    first: dt.date
    last: dt.date

    @property
    def effective(self) -> dt.date:
        """The first day a list of this date is surely in force: the day itself, or the
        day after a month or a year (never earlier than it may have been)."""
        if self.first == self.last:
            return self.first
        return self.last + dt.timedelta(days=1)

    def in_force(self, on: dt.date) -> bool:
        return on >= self.effective


def parse_period(text: str) -> Period:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` as a :class:`Period`.

    Raises
    ------
    ValueError
        For anything else (``2023-13-45``, ``spring 2019``), saying why.
    """
    match = _DATE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError("not a date: write YYYY-MM-DD, YYYY-MM or YYYY")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        if month is None:
            return Period(text.strip(), dt.date(year, 1, 1), dt.date(year, 12, 31))
        first = dt.date(year, month, 1)
        if day is None:
            following = dt.date(year + month // 12, month % 12 + 1, 1)
            return Period(text.strip(), first, following - dt.timedelta(days=1))
        day_date = dt.date(year, month, day)
    except ValueError:
        raise ValueError("no such date") from None
    return Period(text.strip(), day_date, day_date)


def as_of_day(on: str | dt.date | None) -> dt.date:
    """The day a question is asked as of: ``on`` (a day, ``YYYY-MM-DD``), or today."""
    if on is None:
        return dt.date.today()
    if isinstance(on, dt.date):
        return on
    try:
        period = parse_period(on)
    except ValueError as exc:
        raise InputError(str(exc), element="as of", value=on) from None
    if period.first != period.last:
        raise InputError("give a day (YYYY-MM-DD) to ask as of", element="as of", value=on)
    return period.first


def parse_duration_days(text: str) -> float:
    """A span such as ``5y``, ``18m``, ``6w`` or ``90d`` (years, months, weeks, days) in
    days (a year is 365.25 days, a month a twelfth of it).

    Raises
    ------
    ValueError
        For anything else, saying what is expected.
    """
    match = _DURATION.match(text.strip().lower()) if isinstance(text, str) else None
    if match is None:
        raise ValueError("not a span: write a number and y, m, w or d, e.g. 5y or 18m")
    return float(match.group(1)) * _DAYS[match.group(2)]
