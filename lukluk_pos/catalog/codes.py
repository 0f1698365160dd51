"""In-store EAN-13 codes: a restricted-circulation prefix, a sequence number and the check digit.

Prefix ``20`` is reserved by GS1 for use inside one company, so our labels never collide with a
manufacturer's barcode and any scanner reads them.
"""
from __future__ import annotations

PREFIX = "20"


def check_digit(first12: str) -> str:
    """EAN-13 check digit of 12 digits."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def ean13(sequence: int) -> str:
    """The shop's code for the ``sequence``-th item: 20 + 10 digits + check digit."""
    if not 0 < sequence < 10**10:
        raise ValueError("item sequence out of range")
    body = f"{PREFIX}{sequence:010d}"
    return body + check_digit(body)


def is_valid_ean13(code: str) -> bool:
    return len(code) == 13 and code.isdigit() and check_digit(code[:12]) == code[12]
