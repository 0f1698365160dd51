"""Who a process is, so another can tell later that it died: this machine's name, its PID and its start
time (Linux ``/proc``: a reused PID is not taken for it). Used by the fiscal device's turn and by the
backup's "running" status. Where the start time cannot be read (Windows) nothing is ever called dead:
only a lease running out, or an hour passing, says so there.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

HOST = socket.gethostname()[:60] or "localhost"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None where it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    if fields and fields[0] in ("Z", "X"):  # a zombie: killed and not yet reaped by its parent
        return None
    return fields[19] if len(fields) > 19 else None


def identity() -> str:
    """This process as ``host:pid:start`` (computed each time: after a fork the pid differs)."""
    return f"{HOST}:{os.getpid()}:{_start_time(os.getpid()) or '0'}"


def gone(who: str) -> bool:
    """True when the process ``who`` (``identity()``, optionally followed by ``:…``) is known to be dead:
    same machine, Linux; False when unsure."""
    host, pid, start, _rest = (str(who).split(":") + ["", "", "", ""])[:4]
    if host != HOST or not pid.isdigit() or start in ("", "0") or not Path("/proc/self/stat").exists():
        return False
    return _start_time(int(pid)) != start
