"""The event store: an embedded DuckDB file (default `flashpoint.duckdb`, or $FLASHPOINT_DB).

Documents are written with their events in one transaction per batch, so an interrupted ingest
keeps every committed batch and the next run skips what is already stored (same content hash and
coder version). Schema changes are numbered migrations recorded in `meta.schema_version`.
"""

from __future__ import annotations

import ctypes
import json
import os
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import duckdb

from .fusion import (Cluster, Index, Report, edge_of, edge_window, fuse_group, fused_record, pair, quality, recluster, rules,
                     run_days, runs_of, score)
from .models import Document, Event

DEFAULT_DB = "flashpoint.duckdb"
LEGACY_FILE_ORIGIN = r"\.(txt|text|md|html?)$"  # one-article files (readers.TEXT_EXT, HTML_EXT)

GROWING = ("documents", "events", "fused_events", "fused_links")  # the tables with a primary key until schema 5


def without_indexes(con: duckdb.DuckDBPyConnection) -> None:
    """Schema 5: no ART index (an index or a primary key) on the tables that grow with the store.
    DuckDB holds an index in its buffer pool, and each batch's deletes and inserts reach all of it
    (the keys are hashes), so what a bulk store's batch needs grew with the store (`ART_INDEX` 28 MB
    at 32,000 documents; batches outgrew the 128 MB budget from ~80,000; 80 of a 164 MB file at
    404k events). Nothing needs them: fusion and the writer select by semi-join and by row id, a
    point query scans the column (an event's detail from the API +6-8 ms at 404k events), and
    `write` replaces a document's rows whole, so its ids stay unique. Every index found is dropped
    (stores made during schema 4's development have others); a primary key cannot be, so its
    table is made again from its own DDL with the key's column NOT NULL."""
    names = ", ".join(f"'{t}'" for t in GROWING)
    for (name,) in con.execute(f"SELECT index_name FROM duckdb_indexes() WHERE database_name = current_database() "
                               f"AND schema_name = current_schema() AND table_name IN ({names})").fetchall():
        con.execute(f'DROP INDEX "{name}"')
    for t in GROWING:
        (ddl,) = con.execute("SELECT sql FROM duckdb_tables() WHERE database_name = current_database() "
                             "AND schema_name = current_schema() AND table_name = ?", [t]).fetchone()
        con.execute(f"ALTER TABLE {t} RENAME TO {t}_v4")
        con.execute(ddl.replace(" PRIMARY KEY", " NOT NULL"))
        con.execute(f"INSERT INTO {t} SELECT * FROM {t}_v4")
        con.execute(f"DROP TABLE {t}_v4")


MIGRATIONS: list[str | Callable[[duckdb.DuckDBPyConnection], None]] = [
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
    # cross-document fusion (fusion.py): one row per real event, the link of every report to it,
    # and the components whose reports were re-coded or removed and still wait to be re-clustered
    """
    CREATE TABLE fused_events (
        event_id VARCHAR PRIMARY KEY, component VARCHAR NOT NULL, event_type VARCHAR NOT NULL,
        date DATE, date_precision VARCHAR, country VARCHAR, lat DOUBLE, lon DOUBLE,
        fatalities_best INTEGER, fatalities_low INTEGER, fatalities_high INTEGER, contested BOOLEAN,
        modality VARCHAR, goldstein DOUBLE, n_reports INTEGER NOT NULL, n_sources INTEGER NOT NULL,
        first_reported DATE, actor_countries VARCHAR[], recipient_countries VARCHAR[], record JSON NOT NULL);
    CREATE INDEX fused_events_date ON fused_events (date);
    CREATE INDEX fused_events_component ON fused_events (component);
    CREATE TABLE fused_links (event_id VARCHAR PRIMARY KEY, fused_id VARCHAR NOT NULL, component VARCHAR NOT NULL,
        doc_id VARCHAR NOT NULL);
    CREATE INDEX fused_links_fused ON fused_links (fused_id);
    CREATE INDEX fused_links_component ON fused_links (component);
    CREATE INDEX fused_links_doc ON fused_links (doc_id);
    CREATE TABLE fused_stale (component VARCHAR);
    """,
    # fusion in time blocks (fusion.py): a report's components in its block's run and as context in
    # its neighbour's, the cluster of its block it is part of, that cluster's anchor day and the
    # report's middle day (the runs it is in: new reports look up the stored ones by it); stale
    # components keep the anchor and fused event of the clusters they held. Everything is fused anew.
    # No index on components: fusion selects them by semi-join, which does not use one, and DuckDB
    # holds an ART index whole in memory from the first insert (fused_links' churn made them the largest).
    """
    DROP TABLE fused_links;
    DROP TABLE fused_stale;
    DELETE FROM fused_events;
    CREATE TABLE fused_links (event_id VARCHAR PRIMARY KEY, fused_id VARCHAR NOT NULL, component VARCHAR NOT NULL,
        doc_id VARCHAR NOT NULL, context_component VARCHAR, part VARCHAR NOT NULL, anchor INTEGER, mid INTEGER);
    CREATE INDEX fused_links_fused ON fused_links (fused_id);
    CREATE INDEX fused_links_doc ON fused_links (doc_id);
    DROP INDEX IF EXISTS fused_events_component;
    CREATE TABLE fused_stale (component VARCHAR, anchor INTEGER, fused_id VARCHAR);
    """,
    without_indexes,
]
SCHEMA_VERSION = len(MIGRATIONS)
BULK_ROW_GROUP = 8192  # rows per row group written by a bulk store (a multiple of DuckDB's 2,048-row vector)
REOPEN_DOCS = 8192  # documents a bulk store writes between reopening its database
CHECKPOINT_HEADROOM = 32 << 20  # bytes a bulk store's checkpoint may cache beyond what DuckDB holds before it
BULK_MEMORY_MB = 128  # DuckDB's buffer pool for a bulk store, in MB ($FLASHPOINT_DB_MEMORY_MB)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)


def bulk_memory() -> int:
    """The bytes of DuckDB's buffer pool for a bulk store: $FLASHPOINT_DB_MEMORY_MB or BULK_MEMORY_MB."""
    raw = os.environ.get("FLASHPOINT_DB_MEMORY_MB", "").strip()
    try:
        mb = int(raw) if raw else BULK_MEMORY_MB
    except ValueError:
        raise StoreError(f"FLASHPOINT_DB_MEMORY_MB={raw!r}: not a number of megabytes") from None
    if mb < 16:
        raise StoreError(f"FLASHPOINT_DB_MEMORY_MB={raw!r}: DuckDB needs at least 16 MB")
    return mb << 20


def memory_ceiling() -> int:
    """80% of the machine's memory (DuckDB's default limit), the most a bulk store's budget grows to."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.8)
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def lean_allocator() -> None:
    """glibc's malloc (where DuckDB's buffers come from) told to map allocations of 128 KB and more
    (DuckDB's 256 KB blocks) each on its own, unmapped when freed, and to give back free memory at
    the top of a heap beyond 1 MB. By default glibc raises both thresholds as large allocations are
    freed (up to 32 and 64 MB), after which the blocks DuckDB's buffer pool reads and evicts stay
    inside its heaps, and what they free is kept: a bulk store's RSS then grew by ~30 MB per 8,192
    documents with its buffer pool within its budget. Process-wide; a no-op without glibc."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, 128 << 10)
    mallopt(M_TRIM_THRESHOLD, 1 << 20)


class Link(NamedTuple):
    """A stored report's place in the fused state (a row of fused_links)."""

    fused_id: str
    component: str  # in its own block's run
    doc_id: str
    context_component: str | None  # in the neighbour block's run it is context of
    part: str  # the cluster of its block (its smallest event id)
    anchor: int | None
    mid: int | None

    def component_in(self, block: int, r: Report) -> str | None:
        return self.component if block == r.block else self.context_component


class StoreError(Exception):
    """The database cannot be opened or written; the message names the path and the reason."""


def db_path(path: str | os.PathLike | None = None) -> Path:
    return Path(path or os.environ.get("FLASHPOINT_DB") or DEFAULT_DB)


class Store:
    """The store's database. `bulk` (ingest): the database is attached with row groups of
    BULK_ROW_GROUP rows and reopened after every REOPEN_DOCS documents written, so that a long
    ingest runs in flat memory: a checkpoint rewrites the row group that is being filled, whole
    (with DuckDB's 122,880-row groups, up to the text of 122,880 documents: +100 MB at 50,000), and
    what DuckDB keeps of a database it writes grows with it until the database is closed (~1 KB a
    document with checkpoints). Its buffer pool is held to `bulk_memory()` (128 MB): by default
    DuckDB keeps every block a query reads until 80% of the machine's memory is in use, and fusion's
    queries read more of the store as it grows. A batch that needs more (an out-of-memory error) is
    rolled back and run again with twice the limit (and again), kept until the next reopening. A bulk
    store attaches its file exclusively: no second Store on the same file in this process."""

    def __init__(self, path: str | os.PathLike | None = None, read_only: bool = False, bulk: bool = False):
        self.path = db_path(path)
        self.bulk = bulk
        self.written = 0  # documents written since the database was opened
        self.memory: int | None = None  # DuckDB's memory limit (a bulk store's budget); None: DuckDB's default
        self._schemas: dict = {}
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no such database (run `flashpoint ingest` first)")
        self.con = self.connect(read_only)
        if not read_only:
            self.migrate()
        elif self.version() != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {self.version()}, this flashpoint needs {SCHEMA_VERSION}")

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        try:
            if not self.bulk or read_only:
                return duckdb.connect(str(self.path), read_only=read_only)
            self.memory = bulk_memory()
            lean_allocator()
            # where DuckDB spills for this file (not ./.tmp), and its buffer pool's budget
            con = duckdb.connect(config={"temp_directory": f"{self.path}.tmp", "memory_limit": f"{self.memory}B"})
            path = str(self.path).replace("'", "''")
            con.execute(f"ATTACH '{path}' AS store (ROW_GROUP_SIZE {BULK_ROW_GROUP})")
            con.execute("USE store")
            return con
        except (duckdb.Error, OSError) as e:
            raise StoreError(f"{self.path}: cannot open the database: {e}") from None

    def reopen(self) -> None:
        """Close the database (a checkpoint) and open it again: DuckDB then lets go of what it kept."""
        self.close()
        self.con = self.connect()
        self.written = 0

    def lean_checkpoint(self) -> None:
        """A checkpoint with DuckDB's buffer pool held to what it holds now plus CHECKPOINT_HEADROOM:
        otherwise the blocks a checkpoint reads and writes stay cached up to the memory limit (with
        DuckDB's default limit, +60 to +130 MB at each reopening after 20,000 documents of news text,
        which made a long ingest's peak its checkpoints'). If that is too little, the checkpoint is
        left to the close, with the store's limit (what was committed is in the WAL either way)."""
        try:
            used = self.con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0] or 0
            self.con.execute(f"SET memory_limit = '{int(used) + CHECKPOINT_HEADROOM}B'")
            self.con.execute("CHECKPOINT")
        except duckdb.Error:
            pass
        finally:
            try:
                self.limit_memory(self.memory)
            except duckdb.Error:
                pass

    def limit_memory(self, limit: int | None) -> None:
        """Hold DuckDB's buffer pool to `limit` bytes (None: DuckDB's default, 80% of the machine's memory)."""
        self.con.execute("RESET memory_limit" if limit is None else f"SET memory_limit = '{limit}B'")
        self.memory = limit

    def rollback(self) -> None:
        """Roll back the open transaction, if any (after a failed statement)."""
        try:
            self.con.execute("ROLLBACK")
        except duckdb.Error:
            pass

    def over_budget(self, e: Exception) -> bool:
        """After a rolled-back transaction: whether it ran out of the bulk budget, which is then
        doubled so that it can run again (up to 80% of the machine's memory, DuckDB's default) and
        stays so until the next reopening: what a batch needs grows with the store,
        and setting it back would make each later batch that needs as much fail once first."""
        if not isinstance(e, duckdb.OutOfMemoryException) or self.memory is None or self.memory * 2 > memory_ceiling():
            return False
        self.limit_memory(self.memory * 2)
        warnings.warn(f"{self.path}: a batch needed more than the database's memory budget of {self.memory >> 21} MB; "
                      f"{self.memory >> 20} MB until it is reopened (FLASHPOINT_DB_MEMORY_MB sets the budget)", RuntimeWarning, stacklevel=1)
        return True

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.bulk:
            self.lean_checkpoint()
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
                step = MIGRATIONS[n]
                if callable(step):
                    step(self.con)
                else:
                    self.con.execute(step)
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
        """Replace the given documents and their events in one transaction (a document given twice:
        the last); returns events written."""
        batch = list({d.id: (d, evs) for d, evs in batch}.values())
        if self.bulk and self.written >= REOPEN_DOCS:
            self.reopen()
        n = 0
        try:
            self.con.execute("BEGIN TRANSACTION")
            ids = [d.id for d, _ in batch]
            ids += self.superseded([r for d, _ in batch for r in d.replaces if r not in ids])
            # the fused events these documents took part in are re-clustered by fuse()
            self.con.execute("INSERT INTO fused_stale SELECT DISTINCT component, anchor, fused_id FROM fused_links WHERE doc_id IN (SELECT unnest(?)) "
                             "UNION SELECT DISTINCT context_component, NULL, NULL FROM fused_links "
                             "WHERE doc_id IN (SELECT unnest(?)) AND context_component IS NOT NULL", [ids, ids])
            self.con.execute("DELETE FROM fused_links WHERE doc_id IN (SELECT unnest(?))", [ids])
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
            self.written += len(batch)
        except (duckdb.Error, OSError) as e:
            self.rollback()
            if self.over_budget(e):
                return self.write(batch, coder_version)
            raise StoreError(f"{self.path}: cannot write (nothing of this batch was stored): {e}") from None
        return n

    def insert(self, table: str, rows: list[tuple]) -> None:
        """Bulk insert: the rows as one Arrow table inserted whole (per-row
        `executemany` costs ~70x more CPU)."""
        if not rows:
            return
        import pyarrow as pa

        schema = self.arrow_schema(table)
        columns = list(zip(*rows))
        data = pa.Table.from_arrays([pa.array(list(c), type=f.type) for c, f in zip(columns, schema)], schema=schema)
        self.con.from_arrow(data).insert_into(table)

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

    # ------------------------------------------------------------------ fusion
    def reports(self, where: str, args: list[Any]) -> list[tuple[Report, Link | None]]:
        """Per-report events (as fusion.Report) with their place in the fused state, if any."""
        return [(Report.from_record(json.loads(rec), source, d), Link(*link) if link[0] else None)
                for rec, source, d, *link in self.report_rows(where, args)]

    def report_rows(self, where: str, args: list[Any]) -> list[tuple]:
        """(record JSON, source, article date, *Link) of the per-report events `where` selects. The
        selection reads narrow columns only; the records are then fetched by row id, so that a batch
        never reads the records of the whole store (nor keeps them in DuckDB's buffers)."""
        rows = self.con.execute(
            "SELECT e.rowid, d.source, d.date, l.fused_id, l.component, l.doc_id, l.context_component, l.part, l.anchor, l.mid "
            f"FROM events e JOIN documents d USING (doc_id) LEFT JOIN fused_links l USING (event_id) WHERE {where}", args).fetchall()
        records = dict(self.con.execute("SELECT rowid, record FROM events WHERE rowid = ANY(?)", [[r[0] for r in rows]]).fetchall())
        return [(records[r[0]], *r[1:]) for r in rows]

    def candidate_reports(self, new: list[Report], where: str, args: list[Any]) -> list[tuple[Report, Link]]:
        """The stored reports `where` says may be linked to a new one (as `reports`, without their
        records), built in full only where their blocking keys meet a new report's probes: with
        dates spread over years, the window holds a share of the whole store that grows with it."""
        probed = {k for r in new for k in r.probes}
        rows = self.report_rows(f"e.event_type IN (SELECT unnest(?)) AND ({where})", [sorted({t for t, _, _ in probed}), *args])
        out = []
        for rec, source, d, *link in rows:
            r = json.loads(rec)
            if any(k in probed for k in Report.from_record(r, source, d, keep=False, words=False).blocks):
                out.append((Report.from_record(r, source, d, keep=False), Link(*link)))
        return out

    def touched_components(self, new: list[Report]) -> set[str]:
        """The components (in the runs both share) of the stored reports a new one is linked to."""
        ranges = merged(run_days(b) for r in new for b in runs_of(r))
        if not ranges:
            return set()
        # the stored reports in a run a new one is in: their middle days fall in its range
        cond = " OR ".join("l.mid >= ? AND l.mid < ?" for _ in ranges)
        args = [x for lo_hi in ranges for x in lo_hi]
        idx, by_id = Index(), {}
        for r, link in self.candidate_reports(new, f"({cond})", args):
            idx.add(r)
            by_id[r.event_id] = (r, link)
        touched: set[str] = set()
        for r in new:
            runs = set(runs_of(r))
            for o in idx.candidates(r):
                other, link = by_id[o]
                comps = {link.component_in(b, other) for b in runs & set(runs_of(other))} - touched - {None}
                if comps:
                    sc = score(r, other)
                    if sc is not None and sc >= rules().link:
                        touched |= comps  # type: ignore[arg-type]
        return touched

    def check_blocks(self) -> None:
        """The stored fused state holds for the time blocks it was made with (`block_days`,
        `edge_days` of data/fusion.yaml); when they change, every report is fused anew."""
        blocks = f"{rules().block_days}/{rules().edge_days}"
        row = self.con.execute("SELECT value FROM meta WHERE key = 'fusion_blocks'").fetchone()
        if row and row[0] == blocks:
            return
        self.con.execute("BEGIN TRANSACTION")
        for table in ("fused_links", "fused_events", "fused_stale") if row else ():
            self.con.execute(f"DELETE FROM {table}")
        self.con.execute("INSERT OR REPLACE INTO meta VALUES ('fusion_blocks', ?)", [blocks])
        self.con.execute("COMMIT")

    def fuse(self) -> int:
        """Link every report not yet fused to its fused event (fusion.py); returns the fused events
        written (`link`; again with twice the bulk budget if it ran out of it)."""
        try:
            return self.link()
        except duckdb.OutOfMemoryException as e:
            self.rollback()  # one left open where it ran out (check_blocks)
            if self.over_budget(e):
                return self.fuse()
            raise StoreError(f"{self.path}: cannot fuse (the reports are kept; the next ingest fuses them): {e}") from None

    def link(self) -> int:
        """Fuse the reports not yet fused. Only the components (inside a block's run) the new reports
        link to and those of re-coded or removed reports are clustered again, and only the clusters
        near a block's edge that changed, or were paired with one that changed, are paired again."""
        self.check_blocks()
        new = [r for r, _ in self.reports("l.event_id IS NULL", [])]
        stale = self.con.execute("SELECT DISTINCT component, anchor, fused_id FROM fused_stale").fetchall()
        if not new and not stale:
            return 0
        touched = {c for c, _, _ in stale} | self.touched_components(new)
        loaded: dict[str, tuple[Report, Link | None]] = {}
        runs: dict[int, list[Report]] = defaultdict(list)
        if touched:
            for r, link in self.reports("l.component IN (SELECT unnest(?)) OR l.context_component IN (SELECT unnest(?))",
                                        [sorted(touched)] * 2):
                loaded[r.event_id] = (r, link)
                for b in runs_of(r):
                    if link.component_in(b, r) in touched:  # type: ignore[union-attr]
                        runs[b].append(r)
        for r in new:
            loaded[r.event_id] = (r, None)
            for b in runs_of(r):
                runs[b].append(r)
        comps = recluster(runs)
        # what changed: the clusters that are not exactly as before, those gone, and their partners
        old: dict[str, tuple[int | None, str, set[str]]] = {}
        for eid, (r, link) in loaded.items():
            if link is not None and link.component in touched:
                old.setdefault(link.part, (link.anchor, link.fused_id, set()))[2].add(eid)
        fresh = [c for comp in comps for c in comp.parts] + [Cluster(r.event_id, [r]) for r in new if r.block is None]
        same = {c.part_id for c in fresh if c.part_id in old and old[c.part_id][2] == {r.event_id for r in c.reports}}
        gone = [(a, f) for p, (a, f, _) in old.items() if p not in same] + [(a, f) for _, a, f in stale if f is not None]
        changed = [c for c in fresh if c.part_id not in same]
        released = {p for (p,) in self.con.execute(
            "SELECT DISTINCT part FROM fused_links WHERE fused_id IN (SELECT unnest(?))", [sorted({f for _, f in gone})]).fetchall()}
        released -= {p for p in old if p not in same}
        edges = sorted(({edge_of(a) for a, _ in gone} | {c.edge for c in changed}) - {None})
        window = [c for comp in comps for c in comp.parts if c.edge in edges]
        for e in edges:
            lo, hi = edge_window(e)
            members: dict[str, list[Report]] = defaultdict(list)
            for r, link in self.reports("l.anchor >= ? AND l.anchor < ? AND NOT (l.component IN (SELECT unnest(?)))", [lo, hi, sorted(touched)]):
                r = loaded.setdefault(r.event_id, (r, link))[0]
                members[link.part].append(r)  # type: ignore[union-attr]
            window += [Cluster(loaded[p][1].component, sorted(ms, key=quality)) for p, ms in members.items()]  # type: ignore[union-attr]
        groups = [(c,) for c in changed if c.edge is None] + pair(window, {c.part_id for c in changed} | released)
        # the rows to write: each report's new components, cluster and fused event, else its old ones
        rows: dict[str, list] = {eid: list(link) for eid, (_, link) in loaded.items() if link is not None}
        for comp in comps:
            for r in comp.members:
                row = rows.setdefault(r.event_id, [None, None, r.doc_id, None, None, None, r.mid])
                row[1 if r.block == comp.block else 3] = comp.id
            for c in comp.parts:
                for r in c.reports:
                    rows[r.event_id][4:6] = [c.part_id, c.anchor]
        for r in new:
            if r.block is None:
                rows[r.event_id] = [None, r.event_id, r.doc_id, None, r.event_id, None, None]
        dropped = {f for _, f in gone}
        fused_rows = []
        for g in groups:
            f = fuse_group(g)
            rec = fused_record(f)
            fused_rows.append(fused_row(rec, f.component))
            for c in g:
                for r in c.reports:
                    if rows[r.event_id][0] is not None:
                        dropped.add(rows[r.event_id][0])
                    rows[r.event_id][0] = rec["event_id"]
        dirty = [eid for eid, (r, link) in loaded.items() if link is None or rows[eid] != list(link)]
        link_rows = [tuple(rows[eid]) for eid in dirty]
        dropped -= {r[0] for r in fused_rows}
        try:
            self.con.execute("BEGIN TRANSACTION")
            self.con.execute("DELETE FROM fused_events WHERE event_id IN (SELECT unnest(?))", [sorted(dropped | {r[0] for r in fused_rows})])
            self.con.execute("DELETE FROM fused_links WHERE event_id IN (SELECT unnest(?))", [dirty])
            self.con.execute("DELETE FROM fused_stale")
            self.insert("fused_events", fused_rows)
            self.insert("fused_links", [(eid, *row) for eid, row in zip(dirty, link_rows)])
            self.con.execute("COMMIT")
        except (duckdb.Error, OSError) as e:
            self.rollback()
            if isinstance(e, duckdb.OutOfMemoryException):
                raise
            raise StoreError(f"{self.path}: cannot write the fused events (the reports are kept; the next ingest fuses them): {e}") from None
        return len(fused_rows)

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
        fused: bool = False,
    ) -> list[dict[str, Any]]:
        """Contract event records matching every filter given (country: actor, recipient or place),
        each with its `source_document`; with `fused`, the fused records (one per real event, with
        their `reports`)."""
        where, args = event_filters(date_from, date_to, country, actor, event_type, modality, fused=fused)
        sql = ("SELECT e.record, NULL, NULL, NULL FROM fused_events e" if fused else
               "SELECT e.record, d.title, d.source, d.url FROM events e JOIN documents d USING (doc_id)")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.date NULLS LAST, e.event_id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        out = []
        for rec, title, source, url in self.con.execute(sql, args).fetchall():
            r = json.loads(rec)
            if not fused:
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
        fused: bool = False,
    ) -> int:
        """How many events (or fused events) match the filters of `query_events`."""
        where, args = event_filters(date_from, date_to, country, actor, event_type, modality, fused=fused)
        sql = f"SELECT count(*) FROM {'fused_events' if fused else 'events'} e" + (" WHERE " + " AND ".join(where) if where else "")
        return self.con.execute(sql, args).fetchone()[0]

    def summary(self) -> dict[str, Any]:
        c = self.con
        return {
            "documents": c.execute("SELECT count(*) FROM documents").fetchone()[0],
            "events": c.execute("SELECT count(*) FROM events").fetchone()[0],
            "fused_events": c.execute("SELECT count(*) FROM fused_events").fetchone()[0],
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
    doc_id: str | None = None, fused: bool = False,
) -> tuple[list[str], list[Any]]:
    """WHERE clauses over events `e` (country: actor, recipient or place; a list of countries, types
    or modalities matches any of them); shared with the API. With `fused`, `e` is fused_events and
    actor / doc_id are those of any report behind it."""
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
            ("e.event_id IN (SELECT l.fused_id FROM fused_links l JOIN actors USING (event_id) " if fused else
             "e.event_id IN (SELECT event_id FROM actors ")
            + "WHERE role = 'actor' AND (lower(name) LIKE ? ESCAPE '\\' OR lower(text) LIKE ? ESCAPE '\\' OR country = ?))"
        )
        like = "%" + actor.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        args += [like, like, actor.upper()]
    if doc_id:
        where.append("e.event_id IN (SELECT fused_id FROM fused_links WHERE doc_id = ?)" if fused else "e.doc_id = ?")
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


def merged(spans: Iterable[tuple[int, int] | None]) -> list[tuple[int, int]]:
    """Day intervals (ordinals) merged where they overlap or touch."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(x for x in spans if x):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def as_date(v: str | date | None) -> date | None:
    return date.fromisoformat(v) if isinstance(v, str) else v


def fused_row(r: dict[str, Any], component: str) -> tuple:
    loc, fat = r.get("location") or {}, r.get("fatalities") or {}
    return (
        r["event_id"], component, r["event_type"], as_date(r.get("date")), r.get("date_precision"), loc.get("country"),
        loc.get("lat"), loc.get("lon"), fat.get("best"), fat.get("low"), fat.get("high"), r.get("contested"),
        r.get("modality"), r.get("goldstein"), r["n_reports"], r["n_sources"], as_date(r.get("first_reported")),
        sorted({a["country"] for a in r.get("actor") or [] if a.get("country")}),
        sorted({a["country"] for a in r.get("recipient") or [] if a.get("country")}),
        json.dumps(r, ensure_ascii=False),
    )


def event_row(e: Event) -> tuple:
    loc, fat, inj = e.location, e.fatalities, e.injuries
    return (
        e.event_id, e.doc_id, e.event_type, e.mode, e.context, e.cameo, e.goldstein, e.plover_score,
        e.acled["event_type"] if e.acled else None, e.acled["sub_event_type"] if e.acled else None,
        as_date(e.date or None), e.date_precision, e.date_text,
        loc.name if loc else None, loc.country if loc else None, loc.admin1 if loc else None,
        loc.admin2 if loc else None, loc.lat if loc else None, loc.lon if loc else None,
        loc.geonameid if loc else None, loc.precision if loc else None,
        fat.best if fat else None, fat.low if fat else None, fat.high if fat else None,
        inj.best if inj else None, inj.low if inj else None, inj.high if inj else None,
        e.contested, e.modality, e.confidence,
        sorted({a.country for a in e.actor if a.country}), sorted({a.country for a in e.recipient if a.country}),
        json.dumps(e.to_dict()),
    )
