"""The DuckDB store: schema versioning, idempotent and atomic writes, filters."""

import errno
from datetime import date

import duckdb
import pytest

from flashpoint import store as store_mod
from flashpoint.models import Actor, Claim, Count, Document, Event, Location, Span
from flashpoint.store import SCHEMA_VERSION, Store, StoreError


def doc(i: int, text: str | None = None) -> Document:
    return Document(f"d{i}", text or f"Article number {i}.", date(2024, 1, 16), f"title {i}", None, "Wire", f"f.txt:{i}")


def event(d: Document, typ: str = "ASSAULT", actor: str = "IRN", recipient: str = "PAK") -> Event:
    return Event(
        event_id=f"{d.id}-{typ}", doc_id=d.id, event_type=typ, mode=["aerial"], cameo="195", goldstein=-10.0,
        actor=[Actor("Iran", "Iran", actor, "MIL")], recipient=[Actor("Pakistan", "Pakistan", recipient, None)],
        date="2024-01-16", date_precision="day", date_text="on Tuesday",
        location=Location("Panjgur", "Panjgur", "PAK", "Balochistan", None, 26.97, 64.09, 1168446, 2, "PPLA2"),
        fatalities=Count(2, 2, 2), injuries=Count(3, 3, 3),
        claims=[Claim("fatalities", 2, "Pakistan's foreign ministry", "killed two children")],
        contested=True, evidence=[Span("x", 0, 1)], trigger=Span("x", 0, 1),
    )


def counts(s: Store) -> tuple:
    return tuple(s.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("documents", "events", "actors", "claims", "evidence"))


def test_schema_version_is_recorded_and_reopening_keeps_data(tmp_path):
    path = tmp_path / "fp.duckdb"
    with Store(path) as s:
        assert s.version() == SCHEMA_VERSION
        d = doc(1)
        s.write([(d, [event(d)])], "v1")
    with Store(path, read_only=True) as s:
        assert counts(s) == (1, 1, 2, 1, 1)
        rec = s.query_events()[0]
        assert rec["fatalities"] == {"best": 2, "low": 2, "high": 2} and rec["contested"] is True
        assert rec["location"]["geonameid"] == 1168446


def test_writing_the_same_documents_twice_changes_nothing(tmp_path):
    with Store(tmp_path / "fp.duckdb") as s:
        docs = [doc(i) for i in range(3)]
        s.write([(d, [event(d)]) for d in docs], "v1")
        before = (counts(s), s.con.execute("SELECT * EXCLUDE (ingested_at) FROM documents ORDER BY 1").fetchall())
        assert s.pending(docs, "v1") == []
        s.write([(d, [event(d)]) for d in docs], "v1")
        after = (counts(s), s.con.execute("SELECT * EXCLUDE (ingested_at) FROM documents ORDER BY 1").fetchall())
        assert before == after


def test_changed_text_or_newer_coder_makes_a_document_pending_again(tmp_path):
    with Store(tmp_path / "fp.duckdb") as s:
        d = doc(1)
        s.write([(d, [event(d)])], "v1")
        assert s.pending([doc(1, "Edited article.")], "v1")[0].id == "d1"
        assert s.pending([d], "v2") == [d]
        s.write([(d, [])], "v2")  # re-coded: the old events go
        assert counts(s) == (1, 0, 0, 0, 0)


def test_a_failed_batch_is_rolled_back_and_earlier_batches_are_kept(tmp_path, monkeypatch):
    path = tmp_path / "fp.duckdb"
    with Store(path) as s:
        first = [doc(i) for i in range(2)]
        s.write([(d, [event(d)]) for d in first], "v1")
        real = store_mod.event_row

        def disk_full(e):
            if e.doc_id == "d3":
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(e)

        monkeypatch.setattr(store_mod, "event_row", disk_full)
        second = [doc(2), doc(3)]
        with pytest.raises(StoreError, match="No space left on device"):
            s.write([(d, [event(d)]) for d in second], "v1")
    with Store(path, read_only=True) as s:
        assert counts(s) == (2, 2, 4, 2, 2)
        assert s.pending(first + second, "v1") == second


def test_unopenable_database_paths_give_a_store_error_naming_the_path(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="not-a-dir"):
        Store(blocker / "fp.duckdb")
    with pytest.raises(StoreError, match="no such database"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_a_database_from_a_newer_flashpoint_is_refused(tmp_path):
    path = tmp_path / "fp.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_filters_by_date_country_type_actor_and_modality(tmp_path):
    with Store(tmp_path / "fp.duckdb") as s:
        a, b = doc(1), doc(2)
        e2 = event(b, "SANCTION", actor="PAK", recipient="IRN")
        e2.date, e2.location, e2.modality = "2024-01-17", None, "asserted"
        e3 = event(b, "REQUEST", actor="CHN", recipient="PAK")
        e3.modality = "hypothetical"
        s.write([(a, [event(a)]), (b, [e2, e3])], "v1")
        types = lambda **kw: sorted(r["event_type"] for r in s.query_events(**kw))  # noqa: E731
        assert types(date_from="2024-01-17") == ["SANCTION"]
        assert types(date_to="2024-01-16") == ["ASSAULT", "REQUEST"]
        assert types(country="irn") == ["ASSAULT", "SANCTION"]
        assert types(event_type="sanction") == ["SANCTION"]
        assert types(actor="CHN") == ["REQUEST"]
        assert types(modality="asserted") == ["ASSAULT", "SANCTION"]
        assert len(s.query_events(limit=1)) == 1


def test_a_version_1_database_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(store_mod.MIGRATIONS[0])
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO evidence VALUES ('e1', 'd1', 0, 'Iran struck.', 0, 12)")
    con.close()
    with Store(path) as s:
        assert s.version() == SCHEMA_VERSION >= 2
        assert s.con.execute("SELECT text, role FROM evidence").fetchall() == [("Iran struck.", None)]
        d = doc(1)
        s.write([(d, [event(d)])], "v1")
        assert s.con.execute("SELECT count(*) FROM evidence WHERE doc_id = 'd1'").fetchone()[0] == 1


def test_a_version_3_database_drops_its_fused_events_and_fuses_again_in_time_blocks(tmp_path):
    path = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(path))
    for m in store_mod.MIGRATIONS[:3]:
        con.execute(m)
    con.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    con.execute("INSERT INTO fused_links VALUES ('e-old', 'fz-old', 'e-old', 'd-old')")
    con.execute("INSERT INTO fused_stale VALUES ('e-old')")
    con.close()
    with Store(path) as s:
        assert s.version() == SCHEMA_VERSION == 5
        assert s.con.execute("SELECT count(*) FROM fused_links").fetchone()[0] == 0
        d = doc(1)
        s.write([(d, [event(d)])], "v1")
        assert s.fuse() == 1
        (link,) = s.con.execute("SELECT event_id, fused_id, component, part FROM fused_links").fetchall()
        assert link[0] == link[3] and link[1].startswith("fz")


def test_a_version_4_database_keeps_its_rows_and_loses_the_indexes_that_grow_with_it(tmp_path):
    grown = ("documents", "events", "actors", "claims", "evidence", "fused_events", "fused_links")
    with Store(tmp_path / "now.duckdb") as s:
        d = doc(1)
        s.write([(d, [event(d)])], "v1")
        assert s.fuse() == 1
    con = duckdb.connect(str(tmp_path / "v4.duckdb"))
    for m in store_mod.MIGRATIONS[:4]:
        con.execute(m)
    con.execute("CREATE INDEX fused_events_component ON fused_events (component)")  # as schema 4 was for a while
    con.execute(f"ATTACH '{tmp_path / 'now.duckdb'}' AS now (READ_ONLY)")
    for t in (*grown, "meta"):
        con.execute(f"INSERT INTO {t} SELECT * FROM now.{t}" + (" WHERE key <> 'schema_version'" if t == "meta" else ""))
    con.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    rows = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in grown}
    assert con.execute("SELECT count(*) FROM duckdb_indexes() WHERE database_name = 'v4'").fetchone()[0] == 6
    con.close()
    with Store(tmp_path / "v4.duckdb") as s:
        assert s.version() == SCHEMA_VERSION == 5
        assert {t: s.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in grown} == rows
        assert s.con.execute("SELECT count(*) FROM duckdb_indexes()").fetchone()[0] == 0
        keys = s.con.execute("SELECT DISTINCT table_name FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchall()
        assert keys == [("meta",)]
        e = event(d, "PROTEST")
        s.write([(d, [event(d)]), (d, [e])], "v1")  # given twice: the last
        assert s.con.execute("SELECT event_id FROM events").fetchall() == [(e.event_id,)]
        assert s.fuse() == 1 and s.con.execute("SELECT count(*) FROM fused_links").fetchone()[0] == 1


def test_a_bulk_store_writes_small_row_groups_and_reopens_with_the_same_rows(tmp_path, monkeypatch):
    """Ingest's store (bulk): row groups of BULK_ROW_GROUP rows and the database reopened every
    REOPEN_DOCS documents, so a checkpoint never rewrites more than one small row group and DuckDB
    lets go of what it keeps of a growing database; the rows are those a plain store writes."""
    monkeypatch.setattr(store_mod, "BULK_ROW_GROUP", 2048)
    monkeypatch.setattr(store_mod, "REOPEN_DOCS", 1000)
    docs = [doc(i) for i in range(5000)]
    tables = {}
    for bulk in (False, True):
        with Store(tmp_path / f"{bulk}.duckdb", bulk=bulk) as s:
            cons = []
            for b in range(0, len(docs), 500):
                s.write([(d, [event(d)] if int(d.id[1:]) % 7 == 0 else []) for d in docs[b:b + 500]], "v1")
                cons.append(s.con)  # kept: a closed connection's id is not reused
            assert len({id(c) for c in cons}) == (5 if bulk else 1)  # 500 documents a batch: reopened before the 3rd, 5th, 7th, 9th
            assert s.pending(docs, "v1") == []
            s.con.execute("CHECKPOINT")
            groups = s.con.execute("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('documents')").fetchone()[0]
            assert groups == (3 if bulk else 1)  # 5,000 rows: 2,048 + 2,048 + 904
            tables[bulk] = [s.con.execute(f"SELECT * {'EXCLUDE (ingested_at)' if t == 'documents' else ''} FROM {t} ORDER BY ALL").fetchall()
                            for t in ("documents", "events", "actors", "claims", "evidence")]
    assert tables[True] == tables[False] and len(tables[True][1]) == 715
    assert not (tmp_path / "True.duckdb.wal").exists()  # closed with a (lean) checkpoint: everything in the file
    with Store(tmp_path / "True.duckdb", read_only=True) as s:
        assert counts(s)[:2] == (5000, 715)


def test_a_bulk_store_holds_duckdb_to_its_budget_and_runs_a_batch_that_needs_more_with_more(tmp_path, monkeypatch, recwarn):
    """Ingest's store keeps DuckDB's buffer pool to FLASHPOINT_DB_MEMORY_MB (else DuckDB caches what
    fusion reads up to 80% of the machine's memory); a batch that runs out of it is rolled back and
    written again with twice the limit until it fits, kept until the store is reopened; the rows
    and fused events are a plain store's."""
    monkeypatch.setenv("FLASHPOINT_DB_MEMORY_MB", "64")
    big = [doc(i, "Iran struck Panjgur. " * 20_000) for i in range(3)]  # 420,000 characters each
    batches = [[(d, [event(d)]) for d in big], [(d, [event(d), event(d, "PROTEST")]) for d in map(doc, range(3, 40))]]
    tables = {}

    def limit(s: Store) -> str:
        return s.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    for bulk in (False, True):
        with Store(tmp_path / f"{bulk}.duckdb", bulk=bulk) as s:
            assert (limit(s) == "64.0 MiB") == bulk
            for i, b in enumerate(batches):
                if bulk and not i:
                    s.limit_memory(2 << 20)  # 2 MB: the first batch cannot be written within it
                s.write(b, "v1")
                if bulk:
                    assert s.memory >= 4 << 20 if not i else s.memory == 64 << 20
                if bulk and i:  # what DuckDB holds now and 256 KB more: the second batch cannot be fused within it
                    held = s.con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0] + (256 << 10)
                    s.limit_memory(held)
                s.fuse()
                if bulk and i:
                    assert s.memory >= 2 * held
                if bulk and not i:
                    s.reopen()  # the budget again
                    assert s.memory == 64 << 20 and limit(s) == "64.0 MiB"
            tables[bulk] = [s.con.execute(f"SELECT * {'EXCLUDE (ingested_at)' if t == 'documents' else ''} FROM {t} ORDER BY ALL").fetchall()
                            for t in ("documents", "events", "fused_events", "fused_links")]
    assert tables[True] == tables[False] and len(tables[True][1]) == 77 and tables[True][2]
    raised = [str(w.message) for w in recwarn if w.category is RuntimeWarning]
    assert len(raised) >= 2 and all("memory budget" in m and "True.duckdb" in m for m in raised)


@pytest.mark.parametrize("raw", ["lots", "8"])
def test_an_unusable_memory_budget_is_refused_naming_the_variable(tmp_path, monkeypatch, raw):
    monkeypatch.setenv("FLASHPOINT_DB_MEMORY_MB", raw)
    with pytest.raises(StoreError, match="FLASHPOINT_DB_MEMORY_MB"):
        Store(tmp_path / "x.duckdb", bulk=True)
