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
