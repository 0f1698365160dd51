"""Secrets kept in the database are sealed with a key that is not in it.

The shop's KSeF token and its offline certificate's private key live in ``invoice_settings``, and so in
every backup of the database. They are stored sealed (Fernet from ``cryptography``: AES-128-CBC with an
HMAC-SHA256) with a key kept in the instance folder, ``data.key``, made on first use and readable by the
server's user only (0600). A backup of the database holds the sealed text only; a stolen backup or a
``pg_dump`` gives no secret away. Restoring onto another computer without ``data.key`` keeps everything
but these secrets, which the admin types again (the settings page says so). The copies sent off the
machine (``offsite.py``) carry ``data.key`` inside their encrypted snapshot, so a restore from them on a
new PC (``flask restore --from``) brings the secrets back too.

Text written before sealing existed (no ``sealed:v1:`` prefix) is read as it is and sealed when written
next; migration f0b2c4d6e8a1 seals what an installation already holds.
"""
from __future__ import annotations

import logging
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from . import private

KEY_FILE = "data.key"
PREFIX = "sealed:v1:"

log = logging.getLogger(__name__)


def key_path(instance_path: str | Path | None = None) -> Path:
    return Path(instance_path or current_app.instance_path) / KEY_FILE


def _fernet(instance_path: str | Path | None = None) -> Fernet:
    return Fernet(private.key_file(key_path(instance_path), Fernet.generate_key))


def seal(text: str, instance_path: str | Path | None = None) -> str:
    """``text`` sealed for the database ("" stays "": nothing is saved)."""
    if not text or text.startswith(PREFIX):
        return text
    return PREFIX + _fernet(instance_path).encrypt(text.encode()).decode("ascii")


def unseal(stored: str | None, instance_path: str | Path | None = None) -> str:
    """The secret as typed; "" when it cannot be read with this installation's key (restored elsewhere)."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        return stored  # written before sealing: sealed when it is written next
    try:
        return _fernet(instance_path).decrypt(stored[len(PREFIX):].encode("ascii")).decode()
    except (InvalidToken, ValueError):
        log.error("A sealed secret cannot be read with %s: it was sealed by another installation's key",
                  key_path(instance_path))
        return ""


def readable(stored: str | None, instance_path: str | Path | None = None) -> bool:
    """Whether a stored secret (sealed or not) can be read here; an empty one can."""
    return not stored or not stored.startswith(PREFIX) or bool(unseal(stored, instance_path))


class Sealed(TypeDecorator):
    """A text column whose value is sealed on the way into the database and unsealed on the way out."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return seal(value) if value else value

    def process_result_value(self, value, dialect):
        return unseal(value)
