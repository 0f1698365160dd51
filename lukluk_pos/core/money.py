"""Money at the edges: parse what people type, format what they read.

Below the edges money is always an ``int`` of grosze (1 zł = 100 gr). This is the one module that
turns text into grosze and grosze into text; nothing else may parse or format amounts.
"""
from __future__ import annotations

import re

#: The largest amount the shop accepts anywhere: 100 000 zł, in grosze.
MAX_MINOR = 100_000 * 100

_CURRENCY = re.compile(r"(zł|zl|pln)\.?$", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_PLAIN = re.compile(r"^([0-9]+)(?:[.,]([0-9]{1,2}))?$", re.ASCII)
_GROUPED_DOTS = re.compile(r"^\d{1,3}(?:\.\d{3})+,\d{1,2}$", re.ASCII)
_GROUPED_COMMAS = re.compile(r"^\d{1,3}(?:,\d{3})+\.\d{1,2}$", re.ASCII)


class MoneyError(ValueError):
    """Text that is not an amount of money the shop accepts; ``code`` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # "empty", "format", "negative", "too_large"


def parse_money(text: str | int, *, max_minor: int = MAX_MINOR) -> int:
    """Turn ``12,5``, ``12.50``, ``12 zł`` or ``1 234,00`` into grosze; raise MoneyError otherwise.

    An ``int`` is taken as grosze already (the JSON API sends grosze), checked for range only.
    """
    if isinstance(text, bool):
        raise MoneyError("format")
    if isinstance(text, int):
        minor = text
    else:
        if not isinstance(text, str):
            raise MoneyError("format")
        s = _CURRENCY.sub("", text.strip()).strip()
        s = _SPACES.sub("", s)
        if not s:
            raise MoneyError("empty")
        if s.startswith("-"):
            raise MoneyError("negative")
        if s.startswith("+"):
            s = s[1:]
        if _GROUPED_DOTS.match(s):  # 1.234,50 — Polish grouping with dots
            s = s.replace(".", "")
        elif _GROUPED_COMMAS.match(s):  # 1,234.50 — English grouping
            s = s.replace(",", "")
        match = _PLAIN.match(s)
        if not match:
            raise MoneyError("format")
        whole, frac = match.group(1), (match.group(2) or "")
        if len(whole) > 12:
            raise MoneyError("too_large")
        minor = int(whole) * 100 + int(frac.ljust(2, "0") or "0")
    if minor < 0:
        raise MoneyError("negative")
    if minor > max_minor:
        raise MoneyError("too_large")
    return minor


def format_money(minor: int, *, currency: bool = True) -> str:
    """Show grosze as Polish money: ``1 234,50 zł`` (non-breaking spaces, decimal comma)."""
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise TypeError("money is an int of grosze")
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 100)
    grouped = f"{whole:,}".replace(",", "\u00a0")
    text = f"{sign}{grouped},{frac:02d}"
    return f"{text}\u00a0zł" if currency else text


def format_input(minor: int) -> str:
    """Grosze as a person would type them back into a field: ``12,50`` (no grouping, no unit)."""
    whole, frac = divmod(minor, 100)
    return f"{whole},{frac:02d}"


def percent_of(amount_minor: int, percent: int) -> int:
    """``percent`` % of an amount, rounded half up to the grosz (integer arithmetic only)."""
    return (amount_minor * percent + 50) // 100


def allocate(total_minor: int, weights: list[int]) -> list[int]:
    """Split ``total_minor`` over ``weights`` in proportion, to the grosz, summing exactly.

    Largest-remainder method: used to spread a basket discount over its lines so every line (and
    every VAT code) carries its exact share and the shares add up to the discount.
    """
    weight_sum = sum(weights)
    if weight_sum <= 0:
        return [0] * len(weights)
    shares = [total_minor * w // weight_sum for w in weights]
    remainders = sorted(
        range(len(weights)), key=lambda i: (-(total_minor * weights[i] % weight_sum), i)
    )
    for i in remainders[: total_minor - sum(shares)]:
        shares[i] += 1
    return shares
