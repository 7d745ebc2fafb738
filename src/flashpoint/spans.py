"""What a parsed chunk lists once and the stages ask for again and again: the sentence of a token,
the chunk's text and a span's text cut from it, the chunk's entities and those inside a span. Each
is kept in the Doc's user_data (spaCy rebuilds `Token.sent`, `Span.text` and `Span.ents` on every call)."""

from __future__ import annotations

from bisect import bisect_left

from spacy.tokens import Doc, Span, Token


def sentence_of(tok: Token) -> Span:
    """`tok.sent` from an index built once per parsed chunk (`Token.sent` walks the sentence on
    every call, and candidates ask for it again and again)."""
    sents = tok.doc.user_data.get("flashpoint_sents")
    if sents is None:
        sents = tok.doc.user_data["flashpoint_sents"] = [s for s in tok.doc.sents for _ in s]
    return sents[tok.i]


def chunk_text(doc: Doc) -> str:
    """`doc.text`, joined once per chunk (`Doc.text` joins every token on each call)."""
    text = doc.user_data.get("flashpoint_text")
    if text is None:
        text = doc.user_data["flashpoint_text"] = doc.text
    return text


def text_of(span: Span) -> str:
    """`span.text`, cut from the chunk's text: `Span.text` joins the span's tokens on every call, and
    the stages read a sentence's text again and again."""
    return chunk_text(span.doc)[span.start_char : span.end_char]


def entities(doc: Doc) -> tuple[list[int], list[Span]]:
    """All the chunk's entities and their starts, listed once per chunk (`doc.ents` makes a Span of
    every entity on each call)."""
    found = doc.user_data.get("flashpoint_ents")
    if found is None:
        ents = list(doc.ents)
        found = doc.user_data["flashpoint_ents"] = ([e.start for e in ents], ents)
    return found


def ents_within(span: Span) -> list[Span]:
    """`span.ents` (the entities wholly inside the span) from the chunk's list: `Span.ents` walks
    every entity of the chunk before it on each call."""
    starts, ents = entities(span.doc)
    out = []
    for e in ents[bisect_left(starts, span.start) :]:
        if e.end > span.end:
            break
        out.append(e)
    return out
