"""Database engine set-up: SQLite pragmas for a till that must not lose a sale.

SQLite runs in WAL mode with ``synchronous=FULL`` (a sale the till showed as done survives a power
cut), foreign keys on and a busy timeout. Write transactions start with ``BEGIN IMMEDIATE`` so two
tills never deadlock upgrading a read lock; safe (GET) requests start a deferred transaction so
reports never block the till. This is SQLAlchemy's documented pysqlite recipe: the DBAPI's own
transaction handling is switched off and the BEGIN is emitted in the ``begin`` event.
"""
from __future__ import annotations

import contextvars

from sqlalchemy import Engine, event

_read_only = contextvars.ContextVar("lukluk_sqlite_read_only", default=False)


def set_read_only(value: bool) -> None:
    """Mark the current request as read-only (GET/HEAD) or writing."""
    _read_only.set(value)


def configure_engine(engine: Engine) -> None:
    """Attach the SQLite pragmas and BEGIN handling; PostgreSQL needs nothing here."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN" if _read_only.get() else "BEGIN IMMEDIATE")

