"""From coder candidates to contract Event records: relative dates, missing roles, splitting per
recipient, and fusion of the mentions of one event within a document.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from functools import lru_cache

from . import acled
from .coder import SAY_VERBS, VERBAL, Candidate, speaker, subject_lemmas
from .context import ArticleContext
from .facts import casualty_facts
from .lexicon import goldstein, load_actor_dictionary, load_plover, load_yaml, plover_score
from .models import Actor, Event, Location, Span, stable_id
from .places import country_place
from .modality import latest_day, planned_in_the_past
from .roles import article_country, civilian_target, counterpart, event_roles, implicit_agent, known_perpetrator, passive, perpetrators
from .senses import senses

VIOLENT = {"ASSAULT", "COERCE", "PROTEST", "MOBILIZE"}
DOMESTIC = {"COP", "JUD"}  # police and courts act in their own country
DOMESTIC_TYPES = {"CONCEDE", "COERCE", "RETREAT", "SANCTION"}  # with no one named, done at home
TARGETED = {"ASSAULT", "COERCE"}  # the place of the event says who was hit
PRECISION_RANK = {"day": 0, "week": 1, "month": 2, "year": 3, "unknown": 4}


def countries(actors: list[Actor]) -> set[str]:
    return {a.country for a in actors if a.country}


def same_sentence(cands: list[Candidate]) -> dict[tuple[int, int], list[Candidate]]:
    """The candidates of each sentence, in order: comparing every candidate with every other
    grows with the square of a long article's length."""
    index: dict[tuple[int, int], list[Candidate]] = {}
    for c in cands:
        index.setdefault(sentence_id(c), []).append(c)
    return index


def sentence_id(c: Candidate) -> tuple[int, int]:
    return id(c.token.doc), c.sentence.start


def resolve_relative(cands: list[Candidate], dateline: date | None = None) -> None:
    """Dates given relative to another event (dates.py: `offset_days` = before-phrase event minus
    after-phrase event).

    - "X a day after Y" (the coder links Y to X): Y = X - 1 when X has a date, or when X is a
      definite mention of an earlier event ("The strikes were launched a day after similar
      attacks": X's date is that of the last earlier dated mention of its type); when Y is the
      definite one ("Pakistan struck a day after the Iranian attack"), X = Y's earlier date + 1.
      Phrase first ("A day after the attack, X") turns the link round.
    - "two days later", "the next day", "a day earlier" date the event of their own clause against
      the last dated event before it; so does "X a day after <something not coded>";
    - "It comes a week after 44 people were killed": with no coded event governing the phrase, the
      event inside it is dated against the last dated event, or else the dateline (the news).
    A link that resolves to nothing leaves no date_text."""
    from . import dates as dt

    def earlier(i: int, type_: str | None = None) -> Candidate | None:
        return next((p for p in reversed(cands[:i]) if p.date and (type_ is None or (p.trig.type == type_ and p.date_precision == "day"))), None)

    def put(c: Candidate, d: date, m: dt.DateMention, ref: Candidate) -> None:
        worse = max(m.precision, ref.date_precision, key=lambda p: PRECISION_RANK[p])
        c.date, c.date_precision, c.date_text = d, worse, m.text

    peers = same_sentence(cands)
    for i, c in enumerate(cands):
        sent, pos = c.sentence, c.token.idx - c.sentence.start_char
        rels = dt.relative_mentions(sent)
        if c.date and rels:
            unborrow(c, rels, dateline)
        if c.date and c.date_text:
            unborrow_conjunct(c, peers[sentence_id(c)], dateline)
        if c.date and not c.relative:
            continue
        if c.relative:
            if c.date:
                continue
            c.date_text = None
            days, j = c.relative
            x = cands[j]
            m = next((m for m in reversed(rels) if m.end <= pos), None)
            if m is None or m.offset_days is None:
                continue
            if x.date and dt.in_phrase_object(sent, m, c.token) and dt.in_phrase_object(sent, m, x.token):
                put(c, x.date, m, x)  # "a week after 44 people were killed in a PKK attack": both told at once
                continue
            if not m.adverbial:
                if dt.in_phrase_object(sent, m, c.token):
                    # "X, three days after Y and a day after Z": Z is reckoned from X, which the
                    # phrase modifies, not from the candidate coded just before it
                    if (gov := governed_by(sent, m, c, peers[sentence_id(c)])) is not None and gov.token.idx - sent.start_char < m.start:
                        x, j = gov, cands.index(gov)
                elif dt.event_clause(c.token).i != dt.event_clause(dt.phrase_governor(sent, m)).i:
                    continue  # "The strike came a day after Y, and it raised concern": not raised's date
            if m.adverbial:  # "X, and two days later Y": Y's own clause, against the last dated event
                ref = earlier(i)
                if ref and dt.mention_head(sent, m).i == dt.clause_head(c.token).i:
                    put(c, ref.date - timedelta(days=m.offset_days), m, ref)
                continue
            if m.start < x.token.idx - sent.start_char:  # "A day after Y, X": c is X, x is Y
                days = -days
            ref = x if x.date else (earlier(j, x.trig.type) if dt.definite(x.token) else None)
            if ref is None and dt.definite(c.token) and not x.date and (ref_c := earlier(i, c.trig.type)):
                put(x, ref_c.date - timedelta(days=days), m, ref_c)  # the new event is x
                continue
            ref = ref or earlier(j, x.trig.type)  # no article to go by: x is taken for the known one
            if ref:
                put(c, ref.date + timedelta(days=days), m, ref)
            continue
        for m in rels:  # no link from the coder: a phrase in c's own clause
            if m.offset_days is not None and dt.in_phrase_object(sent, m, c.token) and not m.adverbial:
                head = dt.mention_head(sent, m)  # "It comes a week after 44 people were killed": the news is "it"
                if not any(o is not c and dt.clause_head(o.token).i == head.i for o in peers[sentence_id(c)]):
                    if ref := earlier(i):
                        put(c, ref.date - timedelta(days=m.offset_days), m, ref)
                        break
                    if dateline:
                        c.date, c.date_precision, c.date_text = dateline - timedelta(days=m.offset_days), m.precision, m.text
                        break
                continue
            if m.offset_days is not None and m.adverbial and (noun := dt.noun_before(sent, m, peers[sentence_id(c)])) is not None:
                # "in response to an attack on its territory two days earlier": the attack's date
                if noun is c and (ref := next((o for o in peers[sentence_id(c)] if o.date and o.token.i == dt.clause_head(c.token).i), None) or earlier(i)):
                    put(c, ref.date - timedelta(days=m.offset_days), m, ref)
                    break
                continue
            if m.offset_days is None or dt.in_phrase_object(sent, m, c.token) or dt.mention_head(sent, m).i != dt.clause_head(c.token).i:
                continue
            later_cands = [o for o in peers[sentence_id(c)] if o is not c and o.sentence == sent and o.token.idx - sent.start_char >= m.end]
            if not m.adverbial and later_cands:
                continue  # "X a day after Y" with Y coded: the link above dates it
            ref = earlier(i)
            if ref:
                sign = -1 if m.adverbial else 1
                put(c, ref.date + timedelta(days=sign * m.offset_days), m, ref)
            break


def unborrow(c: Candidate, rels: list, dateline: date | None) -> None:
    """A date the coder took from inside "a day after [Y on Tuesday]" for an event outside it is
    Y's: the event the phrase modifies ("The strike came a day after Y on Tuesday") is reckoned
    from it (Wednesday); any other (", and it raised concern") loses it (its default applies)."""
    from . import dates as dt

    sent = c.sentence
    for r in rels:
        if r.adverbial or r.offset_days is None or dt.in_phrase_object(sent, r, c.token):
            continue
        for m in dt.mentions_of(sent.text):
            if m.kind == "relative" or m.start < r.end or (tok := dt.token_at(sent, m)) is None or not dt.in_phrase_object(sent, r, tok):
                continue
            if dt.resolve(m, dateline).date != c.date:
                continue
            if dt.event_clause(c.token).i == dt.event_clause(dt.phrase_governor(sent, r)).i:
                c.date, c.date_precision, c.date_text = c.date + timedelta(days=r.offset_days), max(m.precision, r.precision, key=lambda p: PRECISION_RANK[p]), r.text
            else:
                c.date, c.date_text = None, None
            c.relative = None
            return


def unborrow_conjunct(c: Candidate, peers: list[Candidate], dateline: date | None) -> None:
    """A date the coder took from a coordinated clause with its own subject and event ("two
    children were killed ..., and on Wednesday it recalled its ambassador") is that event's, not
    c's: c keeps no stated date (its default applies)."""
    from . import dates as dt

    sent, mine = c.sentence, dt.event_clause(c.token)
    for m in dt.mentions_of(sent.text):
        if m.kind == "relative" or (tok := dt.token_at(sent, m)) is None or dt.resolve(m, dateline).date != c.date:
            continue
        if m.text != c.date_text and not c.relative:
            continue
        other = dt.event_clause(tok)
        if other.i != mine.i and other.dep_ == "conj" and c.token not in other.subtree and any(
            o is not c and dt.event_clause(o.token).i == other.i for o in peers
        ):
            c.date, c.date_text, c.relative = None, None, None
            return


def governed_by(sent, m, c: Candidate, peers: list[Candidate]) -> Candidate | None:
    """The candidate of the clause a relative phrase ("a day after Y") modifies: the one coded
    from the phrase's governor, else one of its clause outside the phrase ("The attack came a
    day after ..."), going up the governor's ancestors; None when none is coded."""
    from . import dates as dt

    others = [o for o in peers if o is not c and o.sentence == sent and not dt.in_phrase_object(sent, m, o.token)]
    g = dt.phrase_governor(sent, m)
    while True:
        found = [o for o in others if o.token.i == g.i] or [o for o in others if dt.event_clause(o.token).i == g.i]
        if found:
            return min(found, key=lambda o: abs(o.token.i - g.i))
        if g.head.i == g.i or not sent.start <= g.head.i < sent.end:
            return None
        g = g.head


def default_date(c: Candidate, dateline: date | None) -> None:
    """No date in the text (date_text stays null): never the publication day passed off as stated.

    - no dateline: no date ("unknown");
    - past ("had been struck in recent years"), hypothetical or future events with no date of
      their own: no date ("unknown"): the dateline says nothing about when they happen;
    - reported in the present or present perfect ("Pakistan has recalled its ambassador", "officials
      say", "is visiting"): the dateline at day precision: news copy uses these tenses for what is
      new on the day of the report;
    - anything else (simple past, past perfect, a noun): the dateline at week precision: it
      happened on or shortly before the day of the report (ACLED's time precision 2)."""
    if c.date:
        return
    c.date_text = None
    if dateline is None or c.modality in ("historical", "hypothetical", "future"):
        c.date, c.date_precision = None, "unknown"
        return
    verb = c.token if c.token.pos_ in ("VERB", "AUX") else c.token.head
    present = "Pres" in verb.morph.get("Tense") or any(
        a.lemma_ == "have" and "Pres" in a.morph.get("Tense") for a in verb.children if a.dep_ == "aux"
    )
    c.date, c.date_precision = dateline, "day" if present else "week"


def fill_roles(cands: list[Candidate], salient: list[str], context: ArticleContext | None = None) -> None:
    """Missing actors from a verb coordinated with the trigger, or the state body behind an
    agentless arrest or sentence (roles.implicit_agent); missing recipients from the civilians at
    an attacked public place, the place of an attack or, for verbal events, the article's other
    main country (roles.counterpart); countries of role nouns from the event's place, then the
    article (roles.article_country)."""
    d = load_actor_dictionary()
    index = same_sentence(cands)
    for i, c in enumerate(cands):
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
        known_perpetrator(c, cands[:i])  # "the gunman fired": the attacker named before
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
            other = counterpart(mine, context, c.sentence_countries) if context else next((s for s in salient if s not in mine), None)
            iso = other if other and c.trig.type in VERBAL else (sorted(mine)[0] if not other else None)
        if iso:
            # the counterpart's or (protests) the own government; at home, the country's people (not the actor itself);
            # a compound actor ("X and Y agreed") keeps no recipient (build_event drops its own government)
            home = mine == {iso} and c.trig.type != "PROTEST"
            c.recipients = [*c.recipients, Actor("", d.country_name(iso) or iso, iso, None if home else "GOV")]
            c.spans["recipient_inferred"] = c.spans["sentence"]


def has_dep(tok, dep: str) -> bool:
    return any(t.dep_ == dep for t in tok.children)


def coordinated(a, b) -> bool:
    return (a.dep_ == "conj" and a.head.i == b.i) or (b.dep_ == "conj" and b.head.i == a.i)


def sentence_country(c: Candidate) -> None:
    """Actors of unknown country ("opposition groups", "President Mugabe") in a sentence that names
    one country only are of that country."""
    if len(c.sentence_countries) == 1:
        iso = next(iter(c.sentence_countries))
        for a in c.actors + c.recipients:
            if a.country is None and a.text:
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


def reciprocal(cands: list[Candidate]) -> list[Candidate]:
    """Two countries acting together on no one else ("Iran and Pakistan exchanged strikes", "...
    agreed to restore ties") act on each other: one event each way, as PLOVER codes compound actors."""
    out = []
    for c in cands:
        pair = sorted(countries(c.actors))
        if len(pair) == 2 and not countries(c.recipients):
            for a, b in (pair, pair[::-1]):
                out.append(Candidate(**{**c.__dict__, "actors": [x for x in c.actors if x.country == a],
                                        "recipients": [x for x in c.actors if x.country == b], "spans": dict(c.spans)}))
        else:
            out.append(c)
    return out


def split_recipients(cands: list[Candidate]) -> list[Candidate]:
    """One event per recipient country, as PLOVER asks when recipients differ ("Iraq and Syria")."""
    out = []
    for c in cands:
        groups = {}
        for r in c.recipients:
            groups.setdefault(r.country, []).append(r)
        keyed = {k: v for k, v in groups.items() if k}
        if len(keyed) <= 1:
            out.append(c)
            continue
        for iso, rs in keyed.items():
            clone = Candidate(**{**c.__dict__, "recipients": rs, "spans": dict(c.spans)})
            if clone.location and clone.location.country != iso:
                clone.location = None  # "strikes in Iraq and Syria": the Iraqi place is not the Syrian event's
            if clone.nearby and clone.nearby.country != iso:
                clone.nearby = None
            if clone.lead and clone.lead.country != iso:
                clone.lead = None
            out.append(clone)
    return out


def merge_key_ok(a: "Group", c: Candidate) -> bool:
    if a.type != c.trig.type or a.modality != c.modality:
        return False
    if a.mode and c.trig.mode and a.mode != c.trig.mode and c.trig.type != "ASSAULT":
        return False
    if a.objects != c.objects:
        return False
    ca = countries(c.actors)
    cr = countries(c.recipients) - ca  # a group hit by its own country's forces abroad says nothing of the dyad
    if ca and a.actor_c and not (ca & a.actor_c):
        return False
    if c.trig.type in VERBAL and (names := actor_names(c)) and a.actor_n and not same_speaker(names, a.actor_n):
        return False  # "Sisi condemned the attack", "the Grand Mufti condemned the attack": two statements
    if cr and a.recip_c and not (cr & a.recip_c):
        return False
    if not (ca or cr) or not (a.actor_c or a.recip_c):
        return sentence_key(c) in a.sentences
    return not a.apart(c)


def same_speaker(a: set[str], b: set[str]) -> bool:
    """Two name sets share a speaker: the same name, or a surname that ends the full name
    ("Jansen" and "Sandra Jansen")."""
    return any(x == y or x.endswith(" " + y) or y.endswith(" " + x) for x in a for y in b)


def actor_names(c: Candidate) -> set[str]:
    """Who speaks in a mention: its named actors (people, organisations), or the capitalised phrase
    that only resolved to a country ("The Grand Mufti, the highest official of religious law in
    Egypt"); not role nouns ("the police") nor a country named as such."""
    d = load_actor_dictionary()
    out = set()
    for a in c.actors:
        country = d.country_name(a.country) if a.country else None
        text = a.text[4:] if a.text.lower().startswith("the ") else a.text
        if a.name[:1].isupper() and a.name != country:
            out.add(a.name)
        elif text[:1].isupper() and text != country:
            out.add(text)
    return out


UNDATED_WEEK = 7  # an event with no date of its own happened within the week of the report (default_date)


def stated_period(c: Candidate) -> tuple[date, date] | None:
    """The days the text itself gives the event ("on Sunday", "In May", "in 2015"; not a default from the dateline)."""
    if not (c.date and c.date_text) or c.date_precision not in ("day", "week", "month", "year"):
        return None
    return c.date, latest_day(c.date.isoformat(), c.date_precision)


def apart(a: tuple[date, date] | None, b: tuple[date, date] | None) -> bool:
    """Two stated periods that do not overlap: two events ("Sunday's attack" and "In May, a stabbing spree")."""
    return bool(a and b and (a[1] < b[0] or b[1] < a[0]))


def sentence_key(c: Candidate) -> int:
    return c.offset + c.sentence.start_char


class Group:
    """The mentions of one event in one document."""

    def __init__(self, c: Candidate):
        self.members = [c]
        self.type = c.trig.type
        self.mode = c.trig.mode
        self.modality = c.modality
        self.objects = c.objects
        self.sentences = {sentence_key(c)}
        self.actor_c = countries(c.actors)
        self.actor_n = actor_names(c)
        self.recip_c = countries(c.recipients) - self.actor_c
        self.period = stated_period(c)
        self.undated = None if self.period else c.date

    def add(self, c: Candidate) -> None:
        self.members.append(c)
        self.sentences.add(sentence_key(c))
        self.actor_c |= countries(c.actors)
        self.actor_n |= actor_names(c)
        self.recip_c |= countries(c.recipients) - self.actor_c
        self.period = self.period or stated_period(c)
        self.undated = self.undated or (None if stated_period(c) else c.date)

    def apart(self, c: Candidate) -> bool:
        """Told with dates that cannot be one event's: stated periods that do not overlap, or one
        stated a week or more before the day of the report this event is only given by default."""
        p = stated_period(c)
        if self.period or not p or not self.undated:
            return apart(p, self.period)
        return (self.undated - p[0]).days >= UNDATED_WEEK


def anaphoric(c: Candidate) -> bool:
    """A mention with no side of its own that tells again of an event told before: a definite noun
    ("damaged in the attack") or an agentless report ("six people were killed")."""
    if countries(c.actors) or countries(c.recipients) and "recipient" in c.spans:
        return False  # a recipient only inferred from a place ("condemned the assassination") is no side of its own
    definite = c.token.pos_ == "NOUN" and any(d.lower_ in ("the", "this", "that") for d in c.token.children if d.dep_ == "det")
    return definite or not c.actors


@lru_cache(maxsize=1)
def another_words() -> tuple[frozenset[str], frozenset[str]]:
    data = load_yaml("mentions.yaml")["another"]
    return frozenset(data["markers"]), frozenset(data["nouns"])


def tells_another(c: Candidate) -> bool:
    """ "In another attack, gunmen fired on a patrol", "a second blast hit ...": the sentence marks
    its event as one other than those told before (data/mentions.yaml)."""
    markers, nouns = another_words()
    return any(t.lower_ in markers and t.dep_ in ("det", "amod") and t.head.lemma_.lower() in nouns for t in c.sentence)


def tally(c: Candidate) -> bool:
    """ "In all, four members of the security forces ... were killed": the sum of what was told before."""
    verb = c.token if c.token.pos_ in ("VERB", "AUX") else c.token.head
    return any((x.dep_ == "prep" and x.lower_ == "in" and any(g.lower_ in ("all", "total") for g in x.children))
               or (x.dep_ == "advmod" and x.lower_ in ("altogether", "overall")) for x in verb.children)


def linked(g: Group, c: Candidate) -> bool:
    """One event told by two triggers of one sentence: an event noun that is the subject of the verb
    ("the explosion hit the church"), or coordinated verbs on the same sides whatever their modes
    ("the home was searched and his parents were detained")."""
    if g.type != c.trig.type or g.modality != c.modality:
        return False
    for m in g.members:
        if sentence_id(m) != sentence_id(c) or m.token.i == c.token.i:
            continue
        a, b = m.token, c.token
        if (a.dep_ == "nsubj" and a.head.i == b.i) or (b.dep_ == "nsubj" and b.head.i == a.i):
            return True
        if coordinated(a, b) or (a.head.i == b.head.i and a.dep_ == b.dep_ == "conj"):
            ca, cr = countries(c.actors), countries(c.recipients) - countries(c.actors)
            sides = not (ca and g.actor_c and not ca & g.actor_c) and not (cr and g.recip_c and not cr & g.recip_c)
            return sides and not g.apart(c)  # "attacked a checkpoint on Sunday and ambushed a patrol on Monday": two
    return False


def continued_history(groups: list[Group], c: Candidate) -> Group | None:
    """An agentless or definite mention with no date of its own right after a past event of its type
    tells more of that past ("Germany suffered a spate of attacks over the summer. Ten people were
    killed ..."): it joins it, as history."""
    if c.modality != "asserted" or stated_period(c):
        return None
    g = next((g for g in reversed(groups) if g.type == c.trig.type), None)
    if g is None or g.modality != "historical":
        return None
    last = g.members[-1]
    doc = c.token.doc
    if last.token.doc is not doc or not (last.sentence.start == c.sentence.start or (
            last.sentence.end <= c.sentence.start and all(t.is_space for t in doc[last.sentence.end : c.sentence.start]))):
        return None
    c.modality = "historical"
    return g


def continued_histories(cands: list[Candidate]) -> None:
    """Mark as history the mentions that tell more of a past event told just before them
    (`continued_history`), even when that past event names no one and is not kept as a record."""
    groups: list[Group] = []
    for c in cands:
        if anaphoric(c) or tally(c):
            continued_history(groups, c)
        groups.append(Group(c))


def fuse(cands: list[Candidate]) -> list[Group]:
    groups: list[Group] = []
    for c in cands:
        if tells_another(c):  # only a record begun in this very sentence
            g = next((g for g in groups if sentence_key(g.members[0]) == sentence_key(c) and (merge_key_ok(g, c) or linked(g, c))), None)
            if g:
                g.add(c)
            else:
                groups.append(Group(c))
            continue
        g = next((g for g in groups if merge_key_ok(g, c) or linked(g, c)), None)
        if g is None and (anaphoric(c) or tally(c)):
            g = continued_history(groups, c)
            g = g or next((g for g in reversed(groups) if g.type == c.trig.type and g.modality == c.modality), None)
            if g is not None and g.apart(c):
                g = None
        if g:
            g.add(c)
        else:
            groups.append(Group(c))
    return groups


def unique(actors: list[Actor]) -> list[Actor]:
    seen, out = set(), []
    for a in actors:
        key = (a.country, a.name)
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


def best_location(members: list[Candidate], recipients: list[Actor]) -> Location | None:
    """The most specific place named in the clause of one of the event's mentions; else the place
    of their sentences (Candidate.nearby); else the article's lead place (its dateline), unless the
    event was violence done to another country ("attacks inside Iraq and Syria" in an article about
    Pakistan)."""
    targets = countries(recipients) if members[0].trig.type in VIOLENT else set()
    # the dateline says where the story was filed, not that the event was there: at best "near" it
    lead = [replace(m.lead, precision=max(m.lead.precision, 2)) for m in members if m.lead and (not targets or m.lead.country in targets)]
    for locs in ([m.location for m in members if m.location], [m.nearby for m in members if m.nearby], lead):
        if locs:
            return min(locs, key=lambda loc: (loc.precision, loc.feature_code != "ADM1"))
    return None


def main_clause(tok) -> bool:
    """The sentence's own statement: its root verb, what a root verb of saying reports, or their object."""
    verb = tok.head if tok.pos_ == "NOUN" and tok.dep_ in ("dobj", "nsubj", "nsubjpass") else tok
    return verb.dep_ == "ROOT" or (verb.dep_ == "ccomp" and verb.head.dep_ == "ROOT" and verb.head.lemma_ in SAY_VERBS)


def evidence_spans(text: str, ms: list[Candidate]) -> list[Span]:
    """The sentences that state the event, then the trigger, actor and recipient phrases in them."""
    out: dict[tuple[str, int, int], Span] = {}
    for role in ("sentence", "trigger", "actor", "recipient"):
        for m in ms:
            if role in m.spans:
                s, e = m.spans[role]
                out.setdefault((role, s, e), Span(text[s:e], s, e, role))
    return list(out.values())


def build_event(doc_id: str, text: str, g: Group, document: list[Candidate]) -> Event:
    ms = g.members
    first = ms[0]
    # the most precise date; at equal precision one the text states ("late on Tuesday") before the
    # dateline a present-tense headline defaults to ("Iranian strike kills two children")
    dated = sorted((m for m in ms if m.date), key=lambda m: (PRECISION_RANK[m.date_precision], m.date_text is None))
    main = dated[0] if dated else first
    actors, recipients = event_roles(ms)  # one mention's actor and recipient, not the union of all mentions
    actors = unique(actors)
    # the actor is not its own recipient, but a country's government can be its people's ("students in Indonesia" -> Indonesia)
    recipients = unique([a for a in recipients if (a.country, a.name, a.sector) not in {(x.country, x.name, x.sector) for x in actors}])
    trig = next((m.trig for m in ms if m.trig.mode), first.trig)
    modes = [trig.mode] if trig.mode else []
    evidence = evidence_spans(text, ms)
    ts, te = first.spans["trigger"]
    sentences = list({m.sentence.start_char + m.offset: m.sentence for m in ms}.values())
    said, lemmas = " ".join(s.text for s in sentences), " ".join(t.lemma_ for s in sentences for t in s)
    loc = best_location(ms, recipients)
    facts = casualty_facts(ms, document) if g.type in ("ASSAULT", "COERCE", "PROTEST") else None  # facts.py: claims over the event's sentences
    conf = 0.4 + 0.2 * bool(countries(actors)) + 0.2 * bool(countries(recipients)) + 0.1 * (main.date_text is not None)
    conf += 0.1 * (len(ms) > 1) - 0.15 * ("recipient_inferred" in first.spans) + 0.15 * main_clause(first.token)
    ident = stable_id(doc_id, g.type, ",".join(sorted(countries(actors))), ",".join(sorted(countries(recipients))), str(ts))
    ev = Event(
        event_id=ident,
        doc_id=doc_id,
        event_type=g.type,
        mode=modes,
        cameo=trig.cameo,
        goldstein=goldstein(trig.cameo),
        plover_score=plover_score(g.type, modes),
        context=acled.contexts(first.sentence.text, first.sentence.lemma_),  # what its first statement is about
        acled=acled.classify(g.type, modes, said, lemmas, actors, recipients, trig.acled),
        actor=actors,
        recipient=recipients,
        date=main.date.isoformat() if main.date else None,
        date_precision=main.date_precision if main.date else "unknown",
        date_text=main.date_text,
        location=loc,
        modality=g.modality,
        convention=next((m.convention for m in ms if m.convention), None),
        evidence=evidence,
        trigger=Span(text[ts:te], ts, te),
        confidence=round(max(0.05, min(conf, 0.99)), 2),
    )
    if facts:
        ev.fatalities, ev.injuries, ev.claims, ev.contested = facts.fatalities, facts.injuries, facts.claims, facts.contested
    return ev


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


def names_a_place(c: Candidate) -> bool:
    """Does the event's sentence name a place, even one the gazetteer does not know ("clashed in Al
    Zayaynya")? A material event is real with a place as with a victim. A capitalised name after "near"
    is a place whatever label the NER gives it ("observed 7 explosions near Svitlodarsk", taken for a date)."""
    return any(e.label_ in ("GPE", "LOC", "FAC") for e in c.sentence.ents) or any(
        t.dep_ == "pobj" and t.pos_ == "PROPN" and t.is_title and t.head.lower_ == "near" for t in c.sentence)


def assemble(doc_id: str, text: str, dateline: date | None, cands: list[Candidate], country_counts: Counter, context: ArticleContext | None = None) -> list[Event]:
    intentions(cands)
    court_orders(cands)
    resolve_relative(cands, dateline)
    for c in cands:
        default_date(c, dateline)
    salient = [c for c, _ in country_counts.most_common()]
    fill_roles(cands, salient, context)
    # An event needs someone who did it, or someone known it was done to ("X was accused of ...");
    # material events need only a victim or a place ("12 activists were arrested in Minsk").
    continued_histories(cands)  # before the filter below drops a past event with no one named
    kept = [
        c for c in cands
        if countries(c.actors) or any(a.name for a in c.actors) or countries(c.recipients) or any(a.name for a in c.recipients)
        or (c.trig.type in VIOLENT and c.modality == "asserted" and (c.recipients or c.location or c.nearby or names_a_place(c)))
    ]
    events = [build_event(doc_id, text, g, cands) for g in fuse(split_recipients(reciprocal(kept)))]
    for ev in events:
        # no place named: violence is located in its target's country; any other event in the one
        # country all its sides belong to ("A Tunisian court approved ..." happened in Tunisia)
        sides = countries(ev.actor) | countries(ev.recipient)
        iso = (sorted(countries(ev.recipient))[0] if ev.event_type in VIOLENT and countries(ev.recipient)
               else next(iter(sides)) if len(sides) == 1 else None)
        if ev.location is None and iso and (p := country_place(iso)):
            ev.location = Location(p.name, p.name, iso, None, None, p.lat, p.lon, p.geonameid, 3, "PCLI")
    return events
