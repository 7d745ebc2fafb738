"""How many, according to whom: killed and injured figures as claims with their source.

Each figure found in a sentence that reports the event is a Claim (field, value, source, quote);
best/low/high are taken over the claims (low = smallest, high = largest, best = the most often
reported, ties to the lower: ACLED's conservative convention); `contested` when sources differ.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Span

from .models import Claim, Count

UNITS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
# ACLED's conventions for vague counts.
VAGUE = {"several": 10, "many": 10, "dozens": 12, "scores": 20, "hundreds": 100, "a few": 3, "some": 10}
NUM = r"(?:\d[\d,]*|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-\w+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|several|dozens|scores|hundreds|a few|many)"
QUAL = r"(?:(?P<qual>at least|more than|over|nearly|almost|up to|some|about|around)\s+)?"
RANGE = rf"(?P<n>{NUM})(?:\s+(?:or|to|-)\s+(?P<n2>{NUM}))?"
NOUNS = r"(?:[\w'-]+\s+){0,4}?"
KILLED = r"killed|dead|died|slain|lost their lives|lost his life|lost her life"
INJURED = r"injured|wounded|hurt"
PATTERNS = [
    (rf"\b{QUAL}{RANGE}\s+{NOUNS}(?:(?:were|was|have been|had been|are|being)\s+)?(?P<verb>{KILLED}|{INJURED})\b", None),
    (rf"\b(?P<verb>killing|injuring|wounding)\s+{QUAL}{RANGE}\b", None),
    (rf"\bdeath toll\s+(?:\w+\s+){{0,3}}?(?:to|at|of)\s+{QUAL}{RANGE}\b", "fatalities"),
]
COMPILED = [(re.compile(p, re.IGNORECASE), f) for p, f in PATTERNS]
SAY = re.compile(
    r"(?:according to (?P<acc>[^,.;]+))|(?:,\s*(?P<post>[^,.;\"]{3,80}?)\s+(?:said|says|told \w+|added|reported|stated))\b|"
    r"^(?P<pre>[A-Z][^,.;\"]{2,80}?)\s+(?:said|say|says|told|reported|report)\b",
)


def number(s: str) -> int | None:
    s = s.lower().strip()
    if s in VAGUE:
        return VAGUE[s]
    if s.replace(",", "").isdigit():
        return int(s.replace(",", ""))
    parts = s.split("-")
    if all(p in UNITS for p in parts):
        return sum(UNITS[p] for p in parts)
    return None


def source_of(sentence: str) -> str | None:
    m = SAY.search(sentence)
    if not m:
        return None
    src = next(g for g in (m.group("acc"), m.group("post"), m.group("pre")) if g)
    return src.strip().rstrip(".")


@dataclass
class Facts:
    fatalities: Count | None = None
    injuries: Count | None = None
    claims: list[Claim] = field(default_factory=list)
    contested: bool = False


def figures(sentence: str) -> list[tuple[str, int, int, str]]:
    """(field, low, high, quote) for every casualty figure in a sentence."""
    out = []
    for rx, fixed in COMPILED:
        for m in rx.finditer(sentence):
            low = number(m.group("n"))
            if low is None:
                continue
            high = number(m.group("n2")) if m.group("n2") else low
            verb = (m.groupdict().get("verb") or "").lower()
            field_ = fixed or ("fatalities" if re.match(KILLED + "|killing", verb) else "injuries")
            qual = (m.group("qual") or "").lower()
            if qual in ("more than", "over"):
                low = high = low + 1
            elif qual in ("nearly", "almost"):
                high = low
            out.append((field_, min(low, high), max(low, high), m.group(0)))
    return out


def count(values: list[tuple[int, int]]) -> Count | None:
    if not values:
        return None
    lows, highs = [v[0] for v in values], [v[1] for v in values]
    common = Counter(v[0] for v in values).most_common()
    top = max(n for _, n in common)
    best = min(v for v, n in common if n == top)
    return Count(best=best, low=min(lows), high=max(highs))


def casualty_facts(sentences: list[Span], offsets: list[int], text: str) -> Facts | None:
    """Claims from the sentences that report one event (each sentence once)."""
    claims: list[Claim] = []
    seen = set()
    for sent, off in zip(sentences, offsets):
        key = off + sent.start_char
        if key in seen:
            continue
        seen.add(key)
        src = source_of(sent.text)
        for field_, low, high, quote in figures(sent.text):
            claims.append(Claim(field_, low if low == high else [low, high], src, quote))
    if not claims:
        return None

    def values(f: str) -> list[tuple[int, int]]:
        return [(c.value, c.value) if isinstance(c.value, int) else tuple(c.value) for c in claims if c.field == f]

    fat, inj = values("fatalities"), values("injuries")
    contested = any(len({v for v in vs}) > 1 for vs in (fat, inj))
    return Facts(count(fat), count(inj), claims, contested)
