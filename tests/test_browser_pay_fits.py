"""#28 point 3: the payment dialog fits the counter's screen. At 1366×768, 1280×720 and 1024×768, in an
exempt shop, with a standalone fiscal register and with a fiscal printer (the NIP field opened on request
too), every way to pay and "Wróć" are on screen without scrolling: the element at each button's centre
is that button (``elementFromPoint``), inside the viewport."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lukluk_pos.core.models import FiscalMode, Shop
from lukluk_pos.extensions import db
from tests.conftest import in_app
from tests.test_browser import sign_in_by_pin

pytestmark = [pytest.mark.browser, pytest.mark.csrf]

SIZES = ((1366, 768), (1280, 720), (1024, 768))
BUTTONS = ("#pay-submit", "#pay-card-submit", "#pay-split-submit", "#pay [data-close]")

#: Where a button's centre is and what the page has there, as the person sees it without scrolling.
AT_ITS_CENTRE = """(el) => {
  const r = el.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  return {inside: r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth,
          hit: !!hit && (hit === el || el.contains(hit)), top: Math.round(r.top), bottom: Math.round(r.bottom),
          height: window.innerHeight};
}"""


def _all_on_screen(page, where: str) -> None:
    for selector in BUTTONS:
        seen = page.locator(selector).evaluate(AT_ITS_CENTRE)
        assert seen["inside"] and seen["hit"], f"{where}: {selector} is not on screen: {seen}"
    assert page.locator("#pay").evaluate("(d) => d.scrollTop") == 0, f"{where}: the dialog was scrolled"


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("mode", [FiscalMode.EXEMPT, FiscalMode.REGISTER, FiscalMode.PRINTER])
def test_every_way_to_pay_is_on_screen_at_the_counters_sizes(page, app, make_item, axe_check, mode):
    with in_app(app):
        current = db.session.scalar(select(Shop))
        current.fiscal_mode = mode
        current.fiscal_printer = "emulator" if mode is FiscalMode.PRINTER else ""
        db.session.commit()
    item = make_item(price_minor=1800, description="Sweter wełniany")
    sign_in_by_pin(page, "Ania", "1111")
    page.locator("#scan").fill(item["code"])
    page.keyboard.press("Enter")
    expect(page.locator("#total")).to_have_text("18,00\u00a0zł")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.keyboard.press("F2")
        expect(page.locator("#pay")).to_be_visible()
        _all_on_screen(page, f"{mode.value} at {width}×{height}")
        nip = page.locator("#buyer-nip")
        if mode is FiscalMode.PRINTER:
            # The NIP is asked for only on request, and opening it keeps the ways to pay on screen.
            expect(nip).to_be_hidden()
            page.get_by_role("button", name="Paragon z NIP…").click()
            expect(nip).to_be_visible()
            expect(nip).to_be_focused()
            expect(page.get_by_role("button", name="Paragon z NIP…")).to_be_hidden()
            _all_on_screen(page, f"{mode.value} at {width}×{height}, NIP opened")
            if (width, height) == SIZES[0]:
                axe_check(page, "payment dialog with the NIP field opened")
        else:
            expect(nip).to_have_count(0)
        page.locator("#pay [data-close]").click()
        expect(page.locator("#pay")).to_be_hidden()
