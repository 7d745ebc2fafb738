"""The article context the role stage reads, built once per document before any event is coded.

- `countries`: the article's countries with weights: the dateline (3), the opening sentence
  (headline or lead, 2 per mention), every other mention (1). `main_country` is the one the article
  is about when it clearly dominates (1.5 times the weight of the next) and recurs (named in two
  sentences or more), else None. Towns and
  provinces count for their country at half weight.
- `people`: coreference chains of named people: "U.S. President Barack Obama", "Obama",
  "Mr Obama" are one chain whose country comes from the text (a title or demonym in the name's
  own phrase, "Russia's Vladimir Putin", an appositive "Erdogan, Turkey's president") or from
  actors.yaml, never from a default.
- `person_mentions`: where each named person is mentioned (document character offset), for "he",
  "she" and "the president".
- `role_mentions`: role nouns the text gives a country ("the Syrian regime"), for a later "the regime".
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field

import numpy
from spacy.attrs import LEMMA, POS
from spacy.symbols import NOUN
from spacy.tokens import Span, Token

from .lexicon import load_actor_dictionary
from .nlp import Chunk

# "WASHINGTON", "AUSTIN, Texas", "WASHINGTON (RNS)", "CONAKRY, Jan 19 (Atlantic Coast Reporter) —": an
# upper-case place at the very start of the text, optionally its state or country, the day and the
# agency, then the story.
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
DATELINE = re.compile(
    r"\A\s*(?P<place>[A-Z][A-Z .'-]*[A-Z])"
    r"(?:,\s*(?!" + MONTH + r"\s+\d)(?P<region>[A-Z][\w.]*(?:\s[A-Z][\w.]*)?))?"
    r"(?:,\s*" + MONTH + r"\s+\d{1,2})?"
    r"\s*(?:\((?P<source>[^)]{1,40})\))?\s*[-—–:]*\s+(?=[A-Z\"“])"
)
NAME_PARTICLES = {"bin", "ibn", "al", "el", "de", "da", "di", "du", "van", "von", "der", "la", "le", "abu", "ben", "del", "dos"}
HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "mr.", "mrs.", "ms.", "dr."}
COUNTRY_KINDS = ("name", "demonym", "capital", "metonym")
DATELINE_WEIGHT, LEAD_WEIGHT, PLACE_WEIGHT = 3.0, 2.0, 0.5
DOMINANCE = 1.5  # the main country weighs this many times the next one


@dataclass
class Person:
    name: str
    country: str | None
    sector: str | None = None
    titles: set[str] = field(default_factory=set)  # role terms written with the name: "president", "judge"


@dataclass
class Dateline:
    text: str  # as written, e.g. "AUSTIN, Texas"
    end: int  # character offset where the story starts
    country: str | None
    source: str | None = None


@dataclass
class ArticleContext:
    dateline: Dateline | None = None
    countries: Counter = field(default_factory=Counter)  # ISO3 -> weight (countries, their people and groups, towns)
    nations: Counter = field(default_factory=Counter)  # ISO3 -> weight of the country, its people and groups (no towns)
    sentences: Counter = field(default_factory=Counter)  # ISO3 -> sentences that mention it
    people: dict[str, Person] = field(default_factory=dict)  # name key (full name and surname) -> chain
    person_mentions: list[tuple[int, Person]] = field(default_factory=list)  # (document offset, person), in text order
    role_mentions: list[tuple[int, str, str]] = field(default_factory=list)  # (offset, role lemma, ISO3): "the Syrian regime"

    @property
    def main_country(self) -> str | None:
        top = self.countries.most_common(2)
        if not top or self.sentences[top[0][0]] < 2:  # a country the article is about recurs
            return None
        if len(top) == 1 or top[0][1] >= 2 * top[1][1]:
            return top[0][0]
        return None

    @property
    def home_country(self) -> str | None:
        """The dateline's country when the article also names it most: "WASHINGTON (RNS) Evangelical
        leaders are praising ..." is about Americans unless the text says otherwise."""
        top = self.countries.most_common(2)
        if not self.dateline or not top or top[0][0] != self.dateline.country or len(top) > 1 and top[1][1] == top[0][1]:
            return None
        return self.dateline.country

    def person(self, name: str) -> Person | None:
        """The chain a name belongs to: the full name, else its surname."""
        key = name_key(name)
        if key in self.people:
            return self.people[key]
        parts = key.split()
        return self.people.get(parts[-1]) if parts else None

    def role_before(self, offset: int, lemma: str) -> str | None:
        """The country of the last earlier mention of a role noun that the text gave one ("the
        Syrian regime" ... "the regime", "Egyptian police" ... "police")."""
        found = [iso for at, lem, iso in self.role_mentions if at < offset and lem == lemma]
        return found[-1] if found else None

    def person_before(self, offset: int, title: str | None = None) -> Person | None:
        """The last named person mentioned before a document offset ("he", "she"); with a title
        ("the president" after "President Barack Obama" and "Russian President Vladimir Putin"),
        the first one so titled: the article's protagonist."""
        before = [p for at, p in self.person_mentions if at < offset and (title is None or title in p.titles)]
        if not before:
            return None
        return before[-1] if title is None else before[0]


def name_key(name: str) -> str:
    words = [w for w in re.split(r"\s+", name.strip().lower()) if w not in HONORIFICS]
    return " ".join(w.strip(".,'’") for w in words)


def person_name(span: Span) -> str:
    """A person's name as written, without a dateline or other capitalised words glued in front
    ("WASHINGTON Barack Obama" -> "Barack Obama") and without what the entity recogniser ran on
    into ("Trump on Tuesday (May 16" -> "Trump")."""
    toks = list(span)
    while len(toks) > 1 and toks[0].is_upper and len(toks[0]) > 2 and not toks[1].is_upper:
        toks = toks[1:]  # an upper-case dateline word before a name in title case
    while toks and toks[0].lower_ in HONORIFICS:
        toks = toks[1:]
    out: list[Token] = []
    for t in toks:
        if out and (t.is_punct and t.text not in ".-'’" or t.is_lower and t.lower_ not in NAME_PARTICLES or t.like_num):
            break
        out.append(t)
    while out and out[-1].is_punct:
        out.pop()
    if not out:
        return span.text
    return span.doc[out[0].i : out[-1].i + 1].text  # not doc.text: that rebuilds the whole chunk


def noun_phrase_head(tok: Token) -> Token:
    """The head of the noun phrase a name belongs to ("President Barack Obama" -> Obama, and
    "Turkish police officer Mevlut Altintas" -> Altintas)."""
    while tok.dep_ in ("compound", "flat") and tok.head.i != tok.i:
        tok = tok.head
    return tok


def titles(head: Token, exclude: Span) -> set[str]:
    """Role terms written with a name: "President Barack Obama", "Obama, the U.S. president"."""
    roles = load_actor_dictionary().roles
    skip = {t.i for t in exclude}
    words = [t for c in head.children if c.dep_ in ("compound", "appos") for t in c.subtree if t.i not in skip]
    words += [t for t in head.subtree if t.i not in skip and t.dep_ == "compound" and t.i < head.i]
    return {t.lemma_.lower() for t in words if t.pos_ in ("NOUN", "PROPN") and t.lemma_.lower() in roles}


def phrase_country(head: Token, exclude: Span) -> str | None:
    """A country (or a town's country) named as a title or modifier in the name's own phrase or
    an appositive: "Turkish President Erdogan", "Russia's Vladimir Putin", "Erdogan, Turkey's
    president", "Aleppo Mayor Brita Hagi Hasan"."""
    d = load_actor_dictionary()
    skip = {t.i for t in exclude}
    cands: list[Token] = []
    for c in head.children:
        if c.dep_ in ("compound", "amod", "poss", "nmod"):
            cands.extend(c.subtree)
        elif c.dep_ == "appos":
            cands.extend(x for x in c.subtree if x.dep_ in ("amod", "poss", "compound", "nmod") or x.i == c.i)
    cands = sorted({t.i: t for t in cands if t.i not in skip}.values(), key=lambda t: t.i)
    from .actors import entity_at, entity_entry

    for t in cands:
        ent = entity_at(head.doc, t.i)
        if ent is None or ent.start != t.i:
            continue
        if all(t.i not in skip for t in ent):
            e = d.lookup(ent.text)
            if e and e.country and e.kind in COUNTRY_KINDS:
                return e.country
            if e is None and ent.label_ == "GPE" and (p := entity_entry(ent)) is not None and p.country:
                return p.country  # "Aleppo Mayor Brita Hagi Hasan": the town the title is of
    return None


def modifier_country(tok: Token) -> str | None:
    """The country a nationality or country modifier gives a noun: "Syrian regime", "Egypt's police"."""
    from .actors import entity_at

    d = load_actor_dictionary()
    for c in tok.children:
        if c.dep_ in ("amod", "compound", "poss", "nmod") and c.ent_type_ in ("GPE", "NORP"):
            ent = entity_at(tok.doc, c.i)
            e = d.lookup(ent.text) if ent is not None else None
            if e and e.country and e.kind in COUNTRY_KINDS:
                return e.country
    return None


def find_dateline(text: str) -> Dateline | None:
    from .places import candidates

    m = DATELINE.match(text)
    if not m or len(m.group("place")) < 3:
        return None
    d = load_actor_dictionary()
    place = m.group("place").title()
    region = m.group("region")
    country = None
    for name in filter(None, (region, place)):
        e = d.lookup(name)
        if e and e.country:
            country = e.country
            break
        cands = candidates(name)
        if cands:
            country = max(cands, key=lambda p: p.population).country
            break
    if country is None:
        return None  # "MLA Sandra Jansen": upper case, but no place
    return Dateline(text[: m.end()].strip(), m.end(), country, m.group("source"))


def build(text: str, chunks: list[Chunk]) -> ArticleContext:
    """One pass over the parsed article: dateline, weighted countries, people and their chains."""
    from .actors import entity_entry, homonym_town

    d = load_actor_dictionary()
    ctx = ArticleContext(dateline=find_dateline(text))
    if ctx.dateline and ctx.dateline.country:
        ctx.countries[ctx.dateline.country] += DATELINE_WEIGHT
    first = True
    role_lemmas: dict[int, bool] = {}
    for chunk in chunks:
        doc = chunk.doc
        strings = doc.vocab.strings
        pos_lemma = doc.to_array([POS, LEMMA])
        noun_at = numpy.flatnonzero(pos_lemma[:, 0] == NOUN)  # role nouns are looked for among the nouns only
        nouns = [i for i, lemma in zip(noun_at.tolist(), pos_lemma[noun_at, 1].tolist())
                 if role_lemmas.setdefault(lemma, strings[lemma].lower() in d.roles)]
        sents = list(doc.sents)
        ents_of: list[list[Span]] = [[] for _ in sents]  # Span.ents, without a pass over all entities per sentence
        starts = [s.start for s in sents]
        for ent in doc.ents:
            k = bisect_right(starts, ent.start) - 1
            if k >= 0 and ent.end <= sents[k].end:
                ents_of[k].append(ent)
        for sent, sent_ents in zip(sents, ents_of):
            weight = LEAD_WEIGHT if first else 1.0
            if first and sent.text.strip():
                first = False
            for i in nouns[bisect_left(nouns, sent.start) : bisect_left(nouns, sent.end)]:
                if iso := modifier_country(doc[i]):
                    ctx.role_mentions.append((chunk.offset + doc[i].idx, doc[i].lemma_.lower(), iso))
            named: set[str] = set()
            for ent in sent_ents:
                if ent.label_ == "PERSON":
                    continue
                e = d.lookup(ent.text)
                e = (homonym_town(ent, e) or e) if e else None  # "London" in Ontario counts for Canada, as a town
                if e and e.country and e.kind in COUNTRY_KINDS + ("group",):
                    ctx.countries[e.country] += weight
                    ctx.nations[e.country] += weight
                    named.add(e.country)
                elif (e is None or e.kind == "place") and ent.label_ == "GPE" and (p := entity_entry(ent)) is not None and p.kind == "place" and p.country:
                    ctx.countries[p.country] += weight * PLACE_WEIGHT
                    named.add(p.country)
            ctx.sentences.update(named)
            for ent in sent_ents:
                if ent.label_ != "PERSON":
                    continue
                name = person_name(ent)
                known = next((e for e in map(d.lookup, (name, ent.text, name.split()[-1])) if e and e.kind == "person"), None)
                head = noun_phrase_head(ent.root)
                country = (known.country if known else None) or phrase_country(head, ent)
                person = ctx.person(name)
                if person is None:
                    person = Person(known.name if known else name, country, known.sector if known else None)
                elif person.country is None and country:
                    person.country = country
                person.titles |= titles(head, ent)
                key = name_key(name)
                ctx.people.setdefault(key, person)
                if len(key.split()) > 1:
                    ctx.people.setdefault(key.split()[-1], person)
                ctx.person_mentions.append((chunk.offset + ent.start_char, person))
    return ctx
