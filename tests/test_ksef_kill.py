"""A real crash: the process sending invoices to KSeF is SIGKILLed after KSeF took the invoice and before
its answer arrived. A new process resolves the invoice by asking KSeF, and it is never sent twice."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lukluk_pos.invoicing.models import KsefStatus
from tests.fake_ksef import FakeKsef
from tests.invoicing_support import invoice, issue, sale, use_ksef

ROOT = Path(__file__).resolve().parent.parent


def _sender(app, database_url, fake):
    env = dict(os.environ, LUKLUK_DATABASE_URL=database_url, LUKLUK_INSTANCE_PATH=app.instance_path,
               LUKLUK_KSEF_URL=fake.url, LUKLUK_KSEF_TIMEOUT="5")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "ksef", "send"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
@pytest.mark.real_clock
def test_a_sender_killed_after_ksef_took_the_invoice_never_sends_it_again(app, client, sign_in, shop, database_url):
    sign_in("Ania")
    with FakeKsef() as fake:
        use_ksef(app, fake)
        invoice_id = issue(app, shop, sale(client, "ksef-kill-1")["id"])
        first = _sender(app, database_url, fake)
        fake.on_taken = lambda taken: os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=60)
        assert first.returncode == -signal.SIGKILL
        assert invoice(app, invoice_id).ksef_status is KsefStatus.SENDING and fake.sends == 1
        fake.on_taken = None
        second = _sender(app, database_url, fake)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert "resolved after a crash: 1" in out
        found = invoice(app, invoice_id)
        assert found.ksef_status is KsefStatus.ACCEPTED, (out, err, found.ksef_error)
        assert fake.sends == 1 and len(fake.taken(found.number)) == 1
        assert found.ksef_number == fake.accepted(found.number)[0]["ksefNumber"]
