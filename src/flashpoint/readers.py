"""Read articles from files, folders and stdin into Documents (formats: ../shared/CONTRACT.md).

Every reader yields `Document`s and `ReadIssue`s in input order. A bad record becomes a
ReadIssue naming its file and line and the reader goes on with the next one; nothing raises.

A `.txt` or `.html` file is identified by its path (`file_key`), not by its text: an edited file
replaces its old version, and two files with the same body are two documents. Records of
JSONL/JSON/CSV files and feeds carry their own `id` (else the hash of their text).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from itertools import chain
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

MAX_BYTES = 64 * 1024 * 1024  # a file larger than this is refused, not truncated
MAX_ARTICLE_CHARS = 2_000_000  # an article longer than this is refused: coding it would take minutes
# A dateline outside these bounds is a typo or a placeholder (0001-01-01, 2999-12-31): reported,
# and the article kept with an unknown dateline. The upper bound is a year after today.
MIN_DATELINE = date(1900, 1, 1)
DATELINE_AHEAD = timedelta(days=366)
# C0 control characters other than tab, newlines, form feed and escape: many of them mean binary.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
NON_ASCII = re.compile("[^\x00-\x7f\ufffd]")  # a character decoded from a valid multi-byte UTF-8 sequence
UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
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
    except (TypeError, ValueError, IndexError, OverflowError):
        raise ValueError(f"impossible date {s!r} (expected YYYY-MM-DD)") from None


def check_dateline(d: date) -> None:
    """Raise ValueError for a dateline no article has: before 1900 or more than a year ahead."""
    latest = date.today() + DATELINE_AHEAD
    if not MIN_DATELINE <= d <= latest:
        raise ValueError(f"impossible dateline {d.isoformat()} (expected {MIN_DATELINE.isoformat()} to {latest.isoformat()})")


def scalar(v: object) -> bool:
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


def make_document(
    origin: str,
    text: object,
    raw_date: object = None,
    doc_id: object = None,
    title: object = None,
    url: object = None,
    source: object = None,
    at: str | None = None,
    replaces: tuple[str, ...] = (),
) -> Iterator[Item]:
    """Validate one record and yield its Document, plus a non-skipping issue for a bad date or field.

    `at` names where a problem is (default `origin`, e.g. `file.txt:1` for a dateline line)."""
    at = at or origin
    if not isinstance(text, str) or not text.strip():
        yield ReadIssue(at, "empty article: no text" if not text or isinstance(text, str) else f"`text` is a {type(text).__name__}, not text")
        return
    if len(text) > MAX_ARTICLE_CHARS:
        yield ReadIssue(at, f"article of {len(text):,} characters is over the {MAX_ARTICLE_CHARS:,}-character limit (coding it would take minutes)")
        return
    if doc_id not in (None, "") and not scalar(doc_id):
        yield ReadIssue(at, f"`id` is a {type(doc_id).__name__}, not a string")
        return
    try:
        if not (raw_date is None or scalar(raw_date) or isinstance(raw_date, date)):
            raise ValueError(f"`date` is a {type(raw_date).__name__}, not a date")
        d = parse_date(raw_date)
        if d is not None:
            check_dateline(d)
    except ValueError as e:
        d = None
        yield ReadIssue(at, f"{e}; the article is kept with an unknown dateline", skipped=False)
    ident = str(doc_id) if doc_id not in (None, "") else stable_id(text.strip())

    def opt(name: str, v: object) -> str | None:
        if v in (None, ""):
            return None
        if not scalar(v):
            issues.append(ReadIssue(at, f"`{name}` is a {type(v).__name__}, not text: left out", skipped=False))
            return None
        return str(v).strip() or None

    issues: list[ReadIssue] = []
    fields = {"title": opt("title", title), "url": opt("url", url), "source": opt("source", source)}
    yield from issues
    yield Document(id=ident, text=text, date=d, origin=origin, replaces=replaces, **fields)


def looks_binary(text: str) -> bool:
    """Decoded text with NULs or many other control characters is no article."""
    head = text[:8192]
    return "\x00" in head or len(CONTROL.findall(head)) > 0.05 * len(head)


def decode(data: bytes, origin: str) -> tuple[str | None, ReadIssue | None]:
    """The text of a file, or None (and why) when it is binary.

    UTF-8 (with or without BOM) first. A UTF-16/UTF-32 BOM or bytes that are not UTF-8 go to
    charset-normalizer, which names the encoding (reported) or finds none (binary). A file that
    is UTF-8 but for a few bad bytes (it has valid multi-byte sequences) stays UTF-8: the bad
    bytes are replaced with U+FFFD and reported with their line."""
    from charset_normalizer import from_bytes

    binary = ReadIssue(origin, "binary file, not text (no text encoding fits): skipped")
    where = origin
    if not data.startswith(UTF16_32_BOMS):
        try:
            text = data.decode("utf-8-sig")
            return (None, binary) if looks_binary(text) else (text, None)
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            where = f"{origin}:{line}"
            replaced = data.decode("utf-8-sig", errors="replace")
            if NON_ASCII.search(replaced) and not looks_binary(replaced):
                return replaced, ReadIssue(
                    where,
                    f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); undecodable bytes replaced with U+FFFD",
                    skipped=False,
                )
    best = from_bytes(data).best()
    if best is None:
        return None, binary
    text = str(best)
    if looks_binary(text):
        return None, binary
    how = "its byte order mark says " if best.bom else "charset-normalizer detected "
    return text, ReadIssue(where, f"not UTF-8: {how}{best.encoding}, read as such", skipped=False)


def file_key(arg: str | os.PathLike, f: str | os.PathLike) -> str:
    """What identifies a file read from the command-line argument `arg`: its path from the folder
    that holds `arg`, so `articles/a.txt` whether `articles/` or `articles/a.txt` was named, the
    same in any working directory and for a copy of the folder elsewhere."""
    named = Path(os.path.abspath(arg))
    base = named.parent if named.is_dir() else named.parent.parent
    return Path(os.path.abspath(f)).relative_to(base).as_posix()


def file_id(key: str) -> str:
    return stable_id("file", key)


def read_txt(origin: str, text: str, ident: str | None = None) -> Iterator[Item]:
    """One article; an optional `date YYYY-MM-DD` first line or prefix is its dateline."""
    raw_date = None
    m = DATELINE.match(text)
    if m:
        raw_date, text = m.group(1), text[m.end() :]
    else:
        yield ReadIssue(f"{origin}:1", "no `date YYYY-MM-DD` dateline; event dates stay unresolved", skipped=False)
    yield from make_document(origin, text, raw_date, ident, at=f"{origin}:1", replaces=legacy_ids(ident, text))


def legacy_ids(ident: str | None, text: str) -> tuple[str, ...]:
    """The id a file's article had before files were identified by path (the hash of its body):
    the store drops that old copy when the file is stored under its path id (store.Store.write)."""
    return (stable_id(text.strip()),) if ident else ()


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


JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]')


def json_value(text: str) -> tuple[object, str | None]:
    """A parsed JSON value, or None and what is wrong (malformed, or nested too deeply to parse)."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as e:
        return None, f"malformed JSON: {e.msg} (line {e.lineno}, column {e.colno})"
    except RecursionError:
        return None, "JSON nested too deeply to read"


def array_elements(text: str) -> Iterator[tuple[int, str]]:
    """(offset, source) of each element of a top-level JSON array, found by its brackets and commas
    without parsing it: an element that is malformed or nested too deeply costs only itself."""
    depth, start = 0, None
    for m in JSON_TOKENS.finditer(text):
        tok = m.group()
        if tok in ("[", "{"):
            depth += 1
            if depth == 1:
                start = m.end()
        elif tok in ("]", "}"):
            depth -= 1
            if depth == 0:
                yield start, text[start : m.start()]
                return
        elif tok == "," and depth == 1:
            yield start, text[start : m.start()]
            start = m.end()
    if start is not None:
        yield start, text[start:]


def read_json_array(origin: str, text: str) -> Iterator[Item]:
    records, problem = json_value(text)
    if problem is None and isinstance(records, list):
        for i, rec in enumerate(records, 1):
            yield from read_record(f"{origin}#{i}", rec)
        return
    # one bad element: parse the elements one by one and keep the good ones
    for i, (offset, source) in enumerate(array_elements(text), 1):
        if not source.strip():
            continue
        rec, problem = json_value(source)
        if problem:
            line = text.count("\n", 0, offset + len(source) - len(source.lstrip())) + 1
            yield ReadIssue(f"{origin}:{line}", f"element {i} of the array: {problem}")
        else:
            yield from read_record(f"{origin}#{i}", rec)


def read_jsonl(origin: str, text: str, lines_only: bool = False) -> Iterator[Item]:
    """One record per line; unless `lines_only` (.jsonl, .ndjson), also a JSON array of records or
    one pretty-printed record."""
    stripped = text.lstrip()
    if stripped.startswith("[") and not lines_only:  # a JSON array of records
        yield from read_json_array(origin, text)
        return
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        rec, problem = json_value(line)
        if problem:
            if n == 1 and stripped.startswith("{") and not lines_only:  # maybe one pretty-printed object
                whole, bad = json_value(text)
                if bad is None:
                    yield from read_record(origin, whole)
                    return
            yield ReadIssue(f"{origin}:{n}", problem)
            continue
        yield from read_record(f"{origin}:{n}", rec)


def csv_records(text: str, damaged: Callable[[list[str], list[str]], str | None]) -> Iterator[tuple[int, list[str] | str]]:
    """(first line, fields) of each CSV record, or (line, what is wrong) for one that cannot be read.

    Quotes are parsed strictly, and `damaged(fields, lines)` may reject a record that parsed (a
    quote left open that ran into the next rows). After a bad record, parsing starts again on the
    line after the one it began on: an unbalanced quote costs its own row, never the rows it ran into."""
    lines = list(io.StringIO(text, newline=""))
    start = 0  # index of the first line the current reader sees
    while start < len(lines):
        reader = csv.reader(itertools.islice(lines, start, None), strict=True)
        done = 0  # lines read by the current reader, up to the end of its last record
        try:
            for row in reader:
                first = start + done
                raw, done = lines[first : start + reader.line_num], reader.line_num
                if not row:
                    continue
                problem = damaged(row, raw) if len(raw) > 1 else None
                if problem:
                    yield first + 1, problem
                    start = first + 1
                    break
                yield first + 1, row
            else:
                return
        except csv.Error as e:
            yield start + done + 1, f"{e} (a quote left open?)"
            start += done + 1


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
        rec, problem = json_value(raw)
        if problem:
            yield ReadIssue(here, problem)
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
    header: list[str] = []

    def damaged(row: list[str], raw: list[str]) -> str | None:
        """A record over several lines is damage when a field that is never more than one line
        (id, date, url, source) holds a line break, or when one of its lines is a full row with a
        date of its own: a quote left open swallowed the rows after it."""
        if not header:
            return None
        for name, value in zip(header, row):
            if name not in ("text", "title") and ("\n" in value or "\r" in value):
                return f"field `{name}` runs over {len(raw)} lines: a quote left open?"
        if "date" in header:
            for k, line in enumerate(raw[1:], 2):
                try:
                    fields = next(csv.reader([line], strict=True))
                    if len(fields) == len(header):
                        date.fromisoformat(fields[header.index("date")].strip()[:10])
                        return f"a quote left open runs into the next row (its line {k} is a row of its own)"
                except (csv.Error, ValueError, StopIteration):
                    continue
        return None

    for line, row in csv_records(text, damaged):
        here = f"{origin}:{line}"
        if isinstance(row, str):
            yield ReadIssue(here, f"malformed CSV row: {row}; the lines after it are read again")
        elif not header:
            if "text" not in row:
                yield ReadIssue(here, f"CSV header has no `text` column (columns: {row})")
                return
            header = row
        elif len(row) != len(header):
            yield ReadIssue(here, f"malformed CSV row: expected {len(header)} fields, got {len(row)}")
        else:
            yield from read_record(here, dict(zip(header, row)))


def read_html(origin: str, text: str, ident: str | None = None) -> Iterator[Item]:
    import trafilatura

    doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False, favor_precision=True)
    body = getattr(doc, "text", None) if doc is not None else None
    if not body:
        yield ReadIssue(origin, "no article text found in the HTML page")
        return
    yield from make_document(
        origin, body, getattr(doc, "date", None), ident, getattr(doc, "title", None), getattr(doc, "url", None),
        getattr(doc, "sitename", None), replaces=legacy_ids(ident, body),
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


def read_bytes(origin: str, data: bytes, suffix: str, ident: str | None = None) -> Iterator[Item]:
    """Dispatch one file's bytes on its suffix; `ident` is the id of a one-article file (its path).

    Whatever a reader meets, the file costs at most itself: an unexpected error is reported as
    a skipped file, never raised."""
    if not data.strip():
        yield ReadIssue(origin, "empty file")
        return
    if len(data) > MAX_BYTES:
        yield ReadIssue(origin, f"file of {len(data):,} bytes is over the {MAX_BYTES:,} limit")
        return
    text, issue = decode(data, origin)
    if issue and (text is None or suffix not in FEED_EXT):  # feedparser decodes a feed (its XML declaration)
        yield issue
    if text is None:
        return
    try:
        if suffix in FEED_EXT:
            yield from read_feed(origin, data)
        elif suffix in JSON_EXT:
            yield from read_jsonl(origin, text, lines_only=suffix != ".json")
        elif suffix in CSV_EXT:
            yield from read_csv(origin, text)
        elif suffix in HTML_EXT:
            yield from read_html(origin, text, ident)
        else:
            yield from read_txt(origin, text, ident)
    except RecursionError:
        yield ReadIssue(origin, "nested too deeply to read: the rest of the file is skipped")
    except Exception as e:  # noqa: BLE001 - one file must never stop the run
        yield ReadIssue(origin, f"cannot read ({type(e).__name__}: {e}): the rest of the file is skipped")


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
                        if looks_binary(lines.read(8192).decode("utf-8", errors="replace")):
                            yield ReadIssue(str(f), "binary file, not text: skipped")
                            continue
                        lines.seek(0)
                        yield from stream_jsonl(str(f), lines)
                    continue
                data = f.read_bytes()
            except OSError as e:
                yield ReadIssue(str(f), f"cannot read: {e.strerror or e}")
                continue
            yield from read_bytes(str(f), data, f.suffix.lower(), file_id(file_key(p, f)))
