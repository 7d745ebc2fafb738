"""CPU seconds spent per pipeline stage (parse, code, geo, facts, store), for `flashpoint bench`.

Stages nest: `code` includes the `geo` and `facts` work done while coding; the bench reports
`code` without them. Counting costs two clock reads per call, so it is always on.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

STAGES: Counter[str] = Counter()
P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def stage(name: str) -> Iterator[None]:
    t0 = time.process_time()
    try:
        yield
    finally:
        STAGES[name] += time.process_time() - t0


def timed(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Count the decorated function's CPU time under `name`."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @wraps(fn)
        def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            with stage(name):
                return fn(*args, **kwargs)

        return inner

    return wrap


def snapshot() -> dict[str, float]:
    return dict(STAGES)


def since(before: dict[str, float]) -> dict[str, float]:
    """What each stage took since `snapshot()` returned `before`."""
    return {k: v - before.get(k, 0.0) for k, v in STAGES.items() if v - before.get(k, 0.0) > 0}
