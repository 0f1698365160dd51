"""Domain errors and how the web turns them into translated messages.

Services raise a ``DomainError``; views and the API turn it into an HTTP status and a message in
the person's language. Nothing reaches the browser as a bare 500.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """Something the person asked for cannot be done; ``message`` says why, in their language."""

    status = 409
    code = "conflict"
    message = _l("This cannot be done.")

    def __init__(self, message=None, *, field: str | None = None, **params):
        super().__init__(self.code)
        if message is not None:
            self.message = message
        self.field = field
        self.params = params

    def __str__(self) -> str:
        return f"{self.code}: {self.describe()}"

    def describe(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text

    def to_json(self) -> dict:
        body = {"error": self.code, "message": self.describe()}
        if self.field:
            body["field"] = self.field
        return body


class InvalidInput(DomainError):
    status = 422
    code = "invalid"
    message = _l("Please check what you typed.")

    def __init__(self, message=None, *, errors: dict[str, str] | None = None, **kw):
        super().__init__(message, **kw)
        self.errors = errors or {}

    def to_json(self) -> dict:
        body = super().to_json()
        if self.errors:
            body["errors"] = self.errors
        return body


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = _l("Not found.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    message = _l("You are not allowed to do this.")


class ApprovalRequired(DomainError):
    """A manager's PIN is needed (discount over the limit, refund)."""

    status = 403
    code = "approval_required"
    message = _l("A manager must approve this with their PIN.")
