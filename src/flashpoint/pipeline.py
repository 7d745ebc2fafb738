"""read -> NLP -> code -> assemble: documents in, events out, one batch of documents at a time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .assemble import assemble
from .coder import Coder
from .eventness import judge as judge_events
from .modality import dated_background
from .models import Document, Event
from .nlp import Chunk, load_nlp, parse

CODER_VERSION = "0.2.0"  # bump when rules or data change what is extracted: stored documents are re-coded


def code_document(doc: Document, chunks: list[Chunk], judge: bool = True) -> list[Event]:
    coder = Coder(doc.date)
    cands = coder.code(chunks)
    events = dated_background(assemble(doc.id, doc.text, doc.date, cands, coder.country_counts), doc.date)
    return judge_events(events, chunks, doc.date) if judge else events


def batched(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for it in items:
        batch.append(it)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def extract(docs: Iterable[Document], batch_size: int = 16) -> Iterator[tuple[Document, list[Event]]]:
    nlp = load_nlp()
    for batch in batched(docs, batch_size):
        for doc, chunks in zip(batch, parse((d.text for d in batch), nlp)):
            yield doc, code_document(doc, chunks)
