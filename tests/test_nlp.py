"""The NLP stage's memoised stand-ins for the model's attribute ruler and lemmatizer must set exactly
what the model's own components set, on real text (the demo corpus and the real-news articles)."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from flashpoint.evaluation.bench import bare_model
from flashpoint.nlp import MemoAttributeRuler, MemoLemmatizer, load_nlp
from flashpoint.readers import read_paths

from .conftest import SHARED


@pytest.fixture(scope="module")
def texts() -> list[str]:
    docs = [d.text for d in read_paths([resources.files("flashpoint").joinpath("data", "demo")]) if hasattr(d, "text")]
    realnews = SHARED / "gold" / "realnews" / "docs.jsonl"
    if realnews.exists():
        docs += [json.loads(line)["text"] for line in realnews.open()]
    return docs


def annotations(doc) -> list[tuple[str, str, str]]:
    return [(t.pos_, str(t.morph), t.lemma_) for t in doc]


def test_memoised_ruler_and_lemmatizer_set_what_the_models_components_set(texts):
    model = bare_model()
    assert MemoAttributeRuler.memoisable(model.get_pipe("attribute_ruler"))
    before = ("tok2vec", "tagger", "parser")
    ruler, lemmatizer = model.get_pipe("attribute_ruler"), model.get_pipe("lemmatizer")
    memo_ruler, memo_lemmatizer = MemoAttributeRuler(ruler), MemoLemmatizer(lemmatizer)
    with model.select_pipes(enable=list(before)):
        parsed = list(model.pipe(texts))
    tokens = 0
    for _ in range(2):  # a cold memo, then a warm one
        for doc in parsed:
            ours = memo_lemmatizer(memo_ruler(doc.copy()))
            theirs = lemmatizer(ruler(doc.copy()))
            assert annotations(ours) == annotations(theirs)
            tokens += len(doc)
    assert tokens > 20_000 and memo_ruler.memo and memo_lemmatizer.memo
    assert {"n't", "'s"} <= memo_ruler.named[0]


def test_the_pipeline_uses_the_memoised_components():
    names = load_nlp().pipe_names
    assert "memo_attribute_ruler" in names and "attribute_ruler" not in names
    assert names.index("memo_lemmatizer") == names.index("memo_attribute_ruler") + 1


def parses(docs) -> list[list[tuple]]:
    return [[(t.tag_, t.dep_, t.head.i, t.ent_iob_, t.ent_type_, t.is_sent_start) for t in d] for d in docs]


def test_the_networks_on_numpys_blas_tag_parse_and_find_entities_as_with_blis(texts):
    from threadpoolctl import threadpool_info
    from thinc.api import NumpyOps

    from flashpoint.nlp import blas_ops

    model = bare_model()
    with model.select_pipes(enable=["tok2vec", "tagger", "parser", "ner"]):
        stock = parses(model.pipe(texts[:40]))
        blas_ops(model)
        ours = parses(model.pipe(texts[:40]))
    assert sum(map(len, ours)) > 10_000 and ours == stock
    assert not model.get_pipe("ner").model.ops.use_blis and isinstance(model.get_pipe("ner").model.ops, NumpyOps)
    assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")


def test_sentence_vectors_are_spacys_to_the_bit(texts):
    from flashpoint.eventness import sentence_vector

    sents = [s for doc in load_nlp().pipe(texts[:60]) for s in doc.sents]
    assert len(sents) > 300
    assert any(not t.has_vector for s in sents for t in s)  # words without a vector add zeros
    for s in sents:
        assert sentence_vector(s).tobytes() == s.vector.tobytes()
        assert sentence_vector(s) is sentence_vector(s)  # once per sentence
