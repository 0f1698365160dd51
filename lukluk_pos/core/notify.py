"""Telling systemd how the server is (``sd_notify``), written from the documented protocol so no systemd
library or build is needed: each message is one datagram of ``KEY=value`` lines sent to the Unix socket
named by ``$NOTIFY_SOCKET`` (a path, or an abstract address written with a leading ``@``).

``READY=1`` once the server answers; ``WATCHDOG=1`` every half of ``$WATCHDOG_USEC`` while the request
loop answers and the workers are alive — nothing when they are not, so systemd restarts the service
after ``WatchdogSec``; ``STATUS=…`` says in words what is wrong. Without ``$NOTIFY_SOCKET`` (``make run``,
Windows) nothing is sent and nothing is watched.
"""
from __future__ import annotations

import http.client
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, environ: Mapping[str, str] | None = None):
        environ = os.environ if environ is None else environ
        self.address = environ.get("NOTIFY_SOCKET", "")
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        # The watchdog is ours unless systemd named another process (sd_watchdog_enabled's rule).
        ours = not pid or (pid.isdigit() and int(pid) == os.getpid())
        self.watchdog_seconds = int(usec) / 1_000_000 if usec.isdigit() and int(usec) > 0 and ours else None

    @property
    def enabled(self) -> bool:
        return bool(self.address) and hasattr(socket, "AF_UNIX")

    def send(self, *lines: str) -> bool:
        """Send one message; False (logged) if the socket is not there. Never raises: the shop's till must
        not stop because its supervisor cannot be told."""
        if not self.enabled:
            return False
        address = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto("\n".join(lines).encode("utf-8"), address)
            return True
        except OSError as exc:
            log.warning("sd_notify to %s failed: %s", self.address, exc)
            return False


def answers(host: str, port: int, *, timeout: float = 5) -> bool:
    """The request loop answers: a static file (no database, no sign-in) comes back 200."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1" if host in ("0.0.0.0", "") else host, port, timeout=timeout)
        try:
            conn.request("GET", "/static/app.css")
            response = conn.getresponse()
            response.read()
            return response.status == 200
        finally:
            conn.close()
    except OSError:
        return False


def supervise(notifier: Notifier, *, host: str, port: int, alive: Callable[[], list[str]],
              stop: threading.Event, first_wait: float = 0.05) -> threading.Thread | None:
    """Start the thread that tells systemd: READY=1 after the first answer, then WATCHDOG=1 each half
    interval while ``alive()`` names nothing dead (it returns the names of what is not alive) and the
    request loop answers. Returns None when there is no one to tell."""
    if not notifier.enabled:
        return None

    def run():
        while not stop.is_set() and not answers(host, port):
            stop.wait(first_wait)
        if stop.is_set():
            return
        notifier.send("READY=1", f"STATUS=LukLuk POS odpowiada na http://{host}:{port}/", f"MAINPID={os.getpid()}")
        if notifier.watchdog_seconds is None:
            return
        while not stop.wait(notifier.watchdog_seconds / 2):
            dead = alive()
            if not dead and answers(host, port, timeout=max(notifier.watchdog_seconds / 4, 0.5)):
                notifier.send("WATCHDOG=1")
            else:
                what = ", ".join(dead) if dead else "serwer nie odpowiada"
                notifier.send(f"STATUS=Nie działa: {what}; systemd uruchomi serwer ponownie")
                log.error("Watchdog withheld: %s", what)

    thread = threading.Thread(target=run, name="lukluk-sd-notify", daemon=True)
    thread.start()
    return thread
