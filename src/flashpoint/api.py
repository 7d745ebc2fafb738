"""REST API under `/api/` and the web dashboard at `/` (`flashpoint serve`, ../shared/CONTRACT.md).

The store is opened read-only; every request gets its own DuckDB cursor, and every query is
interrupted after `QUERY_TIMEOUT_S`. Limits keep one request cheap: at most `MAX_PAGE_SIZE` rows
a page, offsets up to `MAX_OFFSET`, day-level dyad series over at most `MAX_DAY_SPAN` days, at
most `MAX_DYADS` dyads. Bad input is a 4xx with a message that names the parameter.

The dashboard (`web/`) is plain HTML/JS/CSS; its libraries (Leaflet, topojson-client, the Natural
Earth TopoJSON of world-atlas, swagger-ui for `/docs`) come from npm at install time and are
copied into `web/vendor/` by `make install`. Nothing is fetched from the internet at run time.
The server binds to 127.0.0.1 only; CORS is off unless origins are given explicitly.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from . import __version__, export
from .dyads import dyad_series, top_dyads
from .lexicon import load_actor_dictionary, load_plover
from .store import Store, StoreError, db_path, event_filters

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MAX_OFFSET = 50_000
MAX_DAY_SPAN = 731
MAX_DYADS = 50
QUERY_TIMEOUT_S = 5.0
WORKER_THREADS = int(os.environ.get("FLASHPOINT_API_THREADS", "4"))
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


class Db:
    """One read-only DuckDB connection; each request works on its own cursor."""

    def __init__(self, path: str | os.PathLike | None, timeout: float = QUERY_TIMEOUT_S):
        self.store = Store(path, read_only=True)
        self.path = self.store.path
        self.timeout = timeout
        self.lock = threading.Lock()

    def cursor(self) -> Cursor:
        with self.lock:  # cursor() on the shared connection is not thread-safe
            return Cursor(self.store.con.cursor(), self.timeout)

    def close(self) -> None:
        self.store.close()


class Cursor:
    def __init__(self, con: duckdb.DuckDBPyConnection, timeout: float):
        self.con, self.timeout = con, timeout

    def all(self, sql: str, args: list | None = None) -> list[tuple]:
        timer = threading.Timer(self.timeout, self.con.interrupt)
        timer.start()
        try:
            return self.con.execute(sql, args or []).fetchall()
        except duckdb.InterruptException:
            raise QueryTimeout() from None
        finally:
            timer.cancel()

    def one(self, sql: str, args: list | None = None) -> tuple | None:
        rows = self.all(sql, args)
        return rows[0] if rows else None

    def close(self) -> None:
        self.con.close()


# The dependencies are coroutines: cheap, and a sync one would cost each request extra trips
# through the worker-thread queue, so that under load every response waits for all the others.
async def get_cursor(request: Request) -> AsyncIterator[Cursor]:
    cur = request.app.state.db.cursor()
    try:
        yield cur
    finally:
        cur.close()


async def reject_unknown_params(request: Request) -> None:
    """A misspelt filter (`?contry=PAK`) is an error, not a silently unfiltered answer."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        known |= {p.alias for p in sub.query_params}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise HTTPException(400, f"unknown query parameter(s): {', '.join(unknown)}; allowed: {', '.join(sorted(known)) or 'none'}")


Cur = Annotated[Cursor, Depends(get_cursor)]
DateFrom = Annotated[date | None, Query(alias="from", description="first date, YYYY-MM-DD (inclusive)")]
DateTo = Annotated[date | None, Query(alias="to", description="last date, YYYY-MM-DD (inclusive)")]
Page = Annotated[int, Query(ge=1, le=MAX_OFFSET, description="page number, from 1")]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"rows per page (at most {MAX_PAGE_SIZE})")]
Country = Annotated[str | None, Query(pattern=COUNTRY, description="ISO 3166-1 alpha-3 code")]


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

router = APIRouter(prefix="/api", dependencies=[Depends(reject_unknown_params)])


@router.get("/health", summary="Liveness and the store it reads")
def health(cur: Cur, request: Request) -> Response:
    n = cur.one("SELECT count(*) FROM events")[0]
    return json_response({"status": "ok", "version": __version__, "events": n, "db": request.app.state.db.path.name})


@router.get("/events", summary="Events matching every filter, a page at a time, as JSON or ACLED-style CSV")
def list_events(
    cur: Cur,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    country: Country = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=100, description="actor name (substring) or ISO3")] = None,
    event_type: Annotated[EventType | None, Query(alias="type", description="PLOVER event type")] = None,
    modality: Modality | None = None,
    doc_id: Annotated[str | None, Query(max_length=500, description="only the events of this document")] = None,
    page: Page = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
    fields: Annotated[Fields, Query(description="full contract records, or compact ones for maps")] = Fields.full,
    format: Annotated[Format, Query(description="json, or csv (ACLED-style columns of export.py)")] = Format.json,
    fused: Annotated[bool, Query(description="one record per real event across articles, with its reports and n_sources")] = False,
) -> Response:
    check_dates(date_from, date_to)
    offset = check_offset(page, page_size)
    if fused:
        where, args = event_filters(date_from, date_to, country, actor, event_type.value if event_type else None,
                                    modality.value if modality else None, doc_id, fused=True)
        return fused_events_page(cur, where, args, page, page_size, offset, fields, format)
    where, args = event_filters(date_from, date_to, country, actor, event_type.value if event_type else None,
                                modality.value if modality else None, doc_id)
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    total = cur.one(f"SELECT count(*) FROM events e{cond}", args)[0]
    headers = {"X-Total-Count": str(total)}
    page_sql = f"FROM events e JOIN documents d USING (doc_id){cond} ORDER BY e.date NULLS LAST, e.event_id LIMIT ? OFFSET ?"
    if format is Format.json:
        rows = cur.all(f"SELECT {COMPACT_JSON if fields is Fields.compact else FULL_JSON} {page_sql}", args + [page_size, offset])
        return json_response(
            f'{{"total":{total},"page":{page},"page_size":{page_size},"pages":{math.ceil(total / page_size)},'
            f'"events":[{",".join(r[0] for r in rows)}]}}', headers=headers)
    # CSV: the ACLED-style rows of export.py
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=export.ACLED_COLUMNS)
    w.writeheader()
    for (rec,) in cur.all(f"SELECT {FULL_JSON} {page_sql}", args + [page_size, offset]):
        w.writerow(export.acled_row(json.loads(rec)))
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
    w = csv.DictWriter(buf, fieldnames=export.columns(records) if records else export.ACLED_COLUMNS + export.FUSED_COLUMNS)
    w.writeheader()
    for r in records:
        w.writerow(export.acled_row(r))
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
    actor_country: Country = None,
    recipient_country: Country = None,
    interval: Interval = Interval.day,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    event_type: Annotated[EventType | None, Query(alias="type", description="PLOVER event type")] = None,
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
                           event_type.value if event_type else None, modality, domestic, limit, min_sources)
    where, args = event_filters(date_from, date_to, None, None, event_type.value if event_type else None,
                                None if modality == "any" else modality)
    where += ["e.date IS NOT NULL", "a.country IS NOT NULL", "r.country IS NOT NULL"]
    if not domestic:
        where.append("a.country <> r.country")
    if actor_country:
        where.append("a.country = ?")
        args.append(actor_country.upper())
    if recipient_country:
        where.append("r.country = ?")
        args.append(recipient_country.upper())
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


def fused_dyads(cur: Cursor, actor_country: str | None, recipient_country: str | None, interval: Interval,
                date_from: date | None, date_to: date | None, event_type: str | None, modality: str, domestic: bool,
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


@router.get("/summary", summary="What the store holds: counts by type, modality and country, date range, top dyads")
def summary(cur: Cur, request: Request) -> Response:
    state = request.app.state
    if state.summary is None:  # computed at start-up: the store is read-only, nobody changes it while we serve
        state.summary = json.dumps(compute_summary(cur), separators=(",", ":"))
    return json_response(state.summary)


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
                   "max_dyads": MAX_DYADS, "query_timeout_s": QUERY_TIMEOUT_S},
    }


# ---------------------------------------------------------------------------- the app
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
               query_timeout: float = QUERY_TIMEOUT_S) -> FastAPI:
    """The ASGI app over a store opened read-only (raises StoreError if it cannot be opened)."""
    state_db = Db(db, query_timeout)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Few worker threads: DuckDB releases the GIL while it runs a query, Python holds it for the
        # rest; with many threads the event loop starves and every response waits for the slowest.
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        yield
        state_db.close()

    app = FastAPI(
        title="flashpoint", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
        description="PLOVER-coded, geocoded, source-attributed events from news articles (read-only). "
                    "The event record is the one of CONTRACT.md.",
    )
    app.state.db = state_db
    cur = state_db.cursor()
    try:
        app.state.summary = json.dumps(compute_summary(cur), separators=(",", ":"))
    finally:
        cur.close()
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
        return JSONResponse({"detail": f"the query took longer than {query_timeout:g} s; narrow the filters"}, status_code=503)

    @app.exception_handler(duckdb.Error)
    async def db_error(request: Request, exc: duckdb.Error) -> JSONResponse:
        return JSONResponse({"detail": f"database error: {type(exc).__name__}"}, status_code=500)

    app.add_middleware(SecurityHeaders)
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET"], allow_credentials=False)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url, title="flashpoint API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )
        # swagger-ui starts from one inline script; this page shows no stored text
        page.headers["Content-Security-Policy"] = SECURITY_HEADERS["Content-Security-Policy"].replace(
            "script-src 'self'", "script-src 'self' 'unsafe-inline'")
        return page

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
    app.mount("/static", StaticFiles(directory=WEB_DIR, follow_symlink=False), name="static")
    return app


def app_from_env() -> FastAPI:
    """The app of one worker process of `serve(workers=N)`, configured by serve() through the environment."""
    return create_app(os.environ["FLASHPOINT_SERVE_DB"], cors_origins=tuple(json.loads(os.environ.get("FLASHPOINT_SERVE_CORS", "[]"))))


def serve(db: str | os.PathLike | None = None, port: int = DEFAULT_PORT, *, cors_origins: list[str] | tuple[str, ...] = (),
          workers: int = 1, log_level: str = "info") -> None:
    """Run the API and dashboard on 127.0.0.1:port until interrupted (workers > 1: that many processes)."""
    import uvicorn

    opts: dict[str, Any] = {"host": HOST, "port": port, "log_level": log_level, "server_header": False, "proxy_headers": False}
    if workers <= 1:
        uvicorn.run(create_app(db, cors_origins=cors_origins), **opts)
        return
    Store(db, read_only=True).close()  # fail here, with the store's message, not in every worker
    os.environ["FLASHPOINT_SERVE_DB"] = str(db_path(db).resolve())
    os.environ["FLASHPOINT_SERVE_CORS"] = json.dumps(list(cors_origins))
    uvicorn.run("flashpoint.api:app_from_env", factory=True, workers=workers, **opts)


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

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "flashpoint.cli", "serve", "--db", str(db), "--port", str(port), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"flashpoint serve exited with {proc.returncode}:\n{proc.stdout.read()}")
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


def bench_api(db: str | os.PathLike | None = None, requests: int = 200, concurrency: int = 200,
              workers: int = 1, timeout: float = 60.0) -> dict[str, Any]:
    """Start `flashpoint serve` on a free loopback port, send `requests` API requests with
    `concurrency` in flight at once (a mix of list, filter, CSV, detail, dyad and summary
    requests), stop the server, and return the latency percentiles in milliseconds."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    with Store(db, read_only=True) as s:  # fail early with the store's own message
        ids = [r[0] for r in s.con.execute("SELECT event_id FROM events ORDER BY event_id LIMIT 50").fetchall()]
        countries = [r[0] for r in s.con.execute("SELECT DISTINCT country FROM events WHERE country IS NOT NULL ORDER BY 1").fetchall()]
        path = s.path
    with running_server(path, "--workers", str(workers)) as url:
        port = int(url.rsplit(":", 1)[1])
        paths = []
        for i in range(requests):
            k = i % 8
            cc = countries[i % len(countries)] if countries else "PAK"
            paths.append([
                "/api/events?page_size=100",
                f"/api/events?country={cc}&modality=asserted",
                "/api/events?fields=compact&page_size=500",
                f"/api/events/{ids[i % len(ids)]}" if ids else "/api/health",
                "/api/summary",
                "/api/dyads?interval=day",
                "/api/events?format=csv&type=ASSAULT",
                "/api/documents?page_size=50",
            ][k])
        barrier = threading.Barrier(min(concurrency, requests))

        def one(p: str) -> tuple[float, int]:
            c = http.client.HTTPConnection(HOST, port, timeout=timeout)
            try:
                barrier.wait(timeout=30)
            except threading.BrokenBarrierError:
                pass
            t0 = time.perf_counter()
            try:
                c.request("GET", p)
                r = c.getresponse()
                r.read()
                status = r.status
            except OSError:
                status = 0
            finally:
                c.close()
            return (time.perf_counter() - t0) * 1000, status

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            results = list(pool.map(one, paths))
        wall = time.perf_counter() - t0
    lat = sorted(ms for ms, _ in results)

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, max(0, math.ceil(q * len(lat)) - 1))]

    return {
        "requests": requests, "concurrency": concurrency, "workers": workers, "errors": sum(1 for _, st in results if st != 200),
        "seconds": wall, "requests_per_s": requests / wall,
        "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": lat[-1],
    }
