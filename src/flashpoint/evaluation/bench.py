"""`flashpoint bench`: throughput of the full pipeline against a bare spaCy parse of the same texts,
in one process and one run, and how coding cost grows with article length (`--scaling`).

The corpus is the bundled demo corpus plus the real articles in ../shared (the real-news gold,
TR-News and LGL), cycled to N documents with distinct ids.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from ..models import Document, Event, stable_id

STAGE_NAMES = ("parse", "code", "geo", "facts", "store")


def shared_dir() -> Path | None:
    for p in (Path("../shared"), Path(__file__).resolve().parents[4] / "shared"):
        if p.is_dir():
            return p
    return None


def source_documents(shared: Path | None = None) -> list[Document]:
    """The demo corpus, then (when ../shared is there) the real-news gold articles, TR-News and LGL."""
    from ..readers import read_paths

    paths: list[Any] = [resources.files("flashpoint").joinpath("data", "demo")]
    shared = shared or shared_dir()
    if shared and (shared / "gold" / "realnews" / "docs.jsonl").exists():
        paths.append(shared / "gold" / "realnews" / "docs.jsonl")
    docs = [d for d in read_paths(paths) if isinstance(d, Document)]
    if shared:
        from .geo import read_corpus

        for name in ("tr_news.xml", "lgl.xml"):
            if (shared / "eval" / "geo" / name).exists():
                docs += [Document(id=f"{name}:{a.docid}", text=a.text) for a in read_corpus(shared / "eval" / "geo" / name) if a.text.strip()]
    return docs


def corpus(n: int, shared: Path | None = None) -> list[Document]:
    """N documents: the source documents in turn, cycled, each with its own id."""
    src = source_documents(shared)
    return [Document(id=f"bench-{i:07d}", text=d.text, date=d.date, title=d.title, source=d.source) for i, d in
            ((i, src[i % len(src)]) for i in range(n))]


MEMORY_SIZES = (10_000, 100_000)
PER_DAY = 50  # documents a day of the feed --memory replays: a national desk's, in date order
FEED_START = date(2015, 1, 1)


def store_memory(sizes: tuple[int, ...] = MEMORY_SIZES, sources: list[Document] | None = None, per_day: int = PER_DAY) -> dict[str, Any]:
    """Peak RSS and CPU of `ingest`'s writer (reader, store and cross-article fusion) at each size,
    each in a fresh process reading a JSONL feed of the source documents cycled with distinct ids,
    `per_day` a day in date order, into a fresh store. Coding is replayed: the events the pipeline
    coded once (here) from each source document, with their dates moved by as many days as the
    document's, so that each size fuses what real coding gives. `ratio`: the largest size's peak
    over the smallest's; `cpu_ratio`: the same of CPU milliseconds per document."""
    import pickle

    from ..pipeline import extract

    src = sources if sources is not None else source_documents()
    src = [replace(d, date=d.date or FEED_START) for d in src]  # an undated article's events are dated from it
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        coded = Path(tmp) / "coded.pkl"
        with coded.open("wb") as f:
            pickle.dump([(d.date, evs) for d, evs in extract(src)], f)
        for n in sizes:
            path = Path(tmp) / f"docs-{n}.jsonl"
            with path.open("w", encoding="utf-8") as f:
                for i in range(n):
                    d = src[i % len(src)]
                    f.write(json.dumps({"id": f"bench-{i:07d}", "text": d.text, "date": (FEED_START + timedelta(days=i // per_day)).isoformat(),
                                        "title": d.title, "source": d.source}) + "\n")
            run = subprocess.run([sys.executable, "-m", "flashpoint.evaluation.bench", str(path), str(Path(tmp) / f"{n}.duckdb"), str(coded)],
                                 stdout=subprocess.PIPE, text=True, check=True)  # its warnings on stderr
            out[str(n)] = json.loads(run.stdout)
            path.unlink()
    peaks = [out[str(n)]["peak_rss_mb"] for n in sizes]
    out["ratio"] = round(peaks[-1] / peaks[0], 3)
    ms = [out[str(n)]["ms_per_doc"] for n in sizes]
    out["cpu_ratio"] = round(ms[-1] / ms[0], 3) if ms[0] else None
    return out


def replayed(coded: list[tuple[date, list[Event]]]) -> Callable:
    """pipeline.extract replaced by the events coded from the source documents: document i (its
    id's number) gets those of source i modulo their number, with new ids and their dates moved
    from the source's date to the document's."""

    def extract(docs: Iterable[Document], **_: Any) -> Iterator[tuple[Document, list[Event]]]:
        for d in docs:
            day, evs = coded[int(d.id.rsplit("-", 1)[1]) % len(coded)]
            shift = (d.date - day) if d.date else timedelta(0)
            out = []
            for j, e in enumerate(evs):
                e = copy.deepcopy(e)
                e.event_id, e.doc_id = stable_id("bench", d.id, str(j)), d.id
                if e.date:
                    e.date = (date.fromisoformat(e.date[:10]) + shift).isoformat()
                out.append(e)
            yield d, out

    return extract


def writer(path: str, db: str, coded: str) -> dict[str, Any]:
    """`ingest` of a JSONL file as the CLI runs it in one process, with coding replayed from
    `coded` (store_memory): what the reader, the store and fusion cost."""
    import pickle

    from .. import pipeline
    from ..cli import Tally
    from ..engine import ingest
    from ..readers import read_paths
    from ..store import Store
    from .fusion import peak_rss_kb  # the process's own peak: VmHWM, not ru_maxrss

    with open(coded, "rb") as f:
        pipeline.extract = replayed(pickle.load(f))
    t0, c0 = time.perf_counter(), cpu_s()
    with warnings.catch_warnings(record=True) as raised, Store(db, bulk=True) as store:
        warnings.simplefilter("always", RuntimeWarning)  # each batch that outgrew the store's memory budget
        res = ingest(store, Tally().docs(read_paths([path])), pipeline.CODER_VERSION, workers=1)
        fused = store.con.execute("SELECT count(*) FROM fused_events").fetchone()[0]
    cpu = cpu_s() - c0
    for w in raised:
        print(w.message, file=sys.stderr)
    return {"documents": res.coded, "events": res.events, "fused_events": fused, "seconds": round(time.perf_counter() - t0, 2),
            "cpu_s": round(cpu, 2), "ms_per_doc": round(cpu * 1000 / max(1, res.coded), 2), "peak_rss_mb": round(peak_rss_kb() / 1024),
            "budget_raised": sum("memory budget" in str(w.message) for w in raised)}


def bare_model():
    """The same spaCy model the pipeline loads (nlp.load_nlp), without flashpoint's components."""
    import spacy

    from ..nlp import MODEL_PACKAGES, model_path

    wanted = os.environ.get("FLASHPOINT_MODEL")
    for name in [wanted] if wanted else MODEL_PACKAGES:
        if name not in MODEL_PACKAGES or importlib.util.find_spec(name):
            return spacy.load(model_path(name) if name in MODEL_PACKAGES else name)
    raise RuntimeError("no spaCy English pipeline is installed (run `make install`)")


def bare_parse(nlp, docs: list[Document], batch: int) -> tuple[int, float, float]:
    """Tokens, wall seconds and CPU seconds of `nlp.pipe` over the documents' texts (after a warm-up)."""
    list(nlp.pipe(d.text for d in docs[:4]))
    t, c = time.perf_counter(), cpu_s()
    tokens = sum(len(d) for d in nlp.pipe((d.text for d in docs), batch_size=batch))
    return tokens, time.perf_counter() - t, cpu_s() - c


def cpu_s() -> float:
    """CPU seconds of this process and of its finished child processes."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kB on Linux


def run(n: int = 300, workers: int = 1, batch: int = 32) -> dict[str, Any]:
    """Start-up, the bare parse and the full ingest (into a fresh DuckDB file) of the same N
    documents; throughput, their ratio, peak memory and CPU seconds per stage."""
    from .. import timing
    from ..engine import Workers, ingest
    from ..nlp import blas_ops
    from ..pipeline import CODER_VERSION, WARM_UP
    from ..store import Store

    docs = corpus(n)
    load_at_start = os.getloadavg()
    t0 = time.perf_counter()
    pool = None
    if workers <= 1:
        from ..pipeline import warm_up

        warm_up()
    else:  # the worker processes started and warmed up, as warm_up() for one process
        pool = Workers(workers).ready()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "warm-up.duckdb", bulk=True) as store:
        ingest(store, [WARM_UP], CODER_VERSION, workers=workers, pool=pool)  # the store's first use (Arrow, DuckDB)
    startup = time.perf_counter() - t0

    try:
        bare = bare_model()
        tokens, bare_s, bare_cpu = bare_parse(bare, docs, batch)
        # the same model again with the pipeline's BLAS (nlp.blas_ops): what the parse alone costs in
        # the pipeline, so the ratio against it is the cost of everything flashpoint adds to the parse
        blas_ops(bare)
        _, blas_s, blas_cpu = bare_parse(bare, docs, batch)
        del bare

        before = timing.snapshot()
        with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.duckdb", bulk=True) as store:
            t2, c2 = time.perf_counter(), cpu_s()
            res = ingest(store, docs, CODER_VERSION, batch=batch, workers=workers, pool=pool)
            full_s, full_cpu = time.perf_counter() - t2, cpu_s() - c2
        spent = timing.since(before)
    finally:
        if pool:
            pool.close()
    full_cpu += spent.get("worker", 0.0)  # the CPU of the workers' tasks (they are still running when timed)
    stages = {k: spent.get(k, 0.0) for k in STAGE_NAMES}
    stages["code"] = max(0.0, stages["code"] - stages["geo"] - stages["facts"])  # geo and facts run inside coding
    return {
        "documents": n,
        "characters": sum(len(d.text) for d in docs),
        "tokens": tokens,
        "events": res.events,
        "workers": workers,
        "seconds": round(full_s, 2),
        "docs_per_s": round(n / full_s, 2),
        "tokens_per_s": round(tokens / full_s, 1),
        "bare_parse_seconds": round(bare_s, 2),
        "bare_parse_docs_per_s": round(n / bare_s, 2),
        "ratio_vs_bare_parse": round(bare_s / full_s, 3),
        # the same with the start-up (warm_up or the workers' start) counted as part of the run
        "ratio_with_startup": round(bare_s / (full_s + startup), 3),
        # CPU seconds (this process and its workers): the same comparison, less at the mercy of a busy machine
        "cpu_s": round(full_cpu, 2),
        "bare_parse_cpu_s": round(bare_cpu, 2),
        "cpu_ratio_vs_bare_parse": round(bare_cpu / full_cpu, 3) if full_cpu else None,
        # cores each run had on average (CPU / wall): on a shared machine, what the wall ratio could be
        "cores": round(full_cpu / full_s, 2),
        "bare_parse_cores": round(bare_cpu / bare_s, 2),
        # the bare parse on the pipeline's BLAS (nlp.blas_ops): stock spaCy multiplies through cython-blis
        "blas_bare_parse_cpu_s": round(blas_cpu, 2),
        "ratio_vs_blas_bare_parse": round(blas_s / full_s, 3),
        "cpu_ratio_vs_blas_bare_parse": round(blas_cpu / full_cpu, 3) if full_cpu else None,
        "peak_rss_mb": round(rss_mb(), 1),
        "peak_worker_rss_mb": round(rss_mb(resource.RUSAGE_CHILDREN), 1) if workers > 1 else None,  # (the pool is closed)
        "startup_s": round(startup, 2),
        "stage_cpu_s": {k: round(v, 2) for k, v in stages.items()},
        "load_average_at_start": [round(x, 2) for x in load_at_start],
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


SIZES = (1_000, 5_000, 20_000, 100_000)


def long_texts(size: int, count: int, src: list[str]) -> list[str]:
    """`count` articles of about `size` characters: real articles joined paragraph-wise, cut at
    the first sentence end after `size` characters."""
    out, k = [], 0
    for _ in range(count):
        parts: list[str] = []
        while sum(map(len, parts)) < size:
            parts.append(src[k % len(src)].strip())
            k += 1
        text = "\n\n".join(parts)
        end = text.find(". ", size)
        out.append(text[: end + 1] if 0 <= end < size * 1.2 else text[:size])
    return out


def scaling(chars: int = 200_000, sizes: tuple[int, ...] = SIZES) -> list[dict[str, Any]]:
    """CPU microseconds per character of the parse and of the coding stages (code, geo, facts:
    everything after the parse) for articles of each size, about `chars` characters per size."""
    from .. import timing
    from ..nlp import load_nlp
    from ..pipeline import extract

    load_nlp()
    src = [d.text for d in source_documents()]
    list(extract([Document(id="warm", text=src[0])]))
    rows = []
    for size in sizes:
        texts = long_texts(size, max(1, chars // size), src)
        docs = [Document(id=f"s{size}-{i}", text=t) for i, t in enumerate(texts)]
        n_chars = sum(map(len, texts))
        before = timing.snapshot()
        n_events = sum(len(evs) for _, evs in extract(docs))
        spent = timing.since(before)
        parse, coding = spent.get("parse", 0.0), spent.get("code", 0.0)
        rows.append({
            "chars_per_doc": round(n_chars / len(docs)), "documents": len(docs), "characters": n_chars, "events": n_events,
            # code_us_per_char: everything after the parse (the stages of pipeline.code_document, and the geo and facts work inside them)
            "parse_us_per_char": round(parse / n_chars * 1e6, 1), "code_us_per_char": round(coding / n_chars * 1e6, 1),
            "geo_us_per_char": round(spent.get("geo", 0.0) / n_chars * 1e6, 1),
            "facts_us_per_char": round(spent.get("facts", 0.0) / n_chars * 1e6, 1),
        })
    base = rows[0]["code_us_per_char"] or 1.0
    for r in rows:
        r["code_vs_smallest"] = round(r["code_us_per_char"] / base, 2)
    return rows


def geo_benchmark(texts: list[str] | None = None, n: int = 1000) -> dict[str, float]:
    """Time to geoparse n articles (default: the shared TR-News and LGL articles, cycled to n; else
    the bundled demo corpus). Model and gazetteer loading are timed apart as start-up."""
    from ..geoparse import geoparse_documents, geoparse_texts
    from ..nlp import load_nlp
    from ..places import gazetteer

    t0 = time.perf_counter()
    load_nlp()
    gazetteer()
    startup = time.perf_counter() - t0
    if texts is None:
        texts = geo_texts()
    texts = [texts[i % len(texts)] for i in range(n)] if texts else []
    geoparse_texts(texts[:8])  # warm up
    t1 = time.perf_counter()
    res = list(geoparse_documents(texts))
    dt = time.perf_counter() - t1
    return {
        "documents": len(texts), "toponyms": sum(len(r["toponyms"]) for r in res), "seconds": dt,
        "docs_per_s": len(texts) / dt if dt else 0.0, "chars_per_s": sum(map(len, texts)) / dt if dt else 0.0,
        "startup_s": startup,
    }


def geo_texts() -> list[str]:
    """The shared TR-News and LGL articles, else the bundled demo corpus."""
    from .geo import read_corpus

    shared = shared_dir()
    geo = shared / "eval" / "geo" if shared else None
    if geo and geo.is_dir():
        return [a.text for f in ("tr_news.xml", "lgl.xml") if (geo / f).exists() for a in read_corpus(geo / f)]
    return [d.text for d in source_documents(None)]


if __name__ == "__main__":  # store_memory's measuring process
    print(json.dumps(writer(*sys.argv[1:4])))
