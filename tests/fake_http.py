"""The HTTP side the fake devices and services share: a threaded server on 127.0.0.1 that hands each
request's method, path, query, JSON body and bearer token to ``fake.handle`` and writes back its JSON.

``handle`` answers ``(status, payload)``; ``payload`` None sends no body, a ``Raw`` sends its bytes with
its content type and headers (a document, a ``Retry-After``); status ``"drop"`` closes the connection
without an answer (the work may have been done). A body that is not JSON is answered with the fake's own
``bad_json()``. A fake with ``pass_headers = True`` also gets the request's headers (``headers=``).
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Raw:
    """An answer that is not (only) JSON: its bytes, content type and extra headers."""

    body: bytes = b""
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_port = True  # listening again on the port while accepted connections live (``refuse``)

    def handle_error(self, request, client_address):
        pass  # a client killed mid-request resets its connection: nothing to report


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake = None

    def log_message(self, *args):
        pass

    def _serve(self):
        parsed = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        auth = self.headers.get("Authorization") or ""
        bearer = auth[7:] if auth.startswith("Bearer ") else None
        if raw and body is None:
            status, payload = self.fake.bad_json()
        else:
            extra = {"headers": {k.lower(): v for k, v in self.headers.items()}} if getattr(
                self.fake, "pass_headers", False) else {}
            status, payload = self.fake.handle(self.command, parsed.path, parse_qs(parsed.query), body, bearer, **extra)
        if status == "drop":
            self.close_connection = True
            return
        raw = payload if isinstance(payload, Raw) else Raw(b"" if payload is None else json.dumps(payload).encode())
        data = raw.body
        self.send_response(status)
        for name, value in raw.headers.items():
            self.send_header(name, str(value))
        if data:
            self.send_header("Content-Type", raw.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


def listen(fake, port: int = 0) -> _Server:
    """Serve ``fake`` on 127.0.0.1 (``port`` 0: a free one) in a background thread."""
    handler = type("Handler", (_Handler,), {"fake": fake})
    for attempt in range(50):
        try:
            server = _Server(("127.0.0.1", port), handler)
            break
        except OSError:
            if attempt == 49 or not port:
                raise
            time.sleep(0.05)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def close(server: _Server | None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()


class Listening:
    """A fake's own server: ``url``, and ``refuse()`` to close it (connections refused) until ``refuse(False)``."""

    port: int | None = None
    _server: _Server | None = None
    faults: set

    def _listen(self):
        self._server = listen(self, self.port or 0)
        self.port = self._server.server_address[1]

    def _close(self):
        close(self._server)
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def refuse(self, on: bool = True):
        if on:
            self.faults.add("refuse")
            self._close()
        else:
            self.faults.discard("refuse")
            self._listen()
