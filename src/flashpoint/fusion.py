"""Cross-document fusion: the per-report events that describe one real event become one fused event.

Per-report coding is noisy: one outlet dates an event by its dateline, another reckons it from the
wrong event ("two days after"), names one side only, codes the dyad backwards or geocodes a
country instead of a town. So only two kinds of constraint are absolute (another modality, a type
that is neither equal nor a listed pair, except two `bridged_types` both paired with a third, the
several codings of one diplomatic act); the others (date intervals that cannot meet, places too
far apart for their precision, the dyad reversed on another day both texts state, casualty
figures that cannot be one toll) rule a *link* out and count as `conflict_penalty` in a cluster's
mean score, so that the other reports can outweigh one wrongly coded report but never join two
events. A date the text does not state is only an upper bound (the event happened in the days
before its article); a relative date is widened by `relative_days`; a capital counts as its
country (it names a government as often as a place); a place the report's main sentence does not
name, while naming the other report's place, came from another sentence (a speaker's city, a
dateline) and keeps no distance; the events the coder made of an appeal to countries named together
("urged Iran and Pakistan", one per recipient) or of their joint act ("Pakistan and Iran agreed", one
per direction) each count all of them in both roles it names them in; an act with no direction
(`mutual_types`: a meeting, an agreement) told the other way round ("B met A") is the same dyad. Compatible reports get a score: the
weighted sum of what each field both give says for (> 0) or against (< 0) one event (text without
country names, proper names, dyad, countries, place, date, casualties, type, one document, one
mention; weights in `data/fusion.yaml`); a field a report leaves out says nothing. Pairs scoring
at least `link` are *linked*.

Clustering is order-independent by construction and bounded in time. Reports fall in fixed blocks
of `block_days` by the middle day of their date interval; each block is clustered in its run (its
reports and, as context, its neighbours' within `edge_days` of its edges): the links form a graph,
and each connected component of it is clustered on its own in a canonical order (members sorted by
a key of their content). First average linkage: the two clusters with the best mean pair value
merge first, never across an absolute conflict, until no pair reaches `join`. Then `attach`: a
cluster (mostly a weak mention) joins the one it has its strongest pair with when that pair reaches
`attach`, the mean is not dominated by conflicts, and no cluster that excludes the chosen one is
nearly as close. Each cluster keeps its own block's reports; then the clusters near an edge are
paired across it (`pair`). Neither the graph nor the canonical passes depend on the order in which
reports arrived, so adding articles one by one gives the same clusters as clustering everything at
once, and no component outgrows its run however long the feed.

Incremental updates touch only what can change: new reports are looked up through a blocking
index (type group x week x country), the components they link to in a run they share (and those of
re-coded or removed reports) are re-clustered, and the clusters near an edge that changed are paired
again; everything else stays as it is. Cost: each report is compared with the reports of its blocks
only, so fusing n reports is about n log n (`flashpoint bench --fusion`), and a batch's work is
bounded by a block's run (`flashpoint bench --memory`).
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
    near: dict[str, frozenset[str]]  # event type -> the types a report of the same event may carry (itself, its pairs)
    near2: dict[str, frozenset[str]]  # event type -> the types sharing a pair with it (one sentence read two ways)
    bridged: frozenset[str]  # types whose near2 pairs other reports may bridge across documents
    mutual: frozenset[str]  # types with no direction: "A met B" and "B met A" are one meeting
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
    relative_words: frozenset[str]  # a date_text with one of these words was reckoned from another event
    relative_days: int
    conflict_penalty: float
    attach: float
    attach_mean: float
    margin: float
    block_days: int  # reports are clustered in fixed blocks of this many days (by the middle of their interval)
    edge_days: int  # a block's run takes its neighbours' reports this close to its edges; clusters this close are paired across


@lru_cache(maxsize=1)
def rules() -> Rules:
    y = load_yaml("fusion.yaml")
    pairs: dict[str, set[str]] = defaultdict(set)
    for a, b in y["compatible_types"]:
        pairs[a].add(b)
        pairs[b].add(a)
    if not 0 < 2 * int(y["edge_days"]) <= int(y["block_days"]):
        raise ValueError(f"fusion.yaml: edge_days ({y['edge_days']}) must be positive and at most half of block_days ({y['block_days']})")
    near = {t: frozenset(ps | {t}) for t, ps in pairs.items()}
    near2 = {t: frozenset(x for p in ps for x in pairs[p]) - near[t] for t, ps in pairs.items()}
    return Rules(
        near=near, near2=near2, bridged=frozenset(y["bridged_types"]), mutual=frozenset(y["mutual_types"]), tolerance=int(y["date_tolerance_days"]),
        undated_days=int(y["undated_days"]),
        max_km={int(k): v for k, v in y["max_km"].items()}, ratio=float(y["casualties"]["ratio"]),
        slack=float(y["casualties"]["slack"]), weights={k: float(v) for k, v in y["weights"].items()},
        link=float(y["link"]), join=float(y["join"]), stopwords=frozenset(y["stopwords"]), escalation=y["escalation"],
        max_linkage=int(y["max_linkage"]), relative_words=frozenset(y["relative_date_words"]),
        relative_days=int(y["relative_days"]), conflict_penalty=float(y["conflict_penalty"]),
        attach=float(y["attach"]), attach_mean=float(y["attach_mean"]), margin=float(y["margin"]),
        block_days=int(y["block_days"]), edge_days=int(y["edge_days"]),
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
    relative: bool = False  # the text dates it from another event ("two days after", "last week")
    trigger: int | None = None  # where its main mention starts in its document (one mention, several events)
    sentence: int | None = None  # where the sentence of its main mention starts in its document
    lat: float | None = None
    lon: float | None = None
    geo_precision: int | None = None
    geonameid: int | None = None
    capital: bool = False  # the place is a country's capital (a government's metonym as often as a place)
    country_level: bool = False  # the place is a whole country
    place_country: str | None = None
    fatalities: tuple[int, int, int] | None = None  # best, low, high
    injuries: tuple[int, int, int] | None = None
    words: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()  # the proper names of its evidence (places, people, groups), lower case
    confidence: float = 0.5
    place_words: frozenset[str] = frozenset()  # the words of its place's name as the text writes it
    main_words: frozenset[str] = frozenset()  # the content words of its main sentence (the one of its mention)
    record: dict[str, Any] | None = field(default=None, compare=False, hash=False, repr=False)

    @classmethod
    def from_record(cls, r: dict[str, Any], source: str | None, doc_date: date | None, keep: bool = True,
                    words: bool = True) -> "Report":
        """`words=False`: without the words and names of its text (enough for its blocking keys)."""
        loc = r.get("location") or {}

        def count(c: dict | None) -> tuple[int, int, int] | None:
            return (c["best"], c["low"], c["high"]) if c else None

        sentences = [e["text"] for e in r.get("evidence") or [] if e.get("role") in ("sentence", None)]
        sentence = " ".join(sentences)
        d = r.get("date")
        actors, recipients = report_roles(r)
        return cls(
            event_id=r["event_id"], doc_id=r["doc_id"], source=source or r["doc_id"], doc_date=doc_date,
            event_type=r["event_type"], modality=r.get("modality") or "asserted",
            actors=actors, recipients=recipients,
            date=date.fromisoformat(d) if isinstance(d, str) else d, precision=r.get("date_precision") or "unknown",
            stated=bool(r.get("date_text")), relative=relative_date(r.get("date_text")),
            trigger=(r.get("trigger") or {}).get("start"),
            sentence=min((e["start"] for e in r.get("evidence") or [] if e.get("role") in ("sentence", None) and "start" in e), default=None),
            lat=loc.get("lat"), lon=loc.get("lon"), geo_precision=loc.get("precision"), geonameid=loc.get("geonameid"),
            capital=loc.get("feature_code") == "PPLC", country_level=str(loc.get("feature_code") or "").startswith("PCL"),
            place_country=loc.get("country"), fatalities=count(r.get("fatalities")), injuries=count(r.get("injuries")),
            words=content_words(sentence) if words else frozenset(), names=proper_names(sentence, source) if words else frozenset(),
            confidence=float(r.get("confidence") or 0.5),
            place_words=content_words(loc.get("text") or "") if words else frozenset(),
            main_words=content_words(sentences[0]) if sentences and words else frozenset(),
            record=r if keep else None,
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
        slack = rules().relative_days if self.relative else 0
        return d.toordinal() - slack, end.toordinal() + slack

    @cached_property
    def mid(self) -> int | None:
        """The middle day (ordinal) of its interval, for a report that can be fused (it has blocking keys)."""
        return (self.span[0] + self.span[1]) // 2 if self.blocks else None  # type: ignore[index]

    @cached_property
    def block(self) -> int | None:
        """The time block it belongs to (see `block_days`): it is clustered in that block's run."""
        return None if self.mid is None else self.mid // rules().block_days

    @cached_property
    def weak(self) -> bool:
        """An underspecified mention: the text does not date it, or it names only one side."""
        return not self.stated or not (self.actors and self.recipients)

    @cached_property
    def exact(self) -> bool:
        """Dated to one day by the text, not reckoned from another event."""
        return self.span is not None and self.span[0] == self.span[1]

    @cached_property
    def blocks(self) -> tuple[tuple[str, int, str], ...]:
        """The blocking index keys: (type, week, country) for every week the interval (widened by the
        tolerance) touches and every country named; (type, week, its mention) so that the events of
        one mention meet whatever their countries ("urged Iran and Pakistan": one event per
        recipient); (type, week, its sentence) for the types one sentence may be read as. Reports
        without a date interval or a country are never fused, so they have none."""
        iv = self.span
        if iv is None or not self.countries:
            return ()
        R = rules()
        weeks = range((iv[0] - R.tolerance) // 7, (iv[1] + R.tolerance) // 7 + 1)
        keys = sorted(self.countries) + self.own_keys
        return tuple((self.event_type, w, k) for w in weeks for k in keys)

    @property
    def own_keys(self) -> list[str]:
        return ([f"@{self.doc_id}#{self.trigger}"] if self.trigger is not None else []) + (
            [f"@{self.doc_id}:{self.sentence}"] if self.sentence is not None else [])

    @cached_property
    def probes(self) -> tuple[tuple[str, int, str], ...]:
        """The keys under which the reports it may be linked to are indexed: its own keys with every
        type it is compatible with; its sentence's key with the types one sentence may be read as."""
        if not self.blocks:
            return ()
        R = rules()
        own = {k for k in self.blocks}
        near = R.near.get(self.event_type, frozenset([self.event_type]))
        sentence = f"@{self.doc_id}:{self.sentence}"
        out = {(t, w, k) for (_, w, k) in own for t in near}
        if self.sentence is not None:
            out |= {(t, w, sentence) for (_, w, _) in own for t in R.near2.get(self.event_type, ())}
        return tuple(sorted(out))


def report_roles(r: dict[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """The actor and recipient countries of a report, widened where the coder split one act of
    countries named together into one event per country, as PLOVER asks: a recipient phrase that only
    lists countries ("urged Iran and Pakistan", "Tehran and Islamabad") counts all of them for each
    of its events; so does an actor phrase ("Pakistan and Iran agreed"), for both roles, when the
    event's recipient is one of them (the joint act coded once per direction). Another outlet's
    report of the same appeal or agreement may have been coded for the other country or direction."""
    actors = frozenset(a["country"] for a in r.get("actor") or [] if a.get("country"))
    recipients = frozenset(a["country"] for a in r.get("recipient") or [] if a.get("country"))
    evidence = r.get("evidence") or []
    if len(recipients) == 1:
        listed = set().union(*(countries_listed(e["text"]) for e in evidence if e.get("role") == "recipient"))
        if recipients < listed:
            recipients = frozenset(listed)
    together = set().union(*(countries_listed(e["text"]) for e in evidence if e.get("role") == "actor"))
    if actors and actors < together and actors | recipients <= together:
        actors, recipients = frozenset(together), frozenset(together) if recipients else recipients
    return actors, recipients


LIST_WORDS = {"and", "or", "&", ",", "the", "both"}


# The store rebuilds a component's reports from their records every batch that touches it: the
# functions of their texts below remember the last TEXT_MEMO texts.
TEXT_MEMO = 16_384


@lru_cache(maxsize=TEXT_MEMO)
def countries_listed(text: str) -> frozenset[str]:
    """The countries of a phrase that only lists countries by name, demonym, capital or seat of
    government (countries.csv) joined by "and", "or" or commas; else none."""
    from .lexicon import load_actor_dictionary

    d = load_actor_dictionary()
    toks = re.findall(r"[\w.'’-]+|,|&", text)
    out, i = set(), 0
    while i < len(toks):
        for n in (3, 2, 1):
            e = d.lookup(" ".join(toks[i : i + n])) if i + n <= len(toks) else None
            if e is not None and e.country and e.kind in ("name", "demonym", "capital", "metonym"):
                out.add(e.country)
                i += n
                break
        else:
            if toks[i].lower() not in LIST_WORDS:
                return frozenset()
            i += 1
    return frozenset(out) if len(out) > 1 else frozenset()


@lru_cache(maxsize=1)
def country_words() -> frozenset[str]:
    """The words of country names, demonyms and capitals (countries.csv): the dyad and place parts
    of the score already compare them."""
    from .lexicon import load_csv

    return frozenset(w for r in load_csv("countries.csv") for w in WORD.findall(r["alias"].lower()))


def relative_date(text: str | None) -> bool:
    """A date the text gives relative to another event ("a day after", "two days earlier", "last week"):
    the coder may have reckoned it from the wrong event, so it is widened by `relative_days`."""
    return bool(text) and any(w in rules().relative_words for w in text.lower().split())


NAME = re.compile(r"(?<![.!?\n(—\"“] )(?<!^)\b[A-Z][a-z]+(?:-[A-Za-z][a-z]+)*")


@lru_cache(maxsize=TEXT_MEMO)
def proper_names(text: str, source: str | None = None) -> frozenset[str]:
    """Capitalised words inside a sentence (not its first word) that are not country names, common
    words or the outlet's own name: the places, people and groups a report names ("Panjgur",
    "Amir-Abdollahian", "Jaish"). Two reports naming the same ones likely tell of the same event."""
    stop = rules().stopwords | country_words() | frozenset(WORD.findall((source or "").lower()))
    out = set()
    for line in re.split(r"(?<=[.!?])\s+|\n+", re.sub(r"\([^)]*\)", " ", text)):
        for m in NAME.finditer(line.strip()):
            w = m.group().lower()
            if m.start() > 0 and len(w) >= 4 and w not in stop:
                out.add(w)
    return frozenset(out)


@lru_cache(maxsize=TEXT_MEMO)
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


def misplaced(a: Report, b: Report) -> bool:
    """Report a's place is not named in its main sentence, which names b's place instead: the coder
    took a's place from another sentence (a speaker's city, "an official in Quetta said"; a dateline),
    so the distance between the two places says nothing. A report whose own sentence names its place
    keeps it ("Pakistan struck Saravan, two days after Iran hit Panjgur": Saravan)."""
    return bool(a.place_words and b.place_words and not a.place_words <= a.main_words and b.place_words <= a.main_words)


def counts_agree(a: tuple[int, int, int] | None, b: tuple[int, int, int] | None, R: Rules) -> bool | None:
    """None when either side gives no figure; else whether the widened ranges overlap."""
    if a is None or b is None:
        return None
    return a[1] <= b[2] * R.ratio + R.slack and b[1] <= a[2] * R.ratio + R.slack


def mutual(a: Report, b: Report) -> bool:
    """Both reports code an act with no direction (a meeting: "A met B" is "B met A")."""
    R = rules()
    return a.event_type in R.mutual and b.event_type in R.mutual


def reversed_dyad(a: Report, b: Report) -> bool:
    """Each report's actor is the other's recipient and no role agrees: the other way round."""
    return bool(a.actors & b.recipients and a.recipients & b.actors
                and not (a.actors & b.actors or a.recipients & b.recipients))


def roles_disagree(a: Report, b: Report) -> bool:
    """A role both reports fill names no country in common."""
    return any(x and y and not x & y for x, y in ((a.actors, b.actors), (a.recipients, b.recipients)))


def apart(a: Report, b: Report, countries: bool = True) -> bool:
    """Located in two countries (a capital stands for its government, not a place); with
    `countries=False` only places below the level of a country count ("missiles at Erbil and Idlib")."""
    return bool(a.place_country and b.place_country and a.place_country != b.place_country
                and not (a.capital or b.capital) and (countries or not (a.country_level or b.country_level)))


def same_sentence(a: Report, b: Report) -> bool:
    """Two events coded from one sentence of one document: "recalled its ambassador for consultations
    and summoned the chargé d'affaires" read as a recall, a consultation and a protest. Two types
    that are both compatible with a third are then not held apart: the other fields decide."""
    return a.doc_id == b.doc_id and a.sentence is not None and a.sentence == b.sentence


def same_mention(a: Report, b: Report) -> bool:
    """Two events of one mention in one document (a reciprocal pair or one per recipient)."""
    return a.doc_id == b.doc_id and a.trigger is not None and a.trigger == b.trigger


def one_figure(c: tuple[int, int, int] | None, R: Rules) -> bool:
    """A report's own figures agree with each other (its low and high could be one toll): only then
    does agreeing with another report's figures speak for one event ("two killed ... nine killed" in
    one sentence agrees with any toll in between)."""
    return c is not None and c[2] <= c[1] * R.ratio + R.slack


def conflict(a: Report, b: Report) -> str | None:
    """Why two reports cannot be linked (a hard constraint), or None: another modality or type (these
    two are absolute, see `pair_value`), date intervals that cannot meet, the dyad the other way round
    on another day both texts state, casualty figures that cannot be one toll, places too far apart
    for their precision, two targets in two countries. Everything else only lowers the score."""
    R = rules()
    if a.modality != b.modality:
        return "modality"
    if b.event_type not in R.near.get(a.event_type, (a.event_type,)):
        if b.event_type not in R.near2.get(a.event_type, ()):
            return "type"
        if not same_sentence(a, b):
            # both compatible with a third: other reports may bridge two codings of one diplomatic act
            return "related type" if a.event_type in R.bridged and b.event_type in R.bridged else "type"
    ia, ib = a.span, b.span
    if ia is None or ib is None or ia[0] > ib[1] + R.tolerance or ib[0] > ia[1] + R.tolerance:
        return "date"
    if a.exact and b.exact and ia != ib and reversed_dyad(a, b) and not mutual(a, b):
        return "dyad reversed"  # on another day, the other way round: a strike and the retaliation
    if (apart(a, b, countries=False) and a.recipients and b.recipients and not a.recipients & b.recipients
            and not (misplaced(a, b) or misplaced(b, a))):
        return "places"  # two targets in two countries ("missiles at Erbil and Idlib"): two events
    if counts_agree(a.fatalities, b.fatalities, R) is False or counts_agree(a.injuries, b.injuries, R) is False:
        return "casualties"
    if a.lat is not None and b.lat is not None and a.geonameid != b.geonameid and not (misplaced(a, b) or misplaced(b, a)):
        limit = max_km(a, b)
        if limit is not None and km(a, b) > limit:
            return "distance"
    return None


def evidence(a: Report, b: Report) -> dict[str, float]:
    """The parts of the score: for each field both reports give, how much it speaks for (> 0) or
    against (< 0) one real event, in units of the `weights` of data/fusion.yaml."""
    R = rules()
    out: dict[str, float] = {}
    shorter = min(len(a.words), len(b.words))
    out["text"] = len(a.words & b.words) / shorter if shorter else 0.0
    out["type"] = 1.0 if a.event_type == b.event_type else 0.0
    shared = len(a.names & b.names)
    if shared:  # none shared says nothing: reports of one event quote different officials and places
        out["names"] = min(shared, 2) / 2
    # the dyad: each role both fill agrees (+) or not (-); the other way round counts against
    aa, ar, ba, br = a.actors, a.recipients, b.actors, b.recipients
    if aa & br and ar & ba and not (aa & ba or ar & br) and not same_mention(a, b):
        out["dyad"] = 1.0 if mutual(a, b) else -1.0  # the same two sides of a meeting
    elif (aa and ba) or (ar and br):
        roles = [(1.0 if x & y else -0.5) for x, y in ((aa, ba), (ar, br)) if x and y]
        crossed = bool(aa and ba and not aa & ba and (aa & br or ba & ar))
        out["dyad"] = sum(roles) / len(roles) - (0.5 if crossed else 0.0)
    if not (a.countries & b.countries):
        out["countries"] = -1.0
    if a.exact and b.exact:
        out["date"] = 1.0 if a.span == b.span else 0.0
    if a.lat is not None and b.lat is not None and not (misplaced(a, b) or misplaced(b, a)):
        limit = max_km(a, b)
        if a.geonameid is not None and a.geonameid == b.geonameid:
            out["place"] = 1.0
        elif limit is not None:
            out["place"] = 1.0 - km(a, b) / limit
        elif apart(a, b):
            out["place"] = -1.0
        elif a.place_country and a.place_country == b.place_country:
            out["place"] = 0.3
    if (a.fatalities or a.injuries) and (b.fatalities or b.injuries):
        agree = [min(x[0], y[0]) for x, y in ((a.fatalities, b.fatalities), (a.injuries, b.injuries))
                 if counts_agree(x, y, R) and one_figure(x, R) and one_figure(y, R)]
        if agree:  # two tolls of nine agree more tellingly than two of two
            out["casualties"] = min(1.0, math.log10(1 + max(agree)))
    if a.doc_id == b.doc_id:
        if same_mention(a, b) and not apart(a, b, countries=False):
            out["mention"] = 1.0
        elif (a.weak or b.weak) and not roles_disagree(a, b):
            out["document"] = 1.0 if a.event_type == b.event_type else 0.5
    return out


def score(a: Report, b: Report) -> float | None:
    """How strongly two reports speak for one real event (the weighted sum of their evidence), or
    None when they cannot describe the same event."""
    if conflict(a, b) is not None:
        return None
    w = rules().weights
    return sum([w[k] * v for k, v in evidence(a, b).items()])


ABSOLUTE = ("modality", "type")  # conflicts no other report can outweigh


def pair_value(a: Report, b: Report) -> float | None:
    """What a pair adds to the mean score of a cluster holding both: its score; `conflict_penalty`
    when a field both state rules the link out (a date, a distance, a reversed dyad: one report may
    have coded it wrongly, so the other pairs of the two clusters may outweigh it); None when the
    two can never be one event (another modality or type)."""
    why = conflict(a, b)
    if why is None:
        return score(a, b)
    return None if why in ABSOLUTE else rules().conflict_penalty


# ---------------------------------------------------------------------------- blocking
class Index:
    """Blocking index: key -> event ids. A report's probes meet the keys of every report it can be linked to."""

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
        for k in r.probes:
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
                s = pair_value(members[i], members[j])
            if s is None:
                blocked[i, j] = blocked[j, i] = True
            else:
                total[i, j] = total[j, i] = s
    pv = np.where(blocked, np.nan, total)  # the pair values (nan: never one event)
    np.fill_diagonal(pv, np.nan)
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
    attach(groups, pv)
    return [[members[x] for x in sorted(g)] for _, g in sorted(groups.items())]


def attach(groups: dict[int, list[int]], pv: np.ndarray) -> None:
    """Second stage: a cluster joins a larger (or as large) one when one of its reports is strongly
    linked to one of the other's (the best pair reaches `attach`), nothing rules the two out (no pair of another modality
    or type, a mean pair value of at least `attach_mean`) and the choice is unambiguous: no cluster
    that excludes the chosen one (an absolute conflict or a low mean between them) is nearly as close
    (within `margin`). A weak mention (one role, a date from the dateline, a country for a place)
    thus reaches the cluster of the reports that state its event, which average linkage would keep
    apart. Repeated, best first, until no cluster can join another: canonical, since the groups come
    in the canonical order of their members. Cost per merge: one pass over the group matrices."""
    R = rules()
    keys = sorted(groups)
    g = len(keys)
    if g < 2:
        return
    block = np.isnan(pv)
    val = np.where(block, 0.0, pv)
    member = np.zeros((g, len(pv)))
    for i, k in enumerate(keys):
        member[i, groups[k]] = 1.0
    gsum = member @ val @ member.T
    gblock = (member @ block.astype(float) @ member.T) > 0
    masked = np.where(block, -np.inf, val)
    to_group = np.stack([masked[:, groups[k]].max(axis=1) for k in keys], axis=1)  # report -> group
    gmax = np.stack([to_group[groups[k]].max(axis=0) for k in keys])
    size = member.sum(axis=1)
    alive = np.ones(g, dtype=bool)
    rows = np.arange(g)
    while True:
        mean = gsum / np.outer(size, size)
        excl = gblock | (mean < R.attach_mean) | ~alive[None, :] | ~alive[:, None]
        np.fill_diagonal(excl, True)
        cand = np.where(excl, -np.inf, gmax)
        top_j = cand.argmax(axis=1)
        top = cand[rows, top_j]
        # a rival: any other cluster nearly as close through one pair, even one this cluster cannot join
        near = np.where(alive[None, :] & ~np.eye(g, dtype=bool), gmax, -np.inf) >= (top - R.margin)[:, None]
        near[rows, top_j] = False
        ambiguous = (near & excl[top_j]).any(axis=1)
        ok = alive & (top >= R.attach) & ~ambiguous & (size <= size[top_j])  # the smaller one joins
        if not ok.any():
            return
        first = np.minimum(rows, top_j)
        i = max(np.flatnonzero(ok), key=lambda x: (top[x], -first[x], -x))
        a, b = sorted((int(i), int(top_j[i])))
        groups[keys[a]] = sorted(groups[keys[a]] + groups.pop(keys[b]))
        gsum[a, :] += gsum[b, :]
        gsum[:, a] = gsum[a, :]
        gsum[a, a] += gsum[b, b]  # the pairs inside the merged group are not compared again
        gblock[a, :] |= gblock[b, :]
        gblock[:, a] = gblock[a, :]
        gmax[a, :] = np.maximum(gmax[a, :], gmax[b, :])
        gmax[:, a] = gmax[a, :]
        size[a] += size[b]
        alive[b] = False


def greedy(members: list[Report], edges: dict[str, dict[str, float]]) -> list[list[Report]]:
    """In canonical order, each report joins the linked cluster it scores best on average (at least
    `join`, no absolute conflict with any member), or starts one."""
    join = rules().join
    clusters: list[list[Report]] = []
    home: dict[str, int] = {}
    for r in members:
        near = edges.get(r.event_id, {})
        best, best_avg = None, 0.0
        for k in sorted({home[o] for o in near if o in home}):
            scores = [near[m.event_id] if m.event_id in near else pair_value(r, m) for m in clusters[k]]
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
    component: str  # its connected component in its block's run ("block/smallest event id")
    reports: list[Report]  # canonical order: the representative first
    parts: tuple["Cluster", ...] = ()  # a fused event paired across a block's edge: its two clusters

    @property
    def fused_id(self) -> str:
        first = min(self.reports, key=lambda r: (r.doc_date or date.max, r.doc_id, r.event_id))
        return "fz" + stable_id("fused", first.event_id)

    @cached_property
    def part_id(self) -> str:
        return min(r.event_id for r in self.reports)

    @property
    def pieces(self) -> tuple["Cluster", ...]:
        """The clusters of one block it is made of (itself, or the two paired across an edge)."""
        return self.parts or (self,)

    @cached_property
    def anchor(self) -> int | None:
        """The median of its reports' middle days (ordinals): where it sits in its block."""
        mids = sorted(r.mid for r in self.reports if r.mid is not None)
        return mids[(len(mids) - 1) // 2] if mids else None

    @property
    def edge(self) -> int | None:
        return edge_of(self.anchor)


def edge_of(anchor: int | None) -> int | None:
    """The block edge (the number of the block it opens) that a cluster anchored on this day may be
    paired across: the nearer one, when it is less than `edge_days` away (at most `edge_days` on its right)."""
    if anchor is None:
        return None
    R = rules()
    b = anchor // R.block_days
    if anchor - b * R.block_days < R.edge_days:
        return b
    if (b + 1) * R.block_days - anchor <= R.edge_days:
        return b + 1
    return None


def edge_window(edge: int) -> tuple[int, int]:
    """The anchors (ordinals, end excluded) of the clusters an edge pairs."""
    R = rules()
    return edge * R.block_days - R.edge_days, edge * R.block_days + R.edge_days


def run_days(b: int) -> tuple[int, int]:
    """The middle days (ordinals, end excluded) of the reports in block b's run."""
    R = rules()
    return b * R.block_days - R.edge_days, (b + 1) * R.block_days + R.edge_days


def runs_of(r: Report) -> tuple[int, ...]:
    """The blocks whose run a report is clustered in: its own, and the neighbour across the edge it
    is within `edge_days` of (there it is context: it holds that block's reports apart or together)."""
    if r.block is None:
        return ()
    e = edge_of(r.mid)
    return (r.block,) if e is None else (r.block, r.block - 1 if e == r.block else r.block + 1)


@dataclass
class Component:
    """A connected component of the links among one block's run: its id, block, members and the
    clusters of its own reports (those whose middle day falls in the block)."""

    id: str
    block: int
    members: list[Report]
    parts: list[Cluster]


def recluster(runs: dict[int, list[Report]]) -> list[Component]:
    """Stage 1: link and cluster the reports of each block's run (a set closed under its links: whole
    components), and keep each cluster's own reports as a part of a fused event."""
    out = []
    for b, reports in sorted(runs.items()):
        run = list({r.event_id: r for r in reports}.values())
        edges = links(run)
        for comp in components(run, edges):
            cid = f"{b}/{min(r.event_id for r in comp)}"
            own = [r for r in comp if r.block == b]
            kept = [[r for r in c if r.block == b] for c in cluster_component(comp, edges)] if own else []
            out.append(Component(cid, b, comp, [Cluster(cid, c) for c in kept if c]))
    return out


def parts(reports: Iterable[Report]) -> list[Cluster]:
    """Stage 1 on a closed set of reports: every block's run clustered whole."""
    runs: dict[int, list[Report]] = defaultdict(list)
    out = []
    for r in {r.event_id: r for r in reports}.values():
        if r.block is None:
            out.append(Cluster(r.event_id, [r]))  # never fused
        for b in runs_of(r):
            runs[b].append(r)
    return out + [c for comp in recluster(runs) for c in comp.parts]


def pair(clusters: Iterable[Cluster], seeds: set[str] | None = None, index: Index | None = None) -> list[tuple[Cluster, ...]]:
    """Stage 2: pair the clusters of one event that a block's edge split. The clusters anchored
    within `edge_days` of an edge meet those on its other side to which one of their reports is
    linked; a pair qualifies as average linkage or `attach` would join it (no absolute conflict, a
    mean pair value of at least `join`, or a best pair of at least `attach` with a mean of at least
    `attach_mean`), and the best pairs are taken first, each cluster at most once. An edge's pairs
    depend only on the clusters in its window, and each linked group of them is paired on its own,
    so the pairing is canonical. Returns the clusters given, alone or in pairs; with `seeds` (part
    ids: the clusters that changed, and those paired with one that is gone) only the linked groups
    that hold one of them (the rest keep their pairs). `index`: one that holds at least the reports
    of these clusters (else one is built for each edge)."""
    R = rules()
    out: list[tuple[Cluster, ...]] = []
    by_edge: dict[int, list[Cluster]] = defaultdict(list)
    for c in clusters:
        e = c.edge
        if e is None:
            if seeds is None or c.part_id in seeds:
                out.append((c,))
        else:
            by_edge[e].append(c)
    for e, cs in sorted(by_edge.items()):
        start = e * R.block_days
        by_part = {c.part_id: c for c in cs}
        right = {pid: c.anchor >= start for pid, c in by_part.items()}  # type: ignore[operator]
        owner, by_id = {}, {}
        for pid, c in by_part.items():
            for r in c.reports:
                owner[r.event_id], by_id[r.event_id] = pid, r
        idx = index
        if idx is None:
            idx = Index()
            for r in by_id.values():
                idx.add(r)
        near: dict[str, set[str]] = {}
        todo = sorted(by_part if seeds is None else seeds & by_part.keys())
        reached = set(todo)
        while todo:  # the linked groups of the seeds (links across the edge go both ways)
            pid = todo.pop()
            near[pid] = set()
            for r in by_part[pid].reports:
                for o in idx.candidates(r):
                    q = owner.get(o)
                    if q is not None and right[q] != right[pid] and q not in near[pid]:
                        s = score(r, by_id[o])
                        if s is not None and s >= R.link:
                            near[pid].add(q)
                            if q not in reached:
                                reached.add(q)
                                todo.append(q)
        candidates = []
        for pid in sorted(reached):
            if right[pid]:
                continue
            for q in sorted(near[pid]):
                values = [pair_value(a, b) for a in by_part[pid].reports for b in by_part[q].reports]
                if None in values:
                    continue
                mean = sum(values) / len(values)  # type: ignore[arg-type]
                if mean >= R.join or max(values) >= R.attach and mean >= R.attach_mean:  # type: ignore[type-var]
                    candidates.append((-mean, pid, q))
        paired: set[str] = set()
        for _, pid, q in sorted(candidates):
            if pid not in paired and q not in paired:
                paired |= {pid, q}
                out.append((by_part[pid], by_part[q]))
        out += [(by_part[pid],) for pid in sorted(reached - paired)]
    return out


def fuse_group(group: tuple[Cluster, ...]) -> Cluster:
    if len(group) == 1:
        return group[0]
    return Cluster(group[0].component, sorted((r for c in group for r in c.reports), key=quality), parts=group)


def cluster(reports: Iterable[Report]) -> list[Cluster]:
    """Fuse a closed set of reports: cluster each block (`parts`), then pair across the edges (`pair`)."""
    return [fuse_group(g) for g in pair(parts(reports))]


class Fuser:
    """The fused state of a set of reports, kept in memory and updated incrementally
    (the benchmark and the tests; the store keeps the same state in DuckDB, see store.py)."""

    def __init__(self) -> None:
        self.reports: dict[str, Report] = {}
        self.index = Index()
        self.component_of: dict[tuple[int, str], str] = {}  # (block, event id) -> its component in that block's run
        self.components: dict[str, Component] = {}
        self.by_edge: dict[int, dict[str, Cluster]] = defaultdict(dict)  # edge -> part id -> cluster
        self.fused: dict[str, Cluster] = {}  # part id -> the fused event it is part of

    def update(self, add: Iterable[Report] = (), remove: Iterable[str] = ()) -> list[Cluster]:
        """Add (or replace) and remove reports; returns the fused events that were rebuilt."""
        add = list(add)
        touched: set[str] = set()
        for eid in [*remove, *(r.event_id for r in add)]:
            if eid in self.reports:
                r = self.reports.pop(eid)
                touched |= {self.component_of[b, eid] for b in runs_of(r)}
                self.index.remove(r)
                if r.block is None:
                    self.fused.pop(eid, None)
        link = rules().link
        for r in add:
            for o in self.index.candidates(r):
                comps = {self.component_of[b, o] for b in set(runs_of(r)) & set(runs_of(self.reports[o]))} - touched
                if comps:
                    s = score(r, self.reports[o])
                    if s is not None and s >= link:
                        touched |= comps
        for r in add:
            self.reports[r.event_id] = r
            self.index.add(r)
        runs: dict[int, list[Report]] = defaultdict(list)
        old = []
        for cid in touched:
            comp = self.components.pop(cid)
            old += comp.parts
            for m in comp.members:
                del self.component_of[comp.block, m.event_id]
                if m.event_id in self.reports:
                    runs[comp.block].append(self.reports[m.event_id])
        for r in add:
            for b in runs_of(r):
                runs[b].append(r)
        released = set()  # the parts paired with one that is gone
        for c in old:
            f = self.fused.pop(c.part_id, None)
            released |= {p.part_id for p in f.pieces} if f is not None else set()
            if c.edge is not None:
                self.by_edge[c.edge].pop(c.part_id, None)
        new = []
        for comp in recluster(runs):
            self.components[comp.id] = comp
            for m in comp.members:
                self.component_of[comp.block, m.event_id] = comp.id
            new += comp.parts
            for c in comp.parts:
                if c.edge is not None:
                    self.by_edge[c.edge][c.part_id] = c
        seeds = {c.part_id for c in new} | (released - {c.part_id for c in old})
        edges = sorted({c.edge for c in old + new} - {None})
        groups = [(c,) for c in new if c.edge is None] + pair((c for e in edges for c in self.by_edge[e].values()), seeds, self.index)
        groups += [(Cluster(r.event_id, [r]),) for r in add if r.block is None]  # never fused
        out = []
        for g in groups:
            f = fuse_group(g)
            out.append(f)
            for c in g:
                self.fused[c.part_id] = f
        return out

    def clusters(self) -> list[Cluster]:
        """The fused events."""
        return list({id(f): f for f in self.fused.values()}.values())

    def partition(self) -> set[frozenset[str]]:
        return {frozenset(r.event_id for r in f.reports) for f in self.clusters()}


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
