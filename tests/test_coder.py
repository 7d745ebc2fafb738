"""The event coder end to end (read -> NLP -> the stages of pipeline.code_document) on real text."""

from datetime import date

import pytest

from flashpoint.models import Document
from flashpoint.pipeline import extract
from flashpoint.readers import read_paths


def events_of(text: str, dateline: str | None = "2024-01-24") -> list:
    doc = Document("t", text, date.fromisoformat(dateline) if dateline else None)
    return next(extract([doc]))[1]


def countries(actors) -> set:
    return {a.country for a in actors if a.country}


@pytest.fixture(scope="module")
def seed(shared):
    doc = next(read_paths([shared / "seed" / "iran_pakistan_2024-01-17.txt"]))
    return doc, next(extract([doc]))[1]


def test_seed_iranian_strike_on_panjgur(seed):
    doc, events = seed
    [strike] = [e for e in events if e.event_type == "ASSAULT" and countries(e.recipient) & {"PAK"}]
    assert countries(strike.actor) == {"IRN"}
    assert (strike.date, strike.date_precision, strike.modality) == ("2024-01-16", "day", "asserted")
    assert strike.location.name == "Panjgur" and strike.location.country == "PAK"
    assert abs(strike.location.lat - 26.96) < 0.5 and abs(strike.location.lon - 64.09) < 0.5
    assert (strike.fatalities.best, strike.injuries.best) == (2, 3)
    assert strike.cameo.startswith("19") and strike.goldstein == -10.0
    assert strike.acled["event_type"] == "Explosions/Remote violence"
    for span in strike.evidence + [strike.trigger]:
        assert doc.text[span.start : span.end] == span.text
    assert any("missile strike from neighbouring Iran on Tuesday" in s.text for s in strike.evidence)
    roles = {s.role for s in strike.evidence}
    assert {"sentence", "trigger", "actor", "recipient"} <= roles
    assert any(s.role == "actor" and "Iran" in s.text for s in strike.evidence)


def test_seed_ambassador_recall_and_separate_trade_delegation_recall(seed):
    doc, events = seed
    recalls = [e for e in events if e.event_type == "SANCTION" and countries(e.actor) == {"PAK"} and "withdraw" in e.mode]
    texts = [e.evidence[0].text for e in recalls]
    assert any("recalled its ambassador from Iran" in t for t in texts)
    assert any("trade delegation had been recalled from Chabahar" in t for t in texts)
    assert all(countries(e.recipient) == {"IRN"} for e in recalls)
    chabahar = next(e for e in recalls if "Chabahar" in e.evidence[0].text)
    assert chabahar.location.name == "Chabahar"
    iraq = [e for e in events if e.event_type == "SANCTION" and countries(e.actor) == {"IRQ"}]
    assert iraq and countries(iraq[0].recipient) == {"IRN"}


def test_seed_a_day_after_dates_the_strikes_in_iraq_and_syria(seed):
    _, events = seed
    earlier = {next(iter(countries(e.recipient))): e for e in events if e.event_type == "ASSAULT" and e.date == "2024-01-15"}
    assert set(earlier) == {"IRQ", "SYR"}
    assert all(countries(e.actor) == {"IRN"} for e in earlier.values())


def test_seed_speculation_and_history_are_never_asserted(seed):
    doc, events = seed
    for e in events:
        sentence = e.evidence[0].text
        if "might" in sentence or "will likely" in sentence or "in the past" in sentence:
            assert e.modality != "asserted", sentence
    assert not [e for e in events if e.modality == "asserted" and countries(e.actor) == {"CHN"}]


def test_relative_weekday_place_and_figures_on_an_unseen_sentence():
    [e] = events_of("Russian forces shelled Kharkiv on Monday, killing three civilians, regional officials said.")
    assert e.event_type == "ASSAULT" and countries(e.actor) == {"RUS"} and "UKR" in countries(e.recipient)
    assert (e.date, e.date_precision) == ("2024-01-22", "day")  # the Monday before Wednesday 24 January
    assert e.location.name == "Kharkiv" and e.location.country == "UKR"
    assert e.fatalities.best == 3


def test_modality_of_hypothetical_and_historical_events():
    [e] = events_of("Analysts said Egypt might mediate between Israel and Hamas.")
    assert e.modality == "hypothetical" and countries(e.actor) == {"EGY"}
    hist = events_of("In the past, the group has mounted attacks on police stations in Mali.")
    assert hist and all(e.modality == "historical" for e in hist)


def test_protest_takes_the_country_it_happens_in():
    [e] = events_of("Thousands of protesters marched in Nairobi on Saturday to demand an end to violence against women.")
    assert e.event_type == "PROTEST" and countries(e.actor) == {"KEN"} and e.date == "2024-01-20"
    assert e.acled["sub_event_type"] == "Peaceful protest"


@pytest.mark.parametrize(
    "text, sub_event, context",
    [
        ("Police fired tear gas to disperse protesters in Nairobi on Saturday.", "Protest with intervention", "repression"),
        ("A roadside bomb killed four soldiers in Kidal on Monday.", "Remote explosive/landmine/IED", "military"),
        ("Rebels captured the town of Bunia on Monday after heavy fighting with government troops.", "Non-state actor overtakes territory", "military"),
    ],
)
def test_acled_sub_event_and_plover_context(text, sub_event, context):
    events = events_of(text)
    assert any(e.acled and e.acled["sub_event_type"] == sub_event and context in e.context for e in events), [
        (e.event_type, e.acled, e.context) for e in events
    ]


def test_no_dateline_gives_undated_events_unless_the_text_dates_them():
    [e] = events_of("Police arrested 12 journalists in Conakry, a rights group said.", dateline=None)
    assert e.event_type == "COERCE" and e.date is None and e.date_precision == "unknown"
    [e] = events_of("Police arrested 12 journalists in Conakry on 3 March 2023.", dateline=None)
    assert (e.date, e.date_precision) == ("2023-03-03", "day")


def test_a_long_article_is_coded_in_chunks_with_offsets_into_the_whole_text():
    filler = "The weather in the capital was mild and markets were calm.\n\n" * 2000  # ~120 kB
    text = filler + "Police arrested 12 journalists in Conakry on Tuesday, a rights group said.\n"
    [e] = events_of(text)
    assert e.event_type == "COERCE" and e.evidence[0].start > 100_000
    assert text[e.trigger.start : e.trigger.end] == "arrested"


def test_definite_references_to_the_two_countries_and_the_group():
    text = (
        "Iran and Pakistan exchanged strikes on Monday. China urged the two countries to show restraint. "
        "Jaish al-Adl operates on both sides of the border. Pakistani troops attacked the group on Tuesday."
    )
    events = events_of(text)
    urges = [e for e in events if e.event_type == "REQUEST"]  # one event per recipient
    assert {c for e in urges for c in countries(e.actor)} == {"CHN"}
    assert {c for e in urges for c in countries(e.recipient)} == {"IRN", "PAK"}
    exchange = {(next(iter(countries(e.actor))), next(iter(countries(e.recipient)))) for e in events if e.trigger.text == "strikes"}
    assert exchange == {("IRN", "PAK"), ("PAK", "IRN")}  # reciprocal: one event each way
    attack = next(e for e in events if e.event_type == "ASSAULT" and e.trigger.text == "attacked")
    assert countries(attack.actor) == {"PAK"} and any(a.name == "Jaish al-Adl" for a in attack.recipient)


def test_two_people_condemning_one_attack_are_two_statements():
    text = ("A bomb killed 25 people at a church in Cairo on Sunday. Egyptian President Abdel Fattah al-Sisi condemned the attack "
            "and declared three days of mourning. Egypt's Grand Mufti Shawki Allam also condemned the attack.")
    accuse = [e for e in events_of(text, "2016-12-11") if e.event_type == "ACCUSE" and e.modality == "asserted"]
    assert len(accuse) == 2, [(e.trigger.text, [a.name for a in e.actor]) for e in accuse]


def test_a_court_plea_is_no_request():
    evs = events_of("The man pleaded guilty in May to attempting to provide material support to a terrorist group.", "2016-11-23")
    assert not [e for e in evs if e.event_type == "REQUEST"]


def test_affirming_support_is_support_like_reaffirming_it():
    text = ("The Dutch and Japanese foreign ministers affirmed their support for the new shipping treaty during a call on Monday. "
            "An appeals court in Osaka affirmed the ruling on Tuesday.")
    evs = [e for e in events_of(text, "2024-01-24") if e.modality == "asserted"]
    support = [e for e in evs if e.event_type == "SUPPORT"]
    assert [e.trigger.text for e in support] == ["affirmed"], [(e.event_type, e.trigger.text) for e in evs]
    assert support[0].evidence[0].start == 0  # the ministers' sentence, not the court's


def test_agreeing_in_a_phone_call_is_an_agreement_and_a_call():
    # What two leaders agree on ("that inspectors would fly ...") is their agreement, not access
    # granted; the call they agreed in is a contact of its own, not part of what was agreed.
    text = ("Macron said he and German Chancellor Olaf Scholz agreed in a phone call on Monday that French inspectors "
            "would fly to Berlin to hold a joint inquiry with their German colleagues.")
    evs = [e for e in events_of(text, "2024-01-24") if e.modality == "asserted"]
    kinds = {(e.event_type, e.trigger.text) for e in evs}
    assert ("AGREE", "agreed") in kinds and ("CONSULT", "call") in kinds, kinds
    assert not [e for e in evs if e.event_type == "RETREAT"]


def _events(text: str, dateline: str = "2016-12-14"):
    from datetime import date

    from flashpoint.models import Document
    from flashpoint.pipeline import extract

    return next(extract([Document("t", text, date.fromisoformat(dateline))]))[1]


def test_who_came_under_fire_was_attacked_or_criticised():
    [attack] = [e for e in _events("Government troops came under fire from militants near the town of Malakal on Tuesday.") if e.modality == "asserted"]
    assert attack.event_type == "ASSAULT" and [r.text for r in attack.recipient] == ["Government troops"]
    assert "militants" in attack.actor[0].text
    [critique] = [e for e in _events("The finance minister came under fire from opposition lawmakers over the budget on Tuesday.") if e.modality == "asserted"]
    assert critique.event_type == "ACCUSE" and "minister" in critique.recipient[0].text


def test_evidence_said_to_point_to_someone_accuses_them():
    evs = _events("All indications point to the PKK, the interior minister said on Sunday.", "2016-12-18")
    accuse = next(e for e in evs if e.event_type == "ACCUSE")
    assert "PKK" in accuse.recipient[0].text and "minister" in accuse.actor[0].text


def test_a_strike_a_union_says_may_come_is_its_threat():
    evs = _events("The nurses' union said a strike could begin as early as December 22, disrupting hospitals across the country.", "2016-12-14")
    threat = next(e for e in evs if e.event_type == "THREATEN")
    assert threat.modality == "asserted" and "union" in threat.actor[0].text
    assert not any(e.event_type in ("ASSAULT", "THREATEN") for e in _events("Police said a strike could hit the capital at any moment.", "2016-12-14"))
    [strike] = [e for e in _events("Thousands of nurses are preparing to strike just days before Christmas.", "2016-12-14")]
    assert strike.event_type == "PROTEST"  # a labour strike, not an air strike, whoever prepares it


def test_the_trigger_memos_stay_bounded(monkeypatch):
    """The per-word memos of the trigger finder start afresh beyond their limit: a long ingest, where
    every new name and number is a new key, does not grow them without end."""
    from flashpoint import triggers

    monkeypatch.setattr(triggers, "MEMO_LIMIT", 20)
    triggers.ENTRIES.clear()
    triggers.LOWER_LEMMAS.clear()
    text = " ".join(f"Militants attacked the village of Qarwen{i} and killed {i + 3} people." for i in range(30))
    assert [e for e in events_of(text, "2024-01-17") if e.event_type == "ASSAULT"]
    assert 0 < len(triggers.ENTRIES) <= 21 and len(triggers.LOWER_LEMMAS) <= 21
    # the lexicon remembers the entries of its own words only, not of every name and number met
    remembered = triggers.load_triggers()._by_pos
    assert remembered and all(word in triggers.load_triggers().by_word for word, _ in remembered)
    assert not any(word.startswith("qarwen") for word, _ in remembered)
