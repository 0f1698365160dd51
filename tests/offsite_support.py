"""Real parts for the off-machine copies: Debian's restic, rclone's restic REST server on 127.0.0.1, and a
tmpfs mounted as the USB stick (a file system of its own, so a full stick is a real ENOSPC)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REQUIRE = os.environ.get("LUKLUK_REQUIRE_RESTIC") == "1"


def need(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        if REQUIRE:
            pytest.fail(f"{program} is required here (LUKLUK_REQUIRE_RESTIC=1) but not installed: make restic")
        pytest.skip(f"{program} is not installed (make restic installs Debian's package)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def rest_server(folder: Path):
    """``rclone serve restic`` on a free loopback port; yields the repository address restic opens."""
    program = need("rclone")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = subprocess.Popen([program, "serve", "restic", "--addr", f"127.0.0.1:{port}", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers (a 404 or 405 for the bare root is an answer)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"rest:http://127.0.0.1:{port}/", server
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def usb_stick(mount_point: Path, size: str = "64m"):
    """A tmpfs mounted at ``mount_point``: a file system of its own, as a USB stick is."""
    mount_point.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        if REQUIRE:
            pytest.fail(f"cannot mount a tmpfs as the USB stick here: {done.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs as the USB stick here (not root?): {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
