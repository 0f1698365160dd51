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


def _a_receipt_printer(app) -> None:
    """A receipt printer is set (never reached here: no worker runs), so confirmations are queued as print
    jobs whose ESC/POS the tests read. Without one they open as their A4 page (test_preview_says_where)."""
    from lukluk_pos.core.models import Shop

    with app.app_context():
        db.session.scalar(select(Shop)).printer = "network:192.0.2.10:9100"
        db.session.commit()


def test_a_donor_gets_a_printed_confirmation_with_its_value_and_again_later(app, client, sign_in, shop):
    _a_receipt_printer(app)
    sign_in("Ania")
    batch_id = _donation(app, client)
    response = client.post(f"/intake/batches/{batch_id}/confirmation",
                           data={"donor_name": "Zofia Nowak", "donor_address": "ul. Bema 4, 81-752 Sopot",
                                 "with_value": "1", "target": "printer"})
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
    assert "Wystawione" in page and "Zofia Nowak" in page
    response = client.post(f"/intake/batches/{batch_id}/confirmation", data={"target": "page"})
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


def test_a_confirmation_is_the_gift_as_accepted_and_every_print_repeats_it(app, client, sign_in, shop):
    """Of 10 donated mugs, 4 are sold and the price of the rest marked down: the confirmation still lists 10
    mugs at the price of the day of the gift, names the firm with its address and NIP and the cooperative
    with its KRS, and a print after the sales is identical to the first."""
    from lukluk_pos.core.models import Shop

    with app.app_context():
        db.session.scalar(select(Shop)).krs = "0000123456"
        db.session.commit()
    _a_receipt_printer(app)
    sign_in("Marek")
    batch_id = new_batch(client)
    assert client.post(f"/intake/batches/{batch_id}", data={
        "category_id": category_id(app, "Porcelana i szkło"), "condition": "good", "description": "Kubek biały",
        "price": "12,00", "quantity": 10}).status_code == 302
    assert client.post(f"/intake/batches/{batch_id}", data={
        "category_id": category_id(app, "Książki"), "condition": "good", "description": "Atlas ptaków",
        "price": "0,00", "quantity": 1}).status_code in (302, 422)
    refused = client.post(f"/intake/batches/{batch_id}/confirmation", data={
        "donor_name": "Hurtownia Mewa sp. z o.o.", "target": "page"})
    assert refused.status_code == 302 and refused.location.endswith("#gift")
    first = client.post(f"/intake/batches/{batch_id}/confirmation", data={
        "donor_name": "Hurtownia Mewa sp. z o.o.", "donor_address": "ul. Portowa 2, 81-350 Gdynia",
        "donor_nip": "526-000-12-46", "with_value": "1", "target": "page"})
    assert first.status_code == 302
    page = client.get(first.location).get_data(as_text=True)
    for expected in ("Hurtownia Mewa sp. z o.o.", "ul. Portowa 2, 81-350 Gdynia", "NIP 5260001246", "KRS 0000123456",
                     "Kubek biały", "Wartość darowizny: 120,00\u00a0zł", "art. 4 ust. 1 ustawy",
                     "cennika sklepu w dniu przyjęcia"):
        assert expected in page, expected
    assert client.post(f"/intake/batches/{batch_id}/confirmation",
                       data={"with_value": "1", "target": "printer"}).status_code == 302
    with app.app_context():
        from lukluk_pos.catalog.models import Item

        mug = db.session.scalar(select(Item).where(Item.description == "Kubek biały"))
        code = mug.code
        printed_first = db.session.scalars(select(PrintJob).where(PrintJob.kind == JobKind.GIFT)).all()[-1].document
    for _ in range(4):
        assert client.post("/api/v1/till/basket/lines", json={"code": code}).status_code == 201
    assert client.post("/api/v1/till/basket/complete", json={
        "key": "gift-mugs-1", "payments": [{"method": "cash", "tendered": "100"}]}).status_code == 200
    with app.app_context():
        mug = db.session.scalar(select(Item).where(Item.description == "Kubek biały"))
        assert mug.quantity_on_hand == 6
        mug.price_minor = 800  # marked down since
        db.session.commit()
    again = client.post(f"/intake/batches/{batch_id}/confirmation", data={
        "donor_name": "Someone else", "with_value": "1", "target": "page"})
    reprint = client.get(again.location).get_data(as_text=True)
    def paper(html):
        return html[html.index("<article"):html.index("</article>")]

    assert paper(reprint) == paper(page) and ">10<" in paper(reprint)
    printed = client.post(f"/intake/batches/{batch_id}/confirmation", data={"with_value": "1", "target": "printer"})
    assert printed.status_code == 302
    with app.app_context():
        job = db.session.scalars(select(PrintJob).where(PrintJob.kind == JobKind.GIFT)).all()[-1]
        texts = [b["text"] for b in job.document if b["t"] == "text"]
        assert job.document == printed_first  # the receipt printer's copy, too, as first printed
    assert any(t.startswith("WARTOŚĆ DAROWIZNY") and t.endswith("120,00") for t in texts)
    assert "Darczyńca: Hurtownia Mewa sp. z o.o." in texts and "NIP 5260001246" in texts
