"""Readers: every contract format, and bad input reported by file and line without losing good records."""

import io
import json
from datetime import date

from flashpoint.models import Document, ReadIssue
from flashpoint.readers import MAX_ARTICLE_CHARS, read_paths

ARTICLE = "Pakistan has recalled its ambassador from Iran to protest the strike.\n\nMore text follows here."


def split(items):
    items = list(items)
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, ReadIssue)]


def test_seed_style_dateline_prefix_on_the_first_line(shared):
    docs, issues = split(read_paths([shared / "seed" / "iran_pakistan_2024-01-17.txt"]))
    assert issues == []
    (doc,) = docs
    assert doc.date == date(2024, 1, 17)
    assert doc.text.startswith("Officials in Pakistan say two children")
    # the id is a content hash: the same input gives the same id
    (again,) = split(read_paths([shared / "seed" / "iran_pakistan_2024-01-17.txt"]))[0]
    assert again.id == doc.id and len(doc.id) == 16


def test_dateline_on_its_own_line(tmp_path):
    (tmp_path / "a.txt").write_text("date 2024-01-18\n" + ARTICLE)
    (doc,), _ = split(read_paths([tmp_path / "a.txt"]))
    assert doc.date == date(2024, 1, 18) and doc.text == ARTICLE


def test_missing_and_impossible_datelines_keep_the_article(tmp_path):
    (tmp_path / "none.txt").write_text(ARTICLE)
    (tmp_path / "bad.txt").write_text("date 2024-13-45\n" + ARTICLE)
    docs, issues = split(read_paths([tmp_path / "none.txt", tmp_path / "bad.txt"]))
    assert [d.date for d in docs] == [None, None]
    assert all(d.text == ARTICLE for d in docs)
    assert len(issues) == 2 and not any(i.skipped for i in issues)
    assert "none.txt:1" in str(issues[0]) and "dateline" in issues[0].message
    assert "bad.txt" in str(issues[1]) and "2024-13-45" in issues[1].message


def test_binary_empty_and_missing_files_are_skipped_with_their_names(tmp_path):
    (tmp_path / "good.txt").write_text("date 2024-01-17\n" + ARTICLE)
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "empty.txt").write_text("   \n")
    docs, issues = split(read_paths([tmp_path / "image.txt", tmp_path / "empty.txt", tmp_path / "nope.txt", tmp_path / "good.txt"]))
    assert [d.text for d in docs] == [ARTICLE]
    messages = {i.origin.split("/")[-1]: i.message for i in issues}
    assert "binary" in messages["image.txt"]
    assert "empty" in messages["empty.txt"]
    assert "no such file" in messages["nope.txt"]
    assert all(i.skipped for i in issues)


def test_a_legacy_encoding_is_detected_and_reported_with_its_line(tmp_path):
    raw = "date 2024-01-17\nFirst line.\nCaf\xe9 owners protested in Quetta.\n".encode("latin-1")
    (tmp_path / "latin.txt").write_bytes(raw)
    (doc,), (issue,) = split(read_paths([tmp_path / "latin.txt"]))
    assert issue.origin.endswith("latin.txt:3") and "not UTF-8" in issue.message and not issue.skipped
    assert "Café owners protested in Quetta." in doc.text


def test_utf8_with_a_few_bad_bytes_stays_utf8_and_the_bytes_are_reported(tmp_path):
    raw = "date 2024-01-17\nProtesters in Quetta — and in Karachi — marched.\n".encode() + b"Bad \xff byte.\n"
    (tmp_path / "damaged.txt").write_bytes(raw)
    (doc,), (issue,) = split(read_paths([tmp_path / "damaged.txt"]))
    assert issue.origin.endswith("damaged.txt:3") and "not valid UTF-8" in issue.message and not issue.skipped
    assert "— and in Karachi —" in doc.text and "Bad \ufffd byte." in doc.text


def test_jsonl_malformed_lines_are_skipped_and_the_rest_kept(tmp_path):
    lines = [
        json.dumps({"id": "a", "text": ARTICLE, "date": "2024-01-17", "title": "A"}),
        '{"id": "b", "text": "unterminated',
        json.dumps({"id": "c", "date": "2024-01-18"}),
        json.dumps(["not", "an", "object"]),
        "",
        json.dumps({"id": "d", "text": ARTICLE + " Second.", "date": "2024-02-30"}),
        json.dumps({"text": ARTICLE + " Third."}),
    ]
    (tmp_path / "wire.jsonl").write_text("\n".join(lines) + "\n")
    docs, issues = split(read_paths([tmp_path / "wire.jsonl"]))
    assert [d.id for d in docs][:2] == ["a", "d"] and len(docs) == 3
    assert docs[0].title == "A" and docs[0].date == date(2024, 1, 17)
    assert docs[1].date is None  # 30 February is reported, the article kept
    where = [i.origin.rsplit(":", 1)[-1] for i in issues]
    assert where == ["2", "3", "4", "6"]
    assert [i.skipped for i in issues] == [True, True, True, False]
    assert "malformed JSON" in issues[0].message and "text" in issues[1].message


def test_json_array_and_stdin(tmp_path):
    (tmp_path / "arr.json").write_text(json.dumps([{"id": "x", "text": ARTICLE}, {"id": "y", "text": ""}]))
    docs, issues = split(read_paths([tmp_path / "arr.json"]))
    assert [d.id for d in docs] == ["x"] and "empty" in issues[0].message
    stdin = io.StringIO(json.dumps({"id": "s", "text": ARTICLE, "date": "2024-01-19"}) + "\nnot json\n")
    docs, issues = split(read_paths(["-"], stdin=stdin))
    assert [d.id for d in docs] == ["s"] and issues[0].origin == "<stdin>:2"


def test_csv_rows_with_quotes_newlines_and_a_malformed_row(tmp_path):
    body = 'id,date,title,text\n1,2024-01-17,One,"Iran said, ""only militants""\nwere hit."\n2,2024-01-18,Two\n3,2024-01-19,Three,Plain text here.\n'
    (tmp_path / "d.csv").write_text(body)
    docs, issues = split(read_paths([tmp_path / "d.csv"]))
    assert [d.id for d in docs] == ["1", "3"]
    assert docs[0].text == 'Iran said, "only militants"\nwere hit.'
    assert issues[0].origin.endswith("d.csv:4") and "expected 4 fields" in issues[0].message
    (tmp_path / "notext.csv").write_text("id,body\n1,hello\n")
    _, issues = split(read_paths([tmp_path / "notext.csv"]))
    assert "no `text` column" in issues[0].message


def test_html_page_main_text_without_boilerplate(tmp_path):
    paras = "".join(f"<p>Paragraph {i}: Pakistan's military said it struck militant hideouts in Iran's Sistan-Baluchestan province early on Thursday.</p>" for i in range(4))
    page = (
        "<html><head><title>Pakistan strikes back</title></head><body><nav><a href='/'>Home</a> | <a href='/world'>World</a></nav>"
        f"<article><h1>Pakistan strikes back</h1><time datetime='2024-01-18'>18 January 2024</time>{paras}</article>"
        "<footer>Copyright 2024 Example. All rights reserved. <a href='/privacy'>Privacy</a></footer></body></html>"
    )
    (tmp_path / "p.html").write_text(page)
    (doc,), _ = split(read_paths([tmp_path / "p.html"]))
    assert "struck militant hideouts" in doc.text
    assert "Privacy" not in doc.text and "Home" not in doc.text
    assert doc.title == "Pakistan strikes back" and doc.date == date(2024, 1, 18)


def test_rss_feed_items_become_documents(tmp_path):
    rss = """<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>
    <item><title>One</title><link>https://example.org/1</link><pubDate>Thu, 18 Jan 2024 09:00:00 GMT</pubDate>
    <description>&lt;p&gt;Pakistan carried out strikes inside Iran.&lt;/p&gt;&lt;p&gt;Iran condemned them.&lt;/p&gt;</description></item>
    <item><title>Two</title><link>https://example.org/2</link><description></description></item>
    </channel></rss>"""
    (tmp_path / "f.rss").write_text(rss)
    (tmp_path / "other.xml").write_text("<articles><article>no feed</article></articles>")
    docs, issues = split(read_paths([tmp_path / "f.rss", tmp_path / "other.xml"]))
    assert [d.id for d in docs] == ["https://example.org/1"]
    assert docs[0].text == "Pakistan carried out strikes inside Iran.\n\nIran condemned them."
    assert docs[0].date == date(2024, 1, 18) and docs[0].source == "Desk"
    assert issues[0].origin.endswith("f.rss#item2") and "empty" in issues[0].message
    assert "not an RSS/Atom feed" in issues[1].message


def test_folders_are_read_recursively_in_order_and_skip_hidden_and_readme(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.txt").write_text("date 2024-01-16\nFirst " + ARTICLE)
    (tmp_path / "b" / "c.txt").write_text("date 2024-01-17\nSecond " + ARTICLE)
    (tmp_path / ".git" / "x.txt").write_text("date 2024-01-17\nHidden " + ARTICLE)
    (tmp_path / "b" / "notes.bin").write_bytes(b"\x00\x01")
    (tmp_path / "README.md").write_text("# What this folder holds\n")
    docs, issues = split(read_paths([tmp_path]))
    assert [d.text.split()[0] for d in docs] == ["First", "Second"] and issues == []
    docs, _ = split(read_paths([tmp_path / "README.md"]))  # named explicitly, it is read
    assert docs[0].text.startswith("# What")


def test_an_article_over_the_limit_is_skipped_with_a_message_and_the_others_are_read(tmp_path):
    para = "Officials said the strike hit a village near the border. " * 40 + "\n\n"
    big = para * (MAX_ARTICLE_CHARS // len(para) + 1)
    (tmp_path / "a_huge.txt").write_text("date 2024-01-17\n" + big)
    (tmp_path / "b_fits.txt").write_text("date 2024-01-17\n" + big[:MAX_ARTICLE_CHARS])
    (tmp_path / "c.txt").write_text("date 2024-01-17\n" + ARTICLE)
    docs, issues = split(read_paths([tmp_path]))
    assert [len(d.text) for d in docs] == [MAX_ARTICLE_CHARS, len(ARTICLE)]
    (issue,) = issues
    assert issue.skipped and issue.origin.endswith("a_huge.txt:1") and f"over the {MAX_ARTICLE_CHARS:,}-character limit" in issue.message


# --- streaming: a JSONL file of any size is read a line at a time ------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from flashpoint import readers  # noqa: E402

LINES = st.one_of(
    st.builds(lambda i, t, d: json.dumps({"id": i, "text": t, "date": d}),
              st.text(min_size=1, max_size=8), st.text(max_size=40), st.sampled_from(["2024-01-17", "", "2024-13-45"])),
    # blank lines, junk (JSONL lines end at "\n"; the whole-file reader also splits at \v, \f, \x1c ...)
    st.text(max_size=20).filter(lambda s: len(s.splitlines()) <= 1 and s == s.splitlines()[0] if s else True),
)


def summary(items):
    return [(type(i).__name__, getattr(i, "origin", None), getattr(i, "id", None), getattr(i, "text", None),
             getattr(i, "date", None), getattr(i, "skipped", None)) for i in items]


@settings(max_examples=60, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=8))
def test_streamed_jsonl_reads_exactly_what_the_whole_file_reader_reads(lines):
    body = "\n".join(lines) + "\n"
    if body.lstrip().startswith(("[", "{")) and not body.lstrip().startswith('{"'):
        return  # a JSON array or pretty-printed object is read whole, never streamed
    whole = summary(readers.read_jsonl("f.jsonl", body))
    streamed = summary(readers.stream_jsonl("f.jsonl", io.BytesIO(body.encode()).readlines()))
    # the whole-file reader's one extra rule: a first line that opens a pretty-printed object
    assert whole == streamed or lines[0].lstrip().startswith("{")


def test_a_large_jsonl_file_is_streamed_with_bad_lines_named(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "STREAM_BYTES", 10)
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "a", "text": ARTICLE}).encode() + b"\n{oops\n"
                     + json.dumps({"id": "b", "text": "caf\u00e9 ".encode().decode() + ARTICLE}).encode().replace(b"caf\\u00e9", b"caf\xe9") + b"\n")
    read = []
    monkeypatch.setattr(readers.Path, "read_bytes", lambda self: read.append(self) or b"")  # never read whole
    docs, issues = split(read_paths([path]))
    assert read == [] and [d.id for d in docs] == ["a", "b"]
    assert [(i.origin, i.skipped) for i in issues] == [(f"{path}:2", True), (f"{path}:3", False)]
    assert "\ufffd" in docs[1].text


def test_stdin_is_streamed_unless_it_holds_one_json_array():
    class Lines(io.StringIO):
        def read(self, *a):  # a stream is never read whole
            raise AssertionError("stdin read whole")

    stdin = Lines(json.dumps({"id": "s1", "text": ARTICLE}) + "\n" + json.dumps({"id": "s2", "text": ARTICLE}) + "\n")
    docs, _ = split(read_paths(["-"], stdin=stdin))
    assert [d.id for d in docs] == ["s1", "s2"]
    docs, _ = split(read_paths(["-"], stdin=io.StringIO(json.dumps([{"id": "x", "text": ARTICLE}]))))
    assert [d.id for d in docs] == ["x"]
