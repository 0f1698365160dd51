"""The least a Flask app on SQLite can do for a sale, with sqlite3 and no ORM.

One file in WAL mode with ``synchronous=FULL`` (as the shop's), three tables, and a sale that writes
its row, one line and one payment in one transaction and answers JSON. ``python -m bench.minimal
DB PORT`` serves it with waitress (the start-up and memory reference); ``app_for(path)`` gives it to
the bench's in-process server, where its sale is timed beside each completion and reported for
context. It is not the shop: no sign-in, no basket, no receipt.

The completion's floor is measured against ``bench/minimal_orm.py``: the same sale on the design
card's stack (Flask-SQLAlchemy), which is what the speed issue's reference measured (see
docs/performance.md, "Which minimal sale"). It is kept apart so this module's start-up and memory stay
Flask and sqlite3 only.
"""
from __future__ import annotations

import sqlite3
import sys
import threading

from flask import Flask, jsonify

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


if __name__ == "__main__":
    from waitress import serve

    serve(app_for(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), threads=4)
