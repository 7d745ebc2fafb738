"""Modality of an event: asserted, negated, hypothetical, future or historical.

Speculation ("China might mediate") and history ("has, in the past, mounted attacks") must never
become asserted events; the cues are data (data/modality.yaml), read on the trigger's verb chain.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

from spacy.tokens import Token

from .candidates import Article, Candidate
from .lexicon import load_yaml
from .models import Event
from .spans import text_of

DATE_PATH = {"prep", "agent", "pobj", "npadvmod", "nummod", "compound", "amod", "det", "nmod", "quantmod"}
YEAR = re.compile(r"1[89]\d\d|20\d\d")
CHAIN_DEPS = {"xcomp", "conj", "dobj", "nsubjpass", "pobj", "pcomp", "prep", "nsubj", "acomp", "attr"}  # pcomp: "aimed at evacuating"


@lru_cache(maxsize=1)
def cues() -> dict[str, set[str]]:
    return {k: set(v) for k, v in load_yaml("modality.yaml").items() if isinstance(v, list)}


def classify(art: Article, cands: list[Candidate]) -> list[Candidate]:
    """The stage: the modality of every candidate from its trigger's clause (a year its clause
    states, event_dates.stated, makes a past event history)."""
    for c in cands:
        year = c.date.year if c.date and c.date_precision == "year" else None
        c.modality = modality(c.token, c.trig.negated, year, art.dateline)
    return cands



def verb_chain(tok: Token) -> list[Token]:
    """The trigger and the words it hangs from up to its clause's main verb (xcomp/conj/objects)."""
    chain = [tok]
    t = tok
    while t.dep_ in CHAIN_DEPS and t.head.i != t.i and not own_clause(t):
        t = t.head
        chain.append(t)
        if t.pos_ in ("VERB", "AUX") and t.dep_ not in ("xcomp", "conj"):
            break
    return chain


def governing_clause(clause: Token) -> Token:
    """What is said in a participle of saying is said when its governing verb's act was done
    ("previously petitioned the UN, saying Turkey was violating its constitution")."""
    h = clause.head
    if clause.dep_ == "ccomp" and h.dep_ == "advcl" and h.tag_ == "VBG" and h.lemma_ in cues()["speech_verbs"] and h.head.i != h.i:
        return h.head
    return clause


def own_clause(t: Token) -> bool:
    """A conjunct verb with its own subject is a clause of its own: "X is not linked to Y, but
    offices were raided" (the negation of the first says nothing of the raid)."""
    return t.dep_ == "conj" and t.pos_ in ("VERB", "AUX") and any(c.dep_ in ("nsubj", "nsubjpass") for c in t.children)


def clause_head(tok: Token) -> Token:
    """The verb of the trigger's own clause (a noun's verb, through objects, conjuncts, prepositions)."""
    t = tok
    while t.dep_ in CHAIN_DEPS and t.head.i != t.i and not own_clause(t) and not (t.pos_ in ("VERB", "AUX") and t.dep_ not in ("xcomp", "conj")):
        t = t.head
    return t


def dated(clause: Token) -> bool:
    return any(t.ent_type_ in ("DATE", "TIME") for t in clause.subtree)


def described(tok: Token, c: dict[str, set[str]]) -> bool:
    """A relative clause in the past or the perfect whose subject is the relative pronoun tells who
    someone is, background, not news ("an IS member who encouraged him to ...", "their countries,
    which have backed opposing sides"), unless it dates the act itself ("Tillerson, who met Trump
    on Saturday") or its antecedent is an event ("the attack that killed a policeman")."""
    v = tok
    while v.dep_ == "conj" and v.head.i != v.i and not any(x.dep_ in ("nsubj", "nsubjpass") for x in v.children):
        v = v.head
    if v.dep_ != "relcl" or v.pos_ not in ("VERB", "AUX") or dated(v):
        return False
    if not any(x.dep_ in ("nsubj", "nsubjpass") and x.tag_ in ("WP", "WDT") for x in v.children):
        return False
    if v.head.lemma_.lower() in c["event_antecedents"]:
        return False
    perfect = any(x.dep_ == "aux" and x.lemma_ == "have" for x in v.children)
    return perfect or v.tag_ == "VBD" or any(x.dep_ == "auxpass" and x.tag_ == "VBD" for x in v.children)


def long_after(tok: Token, c: dict[str, set[str]]) -> bool:
    """What a clause "months after ..." or "years since ..." tells came long before the news ("arrested
    months after the politician was elected promising to clean up")."""
    for t in [tok, *tok.ancestors]:
        if t.pos_ in ("VERB", "AUX") and any(m.dep_ == "mark" and m.lower_ in ("after", "since") for m in t.children):
            return any(x.lemma_.lower() in c["long_spans"] for x in t.children if x.dep_ in ("npadvmod", "dep", "advmod"))
    return False


def denied_content(clause: Token, c: dict[str, set[str]]) -> bool:
    """The clause is what is said to be untrue: "it is not true that ...", "it is false that ..."."""
    if clause.dep_ not in ("ccomp", "csubj") or clause.head.i == clause.i:
        return False
    head = clause.head
    adjs = {x.lemma_.lower() for x in head.children if x.dep_ in ("acomp", "attr")}
    negated = any(x.dep_ == "neg" for x in head.children)
    return bool(adjs & c["false_adjectives"]) or (negated and bool(adjs & c["true_adjectives"]))


def past_period(tok: Token, clause: Token, c: dict[str, set[str]]) -> bool:
    """ "During the primaries, she supported ...", "criticised ... on the campaign trail": a period
    the news has left behind, when the clause gives no date of its own."""
    span = text_of(tok.doc[clause.left_edge.i : clause.right_edge.i + 1]).lower()
    return any(p.search(span) for p in past_periods()) and not dated(clause)


@lru_cache(maxsize=1)
def past_periods() -> list[re.Pattern]:
    """The `past_periods` patterns of data/modality.yaml, compiled once."""
    return [re.compile(p) for p in cues()["past_periods"]]


SEASON = re.compile(r"\b(?:over|during|in|last|this|earlier this)\s+(?:the\s+)?(summer|spring|autumn|fall|winter)\b(?!\s+(?:of|\d))")
SEASON_MONTHS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 2)}


def past_season(span: str, dateline: date) -> bool:
    """ "Germany suffered a spate of attacks over the summer" in a December report: the last such
    season ended long before the dateline (by `historical_days`); in the season itself it is news."""
    for m in SEASON.finditer(span):
        first, last = SEASON_MONTHS[m.group(1)]
        months = {first, (first % 12) + 1, last}
        if dateline.month in months:
            continue
        year = dateline.year if last < dateline.month else dateline.year - 1
        end = date(year + last // 12, last % 12 + 1, 1) - timedelta(days=1)
        if (dateline - end).days >= historical_days():
            return True
    return False


def stated_years(tok: Token, clause: Token) -> list[int]:
    """Years the clause states for its own verb ("had begun by July 2014 expressing support": a
    participle's time is its governing verb's), not those of its subject's description ("who became
    a citizen in 2006")."""
    gov = clause.head if clause.dep_ == "advcl" and clause.tag_ == "VBG" and clause.head.i != clause.i else clause
    out = []
    for t in gov.subtree:
        if t.ent_type_ != "DATE" or not YEAR.fullmatch(t.text):
            continue
        x = t  # the date must modify the verb itself ("by July 2014"), not a noun ("his conviction for an assault in 2005")
        while x.i != gov.i and x.dep_ in DATE_PATH and x.head.i != x.i:
            x = x.head
        if x.i == gov.i:
            out.append(int(t.text))
    return out


DESCRIPTIONS = ("acl", "relcl", "appos")


def clause_text(clause: Token, tok: Token) -> str:
    """The clause's words, lower-cased, without the descriptions of its nouns that do not hold the
    trigger: "a landmine, previously planted by an armed group, exploded" is today's explosion."""
    holding = {tok.i, *(a.i for a in tok.ancestors)}  # the descriptions whose subtree holds the trigger
    words = list(clause.subtree)
    left = {t.i for d in words if d.dep_ in DESCRIPTIONS and d.i != clause.i and d.i not in holding for t in d.subtree}
    return "".join(t.text_with_ws for t in words if t.i not in left).lower()


def modality(tok: Token, negation_is_trigger: bool = False, year: int | None = None, dateline: date | None = None) -> str:
    """Classify the event whose trigger is `tok`. `year`: a year the sentence dates it to, if any."""
    c = cues()
    if (inf := infinitive_partner(tok)) is not None:
        tok = inf  # "plotted to execute an employee and then attack a police station": attack is planned too
    chain = verb_chain(tok)
    clause = chain[-1]
    # "on 4 May", "Around 4 May 2020 (as reported)": a month, not a modal, whether or not the NER dates it
    children = [ch for t in chain for ch in t.children if ch.ent_type_ not in ("DATE", "TIME") and ch.pos_ != "PROPN"]
    words = {ch.lower_ for ch in children}
    outer = governing_clause(clause)
    span = clause_text(outer, tok)
    if any(p in span for p in c["historical_phrases"]) or (year and dateline and year < dateline.year - 1):
        return "historical"
    if dateline and any(y < dateline.year - 1 for y in stated_years(tok, clause)):
        return "historical"
    if dateline and past_season(span, dateline):
        return "historical"
    if described(tok, c) or long_after(tok, c) or past_period(tok, clause, c):
        return "historical"
    if not negation_is_trigger and denied_content(clause_head(tok), c):
        return "negated"
    if not negation_is_trigger and (words & c["negation"] or any(t.lemma_ in c["negating_verbs"] for t in chain[1:])):
        return "negated"
    if words & (c["hypothetical_aux"] | c["hypothetical_markers"]):
        return "hypothetical"
    if words & c["future_aux"] and not negation_is_trigger:
        conditional = any(ch.dep_ == "advcl" and any(m.lower_ in c["conditions"] for m in ch.children) for ch in children)
        return "hypothetical" if conditional else "future"  # "Pakistan would retaliate if ..." 
    if any(lemma(t) in c["future_verbs"] and t.i != tok.i for t in chain[1:]):
        return "future"
    if tok.pos_ == "NOUN" and (any(a.dep_ in ("acl", "relcl") and passive_infinitive(a) for a in tok.children)
                               or (tok.dep_ == "nsubjpass" and passive_infinitive(tok.head))):
        return "future"  # "a key meeting about Syria to be held in Moscow" (but "an attempt to assassinate" was made)
    if feared(clause, c):
        return "hypothetical"
    if any(ch.lower_ == "going" and any(g.lower_ == "to" for g in ch.children) for ch in children):
        return "future"
    return "asserted"


def infinitive_partner(tok: Token) -> Token | None:
    """A bare infinitive parsed as the conjunct of a finite verb ("admitted to having plotted to execute X
    and then attack Y": "attack" hangs from "admitted") belongs with the "to"-infinitive before it."""
    if tok.tag_ != "VB" or tok.dep_ != "conj" or tok.head.tag_ not in ("VBD", "VBZ", "VBP", "VBN"):
        return None
    if any(c.dep_ in ("nsubj", "aux", "nsubjpass") for c in tok.children):
        return None
    return next((t for t in reversed(tok.doc[tok.head.i + 1 : tok.i]) if t.tag_ == "VB" and any(x.tag_ == "TO" for x in t.children)), None)


def lemma(tok: Token) -> str:
    """The token's lemma, righted where the model's lemmatizer errs on a cue verb ("hoping" -> "hop")."""
    return mislemmatised().get(tok.lower_, tok.lemma_)


@lru_cache(maxsize=1)
def mislemmatised() -> dict[str, str]:
    return dict(load_yaml("modality.yaml")["mislemmatised"])


def passive_infinitive(verb: Token) -> bool:
    """ "to be held", "to be signed": what is still to be done."""
    return any(x.tag_ == "TO" for x in verb.children) and any(x.dep_ == "auxpass" for x in verb.children)


def feared(clause: Token, c: dict[str, set[str]]) -> bool:
    """The clause is what someone fears ("fears Russia is hacking the election")."""
    return clause.dep_ == "ccomp" and clause.head.lemma_.lower() in c["fear_verbs"]


def planned_in_the_past(tok: Token) -> bool:
    """ "planned to murder", "had plotted to attack": a plan reported as past, not an intention announced."""
    tok = infinitive_partner(tok) or tok
    return any(t.lemma_.lower() in cues()["planning_verbs"] and t.tag_ in ("VBD", "VBN") for t in verb_chain(tok)[1:])


@lru_cache(maxsize=1)
def historical_days() -> int:
    return int(load_yaml("modality.yaml")["historical_days"])


def latest_day(iso: str, precision: str) -> date:
    """The last day a date of this precision may stand for ("last month" may be its 31st)."""
    d = date.fromisoformat(iso)
    if precision == "year":
        return date(d.year, 12, 31)
    if precision == "month":
        return date(d.year + d.month // 12, d.month % 12 + 1, 1) - timedelta(days=1)
    return d + timedelta(days=6) if precision == "week" else d


def dated_background(events: list[Event], dateline: date | None) -> list[Event]:
    """An asserted event that the text dates well before the dateline is reported history."""
    days = historical_days()
    for ev in events:
        if dateline and ev.date and ev.date_text and ev.modality == "asserted" and (dateline - latest_day(ev.date, ev.date_precision)).days >= days:
            ev.modality = "historical"
    return events
