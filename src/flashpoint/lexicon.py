"""Loaders for the package's data files: actors, countries, role sectors, triggers, CAMEO and PLOVER.

Everything a rule knows lives in `flashpoint/data/` as YAML/CSV; this module only reads and indexes it.
"""

from __future__ import annotations

import csv
import hashlib
import os
import pickle
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import yaml


def data_text(name: str) -> str:
    return resources.files("flashpoint").joinpath("data", name).read_text(encoding="utf-8")


def load_yaml(name: str) -> Any:
    """A data file, parsed (through libyaml's C loader when PyYAML has it: same result, ~7x faster)
    once per version of the file: the parse is kept, pickled, in the cache folder with the file's
    hash (start-up: triggers.yaml 80 ms to parse, 2 ms from the cache). Each call returns its own
    copy, as a parse would."""
    text = data_text(name)
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
    from .places import cache_dir  # not at the top: places reads this module's word lists

    cached = cache_dir() / "data" / f"{name}.pickle"
    try:
        kept, data = pickle.loads(cached.read_bytes())
        if kept == digest:
            return data
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError):
        pass  # not cached yet, or unreadable: parsed again and rewritten
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps((digest, data), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, cached)  # whole or not at all, whichever process writes it
    except OSError:
        pass  # a read-only cache folder: parsed every time
    return data


def load_csv(name: str) -> list[dict[str, str]]:
    lines = [ln for ln in data_text(name).splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines))


RUN = re.compile(r"[\w-]+")  # a run of word characters and hyphens: what the patterns' word boundaries delimit


@dataclass(frozen=True)
class WordsPattern:
    """Whole-word matching of a list of words and phrases: `search` runs the regex only when the text
    can hold one of them, and most texts hold none. A whole-word match of "air strike" has "air"
    as one of the text's runs of word characters and hyphens (`runs`): a set lookup per word
    instead of a substring scan; a word that starts with another character is looked for as a
    substring."""

    firsts: frozenset[str]  # the first run of each word
    others: tuple[str, ...]  # the words that start with another character
    regex: re.Pattern

    def search(self, text: str) -> re.Match | None:
        if self.firsts.isdisjoint(runs(text)) and not any(w in text for w in self.others):
            return None
        return self.regex.search(text)


@lru_cache(maxsize=256)
def runs(text: str) -> frozenset[str]:
    """The text's runs of word characters and hyphens, once per text (an event's sentences are
    searched for every ACLED rule and context; remembered for the last few texts only)."""
    return frozenset(RUN.findall(text))


def words_pattern(words: list[str] | None) -> WordsPattern | None:
    """One regex for a list of words and phrases, matched as whole words (longest first)."""
    if not words:
        return None
    lowered = sorted({w.lower() for w in words}, key=len, reverse=True)
    firsts = [RUN.match(w) for w in lowered]
    return WordsPattern(frozenset(m.group(0) for m in firsts if m), tuple(w for w, m in zip(lowered, firsts) if not m),
                        re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, lowered)) + r")(?![\w-])"))


POSSESSIVE, LEADING_THE, SPACES = re.compile(r"('s|')$"), re.compile(r"^the\s+"), re.compile(r"\s+")


@lru_cache(maxsize=262_144)
def norm(s: str) -> str:
    """Lower-case, accents and possessive removed, whitespace folded: the key aliases are looked up by
    (remembered: the same names come back in every article)."""
    if not s.isascii():  # an ASCII text has no accents to take off
        s = unicodedata.normalize("NFKD", s)
        s = "".join(c for c in s if not unicodedata.combining(c))
        s = s.replace("’", "'").replace("‘", "'")
    s = POSSESSIVE.sub("", s.lower().strip())
    s = LEADING_THE.sub("", s)
    return SPACES.sub(" ", s)


@dataclass(frozen=True)
class Entry:
    """One known actor: a country (by name, demonym, capital or metonym), a group, an org or a person."""

    name: str
    country: str | None
    sector: str | None
    kind: str  # country | demonym | capital | metonym | group | org | person
    label: str  # spaCy entity label the EntityRuler gives it


@dataclass
class ActorDictionary:
    aliases: dict[str, Entry] = field(default_factory=dict)
    surface: dict[str, list[str]] = field(default_factory=dict)  # normalised alias -> its spellings as written
    roles: dict[str, str] = field(default_factory=dict)  # role term -> sector
    country_names: dict[str, str] = field(default_factory=dict)  # ISO3 -> display name

    def add(self, alias: str, entry: Entry) -> None:
        key = norm(alias)
        if key and key not in self.aliases:
            self.aliases[key] = entry
        if key and self.aliases[key] == entry and alias not in self.surface.setdefault(key, []):
            self.surface[key].append(alias)

    def lookup(self, text: str) -> Entry | None:
        return self.aliases.get(norm(text))

    def country_name(self, iso3: str | None) -> str | None:
        return self.country_names.get(iso3 or "", iso3)

    def ruler_patterns(self) -> list[dict[str, str]]:
        """EntityRuler phrase patterns: each alias as written (case-sensitive) with its entity label."""
        out = []
        for key, entry in self.aliases.items():
            for alias in self.surface[key]:
                if len(alias) >= 3 or alias.isupper():
                    out.append({"label": entry.label, "pattern": alias, "id": entry.name})
        return out

    def role_sector(self, words: list[str]) -> str | None:
        """The sector of the longest role term among lower-cased words (e.g. "foreign ministry spokesperson")."""
        text = " ".join(words)
        best: tuple[int, str] | None = None
        for n in (4, 3, 2, 1):
            for i in range(len(words) - n + 1):
                term = " ".join(words[i : i + n])
                if term in self.roles and (best is None or i + n > best[0]):
                    best = (i + n, self.roles[term])
            if best:
                return best[1]
        return self.roles.get(text)


LABELS = {"name": "GPE", "capital": "GPE", "metonym": "ORG", "demonym": "NORP"}


@lru_cache(maxsize=1)
def load_actor_dictionary() -> ActorDictionary:
    import pycountry

    d = ActorDictionary()
    shown: set[str] = set()
    for c in pycountry.countries:
        d.country_names[c.alpha_3] = getattr(c, "common_name", None) or c.name
    d.country_names.setdefault("XKX", "Kosovo")
    rows = load_csv("countries.csv")
    for r in rows:  # the first name a country has in countries.csv is the one shown ("Russia", not "Russian Federation")
        if r["kind"] == "name" and r["iso3"] not in shown:
            shown.add(r["iso3"])
            d.country_names[r["iso3"]] = r["alias"]
    # Names first so a capital never shadows a country name, then the curated actors.
    for kind in ("name", "demonym", "capital", "metonym"):
        for r in rows:
            if r["kind"] == kind:
                iso3 = r["iso3"].strip()
                sector = "GOV" if kind in ("capital", "metonym") else None
                d.add(r["alias"], Entry(d.country_name(iso3) or iso3, iso3, sector, kind, LABELS[kind]))
    for a in load_yaml("actors.yaml")["actors"]:
        kind = a.get("kind", "group")
        label = {"person": "PERSON"}.get(kind, "ORG")
        entry = Entry(a["name"], a.get("country"), a.get("sector"), kind, label)
        for alias in [a["name"], *a.get("aliases", [])]:
            d.add(alias, entry)
    for role in load_yaml("sectors.yaml")["roles"]:
        for term in role["terms"]:
            d.roles.setdefault(term.lower(), role["sector"])
    return d


@dataclass(frozen=True)
class Trigger:
    """One lexicon entry of data/triggers.yaml, expanded to a single lemma."""

    lemma: str  # may be several words: the head word plus its particle/object/compound
    pos: tuple[str, ...]
    type: str
    mode: str | None
    cameo: str
    acled: tuple[str, str] | None
    objects: frozenset[str] = frozenset()
    not_objects: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()
    modifiers: frozenset[str] = frozenset()
    not_modifiers: frozenset[str] = frozenset()
    not_verbs: frozenset[str] = frozenset()
    negated: bool = False
    speaker: bool = False
    predicate: bool = False  # an evaluation said of someone ("X was a dictator", "called X a hero")
    suffered: bool = False  # the subject undergoes it ("came under fire from X"): recipient, not actor
    actor_preps: frozenset[str] = frozenset()
    recipient_preps: frozenset[str] = frozenset()

    @cached_property
    def words(self) -> tuple[str, ...]:
        return tuple(self.lemma.split())


@dataclass
class TriggerLexicon:
    by_word: dict[str, list[Trigger]]
    defaults: dict[str, frozenset[str]]
    _by_pos: dict[tuple[str, str], list[Trigger]] = field(default_factory=dict)

    def candidates(self, word: str, pos: str) -> list[Trigger]:
        """The entries of a word a token of this part of speech can fire, in lexicon order (a
        proper noun may still be a capitalised common noun: triggers.matches decides). Remembered
        for the words of the lexicon only: a key per word met would grow with every name and number."""
        if word not in self.by_word:
            return []
        key = (word, pos)
        found = self._by_pos.get(key)
        if found is None:
            found = self._by_pos[key] = [t for t in self.by_word[word] if pos in t.pos or pos == "PROPN" and "NOUN" in t.pos]
        return found


@lru_cache(maxsize=1)
def load_triggers() -> TriggerLexicon:
    raw = load_yaml("triggers.yaml")
    defaults = {k: frozenset(v) for k, v in raw["defaults"].items()}
    by_word: dict[str, list[Trigger]] = {}
    sets = ("objects", "not_objects", "subjects", "modifiers", "not_modifiers", "not_verbs")
    for t in raw["triggers"]:
        shared = dict(  # one set of each kind per entry, shared by its lemmas
            pos=tuple(t["pos"]),
            type=t["type"],
            mode=t.get("mode"),
            cameo=str(t["cameo"]),
            acled=tuple(t["acled"]) if t.get("acled") else None,
            negated=bool(t.get("negated")),
            speaker=bool(t.get("speaker")),
            predicate=bool(t.get("predicate")),
            suffered=bool(t.get("suffered")),
            actor_preps=frozenset(t.get("actor_preps", [])),
            recipient_preps=frozenset(t.get("recipient_preps", [])),
            **{k: frozenset(w.lower() for w in t.get(k, [])) for k in sets},
        )
        for lemma in t["lemma"]:
            trig = Trigger(lemma=lemma.lower(), **shared)
            for word in set(trig.words):
                by_word.setdefault(word, []).append(trig)
    return TriggerLexicon(by_word, defaults)


@dataclass(frozen=True)
class CameoCode:
    code: str
    name: str
    goldstein: float | None


@lru_cache(maxsize=1)
def load_cameo() -> dict[str, CameoCode]:
    out = {}
    for r in load_csv("cameo.csv"):
        g = r.get("goldstein")
        out[r["cameo"]] = CameoCode(r["cameo"], r.get("name", ""), float(g) if g not in (None, "") else None)
    return out


def goldstein(code: str | None) -> float | None:
    """Goldstein score of a CAMEO code, falling back to its parent codes."""
    table = load_cameo()
    while code:
        if code in table and table[code].goldstein is not None:
            return table[code].goldstein
        code = code[:-1] if len(code) > 2 else None
    return None


@lru_cache(maxsize=1)
def load_plover() -> dict[str, Any]:
    return load_yaml("plover.yaml")


def plover_score(event_type: str, modes: list[str]) -> float | None:
    p = load_plover()
    for m in modes:
        score = p["modes"].get(event_type, {}).get(m)
        if score is not None:
            return float(score)
    t = p["types"].get(event_type)
    return float(t["score"]) if t else None
