"""People who use the till and the back office, and their sign-ins."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import utcnow
from ..extensions import db


class Role(str, enum.Enum):
    VOLUNTEER = "volunteer"  #: the till only
    MANAGER = "manager"  #: the shop: stock, refunds approval, reports
    ADMIN = "admin"  #: a manager who also manages users and settings

    @property
    def rank(self) -> int:
        return {"volunteer": 1, "manager": 2, "admin": 3}[self.value]


class User(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The name shown on the till's sign-in buttons; unique so people tap the right one.
    name: Mapped[str] = mapped_column(String(60), unique=True)
    role: Mapped[Role] = mapped_column(
        db.Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    pin_hash: Mapped[str] = mapped_column(String(200))
    #: Managers and admins also have a password for the back office; volunteers have none.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role.rank >= Role.MANAGER.rank


class Throttle(db.Model):
    """Wrong PINs and passwords, counted per source: who typed them, not whose they were.

    ``key`` names the source and the secret: ``pin:USER:ADDRESS`` and ``password:USER:ADDRESS`` for the
    sign-in pages (the address the request came from), ``approval:by:USER`` for manager PINs typed into an
    approval at a volunteer's till. Past a few mistakes each further one makes that source wait longer;
    nobody's PIN is ever locked for everyone, so a stranger at the public sign-in list, or a volunteer
    guessing approval PINs, slows only themselves. A right PIN from the same source clears its count.
    """

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: The user whose secret was tried (for the admin's list and "lift the delays").
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    failures: Mapped[int] = mapped_column(default=0)
    wait_until: Mapped[datetime | None]
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignInMethod(str, enum.Enum):
    PIN = "pin"  #: the till
    PASSWORD = "password"  #: the back office


class LoginSession(db.Model):
    """A server-side sign-in: the browser's cookie holds a random token whose hash is stored here.

    Signing in creates a new row (a new session id); signing out ends it, so a copied cookie is dead.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token in the browser's cookie (the token itself is never stored).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    method: Mapped[SignInMethod] = mapped_column(
        db.Enum(SignInMethod, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    till_id: Mapped[int | None] = mapped_column(ForeignKey("till.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(db.Model):
    """A read-only key for the bookkeeper's software: ``Authorization: Bearer TOKEN``.

    Only the SHA-256 of the token is kept; the token itself is shown once, when it is made."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    #: What it may read, e.g. ``reports:read``.
    scope: Mapped[str] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
