"""Basket arithmetic: line discounts, basket discount and its exact split over lines."""
from hypothesis import given
from hypothesis import strategies as st

from lukluk_pos.till.pricing import LineIn, discount_amount, price

lines = st.lists(
    st.builds(LineIn, unit_price_minor=st.integers(0, 100_000), quantity=st.integers(1, 50),
              discount_percent=st.one_of(st.none(), st.integers(1, 100)),
              discount_amount_minor=st.one_of(st.none(), st.integers(1, 200_000))),
    min_size=0, max_size=25,
)


def test_a_worked_example():
    totals = price([LineIn(1000, 1), LineIn(550, 2, discount_percent=10), LineIn(300, 1, discount_amount_minor=100)],
                   basket_percent=10)
    assert totals.gross == [1000, 1100, 300]
    assert totals.line_discounts == [0, 110, 100]
    assert totals.subtotal_minor == 2190
    assert totals.discount_minor == 219
    assert totals.basket_shares == [100, 99, 20]
    assert totals.line_totals == [900, 891, 180]
    assert totals.total_minor == 1971


@given(lines, st.one_of(st.none(), st.integers(1, 100)), st.one_of(st.none(), st.integers(1, 10**7)))
def test_totals_always_add_up(basket_lines, basket_percent, basket_amount):
    totals = price(basket_lines, basket_percent, basket_amount)
    assert sum(totals.line_totals) == totals.total_minor
    assert totals.total_minor == totals.subtotal_minor - totals.discount_minor
    assert sum(totals.basket_shares) == totals.discount_minor
    assert 0 <= totals.discount_minor <= totals.subtotal_minor
    for gross, own, share, total in zip(totals.gross, totals.line_discounts, totals.basket_shares, totals.line_totals):
        assert 0 <= own <= gross
        assert 0 <= total <= gross
        assert total == gross - own - share
        assert isinstance(total, int)


def test_percent_rounds_half_up_and_never_exceeds_the_base():
    assert discount_amount(250, 10, None) == 25
    assert discount_amount(255, 10, None) == 26  # 25,5 gr -> 26 gr
    assert discount_amount(100, None, 500) == 100
    assert discount_amount(100, None, None) == 0
