"""When each event happened, in two stages: `stated` (before modality, which reads a year the clause
states) takes the date mention of the trigger's clause; `resolve` (once roles and conventions have
fixed type and modality) reads a coming weekday, dates given relative to another event ("a day
after the attack"), and a default from the dateline for what the text does not date."""

from __future__ import annotations

from datetime import date, timedelta

from spacy.tokens import Token

from . import dates as dt
from .candidates import PRECISION_RANK, Article, Candidate, same_sentence, sentence_id
from .spans import sentence_of, text_of
from .syntax import clause_of


def stated(art: Article, cands: list[Candidate]) -> list[Candidate]:
    """The stage before modality (which reads a stated year): the date the trigger's clause states
    (a weekday is the last such day until `resolve` knows the event is still to come), and a
    relative phrase before the trigger ("X, a day after Y") linking it to the candidate before it
    in its sentence, for `resolve_relative`."""
    for i, c in enumerate(cands):
        own, rel = date_of(c.token, art.dateline)
        if own:
            c.date, c.date_precision, c.date_text = own.date, own.precision, own.text
        if rel and rel.offset_days is not None and i and sentence_id(cands[i - 1]) == sentence_id(c):
            # "X, a day after Y": the trigger after the phrase is Y, the one before it is X.
            c.relative = (-rel.offset_days, i - 1)
            c.date_text = rel.text
    return cands


def resolve(art: Article, cands: list[Candidate]) -> list[Candidate]:
    """The stage after roles and conventions: a weekday of an event still to come is the coming
    one ("will meet on Friday"), then relative dates, then the default date of every mention still
    undated."""
    for c in cands:
        if c.modality == "future" and (own := date_of(c.token, art.dateline)[0]) and own.kind == "weekday":
            own = dt.resolve(own, art.dateline, future=True)
            c.date, c.date_precision = own.date, own.precision
    resolve_relative(cands, art.dateline)
    for c in cands:
        default_date(c, art.dateline)
    return cands


def date_of(tok: Token, dateline: date | None) -> tuple[dt.DateMention | None, dt.DateMention | None]:
    """The date mention of the trigger's clause, and a relative one ("a day after") before it."""
    sent = sentence_of(tok)
    said = text_of(sent)
    mentions = [dt.resolve(m, dateline) for m in dt.mentions_of(said)]
    clause = clause_of(tok, ("ROOT", "ccomp", "advcl", "relcl"))
    lo, hi = clause.left_edge.idx - sent.start_char, clause.right_edge.idx + len(clause.right_edge) - sent.start_char
    own = [m for m in mentions if m.kind != "relative" and lo <= m.start < hi and m.date and not dt.deadline(said, m)]
    if earlier_event(tok, clause):
        own = []
    rel = [m for m in mentions if m.kind == "relative" and m.end <= tok.idx - sent.start_char]
    pos = tok.idx - sent.start_char
    own.sort(key=lambda m: (dt.specificity(m), abs(m.start - pos)))
    return (own[0] if own else None), (rel[-1] if rel else None)


def earlier_event(tok: Token, clause: Token) -> bool:
    """A nominal trigger the clause says came before its own event ("protests following the
    attacks", "after the strikes"): the clause's date is not its date."""
    t = tok
    while t.i != clause.i and t.head.i != t.i:
        if t.dep_ == "prep" and t.lower_ in ("following", "after", "since"):
            return True
        t = t.head
    return False


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
        for m in dt.mentions_of(text_of(sent)):
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
    for m in dt.mentions_of(text_of(sent)):
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
