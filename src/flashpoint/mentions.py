"""The mentions of one event within an article: which candidates tell of the same event (fused
into one `Group`), and which tell more of a past event told just before them (history)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from .candidates import VERBAL, Article, Candidate, countries, sentence_id
from .lexicon import load_actor_dictionary, load_yaml
from .modality import latest_day
from .syntax import coordinated


def histories(art: Article, cands: list[Candidate]) -> list[Candidate]:
    """The stage that marks continued history (before `keep` drops a past event with no one named)."""
    continued_histories(cands)
    return cands


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


def continued_history(before: Candidate | None, c: Candidate) -> bool:
    """An agentless or definite mention with no date of its own right after a past event of its type
    tells more of that past ("Germany suffered a spate of attacks over the summer. Ten people were
    killed ..."): it is history too. `before`: the last mention of its type before it."""
    if c.modality != "asserted" or stated_period(c) or before is None or before.modality != "historical":
        return False
    doc = c.token.doc
    return before.token.doc is doc and (before.sentence.start == c.sentence.start or (
        before.sentence.end <= c.sentence.start and all(t.is_space for t in doc[before.sentence.end : c.sentence.start])))


def continued_histories(cands: list[Candidate]) -> None:
    """Mark as history the mentions that tell more of a past event told just before them
    (`continued_history`), even when that past event names no one and is not kept as a record;
    `fuse` then joins them to the last past event of their type."""
    last: dict[str, Candidate] = {}  # the last mention of each type so far
    for c in cands:
        if (anaphoric(c) or tally(c)) and continued_history(last.get(c.trig.type), c):
            c.modality = "historical"
        last[c.trig.type] = c


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
            g = next((g for g in reversed(groups) if g.type == c.trig.type and g.modality == c.modality), None)
            if g is not None and g.apart(c):
                g = None
        if g:
            g.add(c)
        else:
            groups.append(Group(c))
    return groups
