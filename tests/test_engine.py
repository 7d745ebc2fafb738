"""Parallel ingest: worker processes code, this process writes; the store ends up the same."""

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


def test_two_workers_store_exactly_what_one_process_stores(tmp_path):
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    ingest(one, "--workers", "1", "--batch", "8")
    ingest(two, "--workers", "2", "--batch", "8")
    a, b = stored(one), stored(two)
    assert len(a["documents"]) == 41 and len(a["events"]) > 100
    assert a == b
    r = ingest(two, "--workers", "2", "--batch", "8")  # idempotent with workers too
    assert "0 coded" in r.stderr and "41 already stored" in r.stderr

