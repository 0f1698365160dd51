"""The fiscal printer's "exactly once" over random sequences of a shop day (tests/fiscal_model.py): sales on
one to three tills, retries, the manager's actions, refunds, faults of the printer, SIGKILLs of the server and
day closes, with every invariant checked after every step, on both databases and both printers.

CI runs a bounded number of examples (``LUKLUK_MODEL_EXAMPLES``, ``LUKLUK_MODEL_STEPS``); ``make soak-fiscal``
runs many more and writes its figures (docs/performance.md)."""
import json
import os

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from tests import fiscal_model

EXAMPLES = int(os.environ.get("LUKLUK_MODEL_EXAMPLES", "6"))
STEPS = int(os.environ.get("LUKLUK_MODEL_STEPS", "25"))
#: Shrinking a failure restarts servers many times: only where asked (a local hunt), never in CI.
SHRINK = os.environ.get("LUKLUK_MODEL_SHRINK") == "1"
#: CI runs the same examples every time (a red run is reproduced by running it again); the soaks draw new
#: ones (``make soak-fiscal``/``soak-ksef`` set LUKLUK_MODEL_RANDOM=1). See docs/performance.md.
RANDOM = os.environ.get("LUKLUK_MODEL_RANDOM") == "1"


@pytest.mark.slow
@pytest.mark.real_clock
@pytest.mark.parametrize("device", ["posnet", "novitus"])
def test_exactly_once_under_random_sequences(backend, device, request):
    if backend == "postgresql":
        request.getfixturevalue("postgres_url")  # skips (or fails where required) without a server
    before = dict(fiscal_model.STATS)
    run_state_machine_as_test(fiscal_model.machine(backend, device), settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None, derandomize=not RANDOM,
        phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if SHRINK else []),
        suppress_health_check=list(HealthCheck)))
    figures = {key: value - before.get(key, 0) for key, value in fiscal_model.STATS.items()}
    print(f"\n{backend}/{device}: {json.dumps(figures, sort_keys=True)}")
    report = os.environ.get("LUKLUK_MODEL_REPORT")
    if report:
        with open(report, "a") as out:
            out.write(json.dumps({"backend": backend, "device": device, **figures}) + "\n")
    assert figures["examples"] >= 1 and figures["checks"] >= figures["examples"]
