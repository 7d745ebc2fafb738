"""Words that are not events in their context, and history reported as history (senses.yaml,
modality.dated_background), on sentences of the kind real articles are made of."""

from datetime import date

import pytest

from flashpoint.models import Document, Event
from flashpoint.modality import dated_background, latest_day
from flashpoint.pipeline import extract


def asserted(text: str, dateline: str = "2016-11-23") -> list[tuple[str, str]]:
    doc = Document("t", text, date.fromisoformat(dateline))
    return [(e.event_type, e.trigger.text) for e in next(extract([doc]))[1] if e.modality == "asserted"]


@pytest.mark.parametrize("text", [
    "A powerful earthquake has struck eastern Turkey, leaving at least 40 people dead, officials say.",
    "A car struck a tree on Route 8 early Sunday, police said.",
    "The Wildcats stormed to victory over the visiting team on Saturday.",
    "Environment Canada warned of freezing drizzle for the region on Tuesday.",
])
def test_nature_machines_sports_and_weather_are_not_events(text):
    assert asserted(text) == []


def test_modifiers_and_names_are_not_events():
    kinds = asserted("Aid reached the besieged city on Monday, and the Florida Highway Patrol closed the road.")
    assert ("COERCE", "besieged") not in kinds
    assert all(t != "Patrol" for _, t in kinds)


@pytest.mark.parametrize("text,kind", [
    ("A gunman opened fire on police officers in Paris on Thursday, killing one.", "ASSAULT"),
    ("A 12-year-old boy tried to blow up a Christmas market in Ludwigshafen, prosecutors say.", "ASSAULT"),
    ("Police arrested three men on Monday after a shooting death in the town.", "COERCE"),
])
def test_real_events_stay(text, kind):
    assert kind in {k for k, _ in asserted(text)}


def test_an_event_dated_long_before_the_dateline_is_history():
    text = "Mahmoud was arrested on March 3, 2014, court records show. Police arrested his cousin on Monday."
    doc = Document("t", text, date(2016, 11, 23))
    events = sorted((e.trigger.start, e.modality, e.date) for e in next(extract([doc]))[1] if e.event_type == "COERCE")
    assert [(m, d) for _, m, d in events] == [("historical", "2014-03-03"), ("asserted", "2016-11-21")]


def test_dated_background_uses_the_latest_day_of_the_precision():
    assert latest_day("2009-02-01", "month") == date(2009, 2, 28)
    assert latest_day("2008-12-01", "month") == date(2008, 12, 31)
    assert latest_day("2015-01-01", "year") == date(2015, 12, 31)
    last_month = Event("e", "d", "SUPPORT", date="2009-02-01", date_precision="month", date_text="last month")
    long_ago = Event("f", "d", "SUPPORT", date="2008-12-01", date_precision="month", date_text="in December")
    undated = Event("g", "d", "SUPPORT", date="2008-12-01", date_precision="day")  # the dateline's own default
    dated_background([last_month, long_ago, undated], date(2009, 3, 21))
    assert [e.modality for e in (last_month, long_ago, undated)] == ["asserted", "historical", "asserted"]


@pytest.mark.parametrize("text,kind", [
    # constructions the eventness labels mark not_event, in our own words
    ("Mark and Ellen Porter, visiting from Chicago, said the festival celebrated the links between Polish and American music.", "CONSULT"),
    ("For details, call the Rolling Hills Library at 555-201-3344 or the Town of Jordan at 555-201-7789 during office hours.", "REQUEST"),
    ("This is partly because disgruntled elements of the ethnic Tamil minority have many grievances.", "ACCUSE"),
    ("Officer Karen Mills and her canine partner, Rocket, were on patrol on Friday night.", "MOBILIZE"),
    ("President Emmanuel Macron has said that he ordered Turkey's Recep Tayyip Erdogan to cut it out in a conversation about migrant boats ahead of the EU summit.", "COERCE"),
])
def test_participles_orders_states_topics_and_units_are_not_events(text, kind):
    assert kind not in {k for k, _ in asserted(text)}


@pytest.mark.parametrize("text,kind", [
    ("Indian troops remained on alert along the disputed border today to forestall more attacks.", "MOBILIZE"),
    ("A delegation visited Tehran on Monday and met the foreign minister.", "CONSULT"),
    ("Iran and Pakistan reached an agreement on Monday, officials said.", "AGREE"),
])
def test_carried_nouns_and_finite_visits_stay(text, kind):
    assert kind in {k for k, _ in asserted(text)}


@pytest.mark.parametrize("text,kind", [
    ("Paramedics gave the cats oxygen after they had carried them out of the burning flat.", "AID"),
    ("The president pardoned a turkey named Tater at the White House on Wednesday.", "SUPPORT"),
    ("The governor warned residents to stay away from the coast because of the risk of a tsunami.", "THREATEN"),
])
def test_animals_and_hazard_warnings_are_not_political_events(text, kind):
    assert kind not in {k for k, _ in asserted(text)}


def test_turkey_the_country_is_still_a_target():
    assert "ASSAULT" in {k for k, _ in asserted("Syrian rebels attacked Turkey's border posts on Monday, killing two soldiers.")}


def test_words_inside_an_attribution_are_sources_not_events():
    # the investigations are one event; "the inquiries" only names the sources' knowledge
    kinds = asserted("Federal prosecutors opened investigations into the bank's dealings with Iran, according to two officials familiar with those inquiries.")
    assert [t for k, t in kinds if k == "ACCUSE"] == ["opened"]


@pytest.mark.parametrize("text,kind", [
    ("But Morrison told a local radio station that they are restricted by their tight budget.", "COERCE"),
    ("Attacking churches is prohibited in Islamic law, the cleric said.", "COERCE"),
    ("Christians facing persecution have fled the region.", "COERCE"),
])
def test_standing_rules_and_conditions_are_not_acts(text, kind):
    assert kind not in {k for k, _ in asserted(text)}


def test_a_ban_imposed_is_still_an_act():
    assert "COERCE" in {k for k, _ in asserted("The government banned all protests in the capital on Monday.")}


def test_inspecting_the_scene_of_an_attack_is_no_investigation_of_anyone():
    kinds = asserted("Police officers inspect the scene of a car bomb explosion outside a mosque in Kirkuk on Friday.")
    assert "ACCUSE" not in {k for k, _ in kinds}


@pytest.mark.parametrize("text,kind,expected", [
    ("Morales then sat down while the other delegates applauded.", "CONSULT", False),
    ("Government negotiators sat down with the rebels in Havana on Monday.", "CONSULT", True),
    ("Hundreds of teachers staged a sit-in outside the ministry on Monday.", "PROTEST", True),
])
def test_sitting_down_is_a_meeting_only_with_someone(text, kind, expected):
    assert (kind in {k for k, _ in asserted(text)}) is expected


@pytest.mark.parametrize("text,kind", [
    ("Riot police fired shots into the air to disperse the crowd outside parliament on Friday.", "ASSAULT"),
    ("The attacker also fired his pistol in the air before he was overpowered, witnesses said.", "ASSAULT"),
    ("Protesters tore down the banners hung outside the embassy for the national day.", "ASSAULT"),
])
def test_shots_into_the_air_and_things_hung_are_no_attacks(text, kind):
    assert kind not in {k for k, _ in asserted(text)}


@pytest.mark.parametrize("text", [
    "Gunmen fired on worshippers leaving the mosque on Friday, killing four.",
    "Iran hanged two men convicted of drug trafficking on Sunday, rights groups said.",
])
def test_shootings_and_hangings_of_people_stay(text):
    assert "ASSAULT" in {k for k, _ in asserted(text)}


def test_what_someone_is_hoping_to_do_is_not_done():
    assert asserted("At the time, Egypt was hoping to host the talks between the two factions in Cairo.") == []


def test_a_meeting_still_to_be_held_is_not_asserted():
    kinds = asserted("The ministers met on Monday, a day before a summit to be held in Astana.")
    assert ("CONSULT", "met") in kinds and ("CONSULT", "summit") not in kinds


def test_earlier_attacks_with_their_own_month_stay_apart_from_the_news():
    text = ("Three people were killed in a knife attack at a market in Kunming on Sunday, police said. "
            "In March, a man stabbed four people to death at a bus station in Yunnan province.")
    doc = Document("t", text, date(2017, 7, 17))
    events = [e for e in next(extract([doc]))[1] if e.event_type == "ASSAULT"]
    sunday = [e for e in events if e.date == "2017-07-16"]
    assert len(sunday) == 1 and all("March" not in s.text for s in sunday[0].evidence)
    assert any(e.date == "2017-03-01" for e in events)


def test_an_earlier_attack_a_week_before_the_news_keeps_its_own_date():
    text = ("A roadside bomb killed 9 policemen aboard a truck in Mardin, officials said. "
            "It comes a week after 31 people were killed in an ISIL attack in Ankara.")
    doc = Document("t", text, date(2016, 12, 17))
    events = [e for e in next(extract([doc]))[1] if e.event_type == "ASSAULT" and e.modality == "asserted"]
    earlier = [e for e in events if any("31 people" in s.text for s in e.evidence if s.role == "recipient")]
    assert len(events) == 2 and len(earlier) == 1
    assert earlier[0].date == "2016-12-10"


@pytest.mark.parametrize("text,kind", [
    ("Analysts say that Pakistan's weak courts and police corruption contribute to the rise in vigilante killings.", "AID"),
    ("A blast at a restaurant in Tehran injured 12 people and was probably caused by a gas cylinder, firefighters said.", "ASSAULT"),
])
def test_causes_and_accidents_are_not_events(text, kind):
    assert kind not in {k for k, _ in asserted(text)}


@pytest.mark.parametrize("text,kind", [
    ("Japan contributed to the relief fund for the flood victims on Monday.", "AID"),
    ("A bomb explosion in a market in Quetta killed 12 people on Saturday, police said.", "ASSAULT"),
])
def test_contributions_and_bombings_stay(text, kind):
    assert kind in {k for k, _ in asserted(text)}


def test_what_an_accusation_says_is_not_asserted_by_the_report():
    kinds = asserted("Rebels in Idlib accused the Syrian army and allied militias of heavy shelling of the city on Tuesday.")
    assert "ACCUSE" in {k for k, _ in kinds} and "ASSAULT" not in {k for k, _ in kinds}


def test_a_vague_tally_of_attacks_is_no_event_but_a_counted_one_is():
    assert "ASSAULT" not in {k for k, _ in asserted("The Iraqi general survived many assassination attempts in Baghdad.")}
    assert "ASSAULT" in {k for k, _ in asserted("Three rocket attacks hit Baghdad on Monday, police said.")}


def test_a_second_plotted_act_parsed_off_its_infinitive_is_not_asserted():
    text = ("A Bristol student who confessed that he had plotted to execute a navy officer and then attack a nearby "
            "army barracks in support of Islamic State was sentenced on Monday to 15 years in prison.")
    assert "ASSAULT" not in {k for k, _ in asserted(text)}


def test_a_relative_clause_on_a_generic_pronoun_is_no_event():
    text = "The preacher told the crowd in Kano on Friday that God rewards those who supported the Sultan of Sokoto."
    assert "SUPPORT" not in {k for k, _ in asserted(text)}


def test_the_blast_after_an_accident_is_the_accident():
    text = ("A gas cylinder explosion at a restaurant in Mashhad injured 14 people on Friday, firefighters said. "
            "The blast occurred near the Imam Reza shrine in central Mashhad, local media reported.")
    assert "ASSAULT" not in {k for k, _ in asserted(text)}


def counted(text: str, dateline: str = "2016-11-23") -> dict[str, int]:
    out: dict[str, int] = {}
    for kind, _ in asserted(text, dateline):
        out[kind] = out.get(kind, 0) + 1
    return out


def test_a_negation_does_not_reach_a_conjunct_clause_with_its_own_subject():
    text = "The minister's case is not linked to the inquiry, but police raided offices at the ministry on Friday."
    assert "COERCE" in {k for k, _ in asserted(text)}


def test_a_relative_clause_telling_who_someone_is_is_background_unless_it_dates_the_act():
    text = "The suspect spoke by phone with Abu Omar, an Islamic State recruiter who urged him to attack a police station, investigators said."
    assert "REQUEST" not in {k for k, _ in asserted(text)}
    assert "CONSULT" in {k for k, _ in asserted("Kerry, who met with Lavrov in Geneva on Saturday, said the talks would go on.")}


@pytest.mark.parametrize("text,kind", [
    ("A deputy mayor of Naples was arrested on Thursday, months after the council was elected promising to fight corruption.", "AGREE"),
    ("During the Democratic primaries, he supported Senator Bernie Sanders.", "SUPPORT"),
    ('"It is not true that the minister had any contact with these men or their allegations," a spokesman said.', "ACCUSE"),
    ("Hussein, who moved to Berlin in 2009, had begun by June 2013 expressing support for al-Shabaab online, prosecutors said.", "SUPPORT"),
    ("The group previously petitioned the court to intervene, saying the government was violating the constitution.", "REJECT"),
])
def test_history_and_denied_content_are_not_asserted(text, kind):
    assert kind not in {k for k, _ in asserted(text)}


@pytest.mark.parametrize("text,kind", [
    ("The councillor resigned after alleging she was threatened and harassed by party officials in Lagos.", "COERCE"),
    ("Parliament approved the bill on Tuesday.\nREAD MORE: Ukraine and EU sign trade agreement in Brussels\nThe vote was 250 to 40.", "AGREE"),
    ("A police official who asked not to be named said the bomb weighed 12 kilograms.", "REQUEST"),
    ("She criticised party members who say they approve of the Russian president.", "SUPPORT"),
    ("Organizers of a rally in Halifax in support of Syrian refugees thanked the government on Sunday.", "PROTEST"),
    ("Police in Munich arrested two men on Friday, accused of planning an attack on a shopping centre.", "ACCUSE"),
    ("The senator attacked the president's proposal to close the border, calling it cruel.", "ASSAULT"),
])
def test_allegations_links_sources_habits_identities_and_grounds_are_no_events(text, kind):
    assert kind not in {k for k, _ in asserted(text)}


def test_a_verbal_attack_on_a_proposal_is_criticism():
    assert "ACCUSE" in {k for k, _ in asserted("The senator attacked the president's proposal to close the border, calling it cruel.")}


def test_one_event_told_by_two_triggers_of_a_sentence_is_one_record():
    assert counted("The explosion on Sunday hit a mosque in Quetta, police said.").get("ASSAULT") == 1
    assert counted("The man's flat in Hamburg was searched on Monday and his brother and father were detained.").get("COERCE") == 1
    assert counted("Turkish jets bombed Kurdish militants in Iraq and shelled villages in Syria on Monday, officials said.").get("ASSAULT") == 2


def test_eventness_labels_are_found_again_when_the_type_or_the_first_trigger_moved():
    from dataclasses import replace

    from flashpoint.evaluation.train_eventness import label_of
    from flashpoint.models import Span

    text = "Police raided the offices of the newspaper in Ankara on Monday and detained its editor."
    ev = next(e for e in next(extract([Document("t", text, date(2016, 11, 23))]))[1] if e.event_type == "COERCE")
    start = ev.trigger.start
    other = next(e.start for e in ev.evidence if e.role == "trigger" and e.start != start) if len(
        [e for e in ev.evidence if e.role == "trigger"]) > 1 else start + 1000
    lab = lambda s, t, label: {"doc": "t", "trigger_start": s, "event_type": t, "label": label}
    exact, moved = lab(start, "COERCE", "event"), lab(start, "ASSAULT", "not_event")
    assert label_of(ev, "t", {("t", start, "COERCE"): exact}, {("t", start): moved}) is exact
    assert label_of(ev, "t", {}, {("t", start): moved}) is moved
    member = lab(other, "COERCE", "historical")
    ev2 = replace(ev, evidence=[*ev.evidence, Span(text, other, other + 4, "trigger")])
    assert label_of(ev2, "t", {}, {("t", other): member}) is member
    assert label_of(ev2, "t", {}, {("t", start + 500): member}) is None


def test_a_courts_order_of_what_shall_be_is_its_ruling_and_a_summons_a_request():
    text = ("A judge in Cincinnati sentenced Ali Saleh to 20 years in prison on Wednesday. "
            "The judge imposed the prison term and ordered that Saleh remain under supervision for life.")
    assert counted(text) == {"SANCTION": 1}
    summons = "A judge in Buenos Aires has ordered the former minister to appear on October 16 for questioning, court sources said."
    assert "REQUEST" in {k for k, _ in asserted(summons)}


def test_a_speaker_named_again_by_surname_is_the_same_speaker():
    from flashpoint.mentions import same_speaker

    assert same_speaker({"Sandra Jansen"}, {"Jansen"}) and not same_speaker({"Sandra Jansen"}, {"Rachel Notley"})
    assert not same_speaker({"Jansen"}, {"Jans"})
    text = ("Indian Prime Minister Narendra Modi urged Pakistan on Monday to act against the militants. "
            "Modi said Pakistan must close the training camps.")
    assert counted(text) == {"REQUEST": 1}


def test_a_past_season_is_history_and_what_follows_it_too():
    text = ("Police in Munich arrested a Syrian man on Monday. France suffered a wave of attacks in the south of the country "
            "over the summer. Dozens of people were killed in separate shootings and bombings.")
    assert {k for k, _ in asserted(text, "2016-12-16")} == {"COERCE"}
    assert "ASSAULT" in {k for k, _ in asserted("Gunmen attacked a police post in Kirkuk over the summer, killing two.", "2016-08-20")}
