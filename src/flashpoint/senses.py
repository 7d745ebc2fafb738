"""Positions and company in which a trigger word does not report an event (data/senses.yaml):
a modifier ("the besieged city"), part of a name ("Florida Highway Patrol"), done by nature or a
machine ("the earthquake struck"), or about sports, weather and markets ("stormed to victory")."""

from __future__ import annotations

from functools import lru_cache

from spacy.tokens import Token

from .lexicon import load_yaml
from .spans import chunk_text, sentence_of

@lru_cache(maxsize=1)
def senses() -> dict[str, frozenset[str]]:
    return {k: frozenset(v) for k, v in load_yaml("senses.yaml").items() if isinstance(v, list)}


def lemmas(toks) -> set[str]:
    return {t.lemma_.lower() for t in toks}


def agents(tok: Token) -> set[str]:
    """Who does it: the subject, or the "by" phrase of a passive (of the light verb for a noun)."""
    verb = tok.head if tok.pos_ == "NOUN" and tok.dep_ in ("dobj", "nsubj", "nsubjpass") else tok
    out = lemmas(c for c in verb.children if c.dep_ == "nsubj" and c.i != tok.i)
    return out | lemmas(g for c in verb.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj")


def objects(tok: Token) -> set[str]:
    """What it is done to or for: objects and prepositional objects of the trigger."""
    out = lemmas(c for c in tok.children if c.dep_ in ("dobj", "obj", "nsubjpass", "attr", "acomp") or (c.dep_ == "xcomp" and c.pos_ == "NOUN"))
    for p in (c for c in tok.children if c.dep_ == "prep"):  # "to victory", "of freezing drizzle"
        out |= lemmas(g for g in p.children if g.dep_ == "pobj")
        out |= lemmas(o for g in p.children if g.dep_ == "pcomp" for o in g.children if o.dep_ in ("dobj", "obj"))
    return out


def imperative(tok: Token) -> bool:
    """ "Please oppose it.", "For details, call ...": an order to the reader, not a report."""
    return tok.pos_ == "VERB" and tok.dep_ == "ROOT" and tok.tag_ == "VB" and not any(c.dep_ in ("nsubj", "aux") for c in tok.children)


def state(tok: Token, s: dict[str, frozenset[str]]) -> bool:
    """A noun held in the present ("Canada has only one trade agreement"): a state of affairs."""
    return tok.pos_ == "NOUN" and tok.dep_ == "dobj" and tok.head.lemma_.lower() in s["stative_verbs"] and tok.head.tag_ in ("VBZ", "VBP")


def carried(tok: Token) -> bool:
    """A noun some verb reports: its subject or object ("ordered the deployment"), or after on/in
    ("troops remained on alert")."""
    if tok.dep_ in ("dobj", "nsubj", "nsubjpass", "attr"):
        return tok.head.pos_ in ("VERB", "AUX")
    return tok.dep_ == "pobj" and tok.head.lower_ in ("on", "in") and tok.head.head.pos_ == "VERB"


def standing(tok: Token, s: dict[str, frozenset[str]]) -> bool:
    """A restriction stated in the present passive is a standing rule ("attacking churches is
    prohibited in Islamic law", "they are restricted by their finances"), not a new act."""
    return tok.lemma_.lower() in s["standing_verbs"] and tok.tag_ == "VBN" and any(c.dep_ == "auxpass" and c.tag_ in ("VBZ", "VBP") for c in tok.children)


def not_an_event(tok: Token, kind: str | None = None) -> bool:
    """`kind`: the PLOVER type the trigger entry gives the word."""
    s = senses()
    if imperative(tok) or state(tok, s) or standing(tok, s):
        return True
    if tok.pos_ == "VERB" and tok.lemma_.lower() in s["meeting_with"] and not any(c.dep_ == "prep" and c.lower_ in ("with", "for", "to") for c in tok.children):
        return True  # "Jansen then sat down": a meeting only "with" someone or "for talks"
    if tok.pos_ == "NOUN" and tok.tag_ == "NNS" and any(c.lower_ in s["generic_quantifiers"] for c in tok.children if c.dep_ in ("amod", "det")):
        return True  # "surviving many assassination plots", "numerous attacks": a tally, no one event
    if tok.dep_ == "relcl" and tok.head.lower_ in s["generic_antecedents"]:
        return True  # "the descendants of those who supported the Prophet": who they are, not what they did that day
    if accused_of(tok, s) or alleged(tok, s):
        return True  # "accused the regime of heavy shelling", "alleging she was harassed": what the accusation says
    if link_line(tok, s):
        return True  # "READ MORE: EU-Canada trade deal clears legal hurdle": the title of another article
    if anonymous(tok, s):
        return True  # "an official who asked not to be named": a source's condition, not a request
    if habitual(tok):
        return True  # "supporters who say they approve of Putin": what people are like
    if tok.pos_ == "NOUN" and tok.dep_ == "pobj" and tok.head.lower_ == "of" and tok.head.head.lemma_.lower() in s["identity_nouns"]:
        return True  # "organizers of a London rally", "a supporter of lone-wolf attacks": who people are
    if grounds(tok, kind, s):
        return True  # "police arrested two teenagers, accused of plotting an attack": why they were arrested
    if tok.dep_ in ("pobj", "pcomp") and tok.head.lower_ in s["topic_preps"]:
        return True  # "a conversation about email hacking": what is talked about
    if kind in s["participle_types"] and tok.pos_ == "VERB" and tok.dep_ == "acl" and tok.tag_ == "VBG":
        return True  # "soldiers visiting a local market", "a woman visiting from Canada": who they are
    if kind in s["warning_types"] and any(t.lemma_.lower() in s["hazards"] for t in tok.subtree):
        return True  # "warned people to stay outdoors because of the risk of aftershocks": a safety warning
    if any(t.pos_ == "NOUN" and t.lemma_.lower() in s["animals"] for t in tok.children if t.dep_ in ("dobj", "nsubjpass", "dative")):
        return True  # "pardoned his last turkey" (a common noun; the country is a proper one)
    if kind in s["governed_noun_types"] and tok.pos_ == "NOUN" and not carried(tok):
        return True  # "a member of the riot police squad", "were on patrol": a unit named, not one sent
    if (tok.dep_ in s["descriptive_deps"] and tok.head.pos_ in ("NOUN", "PROPN") and tok.head.i != tok.i
            and tok.head.lemma_.lower() not in s["event_heads"] and not tok.tag_.startswith("VBD")):
        return True  # a finite verb parsed as a modifier ("Yeltsin on Saturday hosted Hashimoto") still reports
    in_name = tok.ent_type_ in s["name_entities"] or any(c.dep_ == "compound" and c.pos_ == "PROPN" for c in tok.children)
    if tok.pos_ == "PROPN" and in_name and not tok.is_sent_start:
        return True
    if tok.pos_ == "VERB" and tok.lemma_.lower() in s["causal_verbs"] and caused(tok, s):
        return True  # "taboos contribute to such incidents": a cause, not a gift
    if (tok.lemma_.lower() in s["explosions"] or agents(tok) & s["explosions"]) and accidental(sentence_of(tok), s):
        return True  # "an explosion in a supermarket ... may have been caused by a gas leak": an accident
    if tok.lemma_.lower() in s["explosions"] and any(d.dep_ == "det" and d.lower_ == "the" for d in tok.children) and any(
            accidental(sent, s) for sent in tok.doc.sents if sent.end <= sentence_of(tok).start):
        return True  # "The blast occurred at 12.45 a.m.": the accident told before
    if kind == "ASSAULT" and tok.lemma_.lower() in s["finding_verbs"] and lemmas(sentence_of(tok)) & s["natural_deaths"]:
        return True  # "the body of a fisherman was found after his boat capsized": a death, no killing
    if tok.lower_ in s["thing_forms"]:
        return True  # "photos hung for the exhibition": people are hanged, things hung
    if tok.lemma_.lower() in s["shooting_verbs"] and aimed_at_nothing(tok, s):
        return True  # "fired shots in the air": a warning, no one is attacked
    return bool(agents(tok) & s["non_agents"]) or bool(objects(tok) & s["non_objects"])


def accused_of(tok: Token, s: dict[str, frozenset[str]]) -> bool:
    """The act after "of"/"for" of an accusing verb or of its object ("accused the regime and other forces of shelling")."""
    t = tok
    while t.dep_ == "conj" and t.head.i != t.i:
        t = t.head
    if t.dep_ not in ("pobj", "pcomp") or t.head.lower_ not in ("of", "for"):
        return False
    h = t.head.head
    while h.dep_ in ("conj", "dobj") and h.pos_ in ("NOUN", "PROPN", "PRON") and h.head.i != h.i:
        h = h.head
    return h.pos_ == "VERB" and h.lemma_.lower() in s["accusing_verbs"]


def alleged(tok: Token, s: dict[str, frozenset[str]]) -> bool:
    """The clause an alleging verb reports ("alleging she was harassed by volunteers"): the allegation
    is the event, what it alleges is not asserted by the report."""
    t = tok
    while t.dep_ == "conj" and t.head.i != t.i:
        t = t.head
    if t.pos_ == "NOUN" and t.dep_ in ("dobj", "nsubj", "nsubjpass") and t.head.pos_ in ("VERB", "AUX"):
        t = t.head
    return t.dep_ == "ccomp" and t.head.lemma_.lower() in s["alleging_verbs"]


def grounds(tok: Token, kind: str | None, s: dict[str, frozenset[str]]) -> bool:
    """An accusation participle on the people an arrest verb acts on gives the grounds of the arrest,
    the arrest is the event ("arrested two teenagers aged 15 and 17, accused of plotting an attack")."""
    if kind != "ACCUSE" or tok.dep_ not in ("acl", "advcl") or tok.tag_ != "VBN" or any(c.dep_.startswith("nsubj") for c in tok.children):
        return False
    if tok.dep_ == "advcl":  # "arrested two teenagers, accused of plotting": parsed on the verb
        return tok.head.lemma_.lower() in s["arrest_verbs"]
    held = tok.head
    while held.dep_ in ("appos", "conj") and held.head.i != held.i:
        held = held.head
    return held.dep_ in ("dobj", "nsubjpass") and held.head.lemma_.lower() in s["arrest_verbs"]


def link_line(tok: Token, s: dict[str, frozenset[str]]) -> bool:
    """The trigger's line of text opens with a link label ("READ MORE:", "RELATED:"): the headline of
    another article, not this one's report."""
    text = chunk_text(tok.doc)
    start = text.rfind("\n", 0, tok.idx) + 1
    line = text[start : start + 40].lstrip().lower()
    return any(line.startswith(label) for label in s["link_labels"])


def anonymous(tok: Token, s: dict[str, frozenset[str]]) -> bool:
    """ "asked not to be named", "requested anonymity": how a source is quoted."""
    return any((x.dep_ == "xcomp" and x.lemma_.lower() in s["anonymity"] and any(a.dep_ == "auxpass" for a in x.children))
               or (x.dep_ == "dobj" and x.lemma_.lower() in s["anonymity"]) for x in tok.children)


def habitual(tok: Token) -> bool:
    """A clause under a relative clause in the simple present ("supporters who say they approve of
    Putin", "a group that claims it defends ..."): what someone is like, not what happened."""
    t = tok
    while t.dep_ in ("ccomp", "xcomp", "conj") and t.head.i != t.i:
        t = t.head
        if t.dep_ == "relcl":  # ... whose subject is the relative pronoun ("a man authorities say was shot" reports)
            return (t.tag_ in ("VBZ", "VBP") and not any(c.dep_ in ("aux", "auxpass") for c in t.children)
                    and any(c.dep_ == "nsubj" and c.tag_ in ("WP", "WDT") for c in t.children))
    return False


def accidental(sent, s: dict[str, frozenset[str]]) -> bool:
    """The sentence tells of an explosion with an accidental cause."""
    lemmas_ = {t.lemma_.lower() for t in sent}
    return bool(lemmas_ & s["explosions"]) and bool(lemmas_ & s["accidental_causes"])


def caused(tok: Token, s: dict[str, frozenset[str]]) -> bool:
    """ "X contributes to Y" with nothing given and Y no fund or effort: X is a cause of Y."""
    if any(c.dep_ in ("dobj", "obj") for c in tok.children):
        return False
    to = [g for p in tok.children if p.dep_ == "prep" and p.lower_ == "to" for g in p.children if g.dep_ in ("pobj", "pcomp")]
    return bool(to) and not any(g.lemma_.lower() in s["contribution_targets"] for g in to)


def aimed_at_nothing(tok: Token, s: dict[str, frozenset[str]]) -> bool:
    """Shots fired "in/into the air" or "skyward" (on the verb or on its object "shots")."""
    heads = [tok] + [c for c in tok.children if c.dep_ in ("dobj", "obj")]
    return any(p.dep_ in ("prep", "advmod") and (p.lower_ in s["aimless"] or any(g.dep_ == "pobj" and g.lemma_.lower() in s["aimless"] for g in p.children))
               for h in heads for p in h.children)
