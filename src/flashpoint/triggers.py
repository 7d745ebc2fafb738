"""Stage 1, triggers: the trigger words of data/triggers.yaml whose constraints the dependency parse
meets, one candidate event per trigger (a multiword entry beats a one-word one; a word that only
describes, names, or is the content of another trigger is none: senses.py, `subsumed`)."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import replace
from functools import cached_property

from spacy.attrs import ENT_TYPE, LEMMA, LOWER, POS
from spacy.strings import StringStore
from spacy.tokens import Doc, Span, Token

from .candidates import Article, Candidate
from .lexicon import Trigger, load_plover, load_triggers
from .senses import not_an_event
from .spans import sentence_of
from .syntax import OBJ_DEPS, children, is_negated, lemma, light_verb, obj_lemmas, own_obj_lemmas, per_token, speaker, subject_lemmas

CONFLICT_TYPES = {"ASSAULT", "COERCE", "SANCTION", "MOBILIZE"}
CONTENT_TYPES = {"REQUEST", "THREATEN", "AGREE", "REJECT"}  # a that-clause under these is what is asked, threatened ...
CIRCUMSTANCE_PREPS = {"in", "during", "at", "via", "through"}  # "agreed in a phone call", "agreed at talks": where or how, not what
NOT_EVENTS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"}


def find(art: Article) -> list[Candidate]:
    """The stage: a candidate for every trigger that fires, in text order, with its trigger and
    sentence spans (`roles`, `places`, dates and modality fill in the rest)."""
    out: list[Candidate] = []
    for chunk in art.chunks:
        for sent in chunk.doc.sents:
            for tok, trig in find_triggers(sent):
                trig = threat_of_willingness(tok, trig)
                c = Candidate(trig, tok, chunk.offset, objects=frozenset(obj_lemmas(tok) & trig.objects),
                              convention="the negation is the event" if trig.negated else None)
                c.spans["trigger"] = c.char_span(tok)
                c.spans["sentence"] = (chunk.offset + sent.start_char, chunk.offset + sent.end_char)
                out.append(c)
    return out


def matches(trig: Trigger, tok: Token) -> bool:
    return bool(matching([trig], tok))


class Reading:
    """What a token's parse gives the trigger entries' constraints, each read on first use only."""

    def __init__(self, tok: Token) -> None:
        self.tok = tok

    @cached_property
    def capitalised_noun(self) -> bool:
        return not self.tok.ent_type_ and (self.tok.is_sent_start or self.tok.is_title)

    @cached_property
    def near(self) -> set[str]:
        return near_lemmas(self.tok)

    @cached_property
    def pairs(self):
        return prep_pobj_lemmas(self.tok)

    @cached_property
    def negated(self) -> bool:
        return is_negated(self.tok)

    @cached_property
    def objects(self) -> set[str]:
        return obj_lemmas(self.tok)

    @cached_property
    def own_objects(self) -> set[str]:
        return own_obj_lemmas(self.tok)

    @cached_property
    def subjects(self) -> set[str]:
        return subject_lemmas(self.tok)

    @cached_property
    def modifiers(self) -> set[str]:
        return {lemma(c) for c in self.tok.children if c.dep_ in ("compound", "amod", "nmod")}

    @cached_property
    def verb(self) -> str:
        return lemma(self.tok.head) if self.tok.dep_ in OBJ_DEPS else ""


def admits(have, wanted, refused) -> bool:
    """An entry's word list and its exclusion list: one of the wanted (when it names any), none refused."""
    return (not wanted or bool(have & wanted)) and not (refused and have & refused)


def matching(trigs: list[Trigger], tok: Token) -> list[Trigger]:
    """The entries among `trigs` whose constraints the token's parse meets, in their order (what
    the token's parse gives is read once for all of them)."""
    pos = tok.pos_
    lem = lemma(tok)
    r = Reading(tok)
    out = []
    for trig in trigs:
        if pos not in trig.pos:
            # A noun the tagger took for a name only because it is capitalised ("Strikes hit ..." opening a sentence or headline)
            if pos != "PROPN" or "NOUN" not in trig.pos or not r.capitalised_noun:
                continue
        if len(trig.words) > 1:
            others = other_words(trig, lem, tok.lower_)
            # "came under fire": the object of a preposition the entry names
            if not r.near.issuperset(others) and (
                    not r.pairs or not (r.near | {o for p, o in r.pairs if p in others}).issuperset(others)):
                continue
        if trig.negated and not r.negated:
            continue
        # what rules an entry out must be the word's own object, not a participle's ("protested demanding support")
        if trig.objects and not admits(r.objects, trig.objects, None) or trig.not_objects and not admits(r.own_objects, None, trig.not_objects):
            continue
        if trig.subjects and not (r.subjects & trig.subjects):
            continue
        if (trig.modifiers or trig.not_modifiers) and not admits(r.modifiers, trig.modifiers, trig.not_modifiers):
            continue
        if trig.not_verbs and r.verb in trig.not_verbs:
            continue
        if trig.predicate and judged(tok) is None:
            continue
        out.append(trig)
    return out


def judging_verb(tok: Token) -> Token | None:
    """The verb that calls someone what the predicate says ("called Haley a proven dealmaker",
    "described him as a traitor"), else None."""
    head = tok.head
    if tok.dep_ == "pobj" and head.lower_ == "as":
        head = head.head
    elif tok.dep_ == "appos" and head.dep_ == "dobj":  # called Haley "a proven dealmaker"
        head = head.head
    elif tok.dep_ not in ("oprd", "xcomp", "attr", "dobj"):
        return None
    return head if lemma(head) in load_triggers().defaults["judging_verbs"] and children(head, "dobj", "nsubjpass") else None


def generic_plural(tok: Token | None) -> bool:
    """A bare plural ("Critics called him a dictator", "supporters say"): an opinion held by
    some, not a statement someone made."""
    return tok is not None and tok.tag_ == "NNS" and not any(c.dep_ in ("det", "amod", "compound", "nummod", "poss") for c in tok.children)


def judged(tok: Token) -> Token | None:
    """The clause that states an evaluation: the judging verb, or the copula of a predicate
    ("X was a brutal dictator") when the sentence says who said it. None: no evaluation by anyone."""
    while tok.dep_ == "conj" and tok.head.i != tok.i:  # "a liar and a fraud"
        tok = tok.head
    if (verb := judging_verb(tok)) is not None:
        return None if any(generic_plural(s) for s in children(verb, "nsubj")) else verb
    if tok.dep_ in ("attr", "acomp") and lemma(tok.head) == "be" and (sp := speaker(sentence_of(tok))) is not None and not generic_plural(sp):
        return tok.head
    return None


OTHER_WORDS: dict[tuple[str, str], tuple[str, ...]] = {}


def other_words(trig: Trigger, lem: str, lower: str) -> tuple[str, ...]:
    """The words of a multiword entry besides the one the token is (by its lemma, else as written)."""
    key = (trig.lemma, lem if lem in trig.words else lower)
    others = OTHER_WORDS.get(key)
    if others is None:
        words = list(trig.words)
        words.remove(key[1])
        others = OTHER_WORDS[key] = tuple(words)
    return others


@per_token
def prep_pobj_lemmas(tok: Token) -> set[tuple[str, str]]:
    """(preposition, its object) lemma pairs under a token ("came under fire": (under, fire))."""
    return {(lemma(c), lemma(o)) for c in tok.children if c.dep_ == "prep" for o in c.children if o.dep_ == "pobj"}


@per_token
def near_lemmas(tok: Token) -> set[str]:
    """Lemmas around a token that complete a multiword entry ("carry out", "phone call")."""
    return {lemma(c) for c in tok.children} | {lemma(tok.head)} | {lemma(c) for c in tok.head.children if c.dep_ in ("prt", "compound", "dobj")}


def find_triggers(sent: Span) -> list[tuple[Token, Trigger]]:
    """Every (token, entry) that fires in the sentence; a multiword entry beats a one-word one."""
    words, entries = words_with_entries(sent.doc)
    out = []
    for i in words[bisect_left(words, sent.start) : bisect_left(words, sent.end)]:
        tok, cands = sent.doc[i], entries[i]
        if tok.lower_ == "according" and any(c.lower_ == "to" for c in tok.children):  # "according to": attribution
            continue
        if any(a.lower_ == "according" for a in tok.ancestors):  # "according to people familiar with the inquiries": a source
            continue
        fired = matching(cands, tok)
        if fired:
            fired.sort(key=lambda t: (-len(t.words), -len(t.objects), t.negated is False))
            out.append((tok, fired[0]))
    # A word that is part of another trigger's multiword lemma ("phone" in "phone call") is not its own event.
    taken = {c.i for tok, t in out if len(t.words) > 1 for c in tok.children if lemma(c) in t.words}
    fired = {tok.i: t for tok, t in out}
    # "called X a hero": the verb names what X is; the evaluation is the event, not a call
    taken |= {v.i for tok, t in out if t.predicate and (v := judged(tok)) is not None and v.i != tok.i}
    return [(tok, t) for tok, t in out if tok.i not in taken and not subsumed(tok, fired) and not generic(tok) and not not_an_event(tok, t.type)]


Entries = tuple[tuple[Trigger, frozenset[str]], ...]
ENTRIES: dict[tuple[int, int, int], Entries] = {}
MEMO_LIMIT = 200_000  # ENTRIES and LOWER_LEMMAS start afresh beyond this many keys: memory stays bounded


def entries_of(lem: int, lower: int, pos: int, strings: StringStore) -> Entries:
    """The entries a token may fire (by its lemma, else as written, for its part of speech), each
    with the other words of a multiword entry, memoised by the string ids of lemma, form and part
    of speech."""
    key = (lem, lower, pos)
    found = ENTRIES.get(key)
    if found is None:
        if len(ENTRIES) > MEMO_LIMIT:
            ENTRIES.clear()
        lex, lem_s, lower_s, pos_s = load_triggers(), strings[lem].lower(), strings[lower], strings[pos]
        cands = lex.candidates(lem_s, pos_s) + (lex.candidates(lower_s, pos_s) if lower_s != lem_s else [])
        found = ENTRIES[key] = tuple((t, frozenset(other_words(t, lem_s, lower_s))) for t in cands)
    return found


def words_with_entries(doc: Doc) -> tuple[list[int], dict[int, list[Trigger]]]:
    """The tokens of a chunk that some trigger entry may fire on, in order, and those entries,
    read once per chunk from the token arrays (most tokens have none). A multiword entry whose
    other words are not lemmas of the token's sentence cannot fire there (`matching` looks for
    them around the token) and is left out."""
    found = doc.user_data.get("flashpoint_trigger_words")
    if found is not None:
        return found
    strings = doc.vocab.strings
    not_events = {strings[label] for label in NOT_EVENTS}
    rows = doc.to_array([LEMMA, LOWER, POS, ENT_TYPE]).tolist()
    found = doc.user_data["flashpoint_trigger_words"] = ([], {})
    for sent in doc.sents:
        lemmas: set[str] | None = None
        for i in range(sent.start, sent.end):
            lem, lower, pos, ent = rows[i]
            entries = ENTRIES.get((lem, lower, pos))
            if entries is None:
                entries = entries_of(lem, lower, pos, strings)
            if not entries or ent in not_events:  # "3 March 2023" is a date, not a march
                continue
            if lemmas is None and any(others for _, others in entries):
                lemmas = {lower_lemma(r[0], strings) for r in rows[sent.start : sent.end]}
            cands = [t for t, others in entries if not others or others <= lemmas]
            if cands:
                found[0].append(i)
                found[1][i] = cands
    return found


LOWER_LEMMAS: dict[int, str] = {}


def lower_lemma(lem: int, strings: StringStore) -> str:
    found = LOWER_LEMMAS.get(lem)
    if found is None:
        if len(LOWER_LEMMAS) > MEMO_LIMIT:
            LOWER_LEMMAS.clear()
        found = LOWER_LEMMAS[lem] = strings[lem].lower()
    return found


def generic(tok: Token) -> bool:
    """A relative clause in the simple present describes what someone is, not what happened: "a
    militant group that seeks independence", "a party which opposes the government"."""
    return tok.dep_ == "relcl" and tok.tag_ in ("VBZ", "VBP") and not children(tok, "aux", "auxpass")


def subsumed(tok: Token, fired: dict[int, Trigger]) -> bool:
    """Part of another trigger's event rather than an event of its own: an infinitive complement or
    purpose clause ("would not allow him to return", "recalled its envoy to protest", "threatened to
    strike"), or the object a trigger entry names ("cancelled the meeting", "recalled the delegation")."""
    if (tok.pos_ == "NOUN" and tok.dep_ == "pobj" and tok.head.head.i in fired and fired[tok.head.head.i].type in CONTENT_TYPES
            and not (tok.head.lower_ in CIRCUMSTANCE_PREPS and fired[tok.head.head.i].type == "AGREE")):
        return True  # "called for sanctions", "is opposed to mediation": what is asked for or refused
    head = fired.get(tok.head.i) if tok.head.i != tok.i else None
    if head is None:  # "staged demonstrations to demand ...": the verb that carries a noun trigger
        head = next((t for i, t in fired.items() if i != tok.i and light_verb(tok.doc[i]) is not None and light_verb(tok.doc[i]).i == tok.head.i), None)
    if head is None:
        return False
    if tok.dep_ in ("xcomp", "ccomp", "advcl") and any(c.tag_ == "TO" for c in tok.children):
        return True
    if head.type in CONTENT_TYPES and tok.dep_ in ("ccomp", "acl") and any(c.lower_ == "that" for c in tok.children):
        return True  # "demanded that Israel ease restrictions": the demand, not the easing
    if head.type == "PROTEST" and tok.dep_ in ("advcl", "acl", "xcomp") and tok.tag_ == "VBG":
        return True  # "demonstrated ... calling for independence": what the protest wants
    if tok.pos_ == "NOUN" and tok.dep_ in ("dobj", "obj") and head.type in CONTENT_TYPES:
        return True  # "demanded the withdrawal of ...", "rejected the talks"
    return tok.pos_ == "NOUN" and tok.dep_ in OBJ_DEPS and lemma(tok) in head.objects


def threat_of_willingness(tok: Token, trig: Trigger) -> Trigger:
    """Readiness to coerce or attack ("is prepared to impose martial law", "is ready to strike") is a
    threat, not an agreement: an AGREE trigger whose complement is a conflictual trigger is THREATEN."""
    if trig.type != "AGREE":
        return trig
    lex = load_triggers()
    for x in children(tok, "xcomp"):
        fired = [t for t in lex.by_word.get(lemma(x), []) if matches(t, x)]
        if any(t.type in CONFLICT_TYPES for t in fired):
            plover = load_plover()
            return replace(trig, type="THREATEN", mode=None, cameo=plover["types"]["THREATEN"]["cameo"], acled=None, objects=frozenset())
    return trig
