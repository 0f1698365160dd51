"""Intake: donations, pricing from the guide, labels, rotation over weeks, pulls and donors."""
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lukluk_pos.auth.models import User
from lukluk_pos.catalog.models import Category, Item, ItemKind, ItemStatus, PriceChange
from lukluk_pos.core.errors import InvalidInput
from lukluk_pos.core.models import AuditEvent, Shop
from lukluk_pos.extensions import db
from lukluk_pos.intake import service as intake
from lukluk_pos.intake.models import Condition, DonationBatch, Donor, ItemRemoval
from lukluk_pos.printing.models import JobKind, PrintJob

MIXED = [  # (category, condition, description, size)
    ("Odzież damska", "very_good", "Sukienka lniana", "38"), ("Odzież damska", "new_with_tags", "Bluzka jedwabna", "M"),
    ("Odzież męska", "good", "Koszula w kratę", "L"), ("Obuwie", "very_good", "Botki skórzane", "39"),
    ("Książki", "good", "Lalka — Prus", ""), ("Książki", "fair", "Atlas ptaków", ""),
    ("Płyty i winyle", "very_good", "Niemen — Enigmatic", ""), ("Porcelana i szkło", "very_good", "Filiżanka Ćmielów", ""),
    ("Porcelana i szkło", "good", "Wazon kryształowy", ""), ("Zabawki i gry", "very_good", "Puzzle 1000 el.", ""),
    ("Dom i dekoracje", "good", "Lampa stołowa", ""), ("Tekstylia domowe", "very_good", "Obrus haftowany", ""),
    ("AGD i elektronika", "good", "Radio Unitra", ""), ("Sport i rekreacja", "fair", "Łyżwy figurowe", "37"),
    ("Torebki i dodatki", "very_good", "Torebka skórzana", ""), ("Biżuteria", "good", "Korale bursztynowe", ""),
    ("Odzież dziecięca", "new_with_tags", "Kurtka zimowa", "116"), ("Meble", "good", "Taboret sosnowy", ""),
    ("Książki", "very_good", "Album o Sopocie", ""), ("Odzież męska", "very_good", "Marynarka wełniana", "50"),
]


@pytest.fixture
def volunteer(client, sign_in):
    sign_in("Ania")
    return client


def category_id(app, name):
    with app.app_context():
        return db.session.scalar(select(Category.id).where(Category.name == name))


def new_batch(client, **data):
    response = client.post("/intake/", data={"source": "individual", "notes": "Z przeprowadzki"} | data)
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return int(response.location.rsplit("/", 1)[1])


def test_twenty_mixed_items_priced_labelled_and_sold_by_scanning(app, volunteer, sign_in, tmp_path):
    batch_id = new_batch(volunteer)
    for name, condition, description, size in MIXED:
        cid = category_id(app, name)
        page = volunteer.get(f"/intake/batches/{batch_id}?category_id={cid}&condition={condition}").get_data(as_text=True)
        price = re.search(r'name="price"[^>]*value="([^"]*)"', page) or re.search(r'id="price"[^>]*value="([^"]*)"', page)
        suggested = price.group(1)
        assert suggested, "the price is pre-filled from the guide"
        response = volunteer.post(f"/intake/batches/{batch_id}", data={
            "category_id": cid, "condition": condition, "description": description, "size": size,
            "price": suggested, "quantity": 1})
        assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    with app.app_context():
        items = db.session.scalars(select(Item).where(Item.batch_id == batch_id).order_by(Item.id)).all()
        assert len(items) == 20 and all(i.label_pending for i in items)
        colour = db.session.get(DonationBatch, batch_id).tag_colour
        assert colour and all(i.tag_colour == colour for i in items)
        dress = items[0]
        assert (dress.description, dress.price_minor, dress.condition) == ("Sukienka lniana, rozm. 38", 1500, "very_good")
        assert items[1].price_minor == 2300  # new with tags: 150 % of 15 zł = 22,50, rounded half up
        codes = [i.code for i in items]
    # A4 sheet: twenty labels with their barcodes, then taken off the queue.
    sheet = volunteer.get(f"/intake/labels/sheet?batch={batch_id}&layout=4x10").get_data(as_text=True)
    assert sheet.count('class="label"') == 20 and "Sukienka lniana, rozm. 38" in sheet and "15,00\u00a0zł" in sheet
    svg = volunteer.get(f"/intake/barcodes/{codes[0]}.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    # With no ticket printer set up (preview), nothing is sent: the labels open as the A4 sheet and wait.
    preview = volunteer.post("/intake/labels/print", data={"batch_id": batch_id})
    assert preview.status_code == 302 and f"/intake/labels/sheet?batch={batch_id}" in preview.location
    shown = volunteer.get(preview.location).get_data(as_text=True)
    assert shown.count('class="label"') == 20 and "nic nie zostało wysłane" in shown and "20 etykiet" in shown
    with app.app_context():
        assert db.session.scalar(select(PrintJob).where(PrintJob.kind == JobKind.LABEL)) is None
        assert all(i.label_pending for i in db.session.scalars(select(Item).where(Item.batch_id == batch_id)))
        db.session.scalar(select(Shop)).printer = "file:labels.bin"
        db.session.commit()
    # ESC/POS labels through the print queue.
    sent = volunteer.post("/intake/labels/print", data={"batch_id": batch_id})
    assert "20 etykiet wysłano do drukarki etykiet" in volunteer.get(sent.location).get_data(as_text=True)
    with app.app_context():
        job = db.session.scalar(select(PrintJob).where(PrintJob.kind == JobKind.LABEL))
        texts = [b["text"] for b in job.document if b["t"] == "text"]
        assert texts[:2] == ["15,00 zł", "Sukienka lniana, rozm. 38"] and texts[2] == f"{colour} · {items[0].created_at:%Y-%m-%d}"
        barcodes = [b["code"] for b in job.document if b["t"] == "barcode"]
        assert barcodes == codes
        from lukluk_pos.printing import render

        data = render.escpos_bytes(job.document)
        assert b"\x1dk\x02" + codes[0][:12].encode() + b"\x00" in data  # GS k EAN13, 12 digits
        assert data.count(b"\x1dV") == 20
        assert not any(i.label_pending for i in db.session.scalars(select(Item).where(Item.batch_id == batch_id)))
    volunteer.post("/intake/labels/print", data={"batch_id": batch_id, "all": "1"})  # the whole donation again
    with app.app_context():
        again = db.session.scalars(select(PrintJob).where(PrintJob.kind == JobKind.LABEL)).all()[-1]
        assert [b["code"] for b in again.document if b["t"] == "barcode"] == codes
    # Sold at the till by scanning the label.
    response = volunteer.post("/api/v1/till/basket/lines", json={"code": codes[0]})
    assert response.status_code == 201 and response.json["total_minor"] == 1500
    sale = volunteer.post("/api/v1/till/basket/complete", json={"key": "intake-sale-1", "payments": [{"method": "card"}]})
    assert sale.status_code == 200
    page = volunteer.get("/intake/").get_data(as_text=True)
    assert "15,00\u00a0zł" in page  # realised so far


@pytest.mark.parametrize("field, value, message", [
    ("price", "0", "Kwota musi być większa od zera."),
    ("price", "2000", "jest poza cennikiem tej kategorii"),
    ("price", "1,20", "jest poza cennikiem tej kategorii"),
    ("category_id", "999", "Nieznana kategoria."),
    ("description", "", "To pole jest wymagane."),
    ("description", "x" * 500, "Najwyżej 200 znaków."),
    ("code", "2000000000015", "Towar z kodem 2000000000015 już istnieje."),
    ("code", "1234567890123", "To nie jest prawidłowy kod EAN-13."),
    ("condition", "mint", "Nieprawidłowy wybór"),
])
def test_bad_intake_input_is_refused_and_nothing_saved(app, volunteer, make_item, field, value, message):
    make_item()  # takes code 2000000000015
    batch_id = new_batch(volunteer)
    data = {"category_id": category_id(app, "Odzież damska"), "condition": "very_good",
            "description": "Spódnica", "price": "15", "quantity": 1} | {field: value}
    response = volunteer.post(f"/intake/batches/{batch_id}", data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Item).where(Item.batch_id == batch_id)) == 0


def test_a_price_outside_the_guide_is_kept_when_confirmed(app, volunteer):
    batch_id = new_batch(volunteer)
    response = volunteer.post(f"/intake/batches/{batch_id}", data={
        "category_id": category_id(app, "Meble"), "condition": "very_good", "description": "Komoda gdańska",
        "price": "950", "quantity": 1, "confirm": "y"})
    assert response.status_code == 302


def test_a_bulk_lot_gets_one_code_and_a_label_per_piece(app, volunteer):
    batch_id = new_batch(volunteer)
    volunteer.post(f"/intake/batches/{batch_id}", data={
        "category_id": category_id(app, "Książki"), "condition": "good", "description": "Harlequin",
        "price": "2", "quantity": 12})
    with app.app_context():
        lot = db.session.scalar(select(Item).where(Item.batch_id == batch_id))
        assert (lot.kind, lot.quantity_on_hand) == (ItemKind.BULK, 12)
    sheet = volunteer.get(f"/intake/labels/sheet?batch={batch_id}&layout=5x13").get_data(as_text=True)
    assert sheet.count('class="label"') == 12


def test_donor_details_need_consent_and_can_be_exported_and_erased(app, client, sign_in):
    sign_in("Marek", password=True)
    refused = client.post("/intake/", data={"source": "individual", "donor_name": "Jan Kowalski"})
    assert refused.status_code == 422 and "Bez zgody darczyńcy" in refused.get_data(as_text=True)
    batch_id = new_batch(client, donor_name="Jan Kowalski", donor_contact="jan@example.org", consent="y",
                         consent_purpose="Podziękowanie")
    client.post(f"/intake/batches/{batch_id}", data={
        "category_id": category_id(app, "Książki"), "condition": "good", "description": "Pan Tadeusz",
        "price": "4", "quantity": 1})
    with app.app_context():
        donor = db.session.scalar(select(Donor))
        code = db.session.scalar(select(Item.code).where(Item.batch_id == batch_id))
    client.post("/api/v1/till/basket/lines", json={"code": code})
    client.post("/api/v1/till/basket/complete", json={"key": "donor-sale-1", "payments": [{"method": "card"}]})
    exported = client.get(f"/intake/donors/{donor.id}/export")
    assert exported.json["name"] == "Jan Kowalski" and exported.json["donations"][0]["items"] == 1
    # One click does not erase: the page says what goes and what stays, and asks to confirm.
    page = client.get(f"/intake/donors/{donor.id}/erase").get_data(as_text=True)
    assert "Jan Kowalski" in page and "jan@example.org" in page and "Co zostaje" in page
    unconfirmed = client.post(f"/intake/donors/{donor.id}/erase", data={})
    assert unconfirmed.status_code == 422 and "Zaznacz pole" in unconfirmed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Donor, donor.id).name == "Jan Kowalski"
    erased = client.post(f"/intake/donors/{donor.id}/erase", data={"confirm": "1"})
    assert erased.status_code == 302 and erased.location.endswith(f"/intake/batches/{batch_id}")
    with app.app_context():
        donor = db.session.get(Donor, donor.id)
        assert (donor.name, donor.contact) == ("", "") and donor.erased_at is not None
        assert intake.batch_summary(db.session.get(DonationBatch, batch_id))["realised_minor"] == 400
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "donor.erase")) is not None


def test_the_suggestion_moves_toward_what_similar_items_sold_for(ctx, shop, make_item):
    from lukluk_pos.till import service as till

    magda = db.session.get(User, shop["Magda"])
    books = db.session.scalar(select(Category).where(Category.name == "Książki"))
    assert intake.suggest_price(books, Condition.GOOD) == 400  # 80 % of 5 zł
    found = intake.create_batch(by=magda, source="anonymous")
    for n in range(6):
        item = intake.add_item(found, by=magda, category_id=books.id, condition_value="good",
                               description=f"Kryminał {n}", price="8", confirm=True)
        till.add_item(1, magda, item)
        till.complete(1, magda, key=f"median-sale-{n}", payments=[till.PaymentIn(till.PaymentMethod.CARD)])
    db.session.commit()
    assert intake.suggest_price(books, Condition.GOOD) == 600  # halfway to the 8 zł median


def _item_of_week(batch, magda, monday: date, description="Sweter"):
    item = intake.add_item(batch, by=magda, category_id=1, condition_value="very_good", description=description,
                           price="20")
    item.created_at = datetime.combine(monday + timedelta(days=2), datetime.min.time()) + timedelta(hours=10)
    return item


def test_rotation_moves_the_right_items_in_the_following_weeks(ctx, shop):
    """A frozen calendar: week 0 is the intake week; the default rule marks down in week 3 at 30 %
    and pulls in week 6 (the Ubrania rule is left at the default)."""
    magda = db.session.get(User, shop["Magda"])
    week0 = date(2026, 9, 7)  # a Monday
    found = intake.create_batch(by=magda, source="anonymous", today=week0)
    old = _item_of_week(found, magda, week0, "Sweter z września")
    newer = _item_of_week(found, magda, week0 + timedelta(weeks=2), "Płaszcz z połowy września")
    sold = _item_of_week(found, magda, week0, "Sprzedana spódnica")
    sold.status = ItemStatus.SOLD
    db.session.commit()

    def due(day):
        found_due = intake.rotation_due(day)
        # The dashboard's counts, from one query, say the same as the lists.
        assert intake.rotation_due_counts(day) == {"markdown": len(found_due["markdown"]),
                                                   "pull": len(found_due["pull"])}
        return [i.id for i in found_due["markdown"]], [i.id for i in found_due["pull"]]

    assert due(week0 + timedelta(weeks=2, days=4)) == ([], [])
    assert due(week0 + timedelta(weeks=3)) == ([old.id], [])  # Monday of week 3
    assert intake.mark_down([old.id], by=magda) == 1
    db.session.commit()
    assert old.price_minor == 1400 and old.label_pending
    change = db.session.scalar(select(PriceChange).where(PriceChange.item_id == old.id))
    assert (change.old_price_minor, change.new_price_minor, change.reason) == (2000, 1400, "Rotacja: −30 %")
    assert due(week0 + timedelta(weeks=4)) == ([], [])  # marked down once only
    assert due(week0 + timedelta(weeks=5)) == ([newer.id], [])
    assert due(week0 + timedelta(weeks=6)) == ([newer.id], [old.id])
    pulled = intake.pull(old.code, by=magda, reason="Rotacja", destination="textile_recycling")
    db.session.commit()
    assert pulled.status is ItemStatus.WRITTEN_OFF
    removal = db.session.scalar(select(ItemRemoval))
    assert (removal.item_id, removal.destination.value, removal.reason) == (old.id, "textile_recycling", "Rotacja")
    assert due(week0 + timedelta(weeks=6)) == ([newer.id], [])
    with pytest.raises(InvalidInput):
        intake.pull(old.code, by=magda, reason="Rotacja", destination="waste")  # already off the floor


def test_week_colours_cycle_and_the_manager_can_change_them(ctx, shop):
    monday = date(2026, 11, 23)
    first = intake.week_colour(monday)
    assert intake.week_colour(monday + timedelta(days=6)) == first
    assert intake.week_colour(monday + timedelta(weeks=5)) == first  # five colours by default
    assert intake.week_colour(monday + timedelta(weeks=1)) != first
    intake.set_colours("czerwony, biały", by=db.session.get(User, shop["Magda"]))
    assert {intake.week_colour(monday), intake.week_colour(monday + timedelta(weeks=1))} == {"czerwony", "biały"}
    with pytest.raises(InvalidInput):
        intake.set_colours("jeden", by=db.session.get(User, shop["Magda"]))


def test_manager_pages_mark_down_and_pull_by_scanning(app, client, sign_in, make_item):
    sign_in("Marek", password=True)
    item = make_item()
    with app.app_context():
        db.session.get(Item, item["id"]).created_at -= timedelta(weeks=10)
        db.session.commit()
    page = client.get("/intake/rotation").get_data(as_text=True)
    assert "Do zdjęcia z półki (1)" in page and item["code"] in page
    response = client.post("/intake/rotation/pull", data={"code": item["code"], "reason": "Rotacja",
                                                          "destination": "partner"})
    assert response.status_code == 302
    assert "Zdjęto: Sukienka lniana" in client.get(response.location).get_data(as_text=True)
    again = client.post("/intake/rotation/pull", data={"code": item["code"], "reason": "Rotacja", "destination": "partner"})
    assert "nie ma go na sali sprzedaży" in client.get(again.location).get_data(as_text=True)


def test_manager_edits_the_price_guide(app, client, sign_in):
    sign_in("Marek", password=True)
    cid = category_id(app, "Książki")
    data = {"weight_g": 350, "markdown_after_weeks": 4, "markdown_percent": 50, "pull_after_weeks": 8}
    for cond in ("new_with_tags", "very_good", "good", "fair"):
        data |= {f"typical-{cond}": "6", f"min-{cond}": "2", f"max-{cond}": "30"}
    bad = client.post(f"/intake/guide/{cid}", data=data | {"typical-good": "50"})
    assert bad.status_code == 422 and "Typowa cena musi leżeć" in bad.get_data(as_text=True)
    ok = client.post(f"/intake/guide/{cid}", data=data | {"typical-good": "5"})
    assert ok.status_code == 302
    with app.app_context():
        books = db.session.get(Category, cid)
        assert books.weight_g == 350
        assert intake.guide(books, Condition.GOOD) == (500, 200, 3000)
        assert intake.rule_for(cid) == (4, 50, 8)
    assert "Książki" in client.get("/intake/guide").get_data(as_text=True)
