"""What the dependency parse says around a token, shared by the stages: its lemma, its children by
relation, the objects of its prepositions, the verb a nominal trigger hangs on, what it acts on and
who its subject is, the clause it belongs to, who says the sentence."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from spacy.tokens import Span, Token

from .lexicon import load_yaml
from .spans import sentence_of

SAY_VERBS = frozenset(load_yaml("modality.yaml")["speech_verbs"])
OBJ_DEPS = {"dobj", "obj", "nsubjpass", "attr", "oprd"}
NOUN_EVENT_PREPS = {"on", "for", "in"}


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
    return objects_of(tok, participles=True)


@per_token
def own_obj_lemmas(tok: Token) -> set[str]:
    """What the word itself acts on, not the object of a participle complement ("protested demanding
    financial support": the support is what they demand, not what they protested)."""
    return objects_of(tok, participles=False)


def objects_of(tok: Token, participles: bool) -> set[str]:
    # "fired with heavy weapons": the instrument counts as what the verb acts with
    objs = children(tok, *OBJ_DEPS) + prep_objects(tok, {"of", "from", "with"}) if tok.pos_ != "NOUN" else prep_objects(tok, {"of"})
    for x in children(tok, "xcomp", "ccomp"):
        if participles or x.tag_ != "VBG":
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


def is_negated(tok: Token) -> bool:
    heads = [tok] + ([tok.head] if tok.dep_ in ("xcomp", "conj") else [])
    return any(c.dep_ == "neg" for h in heads for c in h.children)


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


def clause_of(tok: Token, stops: tuple[str, ...] = ("ROOT", "ccomp", "advcl", "conj", "relcl")) -> Token:
    """The head of the clause a token belongs to."""
    while tok.dep_ not in stops and tok.head.i != tok.i:
        tok = tok.head
    return tok


def has_dep(tok, dep: str) -> bool:
    return any(t.dep_ == dep for t in tok.children)


def coordinated(a, b) -> bool:
    return (a.dep_ == "conj" and a.head.i == b.i) or (b.dep_ == "conj" and b.head.i == a.i)
