"""The event store: an embedded DuckDB file (default `flashpoint.duckdb`, or $FLASHPOINT_DB).

Documents are written with their events in one transaction per batch, so an interrupted ingest
keeps every committed batch and the next run skips what is already stored (same content hash and
coder version). Schema changes are numbered migrations recorded in `meta.schema_version`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from .models import Document, Event

DEFAULT_DB = "flashpoint.duckdb"
LEGACY_FILE_ORIGIN = r"\.(txt|text|md|html?)$"  # one-article files (readers.TEXT_EXT, HTML_EXT)

MIGRATIONS: list[str] = [
    # 1: the initial schema
    """
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
    CREATE TABLE documents (
        doc_id VARCHAR PRIMARY KEY, content_hash VARCHAR NOT NULL, coder_version VARCHAR NOT NULL,
        title VARCHAR, source VARCHAR, url VARCHAR, date DATE, origin VARCHAR, text VARCHAR NOT NULL,
        n_events INTEGER NOT NULL, ingested_at TIMESTAMP NOT NULL);
    CREATE TABLE events (
        event_id VARCHAR PRIMARY KEY, doc_id VARCHAR NOT NULL, event_type VARCHAR NOT NULL,
        mode VARCHAR[], context VARCHAR[], cameo VARCHAR, goldstein DOUBLE, plover_score DOUBLE,
        acled_event_type VARCHAR, acled_sub_event_type VARCHAR,
        date DATE, date_precision VARCHAR, date_text VARCHAR,
        location_name VARCHAR, country VARCHAR, admin1 VARCHAR, admin2 VARCHAR, lat DOUBLE, lon DOUBLE,
        geonameid BIGINT, geo_precision INTEGER,
        fatalities_best INTEGER, fatalities_low INTEGER, fatalities_high INTEGER,
        injuries_best INTEGER, injuries_low INTEGER, injuries_high INTEGER,
        contested BOOLEAN, modality VARCHAR, confidence DOUBLE,
        actor_countries VARCHAR[], recipient_countries VARCHAR[], record JSON NOT NULL);
    CREATE INDEX events_doc ON events (doc_id);
    CREATE INDEX events_date ON events (date);
    CREATE TABLE actors (event_id VARCHAR, doc_id VARCHAR, role VARCHAR, ord INTEGER, text VARCHAR,
        name VARCHAR, country VARCHAR, sector VARCHAR);
    CREATE TABLE claims (event_id VARCHAR, doc_id VARCHAR, ord INTEGER, field VARCHAR, value JSON,
        source VARCHAR, quote VARCHAR);
    CREATE TABLE evidence (event_id VARCHAR, doc_id VARCHAR, ord INTEGER, text VARCHAR,
        start_char INTEGER, end_char INTEGER);
    """,
    # 2: evidence spans say what they show (sentence, trigger, actor, recipient)
    """
    ALTER TABLE evidence ADD COLUMN role VARCHAR;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The database cannot be opened or written; the message names the path and the reason."""


def db_path(path: str | os.PathLike | None = None) -> Path:
    return Path(path or os.environ.get("FLASHPOINT_DB") or DEFAULT_DB)


class Store:
    def __init__(self, path: str | os.PathLike | None = None, read_only: bool = False):
        self.path = db_path(path)
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no such database (run `flashpoint ingest` first)")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except (duckdb.Error, OSError) as e:
            raise StoreError(f"{self.path}: cannot open the database: {e}") from None
        if not read_only:
            self.migrate()
        elif self.version() != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {self.version()}, this flashpoint needs {SCHEMA_VERSION}")

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def version(self) -> int:
        has_meta = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
        ).fetchone()[0]
        if not has_meta:
            return 0
        row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def migrate(self) -> None:
        current = self.version()
        if current > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {current} is newer than this flashpoint ({SCHEMA_VERSION})")
        for n in range(current, SCHEMA_VERSION):
            try:
                self.con.execute("BEGIN TRANSACTION")
                self.con.execute(MIGRATIONS[n])
                self.con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(n + 1)])
                self.con.execute("COMMIT")
            except (duckdb.Error, OSError) as e:
                self.con.execute("ROLLBACK")
                raise StoreError(f"{self.path}: migration to schema {n + 1} failed: {e}") from None

    # ------------------------------------------------------------------ writing
    def stored_state(self, doc_ids: list[str]) -> dict[str, tuple[str, str]]:
        if not doc_ids:
            return {}
        rows = self.con.execute(
            "SELECT doc_id, content_hash, coder_version FROM documents WHERE doc_id IN (SELECT unnest(?))", [doc_ids]
        ).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def pending(self, docs: list[Document], coder_version: str) -> list[Document]:
        """The documents not yet stored as they are now (new, changed, or coded by an older coder)."""
        state = self.stored_state([d.id for d in docs])
        return [d for d in docs if state.get(d.id) != (d.content_hash, coder_version)]

    def superseded(self, legacy_ids: list[str]) -> list[str]:
        """The stored documents a file's article replaces: before flashpoint identified .txt/.html
        files by their path, their id was the hash of their body (readers.legacy_ids)."""
        if not legacy_ids:
            return []
        rows = self.con.execute(
            "SELECT doc_id FROM documents WHERE doc_id IN (SELECT unnest(?)) AND regexp_matches(lower(origin), ?)",
            [legacy_ids, LEGACY_FILE_ORIGIN],
        ).fetchall()
        return [r[0] for r in rows]

    def write(self, batch: Iterable[tuple[Document, list[Event]]], coder_version: str) -> int:
        """Replace the given documents and their events in one transaction; returns events written."""
        batch = list(batch)
        n = 0
        try:
            self.con.execute("BEGIN TRANSACTION")
            ids = [d.id for d, _ in batch]
            ids += self.superseded([r for d, _ in batch for r in d.replaces if r not in ids])
            for table in ("evidence", "claims", "actors", "events", "documents"):
                self.con.execute(f"DELETE FROM {table} WHERE doc_id IN (SELECT unnest(?))", [ids])
            now = datetime.now(timezone.utc).replace(tzinfo=None)
            self.con.executemany(
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (d.id, d.content_hash, coder_version, d.title, d.source, d.url, d.date, d.origin, d.text, len(evs), now)
                    for d, evs in batch
                ],
            )
            ev_rows, actor_rows, claim_rows, evid_rows = [], [], [], []
            for d, evs in batch:
                for e in evs:
                    ev_rows.append(event_row(e))
                    for role, lst in (("actor", e.actor), ("recipient", e.recipient)):
                        actor_rows += [(e.event_id, d.id, role, i, a.text, a.name, a.country, a.sector) for i, a in enumerate(lst)]
                    claim_rows += [
                        (e.event_id, d.id, i, c.field, json.dumps(c.value), c.source, c.quote) for i, c in enumerate(e.claims)
                    ]
                    evid_rows += [(e.event_id, d.id, i, s.text, s.start, s.end, s.role) for i, s in enumerate(e.evidence)]
            for table, rows in (("events", ev_rows), ("actors", actor_rows), ("claims", claim_rows), ("evidence", evid_rows)):
                if rows:
                    marks = ",".join("?" * len(rows[0]))
                    self.con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
            self.con.execute("COMMIT")
            n = len(ev_rows)
        except (duckdb.Error, OSError) as e:
            try:
                self.con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            raise StoreError(f"{self.path}: cannot write (nothing of this batch was stored): {e}") from None
        return n

    # ------------------------------------------------------------------ reading
    def query_events(
        self,
        date_from: str | None = None,
        date_to: str | None = None,
        country: str | None = None,
        event_type: str | None = None,
        actor: str | None = None,
        modality: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Contract event records matching every filter given (country: actor, recipient or place)."""
        where, args = event_filters(date_from, date_to, country, actor, event_type, modality)
        sql = "SELECT e.record, d.title, d.source, d.url FROM events e JOIN documents d USING (doc_id)"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.date NULLS LAST, e.event_id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        out = []
        for rec, title, source, url in self.con.execute(sql, args).fetchall():
            r = json.loads(rec)
            r["source_document"] = {"title": title, "source": source, "url": url}
            out.append(r)
        return out

    def summary(self) -> dict[str, Any]:
        c = self.con
        return {
            "documents": c.execute("SELECT count(*) FROM documents").fetchone()[0],
            "events": c.execute("SELECT count(*) FROM events").fetchone()[0],
            "by_type": c.execute(
                "SELECT event_type, count(*), sum(coalesce(fatalities_best, 0)) FROM events "
                "WHERE modality = 'asserted' GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall(),
            "dyads": c.execute(
                "SELECT a.country, r.country, count(DISTINCT e.event_id), min(e.date), max(e.date) FROM events e "
                "JOIN actors a ON a.event_id = e.event_id AND a.role = 'actor' "
                "JOIN actors r ON r.event_id = e.event_id AND r.role = 'recipient' "
                "WHERE a.country IS NOT NULL AND r.country IS NOT NULL AND a.country <> r.country "
                "AND e.modality = 'asserted' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10"
            ).fetchall(),
        }


def event_filters(
    date_from: date | None = None, date_to: date | None = None, country: str | Sequence[str] | None = None,
    actor: str | None = None, event_type: str | Sequence[str] | None = None, modality: str | Sequence[str] | None = None,
    doc_id: str | None = None,
) -> tuple[list[str], list[Any]]:
    """WHERE clauses over events `e` (country: actor, recipient or place; a list of countries, types
    or modalities matches any of them); shared with the API."""
    where: list[str] = []
    args: list[Any] = []
    if date_from:
        where.append("e.date >= ?")
        args.append(date_from)
    if date_to:
        where.append("e.date <= ?")
        args.append(date_to)
    if countries := [c.upper() for c in listed(country)]:
        where.append(f"({any_of('e.country', countries)} OR {any_of('e.actor_countries', countries, array=True)} "
                     f"OR {any_of('e.recipient_countries', countries, array=True)})")
        args += countries * 3
    for column, values in (("e.event_type", [t.upper() for t in listed(event_type)]),
                           ("e.modality", [m.lower() for m in listed(modality)])):
        if values:
            where.append(any_of(column, values))
            args += values
    if actor:
        where.append(
            "e.event_id IN (SELECT event_id FROM actors WHERE role = 'actor' AND "
            "(lower(name) LIKE ? ESCAPE '\\' OR lower(text) LIKE ? ESCAPE '\\' OR country = ?))"
        )
        like = "%" + actor.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        args += [like, like, actor.upper()]
    if doc_id:
        where.append("e.doc_id = ?")
        args.append(doc_id)
    return where, args


def listed(value: str | Sequence[str] | None) -> list[str]:
    return [] if not value else [value] if isinstance(value, str) else list(value)


def any_of(column: str, values: list[str], array: bool = False) -> str:
    """`column` equals (or, for an array column, holds) any of `values`, one placeholder each:
    DuckDB pushes the single-value form into the scan (twice as fast as IN on 400k events)."""
    marks = ",".join("?" * len(values))
    if array:
        return f"list_contains({column}, ?)" if len(values) == 1 else f"list_has_any({column}, [{marks}])"
    return f"{column} = ?" if len(values) == 1 else f"{column} IN ({marks})"


def event_row(e: Event) -> tuple:
    loc, fat, inj = e.location, e.fatalities, e.injuries
    return (
        e.event_id, e.doc_id, e.event_type, e.mode, e.context, e.cameo, e.goldstein, e.plover_score,
        e.acled["event_type"] if e.acled else None, e.acled["sub_event_type"] if e.acled else None,
        e.date, e.date_precision, e.date_text,
        loc.name if loc else None, loc.country if loc else None, loc.admin1 if loc else None,
        loc.admin2 if loc else None, loc.lat if loc else None, loc.lon if loc else None,
        loc.geonameid if loc else None, loc.precision if loc else None,
        fat.best if fat else None, fat.low if fat else None, fat.high if fat else None,
        inj.best if inj else None, inj.low if inj else None, inj.high if inj else None,
        e.contested, e.modality, e.confidence,
        sorted({a.country for a in e.actor if a.country}), sorted({a.country for a in e.recipient if a.country}),
        json.dumps(e.to_dict()),
    )
