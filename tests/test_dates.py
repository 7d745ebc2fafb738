"""Event dates against the dateline: dates.py on single sentences, then event_dates' relative and
default dates end to end. The sentences are written for these tests; the dateline is Thursday
2023-06-08 unless a test says otherwise."""

from datetime import date

import pytest

from flashpoint import dates as dt
from flashpoint.models import Document
from flashpoint.pipeline import extract

THURSDAY = date(2023, 6, 8)


def best_mention(sentence: str, dateline: date | None = THURSDAY) -> dt.DateMention:
    """The mention the coder would take: resolved, most specific first (as event_dates.date_of sorts)."""
    ms = [dt.resolve(m, dateline) for m in dt.find_mentions(sentence) if m.kind != "relative"]
    assert ms, f"no date found in {sentence!r}"
    return sorted(ms, key=dt.specificity)[0]


@pytest.mark.parametrize(
    "sentence, iso, precision, text",
    [
        # weekdays: the most recent such day; the dateline's own weekday is the dateline
        ("Gunmen attacked a police checkpoint on Tuesday.", "2023-06-06", "day", "on Tuesday"),
        ("Protesters gathered outside parliament on Thursday.", "2023-06-08", "day", "on Thursday"),
        ("Talks between the two parties collapsed last Thursday.", "2023-06-01", "day", "last Thursday"),
        ("Police arrested two teenagers last Wednesday.", "2023-05-31", "day", "last Wednesday"),  # not yesterday
        ("Police arrested two teenagers on Wednesday.", "2023-06-07", "day", "on Wednesday"),
        ("The minister resigned last Monday.", "2023-06-05", "day", "last Monday"),
        ("In the summer of 2010, investigators met the informant in London.", "2010-01-01", "year", "In the summer of 2010"),
        ("The strike on Saturday hit a fuel depot.", "2023-06-03", "day", "on Saturday"),
        # times of day that cross midnight keep the stated day
        ("The convoy was ambushed late on Monday near the border.", "2023-06-05", "day", "late on Monday"),
        ("Shelling resumed early on Wednesday.", "2023-06-07", "day", "early on Wednesday"),
        ("Drones struck the depot in the early hours of Thursday.", "2023-06-08", "day", "in the early hours of Thursday"),
        ("Rockets hit the town overnight into Wednesday.", "2023-06-07", "day", "overnight into Wednesday"),
        ("Police fired tear gas on Sunday night.", "2023-06-04", "day", "on Sunday night"),
        ("Militants raided the village overnight.", "2023-06-07", "day", "overnight"),
        # counted back from the dateline
        ("The minister resigned yesterday.", "2023-06-07", "day", "yesterday"),
        ("Two soldiers died last night in the clashes.", "2023-06-07", "day", "last night"),
        ("The army said the post was overrun two days ago.", "2023-06-06", "day", "two days ago"),
        ("A week ago the rebels took the airport.", "2023-06-01", "week", "A week ago"),
        ("Clashes broke out in the capital last week.", "2023-05-29", "week", "last week"),
        ("A curfew was imposed earlier this week.", "2023-06-05", "week", "earlier this week"),
        ("Strikes at the port continued this week.", "2023-06-05", "week", "this week"),
        ("The border crossing was closed earlier this month.", "2023-06-01", "month", "earlier this month"),
        ("Aid deliveries to the camp stopped last month.", "2023-05-01", "month", "last month"),
        ("The movement was banned last year.", "2022-01-01", "year", "last year"),
        ("Elections were held in 2019 after years of delay.", "2019-01-01", "year", "in 2019"),
        ("The ceasefire was signed in March.", "2023-03-01", "month", "in March"),
        # explicit dates in common formats
        ("Troops entered the city on June 5.", "2023-06-05", "day", "June 5"),
        ("The blast happened on Jun. 3 at a market.", "2023-06-03", "day", "Jun. 3"),
        ("Rebels seized the mine on 4 June.", "2023-06-04", "day", "4 June"),
        ("The accord was signed on June 2, 2023, in Doha.", "2023-06-02", "day", "June 2, 2023"),
        ("He was detained on Sept. 14, 2022, at the airport.", "2022-09-14", "day", "Sept. 14, 2022"),
        ("The vote took place on 6/1 under heavy security.", "2023-06-01", "day", "6/1"),
        ("The court ruled on 2023-05-30 that the ban was lawful.", "2023-05-30", "day", "2023-05-30"),
        ("Officials recalled the raid of Dec. 30 on the camp.", "2022-12-30", "day", "Dec. 30"),
        ("The 21st of May raid left the village empty.", "2023-05-21", "day", "21st of May"),
        # ranges: the first day, precision as long as the range
        ("Fighting raged between June 1 and 3 around the dam.", "2023-06-01", "week", "between June 1 and 3"),
        ("Sit-ins were held June 5-7 across the country.", "2023-06-05", "week", "June 5-7"),
        ("Floods hit the delta on 5-6 June.", "2023-06-05", "week", "5-6 June"),
        ("Looting went on from May 2 to May 25.", "2023-05-02", "month", "from May 2 to May 25"),
        ("Strikes took place between Monday and Wednesday.", "2023-06-05", "week", "between Monday and Wednesday"),
    ],
)
def test_date_against_dateline(sentence, iso, precision, text):
    m = best_mention(sentence)
    assert (m.date.isoformat(), m.precision, m.text) == (iso, precision, text)


def test_monday_dateline_weekday_goes_back_a_week_for_sunday():
    m = best_mention("Police dispersed the march on Sunday.", date(2024, 1, 15))
    assert m.date == date(2024, 1, 14)


def test_new_year_dates_without_year_take_the_nearest_year():
    assert best_mention("The attack on Dec. 29 killed a guard.", date(2024, 1, 3)).date == date(2023, 12, 29)
    assert best_mention("Talks resume on Jan. 5.", date(2023, 12, 28)).date == date(2024, 1, 5)


@pytest.mark.parametrize(
    "sentence, iso, precision",
    [
        ("The accord was signed on June 2, 2023.", "2023-06-02", "day"),
        ("The accord was signed in March 2021.", "2021-03-01", "month"),
        ("Rallies continued between June 1 and 3, 2023.", "2023-06-01", "week"),
    ],
)
def test_without_dateline_only_dates_with_a_year_resolve(sentence, iso, precision):
    m = best_mention(sentence, None)
    assert (m.date.isoformat(), m.precision) == (iso, precision)


@pytest.mark.parametrize("sentence", ["Gunmen attacked a checkpoint on Tuesday.", "The minister resigned yesterday.", "Clashes broke out last week."])
def test_without_dateline_relative_words_stay_unresolved(sentence):
    m = best_mention(sentence, None)
    assert (m.date, m.precision) == (None, "unknown")


def test_future_weekday_is_the_coming_one():
    m = dt.resolve(dt.find_mentions("Ministers will meet on Monday.")[0], THURSDAY, future=True)
    assert m.date == date(2023, 6, 12)


@pytest.mark.parametrize(
    "phrase, offset, precision, adverbial",
    [
        ("a day after", 1, "day", False),
        ("two days before", -2, "day", False),
        ("three days later", -3, "day", True),
        ("a day earlier", 1, "day", True),
        ("the next day", -1, "day", True),
        ("the following day", -1, "day", True),
        ("a week later", -7, "week", True),
    ],
)
def test_relative_phrase_offsets(phrase, offset, precision, adverbial):
    [m] = dt.find_mentions(f"The army moved in {phrase} the rebels withdrew.")
    dt.resolve(m, THURSDAY)
    assert (m.kind, m.offset_days, m.precision, m.adverbial) == ("relative", offset, precision, adverbial)


def test_no_date_words_no_mention():
    assert dt.find_mentions("The talks broke down amid mutual accusations.") == []


# --- end to end: relative dates and defaults (event_dates.resolve) --------------------------------


def events_of(text: str, dateline: date | None = THURSDAY) -> list:
    return next(extract([Document("t", text, dateline)]))[1]


def one(events, type_: str, actor: str):
    found = [e for e in events if e.event_type == type_ and actor in {a.country for a in e.actor}]
    assert found, f"no {type_} by {actor} in {[(e.event_type, [a.country for a in e.actor]) for e in events]}"
    return found[0]


def test_adverbial_later_counts_from_the_last_dated_event():
    evs = events_of("Iranian forces attacked Iraqi border posts on Monday. Iraq recalled its ambassador from Iran two days later.")
    e = one(evs, "SANCTION", "IRQ")
    assert (e.date, e.date_precision, e.date_text) == ("2023-06-07", "day", "two days later")


def test_phrase_first_after_turns_the_link_round():
    evs = events_of("Iran struck Iraq on Monday. A day after the strike, Pakistan recalled its ambassador from Iran.")
    e = one(evs, "SANCTION", "PAK")
    assert (e.date, e.date_text) == ("2023-06-06", "A day after")


def test_present_perfect_without_date_is_the_dateline_at_day_precision():
    e = one(events_of("Pakistan has recalled its ambassador from Iran."), "SANCTION", "PAK")
    assert (e.date, e.date_precision, e.date_text) == ("2023-06-08", "day", None)


def test_simple_past_without_date_is_the_dateline_at_week_precision():
    e = one(events_of("Pakistan recalled its ambassador from Iran."), "SANCTION", "PAK")
    assert (e.date, e.date_precision, e.date_text) == ("2023-06-08", "week", None)


def test_no_dateline_no_date():
    e = one(events_of("Pakistan recalled its ambassador from Iran.", None), "SANCTION", "PAK")
    assert (e.date, e.date_precision) == (None, "unknown")


def test_stated_weekday_wins_over_the_dateline():
    e = one(events_of("Pakistan recalled its ambassador from Iran on Tuesday."), "SANCTION", "PAK")
    assert (e.date, e.date_precision, e.date_text) == ("2023-06-06", "day", "on Tuesday")


def test_a_deadline_the_event_sets_is_not_its_date():
    # "by Friday" is when the envoys are to be back, not when the two sides agreed
    evs = events_of("Chile and Peru agreed on Tuesday that their envoys would return to their posts by Friday.")
    [agree] = [e for e in evs if e.event_type == "AGREE"]
    assert (agree.date, agree.date_text) == ("2023-06-06", "on Tuesday")
    evs = events_of("Chile and Peru agreed to restore ambassador-level relations by June 20.")
    assert all(e.date != "2023-06-20" for e in evs)


# --- a news dateline dates the report, not the event (demo corpus leads) ----------------------------


def test_the_date_of_a_news_dateline_is_not_a_mention():
    lead = ("ERBIL, Iraq, Jan 17 (Tigris Herald) — Hundreds of mourners gathered in Erbil on Tuesday for the "
            "funerals of the civilians killed when Iranian ballistic missiles struck the city late on Monday.")
    assert [m.text for m in dt.find_mentions(lead)] == ["on Tuesday", "late on Monday"]
    # a lead cut before the dateline's date by the sentence splitter, and a title line above it
    assert dt.find_mentions(", Jan 17 (Indus Chronicle) — Two children were killed") == []
    assert dt.find_mentions("Erbil buries strike victims\nERBIL, Iraq, Jan 17 (Tigris Herald) — Mourners gathered.") == []
    assert dt.find_mentions("Erbil buries strike victims\nERBIL, Iraq, Jan 17 (Tigris Herald) —") == []  # the sentence ends at the dash
    # a date in running text stays one, dash or not
    kerman = "The Guards linked the Idlib strike to the bombings in Kerman on Jan. 3 - the deadliest attack in years."
    assert [m.text for m in dt.find_mentions(kerman)] == ["Jan. 3"]


def test_an_event_with_only_the_dateline_falls_back_on_the_articles_date():
    text = ("ISLAMABAD, Jan 16 (Gulf Wire) — Pakistan condemned what it called an unprovoked violation of its "
            "airspace by Iran, saying an Iranian strike in Balochistan province had killed two children.")
    evs = events_of(text, date(2024, 1, 16))
    assert evs and all(e.date_text != "Jan 16" for e in evs)


# --- relative phrases are reckoned from the event they modify ------------------------------------


def test_coordinated_after_clauses_both_count_from_the_main_event():
    # "X, three days after Y and a day after Z": Z is a day before X, not a day before Y
    text = ("Sudan and Chad agreed on Thursday to reopen their border crossings, officials said, four days after "
            "Sudanese troops shelled a Chadian border post and a day after Chadian forces hit back with raids inside Sudan.")
    evs = events_of(text)
    assert (one(evs, "ASSAULT", "SDN").date, one(evs, "ASSAULT", "SDN").date_text) == ("2023-06-04", "four days after")
    back = one(evs, "ASSAULT", "TCD")
    assert (back.date, back.date_text) == ("2023-06-07", "a day after")


def test_a_date_inside_the_after_phrase_is_the_earlier_events():
    # "The strike came a day after Y on Tuesday, and it raised concern": Tuesday is Y's; the strike
    # is a day later; the concern is not dated from Y at all
    text = ("The Russian strike on Odesa came a day after Ukraine attacked an oil depot in Belgorod on Tuesday, and "
            "it raised concern in European capitals that the war was spreading to new fronts.")
    evs = events_of(text)
    assert (one(evs, "ASSAULT", "UKR").date, one(evs, "ASSAULT", "RUS").date) == ("2023-06-06", "2023-06-07")
    concern = [e for e in evs if e.event_type == "ACCUSE"]
    assert concern and all((e.date, e.date_text) == ("2023-06-08", None) for e in concern), [(e.date, e.date_text) for e in concern]


def test_earlier_after_an_event_noun_dates_that_noun():
    # "in response to an attack on its territory two days earlier": the attack is two days before
    # the strike; the strike itself is not moved back
    text = ("The United States and Britain urged both sides on Thursday to show restraint, after India shelled "
            "positions inside Pakistan in response to a Pakistani attack on its border posts two days earlier.")
    evs = events_of(text)
    shelled = one(evs, "ASSAULT", "IND")
    assert shelled.date_text != "two days earlier"
    attack = one(evs, "ASSAULT", "PAK")
    assert (attack.date, attack.date_text) == ("2023-06-06", "two days earlier")


def test_a_stated_date_wins_over_a_headline_dated_by_the_dateline():
    text = ("Rebel shelling kills three in Goma, army says\n\n"
            "GOMA, June 8 (Lakeside Wire) — Three civilians were killed when M23 rebels shelled a market in Goma "
            "late on Tuesday, the Congolese army said.")
    evs = [e for e in events_of(text) if e.event_type == "ASSAULT"]
    assert evs and all(e.date == "2023-06-06" for e in evs), [(e.date, e.date_text) for e in evs]


def test_a_coordinated_clause_with_its_own_subject_keeps_its_date_and_its_agent():
    # "three farmers were killed ..., and on Sunday it recalled its ambassador": Sunday and "it" are
    # the recall's; the killing keeps the dateline's week and no actor borrowed from the recall
    text = ("Sudan says three farmers were killed and five women injured in the Geneina district, and on Sunday it "
            "recalled its ambassador from Chad.")
    evs = events_of(text)
    recall = one(evs, "SANCTION", "SDN")
    assert (recall.date, recall.date_text) == ("2023-06-04", "on Sunday")
    killed = [e for e in evs if e.event_type == "ASSAULT"]
    assert killed and all((e.date, e.date_text) == ("2023-06-08", None) for e in killed)
    assert all("SDN" not in {a.country for a in e.actor} for e in killed)
