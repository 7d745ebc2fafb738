"""Offline geoparsing: the gazetteer, toponym recognition and resolution, event location and the
TR-News / LGL evaluation (issue 6). Sentences are written for these tests."""

from datetime import date

import pytest

from flashpoint import places
from flashpoint.evaluation import geo as eval_geo
from flashpoint.evaluation.bench import geo_benchmark
from flashpoint.geoparse import geoparse_texts
from flashpoint.models import Document
from flashpoint.pipeline import extract


def topo(text: str) -> dict[str, list[dict]]:
    return geoparse_texts([text])[0]


def by_text(recs: list[dict]) -> dict[str, dict]:
    return {r["text"]: r for r in recs}


# --- the gazetteer ----------------------------------------------------------------------------


def test_index_has_countries_provinces_districts_and_abbreviations():
    usa = places.country_place("USA")
    assert usa.feature == "PCLI" and abs(usa.lat - 39.76) < 0.01  # the country's point, not Washington
    ky = places.lookup("Ky.").places[0]
    assert (ky.name, ky.feature, ky.country) == ("Kentucky", "ADM1", "USA")
    parish = places.lookup("Rapides Parish").places[0]
    assert (parish.feature, parish.admin1) == ("ADM2", "Louisiana")
    assert places.lookup("PK-BA").places[0].name == "Balochistan"  # ISO 3166-2 code via pycountry
    assert places.lookup("Middle East").places[0].feature == "RGN"


def test_transliteration_variants_resolve_after_exact_lookup_fails():
    assert places.variant_key("Koh-i-Sabz") == places.variant_key("Koh-i-Sabaz")
    assert places.variant_key("Baluchistan") == places.variant_key("Balochistan")
    assert places.variant_key("Irbil") == places.variant_key("Erbil")
    m = places.lookup("Baluchistan")
    assert m.how == "variant" and m.places[0].name == "Balochistan" and m.places[0].country == "PAK"
    assert places.lookup("Balochistan").how == "exact"
    sb = places.lookup("Sistan-Baluchestan").places[0]
    assert (sb.country, sb.feature) == ("IRN", "ADM1")
    assert places.lookup("Irbil").places[0].name == "Erbil"


def test_generic_noun_is_a_hint_not_part_of_the_name():
    m = places.lookup("Panjgur district")
    assert m.places[0].name == "Panjgur" and m.hint == "ADM2"


def test_named_is_lookup_without_the_variant_search():
    # exact, alias, generic noun, article, variant, a variant core with a generic noun, unknown
    for text in ("Balochistan", "Britain", "Panjgur district", "Ar-Raqqa", "Baluchistan", "Baluchistan province",
                 "Irbil", "Ky.", "John Smith", "Qwxzv"):
        full, m = places.lookup(text), places.named(text)
        if full.how in ("exact", "stripped"):
            assert m == full, text
        else:
            assert m.places == () and m.how == "none", text
    assert places.named("Baluchistan").places == () and places.lookup("Baluchistan").how == "variant"


# --- recognition and disambiguation -----------------------------------------------------------


def test_context_picks_the_reading_of_an_ambiguous_name():
    canada = by_text(topo("Police in London, Ontario, said a man was arrested on Saturday.")["toponyms"])
    assert canada["London"]["country"] == "CAN" and canada["Ontario"]["feature_code"] == "ADM1"
    britain = by_text(topo("Thousands of protesters marched through London on Saturday, British police said.")["toponyms"])
    assert britain["London"]["country"] == "GBR"
    texas = by_text(topo("The mayor of Paris, Texas, said the tornado damaged dozens of homes.")["toponyms"])
    assert (texas["Paris"]["country"], texas["Paris"]["admin1"]) == ("USA", "Texas")


def test_a_world_region_stays_the_region_in_a_story_about_one_country():
    # a Baltimore neighbourhood is also called Middle East: a story full of the United States must not pull it there
    text = ("WASHINGTON, Feb 2 - U.S. warplanes struck targets in Yemen on Friday, U.S. officials said. The U.S. Navy "
            "said its ships were safe, and the U.S. Congress was briefed in Washington. The commander of U.S. forces "
            "in the Middle East said more ships were on the way.")
    region = by_text(topo(text)["toponyms"])["Middle East"]
    assert region["feature_code"] == "RGN" and not region["country"]


def test_state_abbreviation_after_a_town_is_recognised():
    recs = by_text(topo("A court in Cottonport, La., charged the man with arson.")["toponyms"])
    assert recs["Cottonport"]["admin1"] == "Louisiana"
    assert recs["La."]["name"] == "Louisiana"


def test_unknown_village_falls_back_to_its_district():
    recs = by_text(topo("Two rockets landed overnight near the village of Koh-i-Sabz in the Panjgur district of Balochistan.")["toponyms"])
    village = recs["Koh-i-Sabz"]
    assert village["fallback"] is True and village["name"] == "Panjgur" and village["precision"] == 2
    assert recs["Panjgur"]["precision"] == 2  # "the Panjgur district": the district, at its namesake town


def test_relative_phrases_are_recorded_with_a_lower_precision():
    recs = by_text(topo("Gunmen attacked a police checkpoint 20 km north of Kabul, officials said.")["toponyms"])
    assert recs["Kabul"]["relative"] == "20 km north of" and recs["Kabul"]["precision"] == 2
    recs = by_text(topo("Shelling hit a market near Aleppo on Sunday.")["toponyms"])
    assert recs["Aleppo"]["relative"] == "near" and recs["Aleppo"]["feature_code"] == "PPL"


def test_demonym_is_kept_apart_from_places():
    res = topo("Pakistani officials said the talks would resume in Islamabad next week.")
    assert [r["text"] for r in res["toponyms"]] == ["Islamabad"]
    assert [(r["text"], r["country"]) for r in res["demonyms"]] == [("Pakistani", "PAK")]


def test_surname_of_a_person_is_not_a_place():
    res = topo("Abraham Lincoln spoke at Gettysburg. Historians say Lincoln wrote the speech on a train.")
    assert "Lincoln" not in {r["text"] for r in res["toponyms"]}


def test_a_news_agency_is_a_source_not_a_place():
    # "Mehr" is also a village in Ilam: before "news agencies" it is the agency that reported
    res = topo("Iran's Tasnim and Mehr news agencies reported that missiles had destroyed two bases, a Pakistani official said.")
    assert "Mehr" not in {r["text"] for r in res["toponyms"]}
    res = topo("The semi-official Fars news agency said gunmen attacked a police post in Fars province on Sunday.")
    assert [r["text"] for r in res["toponyms"]] == ["Fars province"]  # the province, not the agency


def test_place_inside_an_organisation_name():
    res = topo("The Mansfield Police Department said the suspect was arrested on Friday.")
    assert [r["text"] for r in res["toponyms"]] == ["Mansfield"]


# --- event location ---------------------------------------------------------------------------


def events(text: str) -> list:
    return [e for _, evs in extract([Document("t", text, date(2024, 1, 17))]) for e in evs]


def test_event_location_is_where_it_happened_not_every_place_named():
    evs = events("Iranian officials in Tehran said on Tuesday that missiles struck a village near Panjgur in Pakistan.")
    strike = next(e for e in evs if e.event_type == "ASSAULT")
    assert strike.location.name == "Panjgur" and strike.location.country == "PAK"
    assert strike.location.precision == 2  # "near Panjgur"


def test_event_in_unknown_village_is_located_at_its_district():
    evs = events("Police said gunmen killed three soldiers in the village of Koh-i-Sabaz in the Panjgur district on Monday.")
    attack = next(e for e in evs if e.event_type == "ASSAULT")
    assert attack.location.name == "Panjgur" and attack.location.precision == 2


def test_protest_location_prefers_the_town_over_its_country():
    evs = events("Hundreds of people protested in Erbil, Iraq, on Monday.")
    protest = next(e for e in evs if e.event_type == "PROTEST")
    assert (protest.location.name, protest.location.country, protest.location.precision) == ("Erbil", "IRQ", 1)


def test_diplomatic_recall_from_a_country_happens_at_home():
    evs = events("Pakistan recalled its ambassador from Iran on Wednesday.")
    recall = next(e for e in evs if e.event_type == "SANCTION")
    assert recall.location.country == "PAK"


def test_a_capital_addressed_by_a_verbal_act_is_its_government_not_the_place():
    evs = events("The Kurdish regional leader, who was visiting Geneva, urged Baghdad to protect the border.")
    appeal = next(e for e in evs if e.event_type == "REQUEST")
    assert appeal.location is None or appeal.location.name != "Baghdad", appeal.location
    struck = next(e for e in events("Drones struck Baghdad on Monday.") if e.event_type == "ASSAULT")
    assert struck.location.name == "Baghdad"  # a capital struck is the place
    visit = next(e for e in events("The Iranian foreign minister visited Islamabad on Monday.") if e.event_type == "CONSULT")
    assert visit.location.name == "Islamabad"  # a capital visited is the place


# --- issue 13: where the event happened (phrases quoted in the issue from real articles and notes) ---


def located(text: str, day: date = date(2020, 5, 4)):
    """The place of the text's first event (asserted first: where it happened does not depend on how real it is)."""
    evs = [e for _, es in extract([Document("t", text, day)]) for e in es]
    return sorted(evs, key=lambda e: e.modality != "asserted")[0].location


def test_admin_hints_in_parentheses_constrain_the_lookup():
    # "Gahemba (Ruyigi, Ruyigi)" in Burundi went to Gambia (a spelling variant)
    loc = located("Ruling-party youths beat up an opposition organiser in Gahemba (Ruyigi, Ruyigi) late on Tuesday.")
    assert (loc.country, loc.admin1, loc.precision) == ("BDI", "Ruyigi", 2)
    # "Songho, Doucoumbo Commune (Bandiagara, Mopti)" in Mali went to Matsudo, Japan
    loc = located("Gunmen on motorbikes raided the village of Songho, Doucoumbo Commune (Bandiagara, Mopti), residents said.")
    assert (loc.country, loc.admin1) == ("MLI", "Mopti")
    assert places.km(loc.lat, loc.lon, 14.35, -3.61) < 50  # Bandiagara


def test_admin_hint_names_the_ner_missed_still_count():
    loc = located("Soldiers shot down a small cargo plane close to Bardaale airport in Bardaale town (Buur Hakaba,Bay) on Monday.")
    assert loc.country == "SOM"


def test_admin_hint_picks_the_homonym_in_its_province():
    tops = by_text(topo("Shopkeepers staged a sit-in in Shahdadpur town (Sanghar, Sindh) over power cuts.")["toponyms"])
    assert (tops["Shahdadpur"]["country"], tops["Shahdadpur"]["admin1"]) == ("PAK", "Sindh")


def test_directional_phrase_resolves_to_the_named_place():
    # "the eastern countryside of Dar'a" (Syria) went to Eastern Province, Saudi Arabia
    loc = located("On Sunday, masked men shot a local council member in the town of Eastern Sharqiya in the eastern countryside of Dar'a.")
    assert (loc.country, loc.admin1, loc.precision) == ("SYR", "Daraa", 2)


def test_names_inside_organisation_and_building_names_are_not_places():
    assert topo("Last week the government formally disbanded the Federal Police, officials confirmed.")["toponyms"] == []
    res = topo("WASHINGTON (RNS) — Hundreds of people rallied outside the White House on Monday.")["toponyms"]
    assert "White" not in [r["text"] for r in res]


def test_dateline_is_the_city_and_the_place_of_an_event_that_names_none():
    loc = located("WASHINGTON (RNS) — Hundreds of people protested outside the White House on Monday.", date(2017, 1, 30))
    assert (loc.name, loc.country, loc.feature_code) == ("Washington", "USA", "PPLC")
    assert loc.precision == 2  # filed from Washington: not said to have happened in the city itself


def test_a_country_that_only_qualifies_a_noun_is_not_where_it_happened():
    loc = located("CANBERRA – The head of the Senate trade committee says she hopes Parliament can ratify "
                  "the Australia-EU free trade deal this month.", date(2016, 12, 13))
    assert (loc.name, loc.precision) == ("Canberra", 2)


def test_airport_is_its_city():
    res = by_text(topo("Militants shelled Kandahar airport on Sunday.")["toponyms"])
    assert res["Kandahar"]["country"] == "AFG"


def test_building_named_after_a_place_the_text_names_is_there():
    res = topo("Gunmen attacked a checkpoint in Ajloun, Jordan. Later they fired at tourists in Ajloun Castle.")["toponyms"]
    assert [r["country"] for r in res if r["text"] == "Ajloun"] == ["JOR", "JOR"]


def test_possessive_container_keeps_a_district_in_its_city():
    # a district named in its city's possessive stays in that city (a district of a common name went abroad)
    loc = located("BAGHDAD -- Two bombs killed five police officers and a civilian in Baghdad's Karrada district on Friday.", date(2016, 12, 9))
    assert loc.country == "IRQ" and loc.precision == 2


def test_comma_container_province_keeps_a_village_in_it():
    # no Novotroitske of Donetsk oblast in the gazetteer: the oblast's city, not one in Kherson
    loc = located("Separatist fighters fired mortars and machine guns at army positions near Novotroitske, Donetsk, overnight.")
    assert loc.admin1 == "Donetsk"


def test_place_of_the_sentence_when_the_clause_names_none():
    loc = located("In Morelia, Michoacan, gunfights broke out in the north of the city on Saturday and two people died.")
    assert (loc.name, loc.precision) == ("Morelia", 1)


def test_spelling_variant_only_in_the_countries_the_text_names():
    # the transliteration fallback took "Khyber" for Khobar, Saudi Arabia
    res = by_text(topo("Pakistani troops killed five militants in Khyber on Tuesday, the army said in Rawalpindi.")["toponyms"])
    assert res.get("Khyber", {}).get("country") in (None, "PAK")


def test_admin_hints_without_a_recognised_name_before_them():
    loc = located("Al shabaab fighters stormed an army outpost in Ceel Salini settlement (Afgooye, Lower Shabelle) at dawn.")
    assert (loc.text, loc.name, loc.country, loc.precision) == ("Ceel Salini", "Afgooye", "SOM", 2)


def test_small_homonym_far_from_every_country_named_is_dropped():
    # the only Alamada the gazetteer knows is in the Philippines; the note is about Somalia
    res = by_text(topo("Al shabaab fighters attacked a position near Alamada village in Somalia on Sunday.")["toponyms"])
    assert res["Alamada"]["country"] in (None, "SOM")
    assert not places.stray(places.lookup("Erbil").places[0], {"IRQ"}, [])


def test_acled_notes_scoring(tmp_path):
    from flashpoint.evaluation import acled_notes as eval_acled

    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "acled_notes_dev.csv").write_text(
        "data_id,event_date,event_type,sub_event_type,actor1,actor2,country,iso3,admin1,admin2,location,latitude,longitude,geo_precision,fatalities,source,notes\n"
        '1,4-May-20,Protests,Peaceful protest,Protesters,,Pakistan,PAK,Sindh,Sanghar,Shahdadpur,25.9255,68.6226,1,0,Dawn,'
        '"Traders marched through Shahdadpur town (Sanghar, Sindh) on Monday to demand lower fuel prices."\n'
        '2,4-May-20,Protests,Peaceful protest,Protesters,,Pakistan,PAK,Sindh,Sanghar,Shahdadpur,35.0,68.6226,1,2,Dawn,'
        '"Traders marched through Shahdadpur town (Sanghar, Sindh) on Monday."\n',
        encoding="utf-8",
    )
    rep = eval_acled.run(tmp_path)
    assert [c.within for c in rep.checks] == [True, False]  # the second is 1,000 km off
    assert [c.fatalities_ok for c in rep.checks] == [True, False]  # no count stands for 0
    assert rep.checks[0].sub_pred == "Peaceful protest" and rep.share("sub_ok") == 1.0
    assert eval_acled.write_errors(rep, tmp_path / "e.jsonl") == 1


# --- evaluation and benchmark -----------------------------------------------------------------


def test_auc_and_error_summaries():
    assert eval_geo.auc([0.0, 0.0]) == 0.0
    assert eval_geo.auc([20039.0]) == pytest.approx(1.0)
    rep = eval_geo.CorpusReport("x", gold=4, predicted=4, matched=3, errors=[0.0, 100.0, 500.0])
    assert rep.precision == rep.recall == 0.75 and rep.acc161 == pytest.approx(2 / 3)
    assert rep.median_km == 100.0


def test_eval_geo_on_a_few_articles(shared):
    report = eval_geo.run(shared, limit=4)
    assert set(report.corpora) == {"tr-news", "lgl"}
    for r in report.corpora.values():
        assert r.documents == 4 and r.gold > 0
        assert r.f1 > 0.6 and r.acc161 > 0.5


def test_benchmark_counts_documents():
    result = geo_benchmark(["Officials in Peshawar said a bomb exploded near a market in Khyber district."], n=3)
    assert result["documents"] == 3 and result["toponyms"] >= 3 and result["seconds"] > 0


def test_the_index_reads_the_same_from_sqlite_and_from_memory(tmp_path):
    data = {
        "names": {"panjgur": (1, 0), "kech": (0,)},
        "places": [(1, "Kech", "PAK", "Balochistan", 26.0, 63.0, 0, "ADM2", "Kech"), (2, "Panjgur", "PAK", "Balochistan", 26.97, 64.09, 0, "PPL", None)],
        "variants": {"pnjgr": ("panjgur",)},
        "countries": {"PAK": 0},
    }
    places.Index.write(tmp_path / "g.sqlite", data)
    for index in (places.Index(tmp_path / "g.sqlite"), places.MemoryIndex(data)):
        assert index.valid()
        names = places.Names(index)
        assert [p.name for p in names.get("panjgur")] == ["Panjgur", "Kech"] and "kech" in names and "quetta" not in names
        assert names.get("quetta") == [] and index.variants("pnjgr") == ("panjgur",) and index.country("PAK") == 0
        with pytest.raises(KeyError):
            names["quetta"]
    assert not places.Index(tmp_path / "missing.sqlite").valid()


def test_admin_hints_after_a_country_constrain_the_town_before_it():
    # "Hays City" is also an alternate name of the Kansas town: the hints say which Hays is meant
    tops = by_text(topo("Shells fell on homes in Hays city in western Yemen (Hays, Al Hudaydah) on Sunday.")["toponyms"])
    assert tops["Hays city"]["country"] == "YEM"


def test_a_name_in_a_named_city_is_not_a_homonym_elsewhere():
    loc = located("On Friday two groups clashed in the Wadi area of Vadodara city, police said.")
    assert (loc.country, loc.admin1) == ("IND", "Gujarat")


def test_place_names_the_ner_mislabels_are_places_in_a_place_slot():
    assert located("On Monday a group of bakers in Sanandaj held a protest over the price of flour.").country == "IRN"
    loc = located("On Sunday rebel forces fired mortars at army positions near Starohnativka, Donetsk.")
    assert (loc.country, loc.admin1) == ("UKR", "Donetsk")


def test_arabic_article_and_local_government_area():
    assert places.lookup("Ar-Raqqa").places[0].country == "SYR"
    m = places.lookup("Bassa LGA")
    assert m.hint == "ADM2" and any(p.country == "NGA" for p in m.places)


def test_provinces_under_the_names_news_and_acled_use():
    assert places.lookup("Sud-Kivu").places[0].country == "COD"
    assert places.lookup("North Sinai").places[0].country == "EGY"
    assert places.lookup("Guangxi province").places[0].feature == "ADM1"  # GeoNames: "Guangxi Zhuangzu Zizhiqu"
    # "Ebonyi" was matched to Benue by a two-letter transliteration key
    assert places.lookup("Ebonyi").places[0].name == "Ebonyi"


def test_a_big_city_outweighs_a_hint_read_as_a_homonym_abroad():
    # "Nord-Ouest" is also a Haitian department; Bamenda is the Cameroonian region's capital
    loc = located("Motorbike taxi riders blocked streets in Bamenda town (Mezam, Nord-Ouest) on Friday over a fuel price rise.")
    assert loc.country == "CMR" and loc.precision == 1


def test_a_country_that_qualifies_a_noun_is_not_the_lead_place():
    loc = located("Protesters angry at the US dollar exchange rate blocked the main road in Sidon on Thursday.")
    assert loc is None or loc.country != "USA"


def test_an_event_that_names_no_place_is_in_the_country_of_its_sides():
    loc = located("A Kenyan court on Monday approved the extradition of a businessman wanted for fraud.")
    assert loc is not None and (loc.country, loc.precision) == ("KEN", 3)


def test_a_homonym_outside_its_stated_container_falls_back_to_the_container():
    # the only Castilla and San Jeronimo the gazetteer knows lie in Spain and in Apurimac: not in Piura or Cusco
    tops = by_text(topo("Traders closed their shops in Castilla, Piura on Monday to protest the new tax.")["toponyms"])
    assert (tops["Castilla"]["country"], tops["Castilla"]["admin1"], tops["Castilla"]["precision"], tops["Castilla"]["fallback"]) == ("PER", "Piura", 2, True)
    tops = by_text(topo("Residents blocked a road in San Jeronimo, Cusco after the water cut.")["toponyms"])
    assert (tops["San Jeronimo"]["admin1"], tops["San Jeronimo"]["fallback"]) == ("Cusco", True)
    # a town of the stated province, and a list of cities, keep their own readings
    tops = by_text(topo("Students marched in Santa Rosa, La Pampa.")["toponyms"])
    assert (tops["Santa Rosa"]["country"], tops["Santa Rosa"]["fallback"]) == ("ARG", False)
    tops = by_text(topo("He flew to Paris, London and Rome.")["toponyms"])
    assert [tops[n]["country"] for n in ("Paris", "London", "Rome")] == ["FRA", "GBR", "ITA"]


def test_a_place_name_the_ner_took_for_a_date_or_a_person():
    tops = by_text(topo("Observers counted 12 bursts of fire involving heavy machineguns near Svitlodarsk.")["toponyms"])
    assert tops["Svitlodarsk"]["country"] == "UKR"
    assert topo("The talks near May ended without a deal.")["toponyms"] == []  # a month, whatever the gazetteer says
    loc = located("Party youths fought one another in Kigamba commune (Cankuzo) during a rally.")  # Kigamba: a PERSON
    assert (loc.country, loc.admin1) == ("BDI", "Cankuzo")


def test_a_country_named_with_admin_hints_places_the_event_at_the_most_specific_hint():
    loc = located("Militiamen shelled farms east of Hays in western Yemen (Hays, Al Hudaydah) on Monday.")
    assert (loc.country, loc.precision) == ("YEM", 2) and loc.name == "Hays"


def test_admin_hints_after_a_country_lie_in_that_country():
    from collections import Counter

    from flashpoint.geoparse import find_toponyms, resolve_toponyms
    from flashpoint.nlp import load_nlp

    doc = load_nlp()("Coalition warplanes carried out six raids on Wadi Hamid district in northern Yemen (Al Jawf) on Tuesday.")
    tops = {t.span.text: t for t in resolve_toponyms(find_toponyms(doc), Counter({"SAU": 5}))}  # a Saudi-heavy article
    assert (tops["Al Jawf"].place.country, tops["Al Jawf"].place.feature) == ("YEM", "ADM1")  # not the Saudi province


def test_a_facility_named_after_its_town_places_the_event_there():
    loc = located("Unidentified drones struck Hama Airbase overnight, a monitoring group said.")
    assert loc is not None and (loc.country, loc.admin1) == ("SYR", "Hama")
    loc = located("Monitors recorded 40 explosions in both directions of the frontline near Donetsk Filtration Station.")
    assert loc is not None and (loc.country, loc.precision) == ("UKR", 2)
    # an organisation named after its town is still no setting of its own
    assert places.km(*(lambda l: (l.lat, l.lon))(located("The Mansfield Police Department arrested two men in Columbus, Ohio.")), 39.96, -83.0) < 50


def test_admin_hints_in_the_citys_own_country_outweigh_a_big_namesake_elsewhere():
    # "Rampur (Baramulla district, J&K)": not the city of 300,000 in Uttar Pradesh, a place in Baramulla
    res = places.resolve_mentions([places.Mention("Rampur", within=(1, 2)), places.Mention("Baramulla district", hint="ADM2"), places.Mention("J&K")])
    assert res[0].place is None and (res[1].place.feature, res[1].place.admin1) == ("ADM2", "Kashmir")
    # a city whose hints the gazetteer knows only abroad keeps its own reading
    res = places.resolve_mentions([places.Mention("Bamenda", within=(1,)), places.Mention("Ruyigi")])
    assert res[0].place.country == "CMR"


def test_a_name_before_a_district_and_a_province_is_a_place_whatever_the_ner_says():
    from flashpoint.geoparse import find_toponyms, resolve_toponyms
    from flashpoint.nlp import load_nlp

    nlp = load_nlp()
    for label in ("PERSON", "DATE"):
        doc = nlp("Army jets struck militant hideouts in Bir Al-Abd (Bir Al-Abd, North Sinai) on Thursday.")
        k = doc.text.index("Bir Al-Abd")
        doc.ents = [doc.char_span(k, k + len("Bir Al-Abd"), label=label)]  # the name before the parenthesis, mislabelled
        tops = resolve_toponyms(find_toponyms(doc))
        first = min(tops, key=lambda t: t.span.start)
        assert (first.span.text, first.place.country) == ("Bir Al-Abd", "EGY"), label
    # a person with a party and a state after the name is still a person
    doc = nlp("Senator Dick Durbin (Illinois, Democrat) voted against the bill.")
    doc.ents = [doc.char_span(8, 19, label="PERSON")]
    assert doc.ents[0].text == "Dick Durbin" and "Dick Durbin" not in [t.span.text for t in find_toponyms(doc)]


def test_the_place_the_actors_phrase_puts_them_at_when_the_clause_names_none():
    # "protesters in X gathered": where the actor was is where it happened, not the country its movement is named for
    evs = events("Supporters of the reform movement in Lebanon in Sidon rallied outside the courthouse on Monday.")
    assert (lambda loc: (loc.name, loc.country, loc.precision))(next(e for e in evs if e.event_type == "PROTEST").location) == ("Sidon", "LBN", 1)
    # the clause names only the country: the town of the actor's phrase, in that country, says more
    loc = next(e for e in events("Students in Erbil demonstrated for the independence of Iraq on Tuesday.") if e.event_type == "PROTEST").location
    assert (loc.name, loc.country) == ("Erbil", "IRQ")
    # a place the actor comes from is not where it acted
    loc = next(e for e in events("Gunmen from Iraq attacked a border post in Syria on Tuesday.") if e.event_type == "ASSAULT").location
    assert loc.country == "SYR"


def test_at_equal_precision_a_unit_inside_a_country_beats_the_country():
    loc = located("Troops of Armenia fired mortars at the positions of the forces of Azerbaijan located at Tovuz on Sunday.")
    assert loc is not None and loc.feature_code != "PCLI" and loc.country == "AZE"


def test_a_purpose_happens_where_its_clause_happened_and_other_events_do_not_place_it():
    # "gathered in X to demand ...": the demand is made in X, not in the country of the curfew it is about
    loc = located("In Mosul, shop owners gathered outside the governor's office to demand compensation for the curfew in Iraq.")
    assert (loc.name, loc.country) == ("Mosul", "IRQ")
    # a clause of another event ("since ... in X") does not place this one: the ministry in the capital summoned him
    loc = located("The foreign ministry in Islamabad summoned the Iranian envoy, since missiles had struck a village in Panjgur.")
    assert (loc.name, loc.country) == ("Islamabad", "PAK")


def test_a_town_a_road_is_named_after_is_not_where_on_the_road():
    loc = located("Hundreds of farmers blocked the Lahore-Multan highway in Okara on Tuesday.")
    assert (loc.name, loc.country) == ("Okara", "PAK")
