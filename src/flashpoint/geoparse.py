"""Toponyms of a document: spaCy place entities resolved against the offline gazetteer, with the
countries the document mentions as context (Issue 6 deepens recognition and disambiguation)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .nlp import Chunk
from .places import resolve

PLACE_LABELS = {"GPE", "LOC", "FAC"}


def toponyms(chunks: list[Chunk]) -> list[dict[str, Any]]:
    ents = [(c.offset, e) for c in chunks for e in c.doc.ents if e.label_ in PLACE_LABELS]
    context: Counter = Counter()
    resolved = []
    for off, e in ents:
        loc = resolve(e.text, context)
        if loc:
            context[loc.country] += 1
        resolved.append((off, e, loc))
    out = []
    for off, e, loc in resolved:
        loc = resolve(e.text, context) or loc  # second pass: the whole document as context
        if loc is None:
            continue
        out.append({
            "text": e.text, "start": off + e.start_char, "end": off + e.end_char, "name": loc.name,
            "country": loc.country, "admin1": loc.admin1, "lat": loc.lat, "lon": loc.lon,
            "geonameid": loc.geonameid, "feature_code": loc.feature_code,
        })
    return out
