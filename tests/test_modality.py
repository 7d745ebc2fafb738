"""Modality: speculation, plans, denials and history never become asserted events."""

import pytest

from tests.test_coder import events_of


@pytest.mark.parametrize(
    "text, event_type, modality",
    [
        ("Pakistan did not recall its ambassador from Iran.", "SANCTION", "negated"),
        ("Pakistan never recalled its ambassador.", "SANCTION", "negated"),
        ("China might mediate between Iran and Pakistan.", "CONSULT", "hypothetical"),
        ("China could mediate between Iran and Pakistan.", "CONSULT", "hypothetical"),
        ("If Iran strikes again, Pakistan would retaliate.", "ASSAULT", "hypothetical"),
        ("Iran plans to deploy troops along the border.", "MOBILIZE", "future"),
        ("In the past, the group mounted attacks on police.", "ASSAULT", "historical"),
        ("In recent years, Jaish al-Adl has attacked Iranian border guards.", "ASSAULT", "historical"),
        ("In 2019, militants killed 27 Revolutionary Guards in Sistan-Baluchestan.", "ASSAULT", "historical"),
        ("Iran struck militant bases in Pakistan on Tuesday.", "ASSAULT", "asserted"),
        ("A recruiter encouraged him to carry out a bombing in Lahore, police said.", "ASSAULT", "future"),
        ("Pakistan has threatened to expel Iranian diplomats.", "THREATEN", "asserted"),
    ],
)
def test_modality(text, event_type, modality):
    events = events_of(text, "2024-01-17")
    assert any(e.event_type == event_type and e.modality == modality for e in events), [(e.event_type, e.modality) for e in events]
    if modality != "asserted":
        assert not [e for e in events if e.event_type == event_type and e.modality == "asserted"]


@pytest.mark.parametrize(
    "text",
    [
        "Officials denied that troops had attacked the village.",
        "It is false that soldiers attacked the village, the army said.",
        "Analysts warned that Pakistan may strike back.",
        "If Iran strikes again, Pakistan would retaliate.",
    ],
)
def test_no_asserted_violence_from_denials_and_speculation(text):
    assert not [e for e in events_of(text, "2024-01-17") if e.event_type == "ASSAULT" and e.modality == "asserted"]


@pytest.mark.parametrize(
    "text, event_type",
    [
        ("The foreign minister will visit Islamabad on Monday.", "AGREE"),  # future cooperation is an intention
        ("Pakistan said it would withdraw its troops from the border.", "CONCEDE"),  # an announced retreat
        ("Pakistan said it would cut all trade with Iran unless the strikes stop.", "THREATEN"),  # a condition
        ("Britain said Libya must hand over the two suspects.", "REQUEST"),  # a demand
    ],
)
def test_plover_conventions_for_announcements(text, event_type):
    events = events_of(text, "2024-01-17")
    assert any(e.event_type == event_type and e.modality == "asserted" for e in events), [(e.event_type, e.modality) for e in events]


def test_a_month_named_may_is_not_a_modal():
    from datetime import date

    from flashpoint.models import Document
    from flashpoint.pipeline import extract

    doc = Document("m", "On 4 May 2020, police arrested three protesters in Lagos.", date(2020, 5, 5))
    [arrest] = [e for e in next(extract([doc]))[1] if e.event_type == "COERCE"]
    assert (arrest.modality, arrest.date) == ("asserted", "2020-05-04")


@pytest.mark.parametrize(
    "text, event_type, modality",
    [
        ("Castro defied the United States for decades.", "REJECT", "historical"),
        ("Residents fear the militants are attacking the town.", "ASSAULT", "hypothetical"),
        ("Pakistani officials said a meeting with Iran to be held in Geneva would settle the dispute.", "CONSULT", "future"),
    ],
)
def test_habits_fears_and_scheduled_meetings(text, event_type, modality):
    test_modality(text, event_type, modality)


@pytest.mark.parametrize(
    "text, event_type",
    [
        ("Prosecutors said the man planned to murder a police officer at his home.", "THREATEN"),  # a plot, not a threat made
        ("The nominations will need to be approved by the parliament.", "AGREE"),  # passive: no one announced it
        ("The truce was aimed at evacuating both fighters and their families.", "AGREE"),  # no one intends it
    ],
)
def test_only_an_actor_announcing_its_own_intention_makes_a_convention(text, event_type):
    events = events_of(text, "2024-01-17")
    assert not [e for e in events if e.modality == "asserted" and e.event_type in (event_type, "ASSAULT", "AID")], [(e.event_type, e.modality) for e in events]


def test_an_announced_intention_is_still_asserted():
    events = events_of("Pakistan will send aid to the flood victims, the foreign minister said.", "2024-01-17")
    assert any(e.event_type == "AGREE" and e.modality == "asserted" for e in events), [(e.event_type, e.modality) for e in events]


def test_negation_stays_in_its_own_clause():
    from datetime import date

    from flashpoint.models import Document
    from flashpoint.pipeline import extract

    text = "The mayor's arrest is not linked to any council business, but offices at the town hall were raided on Monday."
    evs = next(extract([Document("t", text, date(2016, 12, 17))]))[1]
    raid = next(e for e in evs if e.trigger.text == "raided")
    assert raid.modality == "asserted"


@pytest.mark.parametrize(
    "text, trigger",
    [
        # a time word in the description of a noun is not the time of the clause's own event
        ("Two farmers were killed on Sunday when a landmine, previously laid by insurgents, exploded in a field near Daraa.", "killed"),
        ("Police on Tuesday arrested a man who had previously served time for fraud in Leeds.", "arrested"),
    ],
)
def test_a_description_s_time_words_stay_in_the_description(text, trigger):
    evs = events_of(text, "2024-01-17")
    ev = next(e for e in evs if e.trigger.text == trigger)
    assert ev.modality == "asserted", [(e.event_type, e.trigger.text, e.modality) for e in evs]
