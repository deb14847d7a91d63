"""A stand-in for the Hugging Face Hub on 127.0.0.1: the resolve endpoint with HEAD, GET and Range,
plus the faults a real network has (a cut connection, a corrupt body, a gated repo, a slow line)."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Served:
    method: str
    path: str
    range: str | None
    auth: str | None
    body_bytes: int = 0


@dataclass
class FakeHub:
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    gated: dict[str, str] = field(default_factory=dict)
    """repo id → the token that opens it."""
    cut_after: int | None = None
    """Close the connection after this many body bytes, once."""
    corrupt: bool = False
    claimed_size: int | None = None
    """Announce this size instead of the real one (a model too big for the disk)."""
    delay_per_chunk: float = 0.0
    requests: list[Served] = field(default_factory=list)

    def add(self, repo_id: str, filename: str, data: bytes) -> str:
        self.files[(repo_id, filename)] = data
        return hashlib.sha256(data).hexdigest()

    def start(self) -> str:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve(body=False)

            def do_GET(self) -> None:  # noqa: N802
                try:
                    self._serve(body=True)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up (a cancelled download)

            def _error(self, status: int, code: str) -> None:
                self.send_response(status)
                self.send_header("X-Error-Code", code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _serve(self, body: bool) -> None:
                served = Served(self.command, self.path, self.headers.get("Range"), self.headers.get("Authorization"))
                hub.requests.append(served)
                parts = unquote(self.path.split("?")[0]).strip("/").split("/")
                if parts and parts[0] == "datasets":  # a dataset repo: /datasets/OWNER/NAME/resolve/REV/FILE
                    parts = parts[1:]
                if len(parts) < 5 or parts[2] != "resolve":
                    return self._error(404, "RepoNotFound")
                repo_id, filename = "/".join(parts[:2]), "/".join(parts[4:])
                if not any(r == repo_id for r, _ in hub.files):
                    return self._error(404, "RepoNotFound")
                if repo_id in hub.gated and served.auth != f"Bearer {hub.gated[repo_id]}":
                    return self._error(403, "GatedRepo")
                data = hub.files.get((repo_id, filename))
                if data is None:
                    return self._error(404, "EntryNotFound")
                etag = hashlib.sha256(data).hexdigest()
                if hub.corrupt:
                    data = bytes([data[0] ^ 0xFF]) + data[1:]
                start = 0
                if served.range and served.range.startswith("bytes="):
                    start = int(served.range[6:].split("-")[0])
                size = hub.claimed_size or len(data)
                self.send_response(206 if start else 200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{etag}"')
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(size - start))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
                self.end_headers()
                if not body:
                    return
                chunk = 64 * 1024
                for offset in range(start, len(data), chunk):
                    piece = data[offset:offset + chunk]
                    if hub.cut_after is not None and served.body_bytes + len(piece) > hub.cut_after:
                        piece = piece[: hub.cut_after - served.body_bytes]
                        self.wfile.write(piece)
                        served.body_bytes += len(piece)
                        hub.cut_after = None  # once
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    self.wfile.write(piece)
                    served.body_bytes += len(piece)
                    if hub.delay_per_chunk:
                        time.sleep(hub.delay_per_chunk)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def gets(self) -> list[Served]:
        return [r for r in self.requests if r.method == "GET"]
