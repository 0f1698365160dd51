"""Fixtures: the app on a real SQLite file and on the PostgreSQL server, clients, people, factories.

Every test that takes ``app`` runs twice, once per database. The schema comes from the migrations
(never ``create_all``), built once per session; each test gets a fresh copy (SQLite: a copy of the
migrated file; PostgreSQL: the migrated database with every table emptied).
"""
from __future__ import annotations

import os
import re
import shutil
import uuid
from contextlib import nullcontext
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import has_app_context
from sqlalchemy import create_engine, text

from config import TestConfig
from lukluk_pos import create_app
from lukluk_pos.extensions import db

PG_ADMIN_URL = os.environ.get("LUKLUK_TEST_POSTGRES", "postgresql+psycopg://root@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("LUKLUK_REQUIRE_POSTGRES") == "1"

#: The instant every test starts at; the clock ticks on from there. No test may depend on the day or the hour
#: the suite happens to run (a sale near midnight, a week that just began), so every test gets this fixed
#: moment: a Tuesday morning in Sopot. ``LUKLUK_TEST_NOW`` moves it (a year ahead, just after midnight…) to
#: prove the suite passes on any date; ``@pytest.mark.now("…")`` sets one test's own instant.
TEST_NOW = os.environ.get("LUKLUK_TEST_NOW", "2026-11-24T09:30:00+00:00")
SHOP_ZONE = ZoneInfo("Europe/Warsaw")

PINS = {"Magda": "1234", "Ania": "1111", "Marek": "2222"}
PASSWORDS = {"Magda": "tajnehaslo1", "Marek": "haslomarka1"}
#: The manager's approval a volunteer adds to a form that needs it (Marek is user 2 in the ``shop`` fixture).
MANAGER_PIN = {"manager_id": "2", "pin": PINS["Marek"]}


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"a test instant needs its UTC offset: {text!r}")
    return moment


@pytest.fixture(autouse=True)
def clock(request):
    """Every test runs at a fixed instant (see ``TEST_NOW``); ``clock.shift(...)``/``clock.move_to(...)``.
    A test marked ``real_clock`` runs on the machine's clock instead: it starts other processes (a real
    SIGKILL), which cannot share a frozen clock, so both sides must read the same one."""
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    marker = request.node.get_closest_marker("now")
    with time_machine.travel(_instant(marker.args[0] if marker else TEST_NOW), tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def audit_reads_in_words(monkeypatch):
    """Every audit event any test records must read in words on the audit log (``tests/audit_words.py``):
    the whole suite walks the actions with the values real flows give them."""
    from lukluk_pos.core import audit
    from tests.audit_words import problems

    original, found = audit.record, []

    def record(action, **kwargs):
        event = original(action, **kwargs)
        try:
            found.extend(problems(action, event.details))
        except Exception as exc:  # the check itself failed: say so, never break the action
            found.append(f"{action}: checking its words failed: {exc!r}")
        return event

    monkeypatch.setattr(audit, "record", record)
    yield
    assert not found, "audit events that do not read in words: " + "; ".join(sorted(set(found)))


def shop_today():
    """The shop's calendar date now (the tests run with the shop in Europe/Warsaw)."""
    return datetime.now(SHOP_ZONE).date()


def _config(instance, url, *, csrf: bool) -> TestConfig:
    config = TestConfig()
    config.INSTANCE_PATH = str(instance)
    config.SQLALCHEMY_DATABASE_URI = url
    config.WTF_CSRF_ENABLED = csrf
    return config


def _migrate(url: str, instance) -> None:
    from flask_migrate import upgrade

    app = create_app(_config(instance, url, csrf=False))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    _migrate(f"sqlite:///{path}", folder / "instance")
    return path


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A fresh PostgreSQL database for this run, migrated; dropped at the end."""
    name = f"lukluk_test_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 — any failure means: no server to test against
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required here but not reachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"no PostgreSQL server reachable at {PG_ADMIN_URL} ({type(exc).__name__})")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _migrate(url, tmp_path_factory.mktemp("pg-instance"))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"))]
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def database_url(backend, request, tmp_path):
    if backend == "sqlite":
        path = tmp_path / "lukluk.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def app(database_url, tmp_path, request):
    csrf = request.node.get_closest_marker("csrf") is not None
    application = create_app(_config(tmp_path / "instance", database_url, csrf=csrf))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def in_app(app):
    """The app's context: the current one if a test already holds it (one session, no self-lock)."""
    return nullcontext() if has_app_context() else app.app_context()


@pytest.fixture
def ctx(app):
    """An app context for calling services directly."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


#: The float the ``shop`` fixture opens Kasa 1 with: 200 zł (one 100 zł note, two 50s).
FLOAT_COUNTS = {"10000": 1, "5000": 2}
FLOAT_MINOR = 20000


def seed_shop(app) -> dict:
    """A set-up shop: admin Magda, manager Marek, volunteer Ania; the usual categories; one till."""
    from lukluk_pos.auth import service as auth
    from lukluk_pos.auth.models import Role
    from lukluk_pos.auth.setup import set_up_shop
    from lukluk_pos.cash import service as cash
    from lukluk_pos.till.models import Till

    with in_app(app):
        magda = set_up_shop(shop_name="LukLuk", address="ul. Morska 1, Sopot", nip="5851234568", name="Magda",
                            pin=PINS["Magda"], password=PASSWORDS["Magda"], standard_categories=True)
        marek = auth.create_user(name="Marek", role=Role.MANAGER, pin=PINS["Marek"],
                                 password=PASSWORDS["Marek"], by=magda)
        ania = auth.create_user(name="Ania", role=Role.VOLUNTEER, pin=PINS["Ania"], password=None, by=magda)
        assert str(marek.id) == MANAGER_PIN["manager_id"]
        # The till is open for the day with a counted float of 200 zł, as every morning.
        cash.open_session(db.session.scalar(db.select(Till.id)), magda, counts=FLOAT_COUNTS)
        db.session.commit()
        ids = {"Magda": magda.id, "Marek": marek.id, "Ania": ania.id}
    return ids


@pytest.fixture
def shop(app):
    """A set-up shop (``seed_shop``): the people's ids by name."""
    return seed_shop(app)


@pytest.fixture
def sign_in(client, shop):
    """Sign the test client in: ``sign_in("Ania")`` by PIN, ``sign_in("Marek", password=True)``."""

    def _sign_in(name: str, *, password: bool = False, target=None):
        target = target or client
        if password:
            response = target.post("/sign-in/manager", data={"user_id": shop[name], "password": PASSWORDS[name]})
        else:
            response = target.post(f"/sign-in/{shop[name]}", data={"pin": PINS[name], "till_id": ""})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return _sign_in


@pytest.fixture
def make_item(app, shop):
    """``make_item(price_minor=500, description=..., category="Książki", kind="unique", quantity=1)``."""
    from lukluk_pos.auth.models import User
    from lukluk_pos.catalog import service as catalog
    from lukluk_pos.catalog.models import Category, ItemKind

    def _make(price_minor=1500, description="Sukienka lniana", category="Odzież damska", kind="unique", quantity=1):
        with in_app(app):
            cat = db.session.scalar(db.select(Category).where(Category.name == category))
            item = catalog.create_item(description=description, category_id=cat.id, price=price_minor,
                                       kind=ItemKind(kind), quantity=quantity, by=db.session.get(User, shop["Magda"]))
            db.session.commit()
            return {"id": item.id, "code": item.code, "price_minor": item.price_minor}

    return _make


# --- the browser ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (its own browser download is not used)."""
    from playwright.sync_api import expect, sync_playwright

    from tests.browser import CHROMIUM_ARGS, chromium_path

    expect.set_options(timeout=10_000)  # two shared cores and PostgreSQL beside: give pages time

    executable = chromium_path()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app):
    """The app served by waitress on a free loopback port; yields its URL."""
    from lukluk_pos.serve import background_server

    with background_server(app) as url:
        yield url


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server, viewport={"width": 1024, "height": 768}, locale="pl-PL")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    # A refused request (4xx) is an expected answer the page shows; anything else logged as an error is not
    # (a request the test itself aborts, under @pytest.mark.drops_requests, is expected too).
    expected = r"Failed to load resource: the server responded with a status of 4\d\d"
    if request.node.get_closest_marker("drops_requests") is not None:
        expected += r"|Failed to load resource: net::ERR_FAILED"
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and not re.match(
        expected, msg.text) else None)
    yield tab
    context.close()
    assert not errors, f"the page reported errors: {errors}"


@pytest.fixture
def axe_check():
    """Run axe-core on the page and fail with its report on any violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def _check(tab, label=""):
        results = axe.run(tab)
        assert results.violations_count == 0, f"{label} {tab.url}\n{results.generate_report()}"

    return _check
