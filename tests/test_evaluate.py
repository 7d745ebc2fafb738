"""The sentence-level evaluations (plover-gsr, case2021): metric helpers, label mapping, quick runs."""

import csv
import json

import pytest
from typer.testing import CliRunner

from flashpoint import cli
from flashpoint.evaluation import scoring as ev
from flashpoint.lexicon import load_yaml
from flashpoint.models import Actor, Event, Span

UNSEEN = {"NATURAL_DISASTER", "MAN_MADE_DISASTER", "ORG_CRIME", "ATTRIB"}  # no ACLED or PLOVER counterpart


def test_prf_counts():
    assert ev.prf(3, 1, 2) == pytest.approx((0.75, 0.6, 2 * 0.75 * 0.6 / 1.35))
    assert ev.prf(0, 0, 0) == (0.0, 0.0, 0.0)
    assert ev.prf(0, 2, 0) == (0.0, 0.0, 0.0)


def test_classification_by_hand():
    gold = ["A", "A", "A", "B", "B", "C"]
    pred = ["A", "A", "B", "B", "NONE", "A"]
    c = ev.Classification(gold, pred)
    # A: tp 2, fp 1 (the C), fn 1 -> P 2/3, R 2/3, F1 2/3
    # B: tp 1, fp 1, fn 1 -> F1 1/2;  C: tp 0 -> F1 0;  NONE is not a gold label: only a miss
    assert (c.scores["A"].tp, c.scores["A"].fp, c.scores["A"].fn) == (2, 1, 1)
    assert c.scores["A"].f1 == pytest.approx(2 / 3)
    assert c.scores["B"].f1 == pytest.approx(0.5)
    assert c.scores["C"].f1 == 0.0
    assert set(c.scores) == {"A", "B", "C"}
    assert c.accuracy == pytest.approx(3 / 6)
    assert c.macro_f1 == pytest.approx((2 / 3 + 0.5 + 0) / 3)
    assert c.weighted_f1 == pytest.approx((3 * 2 / 3 + 2 * 0.5 + 1 * 0) / 6)
    assert c.confusions() == {("A", "B"): 1, ("B", "NONE"): 1, ("C", "A"): 1}


def test_gsr_country_codes():
    assert ev.gsr_country("IRNGOV") == "IRN"
    assert ev.gsr_country("USAMIL") == "USA"
    assert ev.gsr_country("JAP") == "JPN"  # CAMEO spelling
    assert ev.gsr_country("IGO") is None
    assert ev.gsr_country("IMG") is None
    assert ev.gsr_country(None) is None
    assert ev.gsr_countries("") == set()
    assert ev.gsr_countries([{"code": "PSE"}, {"code": "NGO"}, {"code": "ISRPOL"}]) == {"PSE", "ISR"}


def event(etype, acled=None, goldstein=None, confidence=0.5, modality="asserted", actor=()):
    return Event(
        event_id="e", doc_id="d", event_type=etype, goldstein=goldstein, confidence=confidence, modality=modality,
        acled={"event_type": acled[0], "sub_event_type": acled[1]} if acled else None,
        actor=[Actor(c, c, country=c) for c in actor], trigger=Span("x", 0, 1),
    )


def test_main_event_prefers_asserted_then_confidence():
    a = event("ASSAULT", confidence=0.9, modality="hypothetical")
    b = event("THREATEN", confidence=0.6)
    c = event("ACCUSE", confidence=0.7)
    assert ev.main_event([a, b, c]) is c
    assert ev.main_event([a]) is a
    assert ev.main_event([]) is None


def test_case_predict_severity():
    protest = event("PROTEST", ("Protests", "Peaceful protest"), -5)
    strike = event("ASSAULT", ("Explosions/Remote violence", "Air/drone strike"), -10)
    attack = event("ASSAULT", ("Violence against civilians", "Attack"), -10)
    accuse = event("ACCUSE", goldstein=-2)
    aid = event("AID", goldstein=7)
    assert ev.case_predict([protest, attack, strike, accuse]) == "AIR_STRIKE"
    assert ev.case_predict([accuse, protest]) == "PEACE_PROTEST"
    assert ev.case_predict([aid]) == "DIPLO"
    assert ev.case_predict([event("MOBILIZE")]) == "NONE"
    assert ev.case_predict([]) == "NONE"
    # a hypothetical attack does not outrank the asserted threat
    assert ev.case_predict([event("ASSAULT", ("Battles", "Armed clash"), -10, modality="hypothetical"), accuse]) == "DIPLO"


def test_case_mapping_covers_the_coder_and_the_labels(shared):
    # every ACLED sub-event type the coder can emit has a CASE label ...
    found = set()

    def walk(x):
        if isinstance(x, dict):
            if isinstance(x.get("acled"), list):
                found.add(tuple(x["acled"]))
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(load_yaml("triggers.yaml"))
    assert found
    for etype, sub in found:
        assert ev.norm(sub) in ev.CASE_LABELS, sub
        assert ev.norm(etype) in ev.SEVERITY, etype
    # ... and every label in the file is either reachable or one of the unseen types we cannot code
    with (shared / "eval" / "case2021_task2_dev.tsv").open(encoding="utf-8", newline="") as f:
        gold = {r["SubType"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}
    reachable = set(ev.CASE_LABELS.values()) | {"DIPLO"}
    assert reachable <= gold
    assert gold - reachable == UNSEEN


def test_plover_gsr_quick(shared):
    rep = ev.plover_gsr(shared, limit=20)
    assert len(rep.items) == 20
    types = set(load_yaml("plover.yaml")["types"])
    assert {i.gold for i in rep.items} <= types
    assert {i.pred for i in rep.items} <= types | {"NONE"}
    c = rep.classification
    for v in (c.accuracy, c.macro_f1, c.weighted_f1):
        assert 0.0 <= v <= 1.0
    assert c.accuracy > 0.2  # the first 20 are plain AGREE sentences
    assert set(rep.countries) == {"actor", "recipient", "combined"}
    comb = rep.countries["combined"]
    assert comb.tp + comb.fn > 20  # gold countries were read
    assert 0.0 <= comb.f1 <= 1.0
    assert rep.seconds > 0


def test_case2021_quick(shared, tmp_path):
    rep = ev.case2021(shared, limit=20)
    assert len(rep.items) + sum(rep.out_of_scope.values()) == 20
    assert not {i.gold for i in rep.items} & ev.OUT_OF_SCOPE
    c = rep.classification
    assert {i.pred for i in rep.items} <= set(ev.CASE_LABELS.values()) | {"DIPLO", "NONE"}
    for v in (c.accuracy, c.macro_f1, c.weighted_f1):
        assert 0.0 <= v <= 1.0
    assert sum(s.support for s in c.scores.values()) == len(rep.items)
    path = tmp_path / "errors.jsonl"
    n = ev.write_errors(rep, path)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == n == sum(i.gold != i.pred for i in rep.items)
    assert all({"text", "gold", "predicted"} <= set(r) and r["gold"] != r["predicted"] for r in rows)


def test_eval_command(shared, tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli.app, ["eval", "case2021", "--shared", str(shared), "--limit", "5", "--errors", str(tmp_path / "e.jsonl")])
    assert res.exit_code == 0, res.output
    assert "macro-F1" in res.output and "sentences/s" in res.output
    res = runner.invoke(cli.app, ["eval", "nope", "--shared", str(shared)])
    assert res.exit_code == 2


def test_eval_acled_notes_command(shared, tmp_path):
    errors = tmp_path / "acled.jsonl"
    res = CliRunner().invoke(cli.app, ["eval", "acled-notes", "--shared", str(shared), "--limit", "6", "--offset", "600", "--errors", str(errors)])
    assert res.exit_code == 0, res.output
    assert "location within 50 km" in res.output and "rows 600-606" in res.output
    rows = [json.loads(line) for line in errors.read_text().splitlines()]
    assert all({"acled_location", "predicted_location", "km", "sub_event", "fatalities"} <= set(r) for r in rows)
