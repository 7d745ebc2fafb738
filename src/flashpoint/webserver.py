"""The HTTP layer under the API (`flashpoint serve`): oversized requests get a status instead of a
reset connection, and static files are served with validators, caching headers and gzip.

- `Http11Protocol`: uvicorn's h11 protocol, whose answer to a request head over
  `h11_max_incomplete_event_size` (16 KiB) is 414 (request line too long) or 431 (header fields
  too large) instead of a bare 400, followed by a lingering close: the server half-closes and
  drops what the client is still sending, so the client reads the status instead of a TCP reset.
- `CachedStaticFiles`: Starlette's StaticFiles (ETag, Last-Modified, 304) plus Cache-Control,
  and one gzip copy per file version, compressed once in a worker thread and kept in memory, so
  a request for `app.js` neither re-compresses it on the event loop nor reads the disk again.
"""

from __future__ import annotations

import gzip
import threading

import anyio.to_thread
import h11
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope
from uvicorn.protocols.http.h11_impl import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE, H11Protocol

LINGER_S = 2.0  # how long a refused connection keeps draining what the client still sends
MAX_GZIP_BYTES = 8 * 1024 * 1024  # larger files are sent as they are
GZIP_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")


class Http11Protocol(H11Protocol):
    """uvicorn's h11 protocol with 414/431 for oversized request heads and a lingering close."""

    lingering = False

    def send_400_response(self, msg: str) -> None:
        buffered = self.conn.trailing_data[0]
        status, reason = 400, msg
        if len(buffered) > (self.config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE):
            if b"\r\n" not in buffered:
                status, reason = 414, "The request line (URL) is too long."
            else:
                status, reason = 431, "The request header fields are too large."
        body = reason.encode("ascii")
        head = h11.Response(status_code=status, reason=b"", headers=[
            (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")])
        self.transport.write(self.conn.send(head) + self.conn.send(h11.Data(data=body)) + self.conn.send(h11.EndOfMessage()))
        self.linger()

    def linger(self) -> None:
        """Half-close and read on until the client closes (or LINGER_S): closing a socket with
        unread data resets it, and the client would never see the response."""
        self.lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            return
        super().data_received(data)

    def eof_received(self) -> None:
        if self.lingering:
            self.transport.close()
            return
        super().eof_received()


def cache_control(path: str) -> str:
    # vendor files change only with `make install`; the dashboard's own files are revalidated (ETag)
    return "public, max-age=86400" if path.startswith("vendor/") else "no-cache"


class CachedStaticFiles(StaticFiles):
    """StaticFiles with Cache-Control and a gzip copy of each compressible file made once."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._gzipped: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if not isinstance(response, FileResponse) and response.status_code != 304:
            return response
        response.headers["Cache-Control"] = cache_control(path)
        if response.status_code != 200:
            return response
        if "gzip" not in Headers(scope=scope).get("accept-encoding", "") or not response.media_type.startswith(GZIP_TYPES):
            return response
        size = response.stat_result.st_size if response.stat_result else 0
        if not 1024 <= size <= MAX_GZIP_BYTES:
            return response
        key = (str(response.path), response.headers["etag"])
        body = self._gzipped.get(key)
        if body is None:
            body = await anyio.to_thread.run_sync(self._compress, key)
        headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-encoding")}
        headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return Response(body, headers=headers, media_type=response.media_type)

    def _compress(self, key: tuple[str, str]) -> bytes:
        with open(key[0], "rb") as f:
            body = gzip.compress(f.read(), compresslevel=6, mtime=0)
        with self._lock:
            # one version per file: an edited file replaces the old copy
            for old in [k for k in self._gzipped if k[0] == key[0]]:
                del self._gzipped[old]
            self._gzipped[key] = body
        return body

