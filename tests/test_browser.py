"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against `flashpoint serve`
on a store built from the demo corpus. `make install` installs Chromium (apt-get) and the front-end
assets (npm ci); on CI a missing browser is a failure, elsewhere the tests are skipped.

The screenshot goes to a temporary folder; `make screenshot` (FLASHPOINT_SCREENSHOT=docs/dashboard.png)
renews the one in the README, so an ordinary test run leaves the working tree as it was.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from flashpoint import api

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI runs `make install`, which provides it)")
    pytest.skip(f"{reason}: run `make install`", allow_module_level=True)


if not Path(CHROMIUM).exists():
    unavailable(f"{CHROMIUM} is missing (Debian package chromium)")
try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:
    unavailable("the playwright package is not installed")
if api.vendor_missing():
    unavailable(f"the dashboard's npm assets are missing ({', '.join(api.vendor_missing())})")


def _test_api():
    """tests/test_api.py's helpers (the test folder is no package and may not be on sys.path)."""
    import importlib.util
    import sys

    name = "flashpoint_tests_api_helpers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("test_api.py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


XSS_ID, build_demo_store = _test_api().XSS_ID, _test_api().build_demo_store


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_store(tmp_path_factory.getbasetemp() / "flashpoint-demo-store")


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[str]:
    with api.running_server(demo_db, "--read-only") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:  # launch() gives Chromium a new empty profile folder of its own
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watch:
    """What a page did that it should not: script errors, requests leaving this machine."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.external: list[str] = []


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[tuple[Page, Watch]]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = ctx.new_page()
    w = Watch()
    pg.on("pageerror", lambda e: w.errors.append(str(e)))
    pg.on("console", lambda m: w.errors.append(m.text) if m.type == "error" else None)

    def route(r):  # nothing may be fetched from anywhere but the app itself
        if r.request.url.startswith(server + "/"):
            r.continue_()
        else:
            w.external.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.set_default_timeout(20_000)
    yield pg, w
    ctx.close()
    assert not w.external, f"requests left the machine: {w.external}"
    assert not w.errors, f"errors in the page: {w.errors}"


def ready(pg: Page) -> None:
    pg.wait_for_selector("body[data-ready='1']")


def list_ids(pg: Page) -> list[str]:
    return pg.eval_on_selector_all("#event-list li[data-event-id]", "els => els.map(e => e.dataset.eventId)")


def test_map_filter_event_panel_and_screenshot(page: tuple[Page, Watch], server: str, tmp_path: Path) -> None:
    pg, _ = page
    pg.goto(server + "/")
    ready(pg)
    # the offline world map and the markers
    countries = pg.locator(".leaflet-overlay-pane path:not(.ev-marker)").count()
    markers = pg.locator("path.ev-marker").count()
    assert countries > 100 and markers > 50
    radii = pg.eval_on_selector_all("path.ev-marker", "els => els.map(e => e.getBBox().width)")
    assert max(radii) > 2 * min(radii)  # sized by fatalities
    total = len(list_ids(pg))

    # filter by country: every listed (fused) event involves Pakistan, as the API says
    pg.select_option("#f-country", "PAK")
    ready(pg)
    import json
    import urllib.request

    with urllib.request.urlopen(f"{server}/api/events?fused=true&country=PAK&modality=asserted&page_size=500&fields=compact") as r:
        want = json.load(r)
    ids = list_ids(pg)
    assert 0 < len(ids) < total
    assert sorted(ids) == sorted(e["event_id"] for e in want["events"])
    pak_markers = pg.locator("path.ev-marker").count()
    assert 0 < pak_markers < markers
    assert pak_markers == sum(1 for e in want["events"] if e["location"] and e["location"]["lat"] is not None)

    # open an event with claims (for the screenshot: a contested one in Pakistan or Iran if there is one):
    # the panel shows facts, claims with their sources, the article with the evidence highlighted
    def interest(e: dict) -> tuple:
        return ((e["location"] or {}).get("country") in ("PAK", "IRN"), bool(e["contested"]), e["fatalities"] or 0, e["event_id"])

    with urllib.request.urlopen(f"{server}/api/events?fused=true&country=PAK&modality=asserted&page_size=500") as r:
        with_claims = [e["event_id"] for e in json.load(r)["events"] if e["claims"]]
    best = max((e for e in want["events"] if e["event_id"] in with_claims), key=interest)
    with urllib.request.urlopen(f"{server}/api/events/{best['event_id']}") as r:
        full = json.load(r)
    pg.locator(f"#event-list li[data-event-id='{best['event_id']}']").click()
    panel = pg.locator("#event-panel")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-event-id", best["event_id"])
    triggers = pg.locator("#ev-article mark.hl-trigger")
    expect(triggers.first).to_be_visible()
    shown = set(triggers.all_text_contents())
    assert {s["text"] for s in full["evidence"] if s["role"] == "trigger"} <= shown
    article = pg.locator("#ev-article").text_content()
    assert article == full["source_document"]["text"]  # the whole article, unaltered
    sentence_text = "".join(pg.locator("#ev-article mark.hl-sentence").all_text_contents())
    for s in full["evidence"]:
        if s["role"] == "sentence":
            assert s["text"].strip()[:40] in sentence_text
    claims = pg.locator("#ev-claims li.claim")
    assert claims.count() == len(full["claims"]) > 0
    for c in full["claims"]:
        if c["source"]:
            expect(pg.locator("#ev-claims")).to_contain_text(c["source"])
    # the reports behind the fused event, each one opening its own record
    expect(pg.locator("#ev-reports li.report")).to_have_count(len(full["reports"]))
    expect(pg.locator("#ev-facts")).to_contain_text(f"{full['n_sources']} outlets")
    expect(pg.locator(f"path.ev-marker.selected[data-event-id='{best['event_id']}']")).to_have_count(
        1 if best["location"] and best["location"]["lat"] is not None else 0)

    shot = Path(os.environ.get("FLASHPOINT_SCREENSHOT") or tmp_path / "dashboard.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(shot))
    assert 10_000 < shot.stat().st_size < 600_000


def test_clicking_a_marker_opens_its_event(page: tuple[Page, Watch], server: str) -> None:
    pg, _ = page
    pg.goto(server + "/")
    ready(pg)
    # the top-most marker, clicked where it is drawn
    eid = pg.evaluate("""() => {
        const els = [...document.querySelectorAll('path.ev-marker')];
        for (const el of els.reverse()) {
            const b = el.getBoundingClientRect();
            const hit = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);
            if (hit === el) return el.dataset.eventId;
        }
        return null;
    }""")
    assert eid
    # the map's overflowing SVG cannot be scrolled: pressing a marker near the edge once scrolled it from under the pointer
    assert pg.evaluate("() => { const m = document.getElementById('map'); m.scrollTop = 50; return m.scrollTop; }") == 0
    pg.locator(f"path.ev-marker[data-event-id='{eid}']").click()
    expect(pg.locator("#event-panel")).to_have_attribute("data-event-id", eid)
    expect(pg.locator("#ev-article mark").first).to_be_visible()


def test_timeline_brush_filters_the_map_and_list(page: tuple[Page, Watch], server: str) -> None:
    pg, _ = page
    pg.goto(server + "/")
    ready(pg)
    before = list_ids(pg)
    box = pg.locator("#timeline svg").bounding_box()
    y = box["y"] + box["height"] / 2
    pg.mouse.move(box["x"] + box["width"] * 0.35, y)
    pg.mouse.down()
    pg.mouse.move(box["x"] + box["width"] * 0.55, y, steps=5)
    pg.mouse.up()
    ready(pg)
    d_from, d_to = pg.input_value("#f-from"), pg.input_value("#f-to")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", d_from) and d_from <= d_to
    after = list_ids(pg)
    assert 0 < len(after) < len(before)
    dates = pg.eval_on_selector_all("#event-list li .date", "els => els.map(e => e.textContent)")
    assert all(d_from <= d <= d_to for d in dates)
    expect(pg.locator("#status")).to_contain_text(f"{d_from} to {d_to}")
    # a click without dragging clears the window
    box = pg.locator("#timeline svg").bounding_box()
    pg.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] / 2)
    ready(pg)
    assert pg.input_value("#f-from") == "" and len(list_ids(pg)) == len(before)


def test_reports_view_and_a_report_of_a_fused_event(page: tuple[Page, Watch], server: str) -> None:
    pg, _ = page
    pg.goto(server + "/")
    ready(pg)
    import json
    import urllib.request

    fused_ids = list_ids(pg)
    pg.select_option("#f-view", "reports")
    ready(pg)
    with urllib.request.urlopen(f"{server}/api/events?modality=asserted&page_size=500&fields=compact") as r:
        reports = json.load(r)["events"]
    assert sorted(list_ids(pg)) == sorted(e["event_id"] for e in reports) and len(reports) > len(fused_ids)
    pg.select_option("#f-view", "fused")
    ready(pg)
    assert sorted(list_ids(pg)) == sorted(fused_ids)
    with urllib.request.urlopen(f"{server}/api/events?fused=true&page_size=500&fields=compact") as r:
        top = max(json.load(r)["events"], key=lambda e: e["n_sources"])
    pg.evaluate("id => openEvent(id)", top["event_id"])
    first = pg.locator("#ev-reports li.report").first
    rid = first.get_attribute("data-event-id")
    first.click()
    expect(pg.locator("#event-panel")).to_have_attribute("data-event-id", rid)
    expect(pg.locator("#ev-reports-wrap")).to_be_hidden()
    expect(pg.locator("#ev-facts")).to_contain_text(top["event_id"])  # the link back to the fused event


def test_dyad_view_filters_by_the_pair(page: tuple[Page, Watch], server: str) -> None:
    pg, _ = page
    pg.goto(server + "/")
    ready(pg)
    row = pg.locator(".dyad[data-actor='IRN'][data-recipient='PAK']")
    expect(row).to_be_visible()
    assert row.locator("svg rect").count() > 3
    assert row.locator("svg rect.esc").count() >= 1  # the escalation of 16-18 January is marked
    row.click()
    ready(pg)
    assert pg.input_value("#f-actor") == "IRN" and pg.input_value("#f-country") == "PAK"
    assert list_ids(pg)


def test_article_markup_is_shown_as_text(page: tuple[Page, Watch], server: str) -> None:
    pg, _ = page
    pg.goto(server + "/")
    ready(pg)
    import json
    import urllib.request

    with urllib.request.urlopen(f"{server}/api/documents/{XSS_ID}") as r:
        doc = json.load(r)
    assert doc["events"], "the probe article must have events"
    for ev in doc["events"]:
        pg.evaluate("id => openEvent(id)", ev["event_id"])
        expect(pg.locator("#event-panel")).to_have_attribute("data-event-id", ev["event_id"])
        expect(pg.locator("#ev-article")).to_have_text(doc["text"])
        assert "<script>window.__pwned = 4</script>" in pg.locator("#ev-article").text_content()
        expect(pg.locator("#ev-source")).to_contain_text("<script>window.__pwned = 1</script>Probe <b>bold</b>")
        assert pg.locator("#event-panel script, #event-panel img, #event-panel b:text-is('bold')").count() == 0
        assert pg.locator("#ev-source a").count() == 0  # a javascript: URL is not a link
    pg.locator("#ev-source").click()
    assert pg.evaluate("window.__pwned") is None
    assert pg.locator("script:not([src])").count() == 0


def test_api_docs_render_under_the_csp(page: tuple[Page, Watch], server: str) -> None:
    """/docs starts Swagger UI from web/docs.js: it renders although the CSP forbids inline scripts
    (a violation would be a console error, which the `page` fixture fails on)."""
    pg, _ = page
    pg.goto(server + "/docs")
    pg.wait_for_selector(".swagger-ui .info .title")
    assert "flashpoint" in pg.inner_text(".swagger-ui .info .title")
    assert pg.locator(".opblock").count() >= 7
