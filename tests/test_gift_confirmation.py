"""A donor who asks takes home a confirmation of the gift: printed on the receipt printer (its ESC/POS
bytes decoded here) or as an A4 page, with the value from the prices when asked, and again later."""
from sqlalchemy import select

from lukluk_pos.core.models import AuditEvent
from lukluk_pos.extensions import db
from lukluk_pos.intake.models import DonationBatch
from lukluk_pos.printing import render
from lukluk_pos.printing.models import JobKind, PrintJob
from tests.test_intake import category_id, new_batch

ITEMS = [("Odzież damska", "Sukienka lniana", "15,00"), ("Książki", "Pan Tadeusz, wyd. 1955", "8,50"),
         ("Porcelana i szkło", "Filiżanka Ćmielów", "22,00")]


def _donation(app, client):
    batch_id = new_batch(client)
    for name, description, price in ITEMS:
        response = client.post(f"/intake/batches/{batch_id}", data={
            "category_id": category_id(app, name), "condition": "good", "description": description, "price": price,
            "quantity": 1})
        assert response.status_code == 302
    return batch_id


def test_a_donor_gets_a_printed_confirmation_with_its_value_and_again_later(app, client, sign_in, shop):
    sign_in("Ania")
    batch_id = _donation(app, client)
    response = client.post(f"/intake/batches/{batch_id}/confirmation",
                           data={"donor_name": "Zofia Nowak", "with_value": "1", "target": "printer"})
    assert response.status_code == 302
    with app.app_context():
        job = db.session.scalar(select(PrintJob).where(PrintJob.kind == JobKind.GIFT))
        texts = [b["text"] for b in job.document if b["t"] == "text"]
        data = render.escpos_bytes(job.document)
        donor = db.session.get(DonationBatch, batch_id).donor
        assert donor.name == "Zofia Nowak"
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "intake.gift_confirmation"))
    assert "POTWIERDZENIE" in texts and "PRZYJĘCIA DAROWIZNY" in texts and "Darczyńca: Zofia Nowak" in texts
    assert any(t.startswith("WARTOŚĆ DAROWIZNY") and t.endswith("45,50") for t in texts)
    assert "Filiżanka Ćmielów" in texts and "ŚĆ DAROWIZNY".encode("cp852") in data
    # Later, from the donation page: the A4 page, the donor's name kept, without the value this time.
    page = client.get(f"/intake/batches/{batch_id}").get_data(as_text=True)
    assert 'value="Zofia Nowak"' in page
    response = client.post(f"/intake/batches/{batch_id}/confirmation",
                           data={"donor_name": "Zofia Nowak", "target": "page"})
    assert response.status_code == 302 and response.location.endswith(f"/intake/batches/{batch_id}/confirmation?value=0")
    a4 = client.get(response.location).get_data(as_text=True)
    assert "Potwierdzenie przyjęcia darowizny" in a4 and "Zofia Nowak" in a4 and "Pan Tadeusz, wyd. 1955" in a4
    assert "Wartość darowizny" not in a4
    with_value = client.get(f"/intake/batches/{batch_id}/confirmation?value=1").get_data(as_text=True)
    assert "Wartość darowizny: 45,50\u00a0zł" in with_value


def test_a_confirmation_needs_the_donors_name(app, client, sign_in, shop):
    sign_in("Ania")
    batch_id = _donation(app, client)
    response = client.post(f"/intake/batches/{batch_id}/confirmation", data={"donor_name": " \x1b ", "target": "page"})
    assert response.status_code == 302 and response.location.endswith(f"/intake/batches/{batch_id}#gift")
    assert "Wpisz imię i nazwisko darczyńcy do potwierdzenia." in client.get(f"/intake/batches/{batch_id}").get_data(as_text=True)
    assert client.get(f"/intake/batches/{batch_id}/confirmation").status_code == 302
    with app.app_context():
        assert db.session.get(DonationBatch, batch_id).donor is None
