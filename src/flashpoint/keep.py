"""Which mentions are events at all: someone did it, or someone known had it done to them."""

from __future__ import annotations

from .candidates import VIOLENT, Article, Candidate, countries
from .spans import ents_within


def with_a_side(art: Article, cands: list[Candidate]) -> list[Candidate]:
    """An event needs someone who did it, or someone known it was done to ("X was accused of ...");
    material events need only a victim or a place ("12 activists were arrested in Minsk")."""
    return [
        c for c in cands
        if countries(c.actors) or any(a.name for a in c.actors) or countries(c.recipients) or any(a.name for a in c.recipients)
        or (c.trig.type in VIOLENT and c.modality == "asserted" and (c.recipients or c.location or c.nearby or names_a_place(c)))
    ]


def names_a_place(c: Candidate) -> bool:
    """Does the event's sentence name a place, even one the gazetteer does not know ("clashed in Al
    Zayaynya")? A material event is real with a place as with a victim. A capitalised name after "near"
    is a place whatever label the NER gives it ("observed 7 explosions near Svitlodarsk", taken for a date)."""
    return any(e.label_ in ("GPE", "LOC", "FAC") for e in ents_within(c.sentence)) or any(
        t.dep_ == "pobj" and t.pos_ == "PROPN" and t.is_title and t.head.lower_ == "near" for t in c.sentence)
