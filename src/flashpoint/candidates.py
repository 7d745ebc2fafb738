"""What flows between the stages of `pipeline.code_document`: the article being coded (`Article`)
and the events as found in its sentences (`Candidate`), before the mentions of one event are fused
into a contract `Event` (models.py); and the small helpers every stage reads them with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from spacy.tokens import Span, Token

from .context import ArticleContext
from .lexicon import Trigger
from .models import Actor, Location
from .nlp import Chunk
from .spans import sentence_of

VIOLENT = {"ASSAULT", "COERCE", "PROTEST", "MOBILIZE"}
VERBAL = {"AGREE", "CONSULT", "SUPPORT", "CONCEDE", "REQUEST", "ACCUSE", "REJECT", "THREATEN", "SANCTION"}  # said, not done
PRECISION_RANK = {"day": 0, "week": 1, "month": 2, "year": 3, "unknown": 4}


@dataclass
class Article:
    """What every stage may read about the document being coded."""

    id: str
    text: str
    dateline: date | None  # the day the article was filed
    chunks: list[Chunk]  # its parsed parts, each with its offset in the text
    context: ArticleContext  # built once (context.py): dateline place, countries, people


@dataclass
class Candidate:
    """An event as found in one sentence, before fusion with its other mentions in the document.
    `triggers.find` makes it; each later stage sets the fields named for it below."""

    trig: Trigger  # triggers.find; conventions (roles.choose, conventions.apply) may change its type
    token: Token
    offset: int  # chunk offset in the document
    actors: list[Actor] = field(default_factory=list)  # roles.choose, then missing_roles.fill
    recipients: list[Actor] = field(default_factory=list)  # roles.choose, then missing_roles.fill
    modality: str = "asserted"  # modality.classify (conventions reset it to asserted; mentions.histories to historical)
    date: date | None = None  # event_dates.stated, then event_dates.resolve
    date_precision: str = "unknown"
    date_text: str | None = None
    relative: tuple[int, int] | None = None  # (days, index of the candidate it is relative to): event_dates.stated
    convention: str | None = None  # the PLOVER convention that set its type and modality (conventions.intentions)
    objects: frozenset[str] = frozenset()  # the objects that made a constrained entry fire (ambassador, delegation)
    sentence_countries: frozenset[str] = frozenset()  # the countries its sentence names (roles.choose)
    location: Location | None = None  # event_places.locate: the place of its clause
    nearby: Location | None = None  # no place in its clause: the place of its sentence
    lead: Location | None = None  # the article's lead place (its dateline, the first place it names)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # trigger, sentence (triggers.find); actor, recipient (roles.choose)
    actor_tokens: list[Token] = field(default_factory=list)  # the head of the phrase its actor came from (roles.choose)

    @property
    def sentence(self) -> Span:
        return sentence_of(self.token)

    def char_span(self, tokens: list[Token] | Token | Span) -> tuple[int, int]:
        if isinstance(tokens, Token):
            tokens = [tokens]
        tokens = list(tokens)
        return self.offset + tokens[0].idx, self.offset + tokens[-1].idx + len(tokens[-1])


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
