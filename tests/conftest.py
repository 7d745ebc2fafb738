import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

# Commands run in-process in the tests (monkeypatching reaches them); tests/test_engine.py spawns workers itself.
os.environ.setdefault("FLASHPOINT_WORKERS", "1")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared (evaluation material) is not beside the project")
    return SHARED


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus ingested once per run (tests/test_api.py: build_demo_store)."""
    from tests.test_api import build_demo_store

    return build_demo_store(tmp_path_factory.getbasetemp() / "flashpoint-demo-store")


@pytest.fixture(scope="module")
def client(demo_db: Path) -> Iterator:
    """The API over the demo store, in process."""
    from fastapi.testclient import TestClient

    from flashpoint import api

    with TestClient(api.create_app(demo_db)) as c:
        yield c


def db_rows(db: Path, sql: str) -> list[tuple]:
    """Rows of a query on a store, read-only."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
