"""The version running: the release's ``VERSION`` file, written by install.sh (``/opt/lukluk/releases/<v>``);
in a developer's checkout, ``git describe``; else "dev"."""
from __future__ import annotations

import functools
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def running() -> str:
    try:
        return (ROOT / "VERSION").read_text(encoding="utf-8").strip()[:64] or "dev"
    except OSError:
        pass
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                              text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return "dev"
    return done.stdout.strip()[:64] if done.returncode == 0 and done.stdout.strip() else "dev"
