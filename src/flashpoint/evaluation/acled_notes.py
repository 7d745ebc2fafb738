"""`flashpoint eval acled-notes`: ACLED analysts' notes (../shared/eval/acled_notes_dev.csv).

Each note is run through the pipeline as one document dated by the note's `event_date`. The note's
event is the first asserted event of the document, in the order of its trigger in the text (a
note that yields no asserted event counts as a miss on every measure). Scored per note:

- location: the event's location lies within 50 km of ACLED's coordinates (a missing location or
  one without coordinates is a miss); also by ACLED geo precision (1 the place, 2 near it / its
  district, 3 the province), and the median distance of the located ones;
- ACLED sub-event type equal to the note's;
- fatalities exact: the event's best fatality count equals ACLED's, no count standing for 0
  (ACLED codes 0 for a note that reports no deaths).
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ..places import km

WITHIN_KM = 50.0
FILE = Path("eval") / "acled_notes_dev.csv"


@dataclass
class NoteCheck:
    id: str
    text: str
    country: str
    location: str  # ACLED's location (admin2, admin1)
    geo_precision: str
    sub_gold: str
    sub_pred: str | None
    fatalities_gold: int
    fatalities_pred: int | None
    km: float | None  # distance of the predicted location to ACLED's; None when there is none
    place: str | None = None  # the predicted location: "name (admin1, country) p=precision"
    asserted: bool = True  # the note yielded an asserted event
    events: list[str] = field(default_factory=list)

    @property
    def within(self) -> bool:
        return self.km is not None and self.km <= WITHIN_KM

    @property
    def sub_ok(self) -> bool:
        return self.sub_pred == self.sub_gold

    @property
    def fatalities_ok(self) -> bool:
        return (self.fatalities_pred or 0) == self.fatalities_gold


@dataclass
class AcledReport:
    checks: list[NoteCheck]
    seconds: float
    offset: int = 0

    def share(self, attr: str, checks: list[NoteCheck] | None = None) -> float:
        cs = self.checks if checks is None else checks
        return sum(getattr(c, attr) for c in cs) / len(cs) if cs else 0.0


def note_date(s: str) -> date | None:
    for fmt in ("%d-%b-%y", "%d %B %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(s.strip(), fmt).date()
        except ValueError:
            continue
    return None


def read_notes(path: Path, limit: int | None = None, offset: int = 0) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return rows[offset : offset + limit if limit else None]


def first_asserted(events: list[Any]) -> Any | None:
    """The note's event: the first asserted event by the position of its trigger."""
    asserted = [e for e in events if e.modality == "asserted"]
    return min(asserted, key=lambda e: e.trigger.start if e.trigger else 1 << 30, default=None)


def check(row: dict[str, str], events: list[Any]) -> NoteCheck:
    from .scoring import summary

    ev = first_asserted(events)
    loc = ev.location if ev else None
    dist = None
    if loc is not None and loc.lat is not None and loc.lon is not None:
        dist = km(loc.lat, loc.lon, float(row["latitude"]), float(row["longitude"]))
    fat = ev.fatalities.best if ev and ev.fatalities else None
    return NoteCheck(
        id=row["data_id"], text=row["notes"], country=row["iso3"],
        location=f"{row['location']} ({row['admin2']}, {row['admin1']})", geo_precision=row["geo_precision"],
        sub_gold=row["sub_event_type"], sub_pred=(ev.acled or {}).get("sub_event_type") if ev else None,
        fatalities_gold=int(row["fatalities"] or 0), fatalities_pred=fat, km=dist,
        place=f"{loc.name} ({loc.admin1}, {loc.country}) p={loc.precision}" if loc else None,
        events=[summary(e) for e in events], asserted=ev is not None,
    )


def run(shared: Path, limit: int | None = None, offset: int = 0) -> AcledReport:
    import time

    from ..models import Document
    from ..nlp import load_nlp
    from ..pipeline import extract

    rows = read_notes(shared / FILE, limit, offset)
    load_nlp()
    docs = [Document(id=r["data_id"], text=r["notes"], date=note_date(r["event_date"])) for r in rows]
    t0 = time.perf_counter()
    checks = [check(r, evs) for r, (_, evs) in zip(rows, extract(docs, batch_size=64))]
    return AcledReport(checks, time.perf_counter() - t0, offset)


def show(rep: AcledReport, console: Console) -> None:
    n = len(rep.checks)
    t = Table(title=f"flashpoint eval acled-notes (rows {rep.offset}-{rep.offset + n}, {n / rep.seconds if rep.seconds else 0:.1f} notes/s)")
    for col in ("measure", "notes", "score"):
        t.add_column(col, justify="right" if col != "measure" else "left")
    t.add_row(f"location within {WITHIN_KM:.0f} km", str(n), f"{rep.share('within'):.2f}")
    for gp in sorted({c.geo_precision for c in rep.checks}):
        cs = [c for c in rep.checks if c.geo_precision == gp]
        t.add_row(f"  ACLED geo precision {gp}", str(len(cs)), f"{rep.share('within', cs):.2f}")
    located = [c.km for c in rep.checks if c.km is not None]
    t.add_row("  located (any distance)", str(n), f"{len(located) / n if n else 0:.2f}")
    t.add_row("  median km of the located", str(len(located)), f"{statistics.median(located):.0f}" if located else "-")
    t.add_row("sub-event type", str(n), f"{rep.share('sub_ok'):.2f}")
    t.add_row("fatalities exact", str(n), f"{rep.share('fatalities_ok'):.2f}")
    t.add_row("no asserted event", str(n), str(sum(not c.asserted for c in rep.checks)))
    console.print(t)
    conf = Counter((c.sub_gold, c.sub_pred) for c in rep.checks if not c.sub_ok)
    if conf:
        c2 = Table(title="top sub-event confusions (ACLED -> predicted)")
        for col in ("ACLED", "predicted", "n"):
            c2.add_column(col)
        for (g, p), k in conf.most_common(10):
            c2.add_row(g, str(p), str(k))
        console.print(c2)


def write_errors(rep: AcledReport, path: Path) -> int:
    """One JSON line per note with any measure wrong."""
    bad = [c for c in rep.checks if not (c.within and c.sub_ok and c.fatalities_ok)]
    with path.open("w", encoding="utf-8") as f:
        for c in bad:
            row = {
                "id": c.id, "text": c.text, "country": c.country, "acled_location": c.location,
                "geo_precision": c.geo_precision, "predicted_location": c.place,
                "km": None if c.km is None else round(c.km), "within": c.within,
                "sub_event": [c.sub_gold, c.sub_pred], "fatalities": [c.fatalities_gold, c.fatalities_pred],
                "events": c.events,
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(bad)
