"""The `flashpoint` command line (../shared/CONTRACT.md).

Exit codes: 0 everything was read; 1 the run finished but some records were skipped (each named
on stderr with its file and line); 2 the run could not go on (database unwritable, no input).
"""

from __future__ import annotations

import json
import re
import struct
import sys
import time
import warnings
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import export
from .models import Document, ReadIssue
from .readers import read_paths

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.split("\n")[0])
err = Console(stderr=True, soft_wrap=True)  # one line per message: `file:line: ...` stays greppable
out = Console()


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Python warnings (a store's memory budget raised, a cache that cannot be written) as the CLI's own."""
    err.print(f"[yellow]warning[/] {message}", markup=True, highlight=False)


@app.callback()
def main() -> None:
    warnings.showwarning = show_warning

TABLE_ROWS = 200  # `events` prints at most this many rows as a table unless --limit says otherwise
DbOpt = Annotated[Optional[Path], typer.Option("--db", help="DuckDB file [env FLASHPOINT_DB, default flashpoint.duckdb]")]
Paths = Annotated[list[str], typer.Argument(help="files, folders, or - for JSONL on stdin")]


ORIGIN_NUMBER = re.compile(r"(.*[:#])(0|[1-9]\d{0,17})")  # file:line, file#element (readers)
PACKED = struct.Struct("<qqqqq")


class Tally:
    """Counts what was read and reports every input problem once, naming file and line. A document
    id seen again within the last `window` documents is dropped (and reported when its text
    differs); beyond that the store's content hash decides, so memory stays flat on any input.
    What is remembered of a document is packed in 40 bytes (besides its id): the number of its
    file in `names`, its line or element, and the hashes of its text, date and title."""

    def __init__(self, window: int = 100_000) -> None:
        self.read = self.skipped = self.warned = 0
        self.window = window
        self.names: list[str] = []  # the origins without their line or element number
        self.numbers: dict[str, int] = {}  # their index in `names`

    def docs(self, items: Iterator[Document | ReadIssue]) -> Iterator[Document]:
        seen: dict[str, bytes] = {}  # id -> packed(where, line, hashes of text, date, title), oldest first
        for it in items:
            if isinstance(it, ReadIssue):
                if it.skipped:
                    self.skipped += 1
                    err.print(f"[red]skipped[/] {it}", markup=True, highlight=False)
                else:
                    self.warned += 1
                    err.print(f"[yellow]warning[/] {it}", markup=True, highlight=False)
                continue
            key = (hash(it.text), hash(it.date), hash(it.title))
            if it.id in seen:
                origin, first = self.unpack(seen[it.id])
                if first != key:
                    differ = [name for name, a, b in zip(("text", "date", "title"), first, key) if a != b]
                    self.skipped += 1
                    err.print(
                        f"[red]skipped[/] {it.origin}: document id {it.id!r} was already read from {origin} "
                        f"with a different {' and '.join(differ)}", highlight=False,
                    )
                continue
            seen[it.id] = self.pack(it.origin, key)
            if len(seen) > self.window:
                del seen[next(iter(seen))]
            self.read += 1
            yield it

    def pack(self, origin: str, key: tuple[int, int, int]) -> bytes:
        m = ORIGIN_NUMBER.fullmatch(origin)
        name, number = (m[1], int(m[2])) if m else (origin, -1)
        if name not in self.numbers:
            self.numbers[name] = len(self.names)
            self.names.append(name)
        return PACKED.pack(self.numbers[name], number, *key)

    def unpack(self, packed: bytes) -> tuple[str, tuple[int, int, int]]:
        where, number, *key = PACKED.unpack(packed)
        return self.names[where] + (str(number) if number >= 0 else ""), tuple(key)

    @property
    def exit_code(self) -> int:
        return 1 if self.skipped else 0


def progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    )


def fail(message: str) -> None:
    err.print(f"[red]error[/] {message}", highlight=False)
    raise typer.Exit(2)


def need_input(paths: list[str]) -> None:
    """Stop (exit 2, before any database is made) when no path given exists."""
    if not any(p == "-" or Path(p).exists() for p in paths):
        fail("nothing to read: " + ", ".join(f"{p}: no such file or folder" for p in paths))


@app.command()
def extract(
    paths: Paths,
    output: Annotated[Optional[str], typer.Option("-o", "--output", help="output file (default stdout)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl | json (PLOVER) | csv (ACLED-style) | parquet")] = "jsonl",
) -> None:
    """Events of the given documents, no database needed."""
    from .pipeline import extract as run

    need_input(paths)

    if fmt not in export.FORMATS:
        fail(f"unknown format {fmt!r}; choose one of {', '.join(export.FORMATS)}")
    tally = Tally()
    records = []
    t0 = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("extract", total=None, rate="")
        for i, (doc, events) in enumerate(run(tally.docs(read_paths(paths))), 1):
            for e in events:
                r = e.to_dict()
                r["source_document"] = {"title": doc.title, "source": doc.source, "url": doc.url}
                records.append(r)
            bar.update(task, advance=1, rate=f"{i / (time.perf_counter() - t0):.1f} docs/s")
    try:
        export.write(records, fmt, output)
    except (OSError, ValueError) as e:
        fail(str(e))
    err.print(f"{tally.read} documents, {len(records)} events" + (f", {tally.skipped} skipped" if tally.skipped else ""))
    raise typer.Exit(tally.exit_code)


@app.command()
def ingest(
    paths: Paths,
    db: DbOpt = None,
    batch: Annotated[int, typer.Option(help="documents per transaction", min=1)] = 32,
    workers: Annotated[Optional[int], typer.Option(help="processes that parse and code [env FLASHPOINT_WORKERS, default: the machine's cores]", min=1, envvar="FLASHPOINT_WORKERS")] = None,
    engine: Annotated[str, typer.Option(help="local (this machine's processes) | ray (Ray Data; pip install 'flashpoint[ray]')")] = "local",
    address: Annotated[Optional[str], typer.Option(help="--engine ray: the Ray cluster (e.g. ray://head:10001 or auto); default a local Ray")] = None,
    parquet: Annotated[Optional[Path], typer.Option(help="--engine ray: keep the coded documents here as Parquet partitioned by day")] = None,
) -> None:
    """Extract into the store. Idempotent (same document twice changes nothing) and resumable.
    While `flashpoint serve` runs on the store, the documents go to the server (see handoff.py)."""
    need_input(paths)
    from functools import partial

    from .engine import IngestResult, default_workers, ray_ingest
    from .engine import ingest as local_ingest
    from .handoff import RemoteStore, find_server
    from .pipeline import CODER_VERSION
    from .store import Store, StoreError

    tally = Tally()
    res = IngestResult()
    t0 = time.perf_counter()
    store: Store | RemoteStore | None = None
    try:
        store = open_for_ingest(db)
        with progress() as bar:
            store.fuse()  # reports stored before fusion existed, or left unfused by an interrupted run
            task = bar.add_task("ingest", total=None, rate="")

            def advance(n: int) -> None:
                done = res.coded + res.unchanged
                bar.update(task, advance=n, rate=f"{done / (time.perf_counter() - t0):.1f} docs/s")

            def handover(current: Store | RemoteStore) -> Store | RemoteStore:
                """A server started meanwhile waits for the store: hand it over between batches."""
                nonlocal store
                if isinstance(current, Store) and (server := find_server(db)):
                    current.close()
                    err.print(f"handing {current.path} over to the server at {server.url} (pid {server.pid})", highlight=False)
                    store = current = RemoteStore(db, server).wait_ready()
                return current

            if engine == "ray":
                run = partial(ray_ingest, address=address, parquet=str(parquet) if parquet else None)
            elif engine == "local":
                run = partial(local_ingest, handover=handover)
            else:
                fail(f"unknown engine {engine!r}; choose local or ray")
            run(store, tally.docs(read_paths(paths)), CODER_VERSION, batch, workers or default_workers(), progress=advance, result=res)
    except StoreError as e:
        err.print(f"{res.coded} documents were committed before the error and are kept.")
        fail(str(e))
    except KeyboardInterrupt:
        err.print(f"\ninterrupted: {res.coded} documents committed; run the same command again to continue")
        raise typer.Exit(130)
    finally:
        if store is not None:
            store.close()
    err.print(
        f"{tally.read} documents read: {res.coded} coded ({res.events} events), {res.unchanged} already stored"
        + (f"; {tally.skipped} skipped" if tally.skipped else "")
        + f" in {time.perf_counter() - t0:.1f}s"
    )
    raise typer.Exit(tally.exit_code)


def open_for_ingest(db: Optional[Path]):
    """The store, or the running server that owns it (its documents then go through the server)."""
    from .handoff import RemoteStore, find_server
    from .store import Store

    server = find_server(db)
    if server:
        err.print(f"{server.url} (pid {server.pid}) serves this store: the documents go through it", highlight=False)
        return RemoteStore(db, server).wait_ready()
    return Store(db, bulk=True)


@app.command()
def events(
    db: DbOpt = None,
    date_from: Annotated[Optional[str], typer.Option("--from", help="first date, YYYY-MM-DD")] = None,
    date_to: Annotated[Optional[str], typer.Option("--to", help="last date, YYYY-MM-DD")] = None,
    country: Annotated[Optional[str], typer.Option(help="ISO3 of actor, recipient or place")] = None,
    event_type: Annotated[Optional[str], typer.Option("--type", help="PLOVER event type")] = None,
    actor: Annotated[Optional[str], typer.Option(help="actor name (substring) or ISO3")] = None,
    modality: Annotated[Optional[str], typer.Option(help="asserted | negated | hypothetical | future | historical")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table | jsonl | json (PLOVER) | csv (ACLED-style) | parquet")] = "table",
    output: Annotated[Optional[str], typer.Option("-o", "--output")] = None,
    limit: Annotated[Optional[int], typer.Option(help=f"at most this many events (the table shows at most {TABLE_ROWS} unless given)", min=1)] = None,
    fused: Annotated[bool, typer.Option("--fused", help="one record per real event across articles, with its reports and n_sources")] = False,
) -> None:
    """Query and export stored events (per report, or fused across articles with --fused). The table
    shows the first events by date (at most --limit, default 200) and says how many match; the other
    formats write them all."""
    from datetime import date

    from .store import Store, StoreError

    for label, value in (("--from", date_from), ("--to", date_to)):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                fail(f"{label} {value!r} is not a date (YYYY-MM-DD)")
    table = fmt == "table"
    try:
        with Store(db, read_only=True) as store:
            filters = (date_from, date_to, country, event_type, actor, modality)
            records = store.query_events(*filters, limit or TABLE_ROWS if table else limit, fused=fused)
            total = store.count_events(*filters, fused=fused) if table else len(records)
    except StoreError as e:
        fail(str(e))
    if table:
        out.print(events_table(records, total))
        if total > len(records):
            err.print(f"showing the first {len(records):,} of {total:,} events by date: narrow the filters, raise --limit, "
                      "or use --format jsonl/csv/json/parquet for all of them", highlight=False)
        return
    try:
        export.write(records, fmt, output)
    except (OSError, ValueError) as e:
        fail(str(e))


def who(actors: list[dict]) -> str:
    return ", ".join(f"{a['name']}" + (f" ({a['country']}/{a['sector'] or '-'})" if a.get("country") else "") for a in actors)


def events_table(records: list[dict], total: int | None = None) -> Table:
    fused = bool(records) and "reports" in records[0]
    kind = "fused events" if fused else "events"
    shown = f"{len(records)} {kind}" if total in (None, len(records)) else f"{len(records)} of {total} {kind}"
    t = Table(title=shown, show_lines=False)
    for col in ("date", "type", "actor", "recipient", "where", "killed", "modality", *(("sources",) if fused else ()), "evidence"):
        t.add_column(col, overflow="fold")
    for r in records:
        loc = r.get("location") or {}
        fat = r.get("fatalities") or {}
        killed = "" if not fat else (str(fat["best"]) if fat["low"] == fat["high"] else f"{fat['best']} ({fat['low']}-{fat['high']})")
        t.add_row(
            f"{r.get('date') or '?'}" + ("" if r.get("date_precision") == "day" else f" ~{r.get('date_precision')}"),
            r["event_type"] + (f"/{r['mode'][0]}" if r.get("mode") else ""),
            who(r.get("actor") or []), who(r.get("recipient") or []),
            ", ".join(x for x in (loc.get("name"), loc.get("country")) if x),
            killed + (" contested" if r.get("contested") else ""),
            r.get("modality") or "",
            *((f"{r['n_sources']} ({r['n_reports']} reports)",) if fused else ()),
            (r.get("evidence") or [{"text": ""}])[0]["text"][:90],
        )
    return t


@app.command()
def summary(db: DbOpt = None) -> None:
    """What the store holds: documents, events by type, the main dyads."""
    from .store import Store, StoreError

    try:
        with Store(db, read_only=True) as store:
            s = store.summary()
    except StoreError as e:
        fail(str(e))
    out.print(f"[bold]{s['documents']}[/] documents, [bold]{s['events']}[/] events (reports), "
              f"[bold]{s['fused_events']}[/] fused events (one per real event across articles)")
    t = Table(title="asserted events by PLOVER type")
    for col in ("type", "events", "killed (best)"):
        t.add_column(col)
    for typ, n, killed in s["by_type"]:
        t.add_row(typ, str(n), str(killed))
    out.print(t)
    d = Table(title="top dyads (actor -> recipient)")
    for col in ("actor", "recipient", "events", "first", "last"):
        d.add_column(col)
    for a, r, n, first, last in s["dyads"]:
        d.add_row(a, r, str(n), str(first), str(last))
    out.print(d)


@app.command()
def dyad(
    actor: Annotated[str, typer.Argument(help="ISO3 of the actor country")],
    recipient: Annotated[str, typer.Argument(help="ISO3 of the recipient country")],
    interval: Annotated[str, typer.Option(help="day | week")] = "day",
    date_from: Annotated[Optional[str], typer.Option("--from", help="first date, YYYY-MM-DD")] = None,
    date_to: Annotated[Optional[str], typer.Option("--to", help="last date, YYYY-MM-DD")] = None,
    min_sources: Annotated[int, typer.Option("--min-sources", min=1, help="only fused events reported by this many outlets")] = 1,
    db: DbOpt = None,
) -> None:
    """The directed dyad ACTOR -> RECIPIENT over fused events: counts by type and summed Goldstein
    per day or week, with the escalation points (data/fusion.yaml) and the events that drive them."""
    from datetime import date

    from .dyads import dyad_series
    from .store import Store, StoreError

    if interval not in ("day", "week"):
        fail(f"--interval {interval!r}: choose day or week")
    for code in (actor, recipient):
        if len(code) != 3 or not code.isalpha():
            fail(f"{code!r} is not an ISO 3166-1 alpha-3 country code")
    bounds = []
    for label, value in (("--from", date_from), ("--to", date_to)):
        try:
            bounds.append(date.fromisoformat(value) if value else None)
        except ValueError:
            fail(f"{label} {value!r} is not a date (YYYY-MM-DD)")
    try:
        with Store(db, read_only=True) as store:
            points = dyad_series(lambda sql, args: store.con.execute(sql, args).fetchall(), actor, recipient, interval, *bounds,
                                 min_sources=min_sources)
    except StoreError as e:
        fail(str(e))
    a, r = actor.upper(), recipient.upper()
    if not points:
        out.print(f"no fused events from {a} to {r}")
        return
    types = sorted({t for p in points for t in p.by_type})
    t = Table(title=f"{a} -> {r}, fused events per {interval}")
    for col in (interval, "events", *types, "Goldstein", "z", ""):
        t.add_column(col, justify="left" if col in (interval, "") else "right")
    for p in points:
        style = {"escalation": "bold red", "de-escalation": "bold green"}.get(p.flag or "")
        t.add_row(p.period.isoformat(), str(p.count or ""), *(str(p.by_type.get(x) or "") for x in types),
                  f"{p.goldstein:+.1f}" if p.count else "", f"{p.z:+.1f}", p.flag or "", style=style)
    out.print(t)
    for p in points:
        if p.flag:
            out.print(f"[bold]{p.period} {p.flag}[/] (Goldstein {p.goldstein:+.1f}, z {p.z:+.1f}), driven by:")
            for e in p.drivers():
                out.print(f"  {e['date']} {e['event_type']} {e['goldstein']:+.1f}  {e['n_sources']} source(s)  "
                          f"{(e['evidence'] or '').strip()[:110]}  [dim]{e['event_id']}[/]", highlight=False)


@app.command()
def geoparse(
    paths: Paths,
    output: Annotated[Optional[str], typer.Option("-o", "--output")] = None,
) -> None:
    """One JSONL line per document with its resolved toponyms (and, apart, its demonyms)."""
    need_input(paths)
    from .geoparse import geoparse_texts
    from .pipeline import batched

    tally = Tally()
    buf = open(output, "w", encoding="utf-8") if output else sys.stdout
    try:
        for docs in batched(tally.docs(read_paths(paths)), 64):
            for doc, found in zip(docs, geoparse_texts([d.text for d in docs])):
                buf.write(json.dumps({"doc_id": doc.id, **found}, ensure_ascii=False) + "\n")
    finally:
        if output:
            buf.close()
    raise typer.Exit(tally.exit_code)


@app.command()
def serve(
    db: DbOpt = None,
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1", min=1, max=65535)] = 8765,
    cors_origin: Annotated[Optional[list[str]], typer.Option("--cors-origin", help="allow this origin (CORS is off by default); repeatable")] = None,
    workers: Annotated[int, typer.Option(help="server processes (more than one: read-only)", min=1, max=16)] = 1,
    read_only: Annotated[bool, typer.Option("--read-only", help="do not own the store: no ingest through the server, "
                                            "other processes may read it")] = False,
) -> None:
    """REST API under /api/ (OpenAPI docs at /docs) and the web dashboard at /, on 127.0.0.1.
    The server owns the store: `flashpoint ingest` on the same --db hands its documents to it."""
    from .api import serve as run
    from .store import StoreError

    try:
        run(db, port, cors_origins=tuple(cors_origin or ()), workers=workers, read_only=read_only,
            say=lambda msg: err.print(msg, highlight=False, soft_wrap=True))
    except StoreError as e:
        fail(str(e))


@app.command("demo-path")
def demo_path() -> None:
    """Print the folder of the bundled demo corpus."""
    print(resources.files("flashpoint").joinpath("data", "demo"))


@app.command("eval")
def evaluate(
    name: Annotated[str, typer.Argument(help="seed | facts | plover-gsr | case2021 | geo | realnews | acled-notes | fusion (the demo corpus)")],
    shared: Annotated[Path, typer.Option(help="the shared evaluation folder")] = Path("../shared"),
    limit: Annotated[Optional[int], typer.Option(help="score only the first N items", min=1)] = None,
    offset: Annotated[int, typer.Option(help="acled-notes: skip the first N notes (score rows N .. N+limit)", min=0)] = 0,
    errors: Annotated[Optional[Path], typer.Option(help="write misclassified items to this JSONL file (plover-gsr, case2021, realnews, acled-notes)")] = None,
) -> None:
    """Scores on the shared evaluation sets."""
    from .evaluation import acled_notes as eval_acled
    from .evaluation import facts as eval_facts
    from .evaluation import fusion as eval_fusion
    from .evaluation import geo as eval_geo
    from .evaluation import realnews as eval_realnews
    from .evaluation import scoring as ev

    runs = {
        "seed": (lambda s, _limit: ev.seed(s), ev.print_seed),
        "facts": (eval_facts.run, eval_facts.show),
        "plover-gsr": (ev.plover_gsr, ev.print_plover_gsr),
        "case2021": (ev.case2021, ev.print_case2021),
        "geo": (eval_geo.run, eval_geo.show),
        "realnews": (eval_realnews.run, eval_realnews.show),
        "acled-notes": (lambda s, n: eval_acled.run(s, n, offset), eval_acled.show),
        "fusion": (eval_fusion.run, eval_fusion.show),
    }
    if name not in runs:
        fail(f"unknown evaluation {name!r}; available: {', '.join(runs)}")
    run, show = runs[name]
    try:
        report = run(shared, limit)
    except FileNotFoundError as e:
        fail(f"{e.filename}: not found (pass --shared PATH)")
    show(report, out)
    if name == "fusion" and not report.ok:
        raise typer.Exit(1)
    writers = {"realnews": eval_realnews.write_errors, "acled-notes": eval_acled.write_errors,
               "plover-gsr": ev.write_errors, "case2021": ev.write_errors}
    if errors and name in writers:
        n = writers[name](report, errors)
        out.print(f"{n} misclassified items written to {errors}")


@app.command()
def train(
    name: Annotated[str, typer.Argument(help="eventness")],
    shared: Annotated[Path, typer.Option(help="the shared corpora the labels point into")] = Path("../shared"),
    c: Annotated[Optional[float], typer.Option("--c", help="inverse regularisation strength (default: chosen by cross-validation)")] = None,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="where to write the model (default: the package's data/eventness/model.json)")] = None,
) -> None:
    """Rebuild a trained component from its labels (eventness: which coded events are real)."""
    if name != "eventness":
        fail(f"unknown component {name!r}; available: eventness")
    from .evaluation.train_eventness import train as run

    try:
        report = run(shared, c, output)
    except FileNotFoundError as e:
        fail(f"{e.filename}: not found (pass --shared PATH)")
    out.print_json(data=report)


@app.command()
def bench(
    n: Annotated[Optional[int], typer.Option("-n", help="documents (the demo corpus and ../shared's real articles, cycled) [default 300; with --api or --geo only when given]", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    workers: Annotated[int, typer.Option(help="ingest worker processes (the bare parse is always one process)", min=1)] = 1,
    scaling: Annotated[bool, typer.Option("--scaling", help="only: CPU us per character of parse and coding for 1k-100k-character articles")] = False,
    api: Annotated[bool, typer.Option("--api", help="also: API requests on --db (a mix of queries and static files), latency percentiles")] = False,
    requests: Annotated[int, typer.Option(help="--api: requests in all", min=1)] = 200,
    concurrency: Annotated[int, typer.Option(help="--api: requests in flight at once", min=1)] = 200,
    geo: Annotated[bool, typer.Option("--geo", help="also: geoparsing 1,000 articles (the shared geo corpora, else the demo)")] = False,
    fusion: Annotated[bool, typer.Option("--fusion", help="also: fusing 10k and 100k synthetic reports (time, memory, B-cubed)")] = False,
    memory: Annotated[bool, typer.Option("--memory", help="also: peak RSS and CPU of ingest's writer (reader, store, fusion; coding replayed) at 10k and 100k documents")] = False,
    memory_docs: Annotated[Optional[list[int]], typer.Option("--memory-docs", help="--memory: these sizes instead (repeat the option)", min=1)] = None,
    db: DbOpt = None,
) -> None:
    """Full pipeline (ingest into a fresh DuckDB) against a bare spaCy parse of the same N documents,
    in one run: docs/s, tokens/s, their ratio, peak RSS, start-up and CPU per stage. With --scaling,
    the cost per character by article length; with --api, API latency; with --geo, geoparsing speed;
    with --fusion, cross-document fusion at 10k and 100k reports."""
    from .evaluation import bench as b

    report: dict = {}
    if scaling:
        report["scaling"] = b.scaling()
    elif n or not (api or geo or memory):
        n = n or 300
        report.update(b.run(n, workers))
    if memory:
        report["memory"] = b.store_memory(tuple(sorted(memory_docs)) if memory_docs else b.MEMORY_SIZES)
    if fusion:
        from .evaluation.fusion import benchmark as fusion_benchmark

        report["fusion"] = fusion_benchmark()
    if geo:
        report["geo"] = b.geo_benchmark()
    if api:
        from .api import bench_api
        from .store import StoreError

        try:
            report["api"] = bench_api(db, requests=requests, concurrency=concurrency)
        except StoreError as e:
            fail(str(e))
    if as_json:
        print(json.dumps(report))
        return
    if scaling:
        t = Table(title="flashpoint bench --scaling (CPU us per character)")
        cols = ("chars_per_doc", "documents", "events", "parse_us_per_char", "code_us_per_char", "geo_us_per_char", "facts_us_per_char", "code_vs_smallest")
        for col in cols:
            t.add_column(col.replace("_", " "), justify="right")
        for row in report["scaling"]:
            t.add_row(*(str(row[c]) for c in cols))
        out.print(t)
    elif n:
        t = Table(title=f"flashpoint bench ({n} documents, ingest with {workers} worker(s) vs a bare nlp.pipe parse)")
        t.add_column("measure")
        t.add_column("value", justify="right")
        for k, v in report.items():
            if k not in ("geo", "api", "fusion", "memory"):
                t.add_row(k, ", ".join(f"{s} {x}" for s, x in v.items()) if isinstance(v, dict) else str(v))
        out.print(t)
    if geo:
        from .evaluation.geo import show_benchmark

        show_benchmark(report["geo"], out)
    if memory:
        t = Table(title=f"flashpoint bench --memory (ingest's writer: reader, store, fusion; coding replayed; {b.PER_DAY} documents a day; a fresh process per size)")
        cols = ("documents", "events", "fused_events", "seconds", "cpu_s", "ms_per_doc", "peak_rss_mb", "budget_raised")
        for col in cols:
            t.add_column(col.replace("_", " "), justify="right")
        for size, row in report["memory"].items():
            if isinstance(row, dict):
                t.add_row(*(str(row[c]) for c in cols))
        out.print(t)
        out.print(f"largest size / smallest: peak RSS {report['memory']['ratio']}, CPU per document {report['memory']['cpu_ratio']}")
    if fusion:
        from .evaluation.fusion import show_benchmark as show_fusion

        show_fusion(report["fusion"], out)
    if api:
        result = report["api"]
        t = Table(title=f"flashpoint bench --api ({requests} requests, {concurrency} at once)")
        t.add_column("measure")
        t.add_column("value", justify="right")
        for k, v in result.items():
            if not isinstance(v, dict):
                t.add_row(k, f"{v:.1f}" if isinstance(v, float) else str(v))
        out.print(t)
        k = Table(title="latency by kind of request (ms)")
        for col in ("kind", "requests", "errors", "p50", "p95", "max"):
            k.add_column(col, justify="left" if col == "kind" else "right")
        for kind, r in result["by_kind"].items():
            k.add_row(kind, str(r["requests"]), str(r["errors"]), f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}", f"{r['max_ms']:.1f}")
        out.print(k)


if __name__ == "__main__":
    app()
