"""Where documents are parsed and coded: in this process, or in worker processes (`ingest
--workers N`) while this process stays the single writer of the store.

Each worker loads the pipeline once and codes whole batches; batches come back in input order,
at most two per worker in flight, so memory stays flat however long the input is.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

from .models import Document, Event
from .timing import STAGES, since, snapshot, stage

if TYPE_CHECKING:
    from .store import Store

Coded = list[tuple[Document, list[Event]]]


def default_workers() -> int:
    """The machine's cores (the CPUs this process may run on)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_worker_error: BaseException | None = None


def _init_worker() -> None:
    """Load the pipeline, the gazetteer and the lexicons once per worker process."""
    global _worker_error
    try:
        from .lexicon import load_triggers
        from .nlp import load_nlp
        from .places import gazetteer

        load_nlp()
        gazetteer()
        load_triggers()
    except Exception as e:  # reported with the first batch instead of a pool that respawns forever
        _worker_error = e


def _code(docs: list[Document]) -> tuple[Coded, dict[str, float]]:
    from .pipeline import extract

    if _worker_error is not None:
        raise _worker_error
    before = snapshot()
    out = list(extract(docs))
    return out, since(before)


def _collect(result: tuple[Coded, dict[str, float]]) -> Coded:
    coded, stages = result
    STAGES.update(stages)  # the workers' CPU per stage, for `flashpoint bench`
    return coded


def code_batches(batches: Iterable[list[Document]], workers: int = 1) -> Iterator[Coded]:
    """Each batch's documents with their events, in input order. With `workers` > 1 and more than
    one batch, batches are coded in that many worker processes (spawned: safe with any threads)."""
    from .pipeline import extract

    it = iter(batches)
    head = [b for b in (next(it, None), next(it, None)) if b is not None]
    if workers <= 1 or len(head) < 2:  # one batch: no process could share the work
        for b in chain(head, it):
            yield list(extract(b))
        return
    with mp.get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
        inflight: deque = deque()
        for b in chain(head, it):
            inflight.append(pool.apply_async(_code, (b,)))
            if len(inflight) >= 2 * workers:
                yield _collect(inflight.popleft().get())
        while inflight:
            yield _collect(inflight.popleft().get())


@dataclass
class IngestResult:
    coded: int = 0  # documents coded and written
    events: int = 0
    unchanged: int = 0  # documents already stored as they are


def ingest(
    store: Store,
    docs: Iterable[Document],
    coder_version: str,
    batch: int = 32,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    result: IngestResult | None = None,
) -> IngestResult:
    """Code the documents not yet stored as they are and write them, one transaction per batch.
    `progress(n)` is told of every n documents done; `result` (updated as batches are committed)
    says what was written when an error or an interrupt stops the run."""
    from .pipeline import batched

    res = result or IngestResult()

    def todo() -> Iterator[list[Document]]:
        for b in batched(docs, batch):
            pending = store.pending(b, coder_version)
            res.unchanged += len(b) - len(pending)
            if progress and len(pending) < len(b):
                progress(len(b) - len(pending))
            if pending:
                yield pending

    for coded in code_batches(todo(), workers):
        with stage("store"):
            res.events += store.write(coded, coder_version)
        res.coded += len(coded)
        if progress:
            progress(len(coded))
    return res
