"""`flashpoint eval fusion`: cross-document fusion on the bundled demo corpus.

The truth (`data/demo/fusion_truth.tsv`, written by hand) says which real event each report
describes, by document and evidence sentence, so it survives changes of the coder: a produced
(asserted) event takes the first truth row of its document whose evidence words are in the
event's sentence and whose types include the event's type (and, where given, whose actor /
country the event names). B-cubed precision and recall are averaged over the matched reports;
the unmatched ones (coder noise, or events the truth does not list) are counted apart.

Checks: no fused event holds reports of both the Iranian strike on Panjgur (16 Jan) and the
Pakistani strike near Saravan (18 Jan); the IRN -> PAK daily series (dyads.py) flags an
escalation on 16-18 January, none after it to the end of the month, and the fused events
of 19-31 January are mostly cooperative (Goldstein > 0): the return to cooperation.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ..dyads import Point, build
from ..fusion import Cluster, Report, cluster, conflict, fused_record, rules
from ..fusion import score as fusion_score

TRUTH = "fusion_truth.tsv"  # not .csv: `ingest` of the demo folder would read it as articles
SEPARATE = ("panjgur-strike", "pakistan-strike-saravan")  # 16 Jan and the 18 Jan retaliation
DYAD = ("IRN", "PAK")
SPIKE = (date(2024, 1, 16), date(2024, 1, 18))
MONTH_END = date(2024, 1, 31)


@dataclass
class TruthRow:
    doc: str
    real_event: str
    types: frozenset[str]
    evidence: str
    actor: str | None
    country: str | None


def load_truth(text: str | None = None) -> list[TruthRow]:
    if text is None:
        text = resources.files("flashpoint").joinpath("data", "demo", TRUTH).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    return [TruthRow(r["doc"], r["real_event"], frozenset(r["types"].split("|")), r["evidence"].lower(),
                     r.get("actor") or None, r.get("country") or None)
            for r in csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t", quoting=csv.QUOTE_NONE)]


def doc_keys(doc_id: str, origin: str) -> set[str]:
    """The names a truth row may give a document: its id, or its file name (without `:line`)."""
    path = origin.rsplit(":", 1)[0] if origin.rsplit(":", 1)[-1].isdigit() else origin
    return {doc_id, Path(path).name}


def sentences(record: dict[str, Any]) -> list[str]:
    return [" ".join(e["text"].lower().split()) for e in record.get("evidence") or [] if e.get("role") in ("sentence", None)]


def match(record: dict[str, Any], keys: set[str], truth: list[TruthRow]) -> TruthRow | None:
    """The truth row of an event: its first sentence (the main mention) that a row of its document matches."""
    actors = {a.get("country") for a in record.get("actor") or []}
    countries = actors | {a.get("country") for a in record.get("recipient") or []} | {(record.get("location") or {}).get("country")}
    rows = [row for row in truth if row.doc in keys and record["event_type"] in row.types
            and (row.actor is None or row.actor in actors) and (row.country is None or row.country in countries)]
    for text in sentences(record):
        for row in rows:
            if " ".join(row.evidence.split()) in text:
                return row
    return None


def bcubed(system: dict[str, str], truth: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering (item -> cluster) against the truth (item -> class)."""
    items = sorted(set(system) & set(truth))
    if not items:
        return 0.0, 0.0, 0.0
    by_sys, by_true = defaultdict(set), defaultdict(set)
    for i in items:
        by_sys[system[i]].add(i)
        by_true[truth[i]].add(i)
    p = sum(len(by_sys[system[i]] & by_true[truth[i]]) / len(by_sys[system[i]]) for i in items) / len(items)
    r = sum(len(by_sys[system[i]] & by_true[truth[i]]) / len(by_true[truth[i]]) for i in items) / len(items)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@dataclass
class FusionReport:
    reports: int
    asserted: int
    matched: int
    fused_events: int
    precision: float
    recall: float
    f1: float
    real_events: int
    unused_rows: list[str]
    mixed: list[str]  # fused events holding reports of both SEPARATE events
    unlinked: dict[str, int] = field(default_factory=dict)  # pairs of reports of one real event, by why they are apart
    points: list[Point] = field(default_factory=list)  # IRN -> PAK, every fused event
    corroborated: list[Point] = field(default_factory=list)  # IRN -> PAK, fused events of at least two outlets
    clusters: list[dict[str, Any]] = field(default_factory=list)  # multi-report fused events of the truth's events

    @property
    def ok(self) -> bool:
        return self.f1 >= 0.90 and not self.mixed and all(dyad_checks(self.points).values())


def dyad_checks(points: list[Point]) -> dict[str, bool]:
    """The spike of 16-18 January, no escalation after it to the end of the month, and more
    cooperative than conflictual fused events (Goldstein > 0 vs < 0) from 19 to 31 January."""
    after = [e for p in points if SPIKE[1] < p.period <= MONTH_END for e in p.events]
    return {
        "escalation flagged on 16-18 Jan": any(p.flag == "escalation" and SPIKE[0] <= p.period <= SPIKE[1] for p in points),
        "no escalation after it to 31 Jan": not any(p.flag == "escalation" and SPIKE[1] < p.period <= MONTH_END for p in points),
        "19-31 Jan mostly cooperative": sum(e["goldstein"] > 0 for e in after) > sum(e["goldstein"] < 0 for e in after),
    }


def dyad_rows(records: list[dict[str, Any]], actor: str, recipient: str, min_sources: int = 1) -> list[tuple]:
    """The rows dyads.build takes, from fused records (as dyads.dyad_series reads them from the store)."""
    rows = []
    for r in records:
        if (r.get("modality") == "asserted" and r.get("date") and r["n_sources"] >= min_sources
                and actor in {a.get("country") for a in r.get("actor") or []}
                and recipient in {a.get("country") for a in r.get("recipient") or []}):
            rows.append((r["event_id"], date.fromisoformat(r["date"]), r["event_type"], r.get("goldstein") or 0.0,
                         r["n_sources"], r["n_reports"], r["reports"][0].get("evidence")))
    return sorted(rows, key=lambda x: (x[1], x[0]))


def score(docs: list[Any], events: dict[str, list[dict[str, Any]]], truth: list[TruthRow]) -> FusionReport:
    """Fuse the events of the documents and score the clusters against the truth."""
    reports, keys = [], {}
    for d in docs:
        for rec in events[d.id]:
            reports.append(Report.from_record(rec, d.source, d.date))
            keys[rec["event_id"]] = doc_keys(d.id, d.origin)
    clusters: list[Cluster] = cluster(reports)
    system = {r.event_id: c.fused_id for c in clusters for r in c.reports}
    truth_of: dict[str, str] = {}
    used: set[int] = set()
    asserted = 0
    for r in reports:
        if r.modality != "asserted":
            continue
        asserted += 1
        row = match(r.record or {}, keys[r.event_id], truth)
        if row is not None:
            truth_of[r.event_id] = row.real_event
            used.add(id(row))
    p, rc, f1 = bcubed(system, truth_of)
    mixed, shown = [], []
    for c in clusters:
        real = Counter(truth_of[r.event_id] for r in c.reports if r.event_id in truth_of)
        if all(x in real for x in SEPARATE):
            mixed.append(c.fused_id)
        if len(c.reports) > 1 and real:
            shown.append({"fused_id": c.fused_id, "reports": len(c.reports), "real": dict(real)})
    unlinked: Counter = Counter()
    by_real = defaultdict(list)
    for r in reports:
        if r.event_id in truth_of:
            by_real[truth_of[r.event_id]].append(r)
    for rs in by_real.values():
        for i, a in enumerate(rs):
            for b in rs[i + 1:]:
                if system[a.event_id] != system[b.event_id]:
                    why = conflict(a, b)
                    unlinked[why or ("low score" if (fusion_score(a, b) or 0) < rules().link else "clustering")] += 1
    records = [fused_record(c) for c in clusters]
    return FusionReport(
        reports=len(reports), asserted=asserted, matched=len(truth_of), fused_events=len(clusters),
        precision=p, recall=rc, f1=f1, real_events=len(set(truth_of.values())),
        unused_rows=[f"{t.doc}: {t.evidence}" for t in truth if id(t) not in used], mixed=mixed,
        unlinked=dict(unlinked.most_common()), points=build(dyad_rows(records, *DYAD)),
        corroborated=build(dyad_rows(records, *DYAD, min_sources=2)), clusters=sorted(shown, key=lambda x: -x["reports"]),
    )


def run(shared: Path | None = None, limit: int | None = None) -> FusionReport:
    """Extract the demo corpus (the first `limit` documents) and score its fusion."""
    from ..models import Document
    from ..pipeline import extract
    from ..readers import read_paths

    docs = [d for d in read_paths([str(resources.files("flashpoint").joinpath("data", "demo"))]) if isinstance(d, Document)]
    docs = docs[:limit] if limit else docs
    events = {d.id: [e.to_dict() for e in evs] for d, evs in extract(docs)}
    return score(docs, events, load_truth())


def show(rep: FusionReport, console: Console) -> None:
    console.print(
        f"[bold]fusion[/] on the demo corpus: {rep.reports} report events ({rep.asserted} asserted) -> {rep.fused_events} fused events; "
        f"{rep.matched} asserted reports matched to {rep.real_events} real events of the truth")
    console.print(f"B-cubed precision {rep.precision:.3f}, recall {rep.recall:.3f}, [bold]F1 {rep.f1:.3f}[/] (target >= 0.90)")
    console.print(f"16 Jan strike and 18 Jan retaliation never in one fused event: {'yes' if not rep.mixed else 'NO: ' + ', '.join(rep.mixed)}")
    for label, points in (("all fused events", rep.points), ("fused events of >= 2 outlets", rep.corroborated)):
        flags = ", ".join(f"{p.period:%d %b} {p.flag}" for p in points if p.flag) or "none"
        checks = "; ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in dyad_checks(points).items())
        console.print(f"{DYAD[0]} -> {DYAD[1]} ({label}): flagged {flags}. {checks}", highlight=False)
    if rep.unlinked:
        console.print("pairs of reports of one real event left in different fused events, by reason (a hard constraint the "
                      "coded fields break, a similarity below `link`, or the clustering): "
                      + ", ".join(f"{k} {v}" for k, v in rep.unlinked.items()), highlight=False)
    t = Table(title="fused events with several reports (real events of the truth behind them)")
    for col in ("fused id", "reports", "real events (reports)"):
        t.add_column(col)
    for c in rep.clusters:
        t.add_row(c["fused_id"], str(c["reports"]), ", ".join(f"{k} ({v})" for k, v in sorted(c["real"].items())))
    console.print(t)
    if rep.unused_rows:
        console.print(f"{len(rep.unused_rows)} truth rows matched no event (the coder no longer produces them):")
        for u in rep.unused_rows:
            console.print(f"  {u}", highlight=False)
    console.print("[bold green]all targets met[/]" if rep.ok else "[bold red]a target is missed[/]")


# ---------------------------------------------------------------------------- benchmark
def synthetic(n: int, days: int = 365, seed: int = 7) -> tuple[list[Report], dict[str, str]]:
    """n per-report events of about n/3 real events over `days` days: each real event reported 1-5 times
    by different outlets, with different tolls (within 30 %), wordings, dates (a day off) and date
    precisions, sometimes without a recipient. Returns the reports and their real event ids."""
    import random

    rnd = random.Random(seed)
    countries = [f"C{i:02d}" for i in range(60)]
    types = ["ASSAULT", "COERCE", "PROTEST", "ACCUSE", "CONSULT", "AGREE", "REQUEST", "SANCTION"]
    lexicon = [f"w{i}" for i in range(20000)]
    start = date(2024, 1, 1).toordinal()
    reports: list[Report] = []
    truth: dict[str, str] = {}
    k = 0
    while len(reports) < n:
        k += 1
        actor, recipient = rnd.sample(countries, 2)
        etype, day = rnd.choice(types), start + rnd.randrange(days)
        vocab = rnd.sample(lexicon, 6)
        toll = rnd.choice([None, None, rnd.randint(1, 40)])
        for j in range(min(rnd.randint(1, 5), n - len(reports))):
            eid = f"s{len(reports):07d}"
            fat = None if toll is None else max(0, round(toll * rnd.uniform(0.8, 1.25)))
            precision = rnd.choice(["day"] * 8 + ["week"])
            d = date.fromordinal(day + rnd.choice([0, 0, 0, 1]))
            if precision == "week":
                d = date.fromordinal(d.toordinal() - d.weekday())
            reports.append(Report(
                event_id=eid, doc_id=f"doc{k}-{j}", source=f"outlet{rnd.randrange(40)}", doc_date=d, event_type=etype,
                modality="asserted", actors=frozenset([actor]), recipients=frozenset([recipient] if rnd.random() > 0.2 else []),
                date=d, precision=precision, fatalities=None if fat is None else (fat, fat, fat),
                words=frozenset(rnd.sample(vocab, 4) + rnd.sample(lexicon, 3)), confidence=0.8))
            truth[eid] = f"real{k}"
    return reports, truth


def peak_rss_kb() -> int:
    """This process's peak resident memory in KiB: Linux's VmHWM (ru_maxrss carries the parent's
    peak across fork and exec, so a spawned child would report the CLI's), else ru_maxrss."""
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def bench_one(n: int, days: int = 365, batch: int = 500) -> dict[str, Any]:
    """Fuse n synthetic reports incrementally, `batch` at a time (as ingest does): seconds, peak RSS,
    fused events and B-cubed against the generator's truth. Run it in a fresh process for the RSS."""
    import time

    from ..fusion import Fuser

    reports, truth = synthetic(n, days)
    rss0 = peak_rss_kb()
    f = Fuser()
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, n, batch):
        f.update(reports[i:i + batch])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    system = {r.event_id: cl.fused_id for cl in f.clusters() for r in cl.reports}
    p, r, f1 = bcubed(system, truth)
    peak = peak_rss_kb()
    return {"reports": n, "days": days, "real_events": len(set(truth.values())), "fused_events": len(set(system.values())),
            "seconds": seconds, "cpu_seconds": cpu, "reports_per_s": n / seconds, "peak_rss_mb": peak / 1024, "rss_growth_mb": (peak - rss0) / 1024,
            "precision": p, "recall": r, "f1": f1}


def benchmark(sizes: tuple[int, ...] = (10_000, 100_000)) -> list[dict[str, Any]]:
    """bench_one for each size over one year (the density of reports grows with n), then over a
    span that grows with n (10,000 reports a year: the same density), each in a fresh process
    (so that its peak memory is its own)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    out = []
    runs = [(n, 365) for n in sizes] + [(n, 365 * n // sizes[0]) for n in sizes]
    for n, days in runs:
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            out.append(pool.submit(bench_one, n, days).result())
    return out


def show_benchmark(results: list[dict[str, Any]], console: Console) -> None:
    import math

    t = Table(title="flashpoint bench --fusion (synthetic reports, fused incrementally 500 at a time)")
    for col in ("reports", "days", "real events", "fused events", "seconds", "CPU s", "reports/s", "peak RSS MB", "B-cubed P", "R", "F1"):
        t.add_column(col, justify="right")
    for r in results:
        t.add_row(f"{r['reports']:,}", f"{r['days']:,}", f"{r['real_events']:,}", f"{r['fused_events']:,}", f"{r['seconds']:.1f}", f"{r['cpu_seconds']:.1f}",
                  f"{r['reports_per_s']:,.0f}", f"{r['peak_rss_mb']:.0f}", f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}")
    console.print(t)
    for a, b in zip(results, results[1:]):
        if b["reports"] <= a["reports"]:
            continue
        nlogn = b["reports"] * math.log(b["reports"]) / (a["reports"] * math.log(a["reports"]))
        console.print(f"{a['reports']:,} -> {b['reports']:,} reports over {a['days']:,} -> {b['days']:,} days: "
                      f"time x{b['seconds'] / a['seconds']:.1f} (CPU x{b['cpu_seconds'] / a['cpu_seconds']:.1f}), peak RSS x{b['peak_rss_mb'] / a['peak_rss_mb']:.1f} "
                      f"(n log n would be x{nlogn:.1f}, n^2 x{(b['reports'] / a['reports']) ** 2:.0f})")
