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
    assert set(body["checks"]) == {"database", "migrations", "print_queue", "fiscal", "backup", "offsite", "disk"}
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
    assert body["checks"]["print_queue"] == {"ok": True, "waiting": 0, "oldest_seconds": 0}
    assert first.status_code == 200  # always: the body says whether the PC is well
    # A new shop: no backup yet, and no place set off the machine — both not ok, on either database.
    assert body["ok"] is False and body["checks"]["backup"] == {"ok": False, "hours": None}
    assert body["checks"]["offsite"] == {"ok": False, "places": 0, "hours": None, "failing": 0}
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
    assert "✗ Nie ma jeszcze kopii zapasowej" in done.output
    assert "✗ Kopie poza komputerem nie są ustawione: awaria dysku zabierze wszystko." in done.output


def test_each_request_is_one_log_line_and_an_error_page_gives_its_id(app, client, shop, tmp_path):
    import logging

    from lukluk_pos.core import logs
    from lukluk_pos.core.access import Access

    handler = logs.configure(str(tmp_path), environ={})
    try:
        static = client.get("/static/app.css")
        static.close()
        assert static.status_code == 200

        def broken():
            raise RuntimeError("a bug")

        broken.access = Access.PUBLIC

        app.view_functions["core.index"] = broken
        failed = client.get("/")
        handler.flush()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert failed.status_code == 500
    page = failed.get_data(as_text=True)
    request_id = page.split("ten numer: ")[1].split(".")[0]
    assert len(request_id) == 8
    lines = (tmp_path / "logs" / "lukluk.log").read_text(encoding="utf-8").splitlines()
    assert any("GET /static/app.css 200" in line and " ms id=" in line for line in lines)
    assert any(f"Unexpected error on GET / (request {request_id})" in line for line in lines)
    assert any("GET / 500" in line and f"id={request_id}" in line for line in lines)
    assert oct((tmp_path / "logs" / "lukluk.log").stat().st_mode & 0o777) == "0o600"
