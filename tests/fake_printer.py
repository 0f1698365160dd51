"""A fake ESC/POS network printer on 127.0.0.1 that accepts, refuses, hangs or drops mid-job."""
from __future__ import annotations

import socket
import threading
import time

STATUS_QUERY = b"\x10\x04\x01"
ONLINE = b"\x16"


class FakePrinter:
    """``mode``: "accept" (prints and answers status), "hang" (takes the connection, never reads),
    "drop" (reads a little, then hangs up), "refuse" (nothing listens: connection refused). ``slow``:
    seconds per byte read (a printer that takes the job at its own pace and answers a status query only
    when it has read up to it, as a real one does)."""

    def __init__(self):
        self.mode = "accept"
        self.slow = 0.0
        self.jobs: list[bytes] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._listener.listen(8)
        self._listener.settimeout(0.2)
        self._closing = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def spec(self) -> str:
        return f"network:127.0.0.1:{self.port}"

    def _serve(self):
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            if self.mode == "refuse":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()  # a reset: as good as refused for the client
            elif self.mode == "hang":
                self._held.append(conn)  # never read, never answer
            elif self.mode == "drop":
                conn.settimeout(2)
                try:
                    conn.recv(8)
                finally:
                    conn.close()
            else:
                threading.Thread(target=self._print, args=(conn,), daemon=True).start()

    def _print(self, conn: socket.socket):
        conn.settimeout(2)
        received = b""
        try:
            while True:
                chunk = conn.recv(1 if self.slow else 65536)
                if not chunk:
                    break
                if self.slow:
                    time.sleep(self.slow)
                received += chunk
                while STATUS_QUERY in received:
                    conn.sendall(ONLINE)
                    before, _, after = received.partition(STATUS_QUERY)
                    if before:
                        self.jobs.append(before)
                    received = after
        except OSError:
            pass
        finally:
            if received:
                self.jobs.append(received)
            conn.close()

    def close(self):
        self._closing.set()
        self._thread.join(2)
        self._listener.close()
        for conn in self._held:
            conn.close()
