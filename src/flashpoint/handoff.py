"""Ingest while serving: a running `flashpoint serve` owns its store, and `flashpoint ingest` hands
it the documents it coded instead of failing on the store's lock.

DuckDB lets one process write a database file, or several read it, never both. So the server is
the one writer: while it runs it keeps a discovery file beside the store, `<db>.serve.json`
(mode 0600: its pid, URL and a random token), and takes coded batches through
`POST /api/documents` (loopback only, `Authorization: Bearer <token>`). `flashpoint ingest`
reads and codes as always; when it finds a live server in that file, `RemoteStore` asks the server
which documents are pending and sends each coded batch, which the server writes in one
transaction. Idempotence and resumption stay the store's: same checks, same batches.

The other order works too: a server started while an ingest holds the lock announces itself and
waits; the ingest sees the file after its current batch, closes the store and goes on through the
server.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .models import Actor, Claim, Count, Document, Event, Location, Span
from .store import StoreError, db_path


def server_file(db: str | os.PathLike | None) -> Path:
    p = db_path(db)
    return p.with_name(p.name + ".serve.json")


@dataclass
class Server:
    pid: int
    url: str
    token: str


def announce(db: str | os.PathLike | None, server: Server) -> Path:
    """Write the discovery file (readable by this user only: the token lets its bearer write)."""
    path = server_file(db)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(server), f)
    os.replace(tmp, path)
    return path


def withdraw(db: str | os.PathLike | None) -> None:
    """Remove the discovery file if it is this process's."""
    found = read_server_file(db)
    if found and found.pid == os.getpid():
        server_file(db).unlink(missing_ok=True)


def read_server_file(db: str | os.PathLike | None) -> Server | None:
    try:
        return Server(**json.loads(server_file(db).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def find_server(db: str | os.PathLike | None) -> Server | None:
    """The server that owns this store, if its discovery file names a live process."""
    found = read_server_file(db)
    if found is None or found.pid == os.getpid():
        return None
    try:
        os.kill(found.pid, 0)
    except ProcessLookupError:
        return None  # a server killed without cleaning up
    except PermissionError:
        pass
    return found


def is_lock_conflict(e: Exception) -> bool:
    return "lock" in str(e).lower()


def decode_batch(items: Any) -> list[tuple[Document, list[Event]]]:
    """[[document, [event, ...]], ...] as `RemoteStore.write` sends it, back to records (ValueError if malformed)."""
    try:
        return [(decode_document(d), [decode_event(e) for e in evs]) for d, evs in items]
    except (TypeError, KeyError, AttributeError) as e:
        raise ValueError(f"not a batch of [document, [event, ...]]: {type(e).__name__}: {e}") from None


def decode_document(d: dict[str, Any]) -> Document:
    return Document(**{**d, "date": date.fromisoformat(d["date"]) if d.get("date") else None})


def decode_event(e: dict[str, Any]) -> Event:
    def one(cls: type, v: Any) -> Any:
        return cls(**v) if v is not None else None

    return Event(**{
        **e, "actor": [Actor(**a) for a in e["actor"]], "recipient": [Actor(**a) for a in e["recipient"]],
        "location": one(Location, e.get("location")), "fatalities": one(Count, e.get("fatalities")),
        "injuries": one(Count, e.get("injuries")), "claims": [decode_claim(c) for c in e["claims"]],
        "evidence": [Span(**s) for s in e["evidence"]], "trigger": one(Span, e.get("trigger")),
    })


def decode_claim(c: dict[str, Any]) -> Claim:
    if "victims" in c:  # a casualty claim (facts.py); imported only then: it needs spaCy
        from .facts import FactClaim

        return FactClaim(**c)
    return Claim(**c)


def to_json(o: Any) -> Any:
    if isinstance(o, date):
        return o.isoformat()
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


class RemoteStore:
    """The part of `Store` that ingest uses (pending, write), done by the server that owns the store."""

    def __init__(self, db: str | os.PathLike | None, server: Server, timeout: float = 600.0):
        self.path, self.server, self.timeout = db_path(db), server, timeout

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def fuse(self) -> None:
        """The server fuses what it writes (api.py)."""

    def wait_ready(self, timeout: float = 120.0) -> RemoteStore:
        """Wait until the server answers (it may still be waiting for the store's lock)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.server.url + "/api/health", timeout=5) as r:
                    if json.load(r).get("writable"):
                        return self
                    raise StoreError(f"{self.path}: the server at {self.server.url} serves it read-only; stop it to ingest")
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    raise StoreError(f"{self.path}: the server that owns it ({self.server.url}, pid {self.server.pid}) does not answer") from None
                time.sleep(0.3)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(
            self.server.url + path, data=json.dumps(body, default=to_json, ensure_ascii=False).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.server.token}"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")[:500]
            raise StoreError(f"{self.path}: the server that owns it ({self.server.url}) refused the batch: {e.code} {detail}") from None
        except (OSError, ValueError) as e:
            raise StoreError(f"{self.path}: the server that owns it ({self.server.url}) did not take the batch: {e}") from None

    def pending(self, docs: list[Document], coder_version: str) -> list[Document]:
        todo = set(self.post("/api/documents/pending", {
            "coder_version": coder_version, "documents": [[d.id, d.content_hash] for d in docs]})["pending"])
        return [d for d in docs if d.id in todo]

    def write(self, batch: Any, coder_version: str) -> int:
        docs: list[tuple[Document, list[Event]]] = list(batch)
        return self.post("/api/documents", {
            "coder_version": coder_version, "documents": [[asdict(d), [e.to_dict() for e in evs]] for d, evs in docs]})["events"]
