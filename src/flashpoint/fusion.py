"""Cross-document fusion: the per-report events that describe one real event become one fused event.

Two reports are *compatible* unless a hard constraint rules it out (different modality, types
that are neither equal nor a listed pair, date intervals that cannot overlap, no country in
common, the dyad reversed on another day, places too far apart for their precision, casualty
figures that cannot be the same). A date the text does not state is only an upper bound (the
event happened in the days before its article); a capital counts as its country (it names a
government as often as a place). Actors and recipients that differ only lower the score, since
one report may code a role another leaves out or names differently. Compatible reports get a
similarity score (text without country names, dyad, place, date, casualties, type; weights in
`data/fusion.yaml`); pairs scoring at least `link` are *linked*.

Clustering is order-independent by construction: the links form a graph, and each connected
component of it is clustered on its own by average linkage in a canonical order (members sorted
by a key of their content; the two clusters with the best mean score merge first, never past a
hard conflict, until no pair reaches `join`).
Neither the graph nor the canonical pass depends on the order in which reports arrived, so
adding articles one by one gives the same clusters as clustering everything at once.

Incremental updates touch only what can change: new reports are looked up through a blocking
index (type group x week x country), the components they link to (and those of re-coded or
removed reports) are re-clustered, everything else stays as it is. Cost: each report is compared
with the reports of its blocks only, so fusing n reports is about n log n (`flashpoint bench
--fusion`).
"""

from __future__ import annotations

import calendar
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from .lexicon import load_yaml
from .models import stable_id

PRECISION_RANK = {"day": 0, "week": 1, "month": 2, "year": 3, "unknown": 4}
WORD = re.compile(r"[a-z]{4,}")


@dataclass(frozen=True)
class Rules:
    groups: dict[str, str]  # event type -> its blocking group (types linked by compatible pairs)
    pairs: frozenset[frozenset[str]]
    tolerance: int
    undated_days: int
    max_km: dict[int, float | None]
    ratio: float
    slack: float
    weights: dict[str, float]
    link: float
    join: float
    stopwords: frozenset[str]
    escalation: dict[str, float]
    max_linkage: int  # components larger than this are clustered by the greedy pass


@lru_cache(maxsize=1)
def rules() -> Rules:
    y = load_yaml("fusion.yaml")
    pairs = frozenset(frozenset(p) for p in y["compatible_types"])
    parent: dict[str, str] = {}

    def find(t: str) -> str:
        while parent.setdefault(t, t) != t:
            t = parent[t]
        return t

    for a, b in y["compatible_types"]:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    return Rules(
        groups={t: find(t) for t in parent}, pairs=pairs, tolerance=int(y["date_tolerance_days"]),
        undated_days=int(y["undated_days"]),
        max_km={int(k): v for k, v in y["max_km"].items()}, ratio=float(y["casualties"]["ratio"]),
        slack=float(y["casualties"]["slack"]), weights={k: float(v) for k, v in y["weights"].items()},
        link=float(y["link"]), join=float(y["join"]), stopwords=frozenset(y["stopwords"]), escalation=y["escalation"],
        max_linkage=int(y["max_linkage"]),
    )


@dataclass(frozen=True)
class Report:
    """What fusion needs of one per-report event (built from its contract record)."""

    event_id: str
    doc_id: str
    source: str  # the outlet, or the document id when the outlet is unknown
    doc_date: date | None
    event_type: str
    modality: str
    actors: frozenset[str]
    recipients: frozenset[str]
    date: date | None
    precision: str
    stated: bool = True  # the text dates the event; False: the coder fell back on the article's date
    lat: float | None = None
    lon: float | None = None
    geo_precision: int | None = None
    geonameid: int | None = None
    capital: bool = False  # the place is a country's capital (a government's metonym as often as a place)
    place_country: str | None = None
    fatalities: tuple[int, int, int] | None = None  # best, low, high
    injuries: tuple[int, int, int] | None = None
    words: frozenset[str] = frozenset()
    confidence: float = 0.5
    record: dict[str, Any] | None = field(default=None, compare=False, hash=False, repr=False)

    @classmethod
    def from_record(cls, r: dict[str, Any], source: str | None, doc_date: date | None, keep: bool = True) -> "Report":
        loc = r.get("location") or {}

        def count(c: dict | None) -> tuple[int, int, int] | None:
            return (c["best"], c["low"], c["high"]) if c else None

        sentence = " ".join(e["text"] for e in r.get("evidence") or [] if e.get("role") in ("sentence", None))
        d = r.get("date")
        return cls(
            event_id=r["event_id"], doc_id=r["doc_id"], source=source or r["doc_id"], doc_date=doc_date,
            event_type=r["event_type"], modality=r.get("modality") or "asserted",
            actors=frozenset(a["country"] for a in r.get("actor") or [] if a.get("country")),
            recipients=frozenset(a["country"] for a in r.get("recipient") or [] if a.get("country")),
            date=date.fromisoformat(d) if isinstance(d, str) else d, precision=r.get("date_precision") or "unknown",
            stated=bool(r.get("date_text")),
            lat=loc.get("lat"), lon=loc.get("lon"), geo_precision=loc.get("precision"), geonameid=loc.get("geonameid"),
            capital=loc.get("feature_code") == "PPLC",
            place_country=loc.get("country"), fatalities=count(r.get("fatalities")), injuries=count(r.get("injuries")),
            words=content_words(sentence), confidence=float(r.get("confidence") or 0.5), record=r if keep else None,
        )

    @cached_property
    def countries(self) -> frozenset[str]:
        return self.actors | self.recipients | ({self.place_country} if self.place_country else frozenset())

    @cached_property
    def span(self) -> tuple[int, int] | None:
        """The days (ordinals) the event may have happened in, by its date precision. A date the text
        does not state (the coder's fallback on the article's date), or an asserted event dated after
        its article, says only that the event happened before the article: the `undated_days` up to it."""
        d, pub = self.date, self.doc_date
        if d is None or self.precision not in ("day", "week", "month", "year"):
            return None
        if pub is not None and (not self.stated or self.modality == "asserted" and d > pub + timedelta(days=rules().tolerance)):
            return pub.toordinal() - rules().undated_days, pub.toordinal()
        if self.precision == "day":
            end = d
        elif self.precision == "week":
            end = d + timedelta(days=6)
        elif self.precision == "month":
            end = d.replace(day=calendar.monthrange(d.year, d.month)[1])
        else:
            end = d.replace(month=12, day=31)
        return d.toordinal(), end.toordinal()

    @property
    def exact(self) -> bool:
        """Dated to one day by the text."""
        return self.span is not None and self.span[0] == self.span[1]

    @cached_property
    def blocks(self) -> tuple[tuple[str, int, str], ...]:
        """The blocking index keys: (type group, week, country) for every week the interval (widened
        by the tolerance) touches and every country named. Reports without a date interval or a
        country are never fused, so they have none."""
        iv = self.span
        if iv is None or not self.countries:
            return ()
        R = rules()
        group = R.groups.get(self.event_type, self.event_type)
        weeks = range((iv[0] - R.tolerance) // 7, (iv[1] + R.tolerance) // 7 + 1)
        return tuple((group, w, c) for w in weeks for c in sorted(self.countries))


@lru_cache(maxsize=1)
def country_words() -> frozenset[str]:
    """The words of country names, demonyms and capitals (countries.csv): the dyad and place parts
    of the score already compare them."""
    from .lexicon import load_csv

    return frozenset(w for r in load_csv("countries.csv") for w in WORD.findall(r["alias"].lower()))


def content_words(text: str) -> frozenset[str]:
    stop = rules().stopwords | country_words()
    return frozenset(w for w in WORD.findall(text.lower()) if w not in stop)


# ---------------------------------------------------------------------------- one pair
def km(a: Report, b: Report) -> float:
    p1, p2 = math.radians(a.lat), math.radians(b.lat)  # type: ignore[arg-type]
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)  # type: ignore[operator]
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def max_km(a: Report, b: Report) -> float | None:
    """The largest distance between two located reports of one event, by the coarser precision; a
    capital counts as its country (news names it for its government: "recalled its envoy from Tehran")."""
    R = rules()
    prec = [3 if r.capital else r.geo_precision or 3 for r in (a, b)]
    return R.max_km.get(max(prec))


def counts_agree(a: tuple[int, int, int] | None, b: tuple[int, int, int] | None, R: Rules) -> bool | None:
    """None when either side gives no figure; else whether the widened ranges overlap."""
    if a is None or b is None:
        return None
    return a[1] <= b[2] * R.ratio + R.slack and b[1] <= a[2] * R.ratio + R.slack


def conflict(a: Report, b: Report) -> str | None:
    """Why two reports cannot describe the same event (a hard constraint), or None."""
    R = rules()
    if a.modality != b.modality:
        return "modality"
    if a.event_type != b.event_type and frozenset((a.event_type, b.event_type)) not in R.pairs:
        return "type"
    ia, ib = a.span, b.span
    if ia is None or ib is None or ia[0] > ib[1] + R.tolerance or ib[0] > ia[1] + R.tolerance:
        return "date"
    if not (a.countries & b.countries):
        return "no country in common"
    if a.exact and b.exact and ia != ib and a.actors & b.recipients and a.recipients & b.actors and not (
            a.actors & b.actors or a.recipients & b.recipients):
        return "dyad reversed"  # on another day, the other way round: a strike and the retaliation
    if counts_agree(a.fatalities, b.fatalities, R) is False or counts_agree(a.injuries, b.injuries, R) is False:
        return "casualties"
    if a.lat is not None and b.lat is not None and a.geonameid != b.geonameid:
        limit = max_km(a, b)
        if limit is not None and km(a, b) > limit:
            return "distance"
    return None


def role_agreement(a: Report, b: Report) -> float | None:
    """The share of the roles both reports fill (actor, recipient) that name a country in common;
    None when no role is filled in both."""
    known = [bool(x & y) for x, y in ((a.actors, b.actors), (a.recipients, b.recipients)) if x and y]
    return sum(known) / len(known) if known else None


def score(a: Report, b: Report) -> float | None:
    """Similarity of two reports in 0..1, or None when they cannot describe the same event."""
    if conflict(a, b) is not None:
        return None
    R = rules()
    fat, inj = counts_agree(a.fatalities, b.fatalities, R), counts_agree(a.injuries, b.injuries, R)
    place = 0.0
    if a.lat is not None and b.lat is not None:
        limit = max_km(a, b)
        if a.geonameid is not None and a.geonameid == b.geonameid:
            place = 1.0
        elif limit is not None:
            place = 1.0 - km(a, b) / limit
        elif a.place_country and a.place_country == b.place_country:
            place = 0.5
    shorter = min(len(a.words), len(b.words))
    parts = {  # each part in 0..1, or None when neither report can tell (it is then left out)
        "text": len(a.words & b.words) / shorter if shorter else 0.0,
        "dyad": role_agreement(a, b),
        "place": place if a.lat is not None and b.lat is not None else None,
        "date": (1.0 if a.span == b.span else 0.0) if a.exact and b.exact else None,
        "casualties": (1.0 if fat or inj else 0.0) if fat is not None or inj is not None else None,
        "type": 1.0 if a.event_type == b.event_type else 0.5,
    }
    known = {k: v for k, v in parts.items() if v is not None}
    return sum(R.weights[k] * v for k, v in known.items()) / sum(R.weights[k] for k in known)


# ---------------------------------------------------------------------------- blocking
class Index:
    """Blocking index: key -> event ids. Two reports that can be linked share a key."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, int, str], set[str]] = defaultdict(set)

    def add(self, r: Report) -> None:
        for k in r.blocks:
            self.keys[k].add(r.event_id)

    def remove(self, r: Report) -> None:
        for k in r.blocks:
            s = self.keys.get(k)
            if s is not None:
                s.discard(r.event_id)
                if not s:
                    del self.keys[k]

    def candidates(self, r: Report) -> set[str]:
        out: set[str] = set()
        for k in r.blocks:
            out |= self.keys.get(k, set())
        out.discard(r.event_id)
        return out


# ---------------------------------------------------------------------------- clustering
def quality(r: Report) -> tuple:
    """Canonical order inside a component: the most precise, most complete report first."""
    return (PRECISION_RANK.get(r.precision, 4), r.geo_precision or 4, -(bool(r.actors) + bool(r.recipients)),
            -r.confidence, r.doc_date or date.max, r.event_id)


def links(reports: list[Report]) -> dict[str, dict[str, float]]:
    """The linked pairs among reports (score >= link), both ways."""
    idx, by_id = Index(), {r.event_id: r for r in reports}
    for r in reports:
        idx.add(r)
    link = rules().link
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for r in reports:
        for o in idx.candidates(r):
            if o > r.event_id:
                s = score(r, by_id[o])
                if s is not None and s >= link:
                    out[r.event_id][o] = out[o][r.event_id] = s
    return out


def components(reports: list[Report], edges: dict[str, dict[str, float]]) -> list[list[Report]]:
    by_id = {r.event_id: r for r in reports}
    seen: set[str] = set()
    comps = []
    for r in sorted(reports, key=lambda x: x.event_id):
        if r.event_id in seen:
            continue
        stack, comp = [r.event_id], []
        seen.add(r.event_id)
        while stack:
            e = stack.pop()
            comp.append(by_id[e])
            for o in edges.get(e, ()):
                if o not in seen:
                    seen.add(o)
                    stack.append(o)
        comps.append(comp)
    return comps


def cluster_component(comp: list[Report], edges: dict[str, dict[str, float]]) -> list[list[Report]]:
    """Average-linkage clustering of one connected component, in a canonical order: repeatedly
    merge the two clusters with the highest mean pair score (ties: the earliest in the order),
    never two that hold a hard conflict, until no pair reaches `join`. A component larger than
    `max_linkage` (its cost grows with the cube of its size) gets the greedy pass instead."""
    members = sorted(comp, key=quality)
    n = len(members)
    if n == 1:
        return [members]
    if n > rules().max_linkage:
        return greedy(members, edges)
    total = np.zeros((n, n))
    blocked = np.eye(n, dtype=bool)
    for i in range(n):
        near = edges.get(members[i].event_id, {})
        for j in range(i + 1, n):
            s = near.get(members[j].event_id)
            if s is None:
                s = score(members[i], members[j])
            if s is None:
                blocked[i, j] = blocked[j, i] = True
            else:
                total[i, j] = total[j, i] = s
    size = np.ones(n)
    alive = np.ones(n, dtype=bool)
    join = rules().join
    groups = {i: [i] for i in range(n)}
    while True:
        avg = total / np.outer(size, size)
        avg[blocked | ~alive[:, None] | ~alive[None, :]] = -1.0
        k = int(np.argmax(avg))
        i, j = divmod(k, n)
        if avg[i, j] < join:
            break
        i, j = min(i, j), max(i, j)
        total[i, :] += total[j, :]
        total[:, i] = total[i, :]
        blocked[i, :] |= blocked[j, :]
        blocked[:, i] = blocked[i, :]
        size[i] += size[j]
        alive[j] = False
        groups[i] += groups.pop(j)
    return [[members[x] for x in sorted(g)] for _, g in sorted(groups.items())]


def greedy(members: list[Report], edges: dict[str, dict[str, float]]) -> list[list[Report]]:
    """In canonical order, each report joins the linked cluster it scores best on average (at least
    `join`, no hard conflict with any member), or starts one."""
    join = rules().join
    clusters: list[list[Report]] = []
    home: dict[str, int] = {}
    for r in members:
        near = edges.get(r.event_id, {})
        best, best_avg = None, 0.0
        for k in sorted({home[o] for o in near if o in home}):
            scores = [near[m.event_id] if m.event_id in near else score(r, m) for m in clusters[k]]
            if None in scores:
                continue
            avg = sum(scores) / len(scores)  # type: ignore[arg-type]
            if avg >= join and (best is None or avg > best_avg):
                best, best_avg = k, avg
        if best is None:
            best = len(clusters)
            clusters.append([])
        clusters[best].append(r)
        home[r.event_id] = best
    return clusters


@dataclass
class Cluster:
    component: str  # the smallest event id of its connected component
    reports: list[Report]  # canonical order: the representative first

    @property
    def fused_id(self) -> str:
        first = min(self.reports, key=lambda r: (r.doc_date or date.max, r.doc_id, r.event_id))
        return "fz" + stable_id("fused", first.event_id)


def cluster(reports: Iterable[Report]) -> list[Cluster]:
    """Fuse a closed set of reports (one that holds every linked neighbour of its members)."""
    reports = list({r.event_id: r for r in reports}.values())
    edges = links(reports)
    out = []
    for comp in components(reports, edges):
        cid = min(r.event_id for r in comp)
        out += [Cluster(cid, c) for c in cluster_component(comp, edges)]
    return out


class Fuser:
    """The fused state of a set of reports, kept in memory and updated incrementally
    (the benchmark and the tests; the store keeps the same state in DuckDB, see store.py)."""

    def __init__(self) -> None:
        self.reports: dict[str, Report] = {}
        self.index = Index()
        self.component_of: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}
        self.clusters: dict[str, list[Cluster]] = {}

    def update(self, add: Iterable[Report] = (), remove: Iterable[str] = ()) -> list[Cluster]:
        """Add (or replace) and remove reports; returns the clusters of the re-clustered components."""
        add = list(add)
        touched: set[str] = set()
        for eid in [*remove, *(r.event_id for r in add)]:
            if eid in self.reports:
                touched.add(self.component_of[eid])
                self.index.remove(self.reports.pop(eid))
        link = rules().link
        for r in add:
            for o in self.index.candidates(r):
                if self.component_of[o] not in touched:
                    s = score(r, self.reports[o])
                    if s is not None and s >= link:
                        touched.add(self.component_of[o])
        for r in add:
            self.reports[r.event_id] = r
            self.index.add(r)
        pool = [self.reports[e] for c in touched for e in self.members.pop(c, ()) if e in self.reports] + add
        for c in touched:
            self.clusters.pop(c, None)
        new = cluster(pool)
        for cl in new:
            self.clusters.setdefault(cl.component, []).append(cl)
            self.members.setdefault(cl.component, set()).update(r.event_id for r in cl.reports)
            for r in cl.reports:
                self.component_of[r.event_id] = cl.component
        for eid in remove:
            if eid not in self.reports:
                self.component_of.pop(eid, None)
        return new

    def partition(self) -> set[frozenset[str]]:
        return {frozenset(r.event_id for r in cl.reports) for cls in self.clusters.values() for cl in cls}


# ---------------------------------------------------------------------------- fused record
def merge_counts(counts: list[tuple[int, int, int]]) -> dict[str, int] | None:
    """UCDP: low = the lowest figure any source gives, high = the highest, best = the median best."""
    if not counts:
        return None
    bests = sorted(c[0] for c in counts)
    return {"best": bests[(len(bests) - 1) // 2], "low": min(c[1] for c in counts), "high": max(c[2] for c in counts)}


def fused_record(cl: Cluster) -> dict[str, Any]:
    """The contract record of a fused event: fields from the reports behind it, and the reports."""
    reps = cl.reports
    head = reps[0]
    base = dict(head.record or {})
    types = Counter(r.event_type for r in reps)
    etype = max(types, key=lambda t: (types[t], t == head.event_type, t))
    typed = next(r for r in reps if r.event_type == etype)
    best_prec = min(PRECISION_RANK.get(r.precision, 4) for r in reps)
    dated = [r for r in reps if PRECISION_RANK.get(r.precision, 4) == best_prec]
    dates = Counter(r.date for r in dated)
    when = min(dates, key=lambda d: (-dates[d], d or date.max))
    dated_rep = next(r for r in dated if r.date == when)
    located = [r for r in reps if r.record and r.record.get("location")]
    loc = None
    if located:
        top = min(r.geo_precision or 3 for r in located)
        places = Counter(r.geonameid for r in located if (r.geo_precision or 3) == top)
        gid = max(places, key=lambda g: places[g])
        loc = next(r for r in located if (r.geo_precision or 3) == top and r.geonameid == gid).record["location"]
    fat = merge_counts([r.fatalities for r in reps if r.fatalities])
    inj = merge_counts([r.injuries for r in reps if r.injuries])
    reports = sorted(
        ({"doc_id": r.doc_id, "source": r.source if r.source != r.doc_id else None,
          "date": r.doc_date.isoformat() if r.doc_date else None, "event_id": r.event_id, "event_type": r.event_type,
          "fatalities": (r.record or {}).get("fatalities"),
          "evidence": next((e["text"] for e in (r.record or {}).get("evidence") or [] if e.get("role") in ("sentence", None)), None)}
         for r in reps), key=lambda x: (x["date"] or "9999", x["doc_id"], x["event_id"]))
    claims = [{**c, "doc_id": r.doc_id} for r in reps for c in (r.record or {}).get("claims") or []]
    bests = {r.fatalities[0] for r in reps if r.fatalities}, {r.injuries[0] for r in reps if r.injuries}
    actor_rep = next((r for r in reps if r.actors), head)
    recip_rep = next((r for r in reps if r.recipients), head)
    typed_rec = typed.record or {}
    base.update({
        "event_id": cl.fused_id, "doc_id": head.doc_id, "event_type": etype,
        "mode": typed_rec.get("mode", []), "cameo": typed_rec.get("cameo"), "goldstein": typed_rec.get("goldstein"),
        "plover_score": typed_rec.get("plover_score"), "acled": typed_rec.get("acled"),
        "actor": (actor_rep.record or {}).get("actor", []), "recipient": (recip_rep.record or {}).get("recipient", []),
        "date": when.isoformat() if when else None, "date_precision": dated_rep.precision,
        "date_text": (dated_rep.record or {}).get("date_text"), "location": loc,
        "fatalities": fat, "injuries": inj, "claims": claims,
        "contested": any((r.record or {}).get("contested") for r in reps) or len(bests[0]) > 1 or len(bests[1]) > 1,
        "confidence": max(r.confidence for r in reps),
        "fused": True, "n_reports": len(reps), "n_sources": len({r.source for r in reps}),
        "first_reported": reports[0]["date"], "reports": reports,
    })
    return base
