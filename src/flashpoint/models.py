"""Typed records that flow through the pipeline: Document -> Event (see ../shared/CONTRACT.md)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


def stable_id(*parts: str, length: int = 16) -> str:
    """A short, deterministic id: the same input gives the same id on every machine."""
    h = hashlib.sha1("\x1f".join(parts).encode("utf-8"))
    return h.hexdigest()[:length]


@dataclass
class Document:
    """One article. `text` is the body without the dateline prefix; offsets point into it."""

    id: str
    text: str
    date: date | None = None
    title: str | None = None
    url: str | None = None
    source: str | None = None
    origin: str = ""  # "path" or "path:line" it was read from
    replaces: tuple[str, ...] = ()  # ids this file's article had before (readers.legacy_ids): dropped when it is stored

    @property
    def content_hash(self) -> str:
        return stable_id(self.text, self.date.isoformat() if self.date else "", self.title or "", length=40)


@dataclass
class ReadIssue:
    """A problem with the input, named by file and line. `skipped` says whether a record was lost."""

    origin: str
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"


@dataclass
class Span:
    text: str
    start: int
    end: int
    role: str | None = None  # evidence: sentence | trigger | actor | recipient


@dataclass
class Actor:
    text: str
    name: str
    country: str | None = None
    sector: str | None = None


@dataclass
class Location:
    text: str
    name: str
    country: str | None = None
    admin1: str | None = None
    admin2: str | None = None
    lat: float | None = None
    lon: float | None = None
    geonameid: int | None = None
    precision: int = 3  # ACLED geo precision: 1 the place itself, 2 near it / its district, 3 the province or country
    feature_code: str | None = None


@dataclass
class Count:
    best: int
    low: int
    high: int


@dataclass
class Claim:
    field: str
    value: Any
    source: str | None
    quote: str


@dataclass
class Event:
    event_id: str
    doc_id: str
    event_type: str
    mode: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    cameo: str | None = None
    goldstein: float | None = None
    plover_score: float | None = None
    acled: dict[str, str] | None = None
    actor: list[Actor] = field(default_factory=list)
    recipient: list[Actor] = field(default_factory=list)
    date: str | None = None
    date_precision: str = "unknown"
    date_text: str | None = None
    location: Location | None = None
    fatalities: Count | None = None
    injuries: Count | None = None
    claims: list[Claim] = field(default_factory=list)
    contested: bool = False
    modality: str = "asserted"
    convention: str | None = None  # a PLOVER convention that set type and modality ("future announcement is AGREE")
    evidence: list[Span] = field(default_factory=list)
    trigger: Span | None = None
    confidence: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
