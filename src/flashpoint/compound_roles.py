"""Compound roles as PLOVER codes them: two countries acting together on no one else act on each
other (one event each way); recipients of several countries make one event each."""

from __future__ import annotations

from .candidates import Article, Candidate, countries
from .facts import EVENT_NOUNS


def split(art: Article, cands: list[Candidate]) -> list[Candidate]:
    """The stage: reciprocal actors, then one event per recipient country."""
    return split_recipients(reciprocal(cands))


def reciprocal(cands: list[Candidate]) -> list[Candidate]:
    """Two countries acting together on no one else ("Iran and Pakistan exchanged strikes", "...
    agreed to restore ties") act on each other: one event each way, as PLOVER codes compound actors."""
    out = []
    for c in cands:
        pair = sorted(countries(c.actors))
        if len(pair) == 2 and not countries(c.recipients) and not joint_attack(c):
            for a, b in (pair, pair[::-1]):
                out.append(Candidate(**{**c.__dict__, "actors": [x for x in c.actors if x.country == a],
                                        "recipients": [x for x in c.actors if x.country == b], "spans": dict(c.spans)}))
        else:
            out.append(c)
    return out


def joint_attack(c: Candidate) -> bool:
    """ "U.S. and British warplanes struck more than 60 targets": an attack with a target of its own
    (an object or an "on"/"against"/"at" phrase that is not a word of the trigger nor an event noun such
    as "exchanged strikes") is made by the two together on that target, not by each on the other."""
    if c.trig.type not in ("ASSAULT", "COERCE"):
        return False
    targets = [o for o in c.token.children if o.dep_ in ("dobj", "obj")]
    targets += [o for p in c.token.children if p.dep_ == "prep" and p.lower_ in TARGET_PREPS for o in p.children if o.dep_ == "pobj"]
    return any(o.lemma_.lower() not in c.trig.words and o.lower_ not in EVENT_NOUNS for o in targets)


TARGET_PREPS = {"on", "against", "at"}


def split_recipients(cands: list[Candidate]) -> list[Candidate]:
    """One event per recipient country, as PLOVER asks when recipients differ ("Iraq and Syria")."""
    out = []
    for c in cands:
        groups = {}
        for r in c.recipients:
            groups.setdefault(r.country, []).append(r)
        keyed = {k: v for k, v in groups.items() if k}
        if len(keyed) <= 1:
            out.append(c)
            continue
        for iso, rs in keyed.items():
            clone = Candidate(**{**c.__dict__, "recipients": rs, "spans": dict(c.spans)})
            if clone.location and clone.location.country != iso:
                clone.location = None  # "strikes in Iraq and Syria": the Iraqi place is not the Syrian event's
            if clone.nearby and clone.nearby.country != iso:
                clone.nearby = None
            if clone.lead and clone.lead.country != iso:
                clone.lead = None
            out.append(clone)
    return out
