"""Where each event happened: a place named in the trigger's clause, else the place of its sentence,
else the article's lead place (the first place it names: its dateline or lead), resolved with the
whole chunk as context (geoparse.doc_places)."""

from __future__ import annotations

from dataclasses import replace

from spacy.tokens import Span, Token

from .candidates import VERBAL, Article, Candidate, same_sentence
from .lexicon import Trigger
from .models import Actor, Location
from .nlp import PLACE_NOUNS
from .spans import sentence_of
from .syntax import clause_of, has_dep

PLACE_PREPS = {"in", "at", "near", "inside", "outside", "into", "across", "from"}
CAUSE_PREPS = {"due", "amid", "amidst", "because", "owing", "despite"}  # "due to the lockdown in X": why, not where
# a clause with its own subject introduced by these tells another event ("since schools were closed");
# "as they drove", "while they slept", "when police arrived" tell the setting of this one
OTHER_EVENT_MARKS = {"since", "because", "after", "before", "although", "though", "until", "unless", "if", "once"}
ROAD_NOUNS = {"highway", "road", "motorway", "expressway", "freeway"}
ACTOR_PREPS = {"in", "at", "near", "inside", "outside"}  # "protesters in Sidon": where the actor was when it acted
# parts of a place: "in the countryside of X" happens in X
AREA_NOUNS = {"outskirts", "countryside", "suburb", "vicinity", "environs", "neighbourhood", "neighborhood", "part", "centre",
              "center", "street", "heart", "edge", "periphery"}


def locate(art: Article, cands: list[Candidate]) -> list[Candidate]:
    """The stage, after roles (a place inside the actor's phrase is not where it happened): walks the
    sentences in order to know the article's first place so far."""
    lead: Location | None = None
    by_sentence = same_sentence(cands)
    for chunk in art.chunks:
        for sent in chunk.doc.sents:
            if lead is None:
                lead = first_place(sent)
            for c in by_sentence.get((id(chunk.doc), sent.start), []):
                c.location = place(c.token, c.trig, c.actors, c.actor_tokens)
                if c.location is None:
                    c.nearby, c.lead = nearby_place(c.token, c.trig, c.actor_tokens), lead
    return cands


def place(tok: Token, trig: Trigger, actors: list[Actor], actor_toks: list[Token]) -> Location | None:
    """Where the event happened: a place named in the trigger's clause ("in", "at", "near",
    "inside" ... a place, "the X district", "the village of X"), resolved with the whole chunk
    as context (geoparse.doc_places), leaving out descriptive clauses ("a group that seeks a
    state in X") and the actor's own phrase ("a strike from neighbouring Iran"). A place
    outside the actor's country wins, then the most specific, then the one nearest the trigger.
    "near X", "outside X", "50 km inside X" lower the precision to 2; an unknown village is
    already resolved to its district or province. "from X" names where the event came from,
    never the actor's own country; for a diplomatic act ("recalled its ambassador from Iran")
    a country after "from" is the counterpart and the act happens at home, while a town
    ("recalled from Chabahar") is still where it happened."""
    from .geoparse import EMBEDDED, dateline, doc_places
    from .places import country_place, to_location

    doc = tok.doc
    clause = clause_of(tok)
    if clause.dep_ == "advcl" and any(c.tag_ == "TO" for c in clause.children):
        clause = clause_of(clause.head)  # a purpose ("gathered in the town hall to demand ..."): it happened where they gathered
    actor = {t.i for a in actor_toks for t in a.subtree}
    skip = set(actor)
    path = {tok.i} | {a.i for a in tok.ancestors}  # the trigger and what it hangs on: the tokens whose subtree holds it
    clause_toks = list(clause.subtree)
    for t in clause_toks:
        if t.i in path:
            continue
        # descriptions ("a group that seeks a state in X"), causes ("amid a lockdown in X") and the clauses
        # of other events ("since schools were closed in X") say nothing of where this one happened
        if (t.dep_ in ("relcl", "acl", "appos", "parataxis") or t.dep_ == "prep" and t.lower_ in CAUSE_PREPS
                or t.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in OTHER_EVENT_MARKS for c in t.children)
                and (has_dep(t, "nsubj") or has_dep(t, "nsubjpass"))):
            skip |= {x.i for x in t.subtree}
    region = {t.i for t in clause_toks} - skip
    sent = sentence_of(tok)
    actor &= set(range(sent.start, sent.end))  # the actor's phrase in the event's sentence
    own = {a.country for a in actors if a.country}
    found: list[tuple[tuple, Location]] = []
    in_actor: list[tuple[tuple, Location]] = []  # "protesters in Sidon gathered": where the actor was
    home: Location | None = None
    lo, hi = (min(region | actor), max(region | actor)) if region | actor else (0, -1)
    for (s, e), (loc, top) in doc_places(doc).items():
        if s < lo or e - 1 > hi:  # outside the clause: no need to look at its tokens
            continue
        span = doc[s:e]
        if top.label == EMBEDDED or dateline(top.span):
            continue
        where = found if all(t.i in region for t in span) else in_actor if all(t.i in actor for t in span) else None
        if where is None:
            continue
        root = first = span.root
        while first.dep_ == "conj" and first.head.i != first.i:  # "in Iraq and Syria", but not "Bosnia and Slovenia agreed"
            first = first.head
        head = first.head
        prep = head.lower_ if first.dep_ == "pobj" else None
        if prep is None and first.dep_ in ("amod", "nmod") and s > 0 and doc[s - 1].lower_ in PLACE_PREPS and doc[s - 1].i in region | actor:
            prep = doc[s - 1].lower_  # "in Dire (Dire, Tombouctou)" parsed with the town as a modifier of its province
        # "the village of X"; "in the western countryside of X", "at residential neighbourhoods of X"
        via_noun = prep == "of" and (head.head.lemma_.lower() in PLACE_NOUNS or head.head.lemma_.lower() in AREA_NOUNS
                                     and head.head.dep_ == "pobj" and head.head.head.lower_ in PLACE_PREPS)
        if where is in_actor:
            # only a place below the country the actor is at ("in", "at", "near"), not one it comes from
            # ("citizens from Redeyef (Gafsa)") or the country a movement is named for
            if not (prep in ACTOR_PREPS or via_noun) or loc.feature_code == "PCLI":
                continue
        elif not (prep in PLACE_PREPS or via_noun or first.dep_ in ("compound", "appos", "dobj", "nsubjpass", "npadvmod")):
            continue
        if prep is None and addressed(span, loc, trig):
            continue
        if first.dep_ == "compound" and loc.feature_code == "PCLI" and head.lemma_.lower() not in PLACE_NOUNS:
            continue  # "the US dollar", "US forces": the country qualifies a noun, it is not where it happened
        if prep == "from":
            if loc.country in own:
                continue  # "a strike from neighbouring Iran": where it came from
            if loc.feature_code in ("PCLI", "RGN", "CONT") and own and trig.type in VERBAL:
                p = country_place(sorted(own)[0])
                home = to_location(p, actors[0].text or p.name, 3) if p else None
                continue
        precision = loc.precision
        if prep in ("near", "outside", "around", "off") or top.relative:
            precision = max(precision, 2)
        depth, t = 0, root
        while t.i != tok.i and t.head.i != t.i and depth < 20:
            t, depth = t.head, depth + 1
        # at equal precision a place inside a country says more than the country ("in Azerbaijan at Goyali, Gadabay")
        # a town a road is named after ("on the Jessore-Dhaka highway") is one of its ends, not where on it: any other place first
        named = first
        while named.dep_ in ("compound", "nmod", "amod") and named.head.i != named.i and named.lemma_.lower() not in ROAD_NOUNS:
            # "Lahore" -> "Multan" -> "highway"
            named = named.head
        road_end = named is not first and named.lemma_.lower() in ROAD_NOUNS
        key = (top.hint, loc.country in own, road_end, precision, loc.feature_code == "PCLI", loc.lat is None, depth, s)
        where.append((key, replace(loc, precision=precision)))
    best = pick(doc, found)
    # the clause names no place, or only the country: the place the actor's phrase puts it at, within that country
    # ("protesters in Sidon gathered", "officials in Al Mukalla City demonstrated for autonomy across Yemen")
    if (alt := pick(doc, in_actor)) is not None and (best is None or best.feature_code == "PCLI" and alt.country == best.country
                                                      and alt.precision < best.precision):
        return alt
    return best or home


def pick(doc, found: list[tuple[tuple, Location]]) -> Location | None:
    """The first place by its key; a unit named only as another name's admin hint stands for that name."""
    if not found:
        return None
    key, best = min(found, key=lambda x: x[0])
    return hinted_place(doc, key[-1], best) if key[0] else best


def addressed(span: Span, loc: Location, trig: Trigger) -> bool:
    """A capital that is the object of a said act ("urged Baghdad to act", "warned Tehran"): its
    government, not where the act happened. A capital visited is the place ("would visit Islamabad")."""
    return span.root.dep_ == "dobj" and loc.feature_code == "PPLC" and trig.type in VERBAL and trig.type != "CONSULT"


def nearby_place(tok: Token, trig: Trigger, actor_toks: list[Token]) -> Location | None:
    """For an event whose clause names no place: the most specific place of its sentence outside
    the actor's phrase, the nearest to the trigger on a tie ("in Morelia, Michoacan, armed clashes
    were reported ...")."""
    from .geoparse import EMBEDDED, dateline, doc_places

    sent = sentence_of(tok)
    skip = {t.i for a in actor_toks for t in a.subtree}
    found = [
        ((top.hint, loc.precision, loc.feature_code == "PCLI", loc.lat is None, abs(s - tok.i)), loc)
        for (s, e), (loc, top) in doc_places(tok.doc).items()
        if sent.start <= s and e <= sent.end and not skip & set(range(s, e)) and top.label != EMBEDDED and not dateline(top.span)
        and not modifier(tok.doc[s:e]) and not addressed(tok.doc[s:e], loc, trig)
    ]
    return min(found, key=lambda x: x[0])[1] if found else None


def first_place(sent: Span) -> Location | None:
    """The first place a sentence names, not a country that only qualifies a noun ("the US dollar
    exchange rate")."""
    from .geoparse import EMBEDDED, doc_places

    first = sorted(((s, loc) for (s, e), (loc, top) in doc_places(sent.doc).items()
                    if sent.start <= s < sent.end and top.label != EMBEDDED and not (loc.feature_code == "PCLI" and modifier(sent.doc[s:e]))),
                   key=lambda x: x[0])
    return first[0][1] if first else None


def modifier(span: Span) -> bool:
    """A place name that only qualifies another noun ("the Canada-EU trade deal", "Turkey's
    president"), not a place where something happened ("the Panjgur district" is a place, and so is
    a name after "in" whatever the parse makes of it)."""
    span = span[1:] if len(span) > 1 and span[0].lower_ == "the" else span
    t = span.root
    if t.dep_ not in ("nmod", "amod", "poss", "nsubj", "compound") or span.start > 0 and span.doc[span.start - 1].lower_ in PLACE_PREPS:
        return False
    while t.dep_ in ("nmod", "amod", "poss", "compound") and t.head.i != t.i:  # "Canada" -> "EU" -> "deal"
        t = t.head
    return t.lemma_.lower() not in PLACE_NOUNS and t.ent_type_ not in ("GPE", "LOC", "FAC")


def hinted_place(doc, start: int, hint: Location) -> Location:
    """A unit chosen only as the admin hint of another name ("in Gaucha do Norte, Mato Grosso, a man
    was shot", parsed with the state in the verb's clause and the town out of it): the event is at the
    name the hint qualifies, the nearest place before it in the same sentence that is no hint itself,
    when it lies in the same country and is more specific."""
    from .geoparse import doc_places

    places = sorted(((s, e), lt) for (s, e), lt in doc_places(doc).items() if e <= start and s >= sentence_of(doc[start]).start)
    for (s, e), (loc, top) in reversed(places):
        if not all(t.is_punct or t.lower_ in ("in", "of", "the") for t in doc[e:start]):
            return hint  # words between: not the name the hint qualifies
        if not top.hint:
            return loc if loc.country == hint.country and loc.precision < hint.precision else hint
        start = s  # "Kibanda village (Idjwi, Sud-Kivu)": through the other hints of the parenthesis
    return hint
