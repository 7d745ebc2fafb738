"""Parallel ingest: worker processes code, this process writes; the store ends up the same."""

from pathlib import Path

import duckdb
from typer.testing import CliRunner

from flashpoint import cli

runner = CliRunner()
TABLES = {
    "documents": "SELECT * EXCLUDE (ingested_at) FROM documents ORDER BY ALL",
    **{t: f"SELECT * FROM {t} ORDER BY ALL" for t in ("events", "actors", "claims", "evidence")},
}


def stored(db) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(sql).fetchall() for t, sql in TABLES.items()}
    finally:
        con.close()


def ingest(db, *args):
    r = runner.invoke(cli.app, ["ingest", demo(), "--db", str(db), *args])
    assert r.exit_code == 0, r.output
    return r


def demo() -> str:
    from importlib import resources

    return str(resources.files("flashpoint").joinpath("data", "demo"))


def test_two_workers_store_exactly_what_one_process_stores(tmp_path, monkeypatch):
    from flashpoint import engine

    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    ingest(one, "--workers", "1", "--batch", "8")
    started = []
    start = engine.Workers._start
    monkeypatch.setattr(engine.Workers, "_start", lambda self: (start(self), started.append(self.chars)))
    # a worker leaves after 20,000 characters (the demo corpus has 63,000): fresh ones finish the run
    monkeypatch.setenv("FLASHPOINT_WORKER_CHARS", "20000")
    ingest(two, "--workers", "2", "--batch", "8")
    assert len(started) >= 3 and started[0] == 20_000  # two workers, then at least one in the place of one that left
    a, b = stored(one), stored(two)
    assert len(a["documents"]) == 41 and len(a["events"]) > 100
    assert a == b
    r = ingest(two, "--workers", "2", "--batch", "8")  # idempotent with workers too
    assert "0 coded" in r.stderr and "41 already stored" in r.stderr



def test_the_ray_engine_stores_exactly_what_the_local_engine_stores(tmp_path):
    import shutil

    src = sorted(p for p in Path(demo()).iterdir() if p.suffix == ".txt")[:5]
    root = tmp_path / "in"
    root.mkdir()
    for p in src:
        shutil.copy(p, root / p.name)
    local, on_ray = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    assert runner.invoke(cli.app, ["ingest", str(root), "--db", str(local), "--workers", "1"]).exit_code == 0
    parquet = tmp_path / "parquet"
    r = runner.invoke(cli.app, ["ingest", str(root), "--db", str(on_ray), "--engine", "ray", "--workers", "1", "--batch", "2", "--parquet", str(parquet)])
    assert r.exit_code == 0, r.output
    a, b = stored(local), stored(on_ray)
    assert len(a["documents"]) == 5 and len(a["events"]) > 10
    assert a == b
    days = {p.name for p in parquet.glob("wave=*/day=*")}
    assert days and all(d.startswith("day=2024-01-") for d in days)  # partitioned by the documents' dates


def test_a_batch_is_split_among_the_workers_in_order_by_characters():
    from flashpoint.engine import split
    from flashpoint.models import Document

    sizes = [9_000, 300, 400, 8_000, 500, 600, 700, 7_000, 200, 100]
    batch = [Document(id=f"d{i}", text="x" * n) for i, n in enumerate(sizes)]
    parts = split(batch, 2)
    assert [d.id for p in parts for d in p] == [d.id for d in batch]  # every document once, in input order
    assert [len(p) for p in parts] == [4, 6]  # a part ends with the document that takes it past half the characters
    assert split(batch[:1], 2) == [batch[:1]]  # one document: one part
    assert len(split(batch, 3)) == 3 and all(split(batch, 3))
