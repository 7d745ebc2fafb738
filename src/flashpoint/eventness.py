"""Is a coded event real? A trained judge over the coder's events.

The rules find candidates by trigger words; whether the word denotes an event that the article
asserts, in this sentence, is learned from labelled examples (data/eventness/labels.jsonl: the
coder's events on real articles of the shared TR-News and LGL corpora, none of them scored by
`flashpoint eval realnews`, each labelled event / not_event / wrong_type / historical / future /
hypothetical / negated). A multinomial logistic regression over explainable features (the trigger
and its type, its place in the parse, tense and modal cues, time words, the roles found, the
article's lead) and the spaCy vectors of the sentence and trigger decides:

- event (P(event) at or above `threshold`, chosen by cross-validation): the event stays asserted;
- historical / future / hypothetical / negated (the likeliest other label): it takes that modality;
- not_event: the event is dropped, but only when P(event) is below `drop_threshold` (the judge is
  sure: the word is another sense, an accident or a disaster, a description); otherwise it stays.
  (wrong_type is learned as event: a real event of another type is the coder's business.)

The model is data (data/eventness/model.json); `flashpoint train eventness` rebuilds it from the
labels and the shared corpora. Inference is a dot product: no learning library at run time.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from spacy.tokens import Doc, Span, Token

from .modality import cues
from .models import Event
from .nlp import Chunk
from .spans import sentence_of, text_of

LABELS = ["event", "not_event", "wrong_type", "historical", "future", "hypothetical", "negated"]
MODALITIES = {"historical", "future", "hypothetical", "negated"}
# Dropping an event loses it for good: only when the judge is sure (kept the seed article's 12 real
# events, of which cross-validation's own threshold dropped four).
DROP_THRESHOLD = 0.1
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
TIME_WORDS = ("since", "ago", "previously", "earlier", "former", "formerly", "once", "last year", "in the past",
              "years", "decades", "history", "used to", "still", "every", "often", "usually", "again", "already")
TIME_PATTERNS = [(w, re.compile(rf"\b{w}\b")) for w in TIME_WORDS]
QUOTES = "\"“”"


@dataclass
class Article:
    """What the judge knows of the whole article: its dateline, its lead and how much it codes."""

    dateline: date | None
    lead: np.ndarray  # mean vector of the first sentences (the article's topic)
    n_events: int
    n_sentences: int


def article(chunks: list[Chunk], dateline: date | None, n_events: int) -> Article:
    """The lead's sentences are those `sentence_of` gives (their vectors are computed once, also
    for `features`); sentences are counted from the starts `sentence_index` lists."""
    starts = [(c.doc, i) for c in chunks for i in sentence_starts(c.doc)]
    lead = [v for v in (sentence_vector(sentence_of(doc[i])) for doc, i in starts[:4]) if (v * v).sum() != 0.0]  # Span.vector_norm != 0
    vec = np.mean(lead, axis=0) if lead else np.zeros(width(chunks), dtype="float32")
    return Article(dateline, vec, n_events, len(starts))


def width(chunks: list[Chunk]) -> int:
    return chunks[0].doc.vocab.vectors.shape[1] if chunks and chunks[0].doc.vocab.vectors.shape[1] else 300


def token_at(chunks: list[Chunk], start: int) -> Token | None:
    for c in chunks:
        if len(c.doc) and c.offset <= start < c.offset + c.doc[-1].idx + len(c.doc[-1].text_with_ws):
            span = c.doc.char_span(start - c.offset, start - c.offset + 1, alignment_mode="expand")
            return span[0] if span is not None and len(span) else None
    return None


def governor(tok: Token) -> Token:
    """The verb that carries tense and modality for the trigger (its own, or its light verb's)."""
    t = tok
    for _ in range(3):
        if t.pos_ in ("VERB", "AUX") and t.dep_ not in ("xcomp", "amod", "compound"):
            return t
        if t.head.i == t.i:
            return t
        t = t.head
    return t


def bucket(n: int, edges: tuple[int, ...]) -> str:
    for e in edges:
        if n <= e:
            return f"<={e}"
    return f">{edges[-1]}"


def features(ev: Event, tok: Token, art: Article) -> tuple[dict[str, float], np.ndarray]:
    """Named (sparse) features and the dense vector block for one event."""
    c = cues()
    sent = sentence_of(tok)  # one Span per sentence of the chunk: its vector is computed once
    lemma, typ = tok.lemma_.lower(), ev.event_type
    gov = governor(tok)
    f: dict[str, float] = {
        f"type={typ}": 1, f"lemma={lemma}": 1, f"type_lemma={typ}|{lemma}": 1,
        f"pos={tok.pos_}": 1, f"tag={tok.tag_}": 1, f"dep={tok.dep_}": 1, f"head_dep={tok.head.dep_}": 1,
        f"head_lemma={tok.head.lemma_.lower()}": 1, f"gov_tag={gov.tag_}": 1, f"gov_dep={gov.dep_}": 1,
        f"coder_modality={ev.modality}": 1, f"mode={'|'.join(ev.mode) or '-'}": 1,
        f"capitalised={tok.text[:1].isupper() and tok.i != sent.start}": 1,
        f"sentence_index={bucket(sentence_index(sent), (0, 1, 3, 8))}": 1,
        f"sentence_len={bucket(len(sent), (8, 15, 30, 50))}": 1,
        f"article_events={bucket(art.n_events, (1, 3, 8, 20))}": 1,
        "confidence": ev.confidence,
    }
    for role, people in (("actor", ev.actor), ("recipient", ev.recipient)):
        f[f"{role}_n={min(len(people), 3)}"] = 1
        if people:
            p = people[0]
            f[f"{role}_country={bool(p.country)}"] = 1
            f[f"{role}_sector={p.sector or '-'}"] = 1
            f[f"{role}_proper={p.text[:1].isupper()}"] = 1
    aux = {ch.lower_ for t in {tok, gov} for ch in t.children if ch.dep_ in ("aux", "auxpass", "neg", "mark", "advmod")}
    for a in aux:
        f[f"aux={a}"] = 1
    if aux & c["negation"]:
        f["negated_aux"] = 1
    if gov.head.i != gov.i and gov.dep_ in ("xcomp", "ccomp", "advcl", "relcl", "acl", "pcomp", "csubj"):
        f[f"under={gov.dep_}|{gov.head.lemma_.lower()}"] = 1
        f[f"under_dep={gov.dep_}"] = 1
    said = text_of(sent)
    text = said.lower()
    for w, rx in TIME_PATTERNS:
        if w in text and rx.search(text):  # the regex only where the word is
            f[f"time_word={w}"] = 1
    if art.dateline:
        years = [int(y) for y in YEAR.findall(said)]
        if any(y < art.dateline.year for y in years):
            f["past_year"] = 1
        if any(y == art.dateline.year for y in years):
            f["this_year"] = 1
    before = said[: tok.idx - sent.start_char]
    if sum(before.count(q) for q in QUOTES) % 2 or before.count("'") % 2 and "'" in said[tok.idx - sent.start_char:]:
        f["in_quote"] = 1
    if said.rstrip().endswith("?"):
        f["question"] = 1
    if any(t.lemma_ in c["speech_verbs"] for t in sent if t.dep_ == "ROOT"):
        f["reported_speech"] = 1
    for t in sent:
        if t.ent_type_ in ("DATE", "TIME") and t.ent_iob_ == "B":
            f["has_date"] = 1
            break
    dense = np.concatenate([unit(sentence_vector(sent)), unit(tok.vector), unit(art.lead)]).astype("float32")
    return f, dense


def sentence_starts(doc: Doc) -> list[int]:
    """The first token of each sentence of a chunk, listed once per chunk."""
    starts = doc.user_data.get("flashpoint_sent_starts")
    if starts is None:
        starts = doc.user_data["flashpoint_sent_starts"] = [s.start for s in doc.sents]
    return starts


def sentence_vector(sent: Span) -> np.ndarray:
    """`sent.vector`, the mean of its tokens' vectors, remembered per chunk and summed by numpy from
    the rows of the vector table (`Span.vector` makes a Lexeme and looks up a vector per token, in
    Python): the same float32 additions in the same order (a word without a vector adds zeros), so
    the same bits."""
    memo = sent.doc.user_data.setdefault("flashpoint_sent_vectors", {})
    vec = memo.get(sent.start)
    if vec is None:
        vectors = sent.doc.vocab.vectors
        keys = sent.doc.user_data.get("flashpoint_vector_keys")
        if keys is None:
            keys = sent.doc.user_data["flashpoint_vector_keys"] = sent.doc.to_array(vectors.attr).tolist()
        rows = np.array([vectors.key2row.get(k, -1) for k in keys[sent.start : sent.end]], dtype=np.intp)
        toks = vectors.data[rows]
        toks[rows < 0] = 0.0
        vec = memo[sent.start] = np.add.reduce(toks, axis=0, initial=0.0) / len(sent)
    return vec


def sentence_index(sent: Span) -> int:
    """How many sentences of its chunk come before this one."""
    return bisect_left(sentence_starts(sent.doc), sent.start)


def unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n else v


@dataclass
class Model:
    labels: list[str]
    sparse: dict[str, np.ndarray]  # feature -> weight per label
    dense: np.ndarray  # (dims, labels)
    intercept: np.ndarray
    threshold: float  # P(event) below which an event is not kept asserted
    drop_threshold: float  # P(event) below which a non-event is dropped

    def proba(self, f: dict[str, float], dense: np.ndarray) -> np.ndarray:
        z = self.intercept + (dense @ self.dense if self.dense.size else 0)
        for k, v in f.items():
            w = self.sparse.get(k)
            if w is not None:
                z = z + v * w
        z = z - z.max()
        e = np.exp(z)
        return e / e.sum()

    def to_json(self) -> dict[str, Any]:
        return {"labels": self.labels, "threshold": self.threshold, "drop_threshold": self.drop_threshold,
                "intercept": self.intercept.round(5).tolist(),
                "sparse": {k: v.round(5).tolist() for k, v in sorted(self.sparse.items())}, "dense": self.dense.round(5).tolist()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Model":
        return cls(d["labels"], {k: np.asarray(v, dtype="float32") for k, v in d["sparse"].items()},
                   np.asarray(d["dense"], dtype="float32"), np.asarray(d["intercept"], dtype="float32"), float(d["threshold"]),
                   float(d.get("drop_threshold", DROP_THRESHOLD)))


MODEL_FILE = ("data", "eventness", "model.json")


@lru_cache(maxsize=1)
def load_model() -> Model | None:
    path = resources.files("flashpoint").joinpath(*MODEL_FILE)
    if not path.is_file():
        return None
    return Model.from_json(json.loads(path.read_text(encoding="utf-8")))


def decide(p: np.ndarray, model: Model) -> str:
    """event when P(event) reaches the threshold, else the likeliest other label; a non-event only
    below the drop threshold (between the two, the event stays)."""
    probs = dict(zip(model.labels, p.tolist()))
    if probs["event"] >= model.threshold:
        return "event"
    other = max((lab for lab in model.labels if lab != "event"), key=probs.__getitem__)
    return other if other in MODALITIES or probs["event"] < model.drop_threshold else "event"


def judge(events: list[Event], chunks: list[Chunk], dateline: date | None, model: Model | None = None) -> list[Event]:
    """Keep, re-label or drop each asserted event by the trained judge (no model file: events pass
    unchanged). What the coder's rules already read as negated, hypothetical, future or historical
    stays so; an event asserted by a PLOVER convention (an announced intention) may only be dropped
    as a non-event, never re-labelled."""
    model = model or load_model()
    if model is None or not events:
        return events
    art = article(chunks, dateline, len(events))
    out = []
    for ev in events:
        tok = token_at(chunks, ev.trigger.start) if ev.trigger else None
        if ev.modality != "asserted" or tok is None:
            out.append(ev)
            continue
        f, dense = features(ev, tok, art)
        verdict = decide(model.proba(f, dense), model)
        if verdict in MODALITIES and not ev.convention:
            ev.modality = verdict
        if verdict == "event" or verdict in MODALITIES:
            out.append(ev)
    return out
