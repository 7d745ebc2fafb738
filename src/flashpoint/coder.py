"""The event coder: find trigger words from data/triggers.yaml, check their constraints on the
dependency parse, and fill in who did it to whom, when, where, and how real it is.

Each candidate keeps the trigger entry it came from and character spans for the trigger, the
sentence, the actor and the recipient, so every coded event can be checked against the text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property, lru_cache, wraps

from spacy.tokens import Span, Token

from . import dates as dt
from .actors import CorefState, mentions_in, resolve_phrase, sentence_of
from .context import ArticleContext
from .lexicon import Trigger, load_actor_dictionary, load_plover, load_triggers
from .models import Actor, Location
from .modality import cues
from .modality import modality as classify_modality
from .nlp import PLACE_NOUNS, Chunk
from .roles import addressee_first, civilian_place, judged_violence, participant, patient_possessor
from .roles import select as select_role
from .senses import not_an_event

SAY_VERBS = frozenset(cues()["speech_verbs"])  # data/modality.yaml
DEMAND_MODALS = frozenset(cues()["demand_modals"])
DEMAND_NOUNS = frozenset(cues()["demand_nouns"])
DEMAND_VERBS = frozenset(cues()["demand_verbs"])
ENABLING = frozenset(cues()["enabling_verbs"])
OBJ_DEPS = {"dobj", "obj", "nsubjpass", "attr", "oprd"}
PLACE_PREPS = {"in", "at", "near", "inside", "outside", "into", "across", "from"}
# parts of a place: "in the countryside of X" happens in X
AREA_NOUNS = {"outskirts", "countryside", "suburb", "vicinity", "environs", "neighbourhood", "neighborhood", "part", "centre",
              "center", "street", "heart", "edge", "periphery"}
VERBAL = {"AGREE", "CONSULT", "SUPPORT", "CONCEDE", "REQUEST", "ACCUSE", "REJECT", "THREATEN", "SANCTION"}  # said, not done
CONFLICT_TYPES = {"ASSAULT", "COERCE", "SANCTION", "MOBILIZE"}
CONTENT_TYPES = {"REQUEST", "THREATEN", "AGREE", "REJECT"}  # a that-clause under these is what is asked, threatened ...
CIRCUMSTANCE_PREPS = {"in", "during", "at", "via", "through"}  # "agreed in a phone call", "agreed at talks": where or how, not what
ADDRESSEE_TYPES = {"REQUEST", "THREATEN", "ACCUSE"}  # "demanded that X ...": X is who is asked
NOUN_EVENT_PREPS = {"on", "for", "in"}
SUBORDINATORS = {"as", "while", "when", "after", "before", "until", "since", "because"}
NOT_EVENTS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"}


@dataclass
class Candidate:
    """An event as found in one sentence, before fusion with its other mentions in the document."""

    trig: Trigger
    token: Token
    offset: int  # chunk offset in the document
    actors: list[Actor] = field(default_factory=list)
    recipients: list[Actor] = field(default_factory=list)
    modality: str = "asserted"
    date: date | None = None
    date_precision: str = "unknown"
    date_text: str | None = None
    relative: tuple[int, int] | None = None  # (days, index of the candidate it is relative to)
    convention: str | None = None  # the PLOVER convention that set its type and modality (assemble.intentions)
    objects: frozenset[str] = frozenset()  # the objects that made a constrained entry fire (ambassador, delegation)
    sentence_countries: frozenset[str] = frozenset()  # the countries its sentence names
    location: Location | None = None
    nearby: Location | None = None  # no place in its clause: the place of its sentence
    lead: Location | None = None  # the article's lead place (its dateline, the first place it names)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def sentence(self) -> Span:
        return sentence_of(self.token)

    def char_span(self, tokens: list[Token] | Token | Span) -> tuple[int, int]:
        if isinstance(tokens, Token):
            tokens = [tokens]
        tokens = list(tokens)
        return self.offset + tokens[0].idx, self.offset + tokens[-1].idx + len(tokens[-1])


def per_token(fn: Callable[[Token], set[str]]) -> Callable[[Token], frozenset[str]]:
    """Memoised per chunk (in the Doc's user_data): what is computed from a token's parse alone."""
    key = f"flashpoint_{fn.__name__}"

    @wraps(fn)
    def memo(tok: Token) -> frozenset[str]:
        seen = tok.doc.user_data.setdefault(key, {})
        if tok.i not in seen:
            seen[tok.i] = frozenset(fn(tok))
        return seen[tok.i]

    return memo


def lemma(t: Token) -> str:
    return t.lemma_.lower()


def children(t: Token, *deps: str) -> list[Token]:
    return [c for c in t.children if c.dep_ in deps]


def prep_objects(t: Token, preps: set[str] | frozenset[str]) -> list[Token]:
    """Objects of the given prepositions under t ("to" in "sent aid to X" is parsed as a dative)."""
    return [o for p in t.children if p.dep_ in ("prep", "agent", "dative") and p.lower_ in preps for o in p.children if o.dep_ == "pobj"]


def light_verb(tok: Token) -> Token | None:
    """The verb a nominal trigger is the object/subject of ("carried out attacks", "strikes were
    launched") or attached to by on/for/in ("arrived on a visit", "went on strike", "met for talks")."""
    if tok.pos_ != "NOUN":
        return None
    if tok.dep_ == "compound" and tok.head.pos_ == "NOUN":  # "launched a mediation effort"
        tok = tok.head
    if tok.dep_ in OBJ_DEPS | {"nsubj"} and tok.head.pos_ in ("VERB", "AUX"):
        return tok.head
    prep = tok.head
    if tok.dep_ == "pobj" and prep.lower_ in NOUN_EVENT_PREPS and prep.head.pos_ == "VERB":
        return prep.head
    return None


@per_token
def obj_lemmas(tok: Token) -> set[str]:
    """Lemmas of what the trigger acts on (including compounds such as "trade delegation")."""
    # "fired with heavy weapons": the instrument counts as what the verb acts with
    objs = children(tok, *OBJ_DEPS) + prep_objects(tok, {"of", "from", "with"}) if tok.pos_ != "NOUN" else prep_objects(tok, {"of"})
    for x in children(tok, "xcomp", "ccomp"):
        objs += children(x, "nsubj", "dobj")
    if tok.pos_ == "NOUN" and (lv := light_verb(tok)) is not None:
        objs += children(lv, "dobj")
    objs += [c for o in objs for c in o.conjuncts]  # "arms and humanitarian aid"
    objs += [p for o in objs for p in prep_objects(o, {"of"})]  # "dozens of rockets", "700 kg of medicine"
    out = set()
    for o in objs:
        out.add(lemma(o))
        out.update(lemma(c) for c in o.children if c.dep_ in ("compound", "amod"))
    return out


@per_token
def subject_lemmas(tok: Token) -> set[str]:
    subs = children(tok, "nsubj", "nsubjpass")
    if not subs and tok.dep_ == "conj":
        subs = children(tok.head, "nsubj", "nsubjpass")
    if not subs and tok.dep_ in ("acomp", "attr", "xcomp"):  # "the reports were false", "workers are preparing to strike"
        subs = children(tok.head, "nsubj", "nsubjpass")
    if not subs and tok.pos_ == "NOUN":  # "the doctors' strike", "the union said a strike could begin"
        subs = children(tok, "poss") + [sp for sp in [speaker(sentence_of(tok))] if sp is not None]
    subs += [o for s in subs if s.pos_ == "NUM" or s.tag_ == "NNS" and lemma(s) in ("thousand", "hundred", "dozen", "million")
             for o in prep_objects(s, {"of"})]  # "thousands of nurses"
    return {lemma(s) for s in subs} | {lemma(c) for s in subs for c in s.children if c.dep_ == "compound"}


@lru_cache(maxsize=32)
def organisers(trig: Trigger) -> frozenset[str]:
    """Who stages a protest of this mode: the `subjects` of the lexicon's entries of the same type
    and mode ("union", "worker" ... for a strike); none for a mode no entry constrains."""
    return frozenset(w for ts in load_triggers().by_word.values() for t in ts if t.type == trig.type and t.mode == trig.mode for w in t.subjects)


def is_negated(tok: Token) -> bool:
    heads = [tok] + ([tok.head] if tok.dep_ in ("xcomp", "conj") else [])
    return any(c.dep_ == "neg" for h in heads for c in h.children)


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
        if (trig.objects or trig.not_objects) and not admits(r.objects, trig.objects, trig.not_objects):
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
    lex = load_triggers()
    out = []
    for tok in sent:
        if tok.ent_type_ in NOT_EVENTS:  # "3 March 2023" is a date, not a march
            continue
        if tok.lower_ == "according" and any(c.lower_ == "to" for c in tok.children):  # "according to": attribution
            continue
        pos = tok.pos_
        cands = lex.candidates(lemma(tok), pos) + (lex.candidates(tok.lower_, pos) if tok.lower_ != lemma(tok) else [])
        if not cands or any(a.lower_ == "according" for a in tok.ancestors):  # "according to people familiar with the inquiries": a source
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


def judges(verb: Token, trig: Trigger) -> bool:
    """ "Sisi condemned the attack": the verb judges the violence its object names (participants.yaml
    `judged_violence`), so its subject did not do it."""
    rule = judged_violence()
    return trig.type in rule["violent"] and any(t.type in rule["types"] and matches(t, verb) for t in load_triggers().by_word.get(lemma(verb), []))


def subordinated(tok: Token) -> list[Token]:
    """The nouns a subordinator parsed as a preposition took for objects between the trigger's head
    and the trigger ("watched in shock as the gunman ... fired"): the subject of the trigger's clause."""
    return [o for p in tok.head.subtree if p.dep_ == "prep" and p.lower_ in SUBORDINATORS and tok.head.i < p.i < tok.i
            and tok not in p.subtree for o in children(p, "pobj")]


def governing_verb(tok: Token) -> Token | None:
    """The verb whose subject also does a subjectless verbal complement: a gerund after a
    preposition of that verb ("resorted to throwing stones", "after shooting the ambassador, the
    gunman ...") or a participle after a copula ("Vietnam is committed to ...")."""
    if tok.dep_ == "pcomp" and tok.head.dep_ == "prep" and tok.head.head.pos_ in ("VERB", "AUX"):
        return tok.head.head
    if tok.dep_ == "acomp" and tok.head.pos_ in ("VERB", "AUX"):
        return tok.head
    return None


def demand_speaker(tok: Token) -> Token | None:
    """The subject of the verb of saying whose "that" clause says someone must or should do the
    trigger's action ("Britain said Libya must hand over the suspects")."""
    verb = tok
    while verb.dep_ == "xcomp" and lemma(verb.head) in ENABLING:
        verb = verb.head  # "must ensure security to allow supplies": the demand is for what the modal verb governs
    if verb.dep_ not in ("ccomp", "acl") or not any(lemma(a) in DEMAND_MODALS for a in children(verb, "aux")):
        return None
    if not children(verb, "nsubj"):
        return None
    head = verb.head
    if head.pos_ == "NOUN" and lemma(head) in DEMAND_NOUNS:  # "issued a reminder to Iraq that it must ..."
        head = head.head
    if lemma(head) not in SAY_VERBS | DEMAND_VERBS:
        return None
    subj = children(head, "nsubj")
    return subj[0] if subj else None


def speaker(sent: Span) -> Token | None:
    """The subject of the sentence's verb of saying, or the object of "according to"."""
    for t in sent:
        if lemma(t) in SAY_VERBS and t.pos_ == "VERB":
            subj = children(t, "nsubj")
            if subj:
                return subj[0]
        if t.lower_ == "according" and (objs := prep_objects(t, {"to"})):
            return objs[0]
    return None


def earlier_event(tok: Token, clause: Token) -> bool:
    """A nominal trigger the clause says came before its own event ("protests following the
    attacks", "after the strikes"): the clause's date is not its date."""
    t = tok
    while t.i != clause.i and t.head.i != t.i:
        if t.dep_ == "prep" and t.lower_ in ("following", "after", "since"):
            return True
        t = t.head
    return False


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

    places = sorted(((s, e), lt) for (s, e), lt in doc_places(doc).items() if e <= start and s >= doc[start].sent.start)
    for (s, e), (loc, top) in reversed(places):
        if not all(t.is_punct or t.lower_ in ("in", "of", "the") for t in doc[e:start]):
            return hint  # words between: not the name the hint qualifies
        if not top.hint:
            return loc if loc.country == hint.country and loc.precision < hint.precision else hint
        start = s  # "Kibanda village (Idjwi, Sud-Kivu)": through the other hints of the parenthesis
    return hint


def clause_of(tok: Token, stops: tuple[str, ...] = ("ROOT", "ccomp", "advcl", "conj", "relcl")) -> Token:
    """The head of the clause a token belongs to."""
    while tok.dep_ not in stops and tok.head.i != tok.i:
        tok = tok.head
    return tok


class Coder:
    """Turns the parsed chunks of one document into candidates (one per trigger and recipient)."""

    def __init__(self, dateline: date | None, context: ArticleContext | None = None):
        self.dateline = dateline
        self.context = context
        self.offset = 0  # document offset of the chunk being coded
        self.coref = CorefState()
        self.country_counts: Counter = Counter()
        self.lead: Location | None = None  # the first place the article names (its dateline or lead)

    def roles(self, tok: Token, trig: Trigger) -> tuple[list[Actor], list[Actor], list[Token], list[Token]]:
        lex = load_triggers()
        actor_toks: list[Token] = []
        recip_toks: list[Token] = []
        owner_toks: list[Token] = []  # "a Pakistani trade delegation was recalled": the modifier names who acts
        if trig.predicate and (verb := judged(tok)) is not None:  # "Y called X a hero", "X was a dictator, Y said"
            if lemma(verb) == "be":
                recip_toks += children(verb, "nsubj")
            else:
                actor_toks += children(verb, "nsubj") + prep_objects(verb, {"by"})
                recip_toks += children(verb, "dobj", "nsubjpass")
        elif tok.pos_ in ("VERB", "AUX"):
            passive = bool(children(tok, "nsubjpass", "auxpass"))
            subj = children(tok, "nsubj")
            if tok.dep_ == "acl" and tok.tag_ == "VBN":  # "the two children killed": the noun suffered it
                recip_toks.append(tok.head)
            elif not subj and (gov := governing_verb(tok)) is not None:  # "resorted to throwing stones", "is committed to"
                subj = children(gov, "nsubj")
            elif not subj and tok.tag_ in ("VBD", "VBZ", "VBP") and (tok.dep_ == "advcl" or (tok.dep_ == "conj" and subordinated(tok))):
                # a finite clause of its own ("watched (in shock) as the gunman, who wore a suit, fired eight shots")
                # parsed without its subject: the noun its subordinator took for an object, never the main clause's subject
                subj = subordinated(tok)[-1:]
            elif not subj and not passive and tok.dep_ in ("xcomp", "conj", "advcl", "acl"):
                # not for a passive, whose actor only a "by" phrase names ("two suspects escaped and one was killed")
                subj = children(tok.head, "nsubj") or ([tok.head] if tok.head.pos_ in ("NOUN", "PROPN") else [])
                if subj and subj[0].pos_ != "VERB" and not participant(subj[0], self.coref) and (lv := light_verb(subj[0])):
                    subj = children(lv, "nsubj") or (children(lv.head, "nsubj") if lv.dep_ == "conj" else [])  # "X issued (or: stood and gave) a declaration demanding ...": X demands
            if trig.suffered:  # "the patrol came under fire from gunmen"
                recip_toks += subj
                subj = []
            actor_toks += subj + prep_objects(tok, lex.defaults["actor_preps"] | trig.actor_preps)
            direct = children(tok, "dobj", "obj") + (children(tok, "nsubjpass") if passive else [])
            if not trig.objects or not {lemma(o) for o in direct} & trig.objects:
                recip_toks += direct  # "accused the regime of shelling": the thing named is after "of", the object is who
            recip_preps = lex.defaults["recipient_preps"] | trig.recipient_preps
            recip_toks += prep_objects(tok, recip_preps)
            for o in children(tok, "dobj", "obj"):  # "granted asylum to X", "discussed the case with Trump" (attached to the thing)
                if trig.objects or not participant(o, self.coref):
                    recip_toks += prep_objects(o, recip_preps)
            if not recip_toks:
                for c in children(tok, "ccomp", "xcomp"):
                    if trig.type in ADDRESSEE_TYPES and any(m.lower_ == "that" for m in c.children):
                        recip_toks += children(c, "nsubj")  # "demanded that the government resign"
                    elif c.tag_ == "VB":  # "threatened to break off relations with X"
                        recip_toks += children(c, "dobj") + prep_objects(c, recip_preps)
            if not recip_toks and trig.type == "THREATEN":  # "threatened to strike unless Israel withdrew"
                for v in [tok, *children(tok, "xcomp")]:
                    for a in children(v, "advcl"):
                        if any(m.lower_ in ("unless", "if") for m in children(a, "mark")):
                            recip_toks += children(a, "nsubj")
        elif tok.pos_ == "ADJ":  # "Syria is willing to ...", "the violation was unacceptable"
            if tok.dep_ in ("acomp", "attr", "oprd") and not trig.speaker:  # a judgement's subject is what is judged
                actor_toks += children(tok.head, "nsubj")
            recip_toks += prep_objects(tok, lex.defaults["recipient_preps"] | trig.recipient_preps)
        else:
            if patient_possessor(tok):  # "Karlov's assassination by a policeman", "the gunman's arrest"
                recip_toks += children(tok, "poss")
            else:
                actor_toks += children(tok, "poss")
            actor_toks += [c for c in tok.children if c.dep_ in ("amod", "compound") and load_actor_dictionary().lookup(c.text)]
            actor_toks += prep_objects(tok, lex.defaults["noun_actor_preps"] | trig.actor_preps)
            recip_toks += prep_objects(tok, lex.defaults["noun_recipient_preps"] | trig.recipient_preps)
            lv = light_verb(tok)
            if lv is not None:
                if tok.dep_ == "pobj" and children(lv, "nsubjpass"):  # "44 people were killed in a PKK attack": they suffered it
                    recip_toks += children(lv, "nsubjpass")
                elif tok.dep_ in ("dobj", "obj", "attr", "pobj") and not judges(lv, trig) and lemma(lv) not in lex.defaults["reporting_verbs"]:
                    actor_toks += children(lv, "nsubj")  # not "the governor said the blast ...": who tells of it
                elif tok.dep_ in ("dobj", "obj") and lemma(lv) in lex.defaults["reporting_verbs"]:  # "said the blast was carried out by X", its subject parsed as an object
                    actor_toks += [o for v in children(lv, "ccomp") if not children(v, "nsubj", "nsubjpass") for o in prep_objects(v, {"by"})]
                elif tok.dep_ == "nsubjpass":
                    actor_toks += prep_objects(lv, {"by"})
                elif tok.dep_ == "nsubj" and trig.type in ("ASSAULT", "COERCE") and not recip_toks:
                    # "a car bomb killed 13 soldiers in X"; not "X's assassination by Y stunned diplomats": X
                    recip_toks = children(lv, "dobj")
                recip_toks += [o for o in prep_objects(lv, lex.defaults["noun_recipient_preps"] | trig.recipient_preps) if o.i != tok.i]
        if trig.objects:  # the object is a thing (an ambassador, a meeting); its owner acts
            for o in children(tok, *OBJ_DEPS) + prep_objects(tok, {"of"}):
                owners = children(o, "poss") + [c for c in o.children if c.dep_ in ("amod", "compound")]
                suffered = trig.type in ("ASSAULT", "COERCE") and children(tok, "nsubjpass", "auxpass")  # "X's home was searched"
                if not actor_toks and not suffered:
                    owner_toks = [w for w in owners if any(a.country or a.sector for a in resolve_phrase(w, self.coref))]
                    actor_toks += owner_toks
                elif suffered:
                    recip_toks += children(o, "poss")  # "the man's house was raided": the man
        if trig.speaker and (sp := speaker(sentence_of(tok))) is not None:
            actor_toks.append(sp)  # after the trigger's own subject: "all indications point to X, he said"
        recip_toks = [r for r in recip_toks if r not in actor_toks]
        if trig.type == "ASSAULT":  # "the blast hit a church": the civilians there (roles.civilian_target), not the church's clergy
            recip_toks = [r for r in recip_toks if not civilian_place(r)]
        actor_toks, actors = select_role(actor_toks, self.coref, self.context, self.offset, owner_toks)
        recip_toks = [r for r in recip_toks if r not in actor_toks]
        if trig.type not in ("ACCUSE", "REJECT"):  # "complained to the UN over Israeli raids": the accused, not the audience
            recip_toks = addressee_first(recip_toks)
        recip_toks, recipients = select_role(recip_toks, self.coref, self.context, self.offset)
        return actors, recipients, actor_toks, recip_toks

    def place(self, tok: Token, trig: Trigger, actors: list[Actor], actor_toks: list[Token]) -> Location | None:
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
        skip = {t.i for a in actor_toks for t in a.subtree}
        for t in clause.subtree:
            if t.dep_ in ("relcl", "acl", "appos", "parataxis") and tok not in t.subtree:
                skip |= {x.i for x in t.subtree}
        region = {t.i for t in clause.subtree} - skip
        own = {a.country for a in actors if a.country}
        found: list[tuple[tuple, Location]] = []
        home: Location | None = None
        lo, hi = (min(region), max(region)) if region else (0, -1)
        for (s, e), (loc, top) in doc_places(doc).items():
            if s < lo or e - 1 > hi:  # outside the clause: no need to look at its tokens
                continue
            span = doc[s:e]
            if top.label == EMBEDDED or dateline(top.span) or not all(t.i in region for t in span):
                continue
            root = first = span.root
            while first.dep_ == "conj" and first.head.i != first.i:  # "in Iraq and Syria", but not "Bosnia and Slovenia agreed"
                first = first.head
            head = first.head
            prep = head.lower_ if first.dep_ == "pobj" else None
            if prep is None and first.dep_ in ("amod", "nmod") and s > 0 and doc[s - 1].lower_ in PLACE_PREPS and doc[s - 1].i in region:
                prep = doc[s - 1].lower_  # "in Dire (Dire, Tombouctou)" parsed with the town as a modifier of its province
            # "the village of X"; "in the western countryside of X", "at residential neighbourhoods of X"
            via_noun = prep == "of" and (head.head.lemma_.lower() in PLACE_NOUNS or head.head.lemma_.lower() in AREA_NOUNS
                                         and head.head.dep_ == "pobj" and head.head.head.lower_ in PLACE_PREPS)
            if not (prep in PLACE_PREPS or via_noun or first.dep_ in ("compound", "appos", "dobj", "nsubjpass", "npadvmod")):
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
            found.append(((top.hint, loc.country in own, precision, loc.lat is None, depth, s), replace(loc, precision=precision)))
        if not found:
            return home
        key, best = min(found, key=lambda x: x[0])
        return hinted_place(doc, key[-1], best) if key[0] else best

    def nearby_place(self, tok: Token, actor_toks: list[Token]) -> Location | None:
        """For an event whose clause names no place: the most specific place of its sentence outside
        the actor's phrase, the nearest to the trigger on a tie ("in Morelia, Michoacan, armed clashes
        were reported ...")."""
        from .geoparse import EMBEDDED, dateline, doc_places

        sent = tok.sent
        skip = {t.i for a in actor_toks for t in a.subtree}
        found = [
            ((top.hint, loc.precision, loc.lat is None, abs(s - tok.i)), loc)
            for (s, e), (loc, top) in doc_places(tok.doc).items()
            if sent.start <= s and e <= sent.end and not skip & set(range(s, e)) and top.label != EMBEDDED and not dateline(top.span)
            and not modifier(tok.doc[s:e])
        ]
        return min(found, key=lambda x: x[0])[1] if found else None

    def note_lead(self, sent: Span) -> None:
        """Remember the first place the article names, for events that name none."""
        from .geoparse import EMBEDDED, doc_places

        if self.lead is None:
            # the first place of the first sentence that names one, not a country that only qualifies
            # a noun ("the US dollar exchange rate")
            first = sorted(((s, loc) for (s, e), (loc, top) in doc_places(sent.doc).items()
                            if sent.start <= s < sent.end and top.label != EMBEDDED and not (loc.feature_code == "PCLI" and modifier(sent.doc[s:e]))),
                           key=lambda x: x[0])
            if first:
                self.lead = first[0][1]

    def date_of(self, tok: Token) -> tuple[dt.DateMention | None, dt.DateMention | None]:
        """The date mention of the trigger's clause, and a relative one ("a day after") before it."""
        sent = sentence_of(tok)
        mentions = [dt.resolve(m, self.dateline) for m in dt.mentions_of(sent.text)]
        clause = clause_of(tok, ("ROOT", "ccomp", "advcl", "relcl"))
        lo, hi = clause.left_edge.idx - sent.start_char, clause.right_edge.idx + len(clause.right_edge) - sent.start_char
        own = [m for m in mentions if m.kind != "relative" and lo <= m.start < hi and m.date and not dt.deadline(sent.text, m)]
        if earlier_event(tok, clause):
            own = []
        rel = [m for m in mentions if m.kind == "relative" and m.end <= tok.idx - sent.start_char]
        pos = tok.idx - sent.start_char
        own.sort(key=lambda m: (dt.specificity(m), abs(m.start - pos)))
        return (own[0] if own else None), (rel[-1] if rel else None)

    def sentence(self, chunk: Chunk, sent: Span, index_base: int) -> list[Candidate]:
        out: list[Candidate] = []
        self.offset = chunk.offset
        mentions = mentions_in(list(sent))
        # the countries the sentence names as such: a person's or an organisation's ("approve of Mr Putin", "an
        # Associated Press photographer") is none
        named = frozenset(m.entry.country for m in mentions if m.entry.country and m.entry.kind in ("name", "demonym", "capital", "metonym", "place"))
        self.note_lead(sent)
        for m in mentions:
            if m.entry.country:
                self.country_counts[m.entry.country] += 1
        for tok, trig in find_triggers(sent):
            trig = threat_of_willingness(tok, trig)
            actors, recipients, a_toks, r_toks = self.roles(tok, trig)
            own, rel = self.date_of(tok)
            year = own.date.year if own and own.date and own.precision == "year" else None
            c = Candidate(trig, tok, chunk.offset, actors, recipients, objects=frozenset(obj_lemmas(tok) & trig.objects),
                          sentence_countries=named, convention="the negation is the event" if trig.negated else None)
            c.modality = classify_modality(tok, trig.negated, year, self.dateline)
            if (who := demand_speaker(tok)) is not None:  # "X said Y must do Z": X asks Y for Z
                plover = load_plover()
                mode = plover["demand_modes"].get(trig.type, "change")
                c.trig = replace(trig, type="REQUEST", mode=mode, cameo=plover["types"]["REQUEST"]["cameo"], acled=None, objects=frozenset())
                c.convention = "what one says another must do is REQUEST"
                c.recipients, c.actors, r_toks, a_toks = c.actors, resolve_phrase(who, self.coref), a_toks, [who]
                c.modality = "asserted"
            if c.trig.type == "PROTEST" and c.modality in ("future", "hypothetical") and not c.actors and (who := speaker(sent)) is not None \
                    and lemma(who) in organisers(c.trig):  # "the union said a strike could begin": its threat
                plover = load_plover()
                c.trig = replace(c.trig, type="THREATEN", mode=plover["future_as"]["PROTEST"].get("mode"), cameo=plover["types"]["THREATEN"]["cameo"], acled=None)
                c.convention = "a protest its organisers say may come is THREATEN"
                c.actors, a_toks, c.modality = resolve_phrase(who, self.coref), [who], "asserted"
            if own and own.kind == "weekday" and c.modality == "future":  # "will meet on Friday": the coming one
                own = dt.resolve(own, self.dateline, future=True)
            if own:
                c.date, c.date_precision, c.date_text = own.date, own.precision, own.text
            if rel and rel.offset_days is not None and out:
                # "X, a day after Y": the trigger after the phrase is Y, the one before it is X.
                c.relative = (-rel.offset_days, index_base + len(out) - 1)
                c.date_text = rel.text
            c.location = self.place(tok, trig, actors, a_toks)
            if c.location is None:
                c.nearby, c.lead = self.nearby_place(tok, a_toks), self.lead
            c.spans["trigger"] = c.char_span(tok)
            c.spans["sentence"] = (chunk.offset + sent.start_char, chunk.offset + sent.end_char)
            if a_toks:
                c.spans["actor"] = c.char_span(sorted(a_toks[0].subtree, key=lambda t: t.i))
            if r_toks:
                c.spans["recipient"] = c.char_span(sorted(r_toks[0].subtree, key=lambda t: t.i))
            out.append(c)
        self.coref.seen(mentions)
        persons = [m for m in mentions if m.entry.kind == "person" and m.entry.country]
        if persons:
            m = persons[-1]
            self.coref.last_person = [Actor(m.text, m.entry.name, m.entry.country, m.entry.sector)]
        subj = [s for s in sent if s.dep_ == "nsubj" and s.head.dep_ == "ROOT"]
        if subj:
            resolved = resolve_phrase(subj[0], self.coref)
            if resolved and any(a.country for a in resolved):
                self.coref.last_subject = resolved
        return out

    def code(self, chunks: list[Chunk]) -> list[Candidate]:
        out: list[Candidate] = []
        for chunk in chunks:
            for sent in chunk.doc.sents:
                out += self.sentence(chunk, sent, len(out))
        return out
