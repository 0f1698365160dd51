"""The SIGKILL loop of bench/fiscal_kill.py, small: the waitress server killed between sending a receipt and
confirming it — before the device took it, while it waited in the device's queue, after it printed — and
every sale still registered exactly once, on both fake printers and both databases (the full run: 200
kills each, docs/performance.md)."""
import pytest

from bench.fiscal_kill import run


@pytest.mark.slow
@pytest.mark.real_clock
@pytest.mark.parametrize("device", ["posnet", "novitus"])
def test_sigkills_of_the_server_never_print_twice_or_lose_a_sale(backend, device, request):
    if backend == "postgresql":
        request.getfixturevalue("postgres_url")  # skips (or fails where required) without a server
    result = run(kills=6, seed=7, device_kind=device, database=backend, echo=None)
    assert result["problems"] == []
    assert result["killed_before_printing"] + result["killed_while_queued"] + result["killed_after_printing"] >= 6
    assert result["killed_after_printing"] > 0
    assert result["killed_before_printing"] + result["killed_while_queued"] > 0
    assert result["fiscal_receipts"] == result["sales"] > 0
