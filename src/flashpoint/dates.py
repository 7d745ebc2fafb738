"""Resolve the date of an event from the words near it and the article's dateline.

A `DateMention` is found by pattern in the text and resolved against the dateline:

- explicit dates ("Jan. 17", "17 January", "January 17, 2024", "1/17", "2024-01-17") through
  dateparser; a date without its year is the one nearest the dateline; the date of a news
  dateline in the text ("ERBIL, Iraq, Jan 17 (Tigris Herald) — ...") is the report's: not a mention;
- weekdays go back to the most recent such day ("on Tuesday" in a report dated Wednesday
  2024-01-17 is 2024-01-16; "last Wednesday" and "last Tuesday" then are a week back: yesterday
  would be "on Tuesday"); times of day that cross
  midnight keep the day the text states ("late on Monday", "early on Tuesday", "in the early hours
  of Tuesday", "overnight into Tuesday"); a bare "overnight" or "last night" is the day before the dateline;
- "yesterday", "N days ago" (day); "this week", "last week", "earlier this week" (week: its Monday);
  "earlier this month", "last month" (month: its 1st); "last year", "in 2023" (year: 1 January);
- ranges ("between Jan. 15 and 17", "Jan. 15-17", "15-17 January", "from Monday to Wednesday")
  give their first day, at day precision for one day, week for up to a week, else month or year;
- a date after "by", "until" or "till" is a deadline the event sets ("agreed on Monday that the
  envoys would return by Friday"), not its date (`deadline`);
- relations between events ("a day after the attacks", "two days later", "the next day") are kept
  as `offset_days` for event_dates.resolve_relative, signed as (date of the event before the phrase)
  minus (date of the event after it): "X a day after Y" +1, "X, and two days later Y" -2; the
  helpers below find what such a phrase modifies in the parse (`phrase_governor`: coordinated
  phrases share theirs), the event noun an adverbial one follows (`noun_before`) and the clause an
  event word belongs to (`event_clause`: a conjunct with its own subject is one of its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

from .lexicon import load_yaml
from .spans import text_of

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAY = "|".join(WEEKDAYS)
MONTHS = (
    r"jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|jun(?:e|\.)?|jul(?:y|\.)?|aug(?:ust|\.)?|"
    r"sep(?:t(?:ember)?)?\.?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?"
)
DAYNUM = r"\d{1,2}(?:st|nd|rd|th)?"
YEAR = r"(?:,?\s+\d{4})?"
MD = rf"(?:{MONTHS})\s+{DAYNUM}"
DM = rf"{DAYNUM}\s+(?:of\s+)?(?:{MONTHS})"
COUNT = r"a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|\d+"
# Times of day around a weekday: the event is recorded on the day the text names.
DAY_PREFIX = (
    r"(?:(?:late|early)\s+(?:on\s+)?|on\s+|last\s+|overnight\s+(?:on\s+|into\s+)?|since\s+|"
    r"(?:in\s+)?the\s+early\s+hours\s+of\s+|the\s+night\s+of\s+)?"
)

PATTERNS: list[tuple[str, str]] = [
    ("range", rf"\b(?:between|from)\s+(?:{MD}|{DM}){YEAR}\s+(?:and|to|until|till|through)\s+(?:{MD}|{DM}|{DAYNUM}(?!\s*(?:people|of)\b)){YEAR}"),
    ("range", rf"\b(?:{MONTHS})\s+{DAYNUM}\s*(?:-|–|to)\s*{DAYNUM}{YEAR}(?![\d/])"),
    ("range", rf"\b{DAYNUM}\s*(?:-|–)\s*{DAYNUM}\s+(?:{MONTHS}){YEAR}"),
    ("range", rf"\b(?:between|from)\s+(?:{WEEKDAY})\s+(?:and|to|until|till|through)\s+(?:{WEEKDAY})\b"),
    ("iso", r"\b(\d{4})-(\d{2})-(\d{2})\b"),
    ("mdy", rf"\b(?:{MD}{YEAR})\b"),
    ("dmy", rf"\b(?:{DM}{YEAR})\b"),
    ("slash", r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b"),
    ("relative", rf"\b(?:{COUNT})\s+(?:days?|weeks?)\s+(?:after|later|before|earlier)\b"),
    ("relative", r"\bthe\s+(?:next|following)\s+(?:day|week)\b|\bthe\s+(?:day|week)\s+after\b"),
    ("ago", rf"\b(?:{COUNT})\s+(?:days?|weeks?|months?|years?)\s+ago\b"),
    ("weekday", rf"\b{DAY_PREFIX}({WEEKDAY})(?:\s+(?:night|morning|evening|afternoon))?\b"),
    ("yesterday", r"\b(yesterday|last night|overnight|the previous day|the day before)\b"),
    ("today", r"\b(today|tonight|this morning|this afternoon|this evening|earlier today|on the same day)\b"),
    ("last_week", r"\b(last week|earlier this week|this week|past week|next week)\b"),
    ("month", r"\b(earlier this month|this month|last month|earlier in the month|next month)\b"),
    ("month_name", rf"\b(?:in|since|during|early|late|mid-?)\s+((?:{MONTHS})(?:\s+\d{{4}})?)\b"),
    ("year", r"\b(?:in|since|during)\s+(?:(?:the\s+)?(?:summer|spring|autumn|fall|winter|beginning|start|middle|end|course|first\s+half|second\s+half)\s+of\s+)?((?:19|20)\d{2})\b"
             r"|\b(last year|this year|earlier this year)\b"),  # "in the summer of 2010"
]
COMPILED = [(kind, re.compile(p, re.IGNORECASE)) for kind, p in PATTERNS]
SPECIFICITY = {"iso": 0, "mdy": 0, "dmy": 0, "range": 1, "slash": 1, "weekday": 1, "yesterday": 1, "today": 1,
               "ago": 1, "relative": 2, "last_week": 3, "month": 4, "month_name": 4, "year": 5}
ADVERBIAL = re.compile(r"\b(later|earlier|next|following)\b", re.IGNORECASE)
# A news dateline ("ERBIL, Iraq, Jan 17 (Tigris Herald) — ...", "KABUL, Jan. 3 (Reuters) - ..."):
# only place names and commas before the date on its line, an optional outlet in brackets and a
# dash after it. That date is the report's, not the event's.
DATELINE_START = re.compile(r"(?:^|\n)[^\S\n]*,?[^\S\n]*(?:[A-Z][\w.'-]*(?:[^\S\n]+[A-Z][\w.'-]*)*[^\S\n]*,[^\S\n]*){0,3}$")
DATELINE_END = re.compile(r"[^\S\n]*(?:\([^()\n]{1,60}\)[^\S\n]*)?(?:—|–|--|-)(?:\s|$)")


# Dates an event can have: outside them a resolved date is dropped (unknown). Relations between
# events ("two days later") are followed up to ten years; together they keep date arithmetic in range.
EARLIEST, LATEST = date(1000, 1, 1), date(9000, 12, 31)
MAX_OFFSET_DAYS = 3660


@dataclass
class DateMention:
    kind: str
    text: str
    start: int  # offsets in the text searched
    end: int
    date: date | None = None
    precision: str = "unknown"
    offset_days: int | None = None  # kind "relative": (event before the phrase) - (event after it), in days

    @property
    def adverbial(self) -> bool:
        """"two days later", "the next day" modify their own clause's event against an earlier one;
        "a day after X", "two days before X" relate the clause's event to X."""
        return bool(ADVERBIAL.search(self.text))


@lru_cache(maxsize=1)
def number_words() -> dict[str, int]:
    n = load_yaml("numbers.yaml")
    return {**n["units"], **n["tens"], "several": n["vague"]["several"]}


def count_word(s: str) -> int:
    s = s.lower()
    return int(s) if s.isdigit() else number_words().get(s, 1)


def find_mentions(text: str) -> list[DateMention]:
    """Date expressions in a piece of text, longest and most specific first at each position."""
    found: list[DateMention] = []
    for kind, rx in COMPILED:
        for m in rx.finditer(text):
            if any(f.start < m.end() and m.start() < f.end for f in found):
                continue
            if kind == "mdy" and m.group(0).lower().startswith("may") and not re.search(r"\d", m.group(0)):
                continue
            if kind in ("iso", "mdy", "dmy", "slash") and is_dateline(text, m):
                continue
            found.append(DateMention(kind, m.group(0), m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def is_dateline(text: str, m: re.Match) -> bool:
    """Is this date the one of a news dateline opening a line of the text?"""
    return bool(DATELINE_END.match(text, m.end()) and DATELINE_START.search(text[: m.start()]))


@lru_cache(maxsize=4096)
def _mentions(text: str) -> tuple[DateMention, ...]:
    return tuple(find_mentions(text))


def mentions_of(text: str) -> list[DateMention]:
    """`find_mentions`, run once per text (every trigger of a sentence asks); fresh copies, since
    `resolve` fills a mention in place."""
    return [replace(m) for m in _mentions(text)]


@lru_cache(maxsize=4096)
def _parse_explicit(text: str, base: date | None) -> date | None:
    import dateparser

    settings = {"PREFER_DATES_FROM": "past", "PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": "MDY"}
    if base:
        settings["RELATIVE_BASE"] = datetime(base.year, base.month, base.day)
    parsed = dateparser.parse(text.replace(".", " "), languages=["en"], settings=settings)
    return parsed.date() if parsed else None


def nearest_year(d: date, dateline: date) -> date:
    """A date written without its year ("Dec. 30", "Feb. 8") is the one nearest the dateline."""
    options = []
    for y in (dateline.year - 1, dateline.year, dateline.year + 1):
        try:
            options.append(d.replace(year=y))
        except ValueError:  # 29 February
            pass
    return min(options, key=lambda x: abs((x - dateline).days))


def explicit(text: str, dateline: date | None) -> date | None:
    d = _parse_explicit(text, dateline)
    if d and dateline and not re.search(r"\d{4}", text):
        d = nearest_year(d, dateline)
    return d


def weekday_date(name: str, dateline: date, last: bool = False, future: bool = False) -> date:
    """The most recent such day (the dateline's own day counts), or the coming one for the future."""
    delta = (dateline.weekday() - WEEKDAYS.index(name)) % 7
    if future and delta:
        return dateline + timedelta(days=7 - delta)
    if last and delta <= 1:  # "last Thursday" written on a Thursday or a Friday: not today or yesterday but a week before
        delta += 7
    return dateline - timedelta(days=delta)


def span_precision(days: int) -> str:
    return "day" if days <= 0 else "week" if days <= 7 else "month" if days <= 31 else "year"


def resolve_range(text: str, dateline: date | None) -> tuple[date | None, str]:
    """First day of "between Jan. 15 and 17" and the precision its length allows."""
    body = re.sub(r"^(?:between|from)\s+", "", text, flags=re.IGNORECASE)
    a_txt, b_txt = re.split(r"\s*(?:\band\b|\bto\b|\buntil\b|\btill\b|\bthrough\b|-|–)\s*", body, maxsplit=1, flags=re.IGNORECASE)
    year = re.search(r"\d{4}", text)
    if a_txt.lower() in WEEKDAYS:
        if dateline is None:
            return None, "unknown"
        a, b = weekday_date(a_txt.lower(), dateline), weekday_date(b_txt.lower(), dateline)
        a = a - timedelta(days=7) if a > b else a
        return a, span_precision((b - a).days)
    if re.fullmatch(DAYNUM, a_txt.strip(), re.IGNORECASE):  # "15-17 January": the month comes last
        month = re.search(rf"(?:{MONTHS})(?:\s+\d{{4}})?", b_txt, re.IGNORECASE).group(0)
        a_txt = f"{a_txt} {month}"
    a = explicit(a_txt + (f" {year.group(0)}" if year and year.group(0) not in a_txt else ""), dateline)
    if a is None:
        return None, "unknown"
    day_only = re.fullmatch(rf"({DAYNUM}){YEAR}", b_txt.strip(), re.IGNORECASE)
    try:
        b = a.replace(day=int(re.match(r"\d+", b_txt).group(0))) if day_only else explicit(b_txt, dateline)
    except ValueError:
        b = None
    if b is None:
        return a, "week"
    if b < a:
        b = b.replace(year=b.year + 1)
    return a, span_precision((b - a).days)


def resolve(m: DateMention, dateline: date | None, future: bool = False) -> DateMention:
    """Fill in the date and precision of a mention against the dateline (in place; returns it).

    A date that would fall outside EARLIEST..LATEST ("3000 years ago", a dateline of 0001-01-01
    and "yesterday") stays unknown, and so does a relation over more than MAX_OFFSET_DAYS
    ("100000 days later"): resolving never overflows, and what is resolved can still be shifted."""
    try:
        resolve_unchecked(m, dateline, future)
    except (OverflowError, ValueError):
        m.date = None
    if m.date is not None and not EARLIEST <= m.date <= LATEST:
        m.date = None
    if m.date is None and m.kind != "relative":
        m.precision = "unknown"
    if m.offset_days is not None and abs(m.offset_days) > MAX_OFFSET_DAYS:
        m.offset_days, m.precision = None, "unknown"
    return m


def resolve_unchecked(m: DateMention, dateline: date | None, future: bool = False) -> DateMention:
    low = m.text.lower()
    m.date, m.precision = None, "unknown"
    if m.kind == "relative":
        g = re.match(rf"({COUNT})\s+(days?|weeks?)\s+(\w+)", low)  # else "the next day", "the day after"
        n, unit = (count_word(g.group(1)), g.group(2)) if g else (1, "week" if "week" in low else "day")
        word = g.group(3) if g else ("after" if "after" in low else "later")
        days = n * (7 if unit.startswith("week") else 1)
        m.offset_days = days if word in ("after", "earlier") else -days
        m.precision = "week" if unit.startswith("week") else "day"
        return m
    has_year = bool(re.search(r"\d{4}", m.text))
    if dateline is None and not (m.kind in ("iso", "mdy", "dmy", "year", "month_name", "range") and has_year):
        return m  # "last year", "on Monday", "in March": nothing to count from
    if m.kind == "weekday":
        name = next(w for w in WEEKDAYS if w in low)
        m.date, m.precision = weekday_date(name, dateline, low.startswith("last "), future), "day"
    elif m.kind == "yesterday":
        m.date, m.precision = dateline - timedelta(days=1), "day"
    elif m.kind == "today":
        m.date, m.precision = dateline, "day"
    elif m.kind == "ago":
        g = re.match(rf"({COUNT})\s+(day|week|month|year)", low)
        n, unit = count_word(g.group(1)), g.group(2)
        if unit in ("day", "week"):
            m.date = dateline - timedelta(days=n * (7 if unit == "week" else 1))
        elif unit == "month":
            months = dateline.year * 12 + dateline.month - 1 - n
            m.date = date(months // 12, months % 12 + 1, 1)
        else:
            m.date = date(dateline.year - n, 1, 1)
        m.precision = unit
    elif m.kind == "last_week":
        shift = {"last": -7, "past": -7, "next": 7}.get(low.split()[0], 0)
        d = dateline + timedelta(days=shift)
        m.date, m.precision = d - timedelta(days=d.weekday()), "week"
    elif m.kind == "month":
        d = dateline.replace(day=1)
        if low.startswith("last"):
            d = (d - timedelta(days=1)).replace(day=1)
        elif low.startswith("next"):
            d = (d + timedelta(days=32)).replace(day=1)
        m.date, m.precision = d, "month"
    elif m.kind == "year":
        y = re.search(r"(19|20)\d{2}", m.text)
        year = int(y.group(0)) if y else dateline.year - (1 if "last" in low else 0)
        m.date, m.precision = date(year, 1, 1), "year"
    elif m.kind == "month_name":
        d = explicit(re.sub(r"^\W*(in|since|during|early|late|mid-?)\s+", "", low), dateline)
        if d:
            m.date, m.precision = d.replace(day=1), "month"
    elif m.kind == "range":
        m.date, m.precision = resolve_range(m.text, dateline)
    elif m.kind == "slash":
        a, b, y = (int(x) if x else None for x in re.match(r"(\d+)/(\d+)(?:/(\d+))?", m.text).groups())
        year = (y + 2000 if y and y < 100 else y) or (dateline.year if dateline else None)
        for month, day in ((a, b), (b, a)):  # month first, as in US copy; "17/1" can only be day first
            try:
                m.date = date(year, month, day) if year else None
                break
            except ValueError:
                continue
        if m.date and dateline and not y:
            m.date = nearest_year(m.date, dateline)
        m.precision = "day" if m.date else "unknown"
    else:  # iso, mdy, dmy
        m.date = explicit(m.text, dateline)
        m.precision = "day" if m.date else "unknown"
    return m


def specificity(m: DateMention) -> int:
    return SPECIFICITY[m.kind]


DEADLINE_WORDS = ("by", "until", "till")


def deadline(text: str, m: DateMention) -> bool:
    """A date the event sets as a deadline, not when it happened: "agreed on Monday that the
    ambassadors would return by Friday" (Monday), "to restore relations by Jan. 26"."""
    before = text[: m.start].split()
    return bool(before) and before[-1].lower() in DEADLINE_WORDS


# --- helpers for relating events to each other (event_dates.resolve_relative) -----------------

CLAUSE_DEPS = ("ROOT", "ccomp", "advcl", "conj", "relcl")
DEFINITE = {"the", "this", "these", "that", "those"}


def relative_mentions(sent) -> list[DateMention]:
    """The "a day after" / "two days later" phrases of a spaCy sentence, resolved."""
    return [resolve(m, None) for m in mentions_of(text_of(sent)) if m.kind == "relative"]


def clause_head(tok):
    while tok.dep_ not in CLAUSE_DEPS and tok.head.i != tok.i:
        tok = tok.head
    return tok


def token_at(sent, m: DateMention):
    """The last word of a mention in a spaCy sentence."""
    span = sent.char_span(m.start, m.end, alignment_mode="expand")
    return span[-1] if span is not None and len(span) else None


def event_clause(tok):
    """The clause an event word belongs to for dating: its clause head, and a coordinated verb
    with no subject of its own shares its first conjunct's ("recalled its envoy and suspended
    visits"); one with its own subject is a clause of its own ("..., and it raised concern")."""
    head = clause_head(tok)
    while head.dep_ == "conj" and head.head.i != head.i and not any(c.dep_ in ("nsubj", "nsubjpass") for c in head.children):
        head = clause_head(head.head)
    return head


def mention_head(sent, m: DateMention):
    """The head of the clause a relative phrase modifies: "later"/"after" attach to its verb; a
    subordinating "after" ("a day after attacks were carried out") to the clause it introduces."""
    span = sent.char_span(m.start, m.end, alignment_mode="expand")
    key = span[-1]
    if key.dep_ == "mark":
        key = key.head.head
    return clause_head(key)


def phrase_governor(sent, m: DateMention):
    """The word whose event a non-adverbial relative phrase dates another against: what "a day
    after [Y]" modifies. A subordinate "after Y" clause hangs from that word; coordinated ones
    share it ("X, three days after Y and a day after Z": both are reckoned from X, not Z from Y).
    A prepositional "after [the attack]" hangs from it directly."""
    span = sent.char_span(m.start, m.end, alignment_mode="expand")
    key = span[-1]
    if key.dep_ != "mark":
        gov = key.head
    else:
        clause = key.head
        while clause.dep_ == "conj" and clause.head.i != clause.i:
            clause = clause.head
        gov = clause.head
    while span.start <= gov.i < span.end and gov.head.i != gov.i:  # "a day after" hung from its own "day"
        gov = gov.head
    # "..., four days after Y and a day after Z" parsed with Z's phrase inside Y's clause: the
    # coordinated phrase shares the first one's governor
    prev = [p for p in relative_mentions(sent) if p.end <= m.start and not p.adverbial]
    if prev and re.search(r"\band\s*$", text_of(sent)[prev[-1].end : m.start]) and in_phrase_object(sent, prev[-1], gov):
        return phrase_governor(sent, prev[-1])
    return gov


def noun_before(sent, m: DateMention, cands):
    """The event noun an adverbial phrase right after it dates ("an attack on its territory two
    days earlier", "the strikes the next day"): the candidate noun whose phrase ends where the
    relative phrase begins."""
    for c in cands:
        t = c.token
        if t.pos_ not in ("NOUN", "PROPN") or not sent.start <= t.i < sent.end or t.idx - sent.start_char >= m.start:
            continue
        ends = [w.idx + len(w) - sent.start_char for w in t.subtree]
        if any(e > m.end for e in ends):
            continue  # the phrase sits inside the noun's phrase, not at its end
        end = max(e for e in ends if e <= m.start)
        if not text_of(sent)[end:m.start].strip(" ,"):
            return c
    return None


def in_phrase_object(sent, m: DateMention, tok) -> bool:
    """Is the token inside what "after"/"before" governs ("a day after [the attack]")?"""
    span = sent.char_span(m.start, m.end, alignment_mode="expand")
    key = span[-1]
    return any(t.i == tok.i for c in key.children for t in c.subtree) or (key.dep_ == "mark" and tok.i in {t.i for t in key.head.subtree})


def definite(tok) -> bool:
    """A mention of an event already known: "the strikes", "Iran's attack", "it"."""
    if tok.pos_ == "PRON":
        return True
    return tok.pos_ in ("NOUN", "PROPN") and any(
        (c.dep_ == "det" and c.lower_ in DEFINITE) or c.dep_ == "poss" for c in tok.children
    )
