"""Who did it to whom: which of the phrases the parse offers for a trigger are the event's actor and
recipient, and which country they belong to.

- Only entities take part (`participant`): named people, organisations, countries and groups,
  dictionary actors, role nouns (sectors.yaml: police, troops, protesters, the government) and the
  people nouns of participants.yaml ("members", "hundreds of demonstrators"). Weapons, events,
  places and abstractions near the trigger are left out; an empty role beats a wrong one. A name
  headed by a facility noun ("Victoria Park") is a place; an expletive "it" is no one.
- Who an event noun happens to (`patient_possessor`): "Karlov's assassination by a policeman", "the
  gunman's arrest"; an attacked church or market is the civilians there (`civilian_place`); "the
  gunman" is the attacker told before (`known_perpetrator`).
- One actor and one recipient phrase per event (`select`): the first participant among the
  candidates the coder's parse rules give in order (subject/agent, then "by" ...; object, then
  "against", "on" ...). A phrase that coordinates entities ("Iran and Pakistan") stays several actors.
- Countries: the phrase itself first (titles, "Turkish officials", actors.yaml), then a named
  person's coreference chain, then (`article_country`) the country the article is about when it
  clearly dominates, or its dateline's when it also names that one most (context.py); never a default.
- A fused event takes its roles from one mention (`event_roles`), not the union of all mentions:
  roles the text states before roles filled in.
"""

from __future__ import annotations

from functools import lru_cache

from spacy.tokens import Token

from .actors import PRONOUNS, CorefState, definite_reference, entity_at, entity_entry, resolve_phrase
from .context import ArticleContext
from .lexicon import load_actor_dictionary, load_triggers, load_yaml
from .models import Actor
from .nlp import PLACE_NOUNS

PERSONAL = {"he", "she", "him", "her", "his"}
RELATIVE_TAGS = {"WP", "WDT"}
COUNTERPART_SHARE = 0.5
NAMED = {"PERSON", "ORG", "NORP", "GPE"}


@lru_cache(maxsize=1)
def participants_data() -> dict:
    data = load_yaml("participants.yaml")
    return {**data, **{k: frozenset(data[k]) for k in ("civilian_places", "facilities", "patient_possessive", "perpetrators")}}


@lru_cache(maxsize=1)
def participant_words() -> tuple[frozenset[str], frozenset[str]]:
    data = participants_data()
    return frozenset(data["people"]), frozenset(data["partitives"])


def lem(t: Token) -> str:
    return t.lemma_.lower()


def of_object(tok: Token) -> Token | None:
    return next((o for p in tok.children if p.dep_ == "prep" and p.lower_ == "of" for o in p.children if o.dep_ == "pobj"), None)


def role_noun(tok: Token) -> bool:
    """The head is a role term of sectors.yaml, alone or with its compounds ("police officer")."""
    roles = load_actor_dictionary().roles
    if lem(tok) in roles or tok.lower_ in roles:
        return True
    mods = [lem(c) for c in tok.children if c.dep_ in ("compound", "amod") and c.i < tok.i]
    return any(" ".join(mods[i:] + [lem(tok)]) in roles for i in range(len(mods)))


def participant(tok: Token, coref: CorefState | None = None, depth: int = 0) -> bool:
    """Can the noun phrase headed by `tok` be an actor or recipient?"""
    if tok.lower_ == "it" and tok.dep_ == "nsubj" and any(c.dep_ in ("ccomp", "xcomp", "csubj", "advcl") for c in tok.head.children) \
            and any(c.dep_ in ("acomp", "attr") for c in tok.head.children):
        return False  # "it was not clear if ...": no one
    if tok.lower_ in PRONOUNS:
        return True
    if tok.pos_ == "PRON" or tok.ent_type_ in ("DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"):
        return False
    if tok.is_title and lem(tok) in participants_data()["facilities"]:
        return False  # "Victoria Park", "Tahrir Square": a place named after someone or somewhere
    if tok.ent_type_ in NAMED:
        ent = entity_at(tok.doc, tok.i)
        entry = entity_entry(ent) if ent is not None else None
        return (entry is not None and entry.kind != "place") or (entry is None and tok.ent_type_ == "NORP")  # "Iraqi Kurds"
    if tok.ent_type_ in ("LOC", "FAC"):
        return False
    if coref is not None and definite_reference(tok, coref) is not None:
        return True
    people, partitives = participant_words()
    if role_noun(tok) or lem(tok) in people:
        return True
    if depth == 0 and any(c.dep_ in ("compound", "appos", "nmod") and (c.ent_type_ == "PERSON" or role_noun(c)) and participant(c, None, 1) for c in tok.children):
        return True  # "U.N. Secretary-General Ban Ki-moon" parsed with "moon" as its head
    if depth == 0 and lem(tok) not in PLACE_NOUNS and any(c.dep_ in ("amod", "compound", "poss", "nmod") and (national(c) or c.ent_type_ in NAMED and participant(c, None, 1))
                          for c in tok.children):
        return True  # "Russian aircraft", "U.N. helicopters", "Islamic fundamentalists": coded by whose they are
    if (lem(tok) in partitives or tok.pos_ == "NUM" or tok.ent_type_ == "CARDINAL") and depth < 2:
        obj = of_object(tok)
        return obj is not None and participant(obj, coref, depth + 1)
    return tok.pos_ == "PROPN" and tok.is_title and not tok.ent_type_


def national(tok: Token) -> bool:
    """A modifier naming a country, nationality or religious or ethnic group ("Russian", "Israel's", "Islamic")."""
    if tok.ent_type_ not in ("GPE", "NORP"):
        return False
    ent = entity_at(tok.doc, tok.i)
    entry = entity_entry(ent) if ent is not None else None
    return entry is None and tok.ent_type_ == "NORP" or entry is not None and entry.kind in ("name", "demonym", "capital", "metonym")


def antecedent_noun(tok: Token) -> Token:
    """ "the man who attacked": the relative pronoun stands for the noun its clause modifies."""
    if tok.tag_ in RELATIVE_TAGS and tok.head.dep_ == "relcl":
        return tok.head.head
    return tok


def with_context(tok: Token, actors: list[Actor], ctx: ArticleContext | None, offset: int) -> list[Actor]:
    """Countries of named people from their coreference chain; "he"/"she" with no antecedent in
    the sentence is the last named person."""
    if ctx is None:
        return actors
    if tok.lower_ in PERSONAL and tok.pos_ == "PRON":
        named_before = any(e.label_ == "PERSON" and e.end <= tok.i for e in tok.sent.ents)
        p = None if named_before else ctx.person_before(offset + tok.idx)
        if p is not None:
            return [Actor(tok.text, p.name, p.country, p.sector)]
    if tok.pos_ == "NOUN" and all(c.dep_ == "det" and c.lower_ == "the" for c in tok.children) and any(c.dep_ == "det" for c in tok.children):
        p = ctx.person_before(offset + tok.idx, title=lem(tok))  # "the president": the one so titled
        if p is not None:
            return [Actor(tok.text, p.name, p.country, p.sector or (actors[0].sector if actors else None))]
        iso = ctx.role_before(offset + tok.idx, lem(tok))  # "the regime" after "the Syrian regime"
        if iso is not None:
            return [Actor(a.text, a.name, a.country or iso, a.sector) for a in actors]
    out = []
    for a in actors:
        if a.country is None:
            p = ctx.person(a.name)
            if p is not None and p.country:
                a = Actor(a.text, p.name, p.country, a.sector or p.sector)
        out.append(a)
    return out


def addressee_first(toks: list[Token]) -> list[Token]:
    """ "offered its troops to Lebanon's president", "sent aid to X": the one something goes to is
    the recipient, before the thing given."""
    to = [t for t in toks if t.dep_ == "dative" or (t.dep_ == "pobj" and t.head.lower_ == "to" and t.head.dep_ in ("prep", "dative"))]
    return to + [t for t in toks if t not in to]


def select(toks: list[Token], coref: CorefState, ctx: ArticleContext | None = None, offset: int = 0, owners: list[Token] | None = None) -> tuple[list[Token], list[Actor]]:
    """The first candidate phrase that is a participant and resolves to an actor: its token and
    actors. `owners` are modifiers the coder already found to name a country or sector."""
    seen: set[int] = set()
    for t in toks:
        t = antecedent_noun(t)
        if t.i in seen:
            continue
        seen.add(t.i)
        if not participant(t, coref) and t not in (owners or []):
            continue
        actors = with_context(t, resolve_phrase(t, coref) or unresolved(t), ctx, offset)
        if actors:
            return [t], actors
    return [], []


def unresolved(tok: Token) -> list[Actor]:
    """A participant whose owner is unknown ("his mother" with no antecedent for "his"): the phrase
    itself, of no country yet."""
    if tok.pos_ not in ("NOUN", "PROPN"):
        return []
    words = sorted(tok.subtree, key=lambda t: t.i)
    text = tok.doc[words[0].i : words[-1].i + 1].text
    return [Actor(text, tok.text, None, load_actor_dictionary().role_sector([lem(tok)]))]


def article_country(actors: list[Actor], ctx: ArticleContext | None) -> None:
    """Participants the text gives no country (police, "the president", a person never given a
    title) belong to the country the article is about, when one clearly dominates, or else to the
    country it was filed from when that is also the one it names most (context.home_country)."""
    if ctx is None or (iso := ctx.main_country or ctx.home_country) is None:
        return
    for a in actors:
        if a.country is None and a.text:
            a.country = iso


def passive(tok: Token) -> bool:
    """ "were arrested", "was sentenced", "the man arrested on Friday": the verb's subject suffered it."""
    return tok.pos_ in ("VERB", "AUX") and (any(c.dep_ in ("auxpass", "nsubjpass") for c in tok.children) or (tok.dep_ == "acl" and tok.tag_ == "VBN"))


def implicit_agent(c, ctx: ArticleContext | None) -> Actor | None:
    """The state body behind an agentless passive of coercion (participants.yaml `implicit_agents`)."""
    if c.actors or not passive(c.token) or any(ch.dep_ == "agent" for ch in c.token.children):
        return None
    rule = next((r for r in participants_data()["implicit_agents"] if r["type"] == c.trig.type and c.trig.mode in r["modes"]), None)
    if rule is None:
        return None
    country = (c.location.country if c.location else None) or next((r.country for r in c.recipients if r.country), None) or (ctx.main_country if ctx else None)
    return Actor("", rule["name"], country, rule["sector"])


def patient_possessor(tok: Token) -> bool:
    """Is the possessor of an event noun the one it happens to ("Karlov's assassination by a
    policeman", "the gunman's arrest"), not the one who does it ("Iran's attack")?"""
    return lem(tok) in participants_data()["patient_possessive"] or any(
        p.dep_ == "prep" and p.lower_ == "by" for p in tok.children)


def known_perpetrator(c, earlier: list) -> None:
    """ "the gunman fired eight shots" after "a Turkish policeman shot the ambassador": a definite
    perpetrator noun of no country (participants.yaml `perpetrators`) is the attacker, with its country,
    of the last attack told before it (a verb with its own actor of one country). `earlier`: the
    candidates before c, in order."""
    if c.trig.type != "ASSAULT" or not c.actors or any(a.country for a in c.actors) or "actor" not in c.spans:
        return
    lo, hi = c.spans["actor"]
    inside = [t for t in c.token.sent if lo <= c.offset + t.idx < hi]
    head = next((t for t in inside if t.head not in inside or t.head.i == t.i), None)
    if head is None or lem(head) not in participants_data()["perpetrators"] or not any(d.lower_ == "the" for d in head.children):
        return
    before = next((o for o in reversed(earlier) if o.trig.type == "ASSAULT" and o.token.pos_ == "VERB" and "actor" in o.spans
                   and len({a.country for a in o.actors}) == 1 and o.actors[0].country), None)  # an attack told, with its attacker
    if before is not None:
        c.actors = [Actor(a.text if i else c.actors[0].text, a.name, a.country, a.sector) for i, a in enumerate(before.actors)]


def civilian_place(tok: Token) -> bool:
    """A public place where civilians are (participants.yaml `civilian_places`)."""
    return lem(tok) in participants_data()["civilian_places"]


def civilian_target(c, ctx: ArticleContext | None) -> Actor | None:
    """ "tried to blow up a Christmas market": an attack whose object is a public place hits the
    civilians there, of the country where it happened (participants.yaml `civilian_places`)."""
    if c.trig.type != "ASSAULT" or c.recipients:
        return None
    places = participants_data()["civilian_places"]
    tok = c.token
    objs = [o for o in tok.children if o.dep_ in ("dobj", "nsubjpass")]
    objs += [o for p in tok.children if p.dep_ == "prep" and p.lower_ in ("on", "at", "in", "into") for o in p.children if o.dep_ == "pobj"]
    hit = next((o for o in objs if lem(o) in places), None)
    if hit is None:
        return None
    country = (c.location.country if c.location else None) or (ctx.main_country if ctx else None)
    return Actor(hit.text, "civilians", country, "CVL")


def judged_violence() -> dict:
    return participants_data()["judged_violence"]


def perpetrators(c, peers: list) -> list[Actor] | None:
    """Who a condemnation of an attack is addressed to (participants.yaml `judged_violence`): the
    actors of the attack its object names ("condemned the PKK's attack"), else its unnamed
    perpetrators. `peers`: the candidates of c's sentence. None when c judges no attack."""
    rule = judged_violence()
    if c.trig.type not in rule["types"] or c.recipients:
        return None
    objs = [o for o in c.token.children if o.dep_ in ("dobj", "obj")]
    attack = next((o for o in peers if o is not c and o.token in objs and o.trig.type in rule["violent"]), None)
    from .coder import matches  # the coder imports this module

    if attack is None and not any(t.type in rule["violent"] and matches(t, o) for o in objs for t in load_triggers().by_word.get(lem(o), [])):
        return None  # "police probed the bomb blast": the blast is the investigation's object, not an event of its own
    known = [a for a in attack.actors if a.country or a.name] if attack else []
    return known or [Actor("", rule["unknown"], None, None)]  # no country: the article's is a guess


def event_roles(members: list) -> tuple[list[Actor], list[Actor]]:
    """The roles of a fused event: the actor phrase of its first mention that names one (a mention
    with a country first), and the recipient of that mention when it has a country, else of the
    first mention whose recipient has a country outside the actor's, else the first recipient.
    Roles the text gives a mention come before roles filled in for it (an actor copied from a
    sibling verb, a recipient inferred from the article: "Swift condemnations ... Sisi condemned
    the attack" takes Sisi and the attack's perpetrators, not the country added to the noun)."""
    with_actor = sorted((m for m in members if m.actors), key=lambda m: "actor" not in m.spans)
    best = next((m for m in with_actor if any(a.country for a in m.actors)), with_actor[0] if with_actor else None)
    actors = list(best.actors) if best else []
    mine = {a.country for a in actors if a.country}

    def placed(m) -> bool:
        return bool({r.country for r in m.recipients if r.country} - mine) or bool(not mine and any(r.country for r in m.recipients))

    order = ([best] if best else []) + [m for m in members if m is not best]
    stated = [m for m in order if m.recipients and "recipient_inferred" not in m.spans]
    rec = (next((m for m in stated if placed(m)), None) or next(iter(stated), None)
           or next((m for m in order if m.recipients and placed(m)), None) or next((m for m in order if m.recipients), None))
    return actors, list(rec.recipients) if rec else []


def counterpart(mine: set[str], ctx: ArticleContext | None, named: frozenset[str]) -> str | None:
    """The country a verbal act with no named recipient addresses: the article's other main
    country, when it weighs at least half as much as the actor's (an article about a dyad), else
    none; without an article context, another country the sentence names."""
    if ctx is None or not ctx.nations:
        return next((c for c in sorted(named) if c not in mine), None)
    own = max((ctx.nations[c] for c in mine), default=0.0)
    other = next(((c, w) for c, w in ctx.nations.most_common() if c not in mine), None)
    return other[0] if other and other[1] >= COUNTERPART_SHARE * own else None
