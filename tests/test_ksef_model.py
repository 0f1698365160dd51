"""KSeF's "exactly once, never lost, never stuck" over random sequences (tests/ksef_model.py): invoices and
corrections, worker rounds in this process and in a SIGKILLed one, KSeF's faults between any two calls,
with the invariants checked after every step, on both databases.

CI runs a bounded number of examples (``LUKLUK_KSEF_MODEL_EXAMPLES``, ``LUKLUK_KSEF_MODEL_STEPS``); the
soak runs many more (docs/performance.md)."""
import json
import os

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from tests import ksef_model

EXAMPLES = int(os.environ.get("LUKLUK_KSEF_MODEL_EXAMPLES", "8"))
STEPS = int(os.environ.get("LUKLUK_KSEF_MODEL_STEPS", "30"))
SHRINK = os.environ.get("LUKLUK_MODEL_SHRINK") == "1"
#: CI runs the same examples every time (a red run is reproduced by running it again); the soaks draw new
#: ones (``make soak-fiscal``/``soak-ksef`` set LUKLUK_MODEL_RANDOM=1). See docs/performance.md.
RANDOM = os.environ.get("LUKLUK_MODEL_RANDOM") == "1"


@pytest.mark.slow
@pytest.mark.real_clock
def test_every_invoice_reaches_ksef_exactly_once_under_random_sequences(backend, request):
    template = request.getfixturevalue("sqlite_template") if backend == "sqlite" else None
    postgres = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    before = dict(ksef_model.STATS)
    run_state_machine_as_test(ksef_model.machine(backend, template=template, postgres_url=postgres), settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None, derandomize=not RANDOM,
        phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if SHRINK else []),
        suppress_health_check=list(HealthCheck)))
    figures = {key: value - before.get(key, 0) for key, value in ksef_model.STATS.items()}
    print(f"\n{backend}: {json.dumps(figures, sort_keys=True)}")
    report = os.environ.get("LUKLUK_MODEL_REPORT")
    if report:
        with open(report, "a") as out:
            out.write(json.dumps({"model": "ksef", "backend": backend, **figures}) + "\n")
    assert figures["examples"] >= 1 and figures["checks"] >= figures["examples"]
