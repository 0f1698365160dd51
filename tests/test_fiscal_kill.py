"""The SIGKILL loop of bench/fiscal_kill.py, small: every sale registered exactly once across kills of the
process registering it, before and after the device printed (the full run: 200 kills, docs/performance.md)."""
import pytest

from bench.fiscal_kill import run


@pytest.mark.slow
def test_sigkills_between_sending_and_confirming_never_print_twice_or_lose_a_sale():
    result = run(kills=8, seed=7, echo=None)
    assert result["problems"] == []
    assert result["killed_before_printing"] + result["killed_after_printing"] >= 8
    assert result["killed_before_printing"] > 0 and result["killed_after_printing"] > 0
    assert result["fiscal_receipts"] == result["sales"] > 0
