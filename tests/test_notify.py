"""The server under systemd (#29): ``READY=1`` once it answers, ``WATCHDOG=1`` every half ``WATCHDOG_USEC``
while the request loop answers and the workers live, and none when a worker is dead — read from a Unix
datagram socket standing where systemd's ``$NOTIFY_SOCKET`` would be."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.waits import free_port
from lukluk_pos.core import notify

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="sd_notify speaks over a Unix socket")


@pytest.fixture
def listening():
    """A datagram socket where systemd's would be (a short path: Unix socket paths stop at 108 bytes)."""
    folder = tempfile.mkdtemp(prefix="lk-", dir="/tmp")
    path = os.path.join(folder, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    yield path, sock
    sock.close()
    shutil.rmtree(folder, ignore_errors=True)


def _read(sock, seconds: float) -> list[tuple[float, str]]:
    got, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            got.append((time.monotonic(), sock.recv(4096).decode()))
        except TimeoutError:
            continue
    return got


@pytest.mark.real_clock
def test_the_server_says_ready_once_it_answers_then_pets_the_watchdog(tmp_path, sqlite_template, listening):
    path, sock = listening
    shutil.copy(sqlite_template, tmp_path / "shop.db")
    port = free_port()
    env = os.environ | {"LUKLUK_INSTANCE_PATH": str(tmp_path / "instance"), "LUKLUK_PORT": str(port),
                        "LUKLUK_DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}", "LUKLUK_PRINTER": "preview",
                        "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"}
    process = subprocess.Popen([sys.executable, "-m", "lukluk_pos.serve"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first = _read(sock, 0)
        deadline = time.monotonic() + 60
        while not first and time.monotonic() < deadline and process.poll() is None:
            first = _read(sock, 0.5)
        assert first, "no READY=1 from the server"
        ready = first[0][1].splitlines()
        assert ready[0] == "READY=1" and f"MAINPID={process.pid}" in ready
        later = [message for _at, message in _read(sock, 2.6)]
        assert later.count("WATCHDOG=1") >= 4, later  # every 0.5 s for a 1 s watchdog
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


class _Worker:
    def __init__(self, label):
        self.label, self.alive = label, True


def test_no_watchdog_while_a_worker_is_dead_and_its_name_in_the_status(app, listening):
    from lukluk_pos.serve import background_server

    path, sock = listening
    workers = [_Worker("lukluk-print-worker"), _Worker("lukluk-ksef-worker")]
    notifier = notify.Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    stop = threading.Event()
    with background_server(app) as url:
        where = urlsplit(url)
        notify.supervise(notifier, host=where.hostname, port=where.port, stop=stop,
                         alive=lambda: [w.label for w in workers if not w.alive])
        try:
            alive = [message for _at, message in _read(sock, 1.2)]
            assert alive[0].startswith("READY=1") and alive.count("WATCHDOG=1") >= 3, alive
            workers[0].alive = False  # the print worker died
            _read(sock, 0.25)  # a pet already on its way
            dead = [message for _at, message in _read(sock, 1.2)]
            assert "WATCHDOG=1" not in dead and dead, dead
            assert all("lukluk-print-worker" in message for message in dead)
            workers[0].alive = True
            _read(sock, 0.25)
            assert "WATCHDOG=1" in [message for _at, message in _read(sock, 1.0)]
        finally:
            stop.set()


def test_an_abstract_socket_and_no_socket_at_all():
    name = f"lukluk-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    try:
        assert notify.Notifier({"NOTIFY_SOCKET": "@" + name}).send("READY=1")
        assert sock.recv(100) == b"READY=1"
    finally:
        sock.close()
    quiet = notify.Notifier({})
    assert not quiet.enabled and quiet.send("READY=1") is False
    assert notify.supervise(quiet, host="127.0.0.1", port=1, alive=list, stop=threading.Event()) is None
    # The watchdog is another process's when systemd says so.
    assert notify.Notifier({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"}).watchdog_seconds \
        is None
