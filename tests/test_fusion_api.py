"""The API over fused events: `/api/events?fused=true`, fused ids at `/api/events/{id}`, fused `/api/dyads`."""

from __future__ import annotations

import csv
import io

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from flashpoint import api


def test_events_fused(client: TestClient) -> None:
    per_report = client.get("/api/events", params={"page_size": 1}).json()["total"]
    r = client.get("/api/events", params={"fused": "true", "page_size": 500})
    assert r.status_code == 200
    body = r.json()
    assert body["fused"] and 0 < body["total"] < per_report and int(r.headers["X-Total-Count"]) == body["total"]
    events = body["events"]
    assert sum(e["n_reports"] for e in events) == per_report  # every report behind exactly one fused event
    for e in events:
        assert e["n_sources"] == len({x["source"] or x["doc_id"] for x in e["reports"]}) <= e["n_reports"] == len(e["reports"])
        assert all({"doc_id", "source", "date", "event_id"} <= set(x) for x in e["reports"])
    panjgur = max((e for e in events if e["event_type"] == "ASSAULT" and e["date"] == "2024-01-16"), key=lambda e: e["n_sources"])
    assert panjgur["n_sources"] >= 5 and panjgur["fatalities"]["low"] == 2
    # filters apply to fused events too
    pak = client.get("/api/events", params={"fused": "true", "country": "PAK", "type": "ASSAULT", "page_size": 500}).json()
    assert pak["total"] and all(e["event_type"] == "ASSAULT" for e in pak["events"])
    doc = panjgur["reports"][0]["doc_id"]
    by_doc = client.get("/api/events", params={"fused": "true", "doc_id": doc, "page_size": 500}).json()["events"]
    assert panjgur["event_id"] in {e["event_id"] for e in by_doc}
    compact = client.get("/api/events", params={"fused": "true", "fields": "compact", "page_size": 5}).json()["events"]
    assert all({"event_id", "n_sources", "n_reports", "location"} <= set(e) and "reports" not in e for e in compact)
    text = client.get("/api/events", params={"fused": "true", "format": "csv", "page_size": 5}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5 and {"n_sources", "reports"} <= set(rows[0])
    assert client.get("/api/events", params={"fused": "maybe"}).status_code == 422


def test_one_fused_event_and_the_link_from_its_reports(client: TestClient) -> None:
    events = client.get("/api/events", params={"fused": "true", "page_size": 500}).json()["events"]
    top = max(events, key=lambda e: e["n_reports"])
    r = client.get(f"/api/events/{top['event_id']}").json()
    assert r["event_id"] == top["event_id"] and len(r["reports"]) == top["n_reports"]
    assert all("title" in x and "url" in x for x in r["reports"]) and r["source_document"]["text"]
    one = client.get(f"/api/events/{top['reports'][0]['event_id']}").json()
    assert one["fused_id"] == top["event_id"] and "reports" not in one


def test_dyads_on_fused_events_mark_escalation(client: TestClient) -> None:
    r = client.get("/api/dyads", params={"actor_country": "IRN", "recipient_country": "PAK"}).json()
    assert r["fused"]
    (s,) = r["series"]
    assert sum(p["count"] for p in s["points"]) == s["total"]
    flagged = [p for p in s["points"] if p["flag"] == "escalation"]
    assert any("2024-01-16" <= p["period"] <= "2024-01-18" for p in flagged)
    assert all(p["drivers"] and p["goldstein"] < 0 for p in flagged)
    assert s["escalations"] == [p["period"] for p in flagged]
    corroborated = client.get("/api/dyads", params={"actor_country": "IRN", "recipient_country": "PAK", "min_sources": 2}).json()
    assert corroborated["series"][0]["total"] < s["total"]
    per_report = client.get("/api/dyads", params={"actor_country": "IRN", "recipient_country": "PAK", "fused": "false"}).json()
    assert per_report["series"][0]["total"] > s["total"]  # reports outnumber events
