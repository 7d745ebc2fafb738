"""Where documents are parsed and coded: in this process, or in worker processes (`ingest
--workers N`) while this process stays the single writer of the store.

Each worker loads the pipeline once; each batch is split among the workers and comes back whole,
in input order, with at most three batches in flight. A worker's memory grows with the new words
it meets, so after coding WORKER_CHARS characters it leaves and a fresh, warmed-up one takes its
place: memory stays flat however long the input is.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import chain, count
from typing import TYPE_CHECKING

from .models import Document, Event
from .timing import STAGES, since, snapshot, stage

if TYPE_CHECKING:
    from .store import Store

Coded = list[tuple[Document, list[Event]]]
# A worker leaves after coding this many characters and a fresh one takes its place. A fresh
# worker costs ~3.2 s CPU to load and warm up; coding costs ~24 us CPU a character on news
# articles (~48 on one-sentence items), so 10M characters are ~240 s of a worker's CPU and the
# replacement ~1.3% of it (0.7% on short items). README: Memory.
WORKER_CHARS = 10_000_000


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


def _code(docs: list[Document]) -> tuple[Coded, dict[str, float]]:
    from .pipeline import extract

    if _worker_error is not None:
        raise _worker_error
    before = snapshot()
    with stage("worker"):  # the task's whole CPU time, for `flashpoint bench`
        out = list(extract(docs))
    return out, since(before)


def worker_chars() -> int:
    """Characters a worker process codes before it leaves and a fresh one takes its place
    ($FLASHPOINT_WORKER_CHARS, else WORKER_CHARS)."""
    return int(os.environ.get("FLASHPOINT_WORKER_CHARS") or WORKER_CHARS)


def _serve(tasks, results, ready, budget: int) -> None:
    """A worker process: load and warm up the pipeline, then code the parts it takes from `tasks`
    until it has coded `budget` characters, and leave: what the pipeline remembers of the words it
    has met (spaCy's strings and lexemes, the memos) goes with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's: it stops the workers
    _init_worker()
    ready.release()
    parent = mp.parent_process()
    chars = 0
    while chars < budget:
        try:
            task = tasks.get(timeout=5.0)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                return  # the main process was killed: nobody will read a result
            continue
        key, docs = task
        chars += sum(len(d.text) for d in docs)
        try:
            out, err = _code(docs), None
        except Exception as e:  # given to the main process, which raises it
            out, err = None, e if _picklable(e) else RuntimeError(f"{type(e).__name__}: {e}")
        results.put((key, out, err, os.getpid() if chars >= budget else None))


def _picklable(obj: object) -> bool:
    import pickle

    try:
        pickle.dumps(obj)
        return True
    except Exception:
        return False


class Workers:
    """`n` worker processes (spawned: safe with any threads), each with the pipeline loaded and
    warmed up, taking parts of batches from one queue. `ready()` waits until all are; a pool can
    serve several `ingest` calls. A worker leaves after coding `chars` characters (worker_chars())
    and a fresh one is started in its place: a worker's memory grows with the new words it meets
    (README: Memory), a fresh one starts from the model's. A part waits in the queue for the
    first worker free; its result comes back by its key, whatever process coded it."""

    def __init__(self, n: int, chars: int | None = None) -> None:
        self.ctx = mp.get_context("spawn")
        self.n, self.chars = n, chars or worker_chars()
        self._ready = self.ctx.Semaphore(0)
        self.tasks, self.results = self.ctx.Queue(), self.ctx.Queue()
        self.procs: dict[int, mp.process.BaseProcess] = {}
        self._keys = count()
        self._done: dict[int, tuple] = {}
        for _ in range(n):
            self._start()

    def _start(self) -> None:
        p = self.ctx.Process(target=_serve, args=(self.tasks, self.results, self._ready, self.chars), daemon=True)
        p.start()
        self.procs[p.pid] = p

    def ready(self) -> "Workers":
        for _ in range(self.n):
            while not self._ready.acquire(timeout=1.0):
                self._check()
        return self

    def _check(self) -> None:
        """Raise if a worker process died (one that left after its share ended with 0)."""
        dead = [p for p in self.procs.values() if p.exitcode not in (None, 0)]
        if dead:
            raise RuntimeError(f"a worker process ended with exit code {dead[0].exitcode}")

    def submit(self, docs: list[Document]) -> int:
        key = next(self._keys)
        self.tasks.put((key, docs))
        return key

    def result(self, key: int) -> tuple[Coded, dict[str, float]]:
        """The coded documents and the CPU per stage of the part submitted under `key`."""
        while key not in self._done:
            try:
                k, out, err, leaving = self.results.get(timeout=1.0)
            except queue.Empty:
                self._check()
                continue
            if leaving is not None:  # it has coded its share: a fresh worker takes its place
                self.procs.pop(leaving).join()
                self._start()
            self._done[k] = (out, err)
        out, err = self._done.pop(key)
        if err is not None:
            raise err
        return out

    def close(self) -> None:
        for p in self.procs.values():
            p.terminate()
        for p in self.procs.values():
            p.join()
        self.procs.clear()
        for q in (self.tasks, self.results):
            q.cancel_join_thread()  # what no worker took is dropped, not flushed at exit
            q.close()

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _collect(pool: Workers, keys: list[int]) -> Coded:
    """The coded documents of one batch from its parts' results, in order."""
    coded: Coded = []
    for key in keys:
        part, stages = pool.result(key)
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
            inflight.append([running.submit(part) for part in split(b, running.n)])
            if len(inflight) >= 3:
                yield _collect(running, inflight.popleft())
        while inflight:
            yield _collect(running, inflight.popleft())


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
