"""The API against its own document: schemathesis generates requests from ``/api/v1/openapi.json`` —
valid ones, and ones that break the schema on purpose (wrong types, missing fields, numbers past any
column, NUL bytes, Unicode digits) — and checks every answer: never a 5xx; the status codes, content
types and bodies the document promises; data that breaks the schema refused; no 2xx without credentials.
It runs as a volunteer signed in at a till by PIN (the session cookie and the ``X-CSRFToken`` header),
with the bookkeeper's ``reports:read`` token for the day report, on SQLite and on PostgreSQL.

Random ids rarely name anything, so each operation with a path parameter is also run with it pointing
at something real (the basket's first line, a completed sale, its number, an item's code, a used key),
and every example starts from a basket with a line in it.
"""
from __future__ import annotations

import re
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

from lukluk_pos.core import validation
from lukluk_pos.core.errors import InvalidInput
from lukluk_pos.extensions import db
from tests.conftest import in_app, shop_today

pytestmark = [pytest.mark.csrf]

#: Examples per operation and flavour; a run sends ≥ 5 000 requests per database (asserted).
EXAMPLES = 120
CHECK_NAMES = {
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
    "response_schema_conformance", "negative_data_rejection", "positive_data_acceptance", "ignored_auth",
}


class TillState:
    """The signed-in till and what in the database a request can name."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers
        sale = self.post("/api/v1/till/basket/lines", json={"category_id": 1, "price": "12,50"})
        assert sale.status_code == 201, sale.json
        done = self.post("/api/v1/till/basket/complete",
                         json={"key": "fuzz-sale-0001", "payments": [{"method": "cash", "tendered": "20"}]})
        assert done.status_code == 200, done.json
        self.sale_id, self.number, self.key = done.json["id"], done.json["number"], "fuzz-sale-0001"

    def post(self, url, **kw):
        return self.client.post(url, headers={"X-CSRFToken": self.headers["X-CSRFToken"]}, **kw)

    def first_line(self) -> int:
        """The open basket's first line, adding an open-price one if the basket is empty."""
        lines = self.client.get("/api/v1/till/basket").json["lines"]
        if not lines:
            lines = [self.post("/api/v1/till/basket/lines", json={"category_id": 2, "price": "3"}).json["line"]]
        return lines[0]["id"]

    def real(self, name: str, code: str):
        return {"line_id": self.first_line, "sale_id": lambda: self.sale_id, "number": lambda: str(self.number),
                "code": lambda: code, "key": lambda: self.key, "day": lambda: shop_today().isoformat()}[name]()


def _sign_in_at_the_till(client, shop) -> str:
    """Ania signs in by PIN through the form, as a browser does; the till page's CSRF token."""
    page = client.get(f"/sign-in/{shop['Ania']}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/sign-in/{shop['Ania']}", data={"pin": "1111", "csrf_token": csrf}).status_code == 302
    till_page = client.get("/till").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', till_page).group(1)


@pytest.fixture
def credentials(app, client, shop, make_item):
    from lukluk_pos.auth import service as auth

    item = make_item(kind="bulk", quantity=500, category="Książki", price_minor=400)
    with in_app(app):
        _, token = auth.create_token("Biuro rachunkowe", "reports:read")
        db.session.commit()
    header = _sign_in_at_the_till(client, shop)
    cookies = {c.key: c.value for c in client._cookies.values()}
    headers = {"X-CSRFToken": header, "Authorization": f"Bearer {token}"}
    return headers, cookies, TillState(client, headers), item["code"]


def _documented_rules_hold(case) -> bool:
    """The rules the document states in words because JSON Schema cannot carry them to a generator: a NIP's
    checksum, at most one cash and one card payment, a reason for any discount that is not a removal, a
    sale's line refunded once per request. Positive data is filtered by them (the server refuses them
    with 422, as documented); every other rule is in the schema itself."""
    body = case.body if isinstance(case.body, dict) else {}
    nip = body.get("buyer_nip")
    if isinstance(nip, str) and nip:
        try:
            validation.nip(nip)  # the server's own reading: "PL", dashes and spaces dropped, the checksum
        except InvalidInput:
            return False
    if _repeats(body.get("payments"), "method"):
        return False
    if body.get("kind") in ("percent", "amount") and not body.get("reason"):
        value = body.get("value")
        removal = value == 0 or (isinstance(value, str) and not any(ch in "123456789" for ch in value))
        if not removal:
            return False
    return not _repeats(body.get("lines"), "line_id")


def _repeats(entries, key: str) -> bool:
    """Whether a list of objects names the same ``key`` twice."""
    named = [entry.get(key) for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []
    return len(named) != len(set(named))


def _fuzz(operation, flavour, *, credentials, checks, failures: list[str], statuses: Counter) -> int:
    """Send up to ``EXAMPLES`` generated requests to one operation; collect what the checks refuse."""
    headers, cookies, state, code = credentials
    mode = GenerationMode.NEGATIVE if flavour == "negative" else GenerationMode.POSITIVE
    real_params = [p.name for p in operation.path_parameters] if flavour == "real" else []
    sent = 0

    strategy = operation.as_strategy(generation_mode=mode, headers=headers, cookies=cookies)
    if mode is GenerationMode.POSITIVE:
        strategy = strategy.filter(_documented_rules_hold)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        nonlocal sent
        sent += 1
        state.first_line()
        for name in real_params:
            case.path_parameters[name] = state.real(name, code)
        try:
            response = case.call_and_validate(checks=checks)
            statuses[(operation.label, flavour, response.status_code)] += 1
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 — collected, reported together
            failures.append(f"{operation.label} ({flavour}): {str(exc)[:1500]}")

    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid (no body, no parameters)
        assert mode is GenerationMode.NEGATIVE
    return sent


def test_the_api_keeps_its_document(app, credentials):
    load_all_checks()
    checks = [c for c in CHECKS.get_all() if c.__name__ in CHECK_NAMES]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    statuses: Counter = Counter()
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        flavours = ["positive", "negative"] + (["real"] if list(operation.path_parameters) else [])
        for flavour in flavours:
            sent += _fuzz(operation, flavour, credentials=credentials, checks=checks, failures=failures,
                          statuses=statuses)
    print("\n".join(f"{label} {flavour} {status}: {n}" for (label, flavour, status), n in sorted(statuses.items())))
    assert not failures, "\n\n".join(failures[:400]) + f"\n\n{len(failures)} failures in {sent} requests"
    assert sent >= 5000, sent
    assert sum(n for (_, _, status), n in statuses.items() if status < 300) >= 500, "too few requests got through"


def _operations(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation, document


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_document_declares_how_to_sign_in(app):
    operations = list(_operations(app))
    schemes = operations[0][3]["components"]["securitySchemes"]
    assert schemes["session"] == {**schemes["session"], "type": "apiKey", "in": "cookie", "name": "lukluk_session"}
    assert schemes["token"] == {**schemes["token"], "type": "http", "scheme": "bearer"}
    for path, method, operation, _ in operations:
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        if operation["security"] and method not in ("GET", "HEAD"):
            assert headers["X-CSRFToken"]["required"] is True, (method, path)
        elif method == "GET":
            assert "X-CSRFToken" not in headers
    day = next(op for path, _, op, _ in operations if path.endswith("/days/{day}"))
    assert day["parameters"][0]["schema"] == {"type": "string", "format": "date", "pattern": r"^2[0-9]{3}-[0-9]{2}-[0-9]{2}$",
                                              "description": "A day from 2000-01-01 to 2999-12-31."}
    assert day["security"] == [{"session": []}, {"token": []}]


@pytest.mark.parametrize("with_cookie_of_nobody", [False, True])
def test_a_stranger_gets_401_on_every_operation_not_a_csrf_error(app, shop, with_cookie_of_nobody):
    client = app.test_client()
    if with_cookie_of_nobody:  # a session cookie from another install or an ended sign-in
        client.set_cookie("lukluk_session", "eyJzaWQiOiJ4In0.ZZZZZZ.invalid")
    checked = 0
    for path, method, operation, _ in _operations(app):
        if not operation["security"]:
            continue
        response = client.open(_concrete(path), method=method, json={} if method != "GET" else None)
        assert response.status_code == 401, (method, path, response.status_code, response.json)
        assert response.json["error"] == "unauthenticated" and response.json["message"] == "Zaloguj się."
        checked += 1
    assert checked >= 20


def test_a_method_the_path_does_not_have_is_405_with_allow(app, client, shop):
    _sign_in_at_the_till(client, shop)  # with CSRF on: the 405 comes before any CSRF check
    documented: dict[str, set[str]] = {}
    for path, method, _, _ in _operations(app):
        documented.setdefault(path, set()).add(method)
    for path, methods in documented.items():
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - methods:
            response = client.open(_concrete(path), method=method)
            assert response.status_code == 405, (method, path, response.status_code)
            allowed = {m.strip() for m in response.headers["Allow"].split(",")}
            assert methods <= allowed <= methods | {"HEAD", "OPTIONS"}, (path, allowed)
            assert response.json["error"] == "method_not_allowed"
