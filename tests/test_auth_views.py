"""First start, signing in and out, lockout, users, CSRF and the language switch, through HTTP."""
import re

import pytest
from sqlalchemy import func, select

from lukluk_pos.auth.models import LoginSession, User
from lukluk_pos.core.models import AuditEvent, Shop
from lukluk_pos.extensions import db
from tests.conftest import PASSWORDS, PINS

SETUP = dict(shop_name="LukLuk", address="ul. Morska 1, 81-700 Sopot", nip="585-123-45-68", name="Magda",
             pin="1234", password="tajnehaslo1", password_again="tajnehaslo1", standard_categories="y")


def test_first_start_shows_setup_then_creates_the_shop_and_manager(app, client):
    response = client.get("/")
    assert response.status_code == 302 and response.location.endswith("/setup")
    assert client.get("/till").location.endswith("/setup")
    page = client.get("/setup").get_data(as_text=True)
    assert "Konfiguracja sklepu" in page and 'lang="pl"' in page
    response = client.post("/setup", data=SETUP)
    assert response.status_code == 302 and response.location.endswith("/till")
    assert "Do zapłaty" in client.get("/till").get_data(as_text=True)
    with app.app_context():
        shop = db.session.scalar(select(Shop))
        assert (shop.name, shop.nip) == ("LukLuk", "5851234568")
        magda = db.session.scalar(select(User))
        assert magda.role.value == "admin" and magda.pin_hash.startswith("$argon2id$")
        assert "1234" not in magda.pin_hash
    assert client.get("/setup").status_code == 404  # never again


@pytest.mark.parametrize("field, value, message", [
    ("pin", "12a4", "PIN musi mieć od 4 do 6 cyfr."),
    ("nip", "1234567890", "To nie jest prawidłowy NIP"),
    ("password_again", "inne-haslo", "Hasła się różnią."),
    ("shop_name", "", "To pole jest wymagane."),
    ("name", "x" * 10_000, "Najwyżej 60 znaków."),
])
def test_setup_refuses_bad_input_whole(app, client, field, value, message):
    response = client.post("/setup", data=SETUP | {field: value})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(func.count()).select_from(Shop)) == 0


def test_pin_sign_in_changes_the_session_and_sign_out_kills_it(app, client, shop):
    client.get("/sign-in")
    before = client.get_cookie("lukluk_session")
    response = client.post(f"/sign-in/{shop['Ania']}", data={"pin": "1111"})
    assert response.status_code == 302
    after = client.get_cookie("lukluk_session").value
    assert before is None or before.value != after
    assert client.get("/till").status_code == 200
    client.post("/sign-out")
    assert client.get("/till").status_code == 302
    # The old cookie, replayed, opens nothing: the server ended that sign-in.
    replay = app.test_client()
    replay.set_cookie("lukluk_session", after)
    assert replay.get("/till").status_code == 302
    assert replay.get("/api/v1/till/basket").status_code == 401
    with app.app_context():
        login = db.session.scalar(select(LoginSession))
        assert login.ended_at is not None


def test_five_wrong_pins_make_this_source_wait_and_are_logged(app, client, shop):
    for _attempt in range(5):
        response = client.post(f"/sign-in/{shop['Ania']}", data={"pin": "0000"})
    assert response.status_code == 423
    assert "Zbyt wiele błędnych prób stąd" in response.get_data(as_text=True)
    response = client.post(f"/sign-in/{shop['Ania']}", data={"pin": "1111"})
    assert response.status_code == 423  # this source waits, even with the right PIN
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions.count("auth.failed") == 5 and actions.count("auth.delayed") == 1
        assert actions.count("auth.refused_waiting") == 1


def test_a_manager_needs_the_password_for_the_back_office(client, sign_in):
    sign_in("Marek")
    response = client.get("/manage/items")
    assert response.status_code == 302 and "/sign-in/manager" in response.location
    sign_in("Marek", password=True)
    assert client.get("/manage/items").status_code == 200
    assert client.get("/admin/users").status_code == 403  # a manager is not an admin


def test_a_volunteer_has_no_password_sign_in(client, shop):
    response = client.post("/sign-in/manager", data={"user_id": shop["Ania"], "password": "whatever1"})
    assert response.status_code in (401, 404)


def test_admin_adds_a_volunteer_who_can_then_sign_in(app, client, sign_in):
    sign_in("Magda", password=True)
    response = client.post("/admin/users/new", data={"name": "Zosia", "role": "volunteer", "pin": "4321", "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        zosia = db.session.scalar(select(User).where(User.name == "Zosia"))
        assert zosia.password_hash is None
    other = app.test_client()
    assert other.post(f"/sign-in/{zosia.id}", data={"pin": "4321"}).status_code == 302
    duplicate = client.post("/admin/users/new", data={"name": "zosia", "role": "volunteer", "pin": "4321"})
    assert duplicate.status_code == 422 and "Ktoś już ma taką nazwę." in duplicate.get_data(as_text=True)


@pytest.mark.csrf
def test_a_change_without_the_csrf_token_is_refused(app, client, shop):
    page = client.get(f"/sign-in/{shop['Ania']}").get_data(as_text=True)
    response = client.post(f"/sign-in/{shop['Ania']}", data={"pin": "1111"})
    assert response.status_code == 400
    assert "Odśwież stronę" in response.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/sign-in/{shop['Ania']}", data={"pin": "1111", "csrf_token": token})
    assert response.status_code == 302
    api = client.post("/api/v1/till/basket/lines", json={"code": "2000000000015"})
    assert api.status_code == 400 and api.json["error"] == "csrf"
    till_page = client.get("/till").get_data(as_text=True)
    header = re.search(r'name="csrf-token" content="([^"]+)"', till_page).group(1)
    ok = client.post("/api/v1/till/basket/lines", json={"code": "2000000000015"}, headers={"X-CSRFToken": header})
    assert ok.status_code == 404  # past CSRF: the code simply does not exist


def test_english_is_one_click_away_and_stays(client, shop):
    assert "Kto jest przy kasie?" in client.get("/sign-in").get_data(as_text=True)
    response = client.post("/language", data={"lang": "en", "next": "/sign-in"})
    assert response.status_code == 302 and response.location.endswith("/sign-in")
    page = client.get("/sign-in").get_data(as_text=True)
    assert "Who is at the till?" in page and 'lang="en"' in page
    assert client.post("/language", data={"lang": "en", "next": "//evil.example"}).location == "/"


def test_security_headers_on_every_page(client, shop):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    body = response.get_data(as_text=True)
    assert "<script>" not in body and "http://" not in body.replace("http://localhost", "")


def test_changing_person_ends_the_previous_sign_in(app, client, sign_in, shop):
    """Hours at the till end when the next person signs in at the same browser."""
    from sqlalchemy import select

    from lukluk_pos.auth.models import LoginSession
    from lukluk_pos.extensions import db

    sign_in("Ania")
    sign_in("Marek")
    with app.app_context():
        rows = db.session.execute(select(LoginSession.user_id, LoginSession.ended_at).order_by(LoginSession.id)).all()
    assert [user for user, _ended in rows] == [shop["Ania"], shop["Marek"]]
    assert rows[0][1] is not None and rows[1][1] is None


def test_wrong_pins_never_keep_a_manager_out_of_the_back_office(app, client, shop):
    """#12: anyone at the public sign-in page can type wrong PINs for the manager; that slows the PIN from
    that address only."""
    for _attempt in range(7):
        locked = client.post(f"/sign-in/{shop['Marek']}", data={"pin": "0000"})
    assert locked.status_code == 423
    office = app.test_client()
    signed = office.post("/sign-in/manager", data={"user_id": shop["Marek"], "password": PASSWORDS["Marek"]})
    assert signed.status_code == 302
    # Passwords count on their own; five wrong ones make that address wait (then the right one waits too).
    other = app.test_client()
    for _attempt in range(5):
        refused = other.post("/sign-in/manager", data={"user_id": shop["Marek"], "password": "zlehaslo99"})
    assert refused.status_code == 423
    assert other.post("/sign-in/manager", data={"user_id": shop["Marek"],
                                                "password": PASSWORDS["Marek"]}).status_code == 423
    admin = app.test_client()
    assert admin.post("/sign-in/manager", data={"user_id": shop["Magda"],
                                                "password": PASSWORDS["Magda"]}).status_code == 302
    people = admin.get("/admin/users").get_data(as_text=True)
    assert "czeka do" in people
    assert admin.post(f"/admin/users/{shop['Marek']}/unlock").status_code == 302
    assert "czeka do" not in admin.get("/admin/users").get_data(as_text=True)
    assert other.post("/sign-in/manager", data={"user_id": shop["Marek"],
                                                "password": PASSWORDS["Marek"]}).status_code == 302


def test_a_stranger_typing_wrong_pins_slows_only_their_own_address(app, shop):
    """#27 point 5: wrong PINs for the manager from one address make that address wait; the manager at the
    counter PC (another address) signs in at once, and a right PIN from an address clears its count."""
    stranger = app.test_client()
    for _attempt in range(9):
        waited = stranger.post(f"/sign-in/{shop['Marek']}", data={"pin": "0000"},
                               environ_base={"REMOTE_ADDR": "192.168.1.77"})
    assert waited.status_code == 423
    assert "Spróbuj za" in waited.get_data(as_text=True)
    counter = app.test_client()
    assert counter.post(f"/sign-in/{shop['Marek']}", data={"pin": PINS["Marek"]},
                        environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 302
    # The stranger waits: from the fifth mistake no PIN from there is even checked until the wait is over.
    with app.app_context():
        from lukluk_pos.auth.models import Throttle

        [row] = db.session.scalars(select(Throttle)).all()
        assert row.key == f"pin:{shop['Marek']}:192.168.1.77" and row.failures == 5 and row.wait_until is not None


def test_an_empty_pin_is_not_a_wrong_pin(app, client, shop):
    for _attempt in range(6):
        response = client.post(f"/sign-in/{shop['Ania']}", data={"pin": ""})
        assert response.status_code in (200, 422)
    assert client.post(f"/sign-in/{shop['Ania']}", data={"pin": "1111"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.failed")) is None


EVIL = ["//evil.example/", "/%09/evil.example/", "/\t/evil.example/", "/\n/evil.example/", "/\\evil.example/",
        "https://evil.example/", "/\r\n/evil.example", "\\\\evil.example", "javascript:alert(1)"]


@pytest.mark.parametrize("target", EVIL)
def test_only_the_sites_own_paths_are_followed(app, client, shop, target):
    from urllib.parse import quote, unquote

    sign_in = client.post(f"/sign-in/manager?next={quote(unquote(target), safe='/')}",
                          data={"user_id": shop["Marek"], "password": PASSWORDS["Marek"]})
    assert sign_in.status_code == 302 and sign_in.location == "/reports/", sign_in.location
    language = client.post("/language", data={"lang": "en", "next": unquote(target)})
    assert language.status_code == 302 and language.location == "/"
    day = client.post("/reports/days/2026-11-20/print", data={"next": unquote(target)})
    assert day.status_code == 302 and day.location == "/reports/days/2026-11-20"
    # The site's own paths still work.
    assert client.post("/language", data={"lang": "pl", "next": "/reports/days?x=1"}).location == "/reports/days?x=1"


def test_on_shop_wifi_cookies_are_secure_and_https_answers_carry_hsts(app, client, shop):
    """LUKLUK_SECURE_COOKIES: behind HTTPS, no cookie travels in clear and browsers keep to HTTPS."""
    app.config.update(SECURE_COOKIES=True, SESSION_COOKIE_SECURE=True)
    secure = client.post(f"/sign-in/{shop['Ania']}", data={"pin": "1111", "till_id": "1"},
                         base_url="https://sklep.lukluk.test")
    cookies = secure.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c for c in cookies), cookies
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    language = client.post("/language", data={"lang": "en", "next": "/"}, base_url="https://sklep.lukluk.test")
    assert all("Secure" in c for c in language.headers.getlist("Set-Cookie"))
    # Plain http on the counter PC (the default): no HSTS, and the switch off keeps cookies usable there.
    app.config.update(SECURE_COOKIES=False, SESSION_COOKIE_SECURE=False)
    plain = client.post("/language", data={"lang": "pl", "next": "/"})
    assert "Strict-Transport-Security" not in plain.headers
    assert not any("Secure" in c for c in plain.headers.getlist("Set-Cookie"))
