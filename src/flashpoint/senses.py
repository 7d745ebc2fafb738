"""Positions and company in which a trigger word does not report an event (data/senses.yaml):
a modifier ("the besieged city"), part of a name ("Florida Highway Patrol"), done by nature or a
machine ("the earthquake struck"), or about sports, weather and markets ("stormed to victory")."""

from __future__ import annotations

from functools import lru_cache

from spacy.tokens import Token

from .lexicon import load_yaml

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
    out = lemmas(c for c in tok.children if c.dep_ in ("dobj", "obj", "nsubjpass", "attr") or (c.dep_ == "xcomp" and c.pos_ == "NOUN"))
    for p in (c for c in tok.children if c.dep_ == "prep"):  # "to victory", "of freezing drizzle"
        out |= lemmas(g for g in p.children if g.dep_ == "pobj")
        out |= lemmas(o for g in p.children if g.dep_ == "pcomp" for o in g.children if o.dep_ in ("dobj", "obj"))
    return out


def not_an_event(tok: Token) -> bool:
    s = senses()
    if (tok.dep_ in s["descriptive_deps"] and tok.head.pos_ in ("NOUN", "PROPN") and tok.head.i != tok.i
            and tok.head.lemma_.lower() not in s["event_heads"] and not tok.tag_.startswith("VBD")):
        return True  # a finite verb parsed as a modifier ("Yeltsin on Saturday hosted Hashimoto") still reports
    in_name = tok.ent_type_ in s["name_entities"] or any(c.dep_ == "compound" and c.pos_ == "PROPN" for c in tok.children)
    if tok.pos_ == "PROPN" and in_name and not tok.is_sent_start:
        return True
    return bool(agents(tok) & s["non_agents"]) or bool(objects(tok) & s["non_objects"])
