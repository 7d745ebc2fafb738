"""Where documents are parsed and coded: in this process, or in worker processes (`ingest
--workers N`) while this process stays the single writer of the store.

Each worker loads the pipeline once; each batch is split among the workers and comes back whole,
in input order, with at most three batches in flight, so memory stays flat however long the input is.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
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
    """Load the pipeline, the gazetteer and the lexicons once per worker process, and code one short
    article (pipeline.warm_up) so that what loads on first use is loaded before the first batch."""
    global _worker_error
    try:
        from .lexicon import load_triggers
        from .pipeline import warm_up
        from .places import gazetteer

        warm_up()
        gazetteer()
        load_triggers()
    except Exception as e:  # reported with the first batch instead of a pool that respawns forever
        _worker_error = e


def _init_pool_worker(ready) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's: it stops the pool
    _init_worker()
    ready.release()


def _code(docs: list[Document]) -> tuple[Coded, dict[str, float]]:
    from .pipeline import extract

    if _worker_error is not None:
        raise _worker_error
    before = snapshot()
    with stage("worker"):  # the task's whole CPU time, for `flashpoint bench`
        out = list(extract(docs))
    return out, since(before)


def _collect(results: list) -> Coded:
    """The coded documents of one batch from its parts' results, in order."""
    coded: Coded = []
    for r in results:
        part, stages = r.get()
        STAGES.update(stages)  # the workers' CPU per stage, for `flashpoint bench`
        coded += part
    return coded


def split(batch: list[Document], parts: int) -> list[list[Document]]:
    """The batch in up to `parts` consecutive runs of about the same number of characters."""
    size = sum(len(d.text) for d in batch) / parts
    out: list[list[Document]] = [[]]
    chars = 0
    for d in batch:
        if out[-1] and chars >= size * len(out) and len(out) < parts:
            out.append([])
        out[-1].append(d)
        chars += len(d.text)
    return out


class Workers:
    """`n` worker processes (spawned: safe with any threads), each with the pipeline loaded and
    warmed up. `ready()` waits until all are; a pool can serve several `ingest` calls."""

    def __init__(self, n: int) -> None:
        ctx = mp.get_context("spawn")
        self.n = n
        self._ready = ctx.Semaphore(0)
        self.pool = ctx.Pool(n, initializer=_init_pool_worker, initargs=(self._ready,))

    def ready(self) -> "Workers":
        for _ in range(self.n):
            self._ready.acquire()
        return self

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def code_batches(batches: Iterable[list[Document]], workers: int = 1, pool: Workers | None = None) -> Iterator[Coded]:
    """Each batch's documents with their events, in input order. With `workers` > 1 and more than
    one batch (or with a `pool` of workers), batches are coded in worker processes: each batch is
    split among the workers (so none waits for another at the end of the input), at most three
    batches are in flight."""
    from .pipeline import extract

    it = iter(batches)
    head = [b for b in (next(it, None), next(it, None)) if b is not None]
    if pool is None and (workers <= 1 or len(head) < 2):  # one batch: no process could share the work
        for b in chain(head, it):
            yield list(extract(b))
        return
    with Workers(workers) if pool is None else nullcontext(pool) as running:
        inflight: deque = deque()
        for b in chain(head, it):
            inflight.append([running.pool.apply_async(_code, (part,)) for part in split(b, running.n)])
            if len(inflight) >= 3:
                yield _collect(inflight.popleft())
        while inflight:
            yield _collect(inflight.popleft())


@dataclass
class IngestResult:
    coded: int = 0  # documents coded and written
    events: int = 0
    unchanged: int = 0  # documents already stored as they are


def unstored(batches: Iterable[list[Document]], pending: Callable[[list[Document]], list[Document]], res: IngestResult,
             progress: Callable[[int], None] | None) -> Iterator[list[Document]]:
    """Each batch's documents not yet stored as they are; the others are counted and reported done."""
    for b in batches:
        todo = pending(b)
        res.unchanged += len(b) - len(todo)
        if progress and len(todo) < len(b):
            progress(len(b) - len(todo))
        if todo:
            yield todo


def commit(store: Store, coded: Coded, coder_version: str, res: IngestResult, progress: Callable[[int], None] | None) -> None:
    """One transaction of coded documents, then their fusion with the other articles' reports."""
    with stage("store"):
        res.events += store.write(coded, coder_version)
        store.fuse()
    res.coded += len(coded)
    if progress:
        progress(len(coded))


def ingest(
    store: Store,
    docs: Iterable[Document],
    coder_version: str,
    batch: int = 32,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    result: IngestResult | None = None,
    handover: Callable[[Store], Store] | None = None,
    pool: Workers | None = None,
) -> IngestResult:
    """Code the documents not yet stored as they are and write them, one transaction per batch,
    then fuse them with the reports of other articles (store.fuse). `progress(n)` is told of every
    n documents done; `result` (updated as batches are committed) says what was written when an
    error or an interrupt stops the run; `handover(store)` may give the store to use from the next
    batch on (a server that started meanwhile)."""
    from .pipeline import BATCH_CHARS, batched

    res = result or IngestResult()
    todo = unstored(batched(docs, batch, BATCH_CHARS), lambda b: store.pending(b, coder_version), res, progress)  # the current store
    for coded in code_batches(todo, workers, pool):
        commit(store, coded, coder_version, res, progress)
        if handover:
            store = handover(store)
    return res


# ---------------------------------------------------------------------------------------- Ray
# `ingest --engine ray`: the same extraction as map_batches over Ray Data (a local Ray here, a
# cluster with --address), written as Parquet partitioned by document date; this process then
# reads the Parquet back and stays the single writer of the store.

RAY_WAVE = 20_000  # documents sent to Ray per job: a stream of any length is ingested wave by wave


def doc_row(seq: int, d: Document) -> dict:
    return {"seq": seq, "doc_id": d.id, "text": d.text, "date": d.date.isoformat() if d.date else None,
            "title": d.title, "url": d.url, "source": d.source, "origin": d.origin}


def row_doc(r: dict) -> Document:
    from datetime import date

    def opt(k: str) -> str | None:  # a missing value may come back from Ray's blocks as NaN
        return r[k] if isinstance(r[k], str) else None

    return Document(id=r["doc_id"], text=r["text"], date=date.fromisoformat(r["date"]) if opt("date") else None,
                    title=opt("title"), url=opt("url"), source=opt("source"), origin=opt("origin") or "")


class RayCoder:
    """A Ray Data actor: loads the pipeline once, codes batches of document rows; each output row
    is a document with its events (pickled Event records) and its partition (`day`)."""

    def __init__(self) -> None:
        _init_worker()

    def __call__(self, batch: dict) -> dict:
        import pickle

        rows = [dict(zip(batch, values)) for values in zip(*batch.values())]
        coded, _ = _code([row_doc(r) for r in rows])
        return {
            **{k: [r[k] for r in rows] for k in ("seq", "doc_id", "text", "date", "title", "url", "source", "origin")},
            "events": [pickle.dumps(evs) for _, evs in coded],
            "day": [r["date"] or "unknown" for r in rows],
        }


def ray_code(docs: list[tuple[int, Document]], out: str, workers: int, batch: int) -> None:
    """Code the documents on Ray Data and write them with their events as Parquet under `out`,
    partitioned by day (hive style: out/day=2024-01-17/...)."""
    import ray

    ds = ray.data.from_items([doc_row(i, d) for i, d in docs], override_num_blocks=max(1, min(len(docs) // batch, 200)))
    ds = ds.map_batches(RayCoder, batch_size=batch, concurrency=workers, num_cpus=1, batch_format="numpy")
    ds.write_parquet(out, partition_cols=["day"])


def read_coded(out: str, batch: int) -> Iterator[Coded]:
    """The documents and events Ray wrote under `out`, file by file, a batch at a time."""
    import pickle
    from pathlib import Path

    import pyarrow.parquet as pq

    for f in sorted(Path(out).rglob("*.parquet")):
        for rb in pq.ParquetFile(f).iter_batches(batch_size=batch):
            yield [(row_doc(r), pickle.loads(r["events"])) for r in rb.to_pylist()]


def ray_ingest(
    store: Store,
    docs: Iterable[Document],
    coder_version: str,
    batch: int = 32,
    workers: int = 1,
    address: str | None = None,
    parquet: str | None = None,
    progress: Callable[[int], None] | None = None,
    result: IngestResult | None = None,
) -> IngestResult:
    """`ingest` with the coding done on Ray Data; `parquet` keeps the partitioned Parquet (one
    folder per wave), else it goes to a temporary folder removed after the import."""
    import tempfile

    import ray

    from .pipeline import batched

    res = result or IngestResult()
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else workers, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        seq = 0
        for wave_no, wave in enumerate(batched(docs, RAY_WAVE)):
            todo: list[tuple[int, Document]] = []
            for pending in unstored(batched(wave, batch), lambda b: store.pending(b, coder_version), res, progress):
                todo += [(seq + i, d) for i, d in enumerate(pending)]
                seq += len(pending)
            if not todo:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(parquet, f"wave={wave_no:05d}") if parquet else tmp
                ray_code(todo, out, workers, batch)
                for coded in read_coded(out, batch):
                    commit(store, coded, coder_version, res, progress)
    finally:
        if started:
            ray.shutdown()
    return res
