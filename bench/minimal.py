"""The reference the benchmark compares against: the least a Flask app on SQLite can do for a sale.

One file in WAL mode with ``synchronous=FULL`` (as the shop's), three tables, and a sale that writes
its row, one line and one payment in one transaction and answers JSON. ``python -m bench.minimal
DB PORT`` serves it with waitress (the start-up reference); ``app_for(path)`` gives it to the bench's
in-process server (the sale reference, and the floor's). It is not the shop: no sign-in, no basket,
no receipt.

``orm_app_for(path)`` is the same sale written the way a Flask-SQLAlchemy app writes it (three mapped
classes, the session, a commit, the sale's id read back): not the floor's reference, but it shows how
much of the gap between the shop's completion and the reference is the ORM the design card fixes.
"""
from __future__ import annotations

import sqlite3
import sys
import threading

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey, event, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

SCHEMA = """
CREATE TABLE IF NOT EXISTS sale (id INTEGER PRIMARY KEY, number INTEGER UNIQUE, total_minor INTEGER, created_at TEXT);
CREATE TABLE IF NOT EXISTS line (id INTEGER PRIMARY KEY, sale_id INTEGER REFERENCES sale(id), code TEXT,
                                 price_minor INTEGER);
CREATE TABLE IF NOT EXISTS payment (id INTEGER PRIMARY KEY, sale_id INTEGER REFERENCES sale(id), method TEXT,
                                    amount_minor INTEGER);
"""


def app_for(path: str) -> Flask:
    app = Flask("minimal")
    local = threading.local()

    def conn() -> sqlite3.Connection:
        if not hasattr(local, "conn"):
            local.conn = sqlite3.connect(path, isolation_level=None)
            local.conn.execute("PRAGMA journal_mode=WAL")
            local.conn.execute("PRAGMA synchronous=FULL")
            local.conn.executescript(SCHEMA)
        return local.conn

    @app.get("/ping")
    def ping():
        return "ok"

    @app.post("/sale")
    def sale():
        c = conn()
        c.execute("BEGIN IMMEDIATE")
        number = c.execute("SELECT coalesce(max(number), 0) + 1 FROM sale").fetchone()[0]
        sale_id = c.execute("INSERT INTO sale (number, total_minor, created_at) VALUES (?, 1500, datetime('now'))",
                            (number,)).lastrowid
        c.execute("INSERT INTO line (sale_id, code, price_minor) VALUES (?, '2000000000015', 1500)", (sale_id,))
        c.execute("INSERT INTO payment (sale_id, method, amount_minor) VALUES (?, 'cash', 1500)", (sale_id,))
        c.execute("COMMIT")
        return jsonify(id=sale_id, number=number, total_minor=1500)

    return app


orm = SQLAlchemy()


class OrmSale(orm.Model):
    __tablename__ = "sale"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    total_minor: Mapped[int]
    lines = relationship("OrmLine")
    payments = relationship("OrmPayment")


class OrmLine(orm.Model):
    __tablename__ = "line"
    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"))
    code: Mapped[str]
    price_minor: Mapped[int]


class OrmPayment(orm.Model):
    __tablename__ = "payment"
    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"))
    method: Mapped[str]
    amount_minor: Mapped[int]


def orm_app_for(path: str) -> Flask:
    app = Flask("minimal_orm")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    orm.init_app(app)
    with app.app_context():
        @event.listens_for(orm.engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA synchronous=FULL")

        orm.create_all()

    @app.post("/sale")
    def sale():
        number = orm.session.scalar(select(func.coalesce(func.max(OrmSale.number), 0) + 1))
        row = OrmSale(number=number, total_minor=1500)
        row.lines.append(OrmLine(code="2000000000015", price_minor=1500))
        row.payments.append(OrmPayment(method="cash", amount_minor=1500))
        orm.session.add(row)
        orm.session.commit()
        return jsonify(id=row.id, number=number, total_minor=1500)

    return app


if __name__ == "__main__":
    from waitress import serve

    serve(app_for(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), threads=4)
