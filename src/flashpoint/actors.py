"""Resolve a noun phrase to actors: ISO3 country, a name and a CAMEO/PLOVER-style sector.

"Iran's foreign minister" -> Iran/IRN/GOV; "Officials in Pakistan" -> Pakistan/PAK/GOV;
"two bases of Sunni Muslim group Jaish al-Adl" -> Jaish al-Adl/IRN/REB; "Iraq and Syria" -> two actors;
"its" -> the nearest actor mentioned before it (same sentence, else the previous subject).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from .context import person_name
from .facts import EVENT_NOUNS
from .lexicon import Entry, load_actor_dictionary
from .models import Actor
from .places import candidates as place_candidates
from .spans import entities, sentence_of, text_of

CUT_DEPS = {"relcl", "acl", "advcl", "parataxis", "punct", "cc", "mark", "ccomp"}
PRONOUNS = {"its", "it", "their", "they", "them", "his", "her", "he", "she", "him"}
PERSONAL = {"his", "her", "he", "she", "him"}
ENTITY_LABELS = {"GPE", "NORP", "ORG", "PERSON", "LOC", "FAC"}


def phrase_tokens(tok: Token, core: bool = False) -> list[Token]:
    """The token's subtree without relative clauses and other clause-level attachments; the `core`
    phrase also leaves out prepositional modifiers other than "of" ("Iran's Revolutionary Guards
    in Iraq and Syria" -> "Iran's Revolutionary Guards"; "bases of Jaish al-Adl" stays whole)."""
    out: list[Token] = []

    def walk(t: Token) -> None:
        out.append(t)
        for c in t.children:
            if c.dep_ not in CUT_DEPS and not (core and c.dep_ == "prep" and c.lower_ != "of"):
                walk(c)

    walk(tok)
    return sorted(out, key=lambda t: t.i)


@dataclass
class Mention:
    entry: Entry
    tokens: list[Token]
    text: str

    @property
    def start(self) -> int:
        return self.tokens[0].i


@dataclass
class CorefState:
    """What pronouns can refer to: the actors of the last subject seen in the document."""

    last_subject: list[Actor] = field(default_factory=list)
    last_person: list[Actor] = field(default_factory=list)  # for "he", "she": the last named person
    countries: list[str] = field(default_factory=list)  # ISO3 codes, most recently mentioned last
    groups: list[Actor] = field(default_factory=list)  # named armed groups and organisations, most recent last
    weights: Mapping[str, float] = field(default_factory=dict)  # ISO3 -> how much the article is about it (context.py)

    def seen(self, mentions: list["Mention"]) -> None:
        for m in mentions:
            e = m.entry
            if e.country and e.kind in ("name", "demonym", "capital", "metonym", "place"):
                self.countries = [c for c in self.countries if c != e.country] + [e.country]
            if e.kind == "group":
                self.groups = [g for g in self.groups if g.name != e.name] + [Actor(m.text, e.name, e.country, e.sector)]


PAIR_WINDOW = 4  # "both sides" are two of the last this many countries named
PAIR_NOUNS = {"country", "side", "neighbour", "neighbor", "nation", "government", "capital", "party"}
GROUP_NOUNS = {"group", "organisation", "organization", "movement", "militia", "outfit", "faction"}


def definite_reference(tok: Token, coref: CorefState) -> list[Actor] | None:
    """ "the two countries", "both sides" -> the last two countries mentioned; "the group" -> the
    last named group. None when the phrase is not such a reference."""
    lem = tok.lemma_.lower()
    kids = {c.lower_ for c in tok.children if c.dep_ in ("det", "nummod", "predet", "amod")}
    d = load_actor_dictionary()
    if lem in PAIR_NOUNS and kids & {"two", "both"} and len(coref.countries) >= 2:
        # of the countries named last, the two the article is most about ("the United States called for
        # restraint ... urged both sides": the two sides are not the caller)
        recent = coref.countries[-PAIR_WINDOW:]
        pair = sorted(sorted(range(len(recent)), key=lambda i: (coref.weights.get(recent[i], 0), i))[-2:])
        return [Actor(tok.text, d.country_name(recent[i]) or recent[i], recent[i], "GOV") for i in pair]
    if lem in GROUP_NOUNS and "the" in kids and len(list(tok.children)) <= 2 and coref.groups:
        g = coref.groups[-1]
        return [Actor(tok.text, g.name, g.country, g.sector)]
    return None


def homonym_town(span: Span, e: Entry) -> Entry | None:
    """A capital's name that the geoparser, reading the whole text, resolved to a town of another
    country ("a London rally" in an article about Ontario, "Victoria" in British Columbia): the town,
    not the capital's government."""
    if e.kind != "capital":
        return None
    from .geoparse import doc_places

    hit = doc_places(span.doc).get((span.start, span.end))
    if hit is None or hit[0].country in (None, e.country):
        return None
    iso = hit[0].country
    return Entry(load_actor_dictionary().country_name(iso) or iso, iso, None, "place", span.label_)


def entity_entry(span: Span) -> Entry | None:
    d = load_actor_dictionary()
    e = d.lookup(span.text)
    if e:
        return homonym_town(span, e) or e
    if span.label_ == "PERSON":
        name = person_name(span)  # "WASHINGTON Barack Obama" -> "Barack Obama"
        return d.lookup(name) or Entry(name, None, None, "person", "PERSON")
    if span.label_ in ("GPE", "LOC", "FAC"):
        cands = place_candidates(span.text)
        if cands:
            best = max(cands, key=lambda p: p.population)
            return Entry(d.country_name(best.country) or best.country, best.country, None, "place", span.label_)
    if span.label_ == "ORG":
        return Entry(span.text, None, None, "org", "ORG")
    return None


def entity_at(doc: Doc, i: int) -> Span | None:
    """The entity (any label) that token i is part of, from an index built once per chunk
    (`doc.ents` makes a Span of every entity on each call)."""
    at = doc.user_data.get("flashpoint_entity_at")
    if at is None:
        at = doc.user_data["flashpoint_entity_at"] = [None] * len(doc)
        for e in entities(doc)[1]:
            for k in range(e.start, e.end):
                at[k] = e
    return at[i]


def entity_index(doc: Doc) -> tuple[list[int], list[Span], dict[tuple[int, int], Entry | None]]:
    """The chunk's actor-like entities (starts, spans) and a memo of their entries, built once per chunk."""
    idx = doc.user_data.get("flashpoint_entities")
    if idx is None:
        ents = [e for e in entities(doc)[1] if e.label_ in ENTITY_LABELS]
        idx = doc.user_data["flashpoint_entities"] = ([e.start for e in ents], ents, {})
    return idx


def mentions_in(tokens: list[Token]) -> list[Mention]:
    """Entity mentions whose tokens all lie inside the phrase."""
    if not tokens:
        return []
    ids = {t.i for t in tokens}
    starts, ents, entries = entity_index(tokens[0].doc)
    inside = ents[bisect_left(starts, min(ids)) : bisect_right(starts, max(ids))]
    return entity_mentions([ent for ent in inside if ent.start in ids and (ent.end - 1) in ids], entries)


def mentions_within(span: Span) -> list[Mention]:
    """`mentions_in` for a whole span (a sentence): its entities from their starts, no set of its tokens."""
    starts, ents, entries = entity_index(span.doc)
    inside = ents[bisect_left(starts, span.start) : bisect_left(starts, span.end)]
    return entity_mentions([ent for ent in inside if ent.end <= span.end], entries)


def entity_mentions(ents: list[Span], entries: dict[tuple[int, int], Entry | None]) -> list[Mention]:
    """The entities that resolve to an actor entry, as mentions (`entries`: the chunk's memo)."""
    out = []
    for ent in ents:
        key = (ent.start, ent.end)
        if key not in entries:
            entries[key] = entity_entry(ent)
        entry = entries[key]
        if entry:
            out.append(Mention(entry, list(ent), ent.text))
    return out


def antecedent(tok: Token, coref: CorefState) -> list[Actor]:
    """The nearest actor mentioned before a pronoun in its sentence, else the last subject."""
    sent = sentence_of(tok)
    before = [t for t in sent if t.i < tok.i]
    if tok.dep_ in ("dobj", "dative", "pobj"):  # "Russian authorities dismissed them": not the clause's own subject
        verb = tok.head.head if tok.dep_ == "pobj" else tok.head
        own = {t.i for s in verb.children if s.dep_ in ("nsubj", "nsubjpass") for t in s.subtree}
        before = [t for t in before if t.i not in own]
    personal = tok.lower_ in PERSONAL
    ms = [
        m for m in mentions_in(before)
        if (m.entry.kind == "person" if personal else m.entry.country or m.entry.kind in ("group", "org"))
    ]
    if ms:
        m = ms[-1]
        return [Actor(tok.text, m.entry.name, m.entry.country, m.entry.sector)]
    fallback = (coref.last_person if personal else []) or coref.last_subject
    return [Actor(tok.text, a.name, a.country, a.sector) for a in fallback]


def event_place(tok: Token) -> set[int]:
    """The tokens of where an act took place when the phrase names the act ("Tuesday's strikes in
    Pakistan had targeted ..."): the place of a strike is not who struck."""
    if tok.lower_ not in EVENT_NOUNS:
        return set()
    return {t.i for p in tok.children if p.dep_ == "prep" and p.lower_ in LOCATIVE for t in phrase_tokens(p)}


LOCATIVE = {"in", "inside", "on", "near", "across"}


def to_actor(m: Mention, text: str, sector: str | None) -> Actor:
    e = m.entry
    if e.kind in ("group", "org", "person") and e.name:
        return Actor(text, e.name, e.country, e.sector or sector)
    return Actor(text, e.name, e.country, sector or e.sector or ("GOV" if e.kind == "name" else None))


def resolve_phrase(tok: Token, coref: CorefState | None = None) -> list[Actor]:
    """Actors a noun phrase refers to; coordinated mentions ("Iraq and Syria") give several."""
    coref = coref or CorefState()
    d = load_actor_dictionary()
    tokens = phrase_tokens(tok)
    text = text_of(tok.doc[tokens[0].i : tokens[-1].i + 1]).strip()
    sector = d.role_sector([t.lemma_.lower() for t in tokens if t.pos_ in ("NOUN", "ADJ", "PROPN", "VERB")])
    if tok.lower_ in PRONOUNS:
        return antecedent(tok, coref)
    if (ref := definite_reference(tok, coref)) is not None:
        return ref
    mentions = mentions_in(phrase_tokens(tok, core=True)) or [m for m in mentions_in(tokens) if m.start not in event_place(tok)]
    if not mentions:
        poss = [t for t in tokens if t.lower_ in PRONOUNS and t.dep_ == "poss"]
        if poss:
            # "his spokesman" of the UN Secretary-General: the staff of an international organisation are its own
            return [Actor(text, a.name, a.country, a.sector if a.sector == "IGO" else sector or a.sector) for a in antecedent(poss[0], coref)]
        if sector:
            return [Actor(text, tok.text if tok.pos_ != "PRON" else text, None, sector)]
        if tok.pos_ in ("NOUN", "PROPN") and tok.ent_type_ not in ("DATE", "TIME", "CARDINAL", "MONEY", "QUANTITY"):
            return [Actor(text, text, None, None)]  # "Islamic fundamentalists": named by the text, of unknown country
        return []
    # Coordinated mentions are separate actors; otherwise a named actor beats a bare country.
    heads = {m.tokens[-1].i: m for m in mentions}
    conj = [m for m in mentions if any(t.dep_ == "conj" and t.head.i in heads for t in m.tokens)]
    if conj:
        first = heads.get(conj[0].tokens[-1].head.i)
        group = ([first] if first else []) + conj
        return [to_actor(m, m.text, sector) for m in group]
    named = [m for m in mentions if m.entry.kind in ("group", "org", "person")]
    pick = named[0] if named else mentions[0]
    actor = to_actor(pick, text, sector)
    if actor.country is None:
        countries = [m.entry.country for m in mentions if m.entry.country]
        actor.country = countries[0] if countries else None
    if pick.entry.kind == "demonym" and tok in pick.tokens and any(t.lemma_.lower() == "ethnic" for t in tokens):
        actor.sector = "ETH"  # an ethnic group, coded by where it lives, not by its kin state
        home = [m.entry.country for m in mentions_in(tokens) if m.entry.kind in ("name", "place") and m.entry.country]
        actor.country = home[0] if home else None
    elif pick.entry.kind == "demonym" and tok in pick.tokens:  # "the Albanians of southern Serbia": where they live
        where = [t for p in tok.children if p.dep_ == "prep" and p.lower_ in ("of", "in") for t in phrase_tokens(p)]  # not "angry over Russia's support"
        home = [m.entry.country for m in mentions_in(where) if m is not pick and m.entry.kind in ("name", "place") and m.entry.country]
        actor.country = home[0] if home else actor.country
    return [actor]
