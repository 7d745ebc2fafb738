"""`flashpoint eval facts`: when and how many, according to whom, on the seed gold.

Events are matched to gold records exactly as `flashpoint eval seed` does (evaluate.score). For
each matched record: the date (right when equal to the gold date or inside its date_range), the
fatalities and injuries (best/low/high equal to the gold's), which gold claims were found (a
predicted claim with the same field, the same value, and a source sharing a content word with the
gold source), and `contested`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

STOPWORDS = {"a", "an", "the", "of", "in", "on", "at", "and", "s", "for", "to", "from", "by", "its"}


@dataclass
class ClaimCheck:
    field: str
    value: Any
    source: str | None
    found: bool
    matched: dict | None = None  # the predicted claim that matched


@dataclass
class EventCheck:
    gold_id: str
    date_gold: str | None
    date_pred: str | None
    precision_pred: str
    date_text: str | None
    date_ok: bool | None
    fatalities_gold: dict | None = None
    fatalities_pred: dict | None = None
    injuries_gold: dict | None = None
    injuries_pred: dict | None = None
    claims: list[ClaimCheck] = field(default_factory=list)
    contested_gold: bool | None = None
    contested_pred: bool = False
    predicted_claims: int = 0

    @property
    def fatalities_ok(self) -> bool | None:
        return None if self.fatalities_gold is None else self.fatalities_pred == self.fatalities_gold

    @property
    def injuries_ok(self) -> bool | None:
        return None if self.injuries_gold is None else self.injuries_pred == self.injuries_gold

    @property
    def contested_ok(self) -> bool | None:
        return None if self.contested_gold is None else self.contested_pred == self.contested_gold


@dataclass
class Report:
    events: list[EventCheck] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # required gold records no prediction matched

    def tally(self, attr: str) -> tuple[int, int]:
        vals = [getattr(e, attr) for e in self.events if getattr(e, attr) is not None]
        return sum(vals), len(vals)

    @property
    def claims_found(self) -> tuple[int, int]:
        cs = [c for e in self.events for c in e.claims]
        return sum(c.found for c in cs), len(cs)


def words(s: str | None) -> set[str]:
    out = set()
    for w in re.findall(r"[a-z0-9]+", (s or "").lower()):
        if w not in STOPWORDS:
            out.add(w[:-1] if len(w) > 3 and w.endswith("s") else w)  # officials ~ official
    return out


def same_value(gold: Any, pred: Any) -> bool:
    if isinstance(gold, (int, list)) or isinstance(pred, (int, list)):
        return gold == pred
    return words(str(gold)) == words(str(pred))


def claim_match(gold: dict, pred: dict) -> bool:
    return gold["field"] == pred.get("field") and same_value(gold["value"], pred.get("value")) and bool(words(gold.get("source")) & words(pred.get("source")))


def date_check(gold: dict, pred: dict) -> tuple[str | None, bool | None]:
    if "date" in gold:
        return gold["date"], pred.get("date") == gold["date"]
    if "date_range" in gold:
        lo, hi = gold["date_range"]
        return f"{lo}..{hi}", bool(pred.get("date")) and lo <= pred["date"] <= hi
    return None, None


def check(gold: dict, pred: dict) -> EventCheck:
    date_gold, date_ok = date_check(gold, pred)
    preds = pred.get("claims") or []
    golds = gold.get("claims") or []
    # one predicted claim per gold claim, the pairs sharing most source words first
    pairs = sorted(
        ((len(words(g.get("source")) & words(p.get("source"))), i, k) for i, g in enumerate(golds) for k, p in enumerate(preds) if claim_match(g, p)),
        key=lambda x: (-x[0], x[1], x[2]),
    )
    hit: dict[int, dict] = {}
    used: set[int] = set()
    for _, i, k in pairs:
        if i not in hit and k not in used:
            hit[i] = preds[k]
            used.add(k)
    claims = [ClaimCheck(g["field"], g["value"], g.get("source"), i in hit, hit.get(i)) for i, g in enumerate(golds)]
    return EventCheck(
        gold_id=gold["gold_id"],
        date_gold=date_gold,
        date_pred=pred.get("date"),
        precision_pred=pred.get("date_precision") or "unknown",
        date_text=pred.get("date_text"),
        date_ok=date_ok,
        fatalities_gold=gold.get("fatalities"),
        fatalities_pred=pred.get("fatalities"),
        injuries_gold=gold.get("injuries"),
        injuries_pred=pred.get("injuries"),
        claims=claims,
        contested_gold=gold.get("contested"),
        contested_pred=bool(pred.get("contested")),
        predicted_claims=len(preds),
    )


def run(shared: Path, limit: int | None = None) -> Report:
    """Score the seed article's dates and facts; `limit`: only the first N matched gold records."""
    import json

    from .scoring import SEED, seed

    gold = {g["gold_id"]: g for g in map(json.loads, (shared / "gold" / f"{SEED}.gold.jsonl").read_text().splitlines()) if g}
    rep = seed(shared)
    matches = sorted(rep.matches, key=lambda m: m[0])[: limit if limit is not None else None]
    return Report([check(gold[gid], pred) for gid, pred in matches], list(rep.missed))


def mark(ok: bool | None) -> str:
    return "" if ok is None else "[green]✓[/]" if ok else "[red]✗[/]"


def fmt_count(c: dict | None) -> str:
    return "-" if not c else f"{c['best']} ({c['low']}-{c['high']})"


def show(report: Report, console: Console) -> None:
    parts = []
    for label, attr in (("dates", "date_ok"), ("fatalities", "fatalities_ok"), ("injuries", "injuries_ok"), ("contested", "contested_ok")):
        ok, n = report.tally(attr)
        parts.append(f"{label} {ok}/{n}")
    found, total = report.claims_found
    console.print(f"[bold]facts[/] on {len(report.events)} matched gold events: " + ", ".join(parts) + f", gold claims found {found}/{total}")
    if report.missed:
        console.print(f"unmatched required gold records: {', '.join(report.missed)}")
    t = Table(title="per matched event")
    for col in ("gold", "date (pred)", "precision", "date_text", "date (gold)", "", "fatalities", "injuries", "claims", "contested"):
        t.add_column(col)
    for e in report.events:
        fat = "" if e.fatalities_gold is None else f"{fmt_count(e.fatalities_pred)} vs {fmt_count(e.fatalities_gold)} {mark(e.fatalities_ok)}"
        inj = "" if e.injuries_gold is None else f"{fmt_count(e.injuries_pred)} vs {fmt_count(e.injuries_gold)} {mark(e.injuries_ok)}"
        found = sum(c.found for c in e.claims)
        cl = f"{found}/{len(e.claims)} gold ({e.predicted_claims} found)" if e.claims else (str(e.predicted_claims) if e.predicted_claims else "")
        con = "" if e.contested_gold is None else f"{e.contested_pred} {mark(e.contested_ok)}"
        t.add_row(e.gold_id, e.date_pred or "-", e.precision_pred, e.date_text or "-", e.date_gold or "-", mark(e.date_ok), fat, inj, cl, con)
    console.print(t)
    for e in report.events:
        if not e.claims:
            continue
        ct = Table(title=f"{e.gold_id}: gold claims")
        for col in ("field", "value", "source (gold)", "", "found as"):
            ct.add_column(col)
        for c in e.claims:
            m = c.matched
            ct.add_row(c.field, str(c.value), c.source or "-", mark(c.found), f"{m['value']} — {m.get('source')}: {m.get('quote')!r}" if m else "")
        console.print(ct)
