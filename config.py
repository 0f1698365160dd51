"""Configuration for LukLuk POS.

Every setting reads a ``LUKLUK_*`` environment variable with a safe default, so the counter PC needs
no configuration at all, and a shop that grows to PostgreSQL changes one variable.
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"LUKLUK_{name}")
    return value if value not in (None, "") else default


class Config:
    """Production settings; read when the app is created, not at import time."""

    TESTING = False

    def __init__(self) -> None:
        self.INSTANCE_PATH = _env("INSTANCE_PATH", str(BASE_DIR / "instance"))
        self.SQLALCHEMY_DATABASE_URI = _env(
            "DATABASE_URL", f"sqlite:///{Path(self.INSTANCE_PATH) / 'lukluk.db'}"
        )
        self.HOST = _env("HOST", "127.0.0.1")
        self.PORT = int(_env("PORT", "5000"))
        #: Largest request body accepted (bytes): forms and the till's JSON are tiny.
        self.MAX_CONTENT_LENGTH = 64 * 1024
        self.BABEL_DEFAULT_LOCALE = "pl"
        self.BABEL_DEFAULT_TIMEZONE = _env("TIMEZONE", "Europe/Warsaw")
        self.LANGUAGES = ("pl", "en")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_NAME = "lukluk_session"
        #: On shop Wi-Fi behind HTTPS: every cookie is sent only over TLS (Secure), and HTTPS answers carry
        #: HSTS. Leave off on the counter PC served over plain http://127.0.0.1.
        self.SECURE_COOKIES = (_env("SECURE_COOKIES", "0") or "").lower() in ("1", "true", "yes", "on")
        self.SESSION_COOKIE_SECURE = self.SECURE_COOKIES
        #: Behind a TLS-terminating reverse proxy (Caddy, nginx) on this machine: trust its one
        #: X-Forwarded-For/-Proto hop so the app knows the request came over HTTPS.
        self.BEHIND_PROXY = (_env("BEHIND_PROXY", "0") or "").lower() in ("1", "true", "yes", "on")
        #: Hours after which a sign-in ends on its own (a till day is long, but not endless).
        self.SIGN_IN_HOURS = int(_env("SIGN_IN_HOURS", "14"))
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the sign-in
        #: CSRF is checked by core/web.py after the sign-in and access checks, not before them.
        self.WTF_CSRF_CHECK_DEFAULT = False
        self.SQLALCHEMY_ENGINE_OPTIONS: dict = {}
        #: The stock figures the long reports read are refreshed after each close on a thread of their own
        #: (tests refresh them at once, so nothing runs after a test's database is gone).
        self.STOCK_FIGURES_IN_BACKGROUND = True
        #: Days of backups kept in instance/backups (the newest is always kept).
        self.BACKUP_KEEP_DAYS = int(_env("BACKUP_KEEP_DAYS", "30"))
        #: The receipt printer for this machine (overrides the admin's setting); see printing/devices.py.
        self.PRINTER = _env("PRINTER")
        #: The fiscal printer for this machine (overrides the admin's setting); see fiscal/device.py.
        self.FISCAL_PRINTER = _env("FISCAL_PRINTER")
        #: Seconds to wait for each answer of the fiscal printer (printing a receipt line takes time).
        self.FISCAL_TIMEOUT = float(_env("FISCAL_TIMEOUT", "10"))
        #: Seconds one whole conversation with the fiscal printer may take (a receipt, the daily report):
        #: past it the till says the printer does not answer and the sale waits "to register". A request
        #: waits at most as long for another till's conversation with the same printer to end.
        self.FISCAL_DEADLINE = float(_env("FISCAL_DEADLINE", "60"))
        #: KSeF's API address for this machine (overrides the admin's environment; a test server), the
        #: verification page KOD I/II point to with it, and the seconds to wait for each KSeF answer.
        self.KSEF_URL = _env("KSEF_URL")
        self.KSEF_QR_URL = _env("KSEF_QR_URL")
        self.KSEF_TIMEOUT = float(_env("KSEF_TIMEOUT", "20"))
        #: A TrueType font with Polish letters for the PDFs (else the system's DejaVu Sans or Arial).
        self.PDF_FONT = _env("PDF_FONT")
        #: argon2id cost; tests lower it (hashing is deliberately slow).
        self.ARGON2_TIME_COST = 3
        self.ARGON2_MEMORY_COST = 64 * 1024


class TestConfig(Config):
    """Settings for the test suite: a throwaway instance folder given by the fixtures."""

    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 8 * 1024
        self.PRINTER = None  # tests choose their printer explicitly
        self.FISCAL_PRINTER = None
        self.STOCK_FIGURES_IN_BACKGROUND = False
        self.FISCAL_TIMEOUT = 1.0
        self.FISCAL_DEADLINE = 15.0
        self.KSEF_URL = self.KSEF_QR_URL = None  # tests choose their KSeF explicitly
        self.KSEF_TIMEOUT = 1.0
