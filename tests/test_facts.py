"""Casualty figures, victims, sources and contested versions (facts.py), on sentences written for
these tests, then one article end to end."""

from datetime import date

import pytest

from flashpoint import facts
from flashpoint.facts import facts_of_text, parse_count
from flashpoint.models import Count, Document
from flashpoint.pipeline import extract


def claims(text: str, field: str) -> list:
    f = facts_of_text(text)
    assert f is not None, f"no claims in {text!r}"
    return [c for c in f.claims if c.field == field]


@pytest.mark.parametrize(
    "sentence, field, best, low, high",
    [
        # digits and words
        ("Two children were killed in the shelling of the market.", "fatalities", 2, 2, 2),
        ("An 11-month-old boy died in hospital on the way to the capital.", "fatalities", 1, 1, 1),
        ("A nine-year-old girl and a teenage boy were killed by the blast.", "fatalities", 2, 2, 2),
        ("Seven soldiers and four civilians were killed at the checkpoint.", "fatalities", 11, 11, 11),
        ("The bombing killed twenty-five people near the bus station.", "fatalities", 25, 25, 25),
        ("The bombing wounded 1,200 people across the district.", "injuries", 1200, 1200, 1200),
        ("A family of five was killed when a shell hit their house.", "fatalities", 5, 5, 5),
        ("Fighting left 9 dead in the northern suburbs.", "fatalities", 9, 9, 9),
        ("The death toll from Sunday's attack on the market rose to 31.", "fatalities", 31, 31, 31),
        ("Police recovered two bodies from the river after the clashes.", "fatalities", 2, 2, 2),
        # qualifiers
        ("More than 20 villagers were killed in the raid.", "fatalities", 21, 21, 21),
        ("At least 12 people were wounded when the grenade went off.", "injuries", 12, 12, 12),
        ("Nearly 40 protesters were injured in the crackdown.", "injuries", 40, 40, 40),
        ("Fewer than 10 guards were hurt in the riot.", "injuries", 9, 9, 9),
        # ranges
        ("Between 10 and 15 soldiers were killed in the ambush.", "fatalities", 10, 10, 15),
        ("Two or three people were injured by falling debris.", "injuries", 2, 2, 3),
        ("Ten to 15 students were arrested at the university gate.", "arrested", 10, 10, 15),
        # vague quantities (numbers.yaml)
        ("Dozens of people were injured in the stampede.", "injuries", 12, 12, 12),
        ("Several civilians were killed in the air raid.", "fatalities", 3, 3, 3),
        ("Scores of demonstrators were detained by riot police.", "arrested", 20, 20, 20),
        ("Hundreds of opposition supporters were arrested overnight.", "arrested", 100, 100, 100),
        ("A few fighters were killed in the counter-attack.", "fatalities", 3, 3, 3),
        # active verbs and other fields
        ("Police arrested 14 students outside the ministry.", "arrested", 14, 14, 14),
        ("Three people are still missing after the boat was shelled.", "missing", 3, 3, 3),
        ("Three gunmen killed two policemen at a checkpoint.", "fatalities", 2, 2, 2),
        ("Two rockets killed a farmer in his field.", "fatalities", 1, 1, 1),
        # dates and years next to counts are not counts
        ("In 2021, 40 people were injured in the same square.", "injuries", 40, 40, 40),
        ("On June 4, two people were killed at the crossing.", "fatalities", 2, 2, 2),
    ],
)
def test_count(sentence, field, best, low, high):
    f = facts_of_text(sentence)
    assert f is not None
    got = [c for c in f.claims if c.field == field]
    assert len(got) == 1, got
    if field == "fatalities":
        assert f.fatalities == Count(best, low, high)
    elif field == "injuries":
        assert f.injuries == Count(best, low, high)
    assert got[0].value == (best if low == high else [low, high])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("dozens", (12, 12, 12)),
        ("tens of", (10, 10, 10)),
        ("a dozen", (12, 12, 12)),
        ("two dozen", (24, 24, 24)),
        ("one hundred and", None),
        ("some 30", (30, 30, 30)),
        ("upwards of 50", (51, 51, 51)),
        ("at least twenty-one", (21, 21, 21)),
    ],
)
def test_parse_count(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    "sentence, victims",
    [
        ("Two children were killed in the shelling.", "children"),
        ("Four young women were wounded by shrapnel.", "young women"),
        ("Security forces said six militants were killed in the operation.", "militants"),
    ],
)
def test_victims_kept_in_the_claim(sentence, victims):
    [c] = [c for c in facts_of_text(sentence).claims if c.field in ("fatalities", "injuries")]
    assert c.victims == victims


@pytest.mark.parametrize(
    "text, field, source",
    [
        ("Two children were killed, the health ministry said.", "fatalities", "the health ministry"),
        ("According to local officials, four people were killed in the attack.", "fatalities", "local officials"),
        ("Five soldiers were killed, a military spokesman told Reuters.", "fatalities", "a military spokesman"),
        ("Witnesses said ten people were wounded by gunfire.", "injuries", "Witnesses"),
        ("No one claimed it. Eight people were killed in the blast.", "fatalities", None),
        ("An army statement said eight insurgents were killed. Four soldiers were wounded, it said.", "injuries", "An army statement"),
        ("A UN report said 14 civilians died. The report also said three bombs were dropped.", "weapon", "A UN report"),
    ],
)
def test_source_of_each_claim(text, field, source):
    [c] = claims(text, field)
    assert c.source == source


def test_best_is_the_figure_most_sources_give():
    f = facts_of_text("Police said five people were killed. Doctors said five people were killed. A witness said seven people were killed.")
    assert f.fatalities == Count(5, 5, 7)
    assert f.contested
    assert {c.source for c in f.claims} == {"Police", "Doctors", "A witness"}


def test_tie_goes_to_the_lower_figure():
    f = facts_of_text("The ministry said 12 people were killed, while a rights group said 15 people were killed.")
    assert f.fatalities == Count(12, 12, 15)
    assert f.contested


def test_toll_put_by_police_disagrees_with_witnesses():
    f = facts_of_text("Witnesses said 10 people were killed, but police put the toll at three.")
    assert f.fatalities == Count(3, 3, 10)
    assert {(c.value, c.source) for c in f.claims if c.field == "fatalities"} == {(10, "Witnesses"), (3, "police")}
    assert f.contested


def test_victims_contested_children_vs_only_militants():
    f = facts_of_text("Residents said two children were killed in the strike. The army said only militants were hit.")
    assert f.fatalities == Count(2, 2, 2)
    assert [(c.value, c.source) for c in f.claims if c.field == "targets"] == [("militants only", "The army")]
    assert f.contested


def test_weapons_contested_drones_vs_rockets():
    f = facts_of_text("Officials said two drones hit the base. A local commander said three rockets hit the base.")
    assert sorted(c.value for c in f.claims if c.field == "weapon") == ["three rockets", "two drones"]
    assert f.contested


def test_responsibility_contested():
    f = facts_of_text("A local militia claimed responsibility for the attack. The government denied any involvement.")
    assert sorted(c.value for c in f.claims if c.field == "responsibility") == ["claimed", "denied"]
    assert f.contested


@pytest.mark.parametrize(
    "text",
    [
        "Officials said three soldiers were killed. A hospital source said three soldiers were killed.",
        "Police said two soldiers and a civilian were killed in the ambush.",
        "Two children were killed and three women injured, officials said.",
    ],
)
def test_agreeing_sources_are_not_contested(text):
    f = facts_of_text(text)
    assert f is not None and f.claims
    assert not f.contested


def test_no_figures_no_facts():
    assert facts_of_text("The talks ended without agreement and the delegations flew home.") is None


CUE_SENTENCES = [
    "Two children were killed in the shelling of the market.",
    "The blast wounded 14 people and three bodies were recovered from the rubble.",
    "The death toll rose to 31 on Friday, hospital officials said.",
    "Gunmen beat two farmers to death near the well.",
    "Militants fired three or four drones at the base; the strikes hit only soldiers.",
    "Only civilians were targeted, the group said, as it claimed responsibility for the attack.",
    # letters IGNORECASE matches where lower() gives no ASCII: a dotted capital I, a long s, a Kelvin sign
    "Two people were K\u0130LLED on Monday.",
    "Three soldiers were \u017fhot dead at the gate.",
    "Four people were \u212aILLED in the raid.",
    "The talks ended without agreement and the delegations flew home.",
]


def test_sentences_without_a_patterns_words_are_skipped_with_the_same_claims(monkeypatch):
    found = [(facts.figures(s), facts.other_claims(s)) for s in CUE_SENTENCES]
    assert all(f[0] for f in found[6:9])  # the folded letters still find the count
    assert not facts.may_match("passive", facts.folded(CUE_SENTENCES[-1]))
    assert facts.shortest({"beat", "beaten", "beating", "shot"}) == ("beat", "shot")
    monkeypatch.setattr(facts, "may_match", lambda kind, plain: True)  # scan every sentence with every pattern
    assert found == [(facts.figures(s), facts.other_claims(s)) for s in CUE_SENTENCES]


def test_article_end_to_end_collects_later_sentences():
    text = (
        "Israeli jets struck Gaza City on Tuesday, killing four people, the Gaza health ministry said.\n\n"
        "Hospital officials said six people were killed and 20 were wounded.\n\n"
        "The Israeli military said only militants were hit."
    )
    events = next(extract([Document("t", text, date(2023, 6, 8))]))[1]
    [e] = [e for e in events if e.event_type == "ASSAULT"]
    assert (e.date, e.date_text) == ("2023-06-06", "on Tuesday")
    assert e.fatalities == Count(4, 4, 6) and e.injuries == Count(20, 20, 20)
    assert e.contested
    assert ("targets", "militants only", "The Israeli military") in {(c.field, c.value, c.source) for c in e.claims}


def test_eval_facts_on_the_seed(shared):
    from flashpoint.evaluation import facts as eval_facts

    rep = eval_facts.run(shared)
    assert rep.tally("date_ok") == (12, 12)
    [s01] = [e for e in rep.events if e.gold_id == "S01"]
    assert s01.fatalities_pred == {"best": 2, "low": 2, "high": 2} and s01.injuries_pred["best"] == 3
    assert s01.contested_pred is True
    assert sum(c.found for c in s01.claims) >= 4


@pytest.mark.parametrize(
    "text, best",
    [
        # the day of a date is no count: "On 6 May 2020, one ..." is one, not seven
        ("On 6 May 2020, one policeman and two bystanders were killed in a shootout in Kano.", 3),
        ("On 6 May 2020, a farmer was killed by gunmen near Jos.", 1),
        # victims between the verb and "to death"; killings told by their manner
        ("On Sunday a guard stabbed a trader to death at the market.", 1),
        ("Gunmen shot dead a village chief in Zamfara on Friday.", 1),
        ("Suspected rebels assassinated a local councillor on Monday.", 1),
        ("A teacher was shot to death outside his school on Tuesday.", 1),
        # a tally line and an analyst's coding of an unknown number
        ("A body was found in a canal on Monday. 1 fatality", 1),
        ("Both sides suffered casualties. Unknown fatalities coded as 10.", 10),
    ],
)
def test_fatalities_of_short_reports(text, best):
    facts = facts_of_text(text)
    assert facts is not None and facts.fatalities is not None and facts.fatalities.best == best, facts


def test_a_figure_belongs_to_the_event_of_its_own_clause():
    # one sentence, two strikes: the toll is the earlier attack's, told in its own clause
    text = ("Israel carried out air strikes on Hezbollah positions in southern Lebanon early on Friday, two days "
            "after a Hezbollah rocket attack killed three soldiers near Metula.")
    evs = next(extract([Document("t", text, date(2023, 6, 9))]))[1]
    strikes = [e for e in evs if e.event_type == "ASSAULT" and "ISR" in {a.country for a in e.actor}]
    assert strikes and all(e.fatalities is None for e in strikes), [(e.actor, e.fatalities) for e in strikes]
    rocket = [e for e in evs if e.event_type == "ASSAULT" and e.fatalities is not None]
    assert [e.fatalities.best for e in rocket] == [3]


@pytest.mark.parametrize("sentence, field, best", [
    ("Rescuers said eleven miners, all of them from the same village, were killed in the blast.", "fatalities", 11),
    ("Seven protesters, including a 14-year-old boy, were wounded when police opened fire.", "injuries", 7),
])
def test_a_parenthesis_between_count_and_verb(sentence, field, best):
    assert [c.value for c in claims(sentence, field)] == [best]
