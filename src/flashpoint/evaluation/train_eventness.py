"""`flashpoint train eventness`: rebuild data/eventness/model.json from the labels.

The labels (data/eventness/labels.jsonl) name a document of the shared TR-News or LGL corpus
(`trnNNN`/`lglNNN`: the article's index in ../shared/eval/geo/tr_news.xml or lgl.xml), the
character offset of the coder's trigger and its type; the texts are read from ../shared, never
copied. The articles scored by `flashpoint eval realnews` are never used. Training runs the
coder without the judge, finds each labelled event again by (document, trigger offset, type),
and fits a multinomial logistic regression (scikit-learn, a dev dependency); the decision
threshold on P(event) is chosen by cross-validation grouped by article.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..eventness import DROP_THRESHOLD, LABELS, MODEL_FILE, Model, article, features, token_at
from ..models import Document
from ..nlp import load_nlp, parse
from ..pipeline import code_document
from ..readers import parse_date

CORPORA = {"trn": "tr_news.xml", "lgl": "lgl.xml"}
DENSE_SCALE = 0.5  # the vectors' weight beside the named features
# A real event of another type is still a real event to this judge (the type is the coder's business);
# the rarer labels are learned at their natural weight (balancing them over-predicted them).
MERGED = {"wrong_type": "event"}


def labels_path() -> Path:
    return Path(str(resources.files("flashpoint").joinpath("data", "eventness", "labels.jsonl")))


def corpus_documents(shared: Path, wanted: set[str]) -> list[Document]:
    """The wanted `trnNNN`/`lglNNN` articles, with their download date as dateline where it is a date."""
    held = {json.loads(line)["id"] for line in (shared / "gold" / "realnews" / "docs.jsonl").read_text().splitlines() if line.strip()}
    docs = []
    for prefix, name in CORPORA.items():
        if not any(w.startswith(prefix) for w in wanted):
            continue
        for i, a in enumerate(ET.parse(shared / "eval" / "geo" / name).getroot().iter("article")):
            did = f"{prefix}{i:03d}"
            if did not in wanted or did in held:
                continue
            try:
                dl = parse_date((a.findtext("dltime") or "").strip()[:10]) if (a.findtext("dltime") or "").strip() else None
            except ValueError:
                dl = None
            docs.append(Document(id=did, text=a.findtext("text") or "", date=dl, title=(a.findtext("title") or "").strip() or None))
    return docs


@dataclass
class Example:
    doc: str
    label: str
    sparse: dict[str, float]
    dense: np.ndarray


def label_of(ev, doc_id: str, by_key: dict, by_start: dict) -> dict | None:
    """The label of a coded event: the one given to its trigger and type; else to its trigger under
    another type (what the word denotes in its sentence does not change with the type the rules
    give it, and a real event of another type is an event to the judge); else to another mention
    fused into it (its first trigger moved when the coder's fusion changed)."""
    if ev.trigger is None:
        return None
    exact = by_key.get((doc_id, ev.trigger.start, ev.event_type))
    if exact is not None:
        return exact
    starts = [ev.trigger.start] + [e.start for e in ev.evidence if e.role == "trigger" and e.start != ev.trigger.start]
    return next((by_start[(doc_id, s)] for s in starts if (doc_id, s) in by_start), None)


def collect(shared: Path, labels: list[dict]) -> tuple[list[Example], int]:
    """Features of every labelled event the coder (without the judge) still produces; and how many labels it no longer does."""
    by_key = {(r["doc"], r["trigger_start"], r["event_type"]): r for r in labels}
    by_start = {(r["doc"], r["trigger_start"]): r for r in labels}
    docs = corpus_documents(shared, {r["doc"] for r in labels})
    out, seen, used = [], set(), set()
    for doc, chunks in zip(docs, parse((d.text for d in docs), load_nlp())):
        events = code_document(doc, chunks, judge=False)
        art = article(chunks, doc.date, len(events))
        for ev in events:
            r = label_of(ev, doc.id, by_key, by_start)
            tok = token_at(chunks, ev.trigger.start) if ev.trigger else None
            key = (doc.id, ev.trigger.start if ev.trigger else None)
            if r is None or tok is None or key in seen:
                continue  # one example per trigger (an event split per recipient is one judgement)
            seen.add(key)
            used.add((r["doc"], r["trigger_start"]))
            f, dense = features(ev, tok, art)
            out.append(Example(doc.id, MERGED.get(r["label"], r["label"]), f, dense))
    return out, len(labels) - len(used)


def fit(examples: list[Example], c: float):
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer()
    xs = vec.fit_transform([e.sparse for e in examples])
    x = hstack([xs, csr_matrix(np.stack([e.dense for e in examples]) * DENSE_SCALE)]).tocsr()
    y = [e.label for e in examples]
    clf = LogisticRegression(C=c, max_iter=3000)
    clf.fit(x, y)
    return vec, clf


def to_model(vec, clf, threshold: float) -> Model:
    order = [list(clf.classes_).index(lab) if lab in clf.classes_ else None for lab in LABELS]
    coef = np.zeros((clf.coef_.shape[1], len(LABELS)), dtype="float32")
    intercept = np.full(len(LABELS), -30.0, dtype="float32")  # a label never seen is never chosen
    for j, k in enumerate(order):
        if k is not None:
            coef[:, j] = clf.coef_[k]
            intercept[j] = clf.intercept_[k]
    n = len(vec.feature_names_)
    sparse = {name: coef[i] for i, name in enumerate(vec.feature_names_) if np.abs(coef[i]).max() > 1e-4}
    return Model(list(LABELS), sparse, coef[n:] * DENSE_SCALE, intercept, threshold, DROP_THRESHOLD)


def cross_validate(examples: list[Example], c: float, folds: int = 5) -> np.ndarray:
    """Out-of-fold P(event), folds grouped by article."""
    docs = sorted({e.doc for e in examples})
    fold_of = {d: i % folds for i, d in enumerate(docs)}
    p = np.zeros(len(examples))
    for k in range(folds):
        train = [e for e in examples if fold_of[e.doc] != k]
        test = [i for i, e in enumerate(examples) if fold_of[e.doc] == k]
        model = to_model(*fit(train, c), 0.5)
        for i in test:
            p[i] = model.proba(examples[i].sparse, examples[i].dense)[0]
    return p


def choose_threshold(examples: list[Example], p: np.ndarray, beta: float = 1.0) -> tuple[float, dict[str, float]]:
    """The threshold on P(event) with the best F-beta of keeping real events (cross-validated)."""
    gold = np.array([e.label == "event" for e in examples])
    best = (0.5, {"f": -1.0})
    for t in np.arange(0.2, 0.8, 0.025):
        kept = p >= t
        tp = float((kept & gold).sum())
        prec = tp / kept.sum() if kept.sum() else 0.0
        rec = tp / gold.sum() if gold.sum() else 0.0
        f = (1 + beta**2) * prec * rec / (beta**2 * prec + rec) if prec + rec else 0.0
        if f > best[1]["f"]:
            best = (round(float(t), 3), {"f": f, "precision": prec, "recall": rec})
    return best


def train(shared: Path, c: float | None = None, out: Path | None = None) -> dict[str, object]:
    labels = [json.loads(line) for line in labels_path().read_text(encoding="utf-8").splitlines() if line.strip()]
    examples, lost = collect(shared, labels)
    report: dict[str, object] = {"labels": len(labels), "examples": len(examples), "labels_not_found": lost,
                                 "by_label": {lab: sum(e.label == lab for e in examples) for lab in LABELS}}
    grid = [c] if c else [0.03, 0.1, 0.3, 1.0]
    scores = {}
    for cc in grid:
        p = cross_validate(examples, cc)
        scores[cc] = (choose_threshold(examples, p), p)
    best_c = max(scores, key=lambda k: scores[k][0][1]["f"])
    (threshold, cv), _ = scores[best_c]
    model = to_model(*fit(examples, best_c), threshold)
    target = out or Path(str(resources.files("flashpoint").joinpath(*MODEL_FILE)))
    target.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
    report.update({"C": best_c, "threshold": threshold, "cv": {k: round(v, 3) for k, v in cv.items()},
                   "cv_by_C": {str(k): round(v[0][1]["f"], 3) for k, v in scores.items()}, "written": str(target)})
    return report
