"""Checks shared by every service: text fields and amounts, with translated messages."""
from __future__ import annotations

import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import Length

from .errors import InvalidInput
from .money import MAX_MINOR, MoneyError, format_money, parse_money

_MONEY_MESSAGES = {
    "empty": _l("Enter an amount."),
    "format": _l("Enter an amount like 12,50."),
    "negative": _l("The amount cannot be negative."),
}


def text(value, *, field: str, max_len: int, required: bool = True) -> str:
    """A trimmed text field of at most ``max_len`` characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_l("Enter text."), field=field)
    # Control and format characters never reach a printer, a spreadsheet or a PostgreSQL column (NUL).
    value = "".join(ch for ch in value if ch.isspace() or not unicodedata.category(ch).startswith("C"))
    value = " ".join(value.split())
    if required and not value:
        raise InvalidInput(_l("This field is required."), field=field)
    if len(value) > max_len:
        raise InvalidInput(_l("At most %(count)d characters."), field=field, count=max_len)
    return value


def money(value, *, field: str, allow_zero: bool = False) -> int:
    """An amount typed or sent by the till, in grosze, between 0,01 zł (or 0) and 100 000 zł."""
    try:
        minor = parse_money(value)
    except MoneyError as exc:
        if exc.code == "too_large":
            raise InvalidInput(
                _l("The amount cannot be more than %(max)s."), field=field, max=format_money(MAX_MINOR)
            ) from None
        raise InvalidInput(_MONEY_MESSAGES[exc.code], field=field) from None
    if minor == 0 and not allow_zero:
        raise InvalidInput(_l("The amount must be more than zero."), field=field)
    return minor


#: The largest id or count a column holds: PostgreSQL's ``integer`` (SQLite's are wider, 2**63 - 1).
MAX_INT = 2**31 - 1


def whole_number(value, *, low: int = 0, high: int = MAX_INT) -> int | None:
    """ASCII digits or an int within ``low``–``high``; None for anything else: "²" and "①" pass
    ``str.isdigit`` but not ``int()``, "٣" passes ``int()`` but is no digit a till types, and 2**40 fits
    no column."""
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or len(value) > 18:
            return None
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        return None
    return value


def _or_value_error(number: int | None) -> int:
    """For ``request.args.get(..., type=…)`` and WTForms' ``coerce``: ValueError is how they learn a value
    is not one, and then the caller's default applies (or the form shows an invalid choice)."""
    if number is None:
        raise ValueError("not a whole number in range")
    return number


def record_id(value) -> int:
    """A row's id from a query string or a form."""
    return _or_value_error(whole_number(value, low=1))


def choice_id(value) -> int:
    """A select's value: a row's id, or 0 for "none"."""
    return _or_value_error(whole_number(value))


def page_number(value) -> int:
    """A page of a list (``?page=``): 1 to 100 000; beyond, the first page is shown."""
    return _or_value_error(whole_number(value, low=1, high=100_000))


#: The days a shop's records can mean: anything outside is a typing error (and year 1 or 9999 would
#: overflow the day's bounds in UTC).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def iso_day(text) -> date:
    """A day written YYYY-MM-DD within FIRST_DAY–LAST_DAY; ValueError for anything else."""
    text = text.strip() if isinstance(text, str) else ""
    value = date.fromisoformat(text) if len(text) == 10 and text.isascii() else None
    if value is None or not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(text)
    return value


def signed_money(value, *, field: str) -> int:
    """An amount that may be below zero (a card terminal's day with more refunds than sales): "-32,50",
    "−32,50" (the typographic minus) or "32,50", each side bounded like ``money``."""
    text_value = value.strip() if isinstance(value, str) else value
    if isinstance(text_value, str) and text_value[:1] in ("-", "\u2212"):
        return -money(text_value[1:].strip(), field=field, allow_zero=True)
    return money(text_value, field=field, allow_zero=True)


def quantity(value, *, field: str = "quantity", maximum: int = 999) -> int:
    """A whole number of pieces from 1 to ``maximum``."""
    if isinstance(value, str):
        value = whole_number(value) if value.strip() else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(_l("Enter a whole number."), field=field)
    if not 1 <= value <= maximum:
        raise InvalidInput(_l("The quantity must be from 1 to %(max)d."), field=field, max=maximum)
    return value


def nip_is_valid(nip: str) -> bool:
    """Polish NIP: 10 ASCII digits whose weighted sum mod 11 is the last digit, and of the shape FA(3)
    accepts (``TNrNIP``: no leading 0, and the 2nd and 3rd digits not both 0 — ``1000000006`` passes the
    checksum but no tax office gives it)."""
    if len(nip) != 10 or not (nip.isascii() and nip.isdigit()):
        return False
    if nip[0] == "0" or nip[1:3] == "00":
        return False
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    return sum(int(d) * w for d, w in zip(nip, weights)) % 11 == int(nip[9])


def nip_problem(digits: str) -> tuple | None:
    """What is wrong with a NIP (its separators already taken out), as (message, its values) in words that
    say what to do, or None. Ten digits that fail the checksum are a mistyped digit, not "10 digits" again."""
    if nip_is_valid(digits):
        return None
    if not (digits.isascii() and digits.isdigit()):
        return _l("This is not a valid NIP: only digits (dashes and a PL prefix are fine)."), {}
    if len(digits) != 10:
        return _l("This is not a valid NIP: a NIP has 10 digits, this one has %(count)d."), {"count": len(digits)}
    return _l("This is not a valid NIP: a digit is wrong. Check it with the buyer."), {}


def nip(value, *, field: str = "nip") -> str:
    """A NIP as typed ("585-123-45-68", "PL 5851234568") → its 10 digits; raise if the checksum fails."""
    text_value = value if isinstance(value, str) else ""
    digits = text_value.strip().upper().removeprefix("PL").replace("-", "").replace(" ", "")
    problem = nip_problem(digits)
    if problem is not None:
        message, values = problem
        raise InvalidInput(message, field=field, **values)
    return digits


def longest(count: int) -> Length:
    """A form's length check with the shop's own translated message."""
    return Length(max=count, message=_l("At most %(max)d characters."))


class WholeNumberField(IntegerField):
    """A form's whole number as a till types it: at most 9 ASCII digits with an optional leading minus (the
    field's NumberRange decides what is allowed). WTForms' own IntegerField takes "٣" and "1_000" for numbers, and a 309-digit number
    reaches NumberRange, which compares it as a float and fails with an OverflowError (a 500)."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].strip() if isinstance(valuelist[0], str) else ""
        if raw == "":
            self.data = None
            return
        digits = raw[1:] if raw.startswith("-") else raw
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 9:
            self.data = None
            raise ValueError(_l("Type a whole number, e.g. 12."))
        self.data = int(raw)
