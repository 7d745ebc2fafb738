"""ACLED sub-event rules (data/acled.yaml) and the modality of ACLED-style notes, on our own sentences."""

from datetime import date

import pytest

from flashpoint.models import Document
from flashpoint.pipeline import extract


def events_of(text: str) -> list:
    return next(extract([Document("t", text, date(2020, 5, 6))]))[1]


def first_sub_event(text: str) -> str | None:
    evs = sorted((e for e in events_of(text) if e.modality == "asserted"), key=lambda e: e.trigger.start)
    return evs[0].acled["sub_event_type"] if evs and evs[0].acled else None


@pytest.mark.parametrize(
    "text, sub_event",
    [
        # monitors hearing shots, or fire in both directions of the line: two armed sides engage
        ("On 2 May 2020, ceasefire monitors recorded 14 explosions and shots involving small arms near Zolote.", "Armed clash"),
        # heavy machine-gun fire alone, observed by monitors, is counted with the heavy weapons
        ("On 2 May 2020, ceasefire monitors recorded 5 bursts of fire involving heavy machine guns near Zolote.", "Shelling/artillery/missile attack"),
        # explosions alone heard from afar stay shelling
        ("On 2 May 2020, ceasefire monitors recorded 9 explosions near Zolote.", "Shelling/artillery/missile attack"),
        # the demonstrators' own violence in the same sentence
        ("On 2 May 2020, in Oaxaca de Juarez, Oaxaca, about 50 vendors demonstrated by burning tires in front of the city hall to demand the reopening of the market.", "Violent demonstration"),
        # locals fighting one another, no armed group named
        ("On 2 May 2020, locals and traders clashed in Kisii over the relocation of a market.", "Mob violence"),
    ],
)
def test_acled_sub_event_rules(text, sub_event):
    assert first_sub_event(text) == sub_event


def test_a_note_dated_around_a_day_in_may_is_asserted():
    # "Around 4 May 2020": the month is no modal "may", whatever the NER makes of the date
    evs = events_of("Around 6 May 2020, in Leon, Guanajuato, a man was killed and found dead with gunshot wounds. 1 fatality")
    assert any(e.event_type == "ASSAULT" and e.modality == "asserted" for e in evs), [(e.event_type, e.modality) for e in evs]


def first_asserted(text: str):
    evs = sorted((e for e in events_of(text) if e.modality == "asserted"), key=lambda e: e.trigger.start)
    return evs[0] if evs else None


@pytest.mark.parametrize(
    "text, sub_event, place",
    [
        # gunfire counted by monitors, with no verb of firing: the shots are the event
        ("On 2 May 2020, ceasefire monitors recorded a total of 23 shots involving small arms near Popasna.", "Armed clash", "Popasna"),
        ("On 2 May 2020, ceasefire monitors recorded 7 bursts of fire near Popasna.", "Armed clash", "Popasna"),
        # a hyphenated shoot-out is split by the tokenizer into "shoot" and "out"
        ("On 2 May 2020, in Curitiba, Parana, residents reported that a shoot-out took place in the city centre.", "Armed clash", "Curitiba"),
        # projectiles counted by monitors; infantry fighting vehicles and grenade launchers fired at positions: shelling
        ("On 2 May 2020, ceasefire monitors recorded a total of 6 projectiles near Popasna.", "Shelling/artillery/missile attack", "Popasna"),
        ("On 2 May 2020, government forces fired IFVs and grenade launchers at the positions of the rebels near Popasna.",
         "Shelling/artillery/missile attack", "Popasna"),
        # machine guns named by their calibre
        ("On 2 May 2020, rebel forces fired 12.7mm and 14.5mm machine guns at the positions of the army near Popasna.", "Armed clash", "Popasna"),
        # the town after "in", parsed as a modifier of the province in the parenthesis, is where it happened
        ("On 2 May 2020, militants attacked a police station in Dire (Dire, Tombouctou), and wounded three policemen.", "Armed clash", "Diré"),
        # a state chosen only as the admin hint of the town before it: the town
        ("On 2 May 2020, in Gaucha do Norte, Mato Grosso, a farmer was shot to death by two armed men.", "Attack", "Gaúcha do Norte"),
        # killed by blows
        ("On 2 May 2020, a vendor was beaten to death by a group of men in Sylhet.", "Attack", "Sylhet"),
        # a body found, a person found dead: a killing by someone unnamed
        ("On 2 May 2020, in Morelia, Michoacan, a man was found dead with his hands tied. 1 fatality.", "Attack", "Morelia"),
        ("On 2 May 2020, the bodies of three men were found on a dirt road near Culiacan, Sinaloa.", "Attack", "Culiacán"),
        # a body found "with firearm injuries" is no weapons find
        ("On 2 May 2020, in Morelia, Michoacan, the body of a woman was found with firearm injuries.", "Attack", "Morelia"),
    ],
)
def test_events_told_without_a_verb_of_violence(text, sub_event, place):
    ev = first_asserted(text)
    assert ev is not None and ev.acled and ev.acled["sub_event_type"] == sub_event, ev
    assert ev.location is not None and ev.location.name == place, ev.location


@pytest.mark.parametrize(
    "text",
    [
        "On 2 May 2020, nurses in Dayton gave flu shots to 300 pensioners.",
        "On 2 May 2020, the striker took a shot at goal in the last minute of the match in Madrid.",
        "On 2 May 2020, the body of a fisherman was found on a beach near Tema after his boat capsized.",
        "On 2 May 2020, rescuers found 12 bodies under the rubble of the collapsed building in Lagos.",
        "On 2 May 2020, rioters threw projectiles at the police in Lyon.",
        "On 2 May 2020, the visitors were beaten by Lyon in the cup final.",
    ],
)
def test_shots_and_bodies_that_are_no_violence(text):
    assert not [e for e in events_of(text) if e.event_type == "ASSAULT"], [(e.event_type, e.trigger) for e in events_of(text)]


def test_a_passive_verb_does_not_take_the_subject_of_the_verb_it_is_joined_to():
    # "one was killed": by whom is not said, so it is told of the gunfight before it, with its death
    evs = [e for e in events_of("On 2 May 2020, in Niteroi, Rio de Janeiro, a gunfight broke out between police and suspected "
                                "drug dealers in the Fonseca area. Two suspects escaped and one was killed.") if e.event_type == "ASSAULT"]
    assert len(evs) == 1 and evs[0].fatalities and evs[0].fatalities.best == 1, evs


def test_violence_near_a_name_the_ner_did_not_take_for_a_place_is_kept():
    # "Svitlodarsk" is tagged as a date: the name after "near" is still where it happened, so the event stays
    ev = first_asserted("On 2 May 2020, ceasefire monitors recorded a total of 4 explosions near Svitlodarsk.")
    assert ev is not None and ev.acled["sub_event_type"] == "Shelling/artillery/missile attack"


def test_a_protest_whose_participle_demands_support_is_still_a_protest():
    # "support" rules out the "demonstrated support" sense only as the protest's own object, not the participle's
    assert first_sub_event("On 3 May 2020, in Puebla, Puebla, around 40 street vendors protested demanding economic support from the city.") == "Peaceful protest"
    assert first_sub_event("On 3 May 2020, the mayor demonstrated support for the vendors in Puebla.") != "Peaceful protest"
