"""A closed day's outputs never move (#28 point 1): the accounts, the categories' names and the shop's name,
address and NIP a day was closed with are kept with it, and every output reads them from there — the JSON
day, the day and month files (CSV byte for byte, XLSX cell for cell), the HTML day page and the reprinted
Z report — whatever is renamed or renumbered afterwards.

The CSV dialect (separator, decimal mark) is left out on purpose: it is how the bookkeeper's software
reads a file, not what the day was."""
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from lukluk_pos.auth.models import User
from lukluk_pos.catalog import service as catalog
from lukluk_pos.catalog.models import Category
from lukluk_pos.core.models import Shop
from lukluk_pos.extensions import db
from lukluk_pos.printing.models import JobKind, PrintJob
from lukluk_pos.reports import exports
from tests.conftest import MANAGER_PIN, in_app, shop_today
from tests.test_end_of_day import _post_form, run_two_till_day

COUNTS = ({"d10000": "2", "d2000": "1", "d200": "2", "d50": "1", "d1": "1", "kept": "200", "card_terminal": "10,00"},
          {"d10000": "2", "d2000": "1", "d500": "1", "d200": "2", "d50": "1", "kept": "180", "card_terminal": "6"})


def _outputs(client, day: str) -> dict:
    month = day[:7]
    out = {"json": client.get(f"/api/v1/days/{day}").json}
    for path in (f"/reports/days/{day}/journal", f"/reports/days/{day}/report", f"/reports/months/{month}/journal",
                 f"/reports/months/{month}/report"):
        csv = client.get(path + ".csv")
        assert csv.status_code == 200, path
        assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset (#28 point 11)
        out[path + ".csv"] = csv.data
        book = load_workbook(io.BytesIO(client.get(path + ".xlsx").data))
        out[path + ".xlsx"] = [[cell.value for cell in row] for sheet in book for row in sheet.iter_rows()]
    page = client.get(f"/reports/days/{day}").get_data(as_text=True)
    main = page[page.index("<main"):page.index("</main>")]
    main = re.sub(r'<div class="flashes".*?</div>', "", main, flags=re.S)  # what the last action said
    main = re.sub(r'name="csrf_token"[^>]*', "", main)  # a fresh token each time, in either attribute order
    out["html"] = " ".join(main.split())
    assert client.post(f"/reports/days/{day}/print").status_code == 302
    return out


def _last_report_job(app):
    with in_app(app):
        return db.session.scalars(select(PrintJob.document).where(PrintJob.kind == JobKind.REPORT)
                                  .order_by(PrintJob.id.desc()).limit(1)).one()


def test_a_closed_days_outputs_do_not_move_when_settings_change(app, client, sign_in, make_item, shop):
    client2, *_ = run_two_till_day(app, client, sign_in, make_item, shop)
    _post_form(client, "/cash/count", COUNTS[0])
    _post_form(client2, "/cash/count", COUNTS[1])
    sign_in("Marek", password=True)
    day = shop_today().isoformat()
    with in_app(app):
        books = db.session.scalar(select(Category).where(Category.name == "Książki"))
        exports.save_accounts({f"category:{books.id}": "702-05"})
        db.session.commit()
    _post_form(client, f"/cash/day/{day}", {"confirm": "y", **MANAGER_PIN})
    before = _outputs(client, day)
    z_before = _last_report_job(app)
    assert "702-05" in str(before["json"]["journal"])
    assert "LukLuk" in str(z_before) and "Morska" in str(z_before)

    # Everything that feeds a day's outputs changes after the close.
    with in_app(app):
        magda = db.session.get(User, shop["Magda"])
        books = db.session.scalar(select(Category).where(Category.name == "Książki"))
        catalog.save_category(books, name="Książki i komiksy", default_price=books.default_price_minor,
                              vat_code=books.vat_code, by=magda)
        exports.save_accounts({f"category:{books.id}": "702-99", "cash": "101-09", "card": "146", "revenue": "703",
                               "over_short": "241", "safe": "100-09", "paid_out": "410"})
        current = db.session.scalar(select(Shop))
        current.name, current.address, current.nip = "Sklep Dobroczynny Nowy", "ul. Inna 9, Gdynia", "5260001246"
        db.session.commit()
    after = _outputs(client, day)
    z_after = _last_report_job(app)
    for name in before:
        assert after[name] == before[name], f"{name} moved after the close"
    assert z_after == z_before
    assert "702-99" not in str(after) and "Książki i komiksy" not in str(after["json"])
    assert "Inna 9" not in str(z_after)
