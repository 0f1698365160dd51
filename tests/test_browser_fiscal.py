"""End-to-end in headless Chromium: a fiscal sale runs out of paper, the volunteer fixes it and retries."""
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lukluk_pos.core.models import FiscalMode, Shop
from lukluk_pos.extensions import db
from lukluk_pos.fiscal.emulator import FILE_NAME, EmulatedPrinter
from tests.browser import sign_in_with_password
from tests.conftest import in_app
from tests.test_browser import sign_in_by_pin

pytestmark = [pytest.mark.browser, pytest.mark.csrf]


def test_out_of_paper_then_fixed_and_retried_prints_one_fiscal_receipt(page, app, make_item, axe_check):
    with in_app(app):
        current = db.session.scalar(select(Shop))
        current.fiscal_mode, current.fiscal_printer = FiscalMode.PRINTER, "emulator"
        db.session.commit()
    device = EmulatedPrinter(Path(app.instance_path) / FILE_NAME)
    item = make_item(price_minor=1800, description="Sweter wełniany")
    sign_in_by_pin(page, "Ania", "1111")
    page.locator("#scan").fill(item["code"])
    page.keyboard.press("Enter")
    expect(page.locator("#total")).to_have_text("18,00\u00a0zł")
    device.set_fault("paper")
    page.keyboard.press("F2")
    page.get_by_role("button", name="Paragon z NIP…").click()  # the NIP only when the customer asks
    expect(page.get_by_label("NIP nabywcy, tylko gdy klient poprosi (10 cyfr)")).to_be_visible()
    axe_check(page, "payment dialog, fiscal mode")
    page.locator("#tendered").fill("20")
    page.keyboard.press("Enter")
    dialog = page.locator("#fiscal-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("alert")).to_have_text("Brak papieru: włóż nową rolkę.")
    expect(dialog.get_by_role("button", name="Spróbuj ponownie")).to_be_focused()
    axe_check(page, "fiscal printer refused")
    # Still no paper: the dialog stays with the same message.
    dialog.get_by_role("button", name="Spróbuj ponownie").click()
    expect(dialog.get_by_role("alert")).to_have_text("Brak papieru: włóż nową rolkę.")
    expect(dialog.get_by_role("button", name="Spróbuj ponownie")).to_be_enabled()
    device.put_in_paper()
    dialog.get_by_role("button", name="Spróbuj ponownie").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#message")).to_contain_text("Wydrukowano paragon fiskalny nr 1.")
    expect(page.locator("#done-change")).to_have_text("2,00\u00a0zł")
    expect(page.locator("#scan")).to_be_focused()
    memory = device.memory()
    assert memory["last_receipt"] == 1 and len(memory["journal"]) == 1 and memory["open"] is None
    assert memory["journal"][0]["lines"] == [["Odzież damska używana", "E", 1, 1800]]


def test_the_fiscal_pages_pass_axe(page, app, shop, axe_check):
    with in_app(app):
        current = db.session.scalar(select(Shop))
        current.fiscal_mode, current.fiscal_printer = FiscalMode.PRINTER, "emulator"
        db.session.commit()
    sign_in_with_password(page, "Magda")
    for path in ("/admin/fiscal", "/fiscal/waiting", "/fiscal/registers", "/till/refund"):
        page.goto(path)
        axe_check(page, path)


def test_a_lost_answer_offers_check_and_the_counters_decide(page, app, make_item, axe_check):
    """The receipt printed and its answer was lost: the dialog says so and offers "Sprawdź" (issue #25)."""
    with in_app(app):
        current = db.session.scalar(select(Shop))
        current.fiscal_mode, current.fiscal_printer = FiscalMode.PRINTER, "emulator"
        db.session.commit()
    device = EmulatedPrinter(Path(app.instance_path) / FILE_NAME)
    item = make_item(price_minor=1800, description="Sweter wełniany")
    sign_in_by_pin(page, "Ania", "1111")
    page.locator("#scan").fill(item["code"])
    page.keyboard.press("Enter")
    expect(page.locator("#total")).to_have_text("18,00\u00a0zł")
    device.set_fault("drop")
    page.keyboard.press("F2")
    page.locator("#tendered").fill("20")
    page.keyboard.press("Enter")
    dialog = page.locator("#fiscal-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("alert")).to_contain_text("Odpowiedź drukarki fiskalnej nie dotarła")
    expect(dialog.locator("#fiscal-help")).to_contain_text("Nie nabijaj jej ponownie")
    check = dialog.get_by_role("button", name="Sprawdź")
    expect(check).to_be_focused()
    axe_check(page, "fiscal answer lost")
    check.click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#message")).to_contain_text("Wydrukowano paragon fiskalny nr 1.")
    assert device.memory()["last_receipt"] == 1 and len(device.memory()["journal"]) == 1
