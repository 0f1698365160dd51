"""The audit log in words (#28, point 5): every action the code can record, with every key and every
value it can carry, reads in Polish on the log page — names, not ids; receipt numbers, not internal ones;
"Zwrot", not "Sprzedaż"; no True, no ``volunteer``, no dict. ``recorded_calls`` reads the actions from
the code, so a new ``audit.record`` without words fails here; ``conftest.audit_reads_in_words`` checks the
values every other test's real flows record."""
from __future__ import annotations

import re
from itertools import cycle

from sqlalchemy import select

from lukluk_pos.auth.models import Role, SignInMethod
from lukluk_pos.cash.models import MovementKind
from lukluk_pos.core.models import AuditEvent, FiscalMode
from lukluk_pos.extensions import db
from lukluk_pos.intake.models import Cause, Destination
from lukluk_pos.till.models import PaymentMethod
from tests.audit_words import RAW, problems, recorded_calls
from tests.conftest import MANAGER_PIN, in_app

#: Actions an older installation's log may hold that the code no longer records: named, not walked.
RETIRED = {"auth.locked", "auth.refused_locked"}

#: Every value a key with a few codes can take, from the enums and forms that produce them.
DOMAINS = {
    "role": [r.value for r in Role], "kind": [k.value for k in SignInMethod],
    "method": [m.value for m in PaymentMethod], "fiscal_mode": [m.value for m in FiscalMode],
    "destination": [d.value for d in Destination], "cause": [c.value for c in Cause],
    "scope": ["line", "basket"], "csv_dialect": ["pl", "en"], "ksef": ["off", "test", "demo", "prod"],
    "how": ["answer", "counters", "by_hand"], "mode": ["Online", "Offline"], "buyer": ["person", "5260001246"],
    "nip": ["person", "5260001246"],
}


#: Where one key holds another list of codes in one action.
ACTION_DOMAINS = {("auth.sign_in", "method"): [m.value for m in SignInMethod], ("token.create", "scope"): ["reports:read"]}


def _domain(action: str, key: str) -> list | None:
    return ACTION_DOMAINS.get((action, key)) or DOMAINS.get(key)


def _cells(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_every_action_the_code_records_has_a_name_and_every_key_a_label(app):
    from lukluk_pos.reports import audit

    calls = recorded_calls()
    assert len(calls) > 60  # the reader found the calls (it fails loudly on one it cannot read)
    with app.app_context():
        named = set(audit.action_names())
        assert {c.action for c in calls} <= named
        assert named - {c.action for c in calls} == RETIRED  # no name for an action nothing records
        for call in calls:
            missing = [k for k in call.keys if k != "changes" and k not in audit.fields()
                       and (call.action, k) not in audit.action_fields()]
            assert not missing, f"{call.where}: {call.action} records {missing} with no label"
        for call in calls:
            for key in call.keys:
                values = _domain(call.action, key) or []
                assert not [p for v in values for p in problems(call.action, {key: v})], (call.action, key)
        for mapping, enum in ((audit.role_names, Role), (audit.movement_names, MovementKind)):
            assert set(mapping()) == {member.value for member in enum}


def _sample(action: str, key: str, refs: dict, turn: dict) -> object:
    """A value of the kind the code records for ``key``; codes cycle through their whole domain."""
    if _domain(action, key):
        turn.setdefault((action, key), cycle(_domain(action, key)))
        return next(turn[(action, key)])
    samples = {
        "approved_by": refs["Marek"], "entered_by": refs["Ania"], "sale_id": refs["sale"], "category_id": refs["category"],
        "line": refs["line"], "session": refs["session"], "carried_from": refs["session"], "job": refs["job"],
        "day": "2026-11-24", "affects_day": "2026-11-20", "reported_on": "2026-11-24", "send_by": "2026-11-25",
        "accounts": {"cash": "100", "revenue": "", f"category:{refs['category']}": "702-05"},
        "rule": [4, 50, 8], "colours": ["niebieski", "zielony"], "source": f"pin:{refs['Ania']}:10.0.0.5",
        "changes": {"role": ["volunteer", "manager"], "active": [True, False], "pin": "changed",
                    "fiscal_from_first_sale": [True, False], "default_price_minor": [1000, 1250]},
    }
    if key in samples:
        return samples[key]
    if key in ("delivered", "fp", "printed", "with_value", "consumers", "token_changed", "recovered"):
        return True
    if key in ("printer", "fiscal_printer"):
        return "network:192.0.2.10:9100"
    if key in ("error", "reason", "description", "name", "category", "till", "series", "profile", "corrects",
               "reference", "ksef_number", "sha256", "found", "remembered", "code"):
        return "Tekst"
    return 1250  # amounts, counts, numbers


def test_every_action_with_every_value_reads_in_words_on_the_log(app, client, sign_in, make_item, shop):
    """The walk: one event per recorded call (codes cycling through every value they can take), all on
    the page at once, each row checked for a Python value, a code or an id where a name belongs."""
    till = app.test_client()
    sign_in("Ania", target=till)
    till.post("/api/v1/till/basket/lines", json={"code": make_item(price_minor=2000)["code"]})
    sale = till.post("/api/v1/till/basket/complete", json={"key": "audit-walk-sale", "payments": [{"method": "card"}]}).json
    line_id = till.get(f"/api/v1/sales/by-number/{sale['number']}").json["lines"][0]["id"]
    refund = till.post(f"/api/v1/sales/{sale['id']}/refunds", json={
        "key": "audit-walk-refund", "lines": [{"line_id": line_id}], "method": "card", "reason": "Nie pasuje",
        "approval": {"manager_id": int(MANAGER_PIN["manager_id"]), "pin": MANAGER_PIN["pin"]}}).json
    with in_app(app):
        from lukluk_pos.cash.models import TillSession
        from lukluk_pos.catalog.models import Category
        from lukluk_pos.printing.models import JobKind, JobStatus, PrintJob

        job = PrintJob(kind=JobKind.RECEIPT, sale_id=sale["id"], document=[], status=JobStatus.PRINTED)
        db.session.add(job)
        db.session.flush()
        refs = {**shop, "sale": sale["id"], "line": line_id, "job": job.id,
                "session": db.session.scalar(select(TillSession.id)),
                "category": db.session.scalar(select(Category.id).where(Category.name == "Książki"))}
        objects = {"sale": refund["id"], "category": refs["category"], "user": shop["Ania"]}
        turn: dict = {}
        walked = 0
        for call in recorded_calls():
            rounds = max([len(_domain(call.action, k)) for k in call.keys if _domain(call.action, k)] or [1])
            for _ in range(rounds):
                kind = call.action.split(".")[0]
                target = {"sale": "sale", "category": "category", "user": "user", "auth": "user"}.get(kind)
                db.session.add(AuditEvent(action=call.action, user_id=shop["Marek"], object_type=target or "",
                                          object_id=objects.get(target), reason="",
                                          details={k: _sample(call.action, k, refs, turn) for k in call.keys}))
                walked += 1
        db.session.commit()
    sign_in("Marek", password=True)
    rows, page = [], 1
    while True:
        html = client.get(f"/reports/audit?start=2026-11-17&end=2026-11-24&page={page}").get_data(as_text=True)
        rows += _cells(html)
        if 'rel="next"' not in html and f"page={page + 1}" not in html:
            break
        page += 1
    assert len(rows) >= walked
    free_text = ("Tekst", "network:192.0.2.10:9100", "Nie pasuje")
    for _when, _who, what, concerns, _reason, details in rows:
        shown = details
        for text in free_text:
            shown = shown.replace(text, "")
        assert not RAW.search(shown), (what, details)
        assert not re.search(r"\b(nr|no\.) \d+\b", concerns) or concerns.startswith(("Paragon", "Zwrot", "Raport")), concerns
        assert what and "." not in what, what  # an action's name, never its code
    text = " ".join(" ".join(row) for row in rows)
    assert f"Zwrot nr {refund['number']}" in text and "Kategoria „Książki”" in text
    assert f"Paragon nr {sale['number']}" in text  # the print job and the sale it printed
    codes = {str(v) for values in [*DOMAINS.values(), *ACTION_DOMAINS.values()] for v in values} - {"5260001246"}
    for *_, details in rows:
        for part in details.split(", "):
            assert part.partition(": ")[2] not in codes, part  # a code where its name belongs
    for raw in ("Pieniądze: password", "Rola: volunteer", "Paragony: exempt", "Zakres: line", "Sprzedaż nr",
                "Kategoria nr", "True", "{'"):
        assert raw not in text, raw
    for words in ("Sposób logowania: hasło", "Rola: Wolontariusz → Kierownik", "Fiskalny od pierwszej sprzedaży: tak → nie",
                  "Zakres: Jedna linia", "Przyczyna: Uszkodzone"):
        assert words in text, words
