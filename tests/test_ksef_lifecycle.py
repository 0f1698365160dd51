"""KSeF over days, against the strict fake: sessions closed and UPOs kept, signing in again after a 401,
a lost answer's resend recognised by KSeF's 440, a session KSeF no longer knows, the offline mode KSeF
sets itself — and the document rules an inspector checks (issue #26)."""
from datetime import date, timedelta

import pytest
from lxml import etree
from sqlalchemy import select

from lukluk_pos.core.errors import DomainError
from lukluk_pos.extensions import db
from lukluk_pos.invoicing import ksef, service
from lukluk_pos.invoicing.models import Invoice, KsefSession, KsefStatus
from tests.conftest import in_app, shop_today
from tests.fake_ksef import FakeKsef
from tests.fiscal_support import use_printer
from tests.invoicing_support import PARISH, PERSON, invoice, issue, sale, settle, use_ksef, work_queue

NS = {"f": "http://crd.gov.pl/wzor/2025/06/25/13775/"}

@pytest.fixture
def fake():
    with FakeKsef() as server:
        yield server
    ksef.close_connections()


def _settle(app, clock, rounds=8, step=timedelta(minutes=6)):
    settle(app, clock, rounds, step)


def _xml(found: Invoice):
    return etree.fromstring(found.xml.encode())


def test_every_session_is_closed_when_its_queue_is_done_and_each_invoice_keeps_its_upo(app, client, sign_in, shop,
                                                                                      fake, clock):
    use_ksef(app, fake)
    sign_in("Ania")
    ids = [issue(app, shop, sale(client, f"life-upo-{n}")["id"]) for n in range(3)]
    _settle(app, clock, step=timedelta(seconds=3))
    for invoice_id in ids:
        found = invoice(app, invoice_id)
        assert found.ksef_status is KsefStatus.ACCEPTED and found.ksef_upo == fake.accepted(found.number)[0]["upo"]
        upo = etree.fromstring(found.ksef_upo)
        assert upo.findtext("{*}Dokument/{*}NumerKSeFDokumentu") == found.ksef_number
    assert fake.open_sessions() == [] and fake.closed_sessions == len(fake.sessions)
    with in_app(app):
        assert all(row.closed_at is not None and row.closed_why == "done"
                   for row in db.session.scalars(select(KsefSession)))
    sign_in("Magda", password=True)
    month = client.get(f"/invoices/month.csv?month={shop_today():%Y-%m}").get_data(as_text=True)
    assert all(invoice(app, i).ksef_upo_sha256 in month for i in ids)
    listed = client.get("/invoices").get_data(as_text=True)
    assert listed.count("UPO faktury") == 3 and "Faktury offline do wysłania dziś: 0" in listed


def test_a_session_left_open_by_a_killed_sender_is_closed_by_the_next_one(app, client, sign_in, shop, fake, clock,
                                                                          monkeypatch):
    use_ksef(app, fake)
    sign_in("Ania")
    first = issue(app, shop, sale(client, "life-left-1")["id"])
    monkeypatch.setattr(ksef, "close_sessions", lambda conn: 0)  # the sender dies before it closes
    _settle(app, clock, rounds=3, step=timedelta(seconds=3))
    assert invoice(app, first).ksef_status is KsefStatus.ACCEPTED and len(fake.open_sessions()) == 1
    monkeypatch.undo()
    ksef.close_connections()  # a new process: the session's key is gone with the old one
    work_queue(app)
    assert fake.open_sessions() == []
    with in_app(app):
        assert db.session.scalar(select(KsefSession.closed_why)) == "done"


def test_a_session_nearing_its_twelve_hours_is_not_sent_into(app, shop, fake, clock):
    use_ksef(app, fake)
    with in_app(app):
        conn = ksef.connection()
        opened = conn.session_reference()
        assert conn.session_reference() == opened
        clock.shift(timedelta(hours=11, minutes=45))  # 15 minutes left: inside the margin
        renewed = conn.session_reference()
        assert renewed != opened
        ksef.close_sessions(conn)  # the old one is closed at once, the new one once the queue is done
    assert fake.open_sessions() == []


@pytest.mark.parametrize("how", ["revoke", "withdraw"])
def test_a_401_signs_in_again_once_and_nothing_becomes_offline(app, client, sign_in, shop, fake, clock, how):
    use_ksef(app, fake)
    sign_in("Ania")
    first = issue(app, shop, sale(client, f"life-401-{how}-1")["id"])
    _settle(app, clock, rounds=2, step=timedelta(seconds=3))
    assert invoice(app, first).ksef_status is KsefStatus.ACCEPTED and fake.sign_ins == 1
    getattr(fake, how)()  # KSeF invalidates the access token (and with "withdraw", the refresh token too)
    second = issue(app, shop, sale(client, f"life-401-{how}-2")["id"])
    _settle(app, clock, rounds=3, step=timedelta(seconds=3))
    found = invoice(app, second)
    assert found.ksef_status is KsefStatus.ACCEPTED and not found.offline and found.ksef_attempts == 0
    assert fake.unauthorized >= 1
    assert (fake.refreshes, fake.sign_ins) == ((1, 1) if how == "revoke" else (0, 2))


def test_a_token_ksef_no_longer_accepts_keeps_invoices_queued_with_the_reason_not_offline(app, client, sign_in, shop,
                                                                                         fake, clock):
    use_ksef(app, fake)
    sign_in("Ania")
    issue(app, shop, sale(client, "life-tok-1")["id"])
    _settle(app, clock, rounds=2, step=timedelta(seconds=3))
    fake.token = "a-new-token-made-in-ksef"  # the old token was withdrawn in KSeF's own app
    fake.withdraw()
    second = issue(app, shop, sale(client, "life-tok-2")["id"])
    _settle(app, clock, rounds=2)
    found = invoice(app, second)
    assert found.ksef_status is KsefStatus.QUEUED and not found.offline and "tokenu" in found.ksef_error
    sign_in("Marek", password=True)
    assert "tokenu" in client.get("/invoices").get_data(as_text=True)


def test_a_429_waits_for_retry_after_and_is_not_offline(app, client, sign_in, shop, fake, clock):
    use_ksef(app, fake)
    fake.retry_after = 120
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, "life-429-1")["id"])
    fake.faults.add("throttle")
    work_queue(app)
    found = invoice(app, invoice_id)
    assert found.ksef_status is KsefStatus.QUEUED and not found.offline and "429" in found.ksef_error
    clock.shift(timedelta(seconds=60))
    work_queue(app)
    assert invoice(app, invoice_id).ksef_status is KsefStatus.QUEUED  # Retry-After not yet over
    _settle(app, clock, rounds=3, step=timedelta(seconds=61))
    assert invoice(app, invoice_id).ksef_status is KsefStatus.ACCEPTED


def test_a_lost_answer_then_a_lagging_list_then_a_resend_is_recognised_by_its_440(app, client, sign_in, shop, fake,
                                                                                 clock):
    use_ksef(app, fake)
    fake.list_lag = 1  # the session's list shows the invoice only from the second question on
    fake.page_cap = 1  # one invoice per page: the lookup follows the continuation token
    sign_in("Marek")
    done = sale(client, "life-440-1", lines=(("1", "20,00"), ("7", "5,00")))
    invoice_id = issue(app, shop, done["id"], user="Marek")
    fake.faults.add("drop")
    _settle(app, clock, step=timedelta(seconds=20))
    found = invoice(app, invoice_id)
    taken = fake.taken(found.number)
    assert [t["status"]["code"] for t in taken] == [200, 440]  # sent twice: the list lagged, KSeF said 440
    assert found.ksef_status is KsefStatus.ACCEPTED and found.ksef_number == taken[0]["ksefNumber"]
    assert found.ksef_upo == taken[0]["upo"]
    # The correction that waited for it goes with the right number.
    line = client.get(f"/api/v1/sales/by-number/{done['number']}").json["lines"][1]
    assert client.post(f"/api/v1/sales/{done['id']}/refunds", json={
        "key": "life-440-r1", "method": "cash", "reason": "Pęknięty grzbiet",
        "lines": [{"line_id": line["id"], "quantity": 1, "restock": False}]}).status_code == 201
    _settle(app, clock, step=timedelta(seconds=3))
    with in_app(app):
        correction = db.session.scalar(select(Invoice).where(Invoice.corrects_id == invoice_id))
        assert correction.ksef_status is KsefStatus.ACCEPTED
        assert f"<NrKSeFFaKorygowanej>{found.ksef_number}</NrKSeFFaKorygowanej>" in correction.xml


def test_an_invoice_too_large_for_ksef_stays_queued_with_the_reason_not_offline(app, client, sign_in, shop, fake,
                                                                               clock):
    use_ksef(app, fake)
    fake.max_invoice_bytes = 500
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, "life-413")["id"])
    _settle(app, clock, rounds=7)
    found = invoice(app, invoice_id)
    assert found.ksef_status is KsefStatus.QUEUED and not found.offline and "413" in found.ksef_error
    assert found.ksef_attempts == 7
    # Once its back-off is longer than a minute, it keeps no session open.
    assert fake.open_sessions() == []


def test_a_440_after_earlier_failures_is_still_looked_up_until_found(app, client, sign_in, shop, fake, clock):
    """Found by the model test (SQLite): an invoice that had failed to go five times (KSeF answering 500),
    then was taken with its answer lost, its session's list lagging, was resent, got a 440, and was marked
    rejected at once — its lookups were counted with the earlier failures. They are counted apart now."""
    use_ksef(app, fake)
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, "life-440-late")["id"])
    fake.faults.add("error")
    _settle(app, clock, rounds=6, step=timedelta(minutes=6))
    assert invoice(app, invoice_id).ksef_attempts >= 5
    fake.faults.discard("error")
    fake.list_lag = 3
    fake.faults.add("drop")
    _settle(app, clock, rounds=14, step=timedelta(minutes=6))
    found = invoice(app, invoice_id)
    taken = fake.taken(found.number)
    assert [t["status"]["code"] for t in taken] == [200, 440]
    assert found.ksef_status is KsefStatus.ACCEPTED and found.ksef_number == taken[0]["ksefNumber"]


def test_an_invoice_number_someone_else_sent_is_rejected_after_the_lookups(app, client, sign_in, shop, fake, clock):
    use_ksef(app, fake)
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, "life-440-other")["id"])
    number = invoice(app, invoice_id).number
    fake.by_key[(fake.nip, "VAT", number)] = {"ksefNumber": "5851234568-20261101-000000000000-00"}
    _settle(app, clock, rounds=16)
    found = invoice(app, invoice_id)
    assert found.ksef_status is KsefStatus.REJECTED and "Duplikat faktury" in found.ksef_error
    assert "ktoś inny" in found.ksef_error and len(fake.taken(number)) == 1


def test_a_session_ksef_no_longer_knows_puts_the_invoice_back_in_the_queue(app, client, sign_in, shop, fake, clock):
    use_ksef(app, fake)
    fake.faults.add("slow")
    fake.slow_polls = 50
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, "life-404-1")["id"])
    work_queue(app, rounds=2)
    assert invoice(app, invoice_id).ksef_status is KsefStatus.SENT
    fake.forget()  # the environment was switched under the till: its session is unknown there
    fake.faults.discard("slow")
    _settle(app, clock, step=timedelta(seconds=3))
    found = invoice(app, invoice_id)
    assert found.ksef_status is KsefStatus.ACCEPTED and len(found.ksef_sessions) == 2


def test_a_correction_of_a_rejected_invoice_says_so(app, client, sign_in, shop, fake, clock):
    use_ksef(app, fake)
    sign_in("Marek")
    done = sale(client, "life-kor-rej", lines=(("1", "20,00"), ("7", "5,00")))
    original_id = issue(app, shop, done["id"], user="Marek")
    fake.faults.add("reject")
    _settle(app, clock, rounds=3, step=timedelta(seconds=3))
    assert invoice(app, original_id).ksef_status is KsefStatus.REJECTED
    line = client.get(f"/api/v1/sales/by-number/{done['number']}").json["lines"][0]
    assert client.post(f"/api/v1/sales/{done['id']}/refunds", json={
        "key": "life-kor-rej-r", "method": "cash", "reason": "Plama",
        "lines": [{"line_id": line["id"], "quantity": 1, "restock": False}]}).status_code == 201
    sign_in("Magda", password=True)
    listed = client.get("/invoices").get_data(as_text=True)
    assert "którą KSeF odrzucił" in listed


@pytest.mark.now("2026-11-24T22:58:00+00:00")  # 23:58 in Sopot
def test_an_invoice_issued_before_midnight_and_sent_after_is_marked_offline_by_ksef(app, client, sign_in, shop,
                                                                                    fake, clock):
    use_ksef(app, fake)
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, "life-mode-1")["id"])
    clock.shift(timedelta(minutes=5))  # KSeF takes it on 25.11
    _settle(app, clock, step=timedelta(seconds=3))
    found = invoice(app, invoice_id)
    assert found.ksef_status is KsefStatus.ACCEPTED and found.ksef_mode == "Offline" and not found.offline
    page = client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert "KSeF przyjął ją w trybie offline" in page and f"<figcaption>{found.ksef_number}</figcaption>" in page


def test_ksef_refuses_an_invoice_dated_tomorrow_and_a_correction_of_an_unknown_number(app, client, sign_in, shop,
                                                                                     fake, clock):
    use_ksef(app, fake)
    sign_in("Ania")
    tomorrow = issue(app, shop, sale(client, "life-p1-1")["id"], today=shop_today() + timedelta(days=1))
    _settle(app, clock, rounds=3, step=timedelta(seconds=3))
    found = invoice(app, tomorrow)
    assert found.ksef_status is KsefStatus.REJECTED and "późniejsza" in found.ksef_error


# --- the documents --------------------------------------------------------------------------------

def test_a_correction_repeats_the_corrected_invoices_sale_date_and_exemption_basis(app, client, sign_in, shop, clock):
    sign_in("Marek")
    done = sale(client, "life-p6-1", lines=(("1", "20,00"), ("7", "5,00")))
    original_id = issue(app, shop, done["id"], user="Marek")
    with in_app(app):
        service.settings().exemption_basis = "art. 43 ust. 1 pkt 19 ustawy o VAT"  # changed later
        db.session.commit()
    clock.shift(timedelta(days=9))
    sign_in("Marek")
    line = client.get(f"/api/v1/sales/by-number/{done['number']}").json["lines"][1]
    assert client.post(f"/api/v1/sales/{done['id']}/refunds", json={
        "key": "life-p6-r", "method": "cash", "reason": "Zwrot",
        "lines": [{"line_id": line["id"], "quantity": 1, "restock": False}]}).status_code == 201
    original = invoice(app, original_id)
    with in_app(app):
        correction = db.session.scalar(select(Invoice).where(Invoice.corrects_id == original_id))
        db.session.expunge(correction)
    document = _xml(correction)
    assert document.findtext("f:Fa/f:P_6", namespaces=NS) == original.sale_date.isoformat()
    assert document.findtext("f:Fa/f:Adnotacje/f:Zwolnienie/f:P_19A", namespaces=NS) == original.data["exemption_basis"]
    assert "Zwrot gotówką 5.00 PLN" in document.findtext("f:Fa/f:Platnosc/f:OpisPlatnosci", namespaces=NS)
    page = client.get(f"/invoices/{correction.id}").get_data(as_text=True)
    assert f"data sprzedaży {original.sale_date:%d.%m.%Y}" in page


def test_art_113_beside_taxed_lines_is_refused_and_the_basis_field_is_the_admins(app, client, sign_in, shop):
    from lukluk_pos.catalog.models import Category

    with in_app(app):
        db.session.scalar(select(Category).where(Category.name == "Odzież damska")).vat_code = "23"
        config = service.settings()
        config.exemption_basis = "art. 113 ust. 1 ustawy o VAT"
        db.session.commit()
    sign_in("Ania")
    mixed = sale(client, "life-113-1", lines=(("1", "20,00"), ("7", "5,00")))
    with pytest.raises(DomainError) as refused:
        issue(app, shop, mixed["id"])
    assert "art. 113" in refused.value.describe()
    with in_app(app):
        config = service.settings()
        config.exemption_basis, config.exemption_field = "Art. 132 ust. 1 lit. g dyrektywy 2006/112/WE", "P_19B"
        db.session.commit()
    document = _xml(invoice(app, issue(app, shop, mixed["id"])))
    assert document.findtext("f:Fa/f:Adnotacje/f:Zwolnienie/f:P_19B", namespaces=NS).startswith("Art. 132")


def test_a_private_persons_invoice_needs_an_address_and_a_nip_must_have_fa3s_shape(app, client, sign_in, shop):
    sign_in("Ania")
    done = sale(client, "life-addr-1")
    response = client.post("/invoices/new", data={"receipt": str(done["number"]), "action": "issue",
                                                  "kind": "person", "name": "Jan Kowalski"})
    assert response.status_code == 422 and invoice_count(app) == 0
    response = client.post("/invoices/new", data=dict(PARISH, receipt=str(done["number"]), action="issue",
                                                      nip="1000000006"))
    assert response.status_code == 422 and "To nie jest prawidłowy NIP" in response.get_data(as_text=True)
    assert invoice_count(app) == 0


def invoice_count(app) -> int:
    with in_app(app):
        return db.session.scalar(select(db.func.count()).select_from(Invoice))


def test_an_fp_invoice_names_the_fiscal_receipts_own_number(app, client, sign_in, shop):
    use_printer(app, "emulator")
    sign_in("Marek")
    first = sale(client, "life-fp-1")
    line = client.get(f"/api/v1/sales/by-number/{first['number']}").json["lines"][0]
    assert client.post(f"/api/v1/sales/{first['id']}/refunds", json={
        "key": "life-fp-r", "method": "cash", "reason": "Zwrot", "buyer_name": "Jan Kowalski",
        "lines": [{"line_id": line["id"], "quantity": 1, "restock": False}]}).status_code == 201
    with_nip = sale(client, "life-fp-2", buyer_nip="5260001246")
    from lukluk_pos.fiscal.models import FiscalRegistration

    with in_app(app):
        fiscal_number = db.session.scalar(select(FiscalRegistration.receipt_number).where(
            FiscalRegistration.sale_id == with_nip["id"]))
    assert fiscal_number is not None and fiscal_number != with_nip["number"]
    found = invoice(app, issue(app, shop, with_nip["id"], user="Marek"))
    assert found.data["fiscal_receipt"]["number"] == fiscal_number
    description = _xml(found).find("f:Fa/f:DodatkowyOpis", NS)
    assert description.findtext("f:Klucz", namespaces=NS) == "Paragon fiskalny"
    assert description.findtext("f:Wartosc", namespaces=NS).startswith(f"nr {fiscal_number} z dnia")
    page = client.get(f"/invoices/{found.id}").get_data(as_text=True)
    assert f"paragonu fiskalnego nr {fiscal_number} z dnia" in page


def test_from_2027_an_invoice_to_a_business_needs_ksef(app, client, sign_in, shop):
    sign_in("Ania")
    done = sale(client, "life-2027-1")
    with pytest.raises(DomainError) as refused:
        issue(app, shop, done["id"], today=date(2027, 1, 4))
    assert "KSeF" in refused.value.describe()
    # A private person's invoice may stay outside KSeF.
    assert invoice(app, issue(app, shop, done["id"], PERSON, today=date(2027, 1, 4))).ksef_status is KsefStatus.LOCAL


@pytest.mark.now("2027-01-04T10:00:00+00:00")
def test_from_2027_the_issue_page_says_what_the_admin_must_set_up(app, client, sign_in, shop):
    sign_in("Ania")
    done = sale(client, "life-2027-2")
    response = client.post("/invoices/new", data=dict(PARISH, receipt=str(done["number"]), action="issue"))
    assert response.status_code == 422 and invoice_count(app) == 0
    assert "tylko przez KSeF" in response.get_data(as_text=True)


def test_the_offline24_deadline_skips_public_holidays():
    assert service.next_business_day(date(2026, 12, 24)) == date(2026, 12, 28)  # 25–26.12, then Sunday
    assert service.next_business_day(date(2026, 12, 31)) == date(2027, 1, 4)  # New Year, the weekend
    assert service.next_business_day(date(2027, 1, 5)) == date(2027, 1, 7)  # Epiphany, 6.01


def test_the_ksef_worker_waits_quietly_before_first_start(app, caplog):
    with in_app(app):
        assert ksef.connection() is None and ksef.process_due() == 0 and ksef.recover() == 0
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "WARNING")]


def test_buyers_abroad_get_their_eu_vat_or_foreign_tax_number_and_reach_ksef(app, client, sign_in, shop, fake,
                                                                              clock):
    use_ksef(app, fake)
    sign_in("Ania")
    first = sale(client, "life-eu-1")
    response = client.post("/invoices/new", data={
        "receipt": str(first["number"]), "action": "issue", "kind": "foreign", "country": "de",
        "tax_id": "DE 123 456 789", "name": "Ostsee Antik GmbH", "address1": "Hafenstraße 3",
        "address2": "18055 Rostock"})
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    second = sale(client, "life-eu-2")
    response = client.post("/invoices/new", data={
        "receipt": str(second["number"]), "action": "issue", "kind": "foreign", "country": "NO",
        "tax_id": "NO 974 760 673 MVA", "name": "Fjord Bruktbutikk AS", "address1": "Strandgata 1",
        "address2": "0150 Oslo"})
    assert response.status_code == 302
    refused = client.post("/invoices/new", data={
        "receipt": str(sale(client, "life-eu-3")["number"]), "action": "issue", "kind": "foreign", "country": "PL",
        "tax_id": "5260001246", "name": "X", "address1": "a", "address2": "b"})
    assert refused.status_code == 422 and "polska firma ma NIP" in refused.get_data(as_text=True)
    for country, tax_id in (("ZZ", "123"), ("D1", "123"), ("\x00\x1b", "1"), ("DE", "X" * 13), ("US", "\x00")):
        bad = client.post("/invoices/new", data={  # a country FA(3) does not know was a 500 once
            "receipt": str(sale(client, f"life-eu-bad-{country.encode().hex()}-{len(tax_id)}")["number"]),
            "action": "issue", "kind": "foreign", "country": country, "tax_id": tax_id, "name": "X",
            "address1": "a", "address2": "b"})
        assert bad.status_code == 422, (country, tax_id)
    _settle(app, clock, step=timedelta(seconds=3))
    with in_app(app):
        eu, other = db.session.scalars(select(Invoice).order_by(Invoice.id)).all()
        db.session.expunge_all()
    assert eu.ksef_status is KsefStatus.ACCEPTED and other.ksef_status is KsefStatus.ACCEPTED
    ident = _xml(eu).find("f:Podmiot2/f:DaneIdentyfikacyjne", NS)
    assert (ident.findtext("f:KodUE", namespaces=NS), ident.findtext("f:NrVatUE", namespaces=NS)) == ("DE", "123456789")
    assert _xml(eu).findtext("f:Podmiot2/f:Adres/f:KodKraju", namespaces=NS) == "DE"
    ident = _xml(other).find("f:Podmiot2/f:DaneIdentyfikacyjne", NS)
    assert (ident.findtext("f:KodKraju", namespaces=NS), ident.findtext("f:NrID", namespaces=NS)) == (
        "NO", "NO 974 760 673 MVA")
    page = client.get(f"/invoices/{eu.id}").get_data(as_text=True)
    assert "Nr VAT UE DE123456789" in page and "Ostsee Antik GmbH" in page


def test_two_tills_adding_the_same_new_buyer_at_once_both_issue(app, client, sign_in, shop):
    """Till A adds a new NIP and has not committed yet; till B adds the same NIP: B waits, then finds A's
    buyer instead of failing on the unique NIP (a 500 before)."""
    import threading

    from lukluk_pos.auth.models import User
    from lukluk_pos.invoicing.models import Buyer

    sign_in("Ania")
    sales = [sale(client, f"life-race-{n}")["id"] for n in range(2)]
    added, results = threading.Event(), {}

    def till(name, sale_id, hold):
        with app.app_context():
            try:
                person = db.session.get(User, shop["Ania"])
                buyer = service.save_buyer(**PARISH, user=person)
                if hold:
                    added.set()
                    threading.Event().wait(0.5)  # B is now waiting on A's row
                else:
                    added.wait(5)
                results[name] = service.issue(sale_id=sale_id, buyer_id=buyer.id, user=person,
                                              today=shop_today()).number
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 — the test reports it
                results[name] = exc
                db.session.rollback()
            finally:
                db.session.remove()

    first = threading.Thread(target=till, args=("A", sales[0], True))
    first.start()
    added.wait(5)
    second = threading.Thread(target=till, args=("B", sales[1], False))
    second.start()
    first.join(20)
    second.join(20)
    assert all(isinstance(v, str) for v in results.values()), results
    with in_app(app):
        assert db.session.scalar(select(db.func.count()).select_from(Buyer)) == 1


def test_an_accepted_invoice_whose_session_the_new_environment_does_not_know_says_so(app, client, sign_in, shop,
                                                                                     fake, clock, monkeypatch):
    use_ksef(app, fake)
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, "life-gone-1")["id"])
    monkeypatch.setattr(ksef, "_fetch_upo", lambda conn, invoice_id: False)  # accepted; the UPO not yet fetched
    _settle(app, clock, rounds=3, step=timedelta(seconds=3))
    monkeypatch.undo()
    assert invoice(app, invoice_id).ksef_status is KsefStatus.ACCEPTED
    fake.forget()  # the administrator switched the environment
    _settle(app, clock, rounds=2, step=timedelta(seconds=3))
    found = invoice(app, invoice_id)
    assert found.ksef_status is KsefStatus.ACCEPTED and found.ksef_upo is None and "nie zna sesji" in found.ksef_error
    sign_in("Marek", password=True)
    assert "nie zna sesji" in client.get("/invoices").get_data(as_text=True)
