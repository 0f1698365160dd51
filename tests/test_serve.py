"""The server as `make run` starts it: `python -m lukluk_pos.serve` on a migrated shop file."""
from __future__ import annotations

import gc
import http.client
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.waits import free_port
from lukluk_pos import serve
from lukluk_pos.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_start_freezes_what_start_up_built_and_leaves_the_collector_on(monkeypatch, tmp_path, sqlite_template):
    monkeypatch.setenv("LUKLUK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("LUKLUK_DATABASE_URL", f"sqlite:///{sqlite_template}")
    try:
        app = serve.start()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 50_000  # modules, mappers, routes: out of every later collection
        assert "migrate" not in app.extensions  # the server never migrates (`make run` did, before it)
        assert all(m.configured for m in db.Model.registry.mappers)  # at start-up, not by the first request
    finally:
        gc.unfreeze()
        gc.enable()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the malloc arena cap is glibc's")
def test_the_server_threads_share_two_malloc_arenas_on_glibc():
    assert serve._two_malloc_arenas() is True


def test_the_server_process_answers_the_sign_in_page_and_stops_on_sigterm(tmp_path, sqlite_template):
    shutil.copy(sqlite_template, tmp_path / "shop.db")  # the print and KSeF workers start on it too
    port = free_port()
    env = os.environ | {"LUKLUK_INSTANCE_PATH": str(tmp_path / "instance"), "LUKLUK_PORT": str(port),
                        "LUKLUK_DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}", "LUKLUK_PRINTER": "preview"}
    output = tmp_path / "serve.log"
    with output.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "lukluk_pos.serve"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/sign-in")
                response = conn.getresponse()
                status = response.status
                response.read()
                conn.close()
                break
            except OSError:
                time.sleep(0.05)
        # A shop that is not set up sends every page to the set-up form.
        assert status == 302, output.read_text()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/setup")
        response = conn.getresponse()
        assert response.status == 200 and "LukLuk" in response.read().decode()
        conn.close()
        # The page's template was compiled once and kept for the next start.
        assert list((tmp_path / "instance" / "template-cache").iterdir())
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def test_a_sqlite_server_starts_without_the_postgresql_dialect(tmp_path, sqlite_template):
    # The partial indexes name PostgreSQL's condition only when a PostgreSQL engine is configured: the
    # dialect is about 35 ms of the counter PC's start-up.
    env = os.environ | {"LUKLUK_INSTANCE_PATH": str(tmp_path / "instance"),
                        "LUKLUK_DATABASE_URL": f"sqlite:///{sqlite_template}"}
    code = "import sys; from lukluk_pos.serve import start; start(); print('sqlalchemy.dialects.postgresql' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr


def test_the_partial_indexes_carry_their_condition_on_either_database(app):
    # In a fresh process, as `flask db` or a new server builds the app (the models are imported after
    # the engine is configured).
    code = """import sys
from sqlalchemy.schema import CreateIndex
from lukluk_pos import create_app
from lukluk_pos.core.db import PARTIAL_INDEXES
from lukluk_pos.extensions import db
app = create_app(migrations=False)
with app.app_context():
    for index in PARTIAL_INDEXES:
        print(index.name, "|", " ".join(str(CreateIndex(index).compile(dialect=db.engine.dialect)).split()))
"""
    env = os.environ | {"LUKLUK_INSTANCE_PATH": app.instance_path,
                        "LUKLUK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    ddl = dict(line.split(" | ", 1) for line in done.stdout.splitlines())
    assert ddl == {
        "ix_item_in_stock": "CREATE INDEX ix_item_in_stock ON item (id) WHERE status = 'in_stock'",
        "ux_till_session_open": "CREATE UNIQUE INDEX ux_till_session_open ON till_session (till_id) WHERE status = 'open'",
        "ix_sale_open_basket": "CREATE INDEX ix_sale_open_basket ON sale (till_id) WHERE status = 'open'",
        "ix_print_job_to_compose": "CREATE INDEX ix_print_job_to_compose ON print_job (id) WHERE document IS NULL",
    }, done.stderr
