"""Geoparsing evaluation on the shared TR-News and LGL corpora (shared/eval/geo/*.xml).

Each corpus is `<articles><article docid=...><text>...</text><toponyms><toponym><start/><end/>
<phrase/><gaztag geonameid=...><name/><fcode/><lat/><lon/>...</gaztag></toponym>...` with
character offsets into the text; a toponym without a gaztag (a street, a building) counts for
recognition only. Both corpora annotate adjectival and demonymic uses of a country ("Turkish",
"Palestinians") as toponyms of that country, so the geoparser's demonyms are scored with its places.

Recognition: a prediction matches a gold toponym when their spans overlap (one to one); precision,
recall and F1 over all gold toponyms (strict, same-span scores are reported too). Resolution, on
the matched toponyms that have coordinates in the gold: the great-circle error in km, accuracy
within 161 km (100 miles), mean and median error and the area under the curve of the sorted
log errors (AUC: 0 is perfect, 1 is the antipode everywhere; Gritta et al. 2018). A matched
toponym the geoparser could not place counts as the largest possible error (20,039 km).
"""

from __future__ import annotations

import math
import statistics
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .scoring import prf
from ..places import km

CORPORA = {"tr-news": "tr_news.xml", "lgl": "lgl.xml"}
MAX_KM = 20039.0


@dataclass
class GoldToponym:
    start: int
    end: int
    phrase: str
    lat: float | None = None
    lon: float | None = None
    name: str | None = None
    feature: str | None = None


@dataclass
class Article:
    docid: str
    text: str
    toponyms: list[GoldToponym]


@dataclass
class CorpusReport:
    name: str
    documents: int = 0
    gold: int = 0
    predicted: int = 0
    matched: int = 0
    exact: int = 0
    errors: list[float] = field(default_factory=list)
    unresolved: int = 0
    seconds: float = 0.0
    misses: list[dict[str, Any]] = field(default_factory=list)  # for error analysis

    @property
    def precision(self) -> float:
        return prf(self.matched, self.predicted - self.matched, self.gold - self.matched)[0]

    @property
    def recall(self) -> float:
        return prf(self.matched, self.predicted - self.matched, self.gold - self.matched)[1]

    @property
    def f1(self) -> float:
        return prf(self.matched, self.predicted - self.matched, self.gold - self.matched)[2]

    @property
    def strict_f1(self) -> float:
        return prf(self.exact, self.predicted - self.exact, self.gold - self.exact)[2]

    @property
    def acc161(self) -> float:
        return sum(e <= 161 for e in self.errors) / len(self.errors) if self.errors else 0.0

    @property
    def mean_km(self) -> float:
        return statistics.fmean(self.errors) if self.errors else 0.0

    @property
    def median_km(self) -> float:
        return statistics.median(self.errors) if self.errors else 0.0

    @property
    def auc(self) -> float:
        return auc(self.errors)


@dataclass
class Report:
    corpora: dict[str, CorpusReport] = field(default_factory=dict)


def auc(errors: list[float]) -> float:
    """Area under the curve of sorted log(1 + error km) scaled by log(1 + 20039): 0 is best."""
    if not errors:
        return 0.0
    xs = sorted(math.log(1 + min(e, MAX_KM)) / math.log(1 + MAX_KM) for e in errors)
    if len(xs) == 1:
        return xs[0]
    return sum((a + b) / 2 for a, b in zip(xs, xs[1:])) / (len(xs) - 1)


def _align(text: str, start: int, end: int, phrase: str) -> tuple[int, int]:
    """Gold offsets that are off by a character or two (TR-News) moved onto the phrase."""
    if text[start:end] == phrase:
        return start, end
    best = None
    for d in range(1, 6):
        for s in (start - d, start + d):
            if 0 <= s and text[s : s + len(phrase)] == phrase:
                best = s
                break
        if best is not None:
            break
    if best is None:
        return start, end
    return best, best + len(phrase)


def read_corpus(path: Path, limit: int | None = None) -> list[Article]:
    root = ET.parse(path).getroot()
    out = []
    for a in root.iter("article"):
        text = a.findtext("text") or ""
        tops = []
        for t in a.iter("toponym"):
            try:
                s, e = int(t.findtext("start") or ""), int(t.findtext("end") or "")
            except ValueError:
                continue
            phrase = t.findtext("phrase") or text[s:e]
            s, e = _align(text, s, e, phrase)
            g = t.find("gaztag")
            lat = lon = None
            name = feature = None
            if g is not None:
                try:
                    lat, lon = float(g.findtext("lat") or ""), float(g.findtext("lon") or "")
                except ValueError:
                    pass
                name, feature = g.findtext("name"), g.findtext("fcode")
            tops.append(GoldToponym(s, e, phrase, lat, lon, name, feature))
        out.append(Article(a.get("docid") or str(len(out)), text, tops))
        if limit and len(out) >= limit:
            break
    return out


def score_document(rep: CorpusReport, art: Article, preds: list[dict[str, Any]]) -> None:
    rep.documents += 1
    rep.gold += len(art.toponyms)
    rep.predicted += len(preds)
    used: set[int] = set()
    for g in art.toponyms:
        best, overlap = None, 0
        for k, p in enumerate(preds):
            if k in used:
                continue
            o = min(g.end, p["end"]) - max(g.start, p["start"])
            if o > overlap:
                best, overlap = k, o
        if best is None:
            rep.misses.append({"doc": art.docid, "kind": "missed", "phrase": g.phrase, "gold": g.name})
            continue
        used.add(best)
        p = preds[best]
        rep.matched += 1
        rep.exact += (p["start"], p["end"]) == (g.start, g.end)
        if g.lat is None:
            continue
        if p.get("lat") is None:
            rep.unresolved += 1
            rep.errors.append(MAX_KM)
            rep.misses.append({"doc": art.docid, "kind": "unresolved", "phrase": g.phrase, "gold": g.name})
            continue
        err = km(p["lat"], p["lon"], g.lat, g.lon)
        rep.errors.append(err)
        if err > 161:
            rep.misses.append({"doc": art.docid, "kind": "far", "phrase": g.phrase, "gold": f"{g.name} {g.feature} {g.lat},{g.lon}",
                               "pred": f"{p.get('name')} {p.get('feature_code')} {p.get('country')} {p.get('admin1')}", "km": round(err)})
    for k, p in enumerate(preds):
        if k not in used:
            rep.misses.append({"doc": art.docid, "kind": "spurious", "phrase": p["text"], "pred": p.get("name")})


def run_corpus(name: str, path: Path, limit: int | None = None) -> CorpusReport:
    from ..geoparse import geoparse_documents

    arts = read_corpus(path, limit)
    rep = CorpusReport(name)
    t0 = time.perf_counter()
    results = list(geoparse_documents(a.text for a in arts))
    rep.seconds = time.perf_counter() - t0
    for art, res in zip(arts, results):
        score_document(rep, art, res["toponyms"] + res["demonyms"])
    return rep


def run(shared: Path, limit: int | None = None) -> Report:
    """Geoparse the TR-News and LGL articles (the first `limit` of each) and score them."""
    geo = Path(shared) / "eval" / "geo"
    report = Report()
    for name, fname in CORPORA.items():
        path = geo / fname
        if not path.exists():
            raise FileNotFoundError(2, "not found", str(path))
        report.corpora[name] = run_corpus(name, path, limit)
    return report


def show(report: Report, console: Console) -> None:
    t = Table(title="geoparsing: toponym recognition (overlapping spans) and resolution")
    for col in ("corpus", "docs", "gold", "pred", "P", "R", "F1", "strict F1", "resolved", "acc@161km", "mean km", "median km", "AUC", "docs/s"):
        t.add_column(col, justify="right" if col != "corpus" else "left")
    for r in report.corpora.values():
        t.add_row(
            r.name, str(r.documents), str(r.gold), str(r.predicted), f"{r.precision:.3f}", f"{r.recall:.3f}", f"{r.f1:.3f}",
            f"{r.strict_f1:.3f}", str(len(r.errors)), f"{r.acc161:.3f}", f"{r.mean_km:,.0f}", f"{r.median_km:,.1f}", f"{r.auc:.3f}",
            f"{r.documents / r.seconds:.1f}" if r.seconds else "-",
        )
    console.print(t)


def show_benchmark(result: dict[str, float], console: Console) -> None:
    t = Table(title="flashpoint bench (geoparse)")
    for col in ("documents", "toponyms", "seconds", "docs/s", "chars/s", "start-up s"):
        t.add_column(col)
    t.add_row(str(result["documents"]), str(result["toponyms"]), f"{result['seconds']:.1f}", f"{result['docs_per_s']:.1f}",
              f"{result['chars_per_s']:,.0f}", f"{result['startup_s']:.1f}")
    console.print(t)
