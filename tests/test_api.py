"""The REST API (`flashpoint serve`) on a store built from the demo corpus plus one hostile article.

`build_demo_store` is shared with tests/test_browser.py: the store is built
once per test session (in pytest's session temp folder) however many modules ask for it.
"""

from __future__ import annotations

import csv
import http.client
import io
import time
from collections.abc import Iterator
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from flashpoint import api
from flashpoint.export import ACLED_COLUMNS
from flashpoint.models import Document
from flashpoint.store import Store

# An article whose every text field tries to run code in the dashboard.
XSS_ID = "xss-probe"
XSS_DOC = Document(
    id=XSS_ID,
    date=date(2024, 1, 18),
    title="<script>window.__pwned = 1</script>Probe <b>bold</b>",
    source='<img src=x onerror="window.__pwned=2">',
    url="javascript:window.__pwned=3",
    text=(
        "Pakistani jets struck militant hideouts near Saravan in Iran on Thursday, killing nine people, "
        "officials said <script>window.__pwned = 4</script>. <img src=x onerror=\"window.__pwned=5\"> "
        "Iran condemned the attack."
    ),
)


def build_demo_store(base: Path) -> Path:
    """The demo corpus and XSS_DOC ingested into base/demo.duckdb (once; later calls reuse it)."""
    from flashpoint.pipeline import CODER_VERSION, extract
    from flashpoint.readers import read_paths

    db, done = base / "demo.duckdb", base / "demo.done"
    if done.exists():
        return db
    base.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    docs = [d for d in read_paths([str(resources.files("flashpoint").joinpath("data", "demo"))]) if isinstance(d, Document)]
    assert len(docs) > 20
    with Store(db) as store:
        store.write(extract(docs + [XSS_DOC]), CODER_VERSION)
        store.fuse()
    done.touch()
    return db


@pytest.fixture(scope="module")
def live(demo_db: Path) -> Iterator[str]:
    # read-only: the other tests of the module read the same store in this process
    with api.running_server(demo_db, "--read-only") as url:
        yield url


def raw_get(base: str, target: str) -> tuple[int, bytes]:
    """GET exactly this request target (no client-side normalisation of `..`)."""
    host, port = base.removeprefix("http://").split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    c.putrequest("GET", target, skip_accept_encoding=True)
    c.endheaders()
    r = c.getresponse()
    return r.status, r.read()


# ------------------------------------------------------------------------------------ events
def test_health_and_openapi(client: TestClient) -> None:
    h = client.get("/api/health").json()
    assert h["status"] == "ok" and h["events"] > 100
    spec = client.get("/openapi.json").json()
    for path in ("/api/events", "/api/events/{event_id}", "/api/documents", "/api/documents/{doc_id}", "/api/dyads", "/api/summary"):
        assert path in spec["paths"], path
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text.lower()


def test_events_pagination_and_total(client: TestClient, demo_db: Path) -> None:
    first = client.get("/api/events", params={"page_size": 50}).json()
    second = client.get("/api/events", params={"page_size": 50, "page": 2}).json()
    with Store(demo_db, read_only=True) as s:
        n = s.con.execute("SELECT count(*) FROM events").fetchone()[0]
    assert first["total"] == second["total"] == n
    assert first["pages"] == -(-n // 50)
    assert len(first["events"]) == len(second["events"]) == 50
    assert not {e["event_id"] for e in first["events"]} & {e["event_id"] for e in second["events"]}
    r = first["events"][0]
    for field in ("event_id", "doc_id", "event_type", "actor", "recipient", "date", "location", "claims", "evidence", "modality", "source_document"):
        assert field in r
    beyond = client.get("/api/events", params={"page_size": 50, "page": first["pages"] + 1}).json()
    assert beyond["events"] == [] and beyond["total"] == n


def test_events_filters_match_the_store(client: TestClient, demo_db: Path) -> None:
    cases = [
        {"country": "PAK"}, {"country": "pak", "modality": "asserted"}, {"type": "ASSAULT"},
        {"actor": "IRN"}, {"actor": "revolutionary"}, {"from": "2024-01-16", "to": "2024-01-18"},
        {"country": "IRN", "type": "ASSAULT", "modality": "asserted", "from": "2024-01-01"},
    ]
    with Store(demo_db, read_only=True) as s:
        for params in cases:
            want = s.query_events(params.get("from"), params.get("to"), params.get("country"), params.get("type"),
                                  params.get("actor"), params.get("modality"))
            got = client.get("/api/events", params={**params, "page_size": 500}).json()
            assert got["total"] == len(want) > 0, params
            assert [e["event_id"] for e in got["events"]] == [e["event_id"] for e in want], params
    pak = client.get("/api/events", params={"country": "PAK", "page_size": 500}).json()["events"]
    for e in pak:
        involved = {(e.get("location") or {}).get("country")} | {a["country"] for a in e["actor"] + e["recipient"]}
        assert "PAK" in involved
    assert all(e["event_type"] == "ASSAULT" for e in client.get("/api/events", params={"type": "ASSAULT"}).json()["events"])
    assert client.get("/api/events", params={"actor": "%"}).json()["total"] == 0  # LIKE wildcards are literal


def test_events_compact_and_csv(client: TestClient) -> None:
    full = client.get("/api/events", params={"country": "PAK", "page_size": 20}).json()
    compact = client.get("/api/events", params={"country": "PAK", "page_size": 20, "fields": "compact"}).json()
    assert [e["event_id"] for e in compact["events"]] == [e["event_id"] for e in full["events"]]
    assert "evidence" not in compact["events"][0] and "event_type" in compact["events"][0]
    r = client.get("/api/events", params={"country": "PAK", "page_size": 20, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["x-total-count"] == str(full["total"])
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == ACLED_COLUMNS
    assert [row["event_id_cnty"] for row in rows] == [e["event_id"] for e in full["events"]]


@pytest.mark.parametrize(
    "params, status, words",
    [
        ({"page_size": 501}, 422, "page_size"),
        ({"page_size": 0}, 422, "page_size"),
        ({"page": 0}, 422, "page"),
        ({"page": 200, "page_size": 500}, 400, "offset"),
        ({"from": "2024-13-01"}, 422, "from"),
        ({"from": "2024-02-01", "to": "2024-01-01"}, 400, "after"),
        ({"country": "Pakistan"}, 422, "country"),
        ({"type": "BOMBING"}, 422, "type"),
        ({"modality": "maybe"}, 422, "modality"),
        ({"format": "xml"}, 422, "format"),
        ({"actor": "x" * 101}, 422, "actor"),
        ({"contry": "PAK"}, 400, "contry"),
    ],
)
def test_events_bad_input_is_a_clear_4xx(client: TestClient, params: dict, status: int, words: str) -> None:
    r = client.get("/api/events", params=params)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]


# ------------------------------------------------------------------------------------ one event
def test_one_event_with_evidence_claims_and_document(client: TestClient) -> None:
    page = client.get("/api/events", params={"country": "PAK", "type": "ASSAULT", "page_size": 500}).json()["events"]
    with_claims = [e for e in page if e["claims"]]
    assert with_claims
    e = client.get(f"/api/events/{with_claims[0]['event_id']}").json()
    doc = e["source_document"]
    assert doc["doc_id"] == e["doc_id"] and doc["text"]
    assert not doc["origin"] or "/" not in doc["origin"]  # no server paths
    roles = {s["role"] for s in e["evidence"]}
    assert {"sentence", "trigger"} <= roles
    for s in e["evidence"]:
        assert doc["text"][s["start"]:s["end"]] == s["text"]
    assert all({"field", "value", "source", "quote"} <= set(c) for c in e["claims"])
    assert client.get("/api/events/does-not-exist").status_code == 404


# ------------------------------------------------------------------------------------ documents
def test_documents(client: TestClient) -> None:
    page = client.get("/api/documents", params={"page_size": 10}).json()
    assert page["total"] >= 40 and len(page["documents"]) == 10
    assert "text" not in page["documents"][0]
    url_ids = [d["doc_id"] for d in client.get("/api/documents", params={"page_size": 100}).json()["documents"] if "/" in d["doc_id"]]
    assert url_ids, "the demo's RSS items have URLs for ids"
    d = client.get(f"/api/documents/{url_ids[0]}").json()
    assert d["doc_id"] == url_ids[0] and d["text"] and isinstance(d["events"], list)
    assert client.get("/api/documents/nope").status_code == 404
    assert client.get("/api/documents", params={"from": "2024-01-20", "to": "2024-01-10"}).status_code == 400


# ------------------------------------------------------------------------------------ dyads, summary
def test_dyads(client: TestClient) -> None:
    r = client.get("/api/dyads", params={"limit": 5}).json()
    assert r["interval"] == "day" and r["modality"] == "asserted"
    pairs = {(s["actor"], s["recipient"]) for s in r["series"]}
    assert ("IRN", "PAK") in pairs and ("PAK", "IRN") in pairs
    for s in r["series"]:
        assert s["actor"] != s["recipient"]
        assert sum(p["count"] for p in s["points"]) == s["total"]  # an event has one date
        assert [p["period"] for p in s["points"]] == sorted(p["period"] for p in s["points"])
    week = client.get("/api/dyads", params={"actor_country": "IRN", "recipient_country": "PAK", "interval": "week"}).json()
    (s,) = week["series"]
    assert all(date.fromisoformat(p["period"]).weekday() == 0 for p in s["points"])
    assert sum(p["count"] for p in s["points"]) == s["total"]
    assert client.get("/api/dyads", params={"from": "2020-01-01", "to": "2024-01-01"}).status_code == 400
    assert client.get("/api/dyads", params={"from": "2020-01-01", "to": "2024-01-01", "interval": "week"}).status_code == 200
    assert client.get("/api/dyads", params={"limit": 51}).status_code == 422
    assert client.get("/api/dyads", params={"modality": "any"}).json()["modality"] == "any"


def test_summary(client: TestClient) -> None:
    s = client.get("/api/summary").json()
    assert s["events"] == client.get("/api/events").json()["total"]
    assert sum(t["events"] for t in s["by_type"]) == s["events"]
    assert sum(m["events"] for m in s["by_modality"]) == s["events"]
    assert {"country": "PAK", "name": "Pakistan"}.items() <= next(c for c in s["by_country"] if c["country"] == "PAK").items()
    assert s["top_dyads"][0]["actor"] in ("IRN", "PAK")
    assert s["limits"]["max_page_size"] == api.MAX_PAGE_SIZE


# ------------------------------------------------------------------------------------ security
def test_stored_markup_is_data_and_pages_forbid_inline_scripts(client: TestClient) -> None:
    d = client.get(f"/api/documents/{XSS_ID}")
    assert d.headers["content-type"].startswith("application/json")
    assert "<script>window.__pwned = 4</script>" in d.json()["text"]
    page = client.get("/")
    assert page.status_code == 200, page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text  # only <script src=...> from this origin
    assert "innerHTML" not in (api.WEB_DIR / "app.js").read_text()


def test_cors_is_off_by_default(client: TestClient, demo_db: Path) -> None:
    r = client.get("/api/summary", headers={"Origin": "http://evil.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    pre = client.options("/api/events", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in pre.headers
    with TestClient(api.create_app(demo_db, cors_origins=["http://allowed.example"])) as c:
        assert c.get("/api/health", headers={"Origin": "http://allowed.example"}).headers["access-control-allow-origin"] == "http://allowed.example"
        assert "access-control-allow-origin" not in c.get("/api/health", headers={"Origin": "http://evil.example"}).headers


@pytest.mark.parametrize(
    "target",
    [
        "/static/../api.py", "/static/../../flashpoint/api.py", "/static/%2e%2e/api.py", "/static/%2E%2E/%2E%2E/pyproject.toml",
        "/static/..%2fapi.py", "/static/..%2f..%2fstore.py", "/static/vendor/../../api.py", "/static/..\\api.py",
        "/static/..%5capi.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/....//api.py",
        "/static/vendor/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/../../etc/passwd",
    ],
)
def test_no_path_traversal(live: str, target: str) -> None:
    status, body = raw_get(live, target)
    assert status in (400, 404), (target, status)
    assert b"def create_app" not in body and b"root:" not in body and b"[project]" not in body


def test_static_files_are_served(live: str) -> None:
    for target in ("/", "/static/app.js", "/static/style.css", "/static/vendor/leaflet/leaflet.js", "/static/vendor/countries-50m.json"):
        status, body = raw_get(live, target)
        assert status == 200 and body, target


def test_server_listens_on_loopback_only(live: str) -> None:
    port = int(live.rsplit(":", 1)[1])
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        pytest.skip("no /proc/net/tcp on this system")
    listening = []
    for t in tables:
        if not t.exists():
            continue
        for line in t.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if int(p, 16) == port and state == "0A":
                listening.append(addr)
    assert listening == ["0100007F"], listening  # 127.0.0.1, nothing on 0.0.0.0 or ::


def test_slow_queries_are_interrupted(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = api.create_app(demo_db, request_budget=0.05)
    with TestClient(app) as c:
        cur = app.state.db.cursor()
        t0 = time.monotonic()
        with pytest.raises(api.QueryTimeout):
            cur.all("SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b")
        assert time.monotonic() - t0 < 5
        cur.close()

        def slow(self, sql, args=None):
            raise api.QueryTimeout()

        monkeypatch.setattr(api.Cursor, "all", slow)
        r = c.get("/api/events")
        assert r.status_code == 503 and "narrow the filters" in r.json()["detail"]


def test_missing_store_is_an_error(tmp_path: Path) -> None:
    from flashpoint.store import StoreError

    with pytest.raises(StoreError, match="no such database"):
        api.create_app(tmp_path / "absent.duckdb")


def test_bench_api_smoke(demo_db: Path) -> None:
    r = api.bench_api(demo_db, requests=24, concurrency=12)
    assert r["errors"] == 0 and r["requests"] == 24
    assert 0 < r["p50_ms"] <= r["p95_ms"] <= r["max_ms"]


def test_serve_with_workers_and_cli_errors(demo_db: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flashpoint.cli import app

    with api.running_server(demo_db, "--workers", "2") as url:
        status, body = raw_get(url, "/api/summary")
        assert status == 200 and b'"events"' in body
    r = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "absent.duckdb"), "--port", str(api.free_port())])
    assert r.exit_code == 2 and "no such database" in " ".join(r.output.split())
    assert "dashboard on" not in r.output
