"""read -> NLP -> code -> assemble: documents in, events out, one batch of documents at a time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .assemble import assemble
from .coder import Coder
from .context import build as build_context
from .models import Document, Event
from .nlp import Chunk, load_nlp, parse

CODER_VERSION = "0.2.0"  # bump when rules or data change what is extracted: stored documents are re-coded


def code_document(doc: Document, chunks: list[Chunk]) -> list[Event]:
    context = build_context(doc.text, chunks)  # once per document: dateline, countries, people
    coder = Coder(doc.date, context)
    cands = coder.code(chunks)
    return assemble(doc.id, doc.text, doc.date, cands, coder.country_counts, context)


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
