"""Invoices through KSeF, against a fake KSeF 2.0 server on 127.0.0.1 spoken to by ``ksef-client``: each
invoice is accepted exactly once — through refusals, hangs, internal errors, lost answers, doubled
answers and a crash between sending and recording — and its KSeF number and QR codes reach the page."""
import io
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pypdf import PdfReader
from sqlalchemy import select

from lukluk_pos.extensions import db
from lukluk_pos.invoicing import ksef, service
from lukluk_pos.invoicing.models import Invoice, KsefStatus
from tests.conftest import in_app
from tests.fake_ksef import FakeKsef
from tests.invoicing_support import PARISH, PERSON, invoice, issue, sale, use_ksef, work_queue
from tests.invoicing_support import settle as _settle


@pytest.fixture
def fake():
    with FakeKsef() as server:
        yield server
    ksef.close_connections()


def test_an_invoice_is_accepted_once_and_its_ksef_number_and_kod_i_reach_the_page(app, client, sign_in, shop,
                                                                                  fake, clock):
    use_ksef(app, fake)
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, "ksef-ok-1")["id"])
    page = client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    # Handed over before its KSeF number is known: KOD I labelled OFFLINE (the documentation's rule).
    assert "Faktura w drodze do KSeF." in page and page.count("<svg") == 1 and "<figcaption>OFFLINE</figcaption>" in page
    _settle(app, clock, step=timedelta(seconds=3))
    found = invoice(app, invoice_id)
    assert found.ksef_status is KsefStatus.ACCEPTED and not found.offline
    assert [inv["ksefNumber"] for inv in fake.accepted(found.number)] == [found.ksef_number]
    assert fake.sends == 1 and fake.sign_ins == 1
    assert fake.taken(found.number)[0]["xml"] == found.xml.encode()  # the kept XML is what went
    page = client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert f"Numer KSeF: {found.ksef_number}" in page and page.count("<svg") == 1
    assert f"<figcaption>{found.ksef_number}</figcaption>" in page and "OFFLINE" not in page
    assert f"SHA-256 {found.ksef_upo_sha256}" in page and "Sprawdź KSeF ponownie" not in page
    assert client.get(f"/invoices/{invoice_id}/upo.xml").data == found.ksef_upo
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(
        client.get(f"/invoices/{invoice_id}.pdf").data)).pages)
    assert found.ksef_number in pdf_text and found.ksef_upo_sha256[:20] in pdf_text.replace("\n", "")
    # Its UPO is kept byte for byte, and the session was closed once the queue was done.
    assert found.ksef_upo == fake.accepted(found.number)[0]["upo"] and len(found.ksef_upo_sha256) == 64
    assert fake.open_sessions() == [] and fake.closed_sessions == 1
    # A second invoice: a new session (the first is closed), the same sign-in.
    second = issue(app, shop, sale(client, "ksef-ok-2")["id"])
    _settle(app, clock, step=timedelta(seconds=3))
    assert invoice(app, second).ksef_status is KsefStatus.ACCEPTED and fake.sign_ins == 1 and len(fake.sessions) == 2
    assert fake.open_sessions() == [] and fake.closed_sessions == 2


def _offline_certificate():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LukLuk offline")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(0x01F2E3D4C5B6A798).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=365)).sign(key, hashes.SHA256()))
    return (certificate.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode())


def test_ksef_down_makes_an_offline24_invoice_with_both_codes_sent_once_when_it_is_back(app, client, sign_in, shop,
                                                                                       fake, clock):
    use_ksef(app, fake)
    certificate, key = _offline_certificate()
    with in_app(app):
        config = service.settings()
        config.offline_certificate, config.offline_key = certificate, key
        db.session.commit()
    fake.refuse()
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, "ksef-off-1")["id"])
    _settle(app, clock, rounds=3)
    found = invoice(app, invoice_id)
    assert found.ksef_status is KsefStatus.QUEUED and found.offline and found.ksef_attempts >= 1
    assert found.send_by == service.next_business_day(found.issue_date)
    page = client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert page.count("<svg") == 2 and "OFFLINE" in page and "CERTYFIKAT" in page
    assert "trybie offline24" in page
    sign_in("Marek", password=True)
    listed = client.get("/invoices").get_data(as_text=True)
    assert "Jeszcze nie w KSeF" in listed and found.number in listed and "KSeF nie odpowiada" in listed
    fake.refuse(False)
    _settle(app, clock)
    found = invoice(app, invoice_id)
    assert found.ksef_status is KsefStatus.ACCEPTED and found.offline
    taken = fake.taken(found.number)
    assert len(taken) == 1 and taken[0]["offline"] is True


@pytest.mark.parametrize("fault", ["error", "hang", "drop", "twice"])
def test_each_fault_still_ends_with_one_accepted_invoice(app, client, sign_in, shop, fake, clock, fault):
    use_ksef(app, fake)
    app.config["KSEF_TIMEOUT"] = 0.5
    fake.hang_seconds = 1.0
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, f"ksef-{fault}-1")["id"])
    fake.faults.add(fault)
    work_queue(app)
    if fault == "error":
        assert invoice(app, invoice_id).ksef_status is KsefStatus.QUEUED
        fake.faults.discard("error")
    _settle(app, clock)
    found = invoice(app, invoice_id)
    assert found.ksef_status is KsefStatus.ACCEPTED, found.ksef_error
    assert len(fake.taken(found.number)) == 1 and len(fake.accepted(found.number)) == 1
    if fault == "drop":  # taken, answer lost: found by asking the session, never sent again
        assert fake.sends == 1
        with in_app(app):
            assert db.session.scalar(select(db.func.count()).select_from(Invoice)) == 1


def test_a_crash_between_sending_and_recording_does_not_send_twice(app, client, sign_in, shop, fake, clock,
                                                                   monkeypatch):
    use_ksef(app, fake)
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, "ksef-crash-1")["id"])
    real_send = ksef.Connection.send

    class Killed(BaseException):
        """The process dies: nothing after the send runs, no except clause catches it."""

    def send_then_die(self, xml, *, offline):
        real_send(self, xml, offline=offline)
        raise Killed()

    monkeypatch.setattr(ksef.Connection, "send", send_then_die)
    with pytest.raises(Killed):
        work_queue(app)
    monkeypatch.setattr(ksef.Connection, "send", real_send)
    with in_app(app):
        db.session.remove()
    assert invoice(app, invoice_id).ksef_status is KsefStatus.SENDING
    ksef.close_connections()  # a new process: no session, no token in memory
    with in_app(app):
        assert ksef.recover() == 1
    _settle(app, clock)
    found = invoice(app, invoice_id)
    assert found.ksef_status is KsefStatus.ACCEPTED and fake.sends == 1 and len(fake.taken(found.number)) == 1


def test_rejections_are_shown_with_their_reason(app, client, sign_in, shop, fake, clock):
    use_ksef(app, fake)
    sign_in("Ania")
    rejected = issue(app, shop, sale(client, "ksef-rej-1")["id"])
    fake.faults.add("reject")
    _settle(app, clock)
    found = invoice(app, rejected)
    assert found.ksef_status is KsefStatus.REJECTED and "P_19A" in found.ksef_error
    # Someone else (another program of the shop) already sent this number: KSeF's 440 is a rejection too.
    second = issue(app, shop, sale(client, "ksef-rej-2")["id"])
    number = invoice(app, second).number
    fake.by_key[(fake.nip, "VAT", number)] = {"ksefNumber": "5851234568-20261101-000000000000-00"}
    _settle(app, clock, rounds=14)  # none of the shop's sessions holds it: a rejection after the lookups
    found = invoice(app, second)
    assert found.ksef_status is KsefStatus.REJECTED and "Duplikat faktury" in found.ksef_error
    sign_in("Marek", password=True)
    listed = client.get("/invoices").get_data(as_text=True)
    assert "Duplikat faktury" in listed and "P_19A" in listed and "odrzucona" in listed


def test_a_wrong_token_keeps_the_invoice_queued_with_the_reason(app, client, sign_in, shop, fake, clock):
    use_ksef(app, fake)
    with in_app(app):
        service.settings().ksef_token = "not-the-token"
        db.session.commit()
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, "ksef-token-1")["id"])
    _settle(app, clock, rounds=2)
    found = invoice(app, invoice_id)
    assert found.ksef_status is KsefStatus.QUEUED and "tokenu" in found.ksef_error and not fake.invoices


def test_consumer_invoices_stay_outside_ksef_unless_the_setting_says_so(app, client, sign_in, shop, fake, clock):
    use_ksef(app, fake)
    sign_in("Ania")
    local = issue(app, shop, sale(client, "ksef-person-1")["id"], PERSON)
    _settle(app, clock, rounds=2)
    assert invoice(app, local).ksef_status is KsefStatus.LOCAL and not fake.invoices
    with in_app(app):
        service.settings().send_consumer_invoices = True
        db.session.commit()
    sent = issue(app, shop, sale(client, "ksef-person-2")["id"], PERSON)
    _settle(app, clock)
    assert invoice(app, sent).ksef_status is KsefStatus.ACCEPTED


def test_a_correction_waits_for_its_invoices_ksef_number_then_goes_with_it(app, client, sign_in, shop, fake, clock):
    use_ksef(app, fake)
    sign_in("Marek")
    done = sale(client, "ksef-kor-1", lines=(("1", "20,00"), ("7", "5,00")))
    original_id = issue(app, shop, done["id"], PARISH, user="Marek")
    line = client.get(f"/api/v1/sales/by-number/{done['number']}").json["lines"][1]
    assert client.post(f"/api/v1/sales/{done['id']}/refunds", json={
        "key": "ksef-kor-r1", "method": "cash", "reason": "Uszkodzona okładka",
        "lines": [{"line_id": line["id"], "quantity": 1, "restock": False}]}).status_code == 201
    with in_app(app):
        correction_id = db.session.scalar(select(Invoice.id).where(Invoice.corrects_id == original_id))
    waiting = invoice(app, correction_id)
    assert waiting.ksef_status is KsefStatus.WAITING and waiting.xml is None
    _settle(app, clock)
    original, correction = invoice(app, original_id), invoice(app, correction_id)
    assert original.ksef_status is KsefStatus.ACCEPTED and correction.ksef_status is KsefStatus.ACCEPTED
    assert f"<NrKSeFFaKorygowanej>{original.ksef_number}</NrKSeFFaKorygowanej>" in correction.xml
    sign_in("Magda", password=True)
    month = client.get(f"/invoices/month.csv?month={original.issue_date:%Y-%m}").get_data(as_text=True)
    assert original.ksef_number in month and correction.ksef_number in month and "-5,00" in month
