"""Directed dyads over fused events: a daily or weekly series (counts by type, summed Goldstein
score) and the periods where the conflict-cooperation balance leaves its recent baseline.

The rule (parameters in `data/fusion.yaml`, `escalation:`): for each period, the summed Goldstein
score x is compared with the `baseline` periods before it (periods without events count as 0):
z = (x - mean) / max(sd, min_sd). The period is an *escalation* when z <= -z_threshold and
x <= -min_drop, a *de-escalation* when z >= z_threshold and x >= min_drop. The fused events that
weigh most in the direction of the shift are listed as its drivers.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .fusion import rules
from .store import any_of, listed

Fetch = Callable[[str, list[Any]], list[tuple]]

SQL = (
    "SELECT e.event_id, e.date, e.event_type, coalesce(e.goldstein, 0), e.n_sources, e.n_reports, "
    "json_extract_string(e.record, '$.reports[0].evidence') FROM fused_events e "
    "WHERE list_contains(e.actor_countries, ?) AND list_contains(e.recipient_countries, ?) AND e.date IS NOT NULL"
)


def filters(date_from: date | None, date_to: date | None, modality: str | None, event_type: str | Sequence[str] | None,
            min_sources: int = 1) -> tuple[str, list[Any]]:
    """Extra conditions on fused_events `e` (modality None: any; a list of types: any of them;
    min_sources: corroborated events only)."""
    sql, args = "", []
    for cond, value in (("e.date >= ?", date_from), ("e.date <= ?", date_to), ("e.modality = ?", modality),
                        ("e.n_sources >= ?", min_sources if min_sources > 1 else None)):
        if value:
            sql += f" AND {cond}"
            args.append(value)
    if types := listed(event_type):
        sql += f" AND {any_of('e.event_type', types)}"
        args += types
    return sql, args


@dataclass
class Point:
    period: date
    count: int = 0
    by_type: Counter = field(default_factory=Counter)
    goldstein: float = 0.0
    z: float | None = None
    flag: str | None = None  # escalation | de-escalation
    events: list[dict[str, Any]] = field(default_factory=list)

    def drivers(self) -> list[dict[str, Any]]:
        n = int(rules().escalation["drivers"])
        sign = -1 if self.flag == "escalation" else 1
        return sorted(self.events, key=lambda e: (-sign * e["goldstein"], e["date"], e["event_id"]))[:n]

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period.isoformat(), "count": self.count, "by_type": dict(sorted(self.by_type.items())),
                "goldstein": round(self.goldstein, 2), "z": None if self.z is None else round(self.z, 2), "flag": self.flag,
                **({"drivers": self.drivers()} if self.flag else {})}


def period_of(d: date, interval: str) -> date:
    return d - timedelta(days=d.weekday()) if interval == "week" else d


def build(rows: list[tuple], interval: str = "day") -> list[Point]:
    """The series of rows (event_id, date, type, goldstein, n_sources, n_reports, evidence): every
    period from the first event's to the last one's (empty ones included), flagged."""
    step = timedelta(days=7 if interval == "week" else 1)
    by: dict[date, Point] = {}
    for eid, d, etype, g, n_sources, n_reports, evidence in rows:
        p = by.setdefault(period_of(d, interval), Point(period_of(d, interval)))
        p.count += 1
        p.by_type[etype] += 1
        p.goldstein += g
        p.events.append({"event_id": eid, "date": d.isoformat(), "event_type": etype, "goldstein": g,
                         "n_sources": n_sources, "n_reports": n_reports, "evidence": evidence})
    if not by:
        return []
    points, d, last = [], min(by), max(by)
    while d <= last:
        points.append(by.get(d) or Point(d))
        d += step
    flag(points, interval)
    return points


def flag(points: list[Point], interval: str = "day") -> None:
    """Mark the periods beyond their rolling baseline (in place); see the module docstring."""
    esc = rules().escalation
    n = int(esc["baseline_weeks" if interval == "week" else "baseline_days"])
    history: list[float] = [0.0] * n  # before the series: no events
    for p in points:
        base = history[-n:]
        sd = max(statistics.pstdev(base), float(esc["min_sd"]))
        p.z = (p.goldstein - statistics.fmean(base)) / sd
        if p.z <= -esc["z_threshold"] and p.goldstein <= -esc["min_drop"]:
            p.flag = "escalation"
        elif p.z >= esc["z_threshold"] and p.goldstein >= esc["min_drop"]:
            p.flag = "de-escalation"
        history.append(p.goldstein)


def dyad_series(fetch: Fetch, actor: str, recipient: str, interval: str = "day", date_from: date | None = None,
                date_to: date | None = None, modality: str | None = "asserted", event_type: str | None = None,
                min_sources: int = 1) -> list[Point]:
    """The directed dyad actor -> recipient over the fused events of the store (reported by at least
    `min_sources` outlets)."""
    cond, args = filters(date_from, date_to, modality, event_type, min_sources)
    rows = fetch(f"{SQL}{cond} ORDER BY e.date, e.event_id", [actor.upper(), recipient.upper(), *args])
    return build(rows, interval)


def top_dyads(fetch: Fetch, limit: int = 10, domestic: bool = False, date_from: date | None = None, date_to: date | None = None,
              modality: str | None = "asserted", event_type: str | Sequence[str] | None = None,
              actor: str | Sequence[str] | None = None, recipient: str | Sequence[str] | None = None,
              min_sources: int = 1) -> list[tuple[str, str, int]]:
    """The busiest directed dyads of the fused events: (actor country, recipient country, events)."""
    cond, args = filters(date_from, date_to, modality, event_type, min_sources)
    keep = [] if domestic else ["a <> r"]
    for column, v in (("a", actor), ("r", recipient)):
        if codes := [c.upper() for c in listed(v)]:
            keep.append(any_of(column, codes))
            args += codes
    sql = ("SELECT a, r, count(DISTINCT event_id) AS n FROM (SELECT e.event_id, unnest(e.actor_countries) AS a, "
           f"e.recipient_countries AS rs FROM fused_events e WHERE e.date IS NOT NULL{cond}), unnest(rs) AS t(r) "
           f"{'WHERE ' + ' AND '.join(keep) if keep else ''} GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT ?")
    return [(a, r, n) for a, r, n in fetch(sql, [*args, limit])]
