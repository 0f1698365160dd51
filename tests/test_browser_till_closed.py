"""#28 point 7: after the day's close the till looks closed — the scan field, Gotówka/Karta and the quick
buttons are disabled with the reason beside them (and announced with them), and the keys open nothing."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from lukluk_pos.auth.models import User
from lukluk_pos.cash import service as cash
from lukluk_pos.cash import zreport
from lukluk_pos.extensions import db
from lukluk_pos.till.models import Till
from tests.conftest import FLOAT_COUNTS, in_app, shop_today


def test_the_till_after_the_close_looks_closed(page, app, shop, axe_check):
    with in_app(app):
        till = db.session.scalar(select(Till.id))
        marek = db.session.get(User, shop["Marek"])
        cash.close_session(till, marek, counts=FLOAT_COUNTS)
        zreport.close_day(shop_today(), marek)
        db.session.commit()
    page.goto("/sign-in")
    page.get_by_role("link", name="Ania", exact=True).click()
    page.get_by_label("PIN").fill("1111")
    page.get_by_role("button", name="Zaloguj").click()
    expect(page).to_have_url(re.compile(r"/till$"))
    expect(page.locator("#till[data-ready='1']")).to_have_count(1)
    reason = page.locator("#till-closed")
    expect(reason).to_contain_text("jest zamknięty")
    for control in ("#scan", "#pay-cash", "#pay-card", "#quick .quick-button >> nth=0", "#basket-discount"):
        expect(page.locator(control)).to_be_disabled()
        expect(page.locator(control)).to_have_attribute("aria-describedby", "till-closed")
    page.keyboard.press("F2")  # the keyboard's way to pay opens nothing either
    expect(page.locator("#pay")).to_be_hidden()
    axe_check(page, "till after the close")
