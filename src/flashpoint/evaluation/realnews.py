"""`flashpoint eval realnews`: whole real news articles, every event hand-coded
(../shared/gold/realnews, scoring rules in its README).

- A predicted asserted event matches an S record when one of its evidence spans lies in the
  sentence that holds the record's `evidence` and its type is one of the accepted types; a strict
  match also needs actor and recipient to match (by ISO3 country where the gold gives one, else by
  name; an empty predicted role never matches a gold entity).
- Precision = matched predictions / asserted predictions; a second prediction of an event already
  matched is a false positive (a duplicate). Recall = matched required records / required records.
  Optional S records (`required: false`) are neither rewarded nor penalised: a prediction that
  matches one is a matched prediction, and they are left out of recall.
- On strict matches: date exact, location within `tolerance_km` (or the right country), fatalities.
- Asserted predictions in an N record's sentence that match no S record are counted apart (one per
  N record and prediction); so are the events of the articles that report no political event.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.table import Table

from .scoring import read_jsonl
from ..places import km

# Sentence ends: . ! ? (optionally closed by a quote or bracket) before white space, and line breaks.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|\n+")


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for m in SENTENCE_END.finditer(text):
        if m.start() > start:
            bounds.append((start, m.start()))
        start = m.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return bounds


def evidence_region(text: str, evidence: str, bounds: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The sentence(s) that hold the gold evidence, as one character range."""
    at = text.find(evidence)
    if at < 0:
        return None
    end = at + len(evidence)
    hit = [(s, e) for s, e in bounds if s < end and e > at]
    return (hit[0][0], hit[-1][1]) if hit else (at, end)


def in_region(pred: dict, region: tuple[int, int]) -> bool:
    """One of the prediction's evidence spans (sentence, trigger, actor, recipient) lies in the region."""
    lo, hi = region
    return any(ev["start"] >= lo - 1 and ev["end"] <= hi + 1 for ev in pred.get("evidence") or [])


def entity_match(pred: list[dict], gold: list[dict]) -> bool:
    """By ISO3 where the gold entity has a country, else by name; [] in the gold means no recipient."""
    if not gold:
        return True
    for g in gold:
        for p in pred:
            if g.get("country"):
                if p.get("country") == g["country"]:
                    return True
            elif (name := (g.get("name") or "").lower()) and (
                name in f"{p.get('name') or ''} {p.get('text') or ''}".lower()
                or (p.get("name") or "").lower() in name and len(p.get("name") or "") > 3
            ):
                return True
    return False


def typed_match(pred: dict, gold: dict) -> bool:
    return pred["event_type"] in gold["event_type"]


def strict_match(pred: dict, gold: dict) -> bool:
    return (
        typed_match(pred, gold)
        and entity_match(pred.get("actor") or [], gold.get("actor") or [])
        and entity_match(pred.get("recipient") or [], gold.get("recipient") or [])
    )


@dataclass
class Outcome:
    """One way of matching (typed or strict) over the whole set."""

    matched: int = 0  # predictions matched to a required record
    optional: int = 0  # predictions matched to an optional record
    predictions: int = 0  # asserted predictions
    duplicates: int = 0
    found: int = 0  # required records matched
    required: int = 0
    fields: dict[str, list[bool]] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return (self.matched + self.optional) / self.predictions if self.predictions else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.required if self.required else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Error:
    doc_id: str
    kind: str  # false_positive | duplicate | miss | n_violation | quiet
    gold_id: str | None
    event_type: str | None
    sentence: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__


@dataclass
class RealNewsReport:
    typed: Outcome
    strict: Outcome
    n_records: int = 0
    n_violations: list[str] = field(default_factory=list)  # (N record, asserted prediction) pairs
    quiet_docs: int = 0
    quiet_events: Counter = field(default_factory=Counter)  # doc -> asserted events in articles with no event
    errors: list[Error] = field(default_factory=list)
    per_doc: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # doc -> typed (matched, predictions, found, required)
    docs: int = 0


def geo_ok(pred: dict, gold: dict) -> bool:
    loc, p = gold["location"], pred.get("location") or {}
    if "lat" in loc:
        return p.get("lat") is not None and km(p["lat"], p["lon"], loc["lat"], loc["lon"]) <= loc.get("tolerance_km", 25)
    return p.get("country") == loc.get("country")


def match_doc(
    preds: list[dict], s_records: list[dict], regions: dict[str, tuple[int, int] | None], ok: Callable[[dict, dict], bool], out: Outcome, text: str, doc_id: str, errors: list[Error] | None
) -> set[int]:
    """Assigns each S record at most one prediction in its sentence; returns the matched prediction indexes."""
    used: set[int] = set()
    for g in sorted(s_records, key=lambda g: not g["required"]):  # required records choose first
        region = regions[g["gold_id"]]
        hits = [i for i, p in enumerate(preds) if i not in used and region and in_region(p, region) and ok(p, g)]
        if not hits:
            if g["required"]:
                out.required += 1
                if errors is not None:
                    errors.append(Error(doc_id, "miss", g["gold_id"], "/".join(g["event_type"]), text[region[0]:region[1]] if region else g["evidence"], g.get("note", "")))
            continue
        hit = min(hits, key=lambda i: (preds[i]["event_type"] != g["event_type"][0], i))
        used.add(hit)
        if g["required"]:
            out.required += 1
            out.found += 1
            out.matched += 1
        else:
            out.optional += 1
        p = preds[hit]
        checks: dict[str, bool] = {}
        if "date" in g:
            checks["date"] = p.get("date") == g["date"]
        if "location" in g:
            checks["location"] = geo_ok(p, g)
        if "fatalities" in g:
            checks["fatalities"] = (p.get("fatalities") or {}).get("best") == g["fatalities"]["best"]
        for k, v in checks.items():
            out.fields.setdefault(k, []).append(v)
    return used


def score(docs: list[dict], gold: list[dict], preds_by_doc: dict[str, list[dict]]) -> RealNewsReport:
    rep = RealNewsReport(Outcome(), Outcome(), docs=len(docs))
    by_doc: dict[str, list[dict]] = {}
    for g in gold:
        by_doc.setdefault(g["doc_id"], []).append(g)
    for d in docs:
        text, records = d["text"], by_doc.get(d["id"], [])
        bounds = sentence_bounds(text)
        regions = {g["gold_id"]: evidence_region(text, g["evidence"], bounds) for g in records}
        s_records = [g for g in records if g["gold_id"].startswith("S")]
        n_records = [g for g in records if g["gold_id"].startswith("N")]
        preds = [p for p in preds_by_doc.get(d["id"], []) if p["modality"] == "asserted"]
        if not s_records:
            rep.quiet_docs += 1
            if preds:
                rep.quiet_events[d["id"]] = len(preds)
        before = (rep.typed.matched + rep.typed.optional, rep.typed.predictions, rep.typed.found, rep.typed.required)
        for outcome, ok in ((rep.typed, typed_match), (rep.strict, strict_match)):
            errs = rep.errors if outcome is rep.typed else None
            used = match_doc(preds, s_records, regions, ok, outcome, text, d["id"], errs)
            outcome.predictions += len(preds)
            for i, p in enumerate(preds):
                if i in used:
                    continue
                dup = [g for g in s_records if regions[g["gold_id"]] and in_region(p, regions[g["gold_id"]]) and ok(p, g)]
                if dup:
                    outcome.duplicates += 1
                if errs is not None:
                    sent = next((e["text"] for e in p["evidence"] if e.get("role") == "sentence"), p["evidence"][0]["text"])
                    in_n = [g["gold_id"] for g in n_records if regions[g["gold_id"]] and in_region(p, regions[g["gold_id"]])]
                    kind = "duplicate" if dup else "n_violation" if in_n else "quiet" if not s_records else "false_positive"
                    detail = (dup[0]["gold_id"] if dup else ",".join(in_n)) or ""
                    errs.append(Error(d["id"], kind, detail or None, p["event_type"], sent, trigger_text(p)))
        after = (rep.typed.matched + rep.typed.optional, rep.typed.predictions, rep.typed.found, rep.typed.required)
        rep.per_doc[d["id"]] = tuple(a - b for a, b in zip(after, before))  # type: ignore[assignment]
        rep.n_records += len(n_records)
        for p in preds:
            if any(typed_match(p, s) and regions[s["gold_id"]] and in_region(p, regions[s["gold_id"]]) for s in s_records):
                continue
            rep.n_violations += [f"{d['id']} {g['gold_id']} {p['event_type']}" for g in n_records if regions[g["gold_id"]] and in_region(p, regions[g["gold_id"]])]
    return rep


def trigger_text(p: dict) -> str:
    trig = next((e["text"] for e in p["evidence"] if e.get("role") == "trigger"), "")
    who = ", ".join(f"{a.get('name')}({a.get('country')})" for a in p.get("actor") or [])
    whom = ", ".join(f"{a.get('name')}({a.get('country')})" for a in p.get("recipient") or [])
    return f"trigger {trig!r}; actor {who or '-'}; recipient {whom or '-'}"


def load(shared: Path) -> tuple[list[dict], list[dict]]:
    base = Path(shared) / "gold" / "realnews"
    for name in ("docs.jsonl", "gold.jsonl"):
        if not (base / name).exists():
            raise FileNotFoundError(2, "not found", str(base / name))
    return read_jsonl(base / "docs.jsonl"), read_jsonl(base / "gold.jsonl")


def predict(docs: list[dict]) -> dict[str, list[dict]]:
    from ..models import Document
    from ..pipeline import extract
    from ..readers import parse_date

    documents = [Document(id=d["id"], text=d["text"], date=parse_date(d.get("date"))) for d in docs]
    return {doc.id: [e.to_dict() for e in evs] for doc, evs in extract(documents)}


def run(shared: Path, limit: int | None = None) -> RealNewsReport:
    docs, gold = load(shared)
    docs = docs[:limit]
    return score(docs, gold, predict(docs))


def show(rep: RealNewsReport, console: Console) -> None:
    t = Table(title=f"realnews: {rep.docs} whole articles (asserted events)")
    for col in ("match", "precision", "recall", "F1", "matched", "predictions", "required found", "duplicates"):
        t.add_column(col, justify="right")
    for name, o in (("typed", rep.typed), ("strict", rep.strict)):
        t.add_row(name, f"{o.precision:.3f}", f"{o.recall:.3f}", f"{o.f1:.3f}", str(o.matched + o.optional), str(o.predictions), f"{o.found}/{o.required}", str(o.duplicates))
    console.print(t)
    console.print(
        f"must-not-assert items asserted: {len(rep.n_violations)} (N records: {rep.n_records}); "
        f"events in the {rep.quiet_docs} articles that report no political event: {sum(rep.quiet_events.values())} "
        f"({len(rep.quiet_events)} articles)"
    )
    f = Table(title="fields on strict matches")
    for col in ("field", "correct", "of"):
        f.add_column(col, justify="right")
    for k, v in sorted(rep.strict.fields.items()):
        f.add_row(k, str(sum(v)), str(len(v)))
    console.print(f)


def write_errors(rep: RealNewsReport, path: Path) -> int:
    with path.open("w", encoding="utf-8") as f:
        for e in rep.errors:
            f.write(json.dumps(e.to_dict(), ensure_ascii=False) + "\n")
    return len(rep.errors)

