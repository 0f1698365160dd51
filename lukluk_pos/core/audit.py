"""The audit log: one call per sensitive action, written in the same transaction as the action."""
from __future__ import annotations

from ..extensions import db
from .models import AuditEvent


def record(action: str, *, user_id: int | None, obj=None, reason: str = "", **details) -> AuditEvent:
    """Write an audit event; ``obj`` is the model instance the action concerns."""
    event = AuditEvent(
        action=action,
        user_id=user_id,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=getattr(obj, "id", None),
        reason=reason or "",
        details=details,
    )
    db.session.add(event)
    return event
