"""Serving under load and while ingesting (issue 10, items 9 and 10): the request budget, store slots
and /api/health, oversized URLs, repeated parameters, /docs without inline scripts, cached and
compressed static files, and `flashpoint ingest` into a store a running server owns."""

from __future__ import annotations

import gzip
import http.client
import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from flashpoint import api, handoff
from flashpoint.cli import app as cli
from flashpoint.store import Store
from tests.test_api import raw_get


@pytest.fixture()
def own_db(demo_db: Path, tmp_path: Path) -> Path:
    """A copy of the demo store that a test may write."""
    db = tmp_path / "own.duckdb"
    shutil.copy(demo_db, db)
    return db


ARTICLE = "date 2024-01-25\nPakistani troops clashed with militants near Quetta on Thursday, killing four soldiers, the army said.\n"


def get_json(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, Message]:
    """Status, JSON body and headers (case-insensitive) of a GET."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as r:
            return r.status, json.load(r), r.headers
    except urllib.error.HTTPError as e:
        return e.code, {}, e.headers


# ------------------------------------------------------------------------- budget, slots, health
class HeldQueries:
    """Every store query waits until released: slow queries that hold their slots."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        real = api.Cursor.all

        def held(cur: api.Cursor, sql: str, args: list | None = None) -> list[tuple]:
            self.started.release()
            self.release.wait(30)
            return real(cur, sql, args)

        monkeypatch.setattr(api.Cursor, "all", held)


def test_health_answers_while_every_slot_holds_a_slow_query(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = api.create_app(demo_db)
    with TestClient(app) as c:
        held = HeldQueries(monkeypatch)
        slots = app.state.gate.slots
        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.append(c.get("/api/events").status_code)) for _ in range(slots + 2)]
        for t in threads:
            t.start()
        for _ in range(slots):
            assert held.started.acquire(timeout=30)
        deadline = time.monotonic() + 10
        while app.state.gate.waiting < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        h = c.get("/api/health")  # answered while all slots are taken and two requests wait
        assert h.status_code == 200
        assert h.json()["busy"] == slots and h.json()["waiting"] == 2
        assert c.get("/static/app.js").status_code == 200  # files do not wait for the store either
        held.release.set()
        for t in threads:
            t.join(30)
        assert results == [200] * (slots + 2)


def test_the_budget_covers_the_wait_for_a_slot_and_a_full_queue_is_503(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = api.create_app(demo_db, request_budget=0.5)
    with TestClient(app) as c:
        app.state.gate = api.Gate(slots=1, queue=1)
        held = HeldQueries(monkeypatch)
        first: list[int] = []
        t = threading.Thread(target=lambda: first.append(c.get("/api/dyads").status_code))
        t.start()
        assert held.started.acquire(timeout=30)
        waiter: list = []
        w = threading.Thread(target=lambda: waiter.append(c.get("/api/events")))
        w.start()
        deadline = time.monotonic() + 10
        while app.state.gate.waiting < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        full = c.get("/api/documents")  # one waits already: turned away at once
        assert full.status_code == 503 and full.headers["retry-after"] and "waiting" in full.json()["detail"]
        w.join(30)
        (late,) = waiter  # its budget ran out while it waited
        assert late.status_code == 503 and late.headers["retry-after"] and "busy" in late.json()["detail"]
        held.release.set()
        t.join(30)


def test_the_budget_is_per_request_not_per_query(demo_db: Path) -> None:
    app = api.create_app(demo_db, request_budget=0.2)
    with TestClient(app):
        cur = app.state.db.cursor()
        try:
            with pytest.raises(api.QueryTimeout):  # interrupted when the request's budget is spent
                cur.all("SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b")
            with pytest.raises(api.QueryTimeout):  # and the next query of the same request does not start
                cur.all("SELECT 1")
        finally:
            cur.close()
        fresh = app.state.db.cursor()  # another request has its own budget
        assert fresh.all("SELECT 1") == [(1,)]
        fresh.close()


# ------------------------------------------------------------------------- HTTP limits
def test_a_one_megabyte_url_is_414_not_a_reset(demo_db: Path) -> None:
    with api.running_server(demo_db, "--read-only") as url:
        status, body = raw_get(url, "/api/events?actor=" + "x" * 1_000_000)
        assert status == 414 and b"too long" in body
        status, _ = raw_get(url, "/api/health")  # and the server goes on
        assert status == 200


# ------------------------------------------------------------------------- repeated parameters
def test_repeated_list_parameters_mean_any_of_them(client: TestClient, demo_db: Path) -> None:
    with Store(demo_db, read_only=True) as s:
        pak, irn, both = ({e["event_id"] for e in s.query_events(country=c)} for c in ("PAK", "IRN", ["PAK", "IRN"]))
    assert pak and irn and both == pak | irn and both != pak and both != irn
    r = client.get("/api/events?country=PAK&country=irn&page_size=500").json()
    assert r["total"] == len(both) and {e["event_id"] for e in r["events"]} == both
    types = client.get("/api/events?type=ASSAULT&type=ACCUSE&page_size=500").json()["events"]
    assert {e["event_type"] for e in types} == {"ASSAULT", "ACCUSE"}
    mods = client.get("/api/events?modality=asserted&modality=negated&page_size=500").json()["events"]
    assert {e["modality"] for e in mods} <= {"asserted", "negated"} and len({e["modality"] for e in mods}) == 2
    dy = client.get("/api/dyads?actor_country=IRN&actor_country=PAK").json()["series"]
    assert {s["actor"] for s in dy} == {"IRN", "PAK"}
    bad = client.get("/api/events?country=PAK&country=Pakistan")
    assert bad.status_code == 422 and "country" in bad.json()["detail"]


@pytest.mark.parametrize("query, name", [
    ("/api/events?page=1&page=2", "page"), ("/api/events?from=2024-01-01&from=2024-01-02", "from"),
    ("/api/events?actor=IRN&actor=PAK", "actor"), ("/api/events?format=csv&format=json", "format"),
    ("/api/dyads?interval=day&interval=week", "interval"), ("/api/documents?source=a&source=b", "source"),
])
def test_repeated_single_value_parameters_are_400(client: TestClient, query: str, name: str) -> None:
    r = client.get(query)
    assert r.status_code == 400 and name in r.json()["detail"] and "more than once" in r.json()["detail"]


# ------------------------------------------------------------------------- pages and files
def test_docs_page_needs_no_inline_script(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    script_src = r.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert "unsafe-inline" not in script_src and "'self'" in script_src
    scripts = r.text.split("<script")[1:]
    assert scripts and all(s.lstrip().startswith("src=") and s.split(">", 1)[1].startswith("</script") for s in scripts)
    init = client.get("/static/docs.js")
    assert init.status_code == 200 and "/openapi.json" in init.text and "SwaggerUIBundle" in init.text


def test_static_files_have_validators_cache_headers_and_gzip(client: TestClient) -> None:
    plain = client.get("/static/app.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.headers["cache-control"] == "no-cache" and plain.headers["etag"]
    zipped = client.get("/static/app.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and "accept-encoding" in zipped.headers["vary"].lower()
    assert int(zipped.headers["content-length"]) < len(plain.content)
    assert zipped.content == plain.content  # the client decodes the gzip copy to the same bytes
    again = client.get("/static/app.js", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == "no-cache"
    vendor = client.get("/static/vendor/leaflet/leaflet.css")
    assert "max-age" in vendor.headers["cache-control"]


def test_gzip_copy_is_the_file(demo_db: Path) -> None:
    with api.running_server(demo_db, "--read-only") as url:
        host, port = url.removeprefix("http://").split(":")
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        c.request("GET", "/static/style.css", headers={"Accept-Encoding": "gzip"})
        r = c.getresponse()
        assert r.getheader("content-encoding") == "gzip"
        assert gzip.decompress(r.read()) == (api.WEB_DIR / "style.css").read_bytes()


# ------------------------------------------------------------------------- ingest while serving
def ingest(db: Path, *paths: Path, batch: int = 32) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["ingest", *map(str, paths), "--db", str(db), "--batch", str(batch)])
    return r.exit_code, " ".join(r.output.split())


def test_ingest_while_serving_goes_through_the_server(own_db: Path, tmp_path: Path) -> None:
    article = tmp_path / "quetta.txt"
    article.write_text(ARTICLE)
    with api.running_server(own_db) as url:
        found = handoff.find_server(own_db)
        assert found and found.url == url and handoff.server_file(own_db).stat().st_mode & 0o077 == 0
        status, before, headers = get_json(url + "/api/summary")
        assert get_json(url + "/api/summary", {"If-None-Match": headers["ETag"]})[0] == 304  # unchanged: nothing to send
        day = url + "/api/events?from=2024-01-25&to=2024-01-25&country=PAK"
        for _ in range(2):  # asked twice: the second answer comes from the server's response cache
            assert not any("Quetta" in json.dumps(e) for e in get_json(day)[1]["events"])

        code, out = ingest(own_db, article)
        assert code == 0 and "go through it" in out
        assert "1 coded" in out
        status, after, headers2 = get_json(url + "/api/summary")
        assert headers2["ETag"] != headers["ETag"] and after["updated_at"] >= before["updated_at"]
        assert after["documents"] == before["documents"] + 1 and after["events"] > before["events"]
        assert get_json(url + "/api/health")[1]["documents"] == after["documents"]
        assert any("Quetta" in json.dumps(e) for e in get_json(day)[1]["events"])  # the cache went with the write

        code, out = ingest(own_db, article)  # idempotent through the server too
        assert code == 0 and "0 coded" in out and "1 already stored" in out
        assert get_json(url + "/api/summary")[1]["documents"] == after["documents"]
    assert handoff.find_server(own_db) is None and not handoff.server_file(own_db).exists()
    with Store(own_db, read_only=True) as s:  # written to the file, for everybody after the server
        assert s.con.execute("SELECT count(*) FROM documents").fetchone()[0] == after["documents"]


def test_a_server_started_during_an_ingest_takes_the_store_over(own_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flashpoint import pipeline

    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE)
    (folder / "b.txt").write_text(ARTICLE.replace("Quetta", "Peshawar").replace("four", "six"))
    real = pipeline.extract
    port = api.free_port()
    server: list[subprocess.Popen] = []

    def extract_then_start_a_server(docs):
        out = list(real(docs))  # the ingest holds the store's lock now
        if not server:
            server.append(subprocess.Popen([sys.executable, "-m", "flashpoint.cli", "serve", "--db", str(own_db), "--port", str(port)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            deadline = time.monotonic() + 60
            while handoff.find_server(own_db) is None:  # it announces itself and waits for the lock
                assert time.monotonic() < deadline and server[0].poll() is None
                time.sleep(0.1)
        return iter(out)

    monkeypatch.setattr(pipeline, "extract", extract_then_start_a_server)
    try:
        code, out = ingest(own_db, folder, batch=1)
        assert code == 0, out
        assert "handing" in out and "2 coded" in out
        status, summary, _ = get_json(f"http://127.0.0.1:{port}/api/summary")
        assert status == 200
        with_new = get_json(f"http://127.0.0.1:{port}/api/documents?from=2024-01-25&to=2024-01-25")[1]
        assert with_new["total"] == 2  # one written by the ingest itself, one through the server
    finally:
        for p in server:
            p.terminate()
            p.wait(10)


def test_writes_need_the_token_and_a_writable_server(own_db: Path, demo_db: Path) -> None:
    with TestClient(api.create_app(own_db, writable=True, token="s3cret")) as c:
        body = {"coder_version": "x", "documents": [["a", "b"]]}
        assert c.post("/api/documents/pending", json=body).status_code == 401
        assert c.post("/api/documents/pending", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.post("/api/documents/pending", json=body, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and ok.json() == {"pending": ["a"]}
        bad = c.post("/api/documents", json={"coder_version": "x", "documents": [[{"id": 1}, []]]}, headers={"Authorization": "Bearer s3cret"})
        assert bad.status_code == 422
    with TestClient(api.create_app(demo_db, token="s3cret")) as c:  # read-only: no token is valid
        assert c.post("/api/documents/pending", json=body, headers={"Authorization": "Bearer s3cret"}).status_code == 401


# ------------------------------------------------------------------------- load check
def test_bench_reports_kinds_and_health(demo_db: Path) -> None:
    r = api.bench_api(demo_db, requests=27, concurrency=9)
    assert r["errors"] == 0 and r["health_errors"] == 0 and r["requests"] == 27
    assert {"static", "events compact 500", "summary"} <= set(r["by_kind"])
    assert sum(k["requests"] for k in r["by_kind"].values()) == 27
