"""REST API under `/api/` and the web dashboard at `/` (`flashpoint serve`, ../shared/CONTRACT.md).

Every request that reads the store gets its own DuckDB cursor and a time budget of
`REQUEST_BUDGET_S` from its arrival, for waiting and for all its queries together: a query still
running when the budget is spent is interrupted (503). At most `DB_SLOTS` requests read the store
at once and at most `DB_QUEUE` more wait for a slot; beyond that, and for a request whose budget
runs out while it waits, the answer is 503 with Retry-After. `/api/health` and static files never
wait for a slot, so they answer while slow queries run. Limits keep one request cheap: at most
`MAX_PAGE_SIZE` rows a page, offsets up to `MAX_OFFSET`, day-level dyad series over at most
`MAX_DAY_SPAN` days, at most `MAX_DYADS` dyads. Bad input is a 4xx with a message that names the
parameter; a parameter given twice is a list where that reads as "any of these" (`country`,
`type`, `modality`, `actor_country`, `recipient_country`) and a 400 everywhere else.

A writable server (the default of `flashpoint serve`) owns the store: it is the one process that
writes it, and takes coded documents from `flashpoint ingest` through `POST /api/documents`
(loopback, bearer token from the discovery file beside the store, see `handoff.py`).

The dashboard (`web/`) is plain HTML/JS/CSS; its libraries (Leaflet, topojson-client, the Natural
Earth TopoJSON of world-atlas, swagger-ui for `/docs`) come from npm at install time and are
copied into `web/vendor/` by `make install`. Nothing is fetched from the internet at run time.
The server binds to 127.0.0.1 only; CORS is off unless origins are given explicitly.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import anyio.to_thread
import duckdb
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import StringConstraints

from . import __version__, export
from .dyads import dyad_series, top_dyads
from .lexicon import load_actor_dictionary, load_plover
from .handoff import decode_batch
from .models import Document, Event
from .store import Store, StoreError, any_of, db_path, event_filters
from .webserver import CachedStaticFiles

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MAX_OFFSET = 50_000
MAX_DAY_SPAN = 731
MAX_DYADS = 50
REQUEST_BUDGET_S = 5.0
DB_SLOTS = int(os.environ.get("FLASHPOINT_API_THREADS", "4"))  # requests reading the store at once
DB_QUEUE = 256  # requests waiting for a slot; more get 503 at once
RETRY_AFTER_S = 2
WEB_DIR = Path(__file__).resolve().parent / "web"
VENDOR_FILES = ("leaflet/leaflet.js", "leaflet/leaflet.css", "topojson-client.min.js", "countries-50m.json")

PLOVER_TYPES = tuple(load_plover()["types"])
EventType = Enum("EventType", {t: t for t in PLOVER_TYPES}, type=str)  # type: ignore[misc]


class Modality(str, Enum):
    asserted = "asserted"
    negated = "negated"
    hypothetical = "hypothetical"
    future = "future"
    historical = "historical"


class Format(str, Enum):
    json = "json"
    csv = "csv"


class Fields(str, Enum):
    full = "full"
    compact = "compact"


class Interval(str, Enum):
    day = "day"
    week = "week"


COUNTRY = r"^[A-Za-z]{3}$"
CountryCode = Annotated[str, StringConstraints(pattern=COUNTRY)]
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class QueryTimeout(Exception):
    pass


class Busy(Exception):
    """No slot to read the store within the request's budget (503 with Retry-After)."""


class Db:
    """The store: one DuckDB connection whose cursors serve the reads (one per request), and on a
    writable server a second connection for the writes (one batch at a time)."""

    def __init__(self, path: str | os.PathLike | None, budget: float = REQUEST_BUDGET_S, writable: bool = False):
        self.store = Store(path, read_only=not writable)
        self.writer = Store(path) if writable else None  # the same database, its own connection
        self.path = self.store.path
        self.budget = budget
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.watchdog = Watchdog()
        self.summary: str | None = None
        self.summary_etag = ""
        self.generation = 0  # bumped by every write: the summary's ETag
        self.updated_at = time.time()
        self.counts = self.store.con.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM events)").fetchone()

    def warm_up(self) -> None:
        """The summary now, and with it the actor dictionary (seconds of YAML) and the CSV export's
        tables: not in the first requests, holding their slots while others wait. (Not a request:
        no request budget.)"""
        cur = self.cursor(deadline=time.monotonic() + 600)
        try:
            self.summary_etag = self.etag
            self.summary = summary_json(cur, self)
        finally:
            cur.close()
        load_plover()

    @property
    def etag(self) -> str:
        return f'"{os.getpid()}-{id(self):x}-{self.generation}"'

    def cursor(self, deadline: float | None = None) -> Cursor:
        with self.lock:  # cursor() on the shared connection is not thread-safe
            con = self.store.con.cursor()
        return Cursor(con, deadline if deadline is not None else time.monotonic() + self.budget, self.watchdog)

    def pending(self, docs: list[tuple[str, str]], coder_version: str) -> list[str]:
        state = self.store_for_writes().stored_state([d for d, _ in docs])
        return [d for d, h in docs if state.get(d) != (h, coder_version)]

    def write(self, batch: list[tuple[Document, list[Event]]], coder_version: str) -> int:
        store = self.store_for_writes()
        with self.write_lock:
            n = store.write(batch, coder_version)
            store.fuse()
            self.counts = store.con.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM events)").fetchone()
            self.generation += 1
            self.updated_at = time.time()
        return n

    def store_for_writes(self) -> Store:
        if self.writer is None:
            raise HTTPException(403, "this server opened the store read-only (serve --read-only or --workers > 1): "
                                     "stop it to ingest, or restart it writable")
        return self.writer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.store.close()


class Watchdog:
    """One thread that interrupts every watched DuckDB connection once its deadline has passed, and
    again every `REPEAT_S` until it is forgotten: an interrupt that lands just before a query starts
    is not lost. (A timer thread per query cost a thread start per query.)"""

    REPEAT_S = 0.25

    def __init__(self) -> None:
        self.cv = threading.Condition()
        self.due: dict[int, tuple[float, duckdb.DuckDBPyConnection]] = {}
        self.thread: threading.Thread | None = None

    def watch(self, con: duckdb.DuckDBPyConnection, deadline: float) -> None:
        with self.cv:
            self.due[id(con)] = (deadline, con)
            if self.thread is None:
                self.thread = threading.Thread(target=self.run, name="flashpoint-query-watchdog", daemon=True)
                self.thread.start()
            self.cv.notify()

    def forget(self, con: duckdb.DuckDBPyConnection) -> None:
        with self.cv:
            self.due.pop(id(con), None)

    def run(self) -> None:
        with self.cv:
            while True:
                self.cv.wait(self.interrupt_due())

    def interrupt_due(self) -> float:
        """Interrupt what is due; the seconds until the next deadline. (A function of its own: the
        waiting thread keeps no connection alive in its frame.)"""
        now = time.monotonic()
        for key, (deadline, con) in list(self.due.items()):
            if deadline <= now:
                con.interrupt()
                self.due[key] = (now + self.REPEAT_S, con)
        return min((d for d, _ in self.due.values()), default=now + 3600) - now


class Cursor:
    """A DuckDB cursor whose queries all end by `deadline` (time.monotonic()): interrupted then."""

    def __init__(self, con: duckdb.DuckDBPyConnection, deadline: float, watchdog: Watchdog):
        self.con, self.deadline, self.watchdog = con, deadline, watchdog
        watchdog.watch(con, deadline)

    def all(self, sql: str, args: list | None = None) -> list[tuple]:
        if self.deadline <= time.monotonic():
            raise QueryTimeout()
        try:
            return self.con.execute(sql, args or []).fetchall()
        except duckdb.InterruptException:
            raise QueryTimeout() from None

    def one(self, sql: str, args: list | None = None) -> tuple | None:
        rows = self.all(sql, args)
        return rows[0] if rows else None

    def close(self) -> None:
        self.watchdog.forget(self.con)
        self.con.close()


class Gate:
    """At most `slots` requests read the store at once, at most `queue` more wait for a slot (each
    no longer than its budget); the others are turned away at once (Busy)."""

    def __init__(self, slots: int = DB_SLOTS, queue: int = DB_QUEUE):
        self.slots, self.queue = slots, queue
        self.sem = asyncio.Semaphore(slots)
        self.waiting = self.busy = 0

    @asynccontextmanager
    async def slot(self, deadline: float) -> AsyncIterator[None]:
        if self.sem.locked() and self.waiting >= self.queue:
            raise Busy(f"{self.waiting} requests are already waiting for the store")
        self.waiting += 1
        try:
            await asyncio.wait_for(self.sem.acquire(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise Busy("the store was busy for the whole request budget") from None
        finally:
            self.waiting -= 1
        self.busy += 1
        try:
            yield
        finally:
            self.busy -= 1
            self.sem.release()


# The dependencies are coroutines: cheap, and a sync one would cost each request extra trips
# through the worker-thread queue, so that under load every response waits for all the others.
async def get_cursor(request: Request) -> AsyncIterator[Cursor]:
    """A cursor for one request, once a slot is free; its budget starts now and covers the wait."""
    state = request.app.state
    deadline = time.monotonic() + state.db.budget
    async with state.gate.slot(deadline):
        cur = state.db.cursor(deadline)
        try:
            yield cur
        finally:
            cur.close()


def takes_list(annotation: Any) -> bool:
    return any(get_origin(a) is list for a in (annotation, *get_args(annotation)))


async def check_query_params(request: Request) -> None:
    """A misspelt filter (`?contry=PAK`) is an error, not a silently unfiltered answer; so is a
    parameter given twice that takes one value (only list parameters may repeat)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    params = list(dependant.query_params)
    for sub in dependant.dependencies:
        params += sub.query_params
    known = {p.alias for p in params}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise HTTPException(400, f"unknown query parameter(s): {', '.join(unknown)}; allowed: {', '.join(sorted(known)) or 'none'}")
    single = {p.alias for p in params if not takes_list(p.field_info.annotation)}
    repeated = sorted(k for k in single if len(request.query_params.getlist(k)) > 1)
    if repeated:
        raise HTTPException(400, f"query parameter(s) given more than once: {', '.join(repeated)}; each takes one value")


Cur = Annotated[Cursor, Depends(get_cursor)]
DateFrom = Annotated[date | None, Query(alias="from", description="first date, YYYY-MM-DD (inclusive)")]
DateTo = Annotated[date | None, Query(alias="to", description="last date, YYYY-MM-DD (inclusive)")]
Page = Annotated[int, Query(ge=1, le=MAX_OFFSET, description="page number, from 1")]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"rows per page (at most {MAX_PAGE_SIZE})")]
Countries = Annotated[list[CountryCode] | None, Query(description="ISO 3166-1 alpha-3 code; repeat it for any of several")]


def check_dates(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise HTTPException(400, f"'from' ({date_from}) is after 'to' ({date_to})")


def check_offset(page: int, page_size: int) -> int:
    offset = (page - 1) * page_size
    if offset > MAX_OFFSET:
        raise HTTPException(400, f"page {page} x page_size {page_size} is past the deepest offset served ({MAX_OFFSET}); narrow the filters")
    return offset




# The records are stored as JSON text: pages are assembled by DuckDB, never parsed in Python.
FULL_JSON = (
    "left(e.record::VARCHAR, length(e.record::VARCHAR) - 1) || ',\"source_document\":' || "
    "json_object('title', d.title, 'source', d.source, 'url', d.url)::VARCHAR || '}'"
)
# what the map and the timeline need of an event
COMPACT_JSON = (
    "json_object('event_id', e.event_id, 'doc_id', e.doc_id, 'event_type', e.event_type, 'mode', e.mode, "
    "'date', e.date, 'date_precision', e.date_precision, 'modality', e.modality, "
    "'location', CASE WHEN e.location_name IS NULL THEN NULL ELSE json_object('name', e.location_name, "
    "'country', e.country, 'admin1', e.admin1, 'lat', e.lat, 'lon', e.lon, 'precision', e.geo_precision) END, "
    "'fatalities', e.fatalities_best, 'contested', e.contested, 'actor', json_extract(e.record, '$.actor'), "
    "'recipient', json_extract(e.record, '$.recipient'), 'title', d.title)::VARCHAR"
)


def json_response(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status_code=status_code, media_type="application/json", headers=headers)


def doc_meta(row: tuple) -> dict[str, Any]:
    doc_id, title, source, url, d, origin, n_events, ingested_at = row
    return {
        "doc_id": doc_id, "title": title, "source": source, "url": url, "date": d.isoformat() if d else None,
        # only the file name: the server's folders are nobody's business
        "origin": Path(origin.rsplit(":", 1)[0] if origin and origin.rsplit(":", 1)[-1].isdigit() else origin or "").name or None,
        "n_events": n_events, "ingested_at": ingested_at.isoformat() if ingested_at else None,
    }


DOC_COLUMNS = "doc_id, title, source, url, date, origin, n_events, ingested_at"

router = APIRouter(prefix="/api", dependencies=[Depends(check_query_params)])


@router.get("/health", summary="Liveness, the store it serves and how busy it is (never waits for the store)")
async def health(request: Request) -> Response:
    db, gate = request.app.state.db, request.app.state.gate
    documents, events = db.counts
    return json_response({"status": "ok", "version": __version__, "db": db.path.name, "writable": db.writer is not None,
                          "documents": documents, "events": events, "busy": gate.busy, "waiting": gate.waiting})


@router.get("/events", summary="Events matching every filter, a page at a time, as JSON or ACLED-style CSV")
def list_events(
    cur: Cur,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    country: Countries = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=100, description="actor name (substring) or ISO3")] = None,
    event_type: Annotated[list[EventType] | None, Query(alias="type", description="PLOVER event type; repeat it for any of several")] = None,
    modality: Annotated[list[Modality] | None, Query(description="repeat it for any of several")] = None,
    doc_id: Annotated[str | None, Query(max_length=500, description="only the events of this document")] = None,
    page: Page = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
    fields: Annotated[Fields, Query(description="full contract records, or compact ones for maps")] = Fields.full,
    format: Annotated[Format, Query(description="json, or csv (ACLED-style columns of export.py)")] = Format.json,
    fused: Annotated[bool, Query(description="one record per real event across articles, with its reports and n_sources")] = False,
) -> Response:
    check_dates(date_from, date_to)
    offset = check_offset(page, page_size)
    where, args = event_filters(date_from, date_to, country, actor, [t.value for t in event_type or ()],
                                [m.value for m in modality or ()], doc_id, fused=fused)
    if fused:
        return fused_events_page(cur, where, args, page, page_size, offset, fields, format)
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    total = cur.one(f"SELECT count(*) FROM events e{cond}", args)[0]
    headers = {"X-Total-Count": str(total)}
    # the page's rows first, then the records of those rows only (not of every matching row):
    # 1.8 s -> 50 ms for a compact page of 500 on 400k events
    order = "ORDER BY e.date NULLS LAST, e.event_id"
    page_sql = (f"FROM events e JOIN documents d USING (doc_id) "
                f"WHERE e.rowid IN (SELECT e.rowid FROM events e{cond} {order} LIMIT ? OFFSET ?) {order}")
    if format is Format.json:
        rows = cur.all(f"SELECT {COMPACT_JSON if fields is Fields.compact else FULL_JSON} {page_sql}", args + [page_size, offset])
        return json_response(
            f'{{"total":{total},"page":{page},"page_size":{page_size},"pages":{math.ceil(total / page_size)},'
            f'"events":[{",".join(r[0] for r in rows)}]}}', headers=headers)
    # CSV: the ACLED-style rows of export.py
    buf = io.StringIO()
    export.write_csv((json.loads(rec) for (rec,) in cur.all(f"SELECT {FULL_JSON} {page_sql}", args + [page_size, offset])), buf)
    headers["Content-Disposition"] = 'attachment; filename="events.csv"'
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


# ---------------------------------------------------------------------------- fused events (fusion.py)
FUSED_COMPACT_JSON = (
    "json_object('event_id', e.event_id, 'doc_id', json_extract_string(e.record, '$.doc_id'), 'event_type', e.event_type, "
    "'mode', json_extract(e.record, '$.mode'), 'date', e.date, 'date_precision', e.date_precision, 'modality', e.modality, "
    "'location', json_extract(e.record, '$.location'), 'fatalities', e.fatalities_best, 'contested', e.contested, "
    "'actor', json_extract(e.record, '$.actor'), 'recipient', json_extract(e.record, '$.recipient'), "
    "'title', json_extract_string(e.record, '$.reports[0].evidence'), 'n_sources', e.n_sources, 'n_reports', e.n_reports, "
    "'fused', true)::VARCHAR"
)


def fused_events_page(cur: Cursor, where: list[str], args: list, page: int, page_size: int, offset: int,
                      fields: Fields, format: Format) -> Response:
    """`/api/events?fused=true`: the fused events (fused_events) a page at a time."""
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    total = cur.one(f"SELECT count(*) FROM fused_events e{cond}", args)[0]
    headers = {"X-Total-Count": str(total)}
    page_sql = f"FROM fused_events e{cond} ORDER BY e.date NULLS LAST, e.event_id LIMIT ? OFFSET ?"
    if format is Format.json:
        rows = cur.all(f"SELECT {FUSED_COMPACT_JSON if fields is Fields.compact else 'e.record::VARCHAR'} {page_sql}",
                       args + [page_size, offset])
        return json_response(
            f'{{"total":{total},"page":{page},"page_size":{page_size},"pages":{math.ceil(total / page_size)},"fused":true,'
            f'"events":[{",".join(r[0] for r in rows)}]}}', headers=headers)
    records = [json.loads(rec) for (rec,) in cur.all(f"SELECT e.record {page_sql}", args + [page_size, offset])]
    buf = io.StringIO()
    export.write_csv(records, buf)
    headers["Content-Disposition"] = 'attachment; filename="fused_events.csv"'
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def get_fused_event(cur: Cursor, fused_id: str) -> Response | None:
    """One fused event with its reports (each with its document's title and url), or None."""
    row = cur.one("SELECT record FROM fused_events WHERE event_id = ?", [fused_id])
    if not row:
        return None
    r = json.loads(row[0])
    docs = {d: (t, u) for d, t, u in cur.all(
        "SELECT doc_id, title, url FROM documents WHERE doc_id IN (SELECT unnest(?))", [[x["doc_id"] for x in r["reports"]]])}
    for x in r["reports"]:
        x["title"], x["url"] = docs.get(x["doc_id"], (None, None))
    doc = cur.one(f"SELECT {DOC_COLUMNS}, text FROM documents WHERE doc_id = ?", [r["doc_id"]])
    r["source_document"] = {**doc_meta(doc[:-1]), "text": doc[-1]} if doc else None
    return json_response(r)


@router.get("/events/{event_id}", summary="One event (per report, or a fused id from fused=true) with its evidence, claims and sources")
def get_event(cur: Cur, event_id: Annotated[str, PathParam(max_length=200)]) -> Response:
    row = cur.one("SELECT record, doc_id FROM events WHERE event_id = ?", [event_id])
    if not row:
        fused = get_fused_event(cur, event_id)
        if fused is not None:
            return fused
        raise HTTPException(404, f"no event {event_id!r}")
    fused_id = cur.one("SELECT fused_id FROM fused_links WHERE event_id = ?", [event_id])
    r = json.loads(row[0])
    r["evidence"] = [
        {"text": t, "start": s, "end": e, "role": role}
        for t, s, e, role in cur.all("SELECT text, start_char, end_char, role FROM evidence WHERE event_id = ? ORDER BY ord", [event_id])
    ]
    r["claims"] = [
        {"field": f, "value": json.loads(v) if v is not None else None, "source": src, "quote": q}
        for f, v, src, q in cur.all("SELECT field, value, source, quote FROM claims WHERE event_id = ? ORDER BY ord", [event_id])
    ]
    doc = cur.one(f"SELECT {DOC_COLUMNS}, text FROM documents WHERE doc_id = ?", [row[1]])
    r["source_document"] = {**doc_meta(doc[:-1]), "text": doc[-1]} if doc else None
    r["fused_id"] = fused_id[0] if fused_id else None
    return json_response(r)


@router.get("/documents", summary="Stored documents (without their text), a page at a time")
def list_documents(
    cur: Cur,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    source: Annotated[str | None, Query(max_length=200, description="news source, exact")] = None,
    page: Page = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> Response:
    check_dates(date_from, date_to)
    offset = check_offset(page, page_size)
    where, args = [], []
    if date_from:
        where.append("date >= ?")
        args.append(date_from)
    if date_to:
        where.append("date <= ?")
        args.append(date_to)
    if source:
        where.append("source = ?")
        args.append(source)
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    total = cur.one(f"SELECT count(*) FROM documents{cond}", args)[0]
    rows = cur.all(f"SELECT {DOC_COLUMNS} FROM documents{cond} ORDER BY date NULLS LAST, doc_id LIMIT ? OFFSET ?", args + [page_size, offset])
    return json_response({"total": total, "page": page, "page_size": page_size, "pages": math.ceil(total / page_size),
                          "documents": [doc_meta(r) for r in rows]})


@router.get("/documents/{doc_id:path}", summary="One document with its text and the ids of its events")
def get_document(cur: Cur, doc_id: Annotated[str, PathParam(max_length=500)]) -> Response:
    row = cur.one(f"SELECT {DOC_COLUMNS}, text FROM documents WHERE doc_id = ?", [doc_id])
    if not row:
        raise HTTPException(404, f"no document {doc_id!r}")
    events = cur.all("SELECT event_id, event_type, date, modality FROM events WHERE doc_id = ? ORDER BY event_id", [doc_id])
    return json_response({**doc_meta(row[:-1]), "text": row[-1], "events": [
        {"event_id": e, "event_type": t, "date": d.isoformat() if d else None, "modality": m} for e, t, d, m in events]})


@router.get("/dyads", summary="Events per day or week from actor country to recipient country")
def dyads(
    cur: Cur,
    actor_country: Countries = None,
    recipient_country: Countries = None,
    interval: Interval = Interval.day,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    event_type: Annotated[list[EventType] | None, Query(alias="type", description="PLOVER event type; repeat it for any of several")] = None,
    modality: Annotated[str, Query(pattern="^(any|asserted|negated|hypothetical|future|historical)$",
                                   description="asserted (default), another modality, or any")] = "asserted",
    domestic: Annotated[bool, Query(description="include dyads within one country")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_DYADS, description=f"the busiest dyads (at most {MAX_DYADS})")] = 10,
    fused: Annotated[bool, Query(description="count fused events (one per real event) with Goldstein sums and escalation "
                                             "points (default), or per-report events")] = True,
    min_sources: Annotated[int, Query(ge=1, le=100, description="fused: only events reported by this many outlets")] = 1,
) -> Response:
    check_dates(date_from, date_to)
    if interval is Interval.day and date_from and date_to and (date_to - date_from).days > MAX_DAY_SPAN:
        raise HTTPException(400, f"a daily series covers at most {MAX_DAY_SPAN} days; use interval=week or a shorter range")
    if fused:
        return fused_dyads(cur, actor_country, recipient_country, interval, date_from, date_to,
                           [t.value for t in event_type or ()], modality, domestic, limit, min_sources)
    where, args = event_filters(date_from, date_to, None, None, [t.value for t in event_type or ()],
                                None if modality == "any" else modality)
    where += ["e.date IS NOT NULL", "a.country IS NOT NULL", "r.country IS NOT NULL"]
    if not domestic:
        where.append("a.country <> r.country")
    for column, codes in (("a.country", actor_country), ("r.country", recipient_country)):
        if codes:
            where.append(any_of(column, codes))
            args += [c.upper() for c in codes]
    period = "e.date" if interval is Interval.day else "date_trunc('week', e.date)"
    base = (
        f"SELECT DISTINCT a.country AS ac, r.country AS rc, e.event_id, CAST({period} AS DATE) AS p FROM events e "
        "JOIN actors a ON a.event_id = e.event_id AND a.role = 'actor' "
        "JOIN actors r ON r.event_id = e.event_id AND r.role = 'recipient' WHERE " + " AND ".join(where)
    )
    rows = cur.all(
        f"WITH x AS ({base}), top AS (SELECT ac, rc, count(*) AS n FROM x GROUP BY 1, 2 ORDER BY n DESC, ac, rc LIMIT ?) "
        "SELECT x.ac, x.rc, top.n, x.p, count(*) FROM x JOIN top USING (ac, rc) GROUP BY 1, 2, 3, 4 ORDER BY 3 DESC, 1, 2, 4",
        args + [limit],
    )
    series: dict[tuple[str, str], dict[str, Any]] = {}
    for ac, rc, n, p, c in rows:
        s = series.setdefault((ac, rc), {"actor": ac, "recipient": rc, "total": n, "points": []})
        s["points"].append({"period": p.isoformat(), "count": c})
    return json_response({"interval": interval.value, "modality": modality, "series": list(series.values())})


def fused_dyads(cur: Cursor, actor_country: list[str] | None, recipient_country: list[str] | None, interval: Interval,
                date_from: date | None, date_to: date | None, event_type: list[str], modality: str, domestic: bool,
                limit: int, min_sources: int = 1) -> Response:
    """`/api/dyads` over fused events: per period the count, counts by type, the Goldstein sum, its
    z-score against the recent baseline and the escalation flag with its driving events (dyads.py)."""
    mod = None if modality == "any" else modality
    out = []
    for a, r, n in top_dyads(cur.all, limit, domestic, date_from, date_to, mod, event_type, actor_country, recipient_country,
                             min_sources):
        points = dyad_series(cur.all, a, r, interval.value, date_from, date_to, mod, event_type, min_sources)
        out.append({"actor": a, "recipient": r, "total": n, "goldstein": round(sum(p.goldstein for p in points), 2),
                    "escalations": [p.period.isoformat() for p in points if p.flag == "escalation"],
                    "points": [p.to_dict() for p in points if p.count]})  # empty periods only count in the baseline
    return json_response({"interval": interval.value, "modality": modality, "fused": True, "min_sources": min_sources,
                          "series": out})


@router.get("/summary", summary="What the store holds: counts by type, modality and country, date range, top dyads "
                                 "(with an ETag that changes when documents are added: poll it with If-None-Match)")
def summary(cur: Cur, request: Request) -> Response:
    db = request.app.state.db
    etag = db.etag  # before reading: a write meanwhile makes the next poll read again
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    text = db.summary
    if text is None or db.summary_etag != etag:
        text = summary_json(cur, db)
        db.summary, db.summary_etag = text, etag
    return json_response(text, headers=headers)


def summary_json(cur: Cursor, db: Db) -> str:
    updated = datetime.fromtimestamp(db.updated_at, timezone.utc).isoformat(timespec="seconds")
    return json.dumps({**compute_summary(cur), "updated_at": updated}, separators=(",", ":"))


def ingest_token(request: Request) -> None:
    """Only the loopback and the bearer of the token in the discovery file beside the store may write."""
    token = request.app.state.token
    client = request.client.host if request.client else ""
    if client not in ("127.0.0.1", "::1", "testclient"):
        raise HTTPException(403, "documents are taken from the loopback only")
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not token or not secrets.compare_digest(given.encode(), token.encode()):
        raise HTTPException(401, "a bearer token is needed (the `token` of the discovery file beside the store)",
                            headers={"WWW-Authenticate": "Bearer"})


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("coder_version"), str) or not isinstance(body.get("documents"), list):
        raise HTTPException(422, 'the body is {"coder_version": str, "documents": [...]}')
    return body


@router.post("/documents/pending", dependencies=[Depends(ingest_token)], include_in_schema=False)
async def pending_documents(request: Request) -> Response:
    """Which of [[doc_id, content_hash], ...] are not stored as they are (new, changed, or coded by another coder version)."""
    body = await json_body(request)
    docs = body["documents"]
    if not all(isinstance(d, list) and len(d) == 2 and all(isinstance(x, str) for x in d) for d in docs):
        raise HTTPException(422, "documents: a list of [doc_id, content_hash]")
    db = request.app.state.db
    return json_response({"pending": await anyio.to_thread.run_sync(db.pending, docs, body["coder_version"])})


@router.post("/documents", dependencies=[Depends(ingest_token)], include_in_schema=False)
async def add_documents(request: Request) -> Response:
    """Store [[document, [event, ...]], ...] coded by `flashpoint ingest` in one transaction, replacing
    what was stored under the same ids; the open dashboards see them at their next poll."""
    body = await json_body(request)
    try:
        batch = decode_batch(body["documents"])
    except ValueError as e:
        raise HTTPException(422, f"documents: {e}") from None
    db = request.app.state.db
    try:
        n = await anyio.to_thread.run_sync(db.write, batch, body["coder_version"])
    except StoreError as e:
        raise HTTPException(500, str(e)) from None
    return json_response({"documents": len(batch), "events": n})


def compute_summary(cur: Cursor) -> dict[str, Any]:
    docs, events, fatalities, dmin, dmax, located = cur.one(
        "SELECT (SELECT count(*) FROM documents), count(*), sum(coalesce(fatalities_best, 0)) FILTER (WHERE modality = 'asserted'), "
        "min(date), max(date), count(lat) FROM events"
    )
    countries = cur.all(
        "SELECT c, count(DISTINCT event_id) FROM (SELECT event_id, country AS c FROM events UNION ALL "
        "SELECT event_id, unnest(actor_countries) FROM events UNION ALL SELECT event_id, unnest(recipient_countries) FROM events) "
        "WHERE c IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
    )
    names = load_actor_dictionary()
    return {
        "documents": docs, "events": events, "located_events": located, "fatalities_asserted": fatalities,
        "date_min": dmin.isoformat() if dmin else None, "date_max": dmax.isoformat() if dmax else None,
        "by_type": [{"event_type": t, "events": n, "fatalities": f} for t, n, f in cur.all(
            "SELECT event_type, count(*), sum(coalesce(fatalities_best, 0)) FROM events GROUP BY 1 ORDER BY 2 DESC, 1")],
        "by_modality": [{"modality": m, "events": n} for m, n in cur.all(
            "SELECT modality, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1")],
        "by_country": [{"country": c, "name": names.country_name(c) or c, "events": n} for c, n in countries],
        "top_dyads": [{"actor": a, "recipient": r, "events": n} for a, r, n in cur.all(
            "SELECT a.country, r.country, count(DISTINCT e.event_id) FROM events e "
            "JOIN actors a ON a.event_id = e.event_id AND a.role = 'actor' "
            "JOIN actors r ON r.event_id = e.event_id AND r.role = 'recipient' "
            "WHERE a.country IS NOT NULL AND r.country IS NOT NULL AND a.country <> r.country AND e.modality = 'asserted' "
            "GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 10")],
        "plover_types": list(PLOVER_TYPES),
        "modalities": [m.value for m in Modality],
        "limits": {"max_page_size": MAX_PAGE_SIZE, "max_offset": MAX_OFFSET, "max_day_span": MAX_DAY_SPAN,
                   "max_dyads": MAX_DYADS, "request_budget_s": REQUEST_BUDGET_S},
    }


# ---------------------------------------------------------------------------- the app
class ResponseCache:
    """Successful GET answers under /api/ kept in memory until the store changes (plain ASGI).

    Dashboards ask the same questions again and again (the first pages, the dyads, one event), and
    the store changes only through this process (`Db.generation`; a read-only server's store cannot
    change at all while it holds it). A hit costs no slot, no thread and no query. At most
    `max_bytes` in all (least recently used out first); `/api/health` and `/api/summary` (which has
    its own ETag) are not kept. `FLASHPOINT_API_CACHE_MB=0` turns it off."""

    SKIP = ("/api/health", "/api/summary")

    def __init__(self, app: Any, max_bytes: int = int(float(os.environ.get("FLASHPOINT_API_CACHE_MB", "64")) * 2**20)):
        self.app, self.max_bytes = app, max_bytes
        self.entries: OrderedDict[tuple, tuple[dict, list[bytes]]] = OrderedDict()
        self.size = 0
        self.generation = -1

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or scope["method"] != "GET" or not path.startswith("/api/") or path in self.SKIP
                or not self.max_bytes):
            return await self.app(scope, receive, send)
        db = scope["app"].state.db
        generation = db.generation
        if generation != self.generation:
            self.entries.clear()
            self.size, self.generation = 0, generation
        gzip_ok = any(k == b"accept-encoding" and b"gzip" in v for k, v in scope["headers"])
        key = (path, scope.get("query_string", b""), gzip_ok)
        hit = self.entries.get(key)
        if hit is not None:
            self.entries.move_to_end(key)
            start, chunks = hit
            await send(start)
            for i, chunk in enumerate(chunks):
                await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})
            return
        messages: list[dict] = []

        async def keep(message: dict) -> None:
            messages.append(message)
            await send(message)

        await self.app(scope, receive, keep)
        if not messages or messages[0].get("status") != 200 or db.generation != generation:
            return
        chunks = [m.get("body", b"") for m in messages[1:] if m["type"] == "http.response.body"]
        n = sum(map(len, chunks))
        if n > self.max_bytes // 8:
            return
        self.entries[key] = (messages[0], chunks)
        self.size += n
        while self.size > self.max_bytes:
            _, (_, old) = self.entries.popitem(last=False)
            self.size -= sum(map(len, old))


class SecurityHeaders:
    """Adds SECURITY_HEADERS (unless the response set its own) and `no-store` on /api/ (plain ASGI)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        api_path = scope["path"].startswith("/api/")

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = dict(SECURITY_HEADERS, **({"Cache-Control": "no-store"} if api_path else {}))
                headers += [(k.lower().encode(), v.encode()) for k, v in extra.items() if k.lower().encode() not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def vendor_missing() -> list[str]:
    return [f for f in VENDOR_FILES if not (WEB_DIR / "vendor" / f).is_file()]


def create_app(db: str | os.PathLike | None = None, *, cors_origins: list[str] | tuple[str, ...] = (),
               request_budget: float = REQUEST_BUDGET_S, writable: bool = False, token: str | None = None,
               on_shutdown: Callable[[], None] | None = None) -> FastAPI:
    """The ASGI app over a store (raises StoreError if it cannot be opened). Read-only unless
    `writable`: then this process owns the store and takes documents from bearers of `token`.
    `on_shutdown` runs when the server stops (uvicorn ends the process on SIGTERM right after)."""
    state_db = Db(db, request_budget, writable=writable)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # DuckDB releases the GIL while it runs a query, Python holds it for the rest: the Gate keeps
        # the store's readers to DB_SLOTS threads; the other threads serve files and the writer.
        anyio.to_thread.current_default_thread_limiter().total_tokens = DB_SLOTS + 4
        app.state.gate = Gate()
        yield
        state_db.close()
        if on_shutdown:
            on_shutdown()

    app = FastAPI(
        title="flashpoint", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
        description="PLOVER-coded, geocoded, source-attributed events from news articles. "
                    "The event record is the one of CONTRACT.md.",
    )
    app.state.db = state_db
    app.state.gate = Gate()
    state_db.warm_up()
    app.state.token = token if writable else None
    app.include_router(router)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path"))
            problems.append(f"{where}: {e.get('msg')}" + (f" (got {e['input']!r})" if e.get("input") is not None and e.get("type") != "missing" else ""))
        return JSONResponse({"detail": "; ".join(problems), "errors": [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()]},
                            status_code=422)

    @app.exception_handler(QueryTimeout)
    async def timeout_error(request: Request, exc: QueryTimeout) -> JSONResponse:
        return JSONResponse({"detail": f"the request took longer than {request_budget:g} s; narrow the filters"}, status_code=503,
                            headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(Busy)
    async def busy_error(request: Request, exc: Busy) -> JSONResponse:
        return JSONResponse({"detail": f"the server is busy ({exc}); try again shortly"}, status_code=503,
                            headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(duckdb.Error)
    async def db_error(request: Request, exc: duckdb.Error) -> JSONResponse:
        return JSONResponse({"detail": f"database error: {type(exc).__name__}"}, status_code=500)

    app.add_middleware(SecurityHeaders)
    # level 4: responses are compressed on the event loop; level 9 cost ~3x the CPU for a few % smaller JSON
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=4)
    app.add_middleware(ResponseCache)  # outside gzip (kept compressed), inside CORS (whose headers vary by origin)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET"], allow_credentials=False)

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        # Swagger UI from web/vendor, started by web/docs.js: no inline script, the same CSP as every page
        return FileResponse(WEB_DIR / "docs.html", headers={"Cache-Control": "no-cache"})

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        missing = vendor_missing()
        if missing:
            return HTMLResponse(
                "<!doctype html><title>flashpoint</title><p>The dashboard's front-end assets are missing "
                f"({', '.join(missing)}): run <code>make install</code> (npm ci and copy into "
                "src/flashpoint/web/vendor). The API is at <a href=\"/docs\">/docs</a>.</p>", status_code=503)
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    # Starlette's StaticFiles resolves every path and refuses anything outside WEB_DIR (404).
    app.mount("/static", CachedStaticFiles(directory=WEB_DIR, follow_symlink=False), name="static")
    return app


def app_from_env() -> FastAPI:
    """The app of one worker process of `serve(workers=N)`, configured by serve() through the environment."""
    return create_app(os.environ["FLASHPOINT_SERVE_DB"], cors_origins=tuple(json.loads(os.environ.get("FLASHPOINT_SERVE_CORS", "[]"))))


def serve(db: str | os.PathLike | None = None, port: int = DEFAULT_PORT, *, cors_origins: list[str] | tuple[str, ...] = (),
          workers: int = 1, read_only: bool = False, log_level: str = "info",
          say: Callable[[str], None] = print) -> None:
    """Run the API and dashboard on 127.0.0.1:port until interrupted. One process owns the store
    (writable, documents from `flashpoint ingest`, see handoff.py) unless `read_only`; workers > 1:
    that many read-only processes. While another process writes the store, the server waits for
    it (an ingest hands the store over after its current batch). `say` tells the user."""
    import uvicorn

    from . import handoff

    path = db_path(db)
    if not path.exists():
        raise StoreError(f"{path}: no such database (run `flashpoint ingest` first)")
    opts: dict[str, Any] = {"host": HOST, "port": port, "log_level": log_level, "server_header": False,
                            "proxy_headers": False, "http": "flashpoint.webserver:Http11Protocol"}
    started = f"flashpoint dashboard on http://{HOST}:{port}/  (API docs: http://{HOST}:{port}/docs)"
    if workers > 1:
        Store(db, read_only=True).close()  # fail here, with the store's message, not in every worker
        os.environ["FLASHPOINT_SERVE_DB"] = str(path.resolve())
        os.environ["FLASHPOINT_SERVE_CORS"] = json.dumps(list(cors_origins))
        say(started + f", {workers} read-only processes")
        uvicorn.run("flashpoint.api:app_from_env", factory=True, workers=workers, **opts)
        return
    if read_only:
        app = create_app(db, cors_origins=cors_origins)
        say(started + ", read-only")
        uvicorn.run(app, **opts)
        return
    token = secrets.token_urlsafe(32)
    handoff.announce(db, handoff.Server(os.getpid(), f"http://{HOST}:{port}", token))
    waited = None
    try:
        while True:
            try:
                app = create_app(db, cors_origins=cors_origins, writable=True, token=token,
                                 on_shutdown=lambda: handoff.withdraw(db))
                break
            except StoreError as e:
                if not handoff.is_lock_conflict(e):
                    raise
                if waited is None:
                    say(f"{path} is locked by another process; waiting for it (a `flashpoint ingest` hands it over after its current batch)")
                waited = time.monotonic()
                time.sleep(0.5)
        say(started + f"; `flashpoint ingest --db {path}` adds documents through it")
        uvicorn.run(app, **opts)
    finally:
        handoff.withdraw(db)


# ---------------------------------------------------------------------------- load check
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextmanager
def running_server(db: str | os.PathLike, *extra: str, start_timeout: float = 60.0) -> Iterator[str]:
    """`flashpoint serve --db DB --port N` in a subprocess on a free port; yields its base URL once
    /api/health answers, and stops it (used by the load check and the API and browser tests)."""
    import http.client
    import subprocess
    import sys

    import tempfile

    port = free_port()
    # the server's log goes to a file: a pipe nobody reads fills up and blocks the server
    log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flashpoint.cli", "serve", "--db", str(db), "--port", str(port), *extra],
        stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"flashpoint serve exited with {proc.returncode}:\n{log.read()}")
            try:
                c = http.client.HTTPConnection(HOST, port, timeout=2)
                c.request("GET", "/api/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"flashpoint serve did not answer within {start_timeout:.0f} s")
            time.sleep(0.2)
        yield f"http://{HOST}:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def bench_api(db: str | os.PathLike | None = None, requests: int = 200, concurrency: int = 200,
              workers: int = 1, timeout: float = 60.0) -> dict[str, Any]:
    """Start `flashpoint serve` on a free loopback port, send `requests` requests with `concurrency`
    in flight at once (a mix of list, filter, CSV, detail, dyad, document and summary requests and
    the dashboard's static files, gzip accepted as a browser does), while one more client asks
    /api/health every 50 ms; stop the server, and return the latency percentiles in milliseconds,
    overall, by kind of request, and of /api/health under that load."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    with Store(db, read_only=True) as s:  # fail early with the store's own message
        ids = [r[0] for r in s.con.execute("SELECT event_id FROM events ORDER BY event_id LIMIT 50").fetchall()]
        countries = [r[0] for r in s.con.execute("SELECT DISTINCT country FROM events WHERE country IS NOT NULL ORDER BY 1").fetchall()]
        path = s.path
    mix = [
        ("events", lambda i: "/api/events?page_size=100"),
        ("events filtered", lambda i: f"/api/events?country={countries[i % len(countries)] if countries else 'PAK'}&modality=asserted"),
        ("events compact 500", lambda i: "/api/events?fields=compact&page_size=500"),
        ("event", lambda i: f"/api/events/{ids[i % len(ids)]}" if ids else "/api/health"),
        ("summary", lambda i: "/api/summary"),
        ("dyads", lambda i: "/api/dyads?interval=day"),
        ("events csv", lambda i: "/api/events?format=csv&type=ASSAULT"),
        ("documents", lambda i: "/api/documents?page_size=50"),
        ("static", lambda i: ("/", "/static/app.js", "/static/style.css", "/static/vendor/leaflet/leaflet.js")[i // len(mix) % 4]),
    ]
    with running_server(path, "--workers", str(workers), "--read-only") as url:
        port = int(url.rsplit(":", 1)[1])
        work = [(mix[i % len(mix)][0], mix[i % len(mix)][1](i)) for i in range(requests)]
        barrier = threading.Barrier(min(concurrency, requests))

        def get(p: str) -> tuple[float, int]:
            c = http.client.HTTPConnection(HOST, port, timeout=timeout)
            t0 = time.perf_counter()
            try:
                c.request("GET", p, headers={"Accept-Encoding": "gzip"})
                r = c.getresponse()
                r.read()
                status = r.status
            except OSError:
                status = 0
            finally:
                c.close()
            return (time.perf_counter() - t0) * 1000, status

        def one(item: tuple[str, str]) -> tuple[str, float, int]:
            try:
                barrier.wait(timeout=30)
            except threading.BrokenBarrierError:
                pass
            return (item[0], *get(item[1]))

        done = threading.Event()
        health: list[tuple[float, int]] = []

        def probe() -> None:
            while not done.wait(0.05):
                health.append(get("/api/health"))

        prober = threading.Thread(target=probe, daemon=True)
        t0 = time.perf_counter()
        prober.start()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            results = list(pool.map(one, work))
        wall = time.perf_counter() - t0
        done.set()
        prober.join()

    def stats(rows: list[tuple[float, int]]) -> dict[str, Any]:
        lat = sorted(ms for ms, _ in rows) or [0.0]

        def pct(q: float) -> float:
            return lat[min(len(lat) - 1, max(0, math.ceil(q * len(lat)) - 1))]

        return {"requests": len(rows), "errors": sum(1 for _, st in rows if st != 200),
                "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": lat[-1]}

    overall = stats([(ms, st) for _, ms, st in results])
    return {
        **overall, "concurrency": concurrency, "workers": workers, "seconds": wall, "requests_per_s": requests / wall,
        "health_p95_ms": stats(health)["p95_ms"], "health_max_ms": stats(health)["max_ms"], "health_errors": stats(health)["errors"],
        "by_kind": {kind: stats([(ms, st) for k, ms, st in results if k == kind]) for kind, _ in mix},
    }
