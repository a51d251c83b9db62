"""Camera vendors: the registry, vendor names as mappers write them, and dated risk lists.

The registry ships with camatlas as data (``camatlas/data/vendors.json``, its form in
``vendors.schema.json``): each vendor's canonical name, the other ways its name is written
(aliases, legal names, local scripts such as 海康威视), Wikidata ids with their source,
parent company, country of headquarters and relabel (OEM) leads; and the **risk lists**,
each with the official document's name, its date and scope, and the vendors it names.
A user's registry file of the same form adds vendors and lists, or replaces those with the
same id (:func:`load_registry`). An empty field is not recorded yet, never a claim.

:meth:`Registry.match` reads a camera's vendor from its tags (:data:`VENDOR_NAME_KEYS`,
:data:`VENDOR_WIKIDATA_KEYS`, :data:`MODEL_KEYS`: OSM's ``manufacturer``, ``brand``, their
``surveillance:`` forms, ``*:wikidata``, ``model``, and registry columns such as
``camera_model``). Nothing is guessed: a value the registry does not know stays verbatim
and is reported, and tags naming two vendors are a conflict, reported with both, unless
the registry says one vendor is part of the other.

>>> registry = load_registry()
>>> registry.match({"manufacturer": "HIKVISION"}).vendor
'hikvision'
>>> m = registry.match({"camera_model": "Zmodo ZP-IBH23-S"})
>>> (m.vendor, m.model)
('zmodo', 'ZP-IBH23-S')
>>> registry.match({"brand": "Dahua", "manufacturer": "Hikvision"}).status
'conflict'
>>> registry.flags("dahua", as_of="2019-01-01"), registry.flags("dahua", as_of="2020-01-01")
((), ('NDAA-889', 'ENTITY-LIST'))
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from camatlas.dates import Period, as_of_day, parse_period
from camatlas.errors import InputError
from camatlas.lazy import pd
from camatlas.records import decode_tags

__all__ = [
    "MODEL_KEYS",
    "VENDOR_COLUMNS",
    "VENDOR_NAME_KEYS",
    "VENDOR_STATUSES",
    "VENDOR_WIKIDATA_KEYS",
    "ListEntry",
    "Registry",
    "RiskList",
    "Vendor",
    "VendorMatch",
    "load_registry",
    "name_key",
    "read_registry",
    "shipped_registry_path",
    "vendor_frame",
    "vendor_summary",
]

VENDOR_NAME_KEYS = (
    "manufacturer",
    "surveillance:manufacturer",
    "camera:manufacturer",
    "brand",
    "surveillance:brand",
    "camera:brand",
    "vendor",
    "make",
)
"""Tags (and registry columns) naming a camera's vendor, read in this order."""

VENDOR_WIKIDATA_KEYS = (
    "manufacturer:wikidata",
    "surveillance:manufacturer:wikidata",
    "camera:manufacturer:wikidata",
    "brand:wikidata",
    "surveillance:brand:wikidata",
)
"""Tags holding a vendor's Wikidata id."""

MODEL_KEYS = ("model", "camera:model", "surveillance:model", "camera_model", "model_name")
"""Tags (and registry columns) naming a camera's model; a value may begin with the vendor."""

VENDOR_STATUSES = ("matched", "unmatched", "conflict", "none")
"""What :meth:`Registry.match` found: one vendor; vendor tags the registry does not know;
tags naming several vendors; no vendor tag at all."""

_READ_KEYS = (*VENDOR_NAME_KEYS, *VENDOR_WIKIDATA_KEYS, *MODEL_KEYS)
_READ_RANK = {key: rank for rank, key in enumerate(_READ_KEYS)}

LEGAL_SUFFIXES = frozenset(
    ("co", "ltd", "inc", "llc", "gmbh", "ag", "ab", "sa", "se", "spa", "bv", "nv", "oy", "as",
     "plc", "corp", "corporation", "company", "limited", "incorporated", "kg")
)  # fmt: skip
"""Words of a company's legal form, left out at the end of a name when comparing names."""

REGISTRY_FORMAT = "camatlas-vendors"
REGISTRY_VERSION = 1

_QID = re.compile(r"^Q[1-9][0-9]*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_WORD = re.compile(r"[^\W_]+(?:\+\+)?", re.UNICODE)


# --- names ------------------------------------------------------------------------------


def name_key(text: str) -> str:
    """A vendor name reduced for comparison: Unicode-normalized (NFKC), without case,
    punctuation or blanks, and without a legal form at its end (``Co., Ltd.``, ``Inc``).

    >>> name_key("Hangzhou Hikvision Digital Technology Co., Ltd."), name_key(" HIK-vision ")
    ('hangzhouhikvisiondigitaltechnology', 'hikvision')
    """
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return "".join(words)


def _words(text: str) -> list[tuple[str, int]]:
    """The words of ``text`` (as :func:`name_key` sees them) with where each ends."""
    normal = unicodedata.normalize("NFKC", text)
    return [(m.group().casefold(), m.end()) for m in _WORD.finditer(normal)]


# --- the registry -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Vendor:
    """One vendor of the registry (see ``vendors.schema.json`` for each field)."""

    id: str
    name: str
    legal_names: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    wikidata: tuple[tuple[str, str], ...] = ()  # (id, source)
    parent: str = ""
    country: str = ""
    relabels: tuple[tuple[str, str, str], ...] = ()  # (maker, source, note): leads only
    origin: str = ""  # the registry file it came from

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.legal_names, *self.aliases)


@dataclass(frozen=True, slots=True)
class ListEntry:
    vendor: str
    scope: str = ""
    date: Period | None = None  # when the vendor was added, if later than the list


@dataclass(frozen=True, slots=True)
class RiskList:
    """A dated list restricting some vendors, from an official document."""

    id: str
    name: str
    document: str
    date: Period
    authority: str = ""
    jurisdiction: str = ""
    scope: str = ""
    entries: tuple[ListEntry, ...] = ()
    rule_country: str = ""  # a list naming no company: the vendors of this country
    rule_note: str = ""
    origin: str = ""

    def names(self, vendor: Vendor, on: dt.date) -> bool:
        """Whether the list names ``vendor`` (or applies to it by its rule) on ``on``."""
        if not self.date.in_force(on):
            return False
        for entry in self.entries:
            if entry.vendor == vendor.id:
                return entry.date is None or entry.date.in_force(on)
        return bool(self.rule_country) and vendor.country == self.rule_country


@dataclass(frozen=True, slots=True)
class VendorMatch:
    """A camera's vendor as its tags give it (:meth:`Registry.match`).

    ``evidence`` holds each vendor tag read: ``(key, value, vendor id or "")``; ``note``
    says in words what was not matched or what disagrees.
    """

    vendor: str | None
    model: str | None
    status: str
    note: str = ""
    evidence: tuple[tuple[str, str, str], ...] = ()


class Registry:
    """Vendors and risk lists, with the indexes :meth:`match` reads names through."""

    def __init__(self, vendors: Iterable[Vendor], lists: Iterable[RiskList]) -> None:
        self.vendors: dict[str, Vendor] = {v.id: v for v in vendors}
        self.lists: dict[str, RiskList] = {r.id: r for r in lists}
        self._names: dict[str, set[str]] = {}
        self._wikidata: dict[str, set[str]] = {}
        for vendor in self.vendors.values():
            for name in vendor.names():
                key = name_key(name)
                if key:
                    self._names.setdefault(key, set()).add(vendor.id)
            for qid, _ in vendor.wikidata:
                self._wikidata.setdefault(qid, set()).add(vendor.id)
        self._longest_name = max((len(_words(n)) for v in self.vendors.values()
                                  for n in v.names()), default=0)  # fmt: skip
        self._cache: dict[tuple[tuple[str, str], ...], VendorMatch] = {}

    # -- names ---------------------------------------------------------------------------

    def find(self, name: str) -> set[str]:
        """The vendors a name is written for (several: a name two vendors share)."""
        return set(self._names.get(name_key(name), ()))

    def _prefix(self, text: str) -> tuple[set[str], str]:
        """The vendors a value names by its first words when a model follows them (a
        word with a digit: ``Zmodo ZP-IBH23-S``, ``Hikvision DS-2CD2043G2``), and the
        model; else no vendor and the value (``Axis Bank`` names no vendor)."""
        words = _words(text)
        for count in range(min(len(words) - 1, self._longest_name), 0, -1):
            key = "".join(w for w, _ in words[:count])
            found = self._names.get(key)
            if found and any(ch.isdigit() for w, _ in words[count:] for ch in w):
                rest = unicodedata.normalize("NFKC", text)[words[count - 1][1] :]
                return set(found), rest.strip(" \t-_/:,;")
        return set(), text.strip()

    def match(self, tags: Mapping[str, str]) -> VendorMatch:
        """The vendor and model of a camera from its tags (see the module)."""
        # Keys are read without regard to case (``Manufacturer``), in the order of
        # _READ_KEYS (the first of a key written twice in two cases).
        found: list[tuple[int, str, str]] = []
        for key, value in tags.items():
            rank = _READ_RANK.get(key)
            if rank is None and isinstance(key, str) and not key.islower():
                rank = _READ_RANK.get(key.strip().casefold())
            if rank is not None and isinstance(value, str) and value.strip():
                found.append((rank, _READ_KEYS[rank], value))
        found.sort()
        relevant = tuple((key, value) for _, key, value in found)
        match = self._cache.get(relevant)
        if match is None:
            match = self._match(relevant)
            if len(self._cache) < 100_000:
                self._cache[relevant] = match
        return match

    def _match(self, relevant: Sequence[tuple[str, str]]) -> VendorMatch:
        if not relevant:
            return VendorMatch(None, None, "none")
        evidence: list[tuple[str, str, str]] = []
        said: dict[str, list[str]] = {}  # vendor id -> the tags saying it
        unknown: list[str] = []
        ambiguous: list[str] = []
        model: str | None = None
        for key, raw in relevant:
            for value in (v.strip() for v in raw.split(";")):
                if not value:
                    continue
                if key in VENDOR_WIKIDATA_KEYS:
                    ids = self._wikidata.get(value, set()) if _QID.match(value) else set()
                    why = "a Wikidata id the registry does not know" if _QID.match(value) else (
                        "not a Wikidata id")  # fmt: skip
                elif key in MODEL_KEYS:
                    ids, rest = self._prefix(value)
                    if model is None:
                        model = rest if ids else value
                    if not ids:
                        continue  # a model alone names no vendor
                    why = ""
                else:
                    ids = self.find(value)
                    if not ids:
                        ids, _ = self._prefix(value)
                    why = "not in the vendor registry"
                if len(ids) > 1:
                    ambiguous.append(f"{key}={value} names {', '.join(sorted(ids))}")
                    evidence.append((key, value, ""))
                    continue
                if not ids:
                    unknown.append(f"{key}={value}: {why}")
                    evidence.append((key, value, ""))
                    continue
                (vendor,) = ids
                said.setdefault(vendor, []).append(f"{key}={value}")
                evidence.append((key, value, vendor))
        notes = [*unknown, *ambiguous]
        if not said:
            status = "unmatched" if (unknown or ambiguous) else "none"
            return VendorMatch(None, model, status, "; ".join(notes), tuple(evidence))
        chosen = self._one_of(set(said))
        if chosen is None:
            clash = "; ".join(f"{', '.join(keys)} says {v}" for v, keys in sorted(said.items()))
            return VendorMatch(None, model, "conflict", "; ".join([clash, *notes]),
                               tuple(evidence))  # fmt: skip
        if len(said) > 1:
            notes.insert(0, "; ".join(
                f"{chosen} is part of {v}" for v in sorted(said) if v != chosen))  # fmt: skip
        if ambiguous:
            return VendorMatch(None, model, "conflict", "; ".join(notes), tuple(evidence))
        return VendorMatch(chosen, model, "matched", "; ".join(notes), tuple(evidence))

    def _one_of(self, vendors: set[str]) -> str | None:
        """The one vendor meant when tags name ``vendors``: itself when one; the most
        specific when all lie on one line of parent companies; else None (a conflict)."""
        if len(vendors) == 1:
            return next(iter(vendors))
        for candidate in vendors:
            line = set(self.owners(candidate))
            if vendors <= line:
                return candidate
        return None

    def owners(self, vendor: str) -> list[str]:
        """``vendor`` and its parent companies of the registry, nearest first."""
        line = [vendor]
        while True:
            parent = self.vendors[line[-1]].parent if line[-1] in self.vendors else ""
            if parent not in self.vendors or parent in line:
                return line
            line.append(parent)

    def vendor_id(self, given: str, element: str = "--vendor") -> str:
        """The registry id of a vendor given by its id (any case) or one of its names.

        Raises
        ------
        InputError
            When no vendor, or more than one, answers to ``given``.
        """
        by_case = {v.casefold(): v for v in self.vendors}
        known = by_case.get(given.strip().casefold())
        if known is not None:
            return known
        found = sorted(self.find(given))
        if len(found) != 1:
            raise InputError(
                "no such vendor in the registry (see `camatlas vendors`)",
                element=element,
                value=given,
            )
        return found[0]

    # -- lists ---------------------------------------------------------------------------

    def check_lists(self, ids: Iterable[str]) -> list[str]:
        """``ids`` of risk lists, each checked: an unknown one raises :class:`InputError`."""
        out = []
        by_case = {k.casefold(): k for k in self.lists}
        for given in ids:
            known = by_case.get(given.strip().casefold())
            if known is None:
                raise InputError(
                    f"no such risk list; the registry has {', '.join(self.lists)}",
                    element="--flag",
                    value=given,
                )
            out.append(known)
        return out

    def flags(self, vendor: str | None, as_of: str | dt.date | None = None) -> tuple[str, ...]:
        """The risk lists naming ``vendor`` on ``as_of`` (a day; default today), in the
        registry's order. A list is not counted before its date."""
        if vendor is None or vendor not in self.vendors:
            return ()
        on = as_of_day(as_of)
        found = self.vendors[vendor]
        return tuple(r.id for r in self.lists.values() if r.names(found, on))

    def to_records(self) -> dict[str, list[dict[str, Any]]]:
        """The registry as plain records (``camatlas vendors --json``)."""
        return {
            "vendors": [
                {
                    "id": v.id, "name": v.name, "legal_names": list(v.legal_names),
                    "aliases": list(v.aliases),
                    "wikidata": [{"id": q, "source": s} for q, s in v.wikidata],
                    "parent": v.parent, "country": v.country,
                    "relabels": [{"maker": m, "source": s, "note": n} for m, s, n in v.relabels],
                    "origin": v.origin,
                }
                for v in self.vendors.values()
            ],
            "lists": [
                {
                    "id": r.id, "name": r.name, "authority": r.authority, "document": r.document,
                    "date": r.date.text, "jurisdiction": r.jurisdiction, "scope": r.scope,
                    "vendors": [e.vendor for e in r.entries],
                    "entries": [{"vendor": e.vendor, "scope": e.scope,
                                 "date": e.date.text if e.date else ""} for e in r.entries],
                    "rule": {"country": r.rule_country, "note": r.rule_note} if r.rule_country
                    else None,
                    "origin": r.origin,
                }
                for r in self.lists.values()
            ],
        }  # fmt: skip


# --- reading registry files -------------------------------------------------------------


def shipped_registry_path() -> Path:
    """The registry file camatlas ships."""
    return Path(str(resources.files("camatlas") / "data" / "vendors.json"))


def read_registry(path: str | Path) -> tuple[list[Vendor], list[RiskList]]:
    """The vendors and lists of one registry file, checked strictly.

    Raises
    ------
    InputError
        Naming the file, the element (``vendors[3].country``) and the value, for a file
        that is not JSON, is not a camatlas registry, or holds a value of the wrong form
        (an id, a country code, a Wikidata id, a date such as ``2023-13-45``).
    """
    where = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such registry file", path=where) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path=where) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", path=where, line=exc.lineno) from None
    reader = _Checker(where)
    reader.mapping(data, "the file", required=("format", "version"),
                  allowed=("format", "version", "about", "vendors", "lists"))  # fmt: skip
    if data["format"] != REGISTRY_FORMAT or data["version"] != REGISTRY_VERSION:
        reader.fail(
            f"not a camatlas vendor registry (format {REGISTRY_FORMAT!r}, version "
            f"{REGISTRY_VERSION} expected)",
            "format",
            f"{data.get('format')!r} {data.get('version')!r}",
        )
    vendors = [reader.vendor(item, f"vendors[{k}]")
               for k, item in enumerate(reader.array(data, "vendors", "the file"))]  # fmt: skip
    lists = [reader.risk_list(item, f"lists[{k}]")
             for k, item in enumerate(reader.array(data, "lists", "the file"))]  # fmt: skip
    for kind, ids in (("vendor", [v.id for v in vendors]), ("list", [r.id for r in lists])):
        seen: set[str] = set()
        for k, item_id in enumerate(ids):
            if item_id in seen:
                reader.fail(f"a second {kind} with this id", f"{kind}s[{k}].id", item_id)
            seen.add(item_id)
    return vendors, lists


def load_registry(paths: Sequence[str | Path] = (), *, shipped: bool = True) -> Registry:
    """The shipped registry with each user file in ``paths`` over it: a vendor or a list
    of a file replaces the one with the same id, others are added. Every list entry must
    name a vendor of the result, and every relabel lead a maker of it."""
    files = [shipped_registry_path(), *paths] if shipped else list(paths)
    # Read once per process while the files stay as they were (their sizes and times).
    stamp = []
    for path in files:
        try:
            info = Path(path).stat()
            stamp.append((str(path), info.st_mtime_ns, info.st_size))
        except OSError:
            stamp.append((str(path), -1, -1))  # read_registry names what is wrong
    return _load(tuple(stamp))


@functools.lru_cache(maxsize=16)
def _load(stamp: tuple[tuple[str, int, int], ...]) -> Registry:
    vendors: dict[str, Vendor] = {}
    lists: dict[str, RiskList] = {}
    files = [path for path, _, _ in stamp]
    for path in files:
        more_vendors, more_lists = read_registry(path)
        vendors.update((v.id, v) for v in more_vendors)
        lists.update((r.id, r) for r in more_lists)
    for risk in lists.values():
        for k, entry in enumerate(risk.entries):
            if entry.vendor not in vendors:
                raise InputError(
                    "the list names a vendor that is in no registry file",
                    path=risk.origin,
                    element=f"list {risk.id}, entries[{k}].vendor",
                    value=entry.vendor,
                )
    for vendor in vendors.values():
        for maker, _, _ in vendor.relabels:
            if maker not in vendors:
                raise InputError(
                    "the relabel lead names a maker that is in no registry file",
                    path=vendor.origin,
                    element=f"vendor {vendor.id}, relabels",
                    value=maker,
                )
    return Registry(vendors.values(), lists.values())


class _Checker:
    """Strict reading of a registry file's JSON, each error naming the element."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, message: str, element: str, value: object = None) -> NoReturn:
        raise InputError(message, path=self.path, element=element, value=value)

    def mapping(self, data: object, element: str, *, required: Sequence[str],
               allowed: Sequence[str]) -> dict[str, Any]:  # fmt: skip
        if not isinstance(data, dict):
            self.fail("expected a JSON object", element, type(data).__name__)
        for key in required:
            if key not in data:
                self.fail(f"missing {key!r}", element)
        for key in data:
            if key not in allowed:
                self.fail(f"unknown key; expected one of {', '.join(allowed)}", element, key)
        return data

    def array(self, data: Mapping[str, Any], key: str, element: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.fail("expected a list", f"{element}: {key}", type(value).__name__)
        return list(value)

    def text(self, data: Mapping[str, Any], key: str, element: str, *, required: bool = False,
             pattern: re.Pattern[str] | None = None, what: str = "") -> str:  # fmt: skip
        value = data.get(key, "")
        if not isinstance(value, str):
            self.fail("expected text", f"{element}.{key}", value)
        text = value.strip()
        if required and not text:
            self.fail("must not be empty", f"{element}.{key}", value)
        if pattern is not None and text and not pattern.match(text):
            self.fail(f"not {what}", f"{element}.{key}", value)
        return text

    def texts(self, data: Mapping[str, Any], key: str, element: str) -> tuple[str, ...]:
        out = []
        for k, value in enumerate(self.array(data, key, element)):
            if not isinstance(value, str) or not value.strip():
                self.fail("expected a non-empty text", f"{element}.{key}[{k}]", value)
            out.append(value.strip())
        return tuple(out)

    def period(self, data: Mapping[str, Any], key: str, element: str) -> Period:
        value = data.get(key)
        try:
            return parse_period(value)  # type: ignore[arg-type]
        except ValueError as exc:
            self.fail(str(exc), f"{element}.{key}", value)

    def vendor(self, data: object, element: str) -> Vendor:
        item = self.mapping(data, element, required=("id", "name"), allowed=(
            "id", "name", "legal_names", "aliases", "wikidata", "parent", "country",
            "relabels"))  # fmt: skip
        wikidata = []
        for k, entry in enumerate(self.array(item, "wikidata", element)):
            at = f"{element}.wikidata[{k}]"
            entry = self.mapping(entry, at, required=("id", "source"), allowed=("id", "source"))
            qid = self.text(entry, "id", at, required=True, pattern=_QID, what="a Wikidata id")
            wikidata.append((qid, self.text(entry, "source", at, required=True)))
        relabels = []
        for k, entry in enumerate(self.array(item, "relabels", element)):
            at = f"{element}.relabels[{k}]"
            entry = self.mapping(entry, at, required=("maker", "source"),
                                allowed=("maker", "source", "note"))  # fmt: skip
            relabels.append((
                self.text(entry, "maker", at, required=True, pattern=_ID, what="a vendor id"),
                self.text(entry, "source", at, required=True),
                self.text(entry, "note", at),
            ))  # fmt: skip
        return Vendor(
            id=self.text(item, "id", element, required=True, pattern=_ID, what="an id"),
            name=self.text(item, "name", element, required=True),
            legal_names=self.texts(item, "legal_names", element),
            aliases=self.texts(item, "aliases", element),
            wikidata=tuple(wikidata),
            parent=self.text(item, "parent", element),
            country=self.text(item, "country", element, pattern=_COUNTRY,
                              what="an ISO 3166-1 alpha-2 country code (upper case)"),
            relabels=tuple(relabels),
            origin=self.path,
        )  # fmt: skip

    def risk_list(self, data: object, element: str) -> RiskList:
        item = self.mapping(data, element, required=("id", "name", "document", "date"), allowed=(
            "id", "name", "authority", "document", "date", "jurisdiction", "scope", "entries",
            "rule"))  # fmt: skip
        entries = []
        for k, entry in enumerate(self.array(item, "entries", element)):
            at = f"{element}.entries[{k}]"
            entry = self.mapping(entry, at, required=("vendor",),
                                allowed=("vendor", "scope", "date"))  # fmt: skip
            entries.append(ListEntry(
                vendor=self.text(entry, "vendor", at, required=True, pattern=_ID,
                                 what="a vendor id"),
                scope=self.text(entry, "scope", at),
                date=self.period(entry, "date", at) if "date" in entry else None,
            ))  # fmt: skip
        rule_country = rule_note = ""
        if "rule" in item:
            at = f"{element}.rule"
            rule = self.mapping(item["rule"], at, required=("country", "note"),
                               allowed=("country", "note"))  # fmt: skip
            rule_country = self.text(
                rule,
                "country",
                at,
                required=True,
                pattern=_COUNTRY,
                what="an ISO 3166-1 alpha-2 country code (upper case)",
            )
            rule_note = self.text(rule, "note", at, required=True)
        return RiskList(
            id=self.text(item, "id", element, required=True, pattern=_ID, what="an id"),
            name=self.text(item, "name", element, required=True),
            document=self.text(item, "document", element, required=True),
            date=self.period(item, "date", element),
            authority=self.text(item, "authority", element),
            jurisdiction=self.text(item, "jurisdiction", element),
            scope=self.text(item, "scope", element),
            entries=tuple(entries),
            rule_country=rule_country,
            rule_note=rule_note,
            origin=self.path,
        )


# --- many cameras -----------------------------------------------------------------------

VENDOR_COLUMNS = ("vendor", "vendor_name", "model", "vendor_status", "vendor_note", "flags")
"""Columns of :func:`vendor_frame`: the vendor id and canonical name (None when not
matched), the model, the :data:`VENDOR_STATUSES` entry, the note, the risk lists naming
the vendor (a tuple of list ids)."""


def vendor_frame(
    tags: Iterable[str | Mapping[str, str] | None],
    registry: Registry,
    as_of: str | dt.date | None = None,
) -> pd.DataFrame:
    """:data:`VENDOR_COLUMNS` for each camera's tags (a mapping, or its JSON text as the
    atlas stores it), in order. Cameras with the same tags are matched once."""
    on = as_of_day(as_of)
    rows: list[tuple[Any, ...]] = []
    seen: dict[object, tuple[Any, ...]] = {}  # by JSON text, and by match
    for item in tags:
        key: object = item if isinstance(item, str) or item is None else None
        row = seen.get(key) if key is not None else None
        if row is None:
            match = registry.match(decode_tags(item))
            row = seen.get(match)
            if row is None:
                vendor = registry.vendors.get(match.vendor) if match.vendor else None
                row = (
                    match.vendor,
                    vendor.name if vendor else None,
                    match.model,
                    match.status,
                    match.note,
                    registry.flags(match.vendor, on),
                )
                if len(seen) < 200_000:
                    seen[match] = row
            if key is not None and len(seen) < 200_000:
                seen[key] = row
        rows.append(row)
    return pd.DataFrame(rows, columns=list(VENDOR_COLUMNS))


def vendor_summary(
    found: pd.DataFrame, registry: Registry, as_of: str | dt.date | None = None
) -> dict[str, Any]:
    """What ``camatlas vendors --atlas`` shows of :meth:`camatlas.atlas.Atlas.vendors`'s
    frame: camera records by vendor (its name, with the risk lists naming it as of
    ``as_of``), by status, and the normalization report: each note of a camera not
    matched, in conflict, or matched with a remark, and how many cameras have it."""
    by_vendor: dict[str, int] = {}
    for vendor, n in found["vendor"].fillna("").value_counts().items():
        key = str(vendor)
        if key:
            flags = registry.flags(key, as_of)
            label = registry.vendors[key].name + (f" [{', '.join(flags)}]" if flags else "")
        else:
            label = "(unknown)"
        by_vendor[label] = int(n)
    report: list[dict[str, Any]] = []
    unsure = found[found["vendor_status"].isin(["unmatched", "conflict"]) | (
        found["vendor_note"] != "")]  # fmt: skip
    counts = unsure.groupby(["vendor_status", "vendor_note"]).size()
    for (status, note), n in zip(counts.index.tolist(), counts.tolist(), strict=True):
        report.append({"status": str(status), "note": str(note), "cameras": int(n)})
    report.sort(key=lambda r: (-r["cameras"], r["status"], r["note"]))
    return {
        "cameras": len(found),
        "as_of": as_of_day(as_of).isoformat(),
        "by_vendor": dict(sorted(by_vendor.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_vendor_status": {
            str(k): int(v) for k, v in found["vendor_status"].value_counts().items()
        },
        "report": report,
    }
