"""How many, according to whom: casualty figures, victims, weapons and responsibility as claims
with their source, and the event's best/low/high over them.

Lexicons live in data/numbers.yaml (number words, vague quantities, qualifiers) and
data/casualties.yaml (casualty verbs, victim words, weapons, verbs of saying).

- A count is digits or words ("12", "twenty-five", "two children", "an 11-month-old boy" = 1,
  "a family of five" = 5, "a girl and a boy" = 2), a range ("10 to 15", "three or four",
  "between 10 and 15": low and high, best the low end) or a vague quantity coded by the
  conservative convention in numbers.yaml ("dozens" = 12). A qualifier moves it: "at least 12"
  is 12, "more than 20" is 21.
- Fields: fatalities, injuries, missing, arrested; plus `targets` (who a strike hit, "only
  militants were hit" = "militants only"), `weapon` (counted weapons: "three or four drones") and
  `responsibility`. Each claim keeps its quote, its victims as the text names them, and its source:
  the subject of the verb of saying that governs the figure ("X said", "told Reuters", "a report
  said") or the object of "according to"; "it said", "he said", "the report said" are resolved to
  the last source named before them; with no attribution the source is null (the reporter).
- Per field, as UCDP GED does: low = the smallest claim, high = the largest, best = the figure
  most sources give (ties to the lower one, ACLED's conservative rule).
- `contested`: the claims disagree on a number, two sources name victims of different kinds
  (civilians vs "only militants"), two sources name weapons of different kinds (drones vs
  missiles), or there is more than one version of who is responsible.

Which sentences speak of an event: the sentences of its mentions, and each later sentence with a
figure whose nearest violent mention at or before it belongs to the event (among the
document's candidates).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from spacy.tokens import Doc, Span, Token

from .lexicon import load_yaml
from .models import Claim, Count
from .spans import text_of
from .timing import timed

# a parenthesis between a count and its verb: "nine people, all of them foreign nationals, were killed"
ASIDE = r"(?:\s*,\s*(?:all|most|many|some|among|including|both|mostly|none)\b[^,;.()]{1,60}?,)?"
Key = tuple[int, int]  # a token: (id of its doc, index)
COUNT_FIELDS = ("fatalities", "injuries", "missing", "arrested")
FACT_TYPES = {"ASSAULT", "COERCE", "PROTEST"}  # events whose figures are gathered
MONTH_END = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s*$", re.IGNORECASE)
STOP = ("were|was|are|is|be|been|being|have|has|had|remain|remains|remained|still|and|or|but|of|in|on|at|by|to|from|with|the|who|which|that|"
        "as|after|before|during|for|when|while|reportedly|later|also|all|including|among|it|they|he|she|said|say|says")
TIME_NOUNS = {"day", "days", "week", "weeks", "hour", "hours", "minute", "minutes", "month", "months", "year", "years", "times", "percent"}
NEGATED = re.compile(r"(?:\bno\s+[\w-]+|\bnobody|\bno\s+one|\bnot|n't)\s+(?:[\w-]+\s+)?$", re.IGNORECASE)
EVENT_NOUNS = {"strike", "strikes", "attack", "attacks", "blast", "blasts", "explosion", "explosions", "raid", "raids",
               "bombing", "bombings", "shelling", "clash", "clashes", "incident", "incidents", "operation", "operations"}


@dataclass
class FactClaim(Claim):
    victims: str | None = None  # who a count counts, as the text names them ("children", "young girls")


@dataclass
class Facts:
    fatalities: Count | None = None
    injuries: Count | None = None
    claims: list[Claim] = field(default_factory=list)
    contested: bool = False


@dataclass
class Figure:
    field: str
    best: int
    low: int
    high: int
    quote: str
    start: int  # offsets in the text searched
    end: int
    victims: str | None = None


def alternation(words: Iterable[str]) -> str:
    return "|".join(sorted({re.escape(w.lower()).replace(r"\ ", r"\s+") for w in words}, key=len, reverse=True))


@lru_cache(maxsize=256)
def whole_words(words: tuple[str, ...]) -> re.Pattern:
    """One compiled pattern per word list (not one alternation built per call)."""
    return re.compile(rf"(?<![\w-])(?:{alternation(words)})(?![\w-])")


@dataclass(frozen=True)
class Lexicon:
    numbers: dict[str, Any]
    cas: dict[str, Any]

    @property
    def values(self) -> dict[str, int]:
        return {**self.numbers["units"], **self.numbers["tens"]}

    def category(self, words: str) -> str | None:
        """The victim category of a description ("young girls" -> civilians), unspecified words last."""
        found = [cat for cat, ws in self.cas["victims"].items() if whole_words(tuple(ws)).search(words.lower())]
        named = [c for c in found if c != "unspecified"]
        return named[0] if named else (found[0] if found else None)

    def weapon_type(self, words: str) -> str | None:
        return next((t for t, ws in self.cas["weapons"].items() if whole_words(tuple(ws)).search(words.lower())), None)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    return Lexicon(load_yaml("numbers.yaml"), load_yaml("casualties.yaml"))


class Compiled(dict):
    """Regular expressions compiled on first use (IGNORECASE): a short text asks for a few of
    them, and the large ones take a third of a second to compile."""

    def __init__(self, sources: dict[str, str]) -> None:
        super().__init__()
        self.sources = sources

    def __missing__(self, kind: str) -> re.Pattern:
        rx = self[kind] = re.compile(self.sources[kind], re.IGNORECASE)
        return rx

    def compile_all(self) -> None:
        for kind in self.sources:
            self[kind]


@lru_cache(maxsize=1)
def patterns() -> Compiled:
    lx = lexicon()
    n, cas = lx.numbers, lx.cas
    # "an 11-year-old", and the day of a date ("On 4 May 2020, one person was killed"): not counts
    age = r"(?!-(?:years?|months?|weeks?|days?)[\s-]old)(?!\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?![\w-]))"
    digits = rf"(?<![\d/.:-])(?!(?:19|20)\d\d(?!\d))\d{{1,3}}(?:,\d{{3}})+{age}(?![\d/:])|(?<![\d/.:-])(?!(?:19|20)\d\d(?!\d))\d+{age}(?![\d/:.]\d)"
    units, tens, scales = alternation(n["units"]), alternation(n["tens"]), alternation(n["scales"])
    word = rf"(?:(?:{tens})(?:[\s-](?:{units}))?|(?:{units})){age}(?![\w-])"
    number = rf"(?:{alternation(n['phrases'])}(?![\w-])|(?:{digits}|{word})(?:\s+(?:{scales})(?![\w-]))?)"
    qual = alternation(n["qualifiers"])
    vague = rf"(?:{alternation(n['vague'])})(?![\w-])(?!\s+(?:{number}))"  # "some people", not "some 30"
    count = (rf"(?:an?\s+)?famil(?:y|ies)\s+of\s+{number}|{vague}|(?:(?:{qual})\s+)?(?:between\s+{number}\s+and\s+{number}|"
             rf"{number}(?:\s*(?:-|–|\bto\b|\bor\b)\s*{number})?)")
    fields = cas["fields"]
    verbs = alternation(w for f in fields.values() for k in ("passive", "active") for w in f[k])
    desc_word = rf"(?!(?:{STOP}|{verbs}|{number})(?![\w-]))[A-Za-z0-9][\w'-]*"
    desc = rf"{desc_word}(?:\s+{desc_word}){{0,3}}"
    item = rf"(?:{count})(?:\s+{desc})?"
    item_d = rf"(?:{count})\s+{desc}"
    subj = rf"(?:{item_d}(?:(?:\s*,\s*|\s+and\s+|,\s+and\s+){item_d})+|{item})"
    passive = alternation(w for f in fields.values() for w in f["passive"])
    active = alternation(w for f in fields.values() for w in f["active"])
    nouns = alternation(w for f in fields.values() for w in f["nouns"])
    aux = r"(?:(?:were|was|are|is|have\s+been|has\s+been|had\s+been|being|been|got|reportedly|later|all|also|now|still|remain|remains|remained)\s+)*"
    weapons = alternation(w for ws in cas["weapons"].values() for w in ws)
    victims = alternation(w for cat, ws in cas["victims"].items() if cat != "unspecified" for w in ws)
    targets = alternation(cas["target_verbs"])
    resp = alternation(w for ws in cas["responsibility"].values() for w in ws)
    rx = {
        "passive": rf"(?<![\w-])(?P<subj>{subj}){ASIDE}\s+{aux}(?P<verb>{passive})(?![\w-])",
        "active": rf"(?<![\w-])(?P<verb>{active})\s+(?P<subj>{subj})",
        "noun": rf"(?<![\w-])(?P<subj>(?:{count})(?:,?\s+{desc_word}){{0,2}}?,?\s+(?P<verb>{nouns}))(?![\w-])",
        "toll": rf"(?<![\w-])(?P<verb>{alternation(cas['toll_phrases'])})\s+(?:[\w'-]+\s+){{0,8}}?(?:to|at|of|is|was|reached|as)\s+(?P<subj>{count})",
        # "stabbed a man to death", "beat two farmers to death"
        "to_death": rf"(?<![\w-])(?P<verb>{alternation(cas['to_death_verbs'])})\s+(?P<subj>{subj})\s+to\s+death(?![\w-])",
        "item": rf"(?P<count>{count})(?:\s+(?P<desc>{desc}))?",
        "count": rf"(?:an?\s+)?famil(?:y|ies)\s+of\s+(?P<fam>{number})|(?P<vague>{vague})|(?:(?P<qual>{qual})\s+)?(?:between\s+(?P<b1>{number})\s+and\s+"
                 rf"(?P<b2>{number})|(?P<n>{number})(?:\s*(?:-|–|\bto\b|\bor\b)\s*(?P<n2>{number}))?)",
        "then_count": rf"\s+(?:(?:{qual})\s+)?(?:{number}|{alternation(n['vague'])})(?![\w-])",
        "weapon": rf"(?<![\w-])(?P<w>(?!an?\s)(?:{number})(?:\s+or\s+(?:{number}))?\s+(?:[\w-]+\s+){{0,2}}?(?:{weapons}))(?![\w-])(?!\s+(?:strikes?|attacks?)\b)",
        "target_passive": rf"(?<![\w-])(?P<only>only\s+)?(?P<v>{victims})\s+(?:were|was|had\s+been|have\s+been)\s+(?:{targets})(?![\w-])",
        "target_active": rf"(?<![\w-])(?:{targets})\s+(?P<only>only\s+)?(?:(?:the|some|several)\s+)?(?P<v>{victims})(?![\w-])",
        "responsibility": rf"(?<![\w-])(?P<r>{resp})(?![\w-])",
    }
    return Compiled(rx)


# IGNORECASE lets these match ASCII letters that lower() does not give: a text is folded with them
FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


@lru_cache(maxsize=1)
def cues() -> dict[str, tuple[tuple[str, ...], ...]]:
    """For the patterns `figures` and `other_claims` scan: word lists a match holds a word of each
    (its verbs, nouns, phrases, weapons; the first word of a phrase, lower-case). A sentence whose
    folded text (`folded`) holds no word of one of them has no match and is not scanned: most
    sentences name no casualty, and a pattern's scan costs far more than the substring tests."""
    cas = lexicon().cas
    fields = cas["fields"].values()
    lists = {
        "passive": [w for f in fields for w in f["passive"]],
        "active": [w for f in fields for w in f["active"]],
        "noun": [w for f in fields for w in f["nouns"]],
        "toll": cas["toll_phrases"],
        "to_death": cas["to_death_verbs"],
        "weapon": [w for ws in cas["weapons"].values() for w in ws],
        "responsibility": [w for ws in cas["responsibility"].values() for w in ws],
    }
    groups = {kind: [words] for kind, words in lists.items()}
    victims = [w for cat, ws in cas["victims"].items() if cat != "unspecified" for w in ws]
    groups["target_passive"] = groups["target_active"] = [cas["target_verbs"], victims]
    out = {}
    for kind, needed in groups.items():
        # no cue from an empty list, nor from words not in ASCII (IGNORECASE may match them where lower() does not)
        usable = all(words and all(w.isascii() for w in words) for words in needed)
        out[kind] = tuple(shortest({w.lower().split()[0] for w in words}) for words in needed) if usable else ()
    return out


def shortest(words: set[str]) -> tuple[str, ...]:
    """The words that hold none of the others ("beat" for "beat", "beaten", "beating"): a text holds
    one of these iff it holds one of all."""
    return tuple(sorted(w for w in words if not any(v != w and v in w for v in words)))


def folded(text: str) -> str:
    return text.lower() if text.isascii() else text.translate(FOLD).lower()


def may_match(kind: str, plain: str) -> bool:
    """Can pattern `kind` match the text whose `folded` form is `plain`? False only when it cannot."""
    return all(any(w in plain for w in words) for words in cues()[kind])


def number(s: str) -> int | None:
    """12, "1,200", "twenty-five", "two hundred", "a dozen" as an integer."""
    lx = lexicon()
    s = re.sub(r"\s+", " ", s.lower().strip())
    if s in lx.numbers["phrases"]:
        return lx.numbers["phrases"][s]
    total, cur = 0, 0
    for part in re.split(r"[\s-]+", s):
        if part.replace(",", "").isdigit():
            cur += int(part.replace(",", ""))
        elif part in lx.values:
            cur += lx.values[part]
        elif part in lx.numbers["scales"]:
            cur = max(cur, 1) * lx.numbers["scales"][part]
            total, cur = total + cur, 0
        else:
            return None
    return total + cur


def parse_count(text: str) -> tuple[int, int, int] | None:
    """(best, low, high) of one count: "at least 12", "10 to 15", "dozens of", "a family of five"."""
    lx = lexicon()
    m = patterns()["count"].fullmatch(text.strip())
    if not m:
        return None
    if m.group("vague"):
        v = lx.numbers["vague"][re.sub(r"\s+", " ", m.group("vague").lower())]
        return v, v, v
    if m.group("fam"):
        v = number(m.group("fam"))
        return (v, v, v) if v else None
    a = number(m.group("n") or m.group("b1"))
    b = number(m.group("n2") or m.group("b2") or m.group("n") or m.group("b1"))
    if a is None or b is None:
        return None
    low, high = min(a, b), max(a, b)
    kind = lx.numbers["qualifiers"].get(re.sub(r"\s+", " ", (m.group("qual") or "").lower()), "approx")
    if kind == "above":
        low = high = high + 1
    elif kind == "below":
        low = high = max(low - 1, 0)
    return low, low, high


def items(subject: str) -> tuple[int, int, int, list[str]] | None:
    """Sum of the counts of "a six-year-old girl and an 11-month-old boy", and the victim words."""
    best = low = high = 0
    descs = []
    for m in patterns()["item"].finditer(subject):
        c = parse_count(m.group("count"))
        if c is None:
            return None
        best, low, high = best + c[0], low + c[1], high + c[2]
        if m.group("desc") or "famil" in m.group("count").lower():
            descs.append(m.group("desc") or "family")
    return best, low, high, descs


def field_of(verb: str) -> str:
    v = re.sub(r"\s+", " ", verb.lower())
    fields = lexicon().cas["fields"]
    return next((f for f in COUNT_FIELDS if any(v == w for kind in ("passive", "active", "nouns") for w in fields[f][kind])), "fatalities")


def victim_words(descs: list[str]) -> str | None:
    """The victim nouns of the descriptions, without ages and other counts ("young girls")."""
    words = [re.sub(r"\b[\w]+-(?:years?|months?|weeks?|days?)-old\s*", "", d).strip(" ,") for d in descs]
    words = [w for w in words if w]
    return " and ".join(words) if words else None


def figures(text: str, doc_span: Span | None = None) -> list[Figure]:
    """Every casualty count in a sentence: (field, best, low, high, quote, victims)."""
    rx = patterns()
    out: list[Figure] = []
    taken: list[tuple[int, int]] = []
    plain = folded(text)
    for kind in ("passive", "active", "noun", "toll", "to_death"):
        if not may_match(kind, plain):
            continue
        for m in rx[kind].finditer(text):
            s, e = m.span("subj")
            if any(a < e and s < b for a, b in taken) or MONTH_END.search(text[: m.start("subj")]):
                continue
            if kind == "toll":
                c = parse_count(m.group("subj"))
                total = (c[0], c[1], c[2], []) if c else None
            else:
                total = items(m.group("subj"))
            if total is None:
                continue
            best, low, high, descs = total
            words = {w.lower().strip(",") for d in descs for w in d.split()}
            if words & (TIME_NOUNS | EVENT_NOUNS) or lexicon().weapon_type(" ".join(words)):
                continue  # "two days", "three rockets killed ...": not who was hit
            if kind == "passive" and not re.search(r"\s(?:were|was|are|is|been|got)\s", m.group(0)) and (
                rx["then_count"].match(text, m.end()) or active_use(m, doc_span)
            ):
                continue  # "three gunmen killed two soldiers": the gunmen did it
            field_ = "fatalities" if kind in ("toll", "to_death") else field_of(m.group("verb"))
            taken.append((s, e))
            out.append(Figure(field_, best, low, high, m.group(0), m.start(), m.end(), victim_words(descs)))
    return sorted(out, key=lambda f: f.start)


def active_use(m: re.Match, span: Span | None) -> bool:
    """Is the verb after the count used actively (it has an object)? Needs the parse."""
    if span is None:
        return False
    s, e = m.span("verb")
    toks = span.char_span(s, e, alignment_mode="expand")
    return bool(toks) and any(c.dep_ in ("dobj", "obj") for t in toks for c in t.children)


def counted(span: Span | None, s: int, e: int) -> bool:
    """With the parse: is the weapon noun at the end of text[s:e] the one the number counts?"""
    if span is None:
        return True
    toks = span.char_span(s, e, alignment_mode="expand")
    return toks is None or any(c.dep_ == "nummod" for c in toks[-1].children)


def other_claims(text: str, span: Span | None = None) -> list[tuple[str, str, int, int, str | None]]:
    """(field, value, start, end, victims) for targets, weapons and responsibility."""
    lx, rx = lexicon(), patterns()
    plain = folded(text)
    out = []
    for kind in ("target_passive", "target_active"):
        if not may_match(kind, plain):
            continue
        for m in rx[kind].finditer(text):
            cat = lx.category(m.group("v"))
            if cat and cat != "unspecified":
                out.append(("targets", cat + (" only" if m.group("only") else ""), m.start(), m.end(), m.group("v").lower()))
    for m in rx["weapon"].finditer(text) if may_match("weapon", plain) else ():
        if not MONTH_END.search(text[: m.start()]) and counted(span, m.start(), m.end()):
            out.append(("weapon", re.sub(r"\s+", " ", m.group("w")), m.start(), m.end(), None))
    for m in rx["responsibility"].finditer(text) if may_match("responsibility", plain) else ():
        if NEGATED.search(text[: m.start()]):
            continue  # "no group has claimed responsibility"
        denied = any(m.group("r").lower() == w for w in lx.cas["responsibility"]["denied"])
        out.append(("responsibility", "denied" if denied else "claimed", m.start(), m.end(), None))
    return out


# --- attribution ----------------------------------------------------------------------------


def is_say(t: Token) -> bool:
    return t.pos_ in ("VERB", "AUX") and t.lemma_.lower() in lexicon().cas["say_verbs"]


def phrase(tok: Token) -> str:
    """A subject's words, without a trailing relative clause ("Officials in X, which borders Y")."""
    toks = sorted(tok.subtree, key=lambda t: t.i)
    cut = [t.left_edge.i for t in tok.subtree if t.dep_ == "relcl" and t.left_edge.i > tok.i]
    cut += [t.i for t in tok.subtree if t.i > tok.i and t.text in (":", '"', "“", "”")]
    if cut:
        toks = [t for t in toks if t.i < min(cut)]
    while toks and (toks[-1].is_punct or toks[-1].lower_ in ("which", "who")):
        toks.pop()
    while toks and toks[0].is_punct:
        toks.pop(0)
    return tok.doc[toks[0].i : toks[-1].i + 1].text if toks else tok.text


def according_to(sent: Span) -> Token | None:
    for t in sent:
        if t.lower_ == "according":
            objs = [o for p in t.children if p.lower_ == "to" for o in p.children if o.dep_ == "pobj"]
            if objs:
                return objs[0]
    return None


def speaker_of(sent: Span, at: Token | None) -> Token | None:
    """The source token of what `at` says: the subject of the verb of saying above it, else of
    "according to", else of any verb of saying in the sentence."""
    t = at
    while t is not None:
        if is_say(t):
            subj = [c for c in t.children if c.dep_ == "nsubj"]  # "was claimed by": not a speaker
            if not subj and t.dep_ == "conj":  # "Videos shared ... showed ...": the first verb's subject
                subj = [c for c in t.head.children if c.dep_ == "nsubj"]
            if subj and subj[0].tag_ not in ("WDT", "WP"):  # "an attack that killed ...": not a source
                return subj[0]
        if t.head.i == t.i:
            break
        t = t.head
    acc = according_to(sent)
    if acc is not None:
        return acc
    for t in sent:
        if is_say(t):
            subj = [c for c in t.children if c.dep_ == "nsubj"]
            if subj:
                return subj[0]
    return None


def anaphoric(tok: Token) -> bool:
    cas = lexicon().cas
    if tok.lower_ in cas["anaphors"]:
        return True
    dets = [c.lower_ for c in tok.children if c.dep_ == "det"]
    size = sum(1 for _ in tok.subtree)
    return tok.lemma_.lower() in cas["anaphoric_nouns"] and dets[:1] in (["the"], ["this"]) and size <= 3


def source_of(sent: Span, at: Token | None = None) -> str | None:
    """Who says what the sentence reports at token `at`: "it said" is the last source named before,
    "the report said" the last one with "report" in it (else the words themselves)."""
    tok = speaker_of(sent, at)
    if tok is None or not anaphoric(tok):
        return None if tok is None else phrase(tok)
    earlier = [p for prev in reversed([s for s in sent.doc.sents if s.end <= sent.start]) if (p := speaker_of(prev, None)) is not None and p.pos_ != "PRON"]
    if tok.pos_ == "PRON":
        if not earlier:
            return phrase(tok)
        tok, earlier = earlier[0], earlier[1:]
        if not anaphoric(tok):
            return phrase(tok)
    noun = tok.lemma_.lower()
    found = next((p for p in earlier if not anaphoric(p) and noun in phrase(p).lower()), None)
    return phrase(found if found is not None else tok)


# --- which sentences speak of an event --------------------------------------------------------


def anchors_an_event(c: Any) -> bool:
    """A violent mention that owns the figures after it: one that becomes an event (it has a
    known side), or a past, hypothetical or future one (figures in its sentence are not the
    reported event's)."""
    if c.trig.type not in FACT_TYPES:
        return False
    return c.modality != "asserted" or any(a.country for a in c.actors + c.recipients) or any(a.name for a in c.actors)


@lru_cache(maxsize=8192)
def has_facts(text: str) -> bool:
    return bool(figures(text) or other_claims(text))


def sentences_of(doc: Doc) -> list[tuple[Span, str]]:
    """The chunk's sentences with their text, listed once per chunk (every event of the document
    reads them; cut from the chunk's text, as `Span.text` joins the tokens)."""
    out = doc.user_data.get("flashpoint_sentence_texts")
    if out is None:
        out = doc.user_data["flashpoint_sentence_texts"] = [(s, text_of(s)) for s in doc.sents]
    return out


def sentence_facts(sent: Span) -> tuple[list[Figure], list[tuple[str, str, int, int, str | None]]]:
    """`figures` and `other_claims` of a sentence with its parse, found once per sentence of a
    chunk (every event that reads the sentence asks; the results are only read)."""
    memo = sent.doc.user_data.setdefault("flashpoint_sentence_facts", {})
    key = (sent.start, sent.end)
    if key not in memo:
        text = text_of(sent)
        memo[key] = (figures(text, sent), other_claims(text, sent))
    return memo[key]


def event_sentences(members: list[Any], document: list[Any]) -> list[Span]:
    """The sentences of the mentions, then each later sentence with a figure whose nearest
    violent mention at or before it (among the `document`'s candidates) is one of the event's."""
    out: list[Span] = []
    docs: dict[int, Doc] = {}
    for m in sorted(members, key=lambda m: m.offset):
        docs.setdefault(id(m.token.doc), m.token.doc)
    mine = {(id(m.token.doc), m.token.i) for m in members}
    starts = {(id(m.token.doc), m.sentence.start) for m in members}
    for key, doc in docs.items():
        anchors = sorted((c for c in document if c.token.doc is doc and anchors_an_event(c)), key=lambda c: c.token.i)
        first = min(m.sentence.start for m in members if id(m.token.doc) == key)
        for sent, text in sentences_of(doc):
            if sent.start < first:
                continue
            if (key, sent.start) in starts:
                out.append(sent)
                continue
            # a past or hypothetical aside owns the figures of its own sentence only
            owner = next((c for c in reversed(anchors) if c.token.i < sent.end and (c.modality == "asserted" or c.token.i >= sent.start)), None)
            if owner is not None and (key, owner.token.i) in mine and has_facts(text):
                out.append(sent)
    return out


# --- claims and counts ----------------------------------------------------------------------


def token_at(sent: Span, start: int, end: int) -> Token | None:
    span = sent.char_span(start, end, alignment_mode="expand")
    return span.root if span is not None and len(span) else None


def sentence_claims(sent: Span, mine: frozenset[Key] = frozenset(), others: frozenset[Key] = frozenset()) -> list[FactClaim]:
    """The claims of a sentence, less those told in the clause of a violent mention of another
    event (`others`) rather than of one of this event's (`mine`)."""

    def own(at: Token | None) -> bool:
        return not others or clause_owner(at, mine | others) not in others

    out = []
    found, other = sentence_facts(sent)
    for f in found:
        at = token_at(sent, f.start, f.end)
        if own(at):
            value: Any = f.best if f.low == f.high else [f.low, f.high]
            out.append(FactClaim(f.field, value, source_of(sent, at), f.quote, f.victims))
    for field_, value, s, e, victims in other:
        at = token_at(sent, s, e)
        if own(at):
            out.append(FactClaim(field_, value, source_of(sent, at), text_of(sent)[s:e], victims))
    return out


def clause_owner(tok: Token | None, mentions: frozenset[Key]) -> Key | None:
    """The violent mention among `mentions` whose clause a figure is told in: the figure's word
    or its nearest ancestor that is one ("Pakistan struck on Thursday, two days after an Iranian
    attack killed two children": the two are the attack's, not the strike's)."""
    while tok is not None:
        if (id(tok.doc), tok.i) in mentions:
            return id(tok.doc), tok.i
        if tok.head.i == tok.i:
            return None
        tok = tok.head
    return None


def count(claims: list[Claim]) -> Count | None:
    """best = the figure most claims give (ties to the lower), low = min, high = max."""
    if not claims:
        return None
    ranges = [(c.value, c.value) if isinstance(c.value, int) else (c.value[0], c.value[1]) for c in claims]
    common = Counter(lo for lo, _ in ranges).most_common()
    top = common[0][1]
    return Count(best=min(v for v, n in common if n == top), low=min(r[0] for r in ranges), high=max(r[1] for r in ranges))


def disagree(claims: list[FactClaim], kind: Any) -> bool:
    """Two sources whose sets of kinds share nothing."""
    by_source: dict[str | None, set] = {}
    for c in claims:
        k = kind(c)
        if k:
            by_source.setdefault(c.source, set()).add(k)
    sets = list(by_source.values())
    return any(not (a & b) for i, a in enumerate(sets) for b in sets[i + 1 :])


def victim_kind(c: FactClaim) -> str | None:
    """The kind of people a claim says were hit: civilians, militants, security forces ..."""
    if c.field == "targets":
        return str(c.value).removesuffix(" only")
    if c.field in COUNT_FIELDS and c.victims:
        cat = lexicon().category(c.victims)
        return cat if cat != "unspecified" else None
    return None


def is_contested(claims: list[FactClaim]) -> bool:
    if any(len({str(c.value) for c in claims if c.field == f}) > 1 for f in COUNT_FIELDS):
        return True
    if disagree(claims, victim_kind):
        return True
    if disagree([c for c in claims if c.field == "weapon"], lambda c: lexicon().weapon_type(c.value)):
        return True
    return len({(c.source, c.value) for c in claims if c.field == "responsibility"}) > 1


@timed("facts")
def casualty_facts(members: list[Any], document: list[Any]) -> Facts | None:
    """Claims of the event whose mentions (coder candidates) are `members`; `document` holds all
    the document's candidates, which decide whose a figure in a later sentence is."""
    mine = frozenset((id(m.token.doc), m.token.i) for m in members)
    others = frozenset((id(c.token.doc), c.token.i) for c in document if anchors_an_event(c)) - mine
    return facts_of_sentences(event_sentences(members, document), mine, others)


def facts_of_sentences(sentences: list[Span], mine: frozenset[Key] = frozenset(), others: frozenset[Key] = frozenset()) -> Facts | None:
    """Claims from the sentences that speak of one event (each sentence once); a figure told in
    the clause of another event's violent mention (`others`) is that event's, not this one's."""
    claims: list[FactClaim] = []
    seen_sents, seen = set(), set()
    for sent in sentences:
        if (id(sent.doc), sent.start) in seen_sents:
            continue
        seen_sents.add((id(sent.doc), sent.start))
        for c in sentence_claims(sent, mine, others):
            key = (c.field, str(c.value), c.source)
            if key not in seen:  # one source repeating itself in a sentence is one claim
                seen.add(key)
                claims.append(c)
    if not claims:
        return None
    fat = count([c for c in claims if c.field == "fatalities"])
    inj = count([c for c in claims if c.field == "injuries"])
    return Facts(fat, inj, list(claims), is_contested(claims))


def facts_of_text(text: str) -> Facts | None:
    """All claims of a text as one event (for tests and quick checks): parses it with spaCy."""
    from .nlp import load_nlp

    doc = load_nlp()(text)
    return facts_of_sentences(list(doc.sents))
