"""Personal data by need (#27 point 4): an invoice (a private buyer's name and address) and a gift
confirmation (the donor's name and address) are for managers, and for the volunteer who made them during
that sign-in; anyone else trying ids gets a 404 (invoices) or is told to ask a manager (confirmations)."""
from datetime import timedelta

from tests.invoicing_support import PERSON, sale
from tests.test_gift_confirmation import _donation

DONOR = {"donor_name": "Zofia Nowak", "donor_address": "ul. Bema 4, 81-752 Sopot"}


def _issue(client, receipt) -> int:
    response = client.post("/invoices/new", data=dict(receipt=str(receipt), action="issue", **PERSON))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.location.rsplit("/", 1)[1])


def test_an_invoice_is_read_by_who_issued_it_in_that_sign_in_and_by_managers(app, client, sign_in, shop, clock):
    sign_in("Ania")
    done = sale(client, "personal-inv-1")
    invoice_id = _issue(client, done["number"])
    paths = [f"/invoices/{invoice_id}", f"/invoices/{invoice_id}.pdf", f"/invoices/{invoice_id}.xml"]
    for path in paths:  # the volunteer prints it for the customer standing there
        assert client.get(path).status_code in (200, 503), path  # 503: no PDF font on this machine
    page = client.get(paths[0]).get_data(as_text=True)
    assert "Jan Kowalski" in page
    # Another volunteer at the till, or Ania in a later sign-in: not found, and nothing of it shown.
    clock.shift(timedelta(minutes=5))
    other = app.test_client()
    sign_in("Ania", target=other)
    for path in paths + [f"/invoices/{invoice_id}/upo.xml"]:
        refused = other.get(path)
        assert refused.status_code == 404 and "Kowalski" not in refused.get_data(as_text=True), path
    # Issuing again for the same receipt does not open it either: a manager prints it again.
    again = other.post("/invoices/new", data=dict(receipt=str(done["number"]), action="issue", **PERSON))
    assert again.status_code == 409 and f"/invoices/{invoice_id}" not in again.get_data(as_text=True)
    assert "kierownik" in again.get_data(as_text=True)
    # A manager at the till by PIN is a volunteer's sign-in; with the password, the back office: allowed.
    manager = app.test_client()
    sign_in("Marek", target=manager)
    assert manager.get(paths[0]).status_code == 404
    sign_in("Marek", password=True, target=manager)
    assert manager.get(paths[0]).status_code == 200


def test_a_donors_details_are_not_shown_to_the_next_volunteer(app, client, sign_in, shop, clock):
    sign_in("Ania")
    batch_id = _donation(app, client)
    assert client.post(f"/intake/batches/{batch_id}/confirmation", data={**DONOR, "target": "page"}).status_code == 302
    assert "Zofia Nowak" in client.get(f"/intake/batches/{batch_id}/confirmation").get_data(as_text=True)
    clock.shift(timedelta(minutes=5))
    other = app.test_client()
    sign_in("Ania", target=other)
    page = other.get(f"/intake/batches/{batch_id}").get_data(as_text=True)
    assert "Zofia Nowak" not in page and "Bema" not in page and "kierownik" in page
    for response in (other.get(f"/intake/batches/{batch_id}/confirmation"),
                     other.post(f"/intake/batches/{batch_id}/confirmation", data={"target": "printer"})):
        assert response.status_code == 302 and response.location.endswith(f"/intake/batches/{batch_id}#gift")
    told = other.get(f"/intake/batches/{batch_id}").get_data(as_text=True)
    assert "ponownie wydrukować je może kierownik" in told
    manager = app.test_client()
    sign_in("Marek", password=True, target=manager)
    assert "Zofia Nowak" in manager.get(f"/intake/batches/{batch_id}/confirmation").get_data(as_text=True)


def test_a_donation_taken_in_by_another_volunteer_shows_no_donor_before_the_confirmation(app, client, sign_in, shop,
                                                                                      clock):
    sign_in("Ania")
    batch_id = _donation(app, client)
    with app.app_context():
        from lukluk_pos.extensions import db
        from lukluk_pos.intake.models import DonationBatch, Donor

        found = db.session.get(DonationBatch, batch_id)
        found.donor = Donor(name="Zofia Nowak", contact="501 000 000", consent_purpose="Potwierdzenie",
                            address="ul. Bema 4, 81-752 Sopot")
        db.session.commit()
    assert 'value="ul. Bema 4' in client.get(f"/intake/batches/{batch_id}").get_data(as_text=True)
    clock.shift(timedelta(minutes=5))
    other = app.test_client()
    sign_in("Ania", target=other)
    assert "Bema" not in other.get(f"/intake/batches/{batch_id}").get_data(as_text=True)
