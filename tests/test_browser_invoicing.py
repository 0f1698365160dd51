"""End-to-end in headless Chromium: a volunteer turns the sale just made into an invoice for a parish,
KSeF (a fake on 127.0.0.1) accepts it and its number shows; the new pages pass axe-core."""
import re
import time

import pytest
from playwright.sync_api import expect

from lukluk_pos.invoicing import ksef
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
    expect(page.locator("#ksef-state")).to_contain_text("do wysłania")
    axe_check(page, "invoice waiting for KSeF")
    work_queue(app)  # the KSeF worker's rounds (beside the server in a shop)
    time.sleep(1.1)
    work_queue(app)
    page.get_by_role("link", name="Sprawdź KSeF ponownie").click()
    number = fake.accepted(f"FV/1/{shop_today().year}")[0]["ksefNumber"]
    expect(page.locator("#invoice-ksef")).to_have_text(f"Numer KSeF: {number}")
    expect(page.locator(".qr figcaption")).to_have_text(number)
    axe_check(page, "invoice in KSeF")
    response = page.request.get(page.url + ".pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"


def test_the_managers_invoicing_pages_and_the_gift_confirmation_pass_axe(page, app, shop, axe_check):
    page.goto("/sign-in/manager")
    page.get_by_label("Hasło").fill("tajnehaslo1")
    page.get_by_label("Imię i nazwisko").select_option(label="Magda")
    page.get_by_role("button", name="Zaloguj").click()
    expect(page).not_to_have_url(re.compile(r"/sign-in"))
    for path in ("/invoices", "/buyers", "/admin/invoicing"):
        page.goto(path)
        axe_check(page, path)
    page.goto("/intake/")
    page.get_by_role("button", name="Zacznij wprowadzać towary").click()
    expect(page).to_have_url(re.compile(r"/intake/batches/\d+"))
    page.get_by_label("Imię i nazwisko darczyńcy (tak, jak ma być na potwierdzeniu)").fill("Zofia Nowak")
    axe_check(page, "donation page with the gift form")
    page.get_by_role("button", name="Strona A4").click()
    expect(page.get_by_role("heading", name="Potwierdzenie przyjęcia darowizny")).to_be_visible()
    axe_check(page, "gift confirmation")
