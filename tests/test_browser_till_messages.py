"""At the till, what goes wrong is said where the volunteer is looking — next to the scan field, or
inside the open dialog — to screen readers too, and the scan field keeps the focus; a wrong manager's
PIN is answered in the approval dialog; a scan after any payment lands in the scan field."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lukluk_pos.extensions import db
from tests.browser import sign_in_with_password
from tests.test_browser import sign_in_by_pin

pytestmark = [pytest.mark.browser, pytest.mark.csrf]


def _in_view(page, selector: str) -> bool:
    """The element is painted inside the window (not below its bottom edge or behind anything)."""
    return page.evaluate("""sel => {
        const el = document.querySelector(sel);
        const r = el.getBoundingClientRect();
        if (!r.height || r.top < 0 || r.bottom > window.innerHeight) return false;
        const hit = document.elementFromPoint(r.left + Math.min(10, r.width / 2), r.top + r.height / 2);
        return hit !== null && (el === hit || el.contains(hit));
    }""", selector)


def _scan(page, code: str) -> None:
    page.keyboard.type(code)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("width, height", [(1366, 768), (1024, 768)])
def test_till_messages_are_seen_where_the_volunteer_looks(page, make_item, width, height):
    page.set_viewport_size({"width": width, "height": height})
    sign_in_by_pin(page, "Ania", "1111")
    items = [make_item(price_minor=500 + n, description=f"Kubek {n}") for n in range(12)]
    for item in items:  # a long basket pushes the bottom of the page out of sight
        _scan(page, item["code"])
        expect(page.locator("#lines tr")).to_have_count(items.index(item) + 1)
    _scan(page, items[0]["code"])
    message = page.locator("#message")
    expect(message).to_contain_text("jest już w tym koszyku")
    assert _in_view(page, "#message")
    assert message.get_attribute("role") == "alert"
    expect(page.locator("#scan")).to_be_focused()

    _scan(page, "2999999999999")
    expect(message).to_have_text("Żaden towar nie ma kodu 2999999999999.")
    assert _in_view(page, "#message")
    expect(page.locator("#scan")).to_be_focused()

    # Too little cash: said inside the payment dialog, which stays open.
    page.keyboard.press("F2")
    expect(page.locator("#pay")).to_be_visible()
    page.locator("#tendered").fill("1")
    page.get_by_role("button", name="Przyjmij gotówkę").click()
    status = page.locator("#pay-status")
    expect(status).to_contain_text("Za mało gotówki: brakuje")
    assert status.get_attribute("role") == "alert"
    assert _in_view(page, "#pay-status")
    expect(page.locator("#pay")).to_be_visible()


def test_a_wrong_manager_pin_is_said_in_the_dialog_and_keeps_the_basket(page, make_item, app, shop):
    sign_in_by_pin(page, "Ania", "1111")
    _scan(page, make_item(price_minor=10_000)["code"])
    expect(page.locator("#lines tr")).to_have_count(1)
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Rabat na koszyk").click()
    page.locator("#d-value").fill("50")
    page.locator("#d-reason").fill("Plama")
    page.get_by_role("button", name="Zastosuj").click()
    dialog = page.locator("#approval")
    expect(dialog).to_be_visible()
    page.locator("#a-manager").select_option(label="Marek")

    # An empty PIN is not a wrong PIN: said, nothing sent, nothing counted.
    page.get_by_role("button", name="Zatwierdź").click()
    expect(page.locator("#a-error")).to_have_text("Kierownik wpisuje swój PIN.")
    page.locator("#a-pin").fill("9999")
    page.get_by_role("button", name="Zatwierdź").click()
    expect(page.locator("#a-error")).to_have_text("Nieprawidłowy PIN.")
    expect(dialog).to_be_visible()
    expect(page.locator("#a-pin")).to_be_focused()
    assert page.evaluate("window.notReloaded") is True  # the page was not reloaded
    expect(page.locator("#lines tr")).to_have_count(1)
    with app.app_context():  # counted against the volunteer asking, not the manager's PIN
        from lukluk_pos.auth.models import Throttle

        assert db.session.scalar(select(Throttle.failures).where(Throttle.key == f"approval:by:{shop['Ania']}")) == 1

    page.locator("#a-pin").fill("2222")
    page.get_by_role("button", name="Zatwierdź").click()
    expect(page.locator("#total")).to_have_text("50,00\u00a0zł")
    expect(dialog).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()


@pytest.mark.parametrize("how", ["exact", "quick", "card"])
def test_a_scan_right_after_a_mouse_payment_reaches_the_scan_field(page, make_item, how):
    sign_in_by_pin(page, "Ania", "1111")
    first, second = make_item(price_minor=700), make_item(price_minor=900, description="Szalik")
    _scan(page, first["code"])
    expect(page.locator("#lines tr")).to_have_count(1)
    page.keyboard.press("F2")
    expect(page.locator("#pay")).to_be_visible()
    if how == "exact":
        page.get_by_role("button", name="Odliczona kwota").click()
    elif how == "quick":
        page.locator(".cash-quick[data-tendered='1000']").click()
    else:
        page.get_by_role("button", name="Zapłacono kartą").click()
    expect(page.locator("#done")).to_be_visible()
    _scan(page, second["code"])  # the scanner fires as soon as the next customer's item is there
    expect(page.locator("#lines tr")).to_have_count(1)
    expect(page.locator("#lines")).to_contain_text("Szalik")
    expect(page.locator("#scan")).to_be_focused()


def _luminance(rgb: str) -> float:
    parts = [int(p) / 255 for p in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_a_refused_form_focuses_its_first_field_in_error_and_the_focus_ring_is_seen(page, make_item):
    item = make_item()
    sign_in_with_password(page, "Magda")
    page.goto(f"/manage/items/{item['id']}")
    page.get_by_label("Cena (zł)").fill("abc")
    page.get_by_role("button", name="Zapisz").click()
    expect(page.locator(".error-text")).to_have_text("Wpisz kwotę, np. 12,50.")
    expect(page.get_by_label("Cena (zł)")).to_be_focused()
    page.keyboard.press("Tab")  # a keyboard focus: the ring must stand out (WCAG 1.4.11, 3:1)
    ring, background = page.evaluate("""() => [getComputedStyle(document.activeElement).outlineColor,
                                                getComputedStyle(document.body).backgroundColor]""")
    light, dark = sorted([_luminance(ring), _luminance(background)], reverse=True)
    assert (light + 0.05) / (dark + 0.05) >= 3
