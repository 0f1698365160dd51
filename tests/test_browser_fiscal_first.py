"""#28 point 2: in a new (exempt) shop, the categories the law keeps off a non-fiscal till (Biżuteria, Płyty
i winyle, AGD i elektronika) are said at intake — when the category is chosen and when the item is saved,
with what the manager can do — not first at the till with a customer waiting; the till shows no quick
button for them and says which it will not sell; the dashboard counts such items on the floor; the setup
page explains the three categories and the choice."""
import re

import pytest
from playwright.sync_api import expect

from tests.test_browser import sign_in_by_pin
from tests.test_browser_manager import _manager

pytestmark = [pytest.mark.browser, pytest.mark.csrf]

SAID = ("Kategoria „Biżuteria” musi być na paragonie fiskalnym od pierwszej sprzedaży, a ten sklep drukuje "
        "paragony niefiskalne: kasa jej nie sprzeda. Kierownik może podłączyć drukarkę fiskalną "
        "(Ustawienia → Paragony) albo sklep nie przyjmuje takich towarów.")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_goods_a_non_fiscal_till_cannot_sell_are_said_at_intake_not_at_the_till(page, shop, axe_check):
    sign_in_by_pin(page, "Ania", "1111")
    page.get_by_role("navigation").get_by_role("link", name="Przyjęcie").click()
    page.get_by_label("Skąd pochodzi").select_option("partner")
    page.get_by_role("button", name="Zacznij wprowadzać towary").click()
    expect(page.get_by_role("heading", name=re.compile("Dar nr 1"))).to_be_visible()
    note = page.locator("#off-till-note")
    page.get_by_label("Kategoria").select_option(label="Książki")
    expect(note).to_be_hidden()
    page.get_by_label("Kategoria").select_option(label="Biżuteria")
    expect(note).to_have_text(SAID)  # said as the category is chosen, in a live region
    axe_check(page, "intake with a category the till will not sell")
    page.get_by_label("Opis", exact=True).fill("Naszyjnik srebrny")
    page.get_by_label("Cena (zł)").fill("25")
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text("Zapisano:")
    expect(page.locator(".flashes")).to_contain_text(SAID)  # and again when it is saved
    expect(note).to_have_text(SAID)  # the form keeps the category, and says it

    page.get_by_role("navigation").get_by_role("link", name="Kasa").click()
    quick = page.locator("#quick")
    expect(quick.get_by_role("button", name="Książki")).to_be_visible()
    for name in ("Biżuteria", "Płyty i winyle", "AGD i elektronika"):
        expect(quick.get_by_role("button", name=name)).to_have_count(0)
    expect(page.locator("#off-till")).to_contain_text("Biżuteria, Płyty i winyle, AGD i elektronika")
    axe_check(page, "till without the quick buttons it cannot sell")

    _manager(page)
    page.goto("/reports/")
    expect(page.locator("#off-till-count")).to_have_text("1")
    expect(page.get_by_role("region", name="Na sali, ale nie do sprzedania tutaj")).to_contain_text(
        "1 towaru na sali ta kasa nie sprzeda: Biżuteria, Płyty i winyle, AGD i elektronika")
    axe_check(page, "dashboard counting what cannot be sold")


def test_setup_explains_the_three_categories_and_the_choice(app, client):
    html = client.get("/setup").get_data(as_text=True)
    assert "Trzy z nich (Biżuteria, Płyty i winyle, AGD i elektronika) muszą być na paragonie fiskalnym" in html
    assert "podłącz drukarkę fiskalną (Ustawienia → Paragony) albo nie przyjmuj takich towarów" in html
