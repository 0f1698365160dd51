"""End-to-end in headless Chromium: a volunteer turns the sale just made into an invoice for a parish,
KSeF (a fake on 127.0.0.1) accepts it and its number shows; the new pages pass axe-core."""
import re
import time

import pytest
from playwright.sync_api import expect

from lukluk_pos.invoicing import ksef
from tests.browser import sign_in_with_password
from tests.conftest import shop_today
from tests.fake_ksef import FakeKsef
from tests.invoicing_support import use_ksef, work_queue
from tests.test_browser import sign_in_by_pin

pytestmark = [pytest.mark.browser, pytest.mark.csrf]


@pytest.fixture
def fake():
    with FakeKsef() as server:
        yield server
    ksef.close_connections()


def test_a_volunteer_invoices_the_sale_just_made_from_the_till(page, app, shop, make_item, fake, axe_check):
    use_ksef(app, fake)
    item = make_item(price_minor=4500, description="Krzesło dębowe")
    sign_in_by_pin(page, "Ania", "1111")
    page.locator("#scan").fill(item["code"])
    page.keyboard.press("Enter")
    expect(page.locator("#total")).to_have_text("45,00\u00a0zł")
    page.keyboard.press("F2")
    page.locator("#tendered").fill("50")
    page.keyboard.press("Enter")
    expect(page.locator("#done-change")).to_have_text("5,00\u00a0zł")
    started = time.monotonic()
    page.get_by_role("link", name="Faktura", exact=True).last.click()
    expect(page.get_by_role("heading", name="Faktura do sprzedaży")).to_be_visible()
    expect(page.get_by_label("Numer paragonu")).to_have_value("1")
    expect(page.locator("#sale-summary")).to_contain_text("45,00")  # which sale, as soon as it opens
    axe_check(page, "new invoice")
    page.get_by_label("NIP", exact=True).fill("526-000-12-46")
    page.get_by_role("button", name="Znajdź po NIP-ie").click()
    expect(page.locator(".flashes")).to_contain_text("Nie ma jeszcze nabywcy z tym NIP-em")
    expect(page.locator("#sale-summary")).to_contain_text("45,00")
    page.get_by_label("Nazwa albo imię i nazwisko").fill("Parafia św. Jerzego")
    page.get_by_label("Ulica i numer").fill("ul. Kościuszki 1")
    page.get_by_label("Kod pocztowy i miejscowość").fill("81-704 Sopot")
    page.get_by_role("button", name="Wystaw fakturę").click()
    expect(page.locator("h1")).to_have_text(f"Faktura nr FV/1/{shop_today().year}")
    elapsed = time.monotonic() - started
    assert elapsed < 60, elapsed
    expect(page.locator("#invoice-total")).to_have_text("Razem: 45,00 zł")
    face = page.locator("article.invoice").evaluate("element => getComputedStyle(element).fontFamily")
    assert "Mono" not in face and "monospace" not in face, face  # an invoice's face, not a receipt's
    expect(page.locator("#ksef-state")).to_contain_text("do wysłania")
    axe_check(page, "invoice waiting for KSeF")
    work_queue(app)  # the KSeF worker's rounds (beside the server in a shop)
    time.sleep(1.1)
    work_queue(app)
    page.get_by_role("link", name="Sprawdź KSeF ponownie").click()
    number = fake.accepted(f"FV/1/{shop_today().year}")[0]["ksefNumber"]
    expect(page.locator("#invoice-ksef")).to_have_text(f"Numer KSeF: {number}")
    expect(page.locator(".qr figcaption")).to_have_text(number)
    expect(page.locator("#invoice-upo")).to_contain_text("Urzędowe poświadczenie odbioru (UPO) KSeF: SHA-256")
    expect(page.get_by_role("link", name="UPO (XML)")).to_be_visible()
    expect(page.get_by_role("link", name="Sprawdź KSeF ponownie")).to_have_count(0)
    axe_check(page, "invoice in KSeF")
    response = page.request.get(page.url + ".pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"


def test_the_managers_invoicing_pages_and_the_gift_confirmation_pass_axe(page, app, shop, axe_check):
    sign_in_with_password(page, "Magda")
    for path in ("/invoices", "/buyers", "/admin/invoicing"):
        page.goto(path)
        axe_check(page, path)
    page.goto("/intake/")
    page.get_by_role("button", name="Zacznij wprowadzać towary").click()
    expect(page).to_have_url(re.compile(r"/intake/batches/\d+"))
    page.get_by_label("Imię i nazwisko darczyńcy (tak, jak ma być na potwierdzeniu)").fill("Zofia Nowak")
    page.get_by_label("Adres darczyńcy").fill("ul. Bema 4, 81-752 Sopot")
    axe_check(page, "donation page with the gift form")
    page.get_by_role("button", name="Strona A4").click()
    expect(page.get_by_role("heading", name="Potwierdzenie przyjęcia darowizny")).to_be_visible()
    axe_check(page, "gift confirmation")


def test_the_manager_sees_each_invoices_way_to_ksef_on_faktury(page, app, shop, fake, axe_check):
    """Accepted with its UPO, rejected with KSeF's reason, offline24 with its day, and the count due today."""
    from lukluk_pos.auth.models import User
    from lukluk_pos.extensions import db
    from lukluk_pos.invoicing import service
    from tests.conftest import in_app
    from tests.invoicing_support import PARISH

    use_ksef(app, fake)
    sign_in_by_pin(page, "Marek", "2222")  # three sales through the till's API, as the till makes them
    ids = []
    for n in range(3):
        response = page.request.post("/api/v1/till/basket/lines", data={"category_id": 1, "price": f"1{n},00"},
                                     headers={"X-CSRFToken": _csrf(page)})
        assert response.ok, response.text()
        done = page.request.post("/api/v1/till/basket/complete", data={
            "key": f"faktury-{n}", "payments": [{"method": "cash", "tendered": "50"}]},
            headers={"X-CSRFToken": _csrf(page)})
        assert done.ok, done.text()
        ids.append(done.json()["id"])
    with in_app(app):
        person = db.session.get(User, shop["Marek"])
        buyer = service.save_buyer(**PARISH, user=person)
        invoices = [service.issue(sale_id=sale_id, buyer_id=buyer.id, user=person, today=shop_today()).id
                    for sale_id in ids[:2]]
        db.session.commit()
    fake.faults.add("reject")
    work_queue(app)  # the first is rejected, the second accepted with its UPO
    time.sleep(1.1)
    work_queue(app)
    fake.faults.add("error")  # KSeF answers 500 to everything: unreachable
    with in_app(app):
        person = db.session.get(User, shop["Marek"])
        service.issue(sale_id=ids[2], buyer_id=service.find_buyer("5260001246").id, user=person, today=shop_today())
        db.session.commit()
    work_queue(app)  # KSeF unreachable: offline24
    sign_in_with_password(page, "Marek")
    page.goto("/invoices")
    rows = page.locator("main table").last.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("odrzucona")
    expect(rows.nth(0)).to_contain_text("P_19A")
    expect(rows.nth(1)).to_contain_text("w KSeF")
    expect(rows.nth(1).get_by_role("link", name=re.compile("UPO faktury"))).to_be_visible()
    expect(rows.nth(2)).to_contain_text("offline24")
    expect(rows.nth(2)).to_contain_text("wysłać do")
    expect(page.locator("#offline-today")).to_contain_text("Faktury offline do wysłania dziś: 0")
    axe_check(page, "Faktury with accepted, rejected and offline invoices")
    assert len(invoices) == 2


def _csrf(page) -> str:
    return page.locator("meta[name=csrf-token]").get_attribute("content")
