"""`flashpoint eval NAME`: scores on the shared evaluation sets.

seed: extraction of the seed article against its hand-coded gold events.

Scoring (../shared/gold/README.md): recall over required S records (type + actor + recipient
match), precision over asserted predictions (a prediction matching no S record is a false
positive), per-field accuracy on matched events, and zero tolerance for an N record coded as asserted.

plover-gsr: one label per PLOVER gold-standard sentence (the main event's type), plus actor and
recipient country F1 over (sentence, role, ISO3) triples.
case2021: CASE 2021 task 2 snippets, each labelled with the CASE code of its most severe event.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ..places import km

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


def evidence_overlap(pred: dict, gold: dict) -> int:
    """How many words of the gold evidence the prediction's evidence shares (ties keep text order)."""
    words = set(re.findall(r"\w+", (gold.get("evidence") or "").lower()))
    text = " ".join(e["text"] for e in pred.get("evidence") or []).lower()
    return len(words & set(re.findall(r"\w+", text)))


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
    for g in s_records:  # one prediction per gold record: of those that match, the one whose evidence states it
        hits = [p for p in unused if event_match(p, g)]
        hit = max(hits, key=lambda p: (evidence_overlap(p, g), p["event_type"] == g["event_type"][0])) if hits else None
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
    from ..readers import read_paths
    from ..models import Document
    from ..pipeline import extract

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


# --- shared helpers for the sentence-level evaluations (plover-gsr, case2021) -----------------


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts; 0.0 where a denominator is zero."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@dataclass
class LabelScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return prf(self.tp, self.fp, self.fn)[0]

    @property
    def recall(self) -> float:
        return prf(self.tp, self.fp, self.fn)[1]

    @property
    def f1(self) -> float:
        return prf(self.tp, self.fp, self.fn)[2]


@dataclass
class Classification:
    """Single-label scores. Macro and weighted F1 average over the labels that occur in the gold data;
    a prediction outside that set (e.g. NONE) is simply wrong: it lowers the recall of the gold label."""

    gold: list[str]
    pred: list[str]
    scores: dict[str, LabelScore] = field(default_factory=dict)  # gold labels only

    def __post_init__(self) -> None:
        if len(self.gold) != len(self.pred):
            raise ValueError("gold and predicted labels differ in length")
        self.scores = {lab: LabelScore() for lab in sorted(set(self.gold))}
        for g, p in zip(self.gold, self.pred):
            if g == p:
                self.scores[g].tp += 1
                continue
            self.scores[g].fn += 1
            if p in self.scores:
                self.scores[p].fp += 1

    @property
    def accuracy(self) -> float:
        return sum(g == p for g, p in zip(self.gold, self.pred)) / len(self.gold) if self.gold else 0.0

    @property
    def macro_f1(self) -> float:
        return sum(s.f1 for s in self.scores.values()) / len(self.scores) if self.scores else 0.0

    @property
    def weighted_f1(self) -> float:
        n = sum(s.support for s in self.scores.values())
        return sum(s.f1 * s.support for s in self.scores.values()) / n if n else 0.0

    def confusions(self) -> Counter[tuple[str, str]]:
        """(gold, predicted) -> count, errors only."""
        return Counter((g, p) for g, p in zip(self.gold, self.pred) if g != p)


@dataclass
class Item:
    id: str
    text: str
    gold: str
    pred: str
    events: list[str] = field(default_factory=list)  # a one-line summary of every coded event
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SentenceReport:
    name: str
    items: list[Item]
    seconds: float
    classification: Classification = field(init=False)
    countries: dict[str, LabelScore] = field(default_factory=dict)  # plover-gsr: actor / recipient / combined
    out_of_scope: Counter = field(default_factory=Counter)  # case2021: items left out, by gold label

    def __post_init__(self) -> None:
        self.classification = Classification([i.gold for i in self.items], [i.pred for i in self.items])

    @property
    def rate(self) -> float:
        return len(self.items) / self.seconds if self.seconds else 0.0


def run_extract(texts: list[tuple[str, str]]) -> tuple[list[list[Any]], float]:
    """(id, text) pairs -> the events of each (in input order) and the extraction time in seconds."""
    from ..models import Document
    from ..nlp import load_nlp
    from ..pipeline import extract

    load_nlp()  # model start-up is not part of the measured time
    docs = [Document(id=i, text=t) for i, t in texts]
    t0 = time.perf_counter()
    events = [evs for _, evs in extract(docs, batch_size=64)]
    return events, time.perf_counter() - t0


def summary(e: Any) -> str:
    acled = f" [{e.acled['sub_event_type']}]" if e.acled else ""
    return f"{e.event_type}{acled} {e.modality} g={e.goldstein} c={e.confidence} {e.trigger.text if e.trigger else ''!r}"


def write_errors(rep: SentenceReport, path: Path) -> int:
    errors = [i for i in rep.items if i.gold != i.pred]
    with path.open("w", encoding="utf-8") as f:
        for i in errors:
            row = {"id": i.id, "text": i.text, "gold": i.gold, "predicted": i.pred, "events": i.events, **i.extra}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(errors)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- plover-gsr: the PLOVER gold-standard sentences -----------------------------------------

CAMEO_COUNTRY = {"JAP": "JPN", "ITL": "ITA", "VTN": "VNM"}  # CAMEO spellings that are not ISO 3166 codes


def gsr_country(code: str | None) -> str | None:
    """ISO3 of a CAMEO-style actor code ("IRNGOV" -> "IRN"); None for IGO, NGO, IMG, ..."""
    import pycountry

    head = (code or "")[:3].upper()
    head = CAMEO_COUNTRY.get(head, head)
    return head if len(head) == 3 and pycountry.countries.get(alpha_3=head) else None


def gsr_countries(actors: Any) -> set[str]:
    if not isinstance(actors, list):  # the file has "" and missing targets
        return set()
    return {c for a in actors if isinstance(a, dict) and (c := gsr_country(a.get("code")))}


def main_event(events: list[Any]) -> Any | None:
    """The sentence's event: asserted first, then the most confident."""
    return max(events, key=lambda e: (e.modality == "asserted", e.confidence), default=None)


def plover_gsr(shared: Path, limit: int | None = None) -> SentenceReport:
    rows = read_jsonl(shared / "eval" / "plover_gsr.jsonl")[:limit]
    events, seconds = run_extract([(r["id"], r["text"]) for r in rows])
    items = []
    roles = {"actor": LabelScore(), "recipient": LabelScore()}
    for r, evs in zip(rows, events):
        ev = main_event(evs)
        gold = {"actor": gsr_countries(r.get("source")), "recipient": gsr_countries(r.get("target"))}
        # One event per recipient is how the coder splits "with Congo and Costa Rica": the main
        # event's roles are those of all events from its trigger.
        same = [e for e in evs if ev and e.trigger == ev.trigger and e.event_type == ev.event_type]
        pred = {
            "actor": {a.country for e in same for a in e.actor if a.country},
            "recipient": {a.country for e in same for a in e.recipient if a.country},
        }
        for role, s in roles.items():
            s.tp += len(gold[role] & pred[role])
            s.fp += len(pred[role] - gold[role])
            s.fn += len(gold[role] - pred[role])
        extra = {f"{k}_{role}": sorted(v[role]) for k, v in (("gold", gold), ("predicted", pred)) for role in roles}
        items.append(Item(r["id"], r["text"], r["event"], ev.event_type if ev else "NONE", [summary(e) for e in evs], extra))
    a, b = roles["actor"], roles["recipient"]
    roles["combined"] = LabelScore(a.tp + b.tp, a.fp + b.fp, a.fn + b.fn)
    return SentenceReport("plover-gsr", items, seconds, countries=roles)


# --- case2021: CASE 2021 task 2, fine-grained (ACLED + unseen) event classification ----------

# ACLED sub-event type (as the coder writes it) -> CASE 2021 task 2 label.
CASE_LABELS = {
    "armed clash": "ARMED_CLASH",
    "government regains territory": "GOV_REGAINS_TERIT",
    "non state actor overtakes territory": "NON_STATE_ACTOR_OVERTAKES_TER",
    "chemical weapon": "CHEM_WEAP",
    "air drone strike": "AIR_STRIKE",
    "suicide bomb": "SUIC_BOMB",
    "shelling artillery missile attack": "ART_MISS_ATTACK",
    "remote explosive landmine ied": "REM_EXPLOS",
    "grenade": "GRENADE",
    "sexual violence": "SEX_VIOL",
    "attack": "ATTACK",
    "abduction forced disappearance": "ABDUCT_DISSAP",
    "peaceful protest": "PEACE_PROTEST",
    "protest with intervention": "PROTEST_WITH_INTER",
    "excessive force against protesters": "FORCE_AGAINST_PROTEST",
    "violent demonstration": "VIOL_DEMONSTR",
    "mob violence": "MOB_VIOL",
    "agreement": "AGREEMENT",
    "arrests": "ARREST",
    "change to group activity": "CHANGE_TO_GROUP_ACT",
    "disrupted weapons use": "DISR_WEAP",
    "headquarters or base established": "HQ_ESTABLISHED",
    "non violent transfer of territory": "NON_VIOL_TERRIT_TRANSFER",
    "looting property destruction": "PROPERTY_DISTRUCT",
    "other": "OTHER",
}
# Most severe first; the diplomatic tier sits below every ACLED category.
SEVERITY = {"battles": 0, "explosions remote violence": 0, "violence against civilians": 1, "riots": 2, "protests": 3, "strategic developments": 4}
DIPLO_TIER = 5
# The task's extra types that are not political events; the targets are over ACLED's types and DIPLO.
OUT_OF_SCOPE = {"NATURAL_DISASTER", "MAN_MADE_DISASTER", "ORG_CRIME", "ATTRIB"}
VERBAL = {"AGREE", "CONSULT", "SUPPORT", "CONCEDE", "REQUEST", "ACCUSE", "REJECT", "THREATEN"}
DIPLO_IF_UNMAPPED = {"SANCTION", "AID", "COOPERATE", "RETREAT"}


def norm(label: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", label.lower()).split())


def case_label(e: Any) -> tuple[int, str] | None:
    """(severity tier, CASE label) of one event, or None when it has no CASE counterpart."""
    if e.acled:
        label = CASE_LABELS.get(norm(e.acled["sub_event_type"]))
        tier = SEVERITY.get(norm(e.acled["event_type"]))
        if label and tier is not None:
            return tier, label
    if e.event_type in VERBAL or (e.event_type in DIPLO_IF_UNMAPPED and not e.acled):
        return DIPLO_TIER, "DIPLO"
    return None


def case_predict(events: list[Any]) -> str:
    """The label of the most severe event (asserted events first; ties: lowest Goldstein, most confident)."""
    pool = [e for e in events if e.modality == "asserted"] or events
    scored = [(lab, e) for e in pool if (lab := case_label(e))]
    if not scored:
        return "NONE"
    (_, label), _ = min(scored, key=lambda x: (x[0][0], x[1].goldstein if x[1].goldstein is not None else 0.0, -x[1].confidence))
    return label


def case2021(shared: Path, limit: int | None = None) -> SentenceReport:
    with (shared / "eval" / "case2021_task2_dev.tsv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[:limit]
    skipped = Counter(r["SubType"].strip() for r in rows if r["SubType"].strip() in OUT_OF_SCOPE)
    rows = [r for r in rows if r["SubType"].strip() not in OUT_OF_SCOPE]
    events, seconds = run_extract([(r["id"], r["EventSnippet"]) for r in rows])
    items = [
        Item(r["id"], r["EventSnippet"], r["SubType"].strip(), case_predict(evs), [summary(e) for e in evs])
        for r, evs in zip(rows, events)
    ]
    rep = SentenceReport("case2021", items, seconds)
    rep.out_of_scope = skipped
    return rep


# --- printing ---------------------------------------------------------------------------------


def print_timing(rep: SentenceReport, console: Console) -> None:
    console.print(f"{len(rep.items)} items in {rep.seconds:.1f} s ({rep.rate:.1f} sentences/s, model load excluded)")


def print_top_confusions(rep: SentenceReport, console: Console, n: int = 15) -> None:
    t = Table(title=f"top {n} confusions")
    for col in ("gold", "predicted", "count"):
        t.add_column(col)
    for (g, p), c in rep.classification.confusions().most_common(n):
        t.add_row(g, p, str(c))
    console.print(t)


SHORT = {"CONCEDE": "CNC", "CONSULT": "CNS", "COERCE": "COE", "COOPERATE": "COP", "REQUEST": "RQS", "RETREAT": "RET", "REJECT": "RJC", "NONE": "-"}


def print_plover_gsr(rep: SentenceReport, console: Console) -> None:
    c = rep.classification
    console.print(f"[bold]plover-gsr[/]: event-type accuracy {c.accuracy:.3f}, macro-F1 {c.macro_f1:.3f}, weighted F1 {c.weighted_f1:.3f}")
    labels = list(c.scores)
    cols = labels + sorted({p for p in c.pred if p not in c.scores}, key=lambda p: (p == "NONE", p))
    matrix = Counter(zip(c.gold, c.pred))
    t = Table(title="confusion (rows gold, columns predicted; F1 in %)", box=None, padding=(0, 1, 0, 0))
    t.add_column("gold", no_wrap=True, min_width=9)
    for lab in cols:
        t.add_column(SHORT.get(lab, lab[:3]), justify="right")
    t.add_column("F1", justify="right")
    for g in labels:
        cells = [(f"[bold]{matrix[g, p]}[/]" if g == p else str(matrix[g, p] or "·")) for p in cols]
        t.add_row(g, *cells, f"{100 * c.scores[g].f1:.0f}")
    console.print(t)
    t = Table(title="actor country (sentence, role, ISO3) triples")
    for col in ("role", "tp", "fp", "fn", "precision", "recall", "F1"):
        t.add_column(col)
    for role, s in rep.countries.items():
        t.add_row(role, str(s.tp), str(s.fp), str(s.fn), f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}")
    console.print(t)
    print_top_confusions(rep, console)
    print_timing(rep, console)


def print_case2021(rep: SentenceReport, console: Console) -> None:
    c = rep.classification
    console.print(f"[bold]case2021[/]: accuracy {c.accuracy:.3f}, macro-F1 {c.macro_f1:.3f}, weighted F1 {c.weighted_f1:.3f}")
    t = Table(title="per label")
    for col in ("label", "precision", "recall", "F1", "support"):
        t.add_column(col, justify="left" if col == "label" else "right")
    for lab, s in sorted(c.scores.items(), key=lambda kv: -kv[1].support):
        t.add_row(lab, f"{s.precision:.2f}", f"{s.recall:.2f}", f"{s.f1:.2f}", str(s.support))
    console.print(t)
    none = c.pred.count("NONE")
    console.print(f"no label (NONE): {none} of {len(c.pred)}")
    if rep.out_of_scope:
        left = ", ".join(f"{k} {v}" for k, v in rep.out_of_scope.most_common())
        console.print(f"left out (not political events, outside the ACLED + DIPLO target): {left}")
    print_top_confusions(rep, console)
    print_timing(rep, console)
