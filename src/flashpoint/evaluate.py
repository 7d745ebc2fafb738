"""`flashpoint eval seed`: score extraction of the seed article against its hand-coded gold events.

Scoring (../shared/gold/README.md): recall over required S records (type + actor + recipient
match), precision over asserted predictions (a prediction matching no S record is a false
positive), per-field accuracy on matched events, and zero tolerance for an N record coded as asserted.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

SEED = "iran_pakistan_2024-01-17"


def entity_match(pred: list[dict], gold: list[dict]) -> bool:
    if not gold:
        return True
    for p in pred:
        for g in gold:
            if g.get("country") and p.get("country") == g["country"]:
                return True
            name = (g.get("name") or "").lower()
            if name and name in f"{p.get('name') or ''} {p.get('text') or ''}".lower():
                return True
    return False


def event_match(pred: dict, gold: dict) -> bool:
    return (
        pred["event_type"] in gold["event_type"]
        and entity_match(pred.get("actor") or [], gold.get("actor") or [])
        and entity_match(pred.get("recipient") or [], gold.get("recipient") or [])
    )


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def field_checks(pred: dict, gold: dict) -> dict[str, bool]:
    """Per-field agreement for the fields the gold record codes."""
    out: dict[str, bool] = {}
    if "date" in gold:
        out["date"] = pred.get("date") == gold["date"]
    elif "date_range" in gold:
        lo, hi = gold["date_range"]
        out["date"] = bool(pred.get("date")) and lo <= pred["date"] <= hi
    loc = gold.get("location")
    if loc and "lat" in loc:
        p = pred.get("location") or {}
        out["location"] = p.get("lat") is not None and km(p["lat"], p["lon"], loc["lat"], loc["lon"]) <= loc["tolerance_km"]
    elif loc:
        out["location"] = (pred.get("location") or {}).get("country") == loc.get("country")
    for f in ("fatalities", "injuries"):
        if f in gold:
            out[f] = pred.get(f) == gold[f]
    if "contested" in gold:
        out["contested"] = bool(pred.get("contested")) == gold["contested"]
    if gold.get("cameo"):
        out["cameo"] = pred.get("cameo") in gold["cameo"]
    if gold.get("mode"):
        out["mode"] = any(m in gold["mode"] for m in pred.get("mode") or []) or (None in gold["mode"] and not pred.get("mode"))
    out["modality"] = pred.get("modality") == gold.get("modality", "asserted")
    return out


@dataclass
class SeedReport:
    required: int = 0
    found: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    predictions: int = 0
    false_positives: list[dict] = field(default_factory=list)
    n_violations: list[str] = field(default_factory=list)
    fields: dict[str, list[bool]] = field(default_factory=dict)
    matches: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return len(self.found) / self.required if self.required else 0.0

    @property
    def precision(self) -> float:
        return 1 - len(self.false_positives) / self.predictions if self.predictions else 0.0


def score(gold: list[dict[str, Any]], preds: list[dict[str, Any]]) -> SeedReport:
    rep = SeedReport()
    s_records = [g for g in gold if g["gold_id"].startswith("S")]
    n_records = [g for g in gold if g["gold_id"].startswith("N")]
    asserted = [p for p in preds if p["modality"] == "asserted"]
    rep.predictions = len(asserted)
    rep.required = sum(g["required"] for g in s_records)
    unused = list(asserted)
    for g in s_records:  # one prediction per gold record, the first that matches
        hit = next((p for p in unused if event_match(p, g)), None)
        if hit is None:
            if g["required"]:
                rep.missed.append(g["gold_id"])
            continue
        unused.remove(hit)
        rep.matches.append((g["gold_id"], hit))
        if g["required"]:
            rep.found.append(g["gold_id"])
        for k, ok in field_checks(hit, g).items():
            rep.fields.setdefault(k, []).append(ok)
    # Further mentions of an already matched gold event are duplicates, not inventions.
    rep.false_positives = [p for p in unused if not any(event_match(p, g) for g in s_records)]
    for g in n_records:
        for p in asserted:
            if event_match(p, g):
                rep.n_violations.append(f"{g['gold_id']}: {p['event_type']} {p['evidence'][0]['text'][:80]!r}")
    return rep


def seed(shared: Path) -> SeedReport:
    from .readers import read_paths
    from .models import Document
    from .pipeline import extract

    gold = [json.loads(line) for line in (shared / "gold" / f"{SEED}.gold.jsonl").read_text().splitlines() if line.strip()]
    path = shared / "seed" / f"{SEED}.txt"
    if not path.exists():
        raise FileNotFoundError(2, "not found", str(path))
    docs = [d for d in read_paths([path]) if isinstance(d, Document)]
    preds = [e.to_dict() for _, evs in extract(docs) for e in evs]
    return score(gold, preds)


def print_seed(rep: SeedReport, console: Console) -> None:
    console.print(
        f"[bold]seed[/]: recall {len(rep.found)}/{rep.required} = {rep.recall:.2f}; "
        f"asserted predictions {rep.predictions}, false positives {len(rep.false_positives)}, "
        f"precision {rep.precision:.2f}; N records coded as asserted: {len(rep.n_violations)}"
    )
    if rep.missed:
        console.print(f"missed: {', '.join(rep.missed)}")
    t = Table(title="per-field accuracy on matched events")
    for col in ("field", "correct", "of", "accuracy"):
        t.add_column(col)
    for k, v in sorted(rep.fields.items()):
        t.add_row(k, str(sum(v)), str(len(v)), f"{sum(v) / len(v):.2f}")
    console.print(t)
    for p in rep.false_positives:
        console.print(f"[yellow]false positive[/] {p['event_type']} {p['evidence'][0]['text'][:100]!r}", highlight=False)
    for v in rep.n_violations:
        console.print(f"[red]N violation[/] {v}", highlight=False)
