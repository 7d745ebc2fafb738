"""read -> NLP -> the stages of code_document: documents in, events out, one batch of documents at a time.

`code_document` codes one parsed document by calling the stages below in order, each in a module
named for what it does (a module never imports a later stage's module: tests/test_layout.py).
Stages 2-12 are functions of (`Article`, candidates) -> candidates (candidates.py holds both
types); 13 turns candidates into groups, 14 groups into `Event` records, 15-16 re-read the events.

1. `context.build`: the article context, once (dateline place, weighted countries, people)
2. `triggers.find`: trigger words (data/triggers.yaml) whose constraints the parse meets
3. `event_dates.stated`: the date the trigger's clause states; "a day after" linked
4. `modality.classify`: asserted, negated, hypothetical, future, historical (data/modality.yaml)
5. `roles.choose`: actor and recipient from the trigger's clause -- change role choice here
   (roles.py; it walks the sentences with the coreference state, and holds the two conventions
   whose speaker is resolved the same way: "X said Y must" REQUEST, an organiser's strike THREATEN)
6. `event_places.locate`: the place of its clause, else its sentence, else the article's lead
7. `conventions.apply`: future cooperation is an intention, a court's order a ruling
8. `event_dates.resolve`: coming weekdays, dates relative to other events, the dateline by default
9. `missing_roles.fill`: roles and countries the clause does not state
10. `mentions.histories`: what tells more of a past event told just before it is history
11. `keep.with_a_side`: only mentions with someone who did it or had it done to them
12. `compound_roles.split`: "X and Y" act on each other; one event per recipient country
13. `mentions.fuse`: the mentions of one event in the article become one group
14. `records.build`: contract Event records (roles, date, place, casualties, ACLED, evidence)
15. `modality.dated_background`: events dated long before the dateline are history
16. `eventness.judge`: the trained judge re-reads every asserted event

Candidates are mutable records: each stage sets the fields it owns (roles: actors and recipients;
event_places: location; ...), and later stages read them.

A long text is cut (at paragraph boundaries, nlp.chunks) into parts of at most PART_CHARS
characters that are parsed and coded independently: the work per part is bounded, so the time
of an article grows linearly with its length. Evidence offsets and event ids stay those of the
whole document (every chunk carries its global offset).
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterable, Iterator
from datetime import date
from functools import lru_cache

from . import compound_roles, conventions, event_dates, event_places, eventness, facts, keep, mentions, missing_roles, modality, records, roles, triggers
from .candidates import Article
from .context import build as build_context
from .models import Document, Event
from .nlp import CHUNK_CHARS, Chunk, chunks, load_nlp, parse
from .timing import stage

CODER_VERSION = "0.5.0"  # bump when rules or data change what is extracted: stored documents are re-coded
PART_CHARS = CHUNK_CHARS  # a text longer than this is coded in independent parts of at most this size
PIPE_CHARS = 160_000  # about this many characters are parsed at once (spaCy's batch), whatever the part sizes
BATCH_CHARS = 400_000  # `ingest` commits a batch before it grows past this many characters


def code_document(doc: Document, chunks: list[Chunk], judge: bool = True) -> list[Event]:
    """The stages, in order (`judge=False` leaves out the last one, for training it)."""
    art = Article(doc.id, doc.text, doc.date, chunks, build_context(doc.text, chunks))
    cands = triggers.find(art)  # trigger words whose constraints the parse meets: one candidate each
    cands = event_dates.stated(art, cands)  # the date its clause states; a relative phrase linked
    cands = modality.classify(art, cands)  # asserted, negated, hypothetical, future or historical
    cands = roles.choose(art, cands)  # who did it to whom, from its clause; "X said Y must": X's REQUEST
    cands = event_places.locate(art, cands)  # where: its clause, its sentence, the article's lead
    cands = conventions.apply(art, cands)  # future cooperation is an intention, a court's order a ruling
    cands = event_dates.resolve(art, cands)  # dates relative to other events; the dateline by default
    cands = missing_roles.fill(art, cands)  # roles and countries the clause does not state
    cands = mentions.histories(art, cands)  # what tells more of a past event told just before is history
    kept = keep.with_a_side(art, cands)  # an event needs a side: someone who did it, or had it done
    kept = compound_roles.split(art, kept)  # "X and Y agreed": one event each way; one per recipient country
    groups = mentions.fuse(kept)  # the mentions of one event in the article
    events = records.build(art, groups, cands)  # Event records (all candidates say whose a casualty figure is)
    events = modality.dated_background(events, art.dateline)  # dated long before the dateline: history
    return eventness.judge(events, chunks, art.dateline) if judge else events  # the trained judge re-reads them


WARM_UP = Document(
    id="warm-up", date=date(2024, 1, 17),
    text="KABUL, Jan 17 - Police arrested two men on Tuesday after a bomb killed three people in a market in Kabul on Jan. 15, officials said.",
)


def warm_up() -> None:
    """Load what the pipeline loads on first use (model, gazetteer, lexicons, date parser, the judge)
    by coding one short article (its written-out date readies dateparser, ~0.1 s CPU on first use),
    and compile every casualty pattern (`extract` of a short text compiles only those it needs):
    `bench` counts that as start-up, not as throughput. What is loaded then lives as long as the
    process: it is frozen out of the cyclic garbage collector, whose full passes would otherwise
    walk its ~300k objects again and again while documents are coded (0.3-0.4 s CPU per 300 bench
    articles). At exit they are handed back to the collector, so that shutdown frees them as usual
    (DuckDB's bindings report the objects still alive then as leaks)."""
    for _ in extract([WARM_UP]):
        pass
    facts.patterns().compile_all()
    gc.collect()
    gc.freeze()
    unfreeze_at_exit()


@lru_cache(maxsize=1)
def unfreeze_at_exit() -> None:
    atexit.register(gc.unfreeze)  # once per process, however often warm_up runs


def batched(items: Iterable, size: int, max_chars: int | None = None) -> Iterator[list]:
    """Lists of at most `size` items; with `max_chars`, a document that would take a batch over
    that many characters of text starts a new one (a long article is stored in a batch of its own,
    after the documents read before it)."""
    batch: list = []
    chars = 0
    for it in items:
        n = len(it.text) if max_chars else 0
        if batch and max_chars and chars + n > max_chars:
            yield batch
            batch, chars = [], 0
        batch.append(it)
        chars += n
        if len(batch) >= size:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def extract(docs: Iterable[Document], batch_size: int = 16) -> Iterator[tuple[Document, list[Event]]]:
    nlp = load_nlp()
    for batch in batched(docs, batch_size):
        parts = [(i, off, text) for i, d in enumerate(batch) for off, text in chunks(d.text, PART_CHARS)]
        events: list[Event] = []
        current = 0
        pipe_batch = max(1, min(32, PIPE_CHARS // max(len(t) for _, _, t in parts)))
        parsed = parse((t for _, _, t in parts), nlp, batch_size=pipe_batch)
        for i, off, _ in parts:
            with stage("parse"):
                part = next(parsed)
            if i != current:
                yield batch[current], events
                current, events = i, []
            for c in part:
                c.offset += off
            with stage("code"):
                events += code_document(batch[i], part)
        yield batch[current], events
