"""The ACLED event type / sub-event type of a coded event, by the rules of data/acled.yaml, and its
PLOVER contexts, by the cue words of data/contexts.yaml.

The rules look at the event's PLOVER type and mode, the words of the sentences that state it and
the sectors of its actors; the first rule that matches wins, so every category can be explained
by the rule and the cue word that gave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .lexicon import WordsPattern, load_yaml, words_pattern
from .models import Actor

CONDITIONS = ("types", "modes", "cues", "not_cues", "context", "actor_sectors", "not_actor_sectors", "recipient_sectors")


@dataclass(frozen=True)
class Rule:
    sub: str
    event: str
    types: frozenset[str] = frozenset()
    modes: frozenset[str] = frozenset()
    cues: WordsPattern | None = None
    not_cues: WordsPattern | None = None
    context: WordsPattern | None = None
    actor_sectors: frozenset[str] = frozenset()
    not_actor_sectors: frozenset[str] = frozenset()
    recipient_sectors: frozenset[str] = frozenset()


@lru_cache(maxsize=1)
def load_rules() -> list[Rule]:
    out = []
    for r in load_yaml("acled.yaml")["rules"]:
        unknown = set(r) - {"sub", "event", *CONDITIONS}
        if unknown:
            raise ValueError(f"acled.yaml: rule {r['sub']!r} has unknown fields {sorted(unknown)}")
        out.append(
            Rule(
                sub=r["sub"], event=r["event"],
                types=frozenset(r.get("types", [])), modes=frozenset(r.get("modes", [])),
                cues=words_pattern(r.get("cues")), not_cues=words_pattern(r.get("not_cues")),
                context=words_pattern(r.get("context")),
                actor_sectors=frozenset(r.get("actor_sectors", [])),
                not_actor_sectors=frozenset(r.get("not_actor_sectors", [])),
                recipient_sectors=frozenset(r.get("recipient_sectors", [])),
            )
        )
    return out


def matches(rule: Rule, event_type: str, modes: set[str], text: str, a_sec: set[str], r_sec: set[str]) -> bool:
    """`a_sec`, `r_sec`: the sectors of the event's actors and recipients."""
    return (
        (not rule.types or event_type in rule.types)
        and (not rule.modes or bool(rule.modes & modes))
        and (rule.cues is None or bool(rule.cues.search(text)))
        and (rule.not_cues is None or not rule.not_cues.search(text))
        and (rule.context is None or bool(rule.context.search(text)))
        and (not rule.actor_sectors or bool(rule.actor_sectors & a_sec))
        and not (rule.not_actor_sectors & a_sec)
        and (not rule.recipient_sectors or bool(rule.recipient_sectors & r_sec))
    )


@lru_cache(maxsize=1)
def load_contexts() -> dict[str, WordsPattern]:
    return {name: words_pattern(cues) for name, cues in load_yaml("contexts.yaml")["contexts"].items()}


def contexts(text: str, lemmas: str) -> list[str]:
    """The PLOVER contexts whose cue words the event's sentences contain (data/contexts.yaml)."""
    return list(_contexts(f"{text.lower()} \n {lemmas.lower()}"))


@lru_cache(maxsize=4096)
def _contexts(haystack: str) -> tuple[str, ...]:  # the events of one sentence share it
    return tuple(name for name, pattern in load_contexts().items() if pattern.search(haystack))


def classify(
    event_type: str, modes: list[str], text: str, lemmas: str, actors: list[Actor], recipients: list[Actor],
    default: tuple[str, str] | None = None,
) -> dict[str, str] | None:
    """{"event_type", "sub_event_type"} of the first matching rule, else the trigger's default pair.
    `text` and `lemmas` are the event's sentences as written and as lemmas; cues match either."""
    haystack = f"{text.lower()} \n {lemmas.lower()}"
    mode_set = set(modes)
    a_sec = {a.sector for a in actors if a.sector}
    r_sec = {a.sector for a in recipients if a.sector}
    for rule in load_rules():
        if matches(rule, event_type, mode_set, haystack, a_sec, r_sec):
            return {"event_type": rule.event, "sub_event_type": rule.sub}
    return {"event_type": default[0], "sub_event_type": default[1]} if default else None
