"""#29: ``GET /health`` (no sign-in, figures only) and ``flask doctor`` (the same in Polish, with what to
do), on a shop that is well and on one that is not."""
from __future__ import annotations

import json
from datetime import timedelta

from lukluk_pos.core.models import utcnow
from lukluk_pos.extensions import db
from lukluk_pos.printing.models import JobKind, JobStatus, PrintJob
from tests.conftest import in_app


def test_health_answers_without_a_sign_in_and_names_what_is_wrong(app, client, shop, backend):
    first = client.get("/health")
    body = first.get_json()
    assert set(body["checks"]) == {"database", "migrations", "print_queue", "fiscal", "backup", "disk"}
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
    assert body["checks"]["print_queue"] == {"ok": True, "waiting": 0, "oldest_seconds": 0}
    if backend == "sqlite":  # no backup yet on a new shop: not ok, so 503 (PostgreSQL's are pg_dump's)
        assert first.status_code == 503 and body["checks"]["backup"] == {"ok": False, "hours": None}
    else:
        assert first.status_code == 200 and body["ok"] is True
    text = json.dumps(body)
    for private in ("Magda", "Marek", "Ania", "LukLuk", "Morska", "5851234568"):
        assert private not in text
    with in_app(app):
        db.session.add(PrintJob(kind=JobKind.RECEIPT, status=JobStatus.PENDING, document=[],
                                created_at=utcnow() - timedelta(minutes=25)))
        db.session.commit()
    late = client.get("/health").get_json()["checks"]["print_queue"]
    assert late["ok"] is False and late["waiting"] == 1 and late["oldest_seconds"] >= 25 * 60


def test_doctor_says_each_check_in_polish_with_what_to_do(app, shop):
    with in_app(app):
        db.session.add(PrintJob(kind=JobKind.RECEIPT, status=JobStatus.FAILED, document=[],
                                created_at=utcnow() - timedelta(minutes=40)))
        db.session.commit()
    done = app.test_cli_runner().invoke(args=["doctor"])
    assert done.exit_code == 1, done.output
    assert "✓ Baza danych odpowiada." in done.output
    assert "✗ Kolejka wydruków stoi od 40 min (1 czeka): sprawdź papier, kabel i zasilanie drukarki" in done.output
    assert "✗ Nie ma jeszcze kopii zapasowej" in done.output or "✓ Kopie: pg_dump" in done.output
