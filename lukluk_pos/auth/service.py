"""Sign-in, PINs and passwords, lockout, and user management."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from ..core import audit
from ..core.errors import DomainError, InvalidInput, NotFound
from ..core.models import utcnow
from ..extensions import db
from .models import ApiToken, LoginSession, Role, SignInMethod, Throttle, User

#: Mistakes from one source that cost nothing (people mistype); each further one doubles that source's
#: wait, from WAIT_SECONDS up to MAX_WAIT_SECONDS. A 4-digit PIN then takes a source months to guess.
FREE_MISTAKES = 4
WAIT_SECONDS = 30
MAX_WAIT_SECONDS = 15 * 60
#: A source's count is forgotten a day after its last mistake.
FORGET_AFTER = timedelta(days=1)
PIN_RE = re.compile(r"^[0-9]{4,6}$")
MIN_PASSWORD = 8


class WrongCredentials(DomainError):
    status = 401
    code = "wrong_credentials"
    message = _l("Wrong PIN or password.")


class WrongApprovalPin(DomainError):
    """A manager's PIN typed into an approval was wrong. The person at the till stays signed in, so
    this is not a 401: the till keeps its basket and asks again."""

    status = 403
    code = "wrong_pin"
    message = _l("Wrong PIN.")


class AccountLocked(DomainError):
    """This source typed too many wrong PINs or passwords: it waits (the person whose PIN it is does not)."""

    status = 423
    code = "locked"
    message = _l("Too many wrong attempts from here. Try again in %(seconds)d s or ask a manager.")


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


def hash_secret(secret: str) -> str:
    """argon2id hash of a PIN or password."""
    return _hasher().hash(secret)


def check_pin_format(pin: str) -> str:
    """A PIN is 4 to 6 digits."""
    if not isinstance(pin, str) or not PIN_RE.match(pin):
        raise InvalidInput(_l("The PIN must be 4 to 6 digits."), field="pin")
    return pin


def check_password_format(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD or len(password) > 200:
        raise InvalidInput(_l("The password must be 8 to 200 characters."), field="password")
    return password


def source() -> str:
    """Where the attempt comes from: the address of the request (behind the shop's proxy, the client's)."""
    if has_request_context():
        return (request.remote_addr or "-")[:64]
    return "local"


def verify(user: User, secret: str, *, kind: SignInMethod, throttle_key: str | None = None) -> None:
    """Check a PIN or password, counting mistakes against the source that made them (``Throttle``): past
    FREE_MISTAKES each one makes that source wait twice as long. Every failure is logged.

    A failure is committed at once, before the error is raised: the request that carried the wrong
    PIN rolls back, but the attempt must still count.
    """
    if not isinstance(secret, str) or not secret.strip():  # nothing typed is not a wrong guess
        raise InvalidInput(_l("Type your PIN.") if kind is SignInMethod.PIN else _l("Type your password."),
                           field="pin" if kind is SignInMethod.PIN else "password")
    now = utcnow()
    key = (throttle_key or f"{kind.value}:{user.id}:{source()}")[:200]
    throttle = db.session.get(Throttle, key)
    if throttle is not None and throttle.last_failure_at < now - FORGET_AFTER:
        throttle.failures, throttle.wait_until = 0, None
    if throttle is not None and throttle.wait_until and throttle.wait_until > now:
        seconds = int((throttle.wait_until - now).total_seconds()) + 1
        audit.record("auth.refused_waiting", user_id=user.id, obj=user, kind=kind.value, source=key)
        db.session.commit()
        raise AccountLocked(seconds=seconds)
    stored = user.pin_hash if kind is SignInMethod.PIN else user.password_hash
    ok = False
    if stored and len(secret) <= 200:
        try:
            ok = _hasher().verify(stored, secret)
        except (VerificationError, InvalidHashError):
            ok = False
    if ok:
        if throttle is not None:
            db.session.delete(throttle)
        return
    if throttle is None:
        throttle = Throttle(key=key, user_id=user.id, failures=0)
        db.session.add(throttle)
    throttle.failures += 1
    throttle.last_failure_at = now
    audit.record("auth.failed", user_id=user.id, obj=user, kind=kind.value, attempt=throttle.failures, source=key)
    waiting = 0
    if throttle.failures > FREE_MISTAKES:
        waiting = min(WAIT_SECONDS * 2 ** (throttle.failures - FREE_MISTAKES - 1), MAX_WAIT_SECONDS)
        throttle.wait_until = now + timedelta(seconds=waiting)
        audit.record("auth.delayed", user_id=user.id, obj=user, seconds=waiting, kind=kind.value, source=key)
    db.session.commit()
    if waiting:
        raise AccountLocked(seconds=waiting)
    raise WrongCredentials(_l("Wrong PIN.") if kind is SignInMethod.PIN else _l("Wrong password."))


def delays() -> dict[int, datetime]:
    """The people whose PIN or password some source is now made to wait for, with the latest wait's end."""
    now = utcnow()
    query = select(Throttle.user_id, func.max(Throttle.wait_until)).where(Throttle.wait_until > now) \
        .group_by(Throttle.user_id)
    return {user_id: until for user_id, until in db.session.execute(query) if user_id is not None}


def active_user(user_id) -> User:
    """An active user by id, or NotFound."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        raise NotFound(_l("Unknown person."))
    return user


def till_users() -> list[User]:
    """Everyone who may sign in at the till, by name."""
    return list(db.session.scalars(select(User).where(User.active).order_by(User.name)))


def managers() -> list[User]:
    """Active managers and admins (who can approve with their PIN)."""
    return [u for u in till_users() if u.is_manager]


def approve(manager_id, pin) -> User:
    """A manager's PIN approval for a sensitive till action; returns the approving manager."""
    try:
        manager = active_user(int(manager_id))
    except (TypeError, ValueError):
        raise InvalidInput(_l("Choose the approving manager."), field="manager_id") from None
    if not manager.is_manager:
        raise InvalidInput(_l("Choose the approving manager."), field="manager_id")
    # Counted against the person asking at the till (their sign-in), never against the manager's PIN.
    login = g.get("login") if has_request_context() else None
    asking = f"approval:by:{login.user_id}" if login is not None else f"approval:by:{source()}"
    try:
        verify(manager, str(pin or ""), kind=SignInMethod.PIN, throttle_key=asking)  # nothing typed: not counted
    except WrongCredentials:
        raise WrongApprovalPin(field="pin") from None
    return manager


def sign_in(user: User, secret: str, *, method: SignInMethod, till_id: int | None) -> str:
    """Check the PIN or password and start a new server-side sign-in; returns the cookie token."""
    if method is SignInMethod.PASSWORD and not user.is_manager:
        raise WrongCredentials()
    verify(user, secret, kind=method)
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(token_hash=_digest(token), user_id=user.id, method=method, till_id=till_id))
    audit.record("auth.sign_in", user_id=user.id, obj=user, method=method.value)
    return token


def sign_out(login: LoginSession) -> None:
    """End a sign-in for good: its cookie no longer opens anything."""
    login.ended_at = utcnow()
    audit.record("auth.sign_out", user_id=login.user_id, obj=login.user)


def load_login(token: str | None) -> LoginSession | None:
    """The live sign-in behind a cookie token, or None (ended, expired, or the user deactivated)."""
    if not token or not isinstance(token, str):
        return None
    since = utcnow() - timedelta(hours=current_app.config["SIGN_IN_HOURS"])
    login = db.session.scalar(
        select(LoginSession).where(
            LoginSession.token_hash == _digest(token),
            LoginSession.ended_at.is_(None),
            LoginSession.created_at > since,
        )
    )
    if login is None or not login.user.active:
        return None
    return login


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_name(name: str, *, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidInput(_l("The name must be 1 to 60 characters."), field="name")
    clash = db.session.scalar(select(User).where(db.func.lower(User.name) == name.lower()))
    if clash is not None and clash.id != exclude_id:
        raise InvalidInput(_l("Someone already has this name."), field="name")
    return name


def create_user(*, name: str, role: Role, pin: str, password: str | None, by: User | None) -> User:
    """Add a person; managers and admins need a password for the back office."""
    name = _check_name(name)
    check_pin_format(pin)
    if role.rank >= Role.MANAGER.rank:
        check_password_format(password or "")
    user = User(
        name=name, role=role, pin_hash=hash_secret(pin),
        password_hash=hash_secret(password) if role.rank >= Role.MANAGER.rank else None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user_id=by.id if by else user.id, obj=user, role=role.value)
    return user


def update_user(user: User, *, by: User, name: str, role: Role, active: bool,
                pin: str | None, password: str | None) -> None:
    """Change a person's name, role, PIN or password; every change is audited."""
    name = _check_name(name, exclude_id=user.id)
    if user.id == by.id and (role is not Role.ADMIN or not active):
        raise InvalidInput(_l("You cannot remove your own admin rights."), field="role")
    if pin:
        check_pin_format(pin)
    if role.rank >= Role.MANAGER.rank and not user.password_hash and not password:
        raise InvalidInput(_l("A manager needs a password."), field="password")
    if password:
        check_password_format(password)
    changes = {}
    if name != user.name:
        changes["name"] = [user.name, name]
        user.name = name
    if role is not user.role:
        changes["role"] = [user.role.value, role.value]
        user.role = role
    if active != user.active:
        changes["active"] = [user.active, active]
        user.active = active
    if pin:
        user.pin_hash = hash_secret(pin)
        changes["pin"] = "changed"
    if password:
        user.password_hash = hash_secret(password)
        changes["password"] = "changed"
    if role is Role.VOLUNTEER and user.password_hash:
        user.password_hash = None
        changes["password"] = "removed"
    if changes:
        audit.record("user.update", user_id=by.id, obj=user, changes=changes)
    if not active or "pin" in changes or "password" in changes or "role" in changes:
        _end_sign_ins(user)


def unlock(user: User, *, by: User) -> None:
    """Lift every source's wait for this person's PIN and password (an admin's decision, audited)."""
    db.session.execute(delete(Throttle).where(Throttle.user_id == user.id))
    audit.record("user.unlock", user_id=by.id, obj=user)


def _end_sign_ins(user: User) -> None:
    for login in db.session.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    ):
        login.ended_at = utcnow()


#: What a token may be made for.
TOKEN_SCOPES = ("reports:read",)


def create_token(name: str, scope: str) -> tuple[ApiToken, str]:
    """A new API token; returns the record and the token (shown once, never stored)."""
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidInput(_l("The name must be 1 to 60 characters."), field="name")
    if scope not in TOKEN_SCOPES:
        raise InvalidInput(_l("Unknown scope."), field="scope")
    token = "lk_" + secrets.token_urlsafe(32)
    record = ApiToken(name=name, scope=scope, token_hash=_digest(token))
    db.session.add(record)
    db.session.flush()
    audit.record("token.create", user_id=None, obj=record, name=name, scope=scope)
    return record, token


def tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(token_id: int) -> ApiToken:
    record = db.session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(_l("Unknown token."))
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        audit.record("token.revoke", user_id=None, obj=record, name=record.name)
    return record


def load_token(header: str | None) -> ApiToken | None:
    """The live token behind an ``Authorization: Bearer …`` header, or None."""
    if not header or not header.startswith("Bearer "):
        return None
    token = header[7:].strip()
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token),
                                                    ApiToken.revoked_at.is_(None)))
