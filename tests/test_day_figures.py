"""A day's figures add up from the records, to the grosz; the bookkeeper reads them with a token."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lukluk_pos.extensions import db
from lukluk_pos.till.models import Sale
from tests.conftest import shop_today


def _pay(client, key, payments):
    response = client.post("/api/v1/till/basket/complete", json={"key": key, "payments": payments})
    assert response.status_code == 200, response.json
    return response.json


def _day_of_sales(client, sign_in, make_item, shop):
    sign_in("Marek")
    dress = make_item(price_minor=4000, description="Płaszcz")
    books = make_item(price_minor=300, description="Kieszonkowa", category="Książki", kind="bulk", quantity=20)
    client.post("/api/v1/till/basket/lines", json={"code": dress["code"]})
    client.post("/api/v1/till/basket/lines", json={"code": books["code"], "quantity": 3})
    line = client.get("/api/v1/till/basket").json["lines"][0]["id"]
    client.post(f"/api/v1/till/basket/lines/{line}/discount", json={"kind": "percent", "value": 25, "reason": "Plama"})
    client.post("/api/v1/till/basket/discount", json={"kind": "amount", "value": "1,00", "reason": "Stały klient"})
    first = _pay(client, "day-sale-0001", [{"method": "card", "amount": "10"}, {"method": "cash", "tendered": "50"}])
    client.post("/api/v1/till/basket/lines", json={"category_id": 10, "price": "12,50"})
    second = _pay(client, "day-sale-0002", [{"method": "cash", "tendered": "20"}])
    client.post("/api/v1/till/basket/lines", json={"category_id": 7, "price": "2"})
    client.post("/api/v1/till/basket/void", json={"reason": "Pomyłka"})
    found = client.get(f"/api/v1/sales/by-number/{first['number']}").json
    refund = client.post(f"/api/v1/sales/{first['id']}/refunds", json={
        "key": "day-refund-01", "lines": [{"line_id": found["lines"][1]["id"], "quantity": 1}],
        "method": "cash", "reason": "Podwójna"})
    assert refund.status_code == 201
    return first, second, refund.json


def test_the_day_adds_up_to_the_grosz(app, client, sign_in, make_item, shop):
    first, second, refund = _day_of_sales(client, sign_in, make_item, shop)
    sign_in("Marek", password=True)
    today = shop_today()
    day = client.get(f"/api/v1/days/{today.isoformat()}").json
    # sale 1: 40,00 − 25 % = 30,00 + 3 × 3,00 = 39,00 − 1,00 basket = 38,00; sale 2: 12,50
    assert (first["total_minor"], second["total_minor"], refund["total_minor"]) == (3800, 1250, 292)
    assert day["sales_count"] == 2 and day["refunds_count"] == 1 and day["voids_count"] == 1
    assert day["gross_minor"] == 4000 + 900 + 1250
    assert day["discounts_minor"] == 1000 + 100
    assert day["refunds_minor"] == 292
    assert day["net_minor"] == 3800 + 1250 - 292
    assert (day["first_receipt"], day["last_receipt"]) == (1, 3)
    assert day["by_payment_method"]["card"] == {"sales_minor": 1000, "refunds_minor": 0, "tendered_minor": 0,
                                                "change_minor": 0, "net_minor": 1000}
    assert day["by_payment_method"]["cash"] == {"sales_minor": 2800 + 1250, "refunds_minor": 292,
                                                "tendered_minor": 5000 + 2000, "change_minor": 2200 + 750,
                                                "net_minor": 4050 - 292}
    for split in ("by_payment_method", "by_category", "by_vat_code"):
        assert sum(v["net_minor"] for v in day[split].values()) == day["net_minor"], split
    books = day["by_category"]["Książki"]
    assert books == {"id": books["id"], "sales_minor": 877, "refunds_minor": 292, "net_minor": 585}
    assert day["items_sold"] == 1 + 3 + 1 and day["items_taken_in"] == 2 and day["on_duty"] == ["Magda", "Marek"]  # Magda opened the till


@pytest.mark.now("2026-11-27T23:30:00+00:00")  # 00:30 on 28.11 in Sopot: the till opens and sells then
def test_days_follow_the_shops_clock_not_utc(app, client, sign_in, make_item, shop):
    sign_in("Ania")
    client.post("/api/v1/till/basket/lines", json={"category_id": 7, "price": "5"})
    sale = _pay(client, "late-sale-001", [{"method": "card"}])
    with app.app_context():
        assert db.session.get(Sale, sale["id"]).completed_at.date() == date(2026, 11, 27)  # stored in UTC
    sign_in("Marek", password=True)
    assert client.get("/api/v1/days/2026-11-28").json["sales_count"] == 1
    assert client.get("/api/v1/days/2026-11-27").json["sales_count"] == 0


def test_the_bookkeeper_reads_days_with_a_token_that_can_be_revoked(app, client, shop):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["tokens", "create", "Biuro rachunkowe", "--scope", "reports:read"])
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert token.startswith("lk_")
    day = shop_today().isoformat()
    assert client.get(f"/api/v1/days/{day}").status_code == 401
    assert client.get(f"/api/v1/days/{day}", headers={"Authorization": "Bearer lk_wrong"}).status_code == 401
    ok = client.get(f"/api/v1/days/{day}", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json["date"] == day
    bad = client.get("/api/v1/days/28.11.2026", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422 and bad.json["message"] == "Podaj dzień w postaci RRRR-MM-DD."
    # The token reads reports only: the till is closed to it.
    assert client.get("/api/v1/till/basket", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    listed = runner.invoke(args=["tokens", "list"])
    assert "Biuro rachunkowe\treports:read" in listed.output and "aktywny" in listed.output
    assert runner.invoke(args=["tokens", "revoke", "1"]).exit_code == 0
    assert client.get(f"/api/v1/days/{day}", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert runner.invoke(args=["tokens", "create", "x", "--scope", "till:write"]).exit_code == 1
    with app.app_context():
        from lukluk_pos.core.models import AuditEvent

        actions = [e.action for e in db.session.scalars(select(AuditEvent))]
        assert "token.create" in actions and "token.revoke" in actions


def test_a_volunteer_cannot_read_days(client, sign_in):
    sign_in("Ania")
    assert client.get(f"/api/v1/days/{(shop_today() - timedelta(days=1)).isoformat()}").status_code == 403


@pytest.mark.parametrize("odd", ["0001-01-01", "9999-12-31", "1999-12-31", "3000-01-01"])
def test_odd_dates_are_a_clear_refusal_not_a_server_error(client, sign_in, odd):
    sign_in("Marek", password=True)
    for url in (f"/reports/days/{odd}", f"/reports/days/{odd}/z.csv", f"/reports/days/{odd}/z.xlsx",
                f"/cash/day/{odd}"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/api/v1/days/{odd}").status_code == 422
    for url in (f"/reports/audit?start={odd}", f"/reports/audit?end={odd}", f"/reports/period?start={odd}",
                f"/reports/period?end={odd}", f"/reports/impact?start={odd}"):
        response = client.get(url)
        assert response.status_code == 422, (url, response.status_code)
        assert "RRRR-MM-DD" in response.get_data(as_text=True) or "YYYY-MM-DD" in response.get_data(as_text=True)
