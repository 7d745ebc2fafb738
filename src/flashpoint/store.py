"""The event store: an embedded DuckDB file (default `flashpoint.duckdb`, or $FLASHPOINT_DB).

Documents are written with their events in one transaction per batch, so an interrupted ingest
keeps every committed batch and the next run skips what is already stored (same content hash and
coder version). Schema changes are numbered migrations recorded in `meta.schema_version`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from .models import Document, Event

DEFAULT_DB = "flashpoint.duckdb"

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
        self._schemas: dict = {}
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

    def write(self, batch: Iterable[tuple[Document, list[Event]]], coder_version: str) -> int:
        """Replace the given documents and their events in one transaction; returns events written."""
        batch = list(batch)
        n = 0
        try:
            self.con.execute("BEGIN TRANSACTION")
            ids = [d.id for d, _ in batch]
            for table in ("evidence", "claims", "actors", "events", "documents"):
                self.con.execute(f"DELETE FROM {table} WHERE doc_id IN (SELECT unnest(?))", [ids])
            now = datetime.now(timezone.utc).replace(tzinfo=None)
            doc_rows = [
                (d.id, d.content_hash, coder_version, d.title, d.source, d.url, d.date, d.origin, d.text, len(evs), now)
                for d, evs in batch
            ]
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
            for table, rows in (
                ("documents", doc_rows), ("events", ev_rows), ("actors", actor_rows), ("claims", claim_rows), ("evidence", evid_rows)
            ):
                self.insert(table, rows)
            self.con.execute("COMMIT")
            n = len(ev_rows)
        except (duckdb.Error, OSError) as e:
            try:
                self.con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            raise StoreError(f"{self.path}: cannot write (nothing of this batch was stored): {e}") from None
        return n

    def insert(self, table: str, rows: list[tuple]) -> None:
        """Bulk insert: the rows as one Arrow table, then `INSERT ... SELECT` (per-row
        `executemany` costs ~70x more CPU)."""
        if not rows:
            return
        import pyarrow as pa

        schema = self.arrow_schema(table)
        columns = list(zip(*rows))
        data = pa.Table.from_arrays([pa.array(list(c), type=f.type) for c, f in zip(columns, schema)], schema=schema)
        self.con.register("flashpoint_rows", data)
        try:
            self.con.execute(f"INSERT INTO {table} SELECT * FROM flashpoint_rows")
        finally:
            self.con.unregister("flashpoint_rows")

    def arrow_schema(self, table: str):
        """The Arrow schema of a table's columns, in table order (JSON is written as text)."""
        if table not in self._schemas:
            import pyarrow as pa

            types = {
                "VARCHAR": pa.string(), "JSON": pa.string(), "VARCHAR[]": pa.list_(pa.string()), "DOUBLE": pa.float64(),
                "INTEGER": pa.int32(), "BIGINT": pa.int64(), "BOOLEAN": pa.bool_(), "DATE": pa.date32(),
                "TIMESTAMP": pa.timestamp("us"),
            }
            cols = self.con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table]).fetchall()
            self._schemas[table] = pa.schema([(name, types[t]) for name, t in cols])
        return self._schemas[table]

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

    def count_events(
        self,
        date_from: str | None = None,
        date_to: str | None = None,
        country: str | None = None,
        event_type: str | None = None,
        actor: str | None = None,
        modality: str | None = None,
    ) -> int:
        """How many events match the filters of `query_events`."""
        where, args = event_filters(date_from, date_to, country, actor, event_type, modality)
        sql = "SELECT count(*) FROM events e" + (" WHERE " + " AND ".join(where) if where else "")
        return self.con.execute(sql, args).fetchone()[0]

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
    date_from: date | None = None, date_to: date | None = None, country: str | None = None, actor: str | None = None,
    event_type: str | None = None, modality: str | None = None, doc_id: str | None = None,
) -> tuple[list[str], list[Any]]:
    """WHERE clauses over events `e` (country: actor, recipient or place); shared with the API."""
    where: list[str] = []
    args: list[Any] = []
    if date_from:
        where.append("e.date >= ?")
        args.append(date_from)
    if date_to:
        where.append("e.date <= ?")
        args.append(date_to)
    if country:
        where.append("(e.country = ? OR list_contains(e.actor_countries, ?) OR list_contains(e.recipient_countries, ?))")
        args += [country.upper()] * 3
    if event_type:
        where.append("e.event_type = ?")
        args.append(event_type.upper())
    if modality:
        where.append("e.modality = ?")
        args.append(modality.lower())
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


def event_row(e: Event) -> tuple:
    loc, fat, inj = e.location, e.fatalities, e.injuries
    return (
        e.event_id, e.doc_id, e.event_type, e.mode, e.context, e.cameo, e.goldstein, e.plover_score,
        e.acled["event_type"] if e.acled else None, e.acled["sub_event_type"] if e.acled else None,
        date.fromisoformat(e.date) if e.date else None, e.date_precision, e.date_text,
        loc.name if loc else None, loc.country if loc else None, loc.admin1 if loc else None,
        loc.admin2 if loc else None, loc.lat if loc else None, loc.lon if loc else None,
        loc.geonameid if loc else None, loc.precision if loc else None,
        fat.best if fat else None, fat.low if fat else None, fat.high if fat else None,
        inj.best if inj else None, inj.low if inj else None, inj.high if inj else None,
        e.contested, e.modality, e.confidence,
        sorted({a.country for a in e.actor if a.country}), sorted({a.country for a in e.recipient if a.country}),
        json.dumps(e.to_dict()),
    )
