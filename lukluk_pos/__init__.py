"""LukLuk POS: the till and stock system of a charity shop."""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask

from config import Config


def create_app(config: Config | None = None, *, migrations: bool = True) -> Flask:
    """Build the app: configuration, extensions, areas, error handling and CLI commands. The server
    passes ``migrations=False``: it never migrates (``make run`` runs ``flask db upgrade`` first), and
    Alembic is a tenth of a second of its start-up."""
    config = config or Config()
    instance_path = Path(config.INSTANCE_PATH).resolve()
    app = Flask(__name__, instance_path=str(instance_path))
    app.config.from_object(config)
    from .core import private

    private.tighten(instance_path)  # 0700/0600 whatever the umask; an older installation is tightened
    database = _sqlite_file(app.config.get("SQLALCHEMY_DATABASE_URI"), instance_path)
    if database is not None:
        private.database(database)
    app.config["SECRET_KEY"] = getattr(config, "SECRET_KEY", None) or _secret_key(instance_path)
    if app.config.get("BEHIND_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    from .core import cli, web

    # Before any route is added: an id in a path is 1–10 ASCII digits within a PostgreSQL integer, so
    # "/sales/99999999999999999999" or "/sales/٣" is a 404, never an overflow in the database.
    app.url_map.converters["int"] = web.IdConverter
    from .core.db import configure_engine
    from .extensions import babel, csrf, db

    db.init_app(app)
    if migrations:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=None)
    with app.app_context():
        configure_engine(db.engine)

    from . import api, auth, cash, catalog, counter, fiscal, intake, invoicing, printing, reports, stock, till  # noqa: F401
    from .core.views import bp as core_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(till.bp)
    app.register_blueprint(printing.bp)
    app.register_blueprint(intake.bp)
    app.register_blueprint(cash.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(stock.bp)
    app.register_blueprint(fiscal.bp)
    app.register_blueprint(invoicing.bp)
    app.register_blueprint(api.bp)
    from .reports.health import bp as health_bp
    from .reports.health import doctor_command

    app.register_blueprint(health_bp)
    app.cli.add_command(doctor_command)

    _listen()
    from .auth.access import identify
    from .cash.service import restore_would_lose_the_day
    from .core.backup import refuse_restore_while
    from .till.service import restore_would_lose_a_basket

    refuse_restore_while(app, restore_would_lose_a_basket)
    refuse_restore_while(app, restore_would_lose_the_day)

    web.init_app(app, identify=identify)
    cli.init_app(app)
    from .auth.cli import tokens
    from .demo import demo_command
    from .fiscal.cli import fiscal as fiscal_cli
    from .invoicing.cli import ksef_cli
    from .printing.cli import printer

    app.cli.add_command(tokens)
    app.cli.add_command(demo_command)
    app.cli.add_command(printer)
    app.cli.add_command(fiscal_cli)
    app.cli.add_command(ksef_cli)
    return app


def _listen() -> None:
    """Connect the areas that listen to what others announce (``core.events``; the table is in
    docs/architecture.md). Connecting the same listener again (another app in the same process) changes
    nothing; the order of connection is the order they are asked."""
    from .cash import service as cash
    from .core import events
    from .fiscal import listeners as fiscal
    from .invoicing import service as invoicing
    from .printing import service as printing
    from .stock import figures
    from .till import service as till

    events.day_close_blockers.connect(fiscal.waiting_sales, weak=False)
    events.day_closing.connect(fiscal.daily_report_at_close, weak=False)
    events.day_closed.connect(printing.queue_z_report, weak=False)
    events.day_closed.connect(figures.refresh_after_close, weak=False)
    events.z_report_goes_to.connect(printing.z_report_goes_to, weak=False)
    events.category_on_fiscal_receipts.connect(fiscal.category_on_fiscal_receipts, weak=False)
    events.receipts_mode_changed.connect(till.refuse_exempt_with_flagged_goods, weak=False)
    events.invoiced_to_businesses.connect(invoicing.invoiced_to_businesses, weak=False)
    events.session_for_sale.connect(cash.session_for_sale_asked, weak=False)
    # A sale, in this order: registered on the fiscal device, else its receipt queued. Nothing real hears
    # a training sale (``events.real``).
    events.sale_completed.connect(events.real(fiscal.register_sale), weak=False)
    events.sale_completed.connect(events.real(printing.receipt_for_sale), weak=False)
    # A refund, in this order: the correcting invoice, the fiscal register's entry, else its receipt.
    events.sale_refunded.connect(events.real(invoicing.correct_refund), weak=False)
    events.sale_refunded.connect(events.real(fiscal.register_refund), weak=False)
    events.sale_refunded.connect(events.real(printing.receipt_for_refund), weak=False)


def _sqlite_file(url: str | None, instance_path: Path) -> Path | None:
    """The SQLite database file of a URL, if it is one (not PostgreSQL, not in memory); a relative path is
    relative to the instance folder, as Flask-SQLAlchemy reads it."""
    from sqlalchemy.engine import make_url

    if not url:
        return None
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:" \
            or parsed.database.startswith("file:"):
        return None
    path = Path(parsed.database)
    return (path if path.is_absolute() else instance_path / path).resolve()


def _secret_key(instance_path: Path) -> bytes:
    """The session-signing key: made once on first start and kept in the instance folder."""
    from .core import private

    return private.key_file(instance_path / "secret_key", lambda: secrets.token_hex(32).encode())
