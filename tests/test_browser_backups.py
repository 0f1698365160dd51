"""#29 in the browser, in Polish: the admin sets the USB stick under Ustawienia → Kopie zapasowe, prints the
recovery sheet and sends a copy now; the dashboard then says how old the copy off the machine is. axe-core
on each page."""

import pytest
from playwright.sync_api import expect

from lukluk_pos.core import offsite
from tests.browser import sign_in_with_password
from tests.offsite_support import need, usb_stick

pytestmark = [pytest.mark.browser, pytest.mark.csrf]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_admin_sets_a_usb_stick_prints_the_sheet_and_sends_a_copy(page, app, shop, axe_check, tmp_path):
    need("restic")
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in_with_password(page, "Magda")
    nav = page.get_by_role("navigation", name="Menu główne")
    nav.get_by_text("Ustawienia", exact=True).click()
    nav.get_by_role("link", name="Kopie zapasowe", exact=True).click()
    expect(page.get_by_role("heading", name="Kopie zapasowe", level=1)).to_be_visible()
    expect(page.get_by_text("Nie ustawiono żadnego miejsca")).to_be_visible()
    expect(page.get_by_role("button", name="Zrób kopię i wyślij teraz")).to_be_disabled()
    axe_check(page, "backups, nothing set")
    with usb_stick(tmp_path / "usb") as stick:
        page.get_by_label("Pendrive albo zamontowany folder").fill("pendrive")
        page.get_by_role("button", name="Zapisz").click()
        expect(page.get_by_text("Wpisz pełną ścieżkę folderu")).to_be_visible()
        axe_check(page, "backups, a refused path")
        page.get_by_label("Pendrive albo zamontowany folder").fill(str(stick))
        page.get_by_role("button", name="Zapisz").click()
        expect(page.get_by_text("Wydrukuj teraz arkusz odtworzeniowy")).to_be_visible()
        page.get_by_role("link", name="Arkusz odtworzeniowy (wydrukuj raz)").click()
        key = offsite.key(app.instance_path)
        expect(page.locator("#recovery-key")).to_have_text(key)
        expect(page.get_by_text(f"sudo lukluk restore --from {stick} --key {key}")).to_be_visible()
        axe_check(page, "recovery sheet")
        page.go_back()
        page.get_by_role("button", name="Zrób kopię i wyślij teraz").click()
        expect(page.get_by_text("Kopia jest w drodze")).to_be_visible()
        app.extensions["lukluk_offsite_send"].join(120)
        page.reload()
        expect(page.locator("#offsite-places")).to_contain_text("wysłana i odczytana")
        axe_check(page, "backups, a copy sent")
    nav.get_by_text("Sklep", exact=True).click()
    nav.get_by_role("link", name="Pulpit", exact=True).click()
    expect(page.locator("#offsite-age")).to_contain_text("Ostatnia kopia poza komputerem 0 godzin temu.")
