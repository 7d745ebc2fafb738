"""Resolve the date of an event from the words near it and the article's dateline.

A `DateMention` is found by pattern in the text and resolved against the dateline: weekdays go
back to the most recent such day, "yesterday" is the day before, "last week" is a week with week
precision. Relations between events ("a day after the attacks") are kept as an offset for the
coder to resolve against the other event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = (
    r"jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?|"
    r"sep(?:t(?:ember)?)?\.?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?"
)
NUMBER_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "several": 3}

PATTERNS: list[tuple[str, str]] = [
    ("iso", r"\b(\d{4})-(\d{2})-(\d{2})\b"),
    ("mdy", rf"\b(?:(?:{MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)\b"),
    ("dmy", rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTHS})(?:,?\s+\d{{4}})?)\b"),
    ("slash", r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b"),
    ("relative", r"\b(a|one|two|three|four|five|six|seven|several|\d+)\s+days?\s+(after|later|before|earlier)\b"),
    ("weekday", r"\b(?:(?:late|early)\s+on\s+|on\s+|last\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:\s+(?:night|morning|evening|afternoon))?\b"),
    ("yesterday", r"\b(yesterday|last night|overnight|the previous day|the day before)\b"),
    ("today", r"\b(today|tonight|this morning|this afternoon|this evening|earlier today|on the same day)\b"),
    ("last_week", r"\b(last week|earlier this week|this week|past week)\b"),
    ("month", r"\b(earlier this month|this month|last month|earlier in the month)\b"),
    ("month_name", rf"\b(?:in|since|during|early|late|mid-?)\s+((?:{MONTHS})(?:\s+\d{{4}})?)\b"),
    ("year", r"\b(?:in|since|during)\s+((?:19|20)\d{2})\b|\b(last year|this year|earlier this year)\b"),
]
COMPILED = [(kind, re.compile(p, re.IGNORECASE)) for kind, p in PATTERNS]
SPECIFICITY = {"iso": 0, "mdy": 0, "dmy": 0, "slash": 1, "weekday": 1, "yesterday": 1, "today": 1,
               "relative": 2, "last_week": 3, "month": 4, "month_name": 4, "year": 5}


@dataclass
class DateMention:
    kind: str
    text: str
    start: int  # offsets in the text searched
    end: int
    date: date | None = None
    precision: str = "unknown"
    offset_days: int | None = None  # for kind == "relative": signed days from the other event


def find_mentions(text: str) -> list[DateMention]:
    """Date expressions in a piece of text, longest and most specific first at each position."""
    found: list[DateMention] = []
    for kind, rx in COMPILED:
        for m in rx.finditer(text):
            if any(f.start < m.end() and m.start() < f.end for f in found):
                continue
            if kind == "mdy" and m.group(0).lower().startswith("may") and not re.search(r"\d", m.group(0)):
                continue
            found.append(DateMention(kind, m.group(0), m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


@lru_cache(maxsize=4096)
def _parse_explicit(text: str, base: date | None) -> date | None:
    import dateparser
    from datetime import datetime

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


def resolve(m: DateMention, dateline: date | None, future: bool = False) -> DateMention:
    """Fill in the date and precision of a mention against the dateline (in place; returns it)."""
    low = m.text.lower()
    if m.kind == "relative":
        g = re.match(r"(\w+)\s+days?\s+(\w+)", low)
        n = int(g.group(1)) if g.group(1).isdigit() else NUMBER_WORDS.get(g.group(1), 1)
        # "X happened a day after Y": Y is n days before X. The coder applies the sign to the right event.
        m.offset_days = n if g.group(2) in ("after", "later") else -n
        m.precision = "day"
        return m
    if dateline is None and (m.kind not in ("iso", "mdy", "dmy", "year", "month_name") or not re.search(r"\d{4}", m.text)):
        return m  # "last year", "on Monday", "in March": nothing to count from
    if m.kind == "weekday":
        wd = next(i for i, w in enumerate(WEEKDAYS) if w in low)
        delta = (dateline.weekday() - wd) % 7
        if future and delta:
            m.date = dateline + timedelta(days=7 - delta)
        else:
            m.date = dateline - timedelta(days=delta if "last" not in low or delta else 7)
        m.precision = "day"
    elif m.kind == "yesterday":
        m.date, m.precision = dateline - timedelta(days=1), "day"
    elif m.kind == "today":
        m.date, m.precision = dateline, "day"
    elif m.kind == "last_week":
        m.date = dateline - timedelta(days=7 if low.startswith(("last", "past")) else 0)
        m.date, m.precision = m.date - timedelta(days=m.date.weekday()), "week"
    elif m.kind == "month":
        d = dateline.replace(day=1)
        m.date = (d - timedelta(days=1)).replace(day=1) if low.startswith("last") else d
        m.precision = "month"
    elif m.kind == "year":
        y = re.search(r"(19|20)\d{2}", m.text)
        year = int(y.group(0)) if y else dateline.year - (1 if "last" in low else 0)
        m.date, m.precision = date(year, 1, 1), "year"
    elif m.kind == "month_name":
        d = _parse_explicit(re.sub(r"^\W*(in|since|during|early|late|mid-?)\s+", "", low), dateline)
        if d and dateline and not re.search(r"\d{4}", m.text) and "last year" not in low:
            d = nearest_year(d, dateline)
        if d:
            m.date, m.precision = d.replace(day=1), "month"
    elif m.kind == "slash":
        a, b, y = (int(x) if x else None for x in re.match(r"(\d+)/(\d+)(?:/(\d+))?", m.text).groups())
        year = (y + 2000 if y and y < 100 else y) or (dateline.year if dateline else None)
        try:
            m.date = date(year, a, b) if year else None
        except ValueError:
            try:
                m.date = date(year, b, a)
            except ValueError:
                m.date = None
        if m.date and dateline and not y:
            m.date = nearest_year(m.date, dateline)
        m.precision = "day" if m.date else "unknown"
    else:  # iso, mdy, dmy
        d = _parse_explicit(m.text, dateline)
        if d and dateline and not re.search(r"\d{4}", m.text):
            d = nearest_year(d, dateline)
        m.date, m.precision = d, "day" if d else "unknown"
    return m


def specificity(m: DateMention) -> int:
    return SPECIFICITY[m.kind]
