import os
from pathlib import Path

import pytest

# Commands run in-process in the tests (monkeypatching reaches them); tests/test_engine.py spawns workers itself.
os.environ.setdefault("FLASHPOINT_WORKERS", "1")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared (evaluation material) is not beside the project")
    return SHARED
