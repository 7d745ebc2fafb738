"""PLOVER conventions that change what a mention is: future cooperation is an intention (AGREE,
CONCEDE), a conditional announcement a threat (THREATEN), a court's order a ruling (SANCTION)."""

from __future__ import annotations

from dataclasses import replace

from .candidates import Article, Candidate
from .lexicon import load_plover
from .modality import planned_in_the_past
from .roles import passive
from .senses import senses
from .syntax import speaker, subject_lemmas


def apply(art: Article, cands: list[Candidate]) -> list[Candidate]:
    """The stage: intentions, then court orders."""
    intentions(cands)
    court_orders(cands)
    return cands


def conditional(tok) -> bool:
    """"will withdraw unless ...", "would halt talks if ...": a condition makes an announcement a threat."""
    verb = tok.head if tok.pos_ == "NOUN" else tok
    return any(c.dep_ == "advcl" and any(m.lower_ in ("unless", "if") for m in c.children if m.dep_ == "mark") for c in verb.children)


def intentions(cands: list[Candidate]) -> None:
    """Future cooperation is an intention to cooperate: "will visit" is AGREE, "will withdraw" CONCEDE,
    "will impose a curfew" or anything announced on a condition a threat (plover.yaml `future_as`);
    the intention is asserted and dated by when it was stated."""
    table = load_plover()
    for c in cands:
        new, was = None, c.modality
        if not c.actors or planned_in_the_past(c.token) or passive(c.token):
            continue  # "the ceasefire was aimed at evacuating", "prosecutors said he planned to murder ...",
            # "will need to be approved by the Senate": no one announces an intention of their own
        if c.modality in ("future", "hypothetical") and conditional(c.token):
            new = {"type": "THREATEN", "mode": table["future_as"].get(c.trig.type, {}).get("mode")}
        elif c.modality == "future":
            new = table["future_as"].get(c.trig.type)
        if new and new["type"] == "THREATEN" and speaker(c.sentence) is None:
            new = None  # "Pakistan would retaliate if ..." unattributed is an analyst's guess, not a threat
        if new:
            t = new["type"]
            c.trig = replace(c.trig, type=t, mode=new.get("mode"), cameo=table["types"][t]["cameo"], acled=None)
            c.modality, c.date, c.date_precision, c.date_text = "asserted", None, "unknown", None
            c.convention = f"{'conditional' if t == 'THREATEN' else was} announcement is {t}"


def court_orders(cands: list[Candidate]) -> None:
    """A court's or a judge's order of what shall be ("the judge ordered that he remain under
    supervision for life") is a ruling, SANCTION convict (PLOVER: sanctioned via court order); an
    order addressed to someone ("ordered Menem to appear") stays a REQUEST."""
    courts = senses()["court_subjects"]
    for c in cands:
        tok = c.token
        if c.trig.type != "REQUEST" or tok.lemma_.lower() not in ("order", "rule") or not subject_lemmas(tok) & courts:
            continue
        if any(x.dep_ == "ccomp" and any(m.lower_ == "that" for m in x.children) for x in tok.children) or any(
                x.dep_ == "ccomp" and x.tag_ == "VB" for x in tok.children):
            c.trig = replace(c.trig, type="SANCTION", mode="convict", cameo="116", acled=None, objects=frozenset())
            c.convention = "a court's order is SANCTION"
