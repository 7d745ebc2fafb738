"""Toponyms of a document: spaCy place entities (GPE/LOC/FAC, plus the names the gazetteer matcher
in nlp.py adds) resolved together against the offline gazetteer (places.py).

What the words around a name say is kept with it: a generic noun ("Panjgur district", "the village
of Koh-i-Sabaz") asks for a feature class; "X, Y", "X in Y" and "X district of Y province" name
the unit X lies in; "50 kilometres inside Pakistan", "20 km north of Kabul", "near X" are relative
phrases, resolved to their anchor with a lower precision. A demonym ("Pakistani") stands for its
country and is reported apart from the places. A name the gazetteer does not know (a village) falls
back to the unit that contains it, else to the nearest district or province the document names
before it, with the precision saying so.

`toponyms(chunks)` gives the `flashpoint geoparse` records (CONTRACT.md); `doc_places(doc)` the
resolved places of a parsed chunk by token span, for the event coder.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy
from spacy.attrs import ORTH
from spacy.tokens import Doc, Span

from .lexicon import load_actor_dictionary, norm
from .models import Location
from .nlp import Chunk, beside_place_noun, place_context
from .places import GENERIC, PRECISION, Mention, Place, admin_follows, lookup, named, resolve_mentions, to_location
from .timing import timed

PLACE_LABELS = {"GPE", "LOC", "FAC"}
EMBEDDED = "EMBEDDED"  # the label of a place named inside an organisation's name ("Mansfield Police"): not where anything happened
FALLBACK_CHARS = 600  # an unknown village falls back to a district or town named at most this far before it
DEMONYM_LABELS = {"NORP", "GPE", "ORG", "LOC"}
# "50 kilometres inside Pakistan", "20 km north of Kabul", "on the outskirts of X", "near X"
UNITS = r"(?:kilometers|kilometres|km|kms|miles|mi|meters|metres|m)"
DIRECTIONS = r"(?:north|south|east|west|northeast|northwest|southeast|southwest|north-east|north-west|south-east|south-west)(?:ern)?"
RELATIVE = re.compile(
    rf"(?:(?:about|around|some|nearly|almost|roughly|approximately|over|more than|less than|at least)\s+)?"
    rf"\d[\d,.]*\s*-?\s*{UNITS}\s+(?:\(\s*\d[\d,.]*\s*{UNITS}\s*\)\s+)?"
    rf"(?:(?:{DIRECTIONS})\s+(?:of|from)|inside|into|outside|from|off|away from|beyond|across)\s+(?:the\s+)?$"
    rf"|(?:near|nearby|outside|close to|on the outskirts of|outskirts of|in the vicinity of|off the coast of|off)\s+(?:the\s+)?$"
    rf"|(?:{DIRECTIONS})\s+of\s+(?:the\s+)?$"
    rf"|(?:(?:{DIRECTIONS}|central|rural)\s+)?(?:countryside|outskirts|suburbs|vicinity|environs|desert|frontlines?|front)\s+of\s+(?:the\s+)?$",
    re.I,
)
# the words every RELATIVE phrase ends with (before an optional "the"): a text whose last word ends
# with none of them holds no such phrase (checked on ASCII words only, where lower() is re.I's folding)
RELATIVE_ENDS = ("of", "from", "inside", "into", "outside", "off", "beyond", "across", "near", "nearby", "to")
# The NER has its own token-to-vector layer: geoparsing needs neither the shared one nor the
# tagger, parser and lemmatizer it feeds (about three times faster than the full pipeline).
GEO_DISABLE = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "memo_attribute_ruler", "memo_lemmatizer")


@dataclass
class Toponym:
    """A place name in a chunk, its mention for the resolver and, once resolved, its place."""

    span: Span
    mention: Mention
    relative: str | None = None
    label: str = "GPE"  # the entity label it came from
    place: Place | None = None
    precision: int | None = None
    fallback: bool = False
    hint: bool = False  # an admin hint of another name ("Ruyigi" of "Gahemba (Ruyigi, Ruyigi)"): the event is at that name


def demonym_country(text: str) -> str | None:
    e = load_actor_dictionary().lookup(text)
    return e.country if e is not None and e.kind == "demonym" and e.country else None


def _hint(span: Span) -> str | None:
    """The feature class a generic noun next to the name asks for: "Panjgur district", "the
    village of Koh-i-Sabaz", "Balochistan province", "the province of Balochistan"."""
    doc = span.doc
    last = span[-1].lower_
    if last in GENERIC and len(span) > 1:
        return GENERIC[last]
    if span.end < len(doc) and doc[span.end].lower_ in GENERIC:
        return GENERIC[doc[span.end].lower_]
    if span.start >= 2 and doc[span.start - 1].lower_ == "of" and doc[span.start - 2].lower_ in GENERIC:
        return GENERIC[doc[span.start - 2].lower_]
    return None


def _relative(span: Span) -> str | None:
    """The relative phrase before a name ("50 kilometres inside", "north of", "near")."""
    doc = span.doc
    sent_start = max(span.start - 12, 0)
    before = doc[sent_start : span.start].text + " " if span.start > 0 else ""
    before = before[-120:]
    words = before.split()[-2:]
    if words and words[-1].lower() == "the":
        words.pop()
    if words and words[-1].isascii() and not words[-1].lower().endswith(RELATIVE_ENDS):
        return None
    m = RELATIVE.search(before)
    return m.group(0).strip() if m else None


NOT_NAMES = {
    "north", "south", "east", "west", "central", "western", "eastern", "northern", "southern", "northeast", "northwest",
    "southeast", "southwest", "union", "united", "republic", "city", "state", "county", "district", "province", "region",
    "town", "village", "island", "islands", "downtown", "uptown", "area", "metro", "capital", "nation", "world", "earth",
    "homeland", "border", "the", "gulf",
}
# Words that make an unknown name a place all the same: streets, rivers, airports ...
PLACE_WORDS = {
    "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "highway", "hwy", "lane", "drive", "parkway",
    "route", "bridge", "river", "lake", "creek", "mountain", "mountains", "mount", "mt", "park", "valley", "island",
    "islands", "bay", "beach", "coast", "airport", "port", "harbor", "harbour", "square", "plaza", "canal", "falls",
    "forest", "desert", "sea", "ocean", "peninsula", "hill", "hills", "heights", "strait", "crossing", "interstate",
    "camp", "base", "district", "county", "province", "village", "township", "parish", "region", "territory", "territories",
}


def _known(text: str, exact: bool = True) -> bool:
    """Known to the gazetteer by this name (`exact`: as written, else also as a spelling variant)."""
    return bool((named if exact else lookup)(text).places)


def _capitalised(span: Span) -> bool:
    return all(t.text[:1].isupper() or t.text in ("-", "'s", ".") or t.is_punct for t in span) and span[0].text[:1].isupper()


# Words that continue an organisation or facility named after its place ("Mansfield Police").
INSTITUTION_WORDS = {
    "police", "sheriff", "sheriff's", "fire", "department", "dept", "council", "city", "county", "town", "township",
    "state", "board", "school", "schools", "high", "middle", "elementary", "college", "university", "hospital", "court",
    "superior", "circuit", "district", "jail", "detention", "mayor", "government", "governor", "gov", "assembly",
    "legislature", "senate", "house", "parliament", "airport", "port", "chamber", "public", "regional", "municipal",
    "metropolitan", "transit", "library", "zoo", "museum", "army", "national", "guard", "province", "provincial",
    "ministry", "embassy", "consulate", "community", "area", "parish", "commission", "commissioner", "attorney",
    "highway", "road", "health", "medical", "emergency", "civic", "historical", "water", "utilities", "housing",
    "president", "prime", "foreign", "interior", "defence", "defense", "central", "federal", "royal", "olympic",
}


def _embedded(span: Span) -> Span | None:
    """A place named inside an organisation or facility name: "Mansfield Police Department",
    "Minnesota Department of Transportation", "Paris High School", "University of Michigan".
    A name that is also a person's ("the Wilson Center") needs an institutional word after it
    unless it is a province, a country or a big city."""
    toks = list(span)
    for i, t in enumerate(toks[:-1]):
        if t.lower_ == "of":
            sub = span[i + 1 :]
            if len(sub) and sub[0].lower_ == "the":
                sub = sub[1:]
            if len(sub) and _capitalised(sub) and _major(sub.text):
                return sub
            break
    for k in (3, 2, 1):
        if k >= len(toks) or toks[k - 1].text in ("'s", "’s", "-", ".") or toks[k - 1].is_punct:
            continue
        sub = span[:k]
        nxt = toks[k]
        if not _capitalised(sub) or not nxt.text[:1].isupper() or sub.text.lower() in NOT_NAMES:
            continue
        if sub.text.lower() in INSTITUTION_WORDS:
            continue  # "Federal Police", "National Guard": no place
        if demonym_country(sub.text) or _major(sub.text) or nxt.lower_ in INSTITUTION_WORDS and (_own_name(sub.text) if k == 1 else _known(sub.text)):
            return sub
    return None


# Generic words between a name and the admin hints in parentheses after it: "Shahdadpur town (Sanghar,
# Sindh)", "Masafu sub-county (Busia district)", "Onitsha (Onitsha North LGA, Anambra)".
HINT_WORDS = set(GENERIC) | {"sub-county", "subcounty", "commune", "lga", "settlement", "neighbourhood", "neighborhood",
                             "zone", "sector", "locality", "ward", "woreda", "upazila", "barangay", "cercle", "-", "sub", "county", "community"}


def _in_parens(span: Span) -> bool:
    """Inside parentheses right after a name: the "Sanghar" of "Shahdadpur town (Sanghar, Sindh)"."""
    doc = span.doc
    i = span.start - 1
    while i >= 0 and doc[i].text not in "()" and (doc[i].text == "," or doc[i].text[:1].isupper() or doc[i].lower_ in HINT_WORDS):
        i -= 1
    return i > 0 and doc[i].text == "(" and doc[i - 1].text[:1].isupper() or i > 1 and doc[i].text == "(" and doc[i - 1].lower_ in HINT_WORDS


def _small(text: str) -> bool:
    """Only villages and towns of under 100,000 go by this name (or none the gazetteer knows)."""
    return all(p.feature == "PPL" and p.population < 100_000 for p in lookup(text).places)


# "the outskirts of X in the northern countryside of Y": X lies in Y
SURROUNDINGS = {"outskirts", "countryside", "suburbs", "vicinity", "environs", "part", "parts", "side", "areas",
                "suburb", "neighbourhood", "neighborhood"}  # "San Jeronimo suburb, Cusco city"
COMPASS = {"north", "south", "east", "west", "northern", "southern", "eastern", "western", "central", "northeastern",
           "northwestern", "southeastern", "southwestern", "north-eastern", "north-western", "south-eastern", "south-western"}


def _country_or_province(text: str) -> bool:
    """The name's most likely reading is a country or a province."""
    m = lookup(text)
    return bool(m.places) and m.places[0].feature in ("PCLI", "ADM1", "RGN")


def _province(text: str) -> bool:
    """Known by this exact name as a province or state."""
    m = named(text)
    return m.how in ("exact", "stripped") and any(p.feature == "ADM1" for p in m.places)


def _unit(text: str) -> bool:
    """The name of a province, district or country."""
    return any(p.feature in ("ADM1", "ADM2", "PCLI") for p in lookup(text).places)


def _listed(tops: list[Toponym], j: int) -> bool:
    """Toponym j goes on a list ("Paris, London and Rome"): "and"/"or" or a comma and a name follow it."""
    doc = tops[j].span.doc
    k = tops[j].span.end
    nxt = doc[k].lower_ if k < len(doc) else ""
    return nxt in ("and", "or", "&") or nxt == "," and j + 1 < len(tops) and tops[j + 1].span.start == k + 1


def _owns_place(span: Span) -> bool:
    """A possessive before a place name: the "Giza" of "Giza's Haram district"."""
    doc = span.doc
    k = span.end
    return k + 1 < len(doc) and doc[k].lower_ in ("'s", "’s") and doc[k + 1].ent_type_ in ("GPE", "LOC")


def _after_place(span: Span) -> bool:
    """Right after a place name and a comma: the "Michoacan" of "in Morelia, Michoacan"."""
    doc = span.doc
    return span.start >= 2 and doc[span.start - 1].text == "," and doc[span.start - 2].ent_type_ in ("GPE", "LOC")


def _name_before(doc: Doc, paren: int, any_label: bool = False) -> Span | None:
    """The capitalised name before the generic words that precede a parenthesis: the "Ceel Salini" of
    "Ceel Salini settlement (Afgooye, Lower Shabelle)". A name the NER took for a person, an
    organisation or a date only when a generic noun follows it ("Kigamba commune (Cankuzo)"), or with
    `any_label`."""
    end = paren
    while end > 0 and doc[end - 1].lower_ in HINT_WORDS and not doc[end - 1].text[:1].isupper():
        end -= 1
    refused: tuple[str, ...] = ()
    if not any_label:
        refused = ("DATE",) if end < paren and doc[end].lower_ != "-" else ("DATE", "PERSON", "ORG", "NORP")
    start = end
    while start > 0 and (doc[start - 1].text[:1].isupper() or doc[start - 1].text == "-" and start > 1) and not doc[start - 1].is_sent_start and doc[start - 1].ent_type_ not in refused:
        start -= 1
    return doc[start:end] if start < end else None


def hint_parens(doc: Doc, end: int) -> tuple[int, int] | None:
    """The token range inside the parentheses that follow a name (ending at token `end`), past generic
    words and further names of the same place ("Songho, Doucoumbo Commune (Bandiagara, Mopti)")."""
    i = end
    while i < len(doc) and i - end < 6 and (doc[i].text == "," or doc[i].lower_ in HINT_WORDS or doc[i].lower_ in ("in", "of")
                                            or doc[i].text[:1].isupper() and doc[i].text != "("):
        i += 1
    if i >= len(doc) or doc[i].text != "(":
        return None
    j = i + 1
    while j < len(doc) and doc[j].text not in "()" and j - i < 16:
        j += 1
    if j == i + 2 and doc[i + 1].text.isupper():
        return None  # "WASHINGTON (RNS)": a news agency, not a unit
    return (i + 1, j) if j < len(doc) and doc[j].text == ")" else None


def dateline(span: Span) -> bool:
    """A dateline: a name in capitals opening the text or a line ("WASHINGTON (RNS) —", "KABUL, Afghanistan --")."""
    doc = span.doc
    before = doc[span.start - 1] if span.start > 0 else None
    return span.text.isupper() and len(span.text) > 2 and (before is None or "\n" in before.text or before.is_space)


def news_outlet(span: Span) -> bool:
    """A news agency or outlet, the source of a report and not a place: a media name of the actor
    dictionary (data/actors.yaml, sector MED: "IRNA", "Xinhua", "Tasnim"), or a name the text calls an
    agency or a newspaper ("Mehr news agency", "the Tasnim and Mehr news agencies", "a Tehran newspaper")."""
    e = load_actor_dictionary().lookup(span.text)
    if e is not None and e.sector == "MED":
        return True
    doc, k = span.doc, span.end
    after = doc[k].lower_ if k < len(doc) else None
    return after in OUTLET_WORDS or after == "news" and k + 1 < len(doc) and doc[k + 1].lower_ in OUTLET_WORDS


OUTLET_WORDS = {"agency", "agencies", "newspaper", "newspapers"}
AIRPORT_WORDS = {"airport", "airbase", "airfield", "port", "harbour", "harbor", "station"}


def _embedded_label(span: Span) -> str:
    """The label of a place named inside a longer name: an organisation's ("Mansfield Police") is no
    setting (EMBEDDED), a facility's ("Hama Airbase", "near the Donetsk Filtration Station") is
    where the facility stands."""
    return "GPE" if span[-1].lower_ in AIRPORT_WORDS else EMBEDDED


def _building(span: Span) -> bool:
    """A building or facility name ("White House", "Blue Mosque"): the names in it are not places of
    their own, except that "X airport" is X's city."""
    return span.label_ == "FAC" and span[-1].lower_ not in AIRPORT_WORDS or span.label_ == "ORG" and span[-1].lower_ in BUILDING_WORDS


BUILDING_WORDS = {"house", "palace", "hall", "tower", "towers", "mosque", "church", "cathedral", "temple", "building", "hotel"}


def _own_name(text: str) -> bool:
    """Known as the name of a place itself, not only as the core of a unit's name: "Mansfield" is a
    town, the "White" of "White House" only the core of White County."""
    m = named(text)
    return m.how == "exact" and any(norm(p.name) == m.key for p in m.places)


def _major(text: str) -> bool:
    """Known as a province, a country, a region or a town of 100,000 or more."""
    m = named(text)
    return m.how == "exact" and any(p.feature in ("ADM1", "PCLI", "RGN", "CONT") or p.population >= 100_000 for p in m.places[:3])


NAME_JOINERS = {"do", "da", "dos", "das", "de", "del", "di", "la", "el", "al", "of"}


def _longer_name(doc: Doc, start: int, end: int) -> int:
    """The end of the longest gazetteer name that starts with the entity and runs on past it over
    capitalised words and joiners ("Rio Grande" + "do Norte"); else `end`."""
    if end >= len(doc) or not (doc[end].text[:1].isupper() or doc[end].lower_ in NAME_JOINERS):
        return end
    for k in (3, 2, 1):
        if end + k > len(doc):
            continue
        more = doc[end : end + k]
        if not more[-1].text[:1].isupper() or any(not (t.text[:1].isupper() or t.lower_ in NAME_JOINERS) for t in more):
            continue
        if named(doc[start : end + k].text).how == "exact":
            return end + k
    return end


def _comma_parts(ents: Iterable[Span]) -> Iterator[Span]:
    """Entities split at their commas and parentheses: the NER sometimes takes "Songho, Doucoumbo
    Commune" or "Pinetown (eThekwini" for one name."""
    for e in ents:
        start = e.start
        for t in e:
            if t.text in (",", "(", ")"):
                if t.i > start:
                    yield Span(e.doc, start, t.i, label=e.label_)
                start = t.i + 1
        if start < e.end:
            yield Span(e.doc, start, e.end, label=e.label_) if start > e.start else e


# Labels the NER gives place names by mistake ("in Sanandaj" as a LANGUAGE, "Tubas" as an ORG):
# taken for a place when the gazetteer knows the name and the words around it make it one.
MISLABELLED = {"NORP", "WORK_OF_ART", "PERSON", "LANGUAGE", "PRODUCT", "EVENT", "LAW", "ORG"}
NAME_LABELS = PLACE_LABELS | MISLABELLED | {"DATE"}  # the labels of entities that can be places (a DATE: _mislabelled_place)


def _place_slot(span: Span) -> bool:
    """The words around a name put a place there: "in X", "X district", "X, Kentucky", "X (Admin2,
    Admin1)", "in Morelia, Michoacan", "Giza's Haram district", "near X"."""
    doc = span.doc
    return bool(place_context(span, strong=True) or admin_follows(doc, span.end) or _in_parens(span) or _after_place(span)
                or _relative(span) or _owns_place(span) or hint_parens(doc, span.end) is not None or _admin_after_comma(span))


def _admin_after_comma(span: Span) -> bool:
    """A province, state or country after a comma: the "Donetsk" of "near Starohnativka, Donetsk"."""
    return span.start >= 2 and span.doc[span.start - 1].text == "," and admin_follows(span.doc, span.start - 1) in (span.end, span.end + 1)


def _unknown_before_admin(span: Span, label: str) -> bool:
    """An unknown name the NER took for an organisation or a person, followed by ", Province" and
    nothing more: the village of "near Starohnativka, Donetsk." (not "Mike Johnson, Louisiana Republican")."""
    if label not in MISLABELLED:
        return False
    doc = span.doc
    end = admin_follows(doc, span.end)
    return (end > 0 and (end >= len(doc) or doc[end].is_punct or doc[end - 1].is_punct) and _capitalised(span)
            and not lookup(span.text).places and load_actor_dictionary().lookup(span.text) is None)


# words after which a name is a place and never a date: "near Svitlodarsk" (the NER's DATE), not "in May"
NEAR_WORDS = {"near", "outside", "inside", "outskirts", "toward", "towards", "nearby"}
CALENDAR = {m.lower() for m in (*calendar.month_name[1:], *calendar.month_abbr[1:], *calendar.day_name)}


def _after_word(span: Span, words: set[str]) -> bool:
    doc = span.doc
    k = span.start - 1
    if k > 0 and doc[k].lower_ == "the":
        k -= 1
    return k >= 0 and doc[k].lower_ in words


def _mislabelled_place(span: Span, label: str) -> bool:
    """A place name the NER gave another label: known to the gazetteer by its exact name, in a place
    slot; an organisation only when it is no actor of the dictionary ("Tubas", not "Hamas"); a date
    only after a place noun ("the village of Tayasir")."""
    if label != "DATE" and label not in MISLABELLED:
        return False
    text = span.text
    if label == "DATE":
        return (text[:1].isupper() and not any(t.like_num or t.lower_ in CALENDAR for t in span) and _known(text)
                and (beside_place_noun(span.doc, span.start, span.end) or _after_word(span, NEAR_WORDS)))
    if not text[:1].isupper() or not _known(text):
        return False
    if label == "ORG" and load_actor_dictionary().lookup(text) is not None:
        return False
    return _place_slot(span)


def find_toponyms(doc: Doc) -> list[Toponym]:
    """Place and demonym mentions of a parsed chunk, with their generic-noun hints, containers and
    relative phrases; not yet resolved. Place names inside organisation and facility names count;
    a name the NER took for a place but that is part of a person's name elsewhere in the document
    ("Lincoln" after "Abraham Lincoln"), a bare compass word, or an unknown single word with
    nothing around it saying it is a place is left out."""
    people = {t.text for e in doc.ents if e.label_ == "PERSON" and len(e) > 1 for t in e if t.text[:1].isupper()}
    out: list[Toponym] = []
    buildings: list[Span] = []  # place names that open a building's name

    def add(span: Span, iso: str | None, label: str) -> None:
        out.append(Toponym(span, Mention(span.text, span.start_char, span.end_char, demonym=iso), _relative(span), label))

    extended = -1  # the end of the last name lengthened past its entity
    for e in _comma_parts(doc.ents):
        if e.label_ not in NAME_LABELS:
            continue  # a number, an amount, a time: never a place
        start, end = e.start, e.end
        if doc[start].lower_ == "the":  # "the United States": the name, not the article
            start += 1
        if start >= end or start < extended:
            continue
        if (e.label_ in PLACE_LABELS or e.label_ in MISLABELLED) and (longer := _longer_name(doc, start, end)) > end:
            end = extended = longer  # "Rio Grande do Norte", where the NER stopped at "Rio Grande"
            e = Span(doc, start, end, label=e.label_)
        span = doc[start:end]
        text = span.text  # (a Span joins its tokens' texts on every call)
        iso = demonym_country(text) if e.label_ in DEMONYM_LABELS else None
        if iso is not None and e.label_ != "NORP" and lookup(text).places:
            iso = None  # the name of a place before a demonym
        if iso is not None:
            add(span, iso, e.label_)
            continue
        if news_outlet(span):
            continue
        label = e.label_
        if _mislabelled_place(span, label):
            label = "GPE"  # "in Shahdadpur town", "countryside of Tell Abiad", "in Morelia, Michoacan": the NER's label is wrong
        elif _unknown_before_admin(span, label):
            label = "LOC"
        if label not in PLACE_LABELS:
            if e.label_ in ("ORG", "FAC") and len(span) > 1 and (sub := _embedded(span)) is not None:
                if _building(e):
                    buildings.append(sub)
                else:
                    add(sub, demonym_country(sub.text) if not _known(sub.text) else None, _embedded_label(span))
            continue
        if not text[:1].isupper() or text.lower() in NOT_NAMES:
            continue
        if text.isupper() and len(text) <= 5 and not _own_name(text) and not any(p.feature in ("PCLI", "ADM1") for p in lookup(text).places):
            continue  # an acronym ("RNS", "SMM"), not a village; "UK", "UAE" are countries, "ROME" a city
        words = {t.lower_.rstrip(".") for t in span}
        if _known(text, exact=False) and not (len(span) > 1 and _building(e) and not _known(text)):
            if len(span) == 1 and text in people and not place_context(span, strong=True):
                continue  # "Lincoln" of "Abraham Lincoln"
            add(span, None, label)
            continue
        if len(span) > 1 and span[-1].lower_ in AIRPORT_WORDS and _known(span[:-1].text):
            add(span[:-1], None, "GPE")  # "Bardaale airport": the town
            continue
        if len(span) > 1 and _building(e):
            if (sub := _embedded(span)) is not None:
                buildings.append(sub)  # "Karak Castle": in Karak if the text names Karak as a place
            continue  # "the White House": not White County
        if len(span) > 1 and (sub := _embedded(span)) is not None and not words & PLACE_WORDS:
            add(sub, demonym_country(sub.text) if not _known(sub.text) else None, _embedded_label(span))
            continue
        if words & PLACE_WORDS or _hint(span) or place_context(span, strong=True) or len(span) > 1 and e.label_ in ("LOC", "FAC"):
            add(span, None, label)
    found = {o.mention.text for o in out if not o.mention.demonym}
    for sub in buildings:
        if sub.text in found or _major(sub.text):
            add(sub, None, "GPE")
    # admin hints the NER missed, and the unknown name they follow: "Bardaale town (Buur Hakaba,Bay)",
    # "Ceel Salini settlement (Afgooye, Lower Shabelle)"
    taken = {k for o in out for k in range(o.span.start, o.span.end)}
    for i in numpy.flatnonzero(doc.to_array(ORTH) == doc.vocab.strings["("]).tolist():
        tok = doc[i]
        if i == 0:
            continue
        name = _name_before(doc, tok.i)
        if name is None:  # "Pinetown (eThekwini, KwaZulu-Natal)" read as one organisation: the name already taken
            name = next((o.span for o in out if o.span.end == tok.i), None)
        loose = name is None
        if loose:  # "in Bir Al-Abd (Bir Al-Abd, North Sinai)" read as a person: a name before a district and a province
            name = _name_before(doc, tok.i, any_label=True)
        rng = hint_parens(doc, name.end) if name is not None else None
        if rng is None:
            continue
        parts, start = [], rng[0]
        for k in range(rng[0], rng[1] + 1):
            if k == rng[1] or doc[k].text == ",":
                if k > start:
                    parts.append(doc[start:k])
                start = k + 1
        known = [p for p in parts if p.text[:1].isupper() and _known(p.text, exact=False)]
        if not known or loose and not (len(parts) >= 2 and _province(parts[-1].text)):
            continue
        for part in known:
            if not taken & set(range(part.start, part.end)):
                add(part, None, "GPE")
                taken |= set(range(part.start, part.end))
        if not taken & set(range(name.start, name.end)) and name.text.lower() not in NOT_NAMES and not demonym_country(name.text):
            add(name, None, "LOC")
            taken |= set(range(name.start, name.end))
    out.sort(key=lambda t: t.span.start)
    groups: list[list[Toponym]] = []  # the names in each pair of parentheses of admin hints
    for i, t in enumerate(out):
        if t.mention.demonym:
            continue
        t.mention.hint = _hint(t.span) or ("PPL" if dateline(t.span) else None)
        t.mention.origin = t.span.start > 0 and doc[t.span.start - 1].lower_ == "from"
        # "X, Y" / "X in Y" / "X district of Y province": Y is the unit X lies in
        j = i + 1
        if j < len(out) and not out[j].mention.demonym:
            words = _linking_words(doc, t.span.end, out[j].span.start)
            if words in (["'s"], ["’s"]) and out[j].mention.container is None:
                out[j].mention.container = i  # "Giza's Haram district": Haram lies in Giza
                out[j].mention.within += (i,)
            elif words in (["in"], ["of"], [","], [",", "in"], ["in", "of"]) and not (
                    _country_or_province(t.span.text) and not _country_or_province(out[j].span.text)):  # not "Lebanon in Sidon"
                t.mention.container = j
                if words != [","] or not _listed(out, j):
                    out[j].hint = True  # "Tell Abiad in Ar-Raqqa": the event is at the name it contains
                    t.mention.inside = True
                if words == [","] and not _listed(out, j) and _small(t.span.text) and _unit(out[j].span.text):
                    t.mention.within += (j,)  # "La Sabana, Guerrero": a village of that state, not one elsewhere
                elif words != [","] and _small(t.span.text):
                    t.mention.within += (j,)  # "Wadi area of Vadodara city": that one, or a place there the gazetteer lacks
        # "Gahemba (Ruyigi, Ruyigi)", "Songho, Doucoumbo Commune (Bandiagara, Mopti)": the units it lies in;
        # "Hays city in western Yemen (Hays, Al Hudaydah)": the units the first name lies in, not the country
        if (rng := hint_parens(doc, t.span.end)) is not None:
            hints = tuple(k for k, o in enumerate(out) if rng[0] <= o.span.start and o.span.end <= rng[1] and not o.mention.demonym)
            groups.append([out[k] for k in hints])
            country = _country_or_province(t.span.text)
            owner = out[i - 1] if i > 0 and out[i - 1].mention.container == i and country else t
            owner.mention.within += hints
            nation = country and lookup(t.span.text).places[0].feature == "PCLI"
            for k in hints:
                out[k].hint = True
                if nation and out[k].mention.container is None:
                    out[k].mention.container, out[k].mention.inside = i, True  # "northern Yemen (Al Jawf)": the Al Jawf in Yemen
    for g in groups:
        _unit_hints(g)
    return out


def _linking_words(doc: Doc, start: int, end: int) -> list[str]:
    """The words between two names that can link them ("in", "of", ","), less generic nouns, compass
    words, surroundings and "the": "in the northern countryside of" -> ["in", "of"]. At most three
    (no more than two link anything)."""
    words: list[str] = []
    for w in doc[start:end]:
        low = w.lower_
        if low not in GENERIC and low not in COMPASS and low not in SURROUNDINGS and low != "the":
            words.append(low)
            if len(words) > 2:
                break
    return words


def _unit_hints(parts: list[Toponym]) -> None:
    """ "(Sujawal, Sindh)", "(Afgooye, Lower Shabelle)": of two units in parentheses the first is a
    district and the last a province, when the gazetteer has such readings of them ("Al Hudaydah" the
    governorate, not its city)."""
    if len(parts) < 2:
        return
    for t, want in ((parts[0], "ADM2"), (parts[-1], "ADM1")):
        if t.mention.hint is None and any(p.feature == want for p in lookup(t.span.text).places):
            t.mention.hint = want


def actor_countries(doc: Doc) -> Counter:
    """The countries of the armed groups and organisations the text names ("Al shabaab", "Taliban",
    "Imbonerakure"): a prior for its places when it names no country."""
    d = load_actor_dictionary()
    out: Counter = Counter()
    for e in doc.ents:
        if e.label_ in ("ORG", "NORP", "PERSON") and (entry := d.lookup(e.text)) is not None and entry.country and entry.kind in ("group", "org"):
            out[entry.country] += 1
    return out


def resolve_toponyms(tops: list[Toponym], countries: Counter | None = None) -> list[Toponym]:
    """Resolve a document's toponyms together; a name the gazetteer does not know falls back to its
    container or to the nearest district/province named before it (precision 2 or 3)."""
    mentions = [t.mention for t in tops]
    # container indices refer to positions in `tops`
    res = resolve_mentions(mentions, countries)
    for t, r in zip(tops, res):
        t.place = r.place
        if r.place is not None and t.mention.demonym:
            t.precision = 3
        if r.place is not None and not t.mention.demonym:
            t.precision = PRECISION[r.place.feature]
            if t.mention.hint == "ADM2" and r.place.feature in ("PPL", "PPLC"):
                t.precision = 2  # "Panjgur district": the district, at its namesake town
            if t.relative:
                t.precision = max(t.precision, 2)
    for i, t in enumerate(tops):
        if t.place is not None or t.mention.demonym:
            continue
        # its container ("X, Y", "X in Y") or the units in parentheses after it ("Gahemba (Ruyigi,
        # Ruyigi)"): the most specific of them
        units = [tops[k] for k in (*t.mention.within, *((t.mention.container,) if t.mention.container is not None else ())) if tops[k].place is not None]
        anchor = min(units, key=lambda u: (u.precision or 3, u.place.feature == "PCLI")).place if units else None
        # admin hints in parentheses go from the district to the province ("Tallan (Haydan, Sadah)"):
        # the district, unless only its namesake town or its province is known
        first = next((tops[k] for k in t.mention.within if tops[k].place is not None and not tops[k].fallback), None)
        if first is not None and first.place.feature == "ADM2":
            anchor = first.place
        if anchor is None and t.mention.hint in ("PPL", "ADM2", None) and t.label in ("GPE", "LOC"):
            # the nearest district, town or province named before it in the document
            for k in range(i - 1, -1, -1):
                if t.mention.start - tops[k].mention.end > FALLBACK_CHARS:
                    break
                p = tops[k].place
                if p is not None and not tops[k].mention.demonym and p.feature in ("ADM2", "ADM1", "PPL", "PPLC") and tops[k].precision:
                    anchor = p
                    break
        if anchor is not None:
            if anchor.feature in ("PPL", "PPLC") and anchor.admin2 is None:
                t.place, t.precision = anchor, 2  # the town the district is named after
            elif anchor.feature in ("PPL", "PPLC"):
                t.place, t.precision = anchor, 2
            else:
                t.place, t.precision = anchor, PRECISION[anchor.feature] if anchor.feature != "PPL" else 2
            t.fallback = True
    return tops


def record(t: Toponym, offset: int) -> dict[str, Any]:
    p = t.place
    rec: dict[str, Any] = {
        "text": t.span.text, "start": offset + t.span.start_char, "end": offset + t.span.end_char,
        "name": None, "country": None, "admin1": None, "admin2": None, "lat": None, "lon": None,
        "geonameid": None, "feature_code": None, "precision": t.precision, "relative": t.relative,
        "fallback": t.fallback,
    }
    if p is not None:
        loc = to_location(p, t.span.text, t.precision)
        rec.update(name=loc.name, country=loc.country, admin1=loc.admin1, admin2=loc.admin2, lat=loc.lat, lon=loc.lon,
                   geonameid=loc.geonameid, feature_code=loc.feature_code)
    return rec


def toponyms(chunks: list[Chunk], demonyms: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The `flashpoint geoparse` records of a document: every place name with its resolution (the
    fields of CONTRACT.md plus admin2, precision, relative and fallback). Demonyms are left out of
    this list; pass a list as `demonyms` to receive them (each with the country it stands for)."""
    tops: list[tuple[int, Toponym]] = []
    for c in chunks:
        tops += [(c.offset, t) for t in find_toponyms(c.doc)]
    # container indices are per chunk; shift them to document positions
    base = 0
    for c in chunks:
        n = sum(1 for off, _ in tops if off == c.offset)
        for off, t in tops[base : base + n]:
            if t.mention.container is not None:
                t.mention.container += base
            t.mention.within = tuple(k + base for k in t.mention.within)
        base += n
    resolve_toponyms([t for _, t in tops])
    out = []
    for off, t in tops:
        if t.mention.demonym:
            if demonyms is not None:
                demonyms.append(record(t, off))
            continue
        out.append(record(t, off))
    return out


def narrowed(t: Toponym, tops: list[Toponym]) -> tuple[Place, int | None]:
    """Where an event named by a country or province is, when admin hints in parentheses follow it:
    "in western Yemen (Ad Durayhimi, Al Hudaydah)" is in Ad Durayhimi, the most specific of the
    hints that lies in it; else the toponym's own place."""
    assert t.place is not None
    if t.place.feature not in ("PCLI", "ADM1", "RGN") or not t.mention.within:
        return t.place, t.precision
    hints = [tops[k] for k in t.mention.within if tops[k].place is not None and tops[k].place.country == t.place.country]
    best = min(hints, key=lambda h: (h.precision or 3, h.place.feature == "PCLI"), default=None)
    if best is None or (best.precision or 3) >= (t.precision or 3):
        return t.place, t.precision
    return best.place, best.precision


@timed("geo")
def doc_places(doc: Doc) -> dict[tuple[int, int], tuple[Location, Toponym]]:
    """Resolved places of a parsed chunk by token span (start, end) of their entity, cached on the
    doc. Demonyms are left out."""
    cached = doc.user_data.get("flashpoint_places")
    if cached is not None:
        return cached
    tops = resolve_toponyms(find_toponyms(doc), actor_countries(doc))
    out = {}
    for t in tops:
        if t.place is None or t.mention.demonym:
            continue
        place, precision = narrowed(t, tops)
        loc = to_location(place, t.span.text, precision)
        out[(t.span.start, t.span.end)] = (loc, t)
        if t.span.start > 0 and doc[t.span.start - 1].lower_ == "the":
            out[(t.span.start - 1, t.span.end)] = (loc, t)
    doc.user_data["flashpoint_places"] = out
    return out


def geoparse_texts(texts: list[str], batch_size: int = 64) -> list[dict[str, list[dict[str, Any]]]]:
    """Geoparse a batch of texts with the pipeline minus the components geoparsing does not use
    (parser, lemmatizer, attribute ruler): about twice as fast as the full pipeline. Returns one
    `{"toponyms": [...], "demonyms": [...]}` per text."""
    from .nlp import load_nlp, parse

    nlp = load_nlp()
    disable = [p for p in GEO_DISABLE if p in nlp.pipe_names]
    out = []
    with nlp.select_pipes(disable=disable):
        for chunks in parse(texts, nlp, batch_size=batch_size):
            dem: list[dict[str, Any]] = []
            out.append({"toponyms": toponyms(chunks, dem), "demonyms": dem})
    return out


def geoparse_documents(texts: Iterable[str], batch_size: int = 64) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """`geoparse_texts` over any number of texts, one batch at a time."""
    batch: list[str] = []
    for t in texts:
        batch.append(t)
        if len(batch) >= batch_size:
            yield from geoparse_texts(batch, batch_size)
            batch = []
    if batch:
        yield from geoparse_texts(batch, batch_size)
