"""What the audit log's words must cover, read from the code itself: every ``audit.record`` call's action
and detail keys (``recorded_calls``), and a check that one recorded event reads in words
(``problems``), used by the walk in ``test_audit_words.py`` and, for every event the whole suite
records, by the autouse fixture in ``conftest.py``."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lukluk_pos"

#: Values that read as Python or as a programmer's code, never as words.
RAW = re.compile(r"\b(True|False|None)\b|[{}\[\]]|'\w+':|\b\d{4}-\d{2}-\d{2}\b|\w+_\w+")


@dataclass(frozen=True)
class Call:
    action: str
    keys: tuple[str, ...]
    where: str


def recorded_calls() -> list[Call]:
    """Every ``audit.record(...)`` in the package, with its action (an f-string ``cash.{kind.value}``
    stands for each movement kind) and the detail keys it passes."""
    from lukluk_pos.cash.models import MovementKind

    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                continue
            first = node.args[0]
            keys = tuple(k.arg for k in node.keywords if k.arg not in ("user_id", "obj", "reason"))
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            if isinstance(first, ast.Constant):
                calls.append(Call(first.value, keys, where))
            elif isinstance(first, ast.JoinedStr) and ast.unparse(first) == "f'cash.{kind.value}'":
                calls += [Call(f"cash.{kind.value}", keys, where) for kind in MovementKind]
            else:
                raise AssertionError(f"{where}: an audit action the walk cannot read: {ast.unparse(first)}")
    return calls


def problems(action: str, details: dict) -> list[str]:
    """What in one event would not read as words: an action, key, change or value with no entry in the
    table, or a value shown as the code holds it. Needs an app context (the names are translated)."""
    from flask_babel import force_locale

    from lukluk_pos.reports import audit

    found = []
    with force_locale("pl"):
        if action not in audit.action_names():
            found.append(f"action {action!r} has no name")
        table, special, changed, choices = audit.fields(), audit.action_fields(), audit.change_fields(), audit._choices()
        for key, value in (details or {}).items():
            if key == "changes":
                for field, change in (value or {}).items():
                    if field not in changed:
                        found.append(f"{action}: change of {field!r} has no label")
                    elif field == "role":
                        found += [f"{action}: role {v!r} has no name" for v in change if v not in audit.role_names()]
                continue
            if (action, key) not in special and key not in table:
                found.append(f"{action}: detail {key!r} has no label")
                continue
            label, show = special.get((action, key)) or table[key]
            codes = getattr(show, "codes", None)
            if codes and value not in (None, "") and str(value) not in choices[codes]():
                found.append(f"{action}: {key}={value!r} has no name")
        names = audit.Names([], {})
        for key, value in (details or {}).items():
            if key in ("changes", "accounts") or value is None or value == "" or (action, key) not in special and key not in table:
                continue
            label, show = special.get((action, key)) or table[key]
            shown = show(value, names)
            if key not in {"printer", "fiscal_printer", "profile", "error", "reference", "ksef_number", "sha256",
                           "number", "corrects", "series", "code", "found", "remembered", "session", "description",
                           "name", "category", "till", "colours", "folder", "repository", "copy", "previous"} and RAW.search(shown):
                found.append(f"{action}: {key}={value!r} reads {shown!r}")
    return found
