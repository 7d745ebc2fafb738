"""Read articles from files, folders and stdin into Documents (formats: ../shared/CONTRACT.md).

Every reader yields `Document`s and `ReadIssue`s in input order. A bad record becomes a
ReadIssue naming its file and line and the reader goes on with the next one; nothing raises.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator
from itertools import chain
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from .models import Document, ReadIssue, stable_id

TEXT_EXT = {".txt", ".text", ".md"}
# A folder's own documentation is not an article: skipped when a folder is read, read when named.
FOLDER_DOCS = {"readme", "license", "licence", "changelog", "notice"}
JSON_EXT = {".jsonl", ".ndjson", ".json"}
CSV_EXT = {".csv"}
HTML_EXT = {".html", ".htm"}
FEED_EXT = {".xml", ".rss", ".atom"}
KNOWN_EXT = TEXT_EXT | JSON_EXT | CSV_EXT | HTML_EXT | FEED_EXT

MAX_BYTES = 64 * 1024 * 1024  # a single article or file larger than this is refused, not truncated
STREAM_EXT = {".jsonl", ".ndjson"}
STREAM_BYTES = 8 * 1024 * 1024  # JSONL files larger than this are read a line at a time (any size)
DATELINE = re.compile(r"\A\s*date[ \t]+(\S+)[ \t]*\n?")

Item = Document | ReadIssue


def parse_date(value: object) -> date | None:
    """An ISO date (or datetime, or RFC 822 date) to a `date`; raises ValueError when impossible."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    s = str(value).strip()
    try:
        return date.fromisoformat(s[:10])
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(s).date()
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"impossible date {s!r} (expected YYYY-MM-DD)") from None


def make_document(
    origin: str,
    text: str,
    raw_date: object = None,
    doc_id: object = None,
    title: object = None,
    url: object = None,
    source: object = None,
) -> Iterator[Item]:
    """Validate one record and yield its Document, plus a non-skipping issue for a bad date."""
    if not isinstance(text, str) or not text.strip():
        yield ReadIssue(origin, "empty article: no text")
        return
    if len(text) > MAX_BYTES:
        yield ReadIssue(origin, f"article of {len(text):,} characters is over the {MAX_BYTES:,} limit")
        return
    try:
        d = parse_date(raw_date)
    except ValueError as e:
        d = None
        yield ReadIssue(origin, f"{e}; the article is kept with an unknown dateline", skipped=False)
    ident = str(doc_id) if doc_id not in (None, "") else stable_id(text.strip())

    def opt(v: object) -> str | None:
        return str(v).strip() or None if v not in (None, "") else None

    yield Document(id=ident, text=text, date=d, title=opt(title), url=opt(url), source=opt(source), origin=origin)


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    if not head:
        return False
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return control / len(head) > 0.05


def decode(data: bytes, origin: str) -> tuple[str, ReadIssue | None]:
    """UTF-8 text (BOM removed); invalid bytes are replaced and reported with their line."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        issue = ReadIssue(
            f"{origin}:{line}",
            f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); undecodable bytes replaced with U+FFFD",
            skipped=False,
        )
        return data.decode("utf-8-sig", errors="replace"), issue


def read_txt(origin: str, text: str) -> Iterator[Item]:
    """One article; an optional `date YYYY-MM-DD` first line or prefix is its dateline."""
    raw_date = None
    m = DATELINE.match(text)
    if m:
        raw_date, text = m.group(1), text[m.end() :]
    else:
        yield ReadIssue(f"{origin}:1", "no `date YYYY-MM-DD` dateline; event dates stay unresolved", skipped=False)
    yield from make_document(origin, text, raw_date)


def read_record(origin: str, rec: object) -> Iterator[Item]:
    if not isinstance(rec, dict):
        yield ReadIssue(origin, f"expected a JSON object, got {type(rec).__name__}")
        return
    if "text" not in rec:
        yield ReadIssue(origin, "record has no `text` field")
        return
    yield from make_document(
        origin, rec.get("text"), rec.get("date"), rec.get("id"), rec.get("title"), rec.get("url"), rec.get("source")
    )


def read_jsonl(origin: str, text: str) -> Iterator[Item]:
    stripped = text.lstrip()
    if stripped.startswith("["):  # a JSON array of records
        try:
            records = json.loads(text)
        except json.JSONDecodeError as e:
            yield ReadIssue(f"{origin}:{e.lineno}", f"malformed JSON: {e.msg}")
            return
        for i, rec in enumerate(records, 1):
            yield from read_record(f"{origin}#{i}", rec)
        return
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            if n == 1 and stripped.startswith("{"):  # maybe one pretty-printed object
                try:
                    yield from read_record(origin, json.loads(text))
                    return
                except json.JSONDecodeError:
                    pass
            yield ReadIssue(f"{origin}:{n}", f"malformed JSON line: {e.msg} (column {e.colno})")
            continue
        yield from read_record(f"{origin}:{n}", rec)


def stream_jsonl(origin: str, lines: Iterable[bytes | str]) -> Iterator[Item]:
    """JSONL a line at a time, so a file or stream of any length never sits in memory; each line
    is checked as `read_jsonl` checks it (size, UTF-8, JSON) and reported with its number."""
    for n, raw in enumerate(lines, 1):
        here = f"{origin}:{n}"
        if n == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf" if isinstance(raw, bytes) else "\ufeff")
        if len(raw) > MAX_BYTES:
            yield ReadIssue(here, f"line of {len(raw):,} bytes is over the {MAX_BYTES:,} limit")
            continue
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield ReadIssue(here, f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at column {e.start + 1}); undecodable bytes replaced with U+FFFD", skipped=False)
                raw = raw.decode("utf-8", errors="replace")
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError as e:
            yield ReadIssue(here, f"malformed JSON line: {e.msg} (column {e.colno})")
            continue
        yield from read_record(here, rec)


def read_stdin(stdin: io.TextIOBase) -> Iterator[Item]:
    """JSONL from standard input, streamed; a JSON array or one pretty-printed object is read whole."""
    first = stdin.readline()
    try:
        streamable = not first.lstrip().startswith("[") and (not first.strip() or isinstance(json.loads(first), dict))
    except json.JSONDecodeError:
        streamable = False
    if streamable:
        yield from stream_jsonl("<stdin>", chain([first], stdin))
    else:
        yield from read_jsonl("<stdin>", first + stdin.read())


def read_csv(origin: str, text: str) -> Iterator[Item]:
    csv.field_size_limit(MAX_BYTES)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "text" not in reader.fieldnames:
        yield ReadIssue(f"{origin}:1", f"CSV header has no `text` column (columns: {reader.fieldnames})")
        return
    width = len(reader.fieldnames)
    start = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield ReadIssue(f"{origin}:{reader.line_num}", f"malformed CSV row: {e}")
            return
        here = f"{origin}:{start}"
        start = reader.line_num + 1
        if None in row or any(v is None for v in row.values()):
            yield ReadIssue(here, f"malformed CSV row: expected {width} fields")
            continue
        yield from read_record(here, row)


def read_html(origin: str, text: str) -> Iterator[Item]:
    import trafilatura

    doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False, favor_precision=True)
    body = getattr(doc, "text", None) if doc is not None else None
    if not body:
        yield ReadIssue(origin, "no article text found in the HTML page")
        return
    yield from make_document(
        origin, body, getattr(doc, "date", None), None, getattr(doc, "title", None), getattr(doc, "url", None),
        getattr(doc, "sitename", None),
    )


def html_to_text(fragment: str) -> str:
    import lxml.html

    if "<" not in fragment:
        return fragment.strip()
    root = lxml.html.fromstring(f"<div>{fragment}</div>")
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    paras = [p.text_content().strip() for p in root.iter("p")]
    return "\n\n".join(p for p in paras if p) if paras else root.text_content().strip()


def read_feed(origin: str, data: bytes) -> Iterator[Item]:
    import feedparser

    feed = feedparser.parse(data)
    if not feed.entries:
        why = f": {feed.bozo_exception}" if feed.get("bozo") else ""
        yield ReadIssue(origin, f"not an RSS/Atom feed, or a feed with no items{why}")
        return
    for i, e in enumerate(feed.entries, 1):
        content = e.get("content", [{}])[0].get("value") if e.get("content") else e.get("summary", "")
        parsed = e.get("published_parsed") or e.get("updated_parsed")
        d = date(*parsed[:3]) if parsed else None
        src = feed.feed.get("title")
        yield from make_document(
            f"{origin}#item{i}", html_to_text(content or ""), d, e.get("id") or e.get("link"), e.get("title"),
            e.get("link"), src,
        )


def read_bytes(origin: str, data: bytes, suffix: str) -> Iterator[Item]:
    """Dispatch one file's bytes on its suffix."""
    if not data.strip():
        yield ReadIssue(origin, "empty file")
        return
    if len(data) > MAX_BYTES:
        yield ReadIssue(origin, f"file of {len(data):,} bytes is over the {MAX_BYTES:,} limit")
        return
    if looks_binary(data):
        yield ReadIssue(origin, "binary file, not text: skipped")
        return
    if suffix in FEED_EXT:
        yield from read_feed(origin, data)
        return
    text, issue = decode(data, origin)
    if issue:
        yield issue
    if suffix in JSON_EXT:
        yield from read_jsonl(origin, text)
    elif suffix in CSV_EXT:
        yield from read_csv(origin, text)
    elif suffix in HTML_EXT:
        yield from read_html(origin, text)
    else:
        yield from read_txt(origin, text)


def expand(paths: Iterable[str | Path]) -> Iterator[Path | ReadIssue]:
    """Files named, and the known-format files below folders named (recursively, sorted)."""
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if (
                    f.is_file()
                    and f.suffix.lower() in KNOWN_EXT
                    and f.stem.lower() not in FOLDER_DOCS
                    and not any(part.startswith(".") for part in f.relative_to(p).parts)
                ):
                    yield f
        elif p.exists():
            yield p
        else:
            yield ReadIssue(str(p), "no such file or folder")


def read_paths(paths: Iterable[str | Path], stdin: io.TextIOBase | None = None) -> Iterator[Item]:
    """All documents of the given paths; `-` reads JSONL from standard input."""
    for p in paths:
        if str(p) == "-":
            yield from read_stdin(stdin or sys.stdin)
            continue
        for f in expand([p]):
            if isinstance(f, ReadIssue):
                yield f
                continue
            try:
                if f.suffix.lower() in STREAM_EXT and f.stat().st_size > STREAM_BYTES:
                    with f.open("rb") as lines:
                        if looks_binary(lines.read(8192)):
                            yield ReadIssue(str(f), "binary file, not text: skipped")
                            continue
                        lines.seek(0)
                        yield from stream_jsonl(str(f), lines)
                    continue
                data = f.read_bytes()
            except OSError as e:
                yield ReadIssue(str(f), f"cannot read: {e.strerror or e}")
                continue
            yield from read_bytes(str(f), data, f.suffix.lower())
