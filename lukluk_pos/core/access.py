"""Who may open which route: every view declares its level (``access``), on the ground floor so every area
can declare it; ``auth`` enforces it before each request (``auth.access.enforce_access``).

The check is default-deny: a view without a declared level answers 403 to everyone, so a new route
cannot be left open by forgetting a decorator. ``tests/test_access.py`` walks every route × role.
"""
from __future__ import annotations

import enum

from flask import current_app


class Access(enum.IntEnum):
    PUBLIC = 0  #: anyone (sign-in pages, static files, language switch)
    TILL = 1  #: anyone signed in, by PIN or password
    MANAGER = 2  #: a manager or admin signed in with their password
    ADMIN = 3  #: an admin signed in with their password
    REPORTS = 4  #: a manager's password sign-in, or an API token with the ``reports:read`` scope


def access(level: Access):
    """Declare who may open a view; enforced by ``auth.access.enforce_access`` before the view runs."""

    def decorate(view):
        view.access = level
        return view

    return decorate


def level_of(endpoint: str | None) -> Access | None:
    """The declared level of an endpoint; None means undeclared (denied)."""
    if endpoint is None:
        return Access.PUBLIC  # a 404 is answered by the 404 handler
    if endpoint == "static":
        return Access.PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)
