"""From the fused mentions of each event to contract `Event` records: the roles, date and place of
the event, its casualty claims, ACLED category and PLOVER context, evidence spans and confidence."""

from __future__ import annotations

from dataclasses import replace

from . import acled
from .candidates import PRECISION_RANK, VIOLENT, Article, Candidate, countries
from .facts import casualty_facts
from .lexicon import goldstein, plover_score
from .mentions import Group
from .models import Actor, Event, Location, Span, stable_id
from .places import country_place
from .roles import event_roles
from .spans import text_of
from .syntax import SAY_VERBS


def build(art: Article, groups: list[Group], document: list[Candidate]) -> list[Event]:
    """The stage: one record per group (`document`: all the article's candidates, which decide whose
    a casualty figure is); an event that names no place is located in a country when its sides say
    which."""
    events = [build_event(art.id, art.text, g, document) for g in groups]
    for ev in events:
        # no place named: violence is located in its target's country; any other event in the one
        # country all its sides belong to ("A Tunisian court approved ..." happened in Tunisia)
        sides = countries(ev.actor) | countries(ev.recipient)
        iso = (sorted(countries(ev.recipient))[0] if ev.event_type in VIOLENT and countries(ev.recipient)
               else next(iter(sides)) if len(sides) == 1 else None)
        if ev.location is None and iso and (p := country_place(iso)):
            ev.location = Location(p.name, p.name, iso, None, None, p.lat, p.lon, p.geonameid, 3, "PCLI")
    return events


def unique(actors: list[Actor]) -> list[Actor]:
    seen, out = set(), []
    for a in actors:
        key = (a.country, a.name)
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


def best_location(members: list[Candidate], recipients: list[Actor]) -> Location | None:
    """The most specific place named in the clause of one of the event's mentions; else the place
    of their sentences (Candidate.nearby); else the article's lead place (its dateline), unless the
    event was violence done to another country ("attacks inside Iraq and Syria" in an article about
    Pakistan)."""
    targets = countries(recipients) if members[0].trig.type in VIOLENT else set()
    # the dateline says where the story was filed, not that the event was there: at best "near" it
    lead = [replace(m.lead, precision=max(m.lead.precision, 2)) for m in members if m.lead and (not targets or m.lead.country in targets)]
    for locs in ([m.location for m in members if m.location], [m.nearby for m in members if m.nearby], lead):
        if locs:
            return min(locs, key=lambda loc: (loc.precision, loc.feature_code != "ADM1"))
    return None


def main_clause(tok) -> bool:
    """The sentence's own statement: its root verb, what a root verb of saying reports, or their object."""
    verb = tok.head if tok.pos_ == "NOUN" and tok.dep_ in ("dobj", "nsubj", "nsubjpass") else tok
    return verb.dep_ == "ROOT" or (verb.dep_ == "ccomp" and verb.head.dep_ == "ROOT" and verb.head.lemma_ in SAY_VERBS)


def evidence_spans(text: str, ms: list[Candidate]) -> list[Span]:
    """The sentences that state the event, then the trigger, actor and recipient phrases in them."""
    out: dict[tuple[str, int, int], Span] = {}
    for role in ("sentence", "trigger", "actor", "recipient"):
        for m in ms:
            if role in m.spans:
                s, e = m.spans[role]
                out.setdefault((role, s, e), Span(text[s:e], s, e, role))
    return list(out.values())


def build_event(doc_id: str, text: str, g: Group, document: list[Candidate]) -> Event:
    ms = g.members
    first = ms[0]
    # the most precise date; at equal precision one the text states ("late on Tuesday") before the
    # dateline a present-tense headline defaults to ("Iranian strike kills two children")
    dated = sorted((m for m in ms if m.date), key=lambda m: (PRECISION_RANK[m.date_precision], m.date_text is None))
    main = dated[0] if dated else first
    actors, recipients = event_roles(ms)  # one mention's actor and recipient, not the union of all mentions
    actors = unique(actors)
    # the actor is not its own recipient, but a country's government can be its people's ("students in Indonesia" -> Indonesia)
    recipients = unique([a for a in recipients if (a.country, a.name, a.sector) not in {(x.country, x.name, x.sector) for x in actors}])
    trig = next((m.trig for m in ms if m.trig.mode), first.trig)
    modes = [trig.mode] if trig.mode else []
    evidence = evidence_spans(text, ms)
    ts, te = first.spans["trigger"]
    sentences = list({m.sentence.start_char + m.offset: m.sentence for m in ms}.values())
    said, lemmas = " ".join(text_of(s) for s in sentences), " ".join(t.lemma_ for s in sentences for t in s)
    loc = best_location(ms, recipients)
    facts = casualty_facts(ms, document) if g.type in ("ASSAULT", "COERCE", "PROTEST") else None  # facts.py: claims over the event's sentences
    conf = 0.4 + 0.2 * bool(countries(actors)) + 0.2 * bool(countries(recipients)) + 0.1 * (main.date_text is not None)
    conf += 0.1 * (len(ms) > 1) - 0.15 * ("recipient_inferred" in first.spans) + 0.15 * main_clause(first.token)
    ident = stable_id(doc_id, g.type, ",".join(sorted(countries(actors))), ",".join(sorted(countries(recipients))), str(ts))
    ev = Event(
        event_id=ident,
        doc_id=doc_id,
        event_type=g.type,
        mode=modes,
        cameo=trig.cameo,
        goldstein=goldstein(trig.cameo),
        plover_score=plover_score(g.type, modes),
        context=acled.contexts(text_of(first.sentence), first.sentence.lemma_),  # what its first statement is about
        acled=acled.classify(g.type, modes, said, lemmas, actors, recipients, trig.acled),
        actor=actors,
        recipient=recipients,
        date=main.date.isoformat() if main.date else None,
        date_precision=main.date_precision if main.date else "unknown",
        date_text=main.date_text,
        location=loc,
        modality=g.modality,
        convention=next((m.convention for m in ms if m.convention), None),
        evidence=evidence,
        trigger=Span(text[ts:te], ts, te),
        confidence=round(max(0.05, min(conf, 0.99)), 2),
    )
    if facts:
        ev.fatalities, ev.injuries, ev.claims, ev.contested = facts.fatalities, facts.injuries, facts.claims, facts.contested
    return ev
