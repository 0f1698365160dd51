"""Every registered route × every role: the server refuses what a role may not do.

The table below is the intended access of each endpoint, written out by hand. The test fails if a
route exists that the table does not list, so a new route cannot slip in unreviewed.
"""

PUBLIC, TILL, MANAGER, ADMIN = "public", "till", "manager", "admin"

EXPECTED = {
    "static": PUBLIC,
    "core.index": PUBLIC,
    "core.set_language": PUBLIC,
    "auth.setup": PUBLIC,
    "health.health": PUBLIC,
    "auth.sign_in": PUBLIC,
    "auth.pin_sign_in": PUBLIC,
    "auth.manager_sign_in": PUBLIC,
    "auth.sign_out": TILL,
    "auth.users": ADMIN,
    "auth.new_user": ADMIN,
    "auth.edit_user": ADMIN,
    "auth.unlock_user": ADMIN,
    "auth.settings": ADMIN,
    "core.backups": ADMIN, "core.send_backup": ADMIN, "core.recovery_sheet": ADMIN,
    "auth.add_till": ADMIN,
    "auth.use_till_here": ADMIN,
    "catalog.categories": MANAGER,
    "catalog.edit_category": MANAGER,
    "catalog.items": MANAGER,
    "catalog.new_item": MANAGER,
    "catalog.item": MANAGER,
    "till.till_page": TILL,
    "till.refund_page": TILL,
    "till.baskets": MANAGER,
    "till.void_basket": MANAGER,
    "till.refund": TILL,
    "till.scan": TILL,
    "api.openapi": PUBLIC,
    "api.get_basket": TILL,
    "api.add_line": TILL,
    "api.change_quantity": TILL,
    "api.remove_line": TILL,
    "api.line_discount": TILL,
    "api.line_price": TILL,
    "api.basket_discount": TILL,
    "api.void_basket": TILL,
    "api.complete": TILL,
    "api.completion": TILL,
    "api.sale_by_number": TILL,
    "api.refund": TILL,
    "api.search": TILL,
    "api.item_by_code": TILL,
    "api.categories": TILL,
    "api.reprint": TILL,
    "api.fiscal_retry": TILL,
    "fiscal.printer": ADMIN,
    "fiscal.waiting": MANAGER,
    "fiscal.retry": MANAGER,
    "fiscal.settle": MANAGER,
    "fiscal.protocol": TILL,
    "fiscal.registers": MANAGER,
    "api.open_drawer": TILL,
    "api.printer_status": TILL,
    "printing.receipt": TILL,
    "printing.reprint": TILL,
    "printing.printer": ADMIN,
    "printing.test_page": ADMIN,
    "printing.retry": ADMIN,
    "api.suggest_price": TILL,
    "intake.batches": TILL,
    "intake.batch": TILL,
    "intake.print_labels": TILL,
    "intake.reprint_label": TILL,
    "intake.label_sheet": TILL,
    "intake.sheet_printed": TILL,
    "intake.barcode": TILL,
    "intake.guide": MANAGER,
    "intake.guide_category": MANAGER,
    "intake.rotation": MANAGER,
    "intake.markdown": MANAGER,
    "intake.pull": MANAGER,
    "intake.colours": MANAGER,
    "intake.export_donor": MANAGER,
    "intake.erase_donor": MANAGER,
    "api.day_figures": MANAGER,  # or a reports:read token (tests/test_day_figures.py)
    "cash.drawer": TILL,
    "cash.open_till": TILL,
    "cash.movement": TILL,
    "cash.count": TILL,
    "cash.session_page": TILL,
    "cash.sign_off": TILL,  # a volunteer's form carries the manager's PIN
    "cash.day": TILL,
    "cash.close_day": TILL,  # whoever closes the shop closes the day
    "reports.days": MANAGER,
    "reports.add_adjustment": MANAGER,
    "reports.day": MANAGER,
    "reports.day_download": MANAGER,  # or a reports:read token
    "reports.month_download": MANAGER,  # or a reports:read token
    "reports.print_day": TILL,
    "reports.reopen": ADMIN,
    "reports.accounts": ADMIN,
    "reports.dashboard": MANAGER,
    "reports.audit_log": MANAGER,
    "reports.period_page": MANAGER,
    "reports.impact_page": MANAGER,
    "reports.period_download": MANAGER,  # or a reports:read token
    "stock.items": MANAGER,
    "stock.write_off": MANAGER,
    "stock.markdown": MANAGER,
    "stock.aging": MANAGER,
    "stock.takes": MANAGER,
    "stock.take": MANAGER,
    "stock.finish_take": MANAGER,
    "intake.gift_confirmation": TILL,
    "intake.gift_page": TILL,
    "invoicing.new": TILL,
    "invoicing.show": TILL,
    "invoicing.pdf": TILL,
    "invoicing.xml": TILL,
    "invoicing.upo": TILL,
    "invoicing.index": MANAGER,
    "invoicing.month_file": MANAGER,  # or a reports:read token
    "invoicing.send_again": MANAGER,
    "invoicing.buyers": MANAGER,
    "invoicing.settings": ADMIN,
}

#: Who is asking: (name, signed in with password?) or None for nobody.
ROLES = {
    "anonymous": None,
    "volunteer": ("Ania", False),
    "manager at the till (PIN)": ("Marek", False),
    "manager (password)": ("Marek", True),
    "admin (password)": ("Magda", True),
}
MAY = {
    "anonymous": {PUBLIC},
    "volunteer": {PUBLIC, TILL},
    "manager at the till (PIN)": {PUBLIC, TILL},
    "manager (password)": {PUBLIC, TILL, MANAGER},
    "admin (password)": {PUBLIC, TILL, MANAGER, ADMIN},
}


def _url(rule):
    values = {arg: (1 if rule._converters[arg].__class__.__name__ == "IntegerConverter" else "1")
              for arg in rule.arguments}
    if rule.endpoint == "static":
        values = {"filename": "app.css"}
    return rule.build(values)[1]


def test_the_table_lists_every_route(app):
    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert registered == set(EXPECTED), (registered - set(EXPECTED), set(EXPECTED) - registered)


def test_every_route_refuses_other_roles(app, shop):
    failures = []
    for role, who in ROLES.items():
        client = app.test_client()
        if who:
            name, password = who
            from tests.conftest import PASSWORDS, PINS

            if password:
                client.post("/sign-in/manager", data={"user_id": shop[name], "password": PASSWORDS[name]})
            else:
                client.post(f"/sign-in/{shop[name]}", data={"pin": PINS[name]})
        for rule in app.url_map.iter_rules():
            if rule.endpoint in ("auth.sign_out", "core.set_language"):
                continue  # they change the very session under test; covered in test_auth_views
            url = _url(rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method, json={} if url.startswith("/api/") else None,
                                       data=None if url.startswith("/api/") else {})
                status = response.status_code
                response.close()
                to_sign_in = status == 302 and "/sign-in" in (response.location or "")
                refused = status in (401, 403) or to_sign_in
                allowed = EXPECTED[rule.endpoint] in MAY[role]
                if allowed and refused and rule.endpoint != "core.index":  # "/" sends nobody to sign in
                    failures.append(f"{role} refused {method} {url} ({status})")
                if not allowed and not refused:
                    failures.append(f"{role} got through {method} {url} ({status})")
                if status >= 500:
                    failures.append(f"{role} {method} {url} gave {status}")
    assert not failures, "\n".join(failures)
