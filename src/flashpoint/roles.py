"""Who did it to whom: which of the phrases the parse offers for a trigger are the event's actor and
recipient, and which country they belong to.

The roles stage is `choose` (at the end of this module): for every candidate, `clause_roles` lists
the phrases of its clause in order of preference and `select` takes the first participant. The
rules below are also read by missing_roles.fill (roles the clause does not state) and by
records.build (`event_roles`: the roles of a fused event).

- Only entities take part (`participant`): named people, organisations, countries and groups,
  dictionary actors, role nouns (sectors.yaml: police, troops, protesters, the government) and the
  people nouns of participants.yaml ("members", "hundreds of demonstrators"). Weapons, events,
  places and abstractions near the trigger are left out; an empty role beats a wrong one. A name
  headed by a facility noun ("Victoria Park") is a place; an expletive "it" is no one.
- Who an event noun happens to (`patient_possessor`): "Karlov's assassination by a policeman", "the
  gunman's arrest"; an attacked church or market is the civilians there (`civilian_place`); "the
  gunman" is the attacker told before (`known_perpetrator`).
- One actor and one recipient phrase per event (`select`): the first participant among the
  candidates `clause_roles`' parse rules give in order (subject/agent, then "by" ...; object, then
  "against", "on" ...). A phrase that coordinates entities ("Iran and Pakistan") stays several actors.
- Countries: the phrase itself first (titles, "Turkish officials", actors.yaml), then a named
  person's coreference chain, then (`article_country`) the country the article is about when it
  clearly dominates, or its dateline's when it also names that one most (context.py); never a default.
- A fused event takes its roles from one mention (`event_roles`), not the union of all mentions:
  roles the text states before roles filled in.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import replace
from functools import lru_cache

import numpy as np
from spacy.attrs import DEP
from spacy.tokens import Doc, Span, Token

from .actors import PRONOUNS, CorefState, definite_reference, entity_at, entity_entry, mentions_within, resolve_phrase
from .candidates import Article, Candidate, same_sentence
from .context import ArticleContext
from .lexicon import Trigger, load_actor_dictionary, load_plover, load_triggers, load_yaml
from .modality import cues
from .models import Actor
from .nlp import PLACE_NOUNS
from .spans import ents_within, sentence_of
from .syntax import OBJ_DEPS, SAY_VERBS, children, lemma, light_verb, prep_objects, speaker
from .triggers import judged, matches

PERSONAL = {"he", "she", "him", "her", "his"}
RELATIVE_TAGS = {"WP", "WDT"}
COUNTERPART_SHARE = 0.5
NAMED = {"PERSON", "ORG", "NORP", "GPE"}


@lru_cache(maxsize=1)
def participants_data() -> dict:
    data = load_yaml("participants.yaml")
    return {**data, **{k: frozenset(data[k]) for k in ("civilian_places", "facilities", "patient_possessive", "perpetrators", "attack_weapons")}}


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
        named_before = any(e.label_ == "PERSON" and e.end <= tok.i for e in ents_within(sentence_of(tok)))
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
    story = ctx.dateline.end if ctx is not None and ctx.dateline is not None else 0
    for t in toks:
        t = antecedent_noun(t)
        if t.i in seen:
            continue
        seen.add(t.i)
        if offset + t.idx < story:
            continue  # "ISLAMABAD, Jan 29 (Caspian Monitor) — X held talks": the agency in the dateline is no one in the story
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
    country it was filed from when that is also the one it names most (context.home_country).
    An intergovernmental organisation and its officials (the UN, its Secretary-General) belong to
    no country: the article's is not theirs."""
    if ctx is None or (iso := ctx.main_country or ctx.home_country) is None:
        return
    for a in actors:
        if a.country is None and a.text and a.sector != "IGO":
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
    of the last attack told before it (a verb with its own actor of one country); so is a weapon that
    strikes with no owner named ("In Kharkiv, missiles struck ..." after "Russia launched a missile
    attack": `attack_weapons`), whether that attack was told by a verb or a noun. `earlier`: the
    candidates before c, in order."""
    if c.trig.type != "ASSAULT" or not c.actors or any(a.country for a in c.actors) or "actor" not in c.spans:
        return
    lo, hi = c.spans["actor"]
    inside = [t for t in c.sentence if lo <= c.offset + t.idx < hi]
    head = next((t for t in inside if t.head not in inside or t.head.i == t.i), None)
    data = participants_data()
    if head is None:
        return
    weapon = lem(head) in data["attack_weapons"] or any(f"{lem(m)} {lem(head)}" in data["attack_weapons"] for m in head.children if m.dep_ == "compound")
    if not weapon and (lem(head) not in data["perpetrators"] or not any(d.lower_ == "the" for d in head.children)):
        return
    if (before := attack_before(earlier, nouns=weapon)) is not None:
        c.actors = [Actor(a.text if i else c.actors[0].text, a.name, a.country, a.sector) for i, a in enumerate(before.actors)]


def attack_before(earlier: list, nouns: bool = True):
    """The last attack told before (by a verb, or with `nouns` also by a noun) whose actor is of one country."""
    return next((o for o in reversed(earlier) if o.trig.type == "ASSAULT" and (nouns or o.token.pos_ == "VERB") and "actor" in o.spans
                 and len({a.country for a in o.actors}) == 1 and o.actors[0].country), None)


def known_attack(c, earlier: list) -> None:
    """ "the strike on Tuesday was aimed at Jaish al-Adl", told right after "Iran struck ...": a definite
    attack noun with no actor in its clause is the attack told in its own or the sentence before, by the
    same attacker. `earlier`: the candidates before c, in order."""
    if c.trig.type != "ASSAULT" or c.actors or c.token.pos_ != "NOUN" or not any(d.dep_ == "det" and d.lower_ == "the" for d in c.token.children):
        return
    sent = c.sentence
    i = sent.start - 1
    while i >= 0 and sent.doc[i].is_space:
        i -= 1
    near = {sent.start} | ({sentence_of(sent.doc[i]).start} if i >= 0 else set())
    if (before := attack_before([o for o in earlier if o.token.doc is c.token.doc and o.sentence.start in near])) is not None:
        c.actors = [Actor("", a.name, a.country, a.sector) for a in before.actors]
        c.spans["actor_inferred"] = c.spans["sentence"]


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


# --- the roles stage -------------------------------------------------------------------------

ADDRESSEE_TYPES = {"REQUEST", "THREATEN", "ACCUSE"}  # "demanded that X ...": X is who is asked
SUBORDINATORS = {"as", "while", "when", "after", "before", "until", "since", "because"}
DEMAND_MODALS = frozenset(cues()["demand_modals"])  # data/modality.yaml
DEMAND_NOUNS = frozenset(cues()["demand_nouns"])
DEMAND_VERBS = frozenset(cues()["demand_verbs"])
ENABLING = frozenset(cues()["enabling_verbs"])


def choose(art: Article, cands: list[Candidate]) -> list[Candidate]:
    """The stage: the actor and recipient of every candidate from its own clause (`clause_roles`,
    `select`), and two PLOVER conventions about who speaks ("X said Y must do Z" is X's REQUEST to
    Y; "the union said a strike could begin" is the union's THREATEN). It walks the sentences in
    order, not the candidates alone: a pronoun, "the two countries" or "the group" resolves against
    what the text said before (actors.CorefState: the last subject, named person, countries and
    groups), so this stage keeps that state from one sentence to the next and is the only one that
    does; the speaker conventions stay here because their speaker is resolved the same way."""
    coref = CorefState(weights=art.context.countries if art.context else {})
    by_sentence = same_sentence(cands)
    for chunk in art.chunks:
        subjects = main_subjects(chunk.doc)
        for sent in chunk.doc.sents:
            mentions = mentions_within(sent)
            # the countries the sentence names as such: a person's or an organisation's ("approve of Mr Putin", "an
            # Associated Press photographer") is none
            named = frozenset(m.entry.country for m in mentions if m.entry.country and m.entry.kind in ("name", "demonym", "capital", "metonym", "place"))
            for c in by_sentence.get((id(chunk.doc), sent.start), []):
                c.sentence_countries = named
                candidate_roles(c, sent, coref, art.context)
            coref.seen(mentions)
            persons = [m for m in mentions if m.entry.kind == "person" and m.entry.country]
            if persons:
                m = persons[-1]
                coref.last_person = [Actor(m.text, m.entry.name, m.entry.country, m.entry.sector)]
            subj = next((chunk.doc[i] for i in subjects[bisect_left(subjects, sent.start) : bisect_left(subjects, sent.end)]), None)
            if subj is not None:
                resolved = resolve_phrase(subj, coref)
                if resolved and any(a.country for a in resolved):
                    coref.last_subject = resolved
    return cands


def main_subjects(doc: Doc) -> list[int]:
    """The subjects of root verbs in a chunk, in order (read from the token arrays: nsubj tokens
    are few, so only they are looked at)."""
    nsubj, root = doc.vocab.strings["nsubj"], doc.vocab.strings["ROOT"]
    return [i for i in np.flatnonzero(doc.to_array(DEP) == nsubj).tolist() if doc[i].head.dep == root]


def candidate_roles(c: Candidate, sent: Span, coref: CorefState, ctx: ArticleContext | None) -> None:
    """One candidate's roles from its clause, then the speaker conventions; its actor and recipient
    spans and the phrase its actor came from."""
    tok, trig = c.token, c.trig
    c.actors, c.recipients, a_toks, r_toks = clause_roles(tok, trig, coref, ctx, c.offset)
    if (who := demand_speaker(tok)) is not None:  # "X said Y must do Z": X asks Y for Z
        plover = load_plover()
        mode = plover["demand_modes"].get(trig.type, "change")
        c.trig = replace(trig, type="REQUEST", mode=mode, cameo=plover["types"]["REQUEST"]["cameo"], acled=None, objects=frozenset())
        c.convention = "what one says another must do is REQUEST"
        c.recipients, c.actors, r_toks, a_toks = c.actors, resolve_phrase(who, coref), a_toks, [who]
        c.modality = "asserted"
    if c.trig.type == "PROTEST" and c.modality in ("future", "hypothetical") and not c.actors and (who := speaker(sent)) is not None \
            and lemma(who) in organisers(c.trig):  # "the union said a strike could begin": its threat
        plover = load_plover()
        c.trig = replace(c.trig, type="THREATEN", mode=plover["future_as"]["PROTEST"].get("mode"), cameo=plover["types"]["THREATEN"]["cameo"], acled=None)
        c.convention = "a protest its organisers say may come is THREATEN"
        c.actors, a_toks, c.modality = resolve_phrase(who, coref), [who], "asserted"
    c.actor_tokens = a_toks
    if a_toks:
        c.spans["actor"] = c.char_span(sorted(a_toks[0].subtree, key=lambda t: t.i))
    if r_toks:
        c.spans["recipient"] = c.char_span(sorted(r_toks[0].subtree, key=lambda t: t.i))


def clause_roles(tok: Token, trig: Trigger, coref: CorefState, ctx: ArticleContext | None, offset: int) -> tuple[list[Actor], list[Actor], list[Token], list[Token]]:
    """The actor and recipient of a trigger from its own clause, and the phrases (head tokens) they came from."""
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
            if subj and subj[0].pos_ != "VERB" and not participant(subj[0], coref) and (lv := light_verb(subj[0])):
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
            if trig.objects or not participant(o, coref):
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
                owner_toks = [w for w in owners if any(a.country or a.sector for a in resolve_phrase(w, coref))]
                actor_toks += owner_toks
            elif suffered:
                recip_toks += children(o, "poss")  # "the man's house was raided": the man
    if trig.speaker and (sp := speaker(sentence_of(tok))) is not None:
        actor_toks.append(sp)  # after the trigger's own subject: "all indications point to X, he said"
    recip_toks = [r for r in recip_toks if r not in actor_toks]
    if trig.type == "ASSAULT":  # "the blast hit a church": the civilians there (roles.civilian_target), not the church's clergy
        recip_toks = [r for r in recip_toks if not civilian_place(r)]
    actor_toks, actors = select(actor_toks, coref, ctx, offset, owner_toks)
    recip_toks = [r for r in recip_toks if r not in actor_toks]
    if trig.type not in ("ACCUSE", "REJECT"):  # "complained to the UN over Israeli raids": the accused, not the audience
        recip_toks = addressee_first(recip_toks)
    recip_toks, recipients = select(recip_toks, coref, ctx, offset)
    return actors, recipients, actor_toks, recip_toks


@lru_cache(maxsize=32)
def organisers(trig: Trigger) -> frozenset[str]:
    """Who stages a protest of this mode: the `subjects` of the lexicon's entries of the same type
    and mode ("union", "worker" ... for a strike); none for a mode no entry constrains."""
    return frozenset(w for ts in load_triggers().by_word.values() for t in ts if t.type == trig.type and t.mode == trig.mode for w in t.subjects)


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
