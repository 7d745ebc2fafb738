"""Write event records as JSONL (the contract record), PLOVER JSON, ACLED-style CSV or Parquet."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from collections.abc import Iterable
from typing import IO, Any

from . import __version__
from .lexicon import load_actor_dictionary, load_plover

FORMATS = ("jsonl", "json", "csv", "parquet")

# ACLED's interaction codes by actor sector (1 state forces, 2 rebels, 3 political militias,
# 4 identity militias, 5 rioters, 6 protesters, 7 civilians, 8 external/other forces).
INTER = {"GOV": 1, "MIL": 1, "COP": 1, "SPY": 1, "JUD": 1, "LEG": 1, "REB": 2, "SEP": 2, "INS": 2,
         "OPP": 3, "CRM": 3, "UAF": 3, "PTY": 3, "CVL": 7, "REF": 7, "JRN": 7, "MED": 7, "EDU": 7, "REL": 7, "LAB": 6, "IGO": 8, "NGO": 8,
         "HRI": 8, "HLH": 7, "BUS": 7, "AGR": 7}
PRECISION_CODE = {"day": 1, "week": 2, "month": 3, "year": 3, "unknown": 3}
DISORDER = {"Battles": "Political violence", "Explosions/Remote violence": "Political violence",
            "Violence against civilians": "Political violence", "Riots": "Political violence",
            "Protests": "Demonstrations", "Strategic developments": "Strategic developments"}

ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "civilian_targeting",
    "iso", "country", "admin1", "admin2", "location", "latitude", "longitude", "geo_precision", "source", "notes",
    "fatalities", "fatalities_low", "fatalities_high", "injuries", "contested", "claims",
    "plover_event_type", "plover_mode", "plover_context", "cameo", "goldstein", "modality", "confidence",
    "date_text", "evidence", "doc_id",
]
# a fused record (`events --fused`) also has the reports behind it
FUSED_COLUMNS = ["n_sources", "n_reports", "first_reported", "reports"]


def columns(records: list[dict[str, Any]]) -> list[str]:
    return ACLED_COLUMNS + FUSED_COLUMNS if records and "reports" in records[0] else ACLED_COLUMNS


def report_sources(r: dict[str, Any]) -> str:
    if "reports" in r:
        return "; ".join(sorted({x["source"] or x["doc_id"] for x in r["reports"]}))
    return (r.get("source_document") or {}).get("source") or ""


def actor_label(a: dict[str, Any]) -> str:
    name = a.get("name") or a.get("text") or ""
    if a.get("sector") and a.get("country"):
        kind = {"MIL": "Military Forces of", "GOV": "Government of", "COP": "Police Forces of", "CVL": "Civilians"}.get(a["sector"])
        if kind == "Civilians":
            return f"Civilians ({a['country']})"
        if kind and name in (a.get("country"), a.get("name")):
            return f"{kind} {name}"
    return name


def sentences(r: dict[str, Any]) -> list[str]:
    return [e["text"] for e in r.get("evidence") or [] if e.get("role") in ("sentence", None)]


def acled_row(r: dict[str, Any]) -> dict[str, Any]:
    acled = r.get("acled") or {}
    loc = r.get("location") or {}
    actors, recips = r.get("actor") or [], r.get("recipient") or []
    inter1 = INTER.get((actors[0].get("sector") if actors else None) or "", "")
    inter2 = INTER.get((recips[0].get("sector") if recips else None) or "", "")
    fat = r.get("fatalities") or {}
    return {
        "event_id_cnty": r["event_id"],
        "event_date": r.get("date"),
        "year": (r.get("date") or "")[:4] or None,
        "time_precision": PRECISION_CODE.get(r.get("date_precision") or "unknown"),
        "disorder_type": DISORDER.get(acled.get("event_type", ""), ""),
        "event_type": acled.get("event_type", ""),
        "sub_event_type": acled.get("sub_event_type", ""),
        "actor1": actor_label(actors[0]) if actors else "",
        "assoc_actor_1": "; ".join(actor_label(a) for a in actors[1:]),
        "inter1": inter1,
        "actor2": actor_label(recips[0]) if recips else "",
        "assoc_actor_2": "; ".join(actor_label(a) for a in recips[1:]),
        "inter2": inter2,
        "interaction": f"{inter1}{inter2}" if inter1 and inter2 else "",
        "civilian_targeting": "Civilian targeting" if any(a.get("sector") == "CVL" for a in recips) else "",
        "iso": loc.get("country", ""),
        "country": load_actor_dictionary().country_name(loc.get("country")) or "",
        "admin1": loc.get("admin1", ""),
        "admin2": loc.get("admin2", ""),
        "location": loc.get("name", ""),
        "latitude": loc.get("lat"),
        "longitude": loc.get("lon"),
        "geo_precision": loc.get("precision"),
        "source": report_sources(r),
        "notes": " ".join(sentences(r))[:2000],
        "fatalities": fat.get("best", 0),
        "fatalities_low": fat.get("low"),
        "fatalities_high": fat.get("high"),
        "injuries": (r.get("injuries") or {}).get("best"),
        "contested": r.get("contested"),
        "claims": json.dumps(r.get("claims") or [], ensure_ascii=False),
        "plover_event_type": r["event_type"],
        "plover_mode": ";".join(r.get("mode") or []),
        "plover_context": ";".join(r.get("context") or []),
        "cameo": r.get("cameo"),
        "goldstein": r.get("goldstein"),
        "modality": r.get("modality"),
        "confidence": r.get("confidence"),
        "date_text": r.get("date_text"),
        "evidence": json.dumps(r.get("evidence") or [], ensure_ascii=False),
        "doc_id": r["doc_id"],
        **({"n_sources": r["n_sources"], "n_reports": r["n_reports"], "first_reported": r.get("first_reported"),
            "reports": json.dumps(r["reports"], ensure_ascii=False)} if "reports" in r else {}),
    }


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A text cell a spreadsheet would take for a formula gets a leading apostrophe (OWASP);
    numbers (a Goldstein score of -3.5) are not text and stay numbers."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def write_csv(records: Iterable[dict[str, Any]], buf: IO[str]) -> None:
    """The ACLED-style CSV of contract records, safe to open in a spreadsheet."""
    records = list(records)
    w = csv.DictWriter(buf, fieldnames=columns(records))
    w.writeheader()
    for r in records:
        w.writerow({k: csv_cell(v) for k, v in acled_row(r).items()})


def plover_record(r: dict[str, Any]) -> dict[str, Any]:
    """A record in the PLOVER manual's JSON field names (chapter "Data Fields")."""
    loc = r.get("location")
    quad = (load_plover()["types"].get(r["event_type"]) or {}).get("quad")

    def entity(a: dict[str, Any]) -> dict[str, Any]:
        return {"code": a.get("country"), "sector": a.get("sector"), "name": a.get("name"), "text": a.get("text")}

    return {
        "id": r["event_id"],
        "date": r.get("date"),
        "date_precision": r.get("date_precision"),
        "actor": [entity(a) for a in r.get("actor") or []],
        "recipient": [entity(a) for a in r.get("recipient") or []],
        "event": [r["event_type"]],
        "mode": r.get("mode") or [],
        "context": r.get("context") or [],
        "event_loc": {
            "name": loc.get("name"), "geonameid": loc.get("geonameid"), "lat": loc.get("lat"), "lon": loc.get("lon"),
            "country_code": loc.get("country"), "admin1": loc.get("admin1"), "admin2": loc.get("admin2"),
        } if loc else None,
        "event_text": sentences(r),
        "quad_code": {"verbal_cooperation": 1, "material_cooperation": 2, "verbal_conflict": 3, "material_conflict": 4}.get(quad),
        "event_scale": r.get("plover_score"),
        "cameo": r.get("cameo"),
        "goldstein": r.get("goldstein"),
        "modality": r.get("modality"),
        "link": r["doc_id"],
        "coder": f"flashpoint {__version__}",
        "coded_date": date.today().isoformat(),
        "comment": None,
        **({"n_sources": r["n_sources"], "reports": r["reports"]} if "reports" in r else {}),
    }


def default(o: object) -> str:
    if isinstance(o, (date, datetime)):
        return o.isoformat()
    raise TypeError(type(o).__name__)


def write(records: list[dict[str, Any]], fmt: str, out: str | None) -> None:
    """Write records to a file (or stdout for text formats)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if not out:
            raise ValueError("--format parquet needs -o OUT.parquet")
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = [acled_row(r) for r in records]
        cols = {c: [None if row[c] == "" else row[c] for row in rows] for c in columns(records)}  # "" is CSV's null
        cols["record"] = [json.dumps(r, default=default, ensure_ascii=False) for r in records]
        pq.write_table(pa.table(cols) if rows else pa.table({c: pa.array([], pa.string()) for c in cols}), out)
        return
    buf: IO[str] = open(out, "w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        if fmt == "jsonl":
            for r in records:
                buf.write(json.dumps(r, default=default, ensure_ascii=False) + "\n")
        elif fmt == "json":
            json.dump([plover_record(r) for r in records], buf, default=default, ensure_ascii=False, indent=1)
            buf.write("\n")
        else:
            write_csv(records, buf)
    finally:
        if out:
            buf.close()
        else:
            buf.flush()
