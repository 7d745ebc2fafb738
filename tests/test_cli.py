"""The command line: exit codes, bad input named by file and line, idempotent and resumable ingest, exports."""

import csv
import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flashpoint import cli, pipeline
from tests.conftest import db_rows as table

runner = CliRunner()

ARTICLES = {
    "a.txt": "date 2024-01-24\nRussian forces shelled Kharkiv on Monday, killing three civilians, officials said.\n",
    "b.txt": "date 2024-01-20\nPolice arrested 12 journalists in Conakry on Friday, a rights group said.\n",
    "c.txt": "date 2024-01-17\nPakistan has recalled its ambassador from Iran to protest the strike.\n",
    "d.txt": "date 2024-01-21\nThousands of protesters marched in Nairobi on Saturday to demand an end to violence.\n",
}


def corpus(tmp_path, bad: bool = False):
    root = tmp_path / "in"
    root.mkdir(parents=True)
    for name, text in ARTICLES.items():
        (root / name).write_text(text)
    if bad:
        (root / "feed.jsonl").write_text(
            json.dumps({"id": "j1", "date": "2024-01-18", "text": "The United States imposed sanctions on Iran on Thursday."})
            + "\n{not json\n"
            + json.dumps({"id": "j2", "text": ""})
            + "\n"
        )
        (root / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return root


def run(*args, **kw):
    return runner.invoke(cli.app, [str(a) for a in args], **kw)


def test_extract_prints_contract_records(tmp_path):
    r = run("extract", corpus(tmp_path))
    assert r.exit_code == 0, r.output
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert {"ASSAULT", "COERCE", "SANCTION", "PROTEST"} <= {x["event_type"] for x in recs}
    for x in recs:
        assert {"event_id", "doc_id", "event_type", "mode", "context", "cameo", "goldstein", "acled", "actor", "recipient",
                "date", "date_precision", "date_text", "location", "fatalities", "injuries", "claims", "contested",
                "modality", "evidence", "confidence"} <= set(x)
    again = [json.loads(line) for line in run("extract", corpus(tmp_path / "again")).stdout.splitlines()]
    assert [x["event_id"] for x in again] == [x["event_id"] for x in recs]  # stable ids


def test_bad_records_are_named_skipped_and_the_rest_is_stored(tmp_path):
    db = tmp_path / "fp.duckdb"
    r = run("ingest", corpus(tmp_path, bad=True), "--db", db)
    assert r.exit_code == 1
    assert "feed.jsonl:2" in r.stderr and "image.txt" in r.stderr and "feed.jsonl:3" in r.stderr
    stored = {d for (d,) in table(db, "SELECT origin FROM documents")}
    assert len(stored) == 5 and any(o.endswith("feed.jsonl:1") for o in stored)


def test_second_ingest_of_the_same_input_changes_nothing(tmp_path):
    db, root = tmp_path / "fp.duckdb", corpus(tmp_path)
    assert run("ingest", root, "--db", db).exit_code == 0
    snapshot = lambda: (  # noqa: E731
        table(db, "SELECT * EXCLUDE (ingested_at) FROM documents ORDER BY doc_id"),
        table(db, "SELECT event_id, record FROM events ORDER BY event_id"),
        table(db, "SELECT count(*) FROM actors"), table(db, "SELECT count(*) FROM evidence"),
    )
    before = snapshot()
    r = run("ingest", root, "--db", db)
    assert r.exit_code == 0 and "0 coded" in r.stderr and "4 already stored" in r.stderr
    assert snapshot() == before


def test_an_interrupted_ingest_keeps_what_was_committed_and_the_next_run_finishes(tmp_path, monkeypatch):
    root = corpus(tmp_path)
    clean = tmp_path / "clean.duckdb"
    run("ingest", root, "--db", clean)
    db = tmp_path / "fp.duckdb"
    real = pipeline.extract

    def interrupted(docs, **kw):
        for i, item in enumerate(real(docs, **kw)):
            if i == 0 and item[0].id.startswith(cut_at):
                raise KeyboardInterrupt
            yield item

    stored = table(clean, "SELECT doc_id FROM documents ORDER BY origin")
    cut_at = stored[2][0]  # the third document, in reading order
    monkeypatch.setattr(pipeline, "extract", interrupted)
    r = run("ingest", root, "--db", db, "--batch", 1)
    assert r.exit_code == 130 and "2 documents committed" in r.stderr
    assert len(table(db, "SELECT * FROM documents")) == 2
    monkeypatch.setattr(pipeline, "extract", real)
    r = run("ingest", root, "--db", db, "--batch", 1)
    assert r.exit_code == 0 and "2 already stored" in r.stderr
    ids = "SELECT event_id FROM events ORDER BY 1"
    assert table(db, ids) == table(clean, ids)


def test_an_unwritable_database_path_stops_with_a_clear_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = run("ingest", corpus(tmp_path), "--db", blocker / "fp.duckdb")
    assert r.exit_code == 2 and "cannot open the database" in r.stderr and "file/fp.duckdb" in r.stderr
    r = run("events", "--db", tmp_path / "none.duckdb")
    assert r.exit_code == 2 and "no such database" in r.stderr


def test_events_filters_and_exports(tmp_path, monkeypatch):
    db = tmp_path / "fp.duckdb"
    monkeypatch.setenv("FLASHPOINT_DB", str(db))  # the database path from the environment
    run("ingest", corpus(tmp_path))
    r = run("events", "--country", "UKR", "--format", "jsonl")
    assert [json.loads(x)["event_type"] for x in r.stdout.splitlines()] == ["ASSAULT"]
    r = run("events", "--type", "sanction", "--actor", "PAK", "--from", "2024-01-17", "--to", "2024-01-17", "--format", "jsonl")
    assert [json.loads(x)["event_type"] for x in r.stdout.splitlines()] == ["SANCTION"]
    assert run("events", "--from", "2024-13-45").exit_code == 2

    out = tmp_path / "acled.csv"
    assert run("events", "--format", "csv", "-o", out).exit_code == 0
    rows = list(csv.DictReader(out.open()))
    ukr = next(r for r in rows if r["iso"] == "UKR")
    assert ukr["event_type"] == "Explosions/Remote violence" and ukr["fatalities"] == "3" and ukr["location"] == "Kharkiv"
    assert ukr["country"] == "Ukraine" and ukr["actor1"] == "Military Forces of Russia"

    plover = tmp_path / "plover.json"
    assert run("events", "--format", "json", "-o", plover).exit_code == 0
    data = json.loads(plover.read_text())
    assert {e["event"][0] for e in data} >= {"ASSAULT", "COERCE"}
    assert all(e["quad_code"] in (1, 2, 3, 4) for e in data)

    parquet = tmp_path / "events.parquet"
    assert run("events", "--format", "parquet", "-o", parquet).exit_code == 0
    t = pq.read_table(parquet)
    assert t.num_rows == len(rows) and "event_type" in t.column_names


def test_stdin_jsonl(tmp_path):
    line = json.dumps({"id": "s1", "date": "2024-01-22", "text": "Police arrested 12 journalists in Conakry on Monday."})
    r = run("extract", "-", input=line + "\n")
    assert r.exit_code == 0
    [rec] = [json.loads(x) for x in r.stdout.splitlines()]
    assert rec["doc_id"] == "s1" and rec["date"] == "2024-01-22"


@pytest.mark.parametrize("args", [["extract", "/no/such/file.txt"], ["ingest", "/no/such/dir", "/no/such/b.txt"], ["geoparse", "/no/such/file.txt"]])
def test_only_missing_paths_exit_2_and_make_no_database(tmp_path, args):
    db = tmp_path / "x.duckdb"
    r = run(*args, "--db", db) if args[0] == "ingest" else run(*args)
    assert r.exit_code == 2 and "/no/such" in r.stderr and "nothing to read" in r.stderr
    assert not db.exists()


def test_a_missing_path_beside_a_good_one_is_reported_and_the_good_one_stored(tmp_path):
    db = tmp_path / "x.duckdb"
    r = run("ingest", "/no/such/dir", corpus(tmp_path), "--db", db)
    assert r.exit_code == 1 and "/no/such/dir: no such file or folder" in r.stderr
    assert table(db, "SELECT count(*) FROM documents") == [(4,)]


def test_the_events_table_is_capped_and_says_how_many_match(tmp_path):
    db = tmp_path / "fp.duckdb"
    assert run("ingest", corpus(tmp_path), "--db", db).exit_code == 0
    total = len(table(db, "SELECT * FROM events"))
    assert total > 2
    r = run("events", "--db", db, "--limit", 2)
    assert r.exit_code == 0
    assert f"2 of {total} events" in r.stdout and f"showing the first 2 of {total}" in r.stderr
    full = run("events", "--db", db)
    assert f"{total} events" in full.stdout and "showing the first" not in full.stderr


def test_bench_json_compares_the_full_ingest_with_a_bare_parse_of_the_same_documents():
    r = run("bench", "--json", "-n", 4)
    assert r.exit_code == 0, r.output
    b = json.loads(r.stdout)
    assert b["documents"] == 4 and b["tokens"] > 0 and b["events"] > 0
    assert b["ratio_vs_bare_parse"] == pytest.approx(b["docs_per_s"] / b["bare_parse_docs_per_s"], rel=0.02)
    assert {"tokens_per_s", "peak_rss_mb", "startup_s", "cpu_ratio_vs_bare_parse", "ratio_with_startup", "cores"} <= set(b)
    assert 0 < b["blas_bare_parse_cpu_s"] and b["ratio_vs_blas_bare_parse"] > 0  # the same parse on the pipeline's BLAS
    assert set(b["stage_cpu_s"]) == {"parse", "code", "geo", "facts", "store"} and b["stage_cpu_s"]["parse"] > 0


def test_bench_memory_measures_the_writer_with_fusion_in_a_fresh_process_per_size():
    from flashpoint.evaluation import bench

    src = [d for d in bench.source_documents() if d.date][:6]  # demo articles: events that fuse
    r = bench.store_memory((60, 120), sources=src, per_day=10)
    assert [r[n]["documents"] for n in ("60", "120")] == [60, 120]
    # the coded events replayed, 10 and 20 times over: twice as many events, fused across the copies
    assert r["120"]["events"] == 2 * r["60"]["events"] > 0
    assert 0 < r["60"]["fused_events"] < r["60"]["events"]
    assert all(r[n]["peak_rss_mb"] > 50 and r[n]["ms_per_doc"] > 0 and r[n]["budget_raised"] == 0 for n in ("60", "120"))
    assert r["ratio"] == round(r["120"]["peak_rss_mb"] / r["60"]["peak_rss_mb"], 3)


def test_bench_memory_docs_sets_the_sizes(monkeypatch):
    from flashpoint.evaluation import bench

    asked = []
    monkeypatch.setattr(bench, "store_memory", lambda sizes: asked.append(sizes) or {"ratio": 1.0, "cpu_ratio": 1.0})
    r = runner.invoke(cli.app, ["bench", "--memory", "--memory-docs", "6400", "--memory-docs", "1600", "--json"])
    assert r.exit_code == 0, r.output
    assert asked == [(1600, 6400)]
    r = runner.invoke(cli.app, ["bench", "--memory", "--json"])
    assert asked[-1] == bench.MEMORY_SIZES == (10_000, 100_000)


def test_bench_corpus_cycles_the_sources_with_distinct_ids():
    from flashpoint.evaluation.bench import corpus, source_documents

    n = len(source_documents()) + 3
    docs = corpus(n)
    assert len({d.id for d in docs}) == n and docs[-1].text == docs[2].text
