"""Database engine set-up: SQLite pragmas for a till that must not lose a sale.

SQLite runs in WAL mode with ``synchronous=FULL`` (a sale the till showed as done survives a power
cut), foreign keys on and a busy timeout. Write transactions start with ``BEGIN IMMEDIATE`` so two
tills never deadlock upgrading a read lock; safe (GET) requests start a deferred transaction so
reports never block the till. This is SQLAlchemy's documented pysqlite recipe: the DBAPI's own
transaction handling is switched off and the BEGIN is emitted in the ``begin`` event.
"""
from __future__ import annotations

import contextvars

from sqlalchemy import Engine, Index, event, text

_read_only = contextvars.ContextVar("lukluk_sqlite_read_only", default=False)


def set_read_only(value: bool) -> None:
    """Mark the current request as read-only (GET/HEAD) or writing."""
    _read_only.set(value)


#: The partial indexes, each declared once with its condition (``partial_index``).
PARTIAL_INDEXES: list[Index] = []


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index of the rows meeting ``where`` only, on both databases. The model names only SQLite's
    condition; PostgreSQL's is added when a PostgreSQL engine is configured. Naming ``postgresql_where``
    in a model makes SQLAlchemy import its PostgreSQL dialect to check the argument: about 35 ms of
    every start of the counter PC, which runs SQLite."""
    index = Index(name, *columns, unique=unique, sqlite_where=text(where))
    index.info["where"] = where
    PARTIAL_INDEXES.append(index)
    if _on_postgresql:  # a model imported after a PostgreSQL engine was configured
        _postgresql_where(index)
    return index


_on_postgresql = False


def _postgresql_where(index: Index) -> None:
    index.dialect_kwargs["postgresql_where"] = text(index.info["where"])


def configure_engine(engine: Engine) -> None:
    """Attach the SQLite pragmas and BEGIN handling; on PostgreSQL, the partial indexes' condition."""
    global _on_postgresql
    if engine.dialect.name == "postgresql":
        _on_postgresql = True
        for index in PARTIAL_INDEXES:
            _postgresql_where(index)
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

