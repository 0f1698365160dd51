"""#28 point 11: the manager's and the admin's header is one row at 1366 px (the back office sits in three
menus), every page is still one click away in a menu, and the menus work by keyboard and pass axe."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser import sign_in_with_password

pytestmark = [pytest.mark.browser, pytest.mark.csrf]

MENUS = {"Sklep": ["Pulpit", "Przegląd towarów", "Towary", "Kategorie", "Cennik", "Kolor metki i rotacja"],
         "Raporty": ["Raporty okresowe", "Dni", "Faktury", "Dziennik zdarzeń"],
         "Ustawienia": ["Osoby", "Ustawienia sklepu", "Drukarka", "Drukarka fiskalna", "Ustawienia faktur", "Konta",
                        "Kopie zapasowe"]}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_admins_header_is_one_row_at_1366_px_and_every_page_is_in_a_menu(page, shop, axe_check):
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in_with_password(page, "Magda")
    header = page.locator("header.top")
    tops = header.evaluate("(h) => [...h.querySelectorAll('.brand, nav > ul > li, .who > *')]"
                           ".map((e) => e.getBoundingClientRect().top)")
    height = header.evaluate("(h) => h.getBoundingClientRect().height")
    assert max(tops) - min(tops) < 24 and height < 70, f"the header wraps at 1366 px: {tops}, {height} px high"
    nav = page.get_by_role("navigation", name="Menu główne")
    for menu, links in MENUS.items():
        nav.get_by_text(menu, exact=True).click()
        for name in links:
            expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
        if menu == "Sklep":
            axe_check(page, "header menu open")
    # By keyboard: Escape closes the open menu and the focus goes back to its name.
    page.keyboard.press("Escape")
    expect(nav.get_by_role("link", name="Osoby", exact=True)).to_be_hidden()
    expect(nav.get_by_text("Ustawienia", exact=True)).to_be_focused()
    nav.get_by_text("Raporty", exact=True).click()
    nav.get_by_role("link", name="Dziennik zdarzeń", exact=True).click()
    expect(page).to_have_url(re.compile(r"/reports/audit"))
