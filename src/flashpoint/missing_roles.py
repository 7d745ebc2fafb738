"""Roles the event's clause does not state: an actor from a coordinated verb or the state body behind
an agentless arrest, recipients from an attacked place or the article's other country, countries
of role nouns from the event's place or the article (roles.py holds the rules)."""

from __future__ import annotations

from .candidates import VERBAL, Article, Candidate, countries, same_sentence, sentence_id
from .context import ArticleContext
from .lexicon import load_actor_dictionary
from .models import Actor
from .roles import article_country, civilian_target, counterpart, implicit_agent, known_attack, known_perpetrator, perpetrators
from .syntax import coordinated, has_dep

DOMESTIC = {"COP", "JUD"}  # police and courts act in their own country
DOMESTIC_TYPES = {"CONCEDE", "COERCE", "RETREAT", "SANCTION"}  # with no one named, done at home
TARGETED = {"ASSAULT", "COERCE"}  # the place of the event says who was hit


def fill(art: Article, cands: list[Candidate]) -> list[Candidate]:
    """The stage (`fill_roles` with the article context)."""
    fill_roles(cands, art.context)
    return cands


def fill_roles(cands: list[Candidate], context: ArticleContext | None = None) -> None:
    """Missing actors from a verb coordinated with the trigger, or the state body behind an
    agentless arrest or sentence (roles.implicit_agent); missing recipients from the civilians at
    an attacked public place, the place of an attack or, for verbal events, the article's other
    main country (roles.counterpart); countries of role nouns from the event's place, then the
    article (roles.article_country)."""
    d = load_actor_dictionary()
    index = same_sentence(cands)
    for i, c in enumerate(cands):
        known_perpetrator(c, cands[:i])  # "the gunman fired", "missiles struck": the attacker named before, not the sentence's country
        known_attack(c, cands[:i])  # "the strike on Tuesday was aimed at X": the attack told before, by its attacker
        sentence_country(c)
        peers = index[sentence_id(c)]
        if not c.actors:
            sibling = [o for o in peers if o is not c and o.sentence == c.sentence and o.actors and o.trig.type == c.trig.type]
            # ... or a verb coordinated with it ("attacked and killed"), not one in a clause about someone else
            # (the subject of an active verb is not the agent of a coordinated passive with a subject of
            # its own: "two children were killed ..., and it recalled its ambassador"; two passives share theirs)
            sibling = sibling or [o for o in peers if o is not c and o.sentence == c.sentence and o.actors and coordinated(o.token, c.token)
                                  and not (has_dep(c.token, "nsubjpass") and has_dep(o.token, "nsubj"))]
            if sibling:
                c.actors = list(sibling[0].actors)
        if (agent := implicit_agent(c, context)) is not None:  # "seven people have been arrested": by the police
            c.actors = [agent]
            c.spans["actor_inferred"] = c.spans["sentence"]
        if (target := civilian_target(c, context)) is not None:  # "blew up a market": the civilians there
            c.recipients = [target]
        if (accused := perpetrators(c, peers)) is not None:  # "Sisi condemned the attack": its perpetrators
            c.recipients = accused
        if c.trig.type == "PROTEST":
            protest_roles(c, peers)
        if c.location and c.location.country:  # "police arrested ... in Conakry", "ethnic Albanians demonstrated in Serbia"
            for a in c.actors + [r for r in c.recipients if r.sector in ("ETH", "CVL")]:  # and the civilians it happens to
                if a.country is None and a.sector in DOMESTIC | {"ETH", "CVL"}:
                    a.country = c.location.country
        article_country(c.actors + c.recipients, context)
        mine = countries(c.actors)
        if c.recipients and not countries(c.recipients) and c.location and c.location.country not in mine:
            for r in c.recipients:
                r.country = r.country or c.location.country
        if not c.recipients and c.location and c.location.country and c.location.country not in mine and c.trig.type in TARGETED:
            iso = c.location.country
            c.recipients = [Actor(c.location.text, d.country_name(iso) or iso, iso, None)]
        iso = None
        if countries(c.recipients) or not mine or (c.recipients and context is not None and c.trig.type != "PROTEST"):
            pass  # a named recipient of unknown country is no reason to add another
        elif c.trig.type == "PROTEST":  # protesters address their own government
            iso = sorted(mine)[0]
        elif c.trig.type in VERBAL | DOMESTIC_TYPES:
            # the article's other main country; with none, the actor's own country (domestic politics)
            other = counterpart(mine, context, c.sentence_countries)
            iso = other if other and c.trig.type in VERBAL else (sorted(mine)[0] if not other else None)
        if iso:
            # the counterpart's or (protests) the own government; at home, the country's people (not the actor itself);
            # a compound actor ("X and Y agreed") keeps no recipient (build_event drops its own government)
            home = mine == {iso} and c.trig.type != "PROTEST"
            c.recipients = [*c.recipients, Actor("", d.country_name(iso) or iso, iso, None if home else "GOV")]
            c.spans["recipient_inferred"] = c.spans["sentence"]


def sentence_country(c: Candidate) -> None:
    """Actors of unknown country ("opposition groups", "President Mugabe") in a sentence that names
    one country only are of that country; an intergovernmental organisation's are of none."""
    if len(c.sentence_countries) == 1:
        iso = next(iter(c.sentence_countries))
        for a in c.actors + c.recipients:
            if a.country is None and a.text and a.sector != "IGO":
                a.country = iso


def protest_roles(c: Candidate, cands: list[Candidate]) -> None:
    """Protesters with no country of their own are of the country they protest in; what they
    protest against is the actor of the event the sentence names ("following attacks by Iran").
    `cands`: the candidates of c's sentence (or more)."""
    if c.location and c.location.country:
        for a in c.actors:
            a.country = a.country or c.location.country
    mine = countries(c.actors)
    if not countries(c.recipients) - mine:
        cause = next((o for o in cands if o is not c and o.sentence == c.sentence and countries(o.actors) - mine), None)
        if cause:
            c.recipients = [a for a in cause.actors if a.country not in mine]
