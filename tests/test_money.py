"""Money: one module parses what people type and formats what they read; grosze in between."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lukluk_pos.core.money import MAX_MINOR, MoneyError, allocate, format_input, format_money, parse_money


@pytest.mark.parametrize("text, minor", [
    ("12,5", 1250), ("12.50", 1250), ("12 zł", 1200), ("1 234,00", 123400), ("0,01", 1), ("12", 1200),
    ("12zł", 1200), ("12,50 PLN", 1250), ("1.234,56", 123456), ("1,234.56", 123456), ("  7,05 ", 705),
    ("100000", MAX_MINOR), ("1\u00a0234,50\u00a0zł", 123450), ("0", 0), (1250, 1250),
])
def test_parses_what_people_type(text, minor):
    assert parse_money(text) == minor


@pytest.mark.parametrize("text, code", [
    ("", "empty"), ("zł", "empty"), ("abc", "format"), ("12,555", "format"), ("1.234", "format"),
    ("-5", "negative"), ("100000,01", "too_large"), ("99999999999999", "too_large"), ("1,2,3", "format"),
    ("12..5", "format"), (True, "format"), (12.5, "format"), (-1, "negative"), (MAX_MINOR + 1, "too_large"),
])
def test_refuses_what_is_not_money(text, code):
    with pytest.raises(MoneyError) as info:
        parse_money(text)
    assert info.value.code == code


def test_formats_polish_style():
    assert format_money(1250) == "12,50\u00a0zł"
    assert format_money(123456789) == "1\u00a0234\u00a0567,89\u00a0zł"
    assert format_money(-5) == "-0,05\u00a0zł"
    assert format_money(0, currency=False) == "0,00"
    with pytest.raises(TypeError):
        format_money(12.5)


@given(st.integers(min_value=0, max_value=MAX_MINOR))
def test_format_then_parse_round_trips(minor):
    assert parse_money(format_money(minor)) == minor
    assert parse_money(format_input(minor)) == minor
    assert parse_money(format_money(minor).replace("\u00a0", " ")) == minor


@given(st.integers(min_value=0, max_value=10**7), st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30))
def test_allocation_is_exact_and_proportional(total, weights):
    shares = allocate(total, weights)
    if sum(weights) == 0:
        assert shares == [0] * len(weights)
        return
    assert sum(shares) == total
    for share, weight in zip(shares, weights):
        exact = total * weight / sum(weights)
        assert abs(share - exact) < 1
