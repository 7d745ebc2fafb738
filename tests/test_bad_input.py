"""Issue 10, the input side: every bad input named by file and line, every good record beside it kept.

One test (or a few) per defect of the issue: deep JSON (1), impossible datelines (2), files
identified by their path (3, 4), unbalanced CSV quotes (5), encodings (6), long articles (7),
spreadsheet formulas in the CSV (8). Item 11 (only missing paths) is in tests/test_cli.py.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from unittest.mock import patch

from typer.testing import CliRunner

from flashpoint import cli, dates, export
from flashpoint.models import Actor, Document, Event, Location, ReadIssue, Span, stable_id
from flashpoint.pipeline import PART_CHARS, batched, extract
from flashpoint.readers import read_paths
from flashpoint.store import Store
from tests.conftest import db_rows as rows

runner = CliRunner()
DEEP = "[" * 200_000 + "]" * 200_000
GOOD = "date 2024-01-17\nPakistan has recalled its ambassador from Iran to protest the strike.\n"


def run(*args, **kw):
    return runner.invoke(cli.app, [str(a) for a in args], **kw)


def split(items):
    items = list(items)
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, ReadIssue)]


def record(i: str, text: str = "Pakistan has recalled its ambassador from Iran.", **kw) -> str:
    return json.dumps({"id": i, "date": "2024-01-17", "text": text, **kw})


# ---------------------------------------------------------------- 1: deeply nested JSON

def test_a_deeply_nested_jsonl_line_is_skipped_and_the_lines_around_it_kept(tmp_path):
    (tmp_path / "deep.jsonl").write_text(record("a") + "\n" + DEEP + "\n" + record("b") + "\n")
    docs, issues = split(read_paths([tmp_path / "deep.jsonl"]))
    assert [d.id for d in docs] == ["a", "b"]
    (issue,) = issues
    assert issue.skipped and issue.origin.endswith("deep.jsonl:2") and "nested too deeply" in issue.message


def test_a_deeply_nested_element_of_a_json_array_costs_only_itself(tmp_path):
    (tmp_path / "deep.json").write_text(f"[\n{record('a')},\n{DEEP},\n{record('b')}\n]\n")
    docs, issues = split(read_paths([tmp_path / "deep.json"]))
    assert [d.id for d in docs] == ["a", "b"]
    (issue,) = issues
    assert issue.skipped and issue.origin.endswith("deep.json:3") and "element 2" in issue.message and "nested too deeply" in issue.message


def test_deep_values_in_a_record_are_named_and_the_record_kept_or_skipped(tmp_path):
    deep = json.loads("[" * 50 + "]" * 50)
    lines = [
        json.dumps({"id": "ok", "date": "2024-01-17", "text": "Iran struck Pakistan.", "extra": deep}),  # unused field: fine
        json.dumps({"id": "t", "date": "2024-01-17", "text": "Iran struck Pakistan.", "title": deep}),  # kept, title left out
        json.dumps({"id": deep, "text": "Iran struck Pakistan."}),  # no usable id: skipped
        json.dumps({"id": "x", "text": deep}),  # no text: skipped
    ]
    (tmp_path / "f.jsonl").write_text("\n".join(lines) + "\n")
    docs, issues = split(read_paths([tmp_path / "f.jsonl"]))
    assert [(d.id, d.title) for d in docs] == [("ok", None), ("t", None)]
    assert [(i.origin.rsplit(":", 1)[1], i.skipped) for i in issues] == [("2", False), ("3", True), ("4", True)]
    assert "`title` is a list" in issues[0].message and "`id` is a list" in issues[1].message and "`text` is a list" in issues[2].message


def test_ingest_and_extract_keep_the_good_documents_beside_deep_json(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD)
    (tmp_path / "deep.jsonl").write_text(DEEP + "\n" + record("after", "Iran recalled its ambassador from Pakistan.") + "\n")
    (tmp_path / "deep.json").write_text("[" + DEEP + "]")
    (tmp_path / "z.txt").write_text(GOOD.replace("Pakistan has", "Iraq has"))
    paths = [tmp_path / "good.txt", tmp_path / "deep.jsonl", tmp_path / "deep.json", tmp_path / "z.txt"]
    db = tmp_path / "fp.duckdb"
    r = run("ingest", *paths, "--db", db)
    assert r.exit_code == 1 and type(r.exception) is SystemExit  # not a RecursionError
    assert "deep.jsonl:1: JSON nested too deeply to read" in r.stderr and "deep.json:1: element 1 of the array" in r.stderr
    assert sorted(o.rsplit("/", 1)[-1] for (o,) in rows(db, "SELECT origin FROM documents")) == ["deep.jsonl:2", "good.txt", "z.txt"]
    r = run("extract", *paths)
    assert r.exit_code == 1 and type(r.exception) is SystemExit
    assert {json.loads(x)["doc_id"] for x in r.stdout.splitlines()} >= {"after"}


# ---------------------------------------------------------------- 2: impossible datelines

def test_an_impossible_dateline_with_a_relative_date_keeps_the_article(tmp_path):
    lines = [record(f"y{y}", "Troops clashed with militants near Karachi yesterday.") .replace("2024-01-17", d)
             for y, d in ((1, "0001-01-01"), (1899, "1899-12-31"), (2999, "2999-01-01"), (9999, "9999-12-31"))]
    (tmp_path / "dates.jsonl").write_text("\n".join(lines) + "\n" + record("fine") + "\n")
    db = tmp_path / "fp.duckdb"
    r = run("ingest", tmp_path / "dates.jsonl", "--db", db)
    assert r.exit_code == 0 and r.exception is None
    for n, d in enumerate(("0001-01-01", "1899-12-31", "2999-01-01", "9999-12-31"), 1):
        assert f"dates.jsonl:{n}: impossible dateline {d}" in r.stderr
    assert r.stderr.count("impossible dateline") == 4 and "the article is kept" in r.stderr
    stored = dict(rows(db, "SELECT doc_id, date FROM documents"))
    assert stored == {"y1": None, "y1899": None, "y2999": None, "y9999": None, "fine": date(2024, 1, 17)}
    assert {p for (p,) in rows(db, "SELECT date_precision FROM events WHERE doc_id LIKE 'y%'")} <= {"unknown"}


def test_a_txt_dateline_out_of_bounds_is_reported_on_its_line(tmp_path):
    (tmp_path / "far.txt").write_text(GOOD.replace("2024-01-17", "2999-12-31"))
    (doc,), (issue,) = split(read_paths([tmp_path / "far.txt"]))
    assert doc.date is None and not issue.skipped and issue.origin.endswith("far.txt:1") and "2999-12-31" in issue.message


def test_date_resolution_never_overflows():
    for kind, text, dateline in (("yesterday", "yesterday", date(1, 1, 1)), ("last_week", "next week", date(9999, 12, 31)),
                                 ("weekday", "on Monday", date(1, 1, 1)), ("ago", "5000 years ago", date(2024, 1, 17)),
                                 ("ago", "99999999 days ago", date(2024, 1, 17))):
        m = dates.resolve(dates.DateMention(kind, text, 0, len(text)), dateline)
        assert m.date is None and m.precision == "unknown", text
    far = dates.resolve(dates.DateMention("relative", "99999999 days later", 0, 19), None)
    assert far.offset_days is None
    near = dates.resolve(dates.DateMention("yesterday", "yesterday", 0, 9), date(2024, 1, 17))
    assert near.date == date(2024, 1, 16) and near.precision == "day"


# ---------------------------------------------------------------- 3, 4: files identified by their path

ATTACK = "date 2024-01-16\nIranian missiles struck a village in Panjgur on Tuesday, killing two children, officials said.\n"
EDITED = "date 2024-01-16\nIranian missiles struck a village in Panjgur on Tuesday, killing five children, officials said.\n"


def test_an_edited_txt_file_replaces_its_events_and_an_unchanged_one_changes_nothing(tmp_path):
    root, db = tmp_path / "articles", tmp_path / "fp.duckdb"
    root.mkdir()
    (root / "a.txt").write_text(ATTACK)
    assert run("ingest", root, "--db", db).exit_code == 0
    first = rows(db, "SELECT doc_id, fatalities_best FROM events")
    assert [f for _, f in first] == [2]
    snapshot = rows(db, "SELECT event_id, record FROM events ORDER BY 1")
    r = run("ingest", root, "--db", db)
    assert r.exit_code == 0 and "0 coded" in r.stderr and rows(db, "SELECT event_id, record FROM events ORDER BY 1") == snapshot
    (root / "a.txt").write_text(EDITED)
    r = run("ingest", root / "a.txt", "--db", db)  # named directly this time: the same file, the same document
    assert r.exit_code == 0 and "1 coded" in r.stderr
    assert rows(db, "SELECT count(*) FROM documents") == [(1,)]
    assert [(d, f) for d, f in rows(db, "SELECT doc_id, fatalities_best FROM events")] == [(first[0][0], 5)]


def test_an_html_file_is_identified_by_its_path_and_re_coded_when_edited(tmp_path):
    page = "<html><body><article><h1>Strike</h1>" + "<p>Iranian missiles struck a village in Panjgur on Tuesday, officials said.</p>" * 3 + "{}</article></body></html>"
    for name in ("a.html", "b.html"):
        (tmp_path / name).write_text(page.format(""))
    before, _ = split(read_paths([tmp_path]))
    (tmp_path / "a.html").write_text(page.format("<p>Two children were killed, the police said.</p>"))
    after, _ = split(read_paths([tmp_path / "a.html"]))
    assert before[0].text == before[1].text and before[0].id != before[1].id  # same body, two documents
    assert after[0].id == before[0].id and after[0].content_hash != before[0].content_hash


def test_two_txt_files_with_the_same_body_and_different_datelines_are_two_documents(tmp_path):
    (tmp_path / "monday.txt").write_text(ATTACK)
    (tmp_path / "friday.txt").write_text(ATTACK.replace("2024-01-16", "2024-01-19"))
    db = tmp_path / "fp.duckdb"
    r = run("ingest", tmp_path, "--db", db)
    assert r.exit_code == 0 and "duplicate" not in r.stderr and "already read" not in r.stderr
    assert sorted(d for (d,) in rows(db, "SELECT date FROM documents")) == [date(2024, 1, 16), date(2024, 1, 19)]


def test_a_store_with_body_hash_ids_drops_the_old_copy_when_the_file_is_ingested(tmp_path):
    root, db = tmp_path / "articles", tmp_path / "fp.duckdb"
    root.mkdir()
    (root / "a.txt").write_text(ATTACK)
    body = ATTACK.split("\n", 1)[1]
    legacy = Document(stable_id(body.strip()), body, date(2024, 1, 16), origin=str(root / "a.txt"))
    jsonl = Document(stable_id(body.strip()) + "x", body, date(2024, 1, 16), origin=str(root / "feed.jsonl:1"))
    with Store(db) as s:  # as an older flashpoint stored it: the id was the hash of the body
        s.write([(legacy, [Event(f"{legacy.id}-e", legacy.id, "ASSAULT")]), (jsonl, [])], "old")
    assert run("ingest", root, "--db", db).exit_code == 0
    ids = {d for (d,) in rows(db, "SELECT doc_id FROM documents")}
    assert legacy.id not in ids and jsonl.id in ids and len(ids) == 2
    assert rows(db, f"SELECT count(*) FROM events WHERE doc_id = '{legacy.id}'") == [(0,)]


def test_the_same_id_read_twice_with_different_content_says_what_differs(tmp_path):
    (tmp_path / "f.jsonl").write_text(record("a") + "\n" + record("a").replace("2024-01-17", "2024-01-18") + "\n")
    r = run("extract", tmp_path / "f.jsonl")
    assert r.exit_code == 1 and "f.jsonl:2: document id 'a' was already read from" in r.stderr
    assert r.stderr.count("f.jsonl:1 with a different date\n") == 1



def test_a_duplicate_is_reported_with_the_file_and_element_it_was_first_read_from():
    """Tally remembers a document packed (file number, line or element, hashes): the origin it
    reports is rebuilt exactly, whatever its form, and an id is forgotten beyond the window."""
    def d(origin, title="A", i="a"):
        return Document(i, "Pakistan has recalled its ambassador from Iran.", date(2024, 1, 17), title, origin=origin)

    for first in ("feed.json#0", "feed.jsonl:107", "dir/a:b.txt", "notes:007", "x#"):
        tally = cli.Tally()
        with patch.object(cli.err, "print") as said:
            kept = list(tally.docs(iter([d(first), d("feed.json#12", "B"), d("feed.json#13")])))
        assert len(kept) == 1 and tally.skipped == 1
        assert said.call_args.args[0] == f"[red]skipped[/] feed.json#12: document id 'a' was already read from {first} with a different title"
    tally = cli.Tally(window=2)
    kept = list(tally.docs(iter([d("f:1"), d("f:2", i="b"), d("f:3", i="c"), d("f:4", "B")])))
    assert [k.origin for k in kept] == ["f:1", "f:2", "f:3", "f:4"] and tally.skipped == 0

# ---------------------------------------------------------------- 5: unbalanced CSV quotes

HEADER = "id,date,title,text\n"


def csv_docs(tmp_path, body: str):
    (tmp_path / "d.csv").write_text(HEADER + body)
    docs, issues = split(read_paths([tmp_path / "d.csv"]))
    return [d.id for d in docs], [(i.origin.rsplit(":", 1)[1], i.message) for i in issues]


def test_an_unbalanced_quote_costs_its_own_row_not_the_rows_it_runs_into(tmp_path):
    ids, issues = csv_docs(tmp_path, '1,2024-01-17,One,"Troops clashed near Karachi.\n2,2024-01-18,Two,"Protesters marched."\n3,2024-01-19,Three,Plain.\n')
    assert ids == ["2", "3"] and [line for line, _ in issues] == ["2"] and "quote" in issues[0][1]


def test_an_unbalanced_quote_at_the_end_of_the_file(tmp_path):
    ids, issues = csv_docs(tmp_path, '1,2024-01-17,One,Fine.\n2,2024-01-18,Two,"Never closed.\n3,2024-01-19,Three,Plain.\n')
    assert ids == ["1", "3"] and [line for line, _ in issues] == ["3"]


def test_a_quote_that_closes_rows_later_is_caught_by_the_rows_it_swallowed(tmp_path):
    # the open quote of row 1 closes at the end of row 3's text, just before a comma: csv reads
    # one record; its second line is a row of its own with a date, so it is damage
    ids, issues = csv_docs(tmp_path, '1,2024-01-17,One,"Open quote.\n2,2024-01-18,Two,Swallowed.\n3,2024-01-19,Three,Closes here.",\n4,2024-01-20,Four,Plain.\n')
    assert "2" in ids and "4" in ids and "1" not in ids
    assert issues[0][0] == "2" and "runs into the next row" in issues[0][1]
    ids, issues = csv_docs(tmp_path, '1,"2024-01-17,One,Text.\n2,2024-01-18,Two,Fine.\n3,2024-01-19,Three,Closes",\n')
    assert ids == ["2"] and [line for line, _ in issues] == ["2", "4"] and "`date` runs over 3 lines" in issues[0][1]


def test_quoted_text_over_several_lines_is_still_one_field(tmp_path):
    ids, issues = csv_docs(tmp_path, '1,2024-01-17,One,"First paragraph, with commas, two of them.\n\nSecond, 2024-01-18, paragraph."\n2,2024-01-18,Two,Plain.\n')
    assert ids == ["1", "2"] and issues == []


# ---------------------------------------------------------------- 6: encodings

TEXT = "date 2024-01-17\nProtesters in Quetta’s café district — and in Karachi — marched on Tuesday.\n"


def test_utf16_utf32_and_bom_files_are_read(tmp_path):
    for enc in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"):
        bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff"}.get(enc, "")
        (tmp_path / f"{enc}.txt").write_bytes((bom + TEXT).encode(enc))
    docs, issues = split(read_paths([tmp_path]))
    assert len(docs) == 5 and {d.text for d in docs} == {TEXT.split("\n", 1)[1]}
    assert all(not i.skipped for i in issues) and all("byte order mark" in i.message for i in issues)


def test_a_cp1252_file_is_read_as_such(tmp_path):
    body = ("Protesters in Quetta’s café district marched on Tuesday. “We want water,” a résumé said. " * 5 + "\n")
    (tmp_path / "legacy.txt").write_bytes(("date 2024-01-17\n" + body).encode("cp1252"))
    (doc,), (issue,) = split(read_paths([tmp_path / "legacy.txt"]))
    assert doc.text == body and "not UTF-8" in issue.message and not issue.skipped


def test_binary_files_are_still_rejected(tmp_path):
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    (tmp_path / "zeros.jsonl").write_bytes(b"\x00" * 100)
    docs, issues = split(read_paths([tmp_path / "image.txt", tmp_path / "zeros.jsonl"]))
    assert docs == [] and [i.skipped and "binary" in i.message for i in issues] == [True, True]


# ---------------------------------------------------------------- 7: long articles

def test_a_long_article_is_coded_in_parts_with_global_offsets():
    para = "Iranian missiles struck a village in Panjgur on Tuesday, killing two children, officials said.\n\n"
    text = para * (int(2.5 * PART_CHARS) // len(para))
    doc = Document("long", text, date(2024, 1, 17))
    ((_, events),) = list(extract([doc]))
    starts = sorted(s.start for e in events for s in e.evidence if s.role == "trigger")
    assert starts[-1] > 2 * PART_CHARS  # events in the last part
    for e in events:
        for s in e.evidence:
            assert text[s.start : s.end] == s.text
    assert len({e.event_id for e in events}) == len(events)


def test_ingest_batches_put_a_long_article_in_a_batch_of_its_own():
    docs = [Document(name, "x" * n) for name, n in (("a", 100), ("b", 100), ("big", 5000), ("c", 100), ("d", 100))]
    assert [[d.id for d in b] for b in batched(docs, 32, max_chars=1000)] == [["a", "b"], ["big"], ["c", "d"]]
    assert [[d.id for d in b] for b in batched(docs, 2)] == [["a", "b"], ["big", "c"], ["d"]]


# ---------------------------------------------------------------- 8: spreadsheet formulas in the CSV

def hostile_event() -> Event:
    return Event(
        "e1", "d1", "ASSAULT", goldstein=-3.5, cameo="190",
        actor=[Actor("=HYPERLINK(\"http://evil\")", "=HYPERLINK(\"http://evil\")", None, None)],
        recipient=[Actor("+1+1", "+1+1", None, None), Actor("@SUM(A1)", "@SUM(A1)", None, None)],
        location=Location("-2+3", "-2+3", "PAK", "\tcmd", None, -25.5, 64.1, 1, 2),
        evidence=[Span("=1+2 said the source", 0, 20, "sentence")],
    )


def test_csv_cells_that_start_a_formula_are_neutralised_and_numbers_stay_numbers(tmp_path):
    rec = hostile_event().to_dict()
    rec["source_document"] = {"title": None, "source": "\rwire", "url": None}
    buf = io.StringIO()
    export.write_csv([rec], buf)
    (row,) = csv.DictReader(io.StringIO(buf.getvalue()))
    assert row["actor1"] == "'=HYPERLINK(\"http://evil\")" and row["actor2"] == "'+1+1" and row["assoc_actor_2"] == "'@SUM(A1)"
    assert row["location"] == "'-2+3" and row["admin1"] == "'\tcmd" and row["source"] == "'\rwire" and row["notes"] == "'=1+2 said the source"
    assert row["goldstein"] == "-3.5" and row["latitude"] == "-25.5"
    assert not [v for v in row.values() if v[:1] in ("=", "+", "-", "@", "\t", "\r") and v not in ("-3.5", "-25.5")]


def test_events_csv_and_the_api_csv_are_neutralised(tmp_path):
    from fastapi.testclient import TestClient

    from flashpoint import api

    db = tmp_path / "fp.duckdb"
    d = Document("d1", "=1+2 said the source", date(2024, 1, 17), origin="x.txt")
    with Store(db) as s:
        s.write([(d, [hostile_event()])], "v")
    r = run("events", "--db", db, "--format", "csv")
    assert r.exit_code == 0
    (row,) = csv.DictReader(io.StringIO(r.stdout))
    assert row["actor1"].startswith("'=") and row["goldstein"] == "-3.5"
    with TestClient(api.create_app(db)) as c:
        resp = c.get("/api/events", params={"format": "csv"})
    (row,) = csv.DictReader(io.StringIO(resp.text))
    assert row["actor1"].startswith("'=") and row["location"] == "'-2+3" and row["goldstein"] == "-3.5"
