"""One place that turns pydantic schemas into request validation and the OpenAPI 3 document.

An endpoint is declared once with ``@endpoint``: the same models validate its requests and appear
in ``/api/v1/openapi.json``, so the document cannot drift from what the server accepts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from ..core.access import Access
from ..core.errors import InvalidInput
from .schemas import ErrorOut

_MESSAGES = {
    "missing": _l("This field is required."),
    "int_type": _l("Enter a whole number."),
    "int_parsing": _l("Enter a whole number."),
    "int_from_float": _l("Enter a whole number."),
    "string_type": _l("Enter text."),
    "bool_type": _l("Choose yes or no."),
    "bool_parsing": _l("Choose yes or no."),
    "list_type": _l("A list is expected here."),
    "literal_error": _l("Choose one of the allowed values."),
    "enum": _l("Choose one of the allowed values."),
    "extra_forbidden": _l("This field is not expected."),
    "string_pattern_mismatch": _l("This value has the wrong form."),
    "model_type": _l("An object is expected here."),
    "model_attributes_type": _l("An object is expected here."),
    "json_invalid": _l("The request is not valid JSON."),
    "one_source": _l("Give exactly one of: a code, an item or a category."),
    "price_needed": _l("Type a price."),
    "money": _l("Enter an amount like 12,50."),
    "reason": _l("Type the reason (a word or a number)."),
    "nip": _l("This is not a valid NIP: a NIP has 10 digits."),
    "key": _l("The till sent no valid request key; reload the page."),
    "pin": _l("The PIN must be 4 to 6 digits."),
    "percent": _l("The discount must be from 0 to 100 percent."),
    "union_tag_invalid": _l("Choose one of the allowed values."),
    "union_tag_not_found": _l("This field is required."),
}
#: Fields that carry money: a wrong type or form there gets the amount message, not "a whole number".
_MONEY_FIELDS = frozenset({"price", "value", "amount", "tendered"})
#: Text fields whose pattern states a rule: the rule's own message.
_TEXT_FIELDS = {"reason": "reason", "buyer_nip": "nip", "key": "key", "pin": "pin"}
_RANGE = {
    "greater_than_equal": (_l("Must be at least %(limit)s."), "ge"),
    "less_than_equal": (_l("Must be at most %(limit)s."), "le"),
    "string_too_long": (_l("At most %(limit)s characters."), "max_length"),
    "string_too_short": (_l("At least %(limit)s characters."), "min_length"),
    "too_long": (_l("At most %(limit)s entries."), "max_length"),
    "too_short": (_l("At least %(limit)s entries."), "min_length"),
}


def _money_problem(value) -> str | None:
    """What the server's own money rules say of a refused amount (negative, too large, zero, not money),
    in the words a form at the till uses; None when they take it (a schema limit refused it)."""
    from ..core.validation import money

    if isinstance(value, float):
        value = str(value)  # 5.5 is no integer of grosze: as text it is told apart the same way
    try:
        money(value if isinstance(value, (int, str)) and not isinstance(value, bool) else None, field="")
    except InvalidInput as exc:
        return exc.describe()
    return None


def translate(error: ValidationError) -> InvalidInput:
    """pydantic's errors as one translated message per field. An amount gets the money rules' own message
    ("Kwota nie może być ujemna."), without the field's label, as a form at the till says it."""
    errors: dict[str, str] = {}
    plain: set[str] = set()
    for item in error.errors(include_url=False):
        kind = item["type"]
        if kind == "value_error":  # our model validators raise ValueError("<code>")
            kind = str(item.get("ctx", {}).get("error", ""))
        loc = _location(item["loc"])
        name = loc.rsplit(".", 1)[-1]
        if "percent-off" in item["loc"] and name == "value":  # a percentage, not an amount of money
            kind = "percent"
        if kind in ("union_tag_invalid", "union_tag_not_found"):  # a discount's ``kind`` names its shape
            loc, name = "kind", "kind"
        if name in _MONEY_FIELDS and loc not in errors and isinstance(item.get("input"), (int, str)) and \
                not isinstance(item.get("input"), bool) and \
                kind.endswith(("_type", "_parsing", "_pattern_mismatch", "greater_than_equal", "less_than_equal")):
            problem = _money_problem(item.get("input"))
            if problem is not None:
                errors[loc] = problem
                plain.add(loc)
                continue
        if name in _MONEY_FIELDS and kind.endswith(("_type", "_parsing", "_from_float", "_pattern_mismatch")):
            kind = "money"
        elif name in _TEXT_FIELDS and kind == "string_pattern_mismatch":
            kind = _TEXT_FIELDS[name]
        if kind == "percent":  # says what it is about ("Rabat musi wynosić …"): no label before it
            errors.setdefault(loc, str(_MESSAGES["percent"]))
            plain.add(loc)
            continue
        if kind in _RANGE:
            template, key = _RANGE[kind]
            text = str(template) % {"limit": item.get("ctx", {}).get(key, "?")}
        else:
            text = str(_MESSAGES.get(kind, _l("This value is not valid.")))
        errors.setdefault(loc, text)
    first_field, first_text = next(iter(errors.items()))
    if first_field in plain:
        return InvalidInput(first_text, field=first_field, errors=errors)
    return InvalidInput(_l("%(label)s: %(problem)s"), field=first_field, errors=errors,
                        label=_field_label(first_field), problem=first_text)


_LABELS = {
    "code": _l("Code"), "quantity": _l("Quantity"), "price": _l("Price"), "value": _l("Value"),
    "reason": _l("Reason"), "description": _l("Description"), "tendered": _l("Cash given"),
    "amount": _l("Amount"), "payments": _l("Payment"), "key": _l("Request key"), "lines": _l("Lines"),
    "method": _l("Payment method"), "kind": _l("Discount type"), "body": _l("Request"),
    "category_id": _l("Category"), "item_id": _l("Item"), "pin": _l("PIN"), "manager_id": _l("Manager"),
    "q": _l("Search"),
}


def _location(loc: tuple) -> str:
    """A field's dotted path, without pydantic's union-branch tags (``int``, ``constrained-str``…)."""
    parts = [str(p) for p in loc
             if not (isinstance(p, str) and (p in ("int", "str", "bool") or "-" in p or "[" in p))]
    return ".".join(parts) or "body"


def _field_label(loc: str) -> str:
    name = next((p for p in reversed(loc.split(".")) if not p.isdigit()), loc)
    return str(_LABELS.get(name, name))


@dataclass
class Endpoint:
    method: str
    path: str
    summary: str
    access: Access
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    tags: list[str] = field(default_factory=list)
    params: dict[str, dict] = field(default_factory=dict)


ENDPOINTS: list[Endpoint] = []


def endpoint(bp, method: str, path: str, *, summary: str, access: Access, body=None, query=None,
             response=None, status: int = 200, tag: str = "till", params: dict[str, dict] | None = None):
    """Register a JSON route whose body/query is validated by pydantic and documented in OpenAPI;
    ``params`` gives a text path parameter's JSON schema (``{"day": {"format": "date"}}``)."""
    spec = Endpoint(method.upper(), path, summary, access, body, query, response, status, [tag], params or {})
    ENDPOINTS.append(spec)

    def decorate(view):
        @wraps(view)
        def wrapper(**kwargs):
            try:
                if body is not None:
                    if not request.is_json:
                        raise InvalidInput(_l("The request is not valid JSON."), field="body")
                    kwargs["data"] = body.model_validate_json(request.get_data(cache=True))
                if query is not None:
                    kwargs["params"] = query.model_validate(request.args.to_dict())
            except ValidationError as exc:
                raise translate(exc) from None
            result = view(**kwargs)
            if isinstance(result, BaseModel):  # pydantic writes the JSON itself (no dict, no json.dumps)
                return current_app.response_class(result.model_dump_json(), status=status,
                                                  mimetype="application/json")
            return result

        wrapper.access = access
        bp.add_url_rule(path, view_func=wrapper, methods=[spec.method])
        return wrapper

    return decorate


def openapi_document(prefix: str) -> dict:
    """The OpenAPI 3.1 document of every registered endpoint."""
    models = {m for e in ENDPOINTS for m in (e.body, e.query, e.response) if m is not None} | {ErrorOut}
    _, defs = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
                                 ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for e in ENDPOINTS:
        openapi_path = prefix + e.path.replace("<int:", "{").replace("<", "{").replace(">", "}")
        operation: dict = {
            "summary": e.summary,
            "tags": e.tags,
            "security": _SECURITY[e.access],
            "responses": {
                str(e.status): {"description": "OK", **({"content": {"application/json": {"schema": {
                    "$ref": f"#/components/schemas/{e.response.__name__}"}}}} if e.response else {})},
                "4XX": {"description": "Refused, with a translated message",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}},
            },
        }
        params = [_path_param(name, e.params) for name in _path_params(e.path)]
        if e.method not in ("GET", "HEAD") and e.access is not Access.PUBLIC:
            params.append(CSRF_HEADER)
        if e.query is not None:
            query = e.query.model_json_schema()
            for name, schema in query["properties"].items():
                params.append({"name": name, "in": "query", "required": name in query.get("required", ()),
                               "schema": schema})
        if params:
            operation["parameters"] = params
        if e.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
                "$ref": f"#/components/schemas/{e.body.__name__}"}}}}
        paths.setdefault(openapi_path, {})[e.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "LukLuk POS", "version": "1",
                 "description": "The till's JSON API. Amounts are integers of grosze (1 zł = 100)."},
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "lukluk_session",
                            "description": "A sign-in (a PIN at a till, or a manager's password). Every change "
                                           "also needs the X-CSRFToken header."},
                "token": {"type": "http", "scheme": "bearer",
                          "description": "An API token with the reports:read scope (the bookkeeper's): "
                                         "reads the day reports and their downloads, nothing else."},
            },
        },
    }


#: Who may call an operation, as OpenAPI security requirements (alternatives, any one suffices).
_SECURITY = {
    Access.PUBLIC: [],
    Access.TILL: [{"session": []}],
    Access.MANAGER: [{"session": []}],
    Access.ADMIN: [{"session": []}],
    Access.REPORTS: [{"session": []}, {"token": []}],
}

#: A change made with the session cookie carries the token from the page's ``csrf-token`` meta tag.
CSRF_HEADER = {
    "name": "X-CSRFToken", "in": "header", "required": True,
    "description": "The CSRF token of the signed-in page (its <meta name=\"csrf-token\">); without it a "
                   "change is refused with 400 ``csrf``.",
    "schema": {"type": "string", "minLength": 1},
}

#: A database id in a path: the route takes 1 to PostgreSQL's largest integer, in ASCII digits.
_ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def _path_param(name: str, extra: dict[str, dict]) -> dict:
    converter, _, bare = name.rpartition(":")
    schema = dict(_ID_SCHEMA) if converter == "int" else {"type": "string", **extra.get(bare, {})}
    return {"name": bare, "in": "path", "required": True, "schema": schema}


def _path_params(path: str) -> list[str]:
    out, rest = [], path
    while "<" in rest:
        start = rest.index("<")
        end = rest.index(">", start)
        out.append(rest[start + 1:end])
        rest = rest[end + 1:]
    return out

