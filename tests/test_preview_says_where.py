"""With no receipt printer (preview), nothing says "printing" (#28 point 4): the gift confirmation opens as
its A4 page, a receipt copy and the day's report say they are on their page, an item's label opens on an
A4 sheet, as the label queue's message already did."""
from sqlalchemy import select

from lukluk_pos.extensions import db
from lukluk_pos.printing.models import JobKind, PrintJob
from tests.conftest import in_app, shop_today
from tests.test_gift_confirmation import _donation

NOTHING_PRINTED = "nic się nie wydrukowało"


def test_nothing_says_printing_without_a_printer(app, client, sign_in, shop, make_item):
    sign_in("Ania")
    batch_id = _donation(app, client)
    gift = client.post(f"/intake/batches/{batch_id}/confirmation",
                       data={"donor_name": "Zofia Nowak", "donor_address": "ul. Bema 4, Sopot", "target": "printer"})
    assert gift.status_code == 302 and gift.location.endswith(f"/intake/batches/{batch_id}/confirmation?value=0")
    page = client.get(gift.location).get_data(as_text=True)
    assert "Zofia Nowak" in page and NOTHING_PRINTED in page and "w drodze do drukarki" not in page
    with in_app(app):
        assert db.session.scalar(select(PrintJob).where(PrintJob.kind == JobKind.GIFT)) is None

    item = make_item()
    label = client.post(f"/intake/items/{item['id']}/label")
    assert label.status_code == 302 and f"item={item['id']}" in label.location
    sheet = client.get(label.location).get_data(as_text=True)
    assert sheet.count(item["code"]) >= 1 and NOTHING_PRINTED in sheet

    client.post("/api/v1/till/basket/lines", json={"code": item["code"]})
    sale = client.post("/api/v1/till/basket/complete", json={"key": "preview-sale-01",
                                                             "payments": [{"method": "card"}]}).json
    copy = client.post(f"/receipts/{sale['id']}/reprint", follow_redirects=True).get_data(as_text=True)
    assert NOTHING_PRINTED in copy and "w drodze do drukarki" not in copy
    assert client.post(f"/api/v1/sales/{sale['id']}/reprint").json["status"] == "preview"

    sign_in("Marek", password=True)
    day = shop_today().isoformat()
    report = client.post(f"/reports/days/{day}/print", follow_redirects=True).get_data(as_text=True)
    assert NOTHING_PRINTED in report and "drukuje się" not in report
