"""A fiscal device's turn: one conversation with it at a time, across requests, threads and processes.

Two tills must never interleave two receipts on one device, and a retry must never send a receipt that
another request is still printing. The turn is a lease in the device's row (``fiscal_device``), taken
with one conditional ``UPDATE`` committed at once (with whatever the caller wrote before: a sale and its
registration) and given back the same way (with the registration's answer); on
PostgreSQL the statement row-locks the device's row, on SQLite it takes the write lock for that
statement only. No transaction stays open while the device works, so a slow printer never makes
another till's scan or sale wait for the database.

A holder that died (the server SIGKILLed mid-receipt) is recognised two ways: its process is gone from
this machine (Linux: ``/proc``, with the process's start time so a reused PID is not taken for it), or
its lease ran out (``held_until``: the conversation's deadline and a margin). What it left in flight is
then settled by the device's counters, as after any lost answer.
"""
from __future__ import annotations

import secrets
import time
from datetime import timedelta

from sqlalchemy import or_, select, update

from ..core import process
from ..core.models import utcnow
from ..extensions import db
from .models import FiscalDevice

#: How often a request waiting for the device looks again.
POLL_SECONDS = 0.05


def _holder() -> str:
    return f"{process.identity()}:{secrets.token_hex(6)}"


def _ensure_row(key: str) -> None:
    if db.session.get(FiscalDevice, key) is not None:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(FiscalDevice).values(key=key).on_conflict_do_nothing())
    db.session.commit()


def _try(key: str, me: str, hold: float) -> bool:
    now = utcnow()
    row = FiscalDevice.__table__.c
    mine = update(FiscalDevice.__table__).values(holder=me, held_until=now + timedelta(seconds=hold))
    taken = db.session.execute(mine.where(row.key == key, or_(row.holder.is_(None), row.held_until < now))).rowcount
    if not taken:
        holder = db.session.scalar(select(row.holder).where(row.key == key))
        if holder and process.gone(holder):
            taken = db.session.execute(mine.where(row.key == key, row.holder == holder)).rowcount
    db.session.commit()
    return bool(taken)


def take(key: str, *, wait: float, hold: float) -> str | None:
    """Take the device's turn, waiting up to ``wait`` seconds; returns the holder's name, or None when
    another conversation kept it all that time. The caller's transaction is committed with the first
    attempt (a sale and its registration, and the turn, in one write); nothing is held while waiting."""
    _ensure_row(key)
    me = _holder()
    deadline = time.monotonic() + wait
    while True:
        if _try(key, me, hold):
            return me
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_SECONDS)


def give_back(key: str, me: str, *, keep: bool = False) -> None:
    """Give the turn back (only if still ours: a lease that ran out may have gone to another). ``keep``:
    what the session holds is committed with it; else it is rolled back first (after a failure)."""
    if not keep:
        db.session.rollback()
    row = FiscalDevice.__table__.c
    db.session.execute(update(FiscalDevice.__table__).where(row.key == key, row.holder == me)
                       .values(holder=None, held_until=None))
    db.session.commit()
