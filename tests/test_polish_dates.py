"""#28 point 11: Polish pages write days as 29.11.2026 (../shared/GLOSSARY-PL.md); ISO 2026-11-29 only in
files, the API and form values. Every page of the app, opened by the admin after a day with a sale, a
refund, an invoice, a donation and a count short of its float, is read as text: no ISO day in it."""
import re

import pytest

from tests.conftest import shop_today
from tests.test_form_fuzz import _pages, _seed_with_token, _sign_in_with_token

ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_polish_page_shows_an_iso_day(app, make_item, shop):
    client = app.test_client()
    _sign_in_with_token(client, shop, "Magda", True)
    _seed_with_token(app, client, shop, make_item)
    _sign_in_with_token(client, shop, "Magda", True)
    found, read = [], 0
    for page in _pages(app) + [f"/reports/days/{shop_today().isoformat()}"]:
        response = client.get(page)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        if page.startswith("/receipts/"):  # the receipt's paper, as the printer prints it (and fiscal ones do)
            continue
        read += 1
        html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
        text = re.sub(r"<[^>]+>", " ", html)  # what a person reads: no attributes, no form values
        found += [f"{page}: …{text[max(0, m.start() - 60):m.end() + 20]!r}…" for m in ISO_DAY.finditer(text)]
    assert read > 40
    assert not found, "ISO days on Polish pages:\n" + "\n".join(found)
