"""A model of invoices on their way to KSeF over days, for hypothesis' stateful testing (issue #26).

The shop issues invoices (to businesses, and to private persons when the setting sends them too) and
corrections for refunds of invoiced sales; the KSeF queue is worked by rounds of the worker in this
process and by ``flask ksef send`` in a process of its own that is SIGKILLed before a chosen request to
KSeF — between any two calls, the request itself still done by KSeF. The strict fake KSeF
(tests/fake_ksef.py) answers on 127.0.0.1; hypothesis chooses the sequence and the faults between the
steps: answers lost after the work, answers doubled, hangs, refusals, 500s, 429 with Retry-After,
access tokens revoked or the refresh tokens withdrawn too (401), sessions forgotten (404), a session list
that lags, a semantic rejection (450), time passing over the back-offs, the manager's "send again".

After every step, for every invoice against what KSeF holds:
- KSeF accepted it at most once;
- an invoice accepted here carries the KSeF number KSeF gave, and its UPO is KSeF's, byte for byte;
- an invoice rejected here was not accepted by KSeF;
- it reached KSeF as a new document (not refused, not a 440) at most once per time the manager sent it
  again, and a 440 only ever answered a resend of an invoice KSeF already had from us. A copy KSeF
  refused (450) is not in KSeF: the resend that follows a refusal nobody saw (a killed sender, a lagging
  list) is allowed, and is the one accepted.

At the end the faults stop and the worker runs until nothing moves: every invoice is then accepted
exactly once with its KSeF number and UPO, or visibly rejected with KSeF's reason (or, a correction, waits
for an original KSeF rejected), and every session is closed.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select, update

ROOT = Path(__file__).resolve().parent.parent
#: Every answer within this many seconds (a hang is held longer than that).
TIMEOUT = 2.0
STATS: Counter = Counter()
#: What can happen between two checks, each as often as it is listed.
ACTIONS = (["issue_invoice"] * 5 + ["worker_round"] * 5 + ["worker_killed"] * 3 + ["time_passes"] * 3
           + ["refund_a_line"] * 2 + ["manager_sends_again", "one_fault", "one_fault", "internal_errors",
                                      "unreachable", "ksef_side", "lagging_lists"])
PARISHES = [("5260001246", "Parafia św. Jerzego"), ("5213017228", "Fundacja Morska"),
            ("7740001454", "Spółdzielnia Bałtyk")]


class KsefShop(RuleBasedStateMachine):
    """One example: a fresh database, a fresh fake KSeF, the shop set up with KSeF on."""

    backend = "sqlite"
    template: Path | None = None
    postgres_url: str | None = None

    @initialize(consumers=st.booleans(), lag=st.integers(0, 2), page=st.sampled_from([1, 2, 1000]))
    def start(self, consumers, lag, page):
        from lukluk_pos import create_app
        from lukluk_pos.invoicing import ksef, service
        from tests.conftest import _config, _empty_postgres, seed_shop
        from tests.fake_ksef import FakeKsef

        STATS["examples"] += 1
        self.folder = Path(tempfile.mkdtemp(prefix="ksef-model-"))
        if self.backend == "sqlite":
            path = self.folder / "lukluk.db"
            shutil.copy(self.template, path)
            self.url = f"sqlite:///{path}"
        else:
            _empty_postgres(self.postgres_url)
            self.url = self.postgres_url
        self.app = create_app(_config(self.folder / "instance", self.url, csrf=False))
        self.app.config["KSEF_TIMEOUT"] = TIMEOUT
        self.people = seed_shop(self.app)
        self.fake = FakeKsef().__enter__()
        self.fake.hang_seconds = TIMEOUT + 0.5
        self.fake.retry_after = 5
        self.fake.list_lag = lag  # KSeF's session lists lag behind: "not here" may be wrong
        self.fake.page_cap = page  # and come in pages
        ksef.close_connections()
        self.app.config["KSEF_URL"] = self.fake.url
        with self.app.app_context():
            config = service.settings()
            config.ksef_environment, config.ksef_token = "test", self.fake.token
            config.send_consumer_invoices = consumers
            from lukluk_pos.extensions import db

            db.session.commit()
        self.client = self.app.test_client()
        response = self.client.post(f"/sign-in/{self.people['Marek']}", data={"pin": "2222", "till_id": ""})
        assert response.status_code == 302
        self.sales: list[dict] = []  # {"id", "number", "lines", "invoiced": invoice id or None}
        self.resent: Counter = Counter()  # invoice number → times the manager sent it again
        self.keys = 0

    # --- the people -----------------------------------------------------------------------------

    def _key(self) -> str:
        self.keys += 1
        return f"ksef-model-{uuid.uuid4().hex[:8]}-{self.keys}"

    @rule(action=st.sampled_from(ACTIONS), data=st.data())
    def step(self, action, data):
        """One thing happens, chosen with the weights of ``ACTIONS`` (sales and rounds more often than faults)."""
        STATS[f"step:{action}"] += 1
        if action == "issue_invoice":
            self.issue_invoice(data.draw(st.integers(1, 3)), data.draw(st.integers(0, len(PARISHES))))
        elif action == "refund_a_line":
            open_ = [s for s in self.sales if s["lines"] > s["refunded"]]
            if open_:
                self.refund_a_line(data.draw(st.sampled_from(open_)))
        elif action == "worker_killed":
            self.worker_killed(data.draw(st.integers(1, 12)))
        elif action == "one_fault":
            self.one_fault(data.draw(st.sampled_from(["drop", "twice", "hang", "reject", "throttle", "slow"])))
        elif action in ("internal_errors", "unreachable"):
            getattr(self, action)(data.draw(st.booleans()))
        elif action == "ksef_side":
            self.ksef_side(data.draw(st.sampled_from(["revoke", "withdraw", "forget"])))
        elif action == "lagging_lists":
            self.lagging_lists(data.draw(st.integers(0, 3)))
        else:
            getattr(self, action)()

    def issue_invoice(self, lines, buyer):
        """A sale at the till, then its invoice (a business's, or a private person's)."""
        from lukluk_pos.auth.models import User
        from lukluk_pos.extensions import db
        from lukluk_pos.invoicing import service

        for n in range(lines):
            added = self.client.post("/api/v1/till/basket/lines",
                                     json={"category_id": 1 if n % 2 == 0 else 7, "price": f"{5 + n},50"})
            assert added.status_code == 201, added.json
        done = self.client.post("/api/v1/till/basket/complete", json={
            "key": self._key(), "payments": [{"method": "cash", "tendered": "100"}]})
        assert done.status_code == 200, done.json
        if buyer < len(PARISHES):
            nip, name = PARISHES[buyer]
            details = {"kind": "business", "nip": nip, "name": name}
        else:
            details = {"kind": "person", "name": "Jan Kowalski"}
        with self.app.app_context():
            person = db.session.get(User, self.people["Marek"])
            saved = service.save_buyer(**details, address1="ul. Morska 5", address2="81-701 Sopot", user=person)
            invoice = service.issue(sale_id=done.json["id"], buyer_id=saved.id, user=person, today=_today())
            db.session.commit()
            self.sales.append({"id": done.json["id"], "number": done.json["number"], "lines": lines,
                               "invoiced": invoice.id, "refunded": 0})
        STATS["invoices"] += 1

    def refund_a_line(self, sale):
        """A buyer brings one thing back: a refund, and the correcting invoice with it."""
        lines = self.client.get(f"/api/v1/sales/by-number/{sale['number']}").json["lines"]
        line = lines[sale["refunded"]]
        response = self.client.post(f"/api/v1/sales/{sale['id']}/refunds", json={
            "key": self._key(), "method": "cash", "reason": "Zwrot",
            "lines": [{"line_id": line["id"], "quantity": 1, "restock": False}]})
        assert response.status_code == 201, response.json
        sale["refunded"] += 1
        STATS["corrections"] += 1

    def worker_round(self):
        from lukluk_pos.invoicing import ksef

        with self.app.app_context():
            ksef.process_due()
        STATS["rounds"] += 1

    def worker_killed(self, at):
        """``flask ksef send`` in its own process, SIGKILLed before its ``at``-th request to KSeF (which
        KSeF then still carries out, its answer going nowhere)."""
        env = dict(os.environ, LUKLUK_DATABASE_URL=self.url, LUKLUK_INSTANCE_PATH=str(self.folder / "instance"),
                   LUKLUK_KSEF_URL=self.fake.url, LUKLUK_KSEF_TIMEOUT=str(TIMEOUT))
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "ksef", "send"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seen = Counter()

        def kill_before(method, path):
            seen["requests"] += 1
            if seen["requests"] == at:
                try:
                    os.kill(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

        self.fake.on_request = kill_before
        try:
            _out, err = process.communicate(timeout=120)
        finally:
            self.fake.on_request = None
        if process.returncode == -signal.SIGKILL:
            STATS["sigkills"] += 1
        else:
            assert process.returncode in (0, 1), err[-2000:]
            assert "Traceback" not in err, err[-2000:]

    def time_passes(self):
        """The back-offs (and a 429's Retry-After) run out."""
        from lukluk_pos.core.models import utcnow
        from lukluk_pos.extensions import db
        from lukluk_pos.invoicing.models import Invoice

        with self.app.app_context():
            db.session.execute(update(Invoice).values(ksef_next_attempt_at=utcnow()))
            db.session.commit()

    def manager_sends_again(self):
        """The manager presses "send again" on every rejected invoice (after fixing the cause)."""
        from lukluk_pos.extensions import db
        from lukluk_pos.invoicing import ksef
        from lukluk_pos.invoicing.models import Invoice, KsefStatus

        with self.app.app_context():
            for found in db.session.scalars(select(Invoice).where(Invoice.ksef_status == KsefStatus.REJECTED)):
                ksef.send_again(found, user_id=self.people["Marek"])
                self.resent[found.number] += 1
            db.session.commit()

    # --- KSeF's faults --------------------------------------------------------------------------

    def one_fault(self, fault):
        self.fake.faults.add(fault)
        if fault == "slow":
            self.fake.slow_polls = 2
        STATS[f"fault:{fault}"] += 1

    def internal_errors(self, on):
        (self.fake.faults.add if on else self.fake.faults.discard)("error")
        STATS["fault:error"] += on

    def unreachable(self, on):
        if on != ("refuse" in self.fake.faults):
            self.fake.refuse(on)
            STATS["fault:refuse"] += on

    def ksef_side(self, how):
        getattr(self.fake, how)()
        STATS[f"fault:{how}"] += 1

    def lagging_lists(self, lag):
        self.fake.list_lag = lag
        STATS["fault:lag"] += lag > 0

    # --- the invariants -------------------------------------------------------------------------

    def _invoices(self):
        from lukluk_pos.extensions import db
        from lukluk_pos.invoicing.models import Invoice

        with self.app.app_context():
            rows = list(db.session.scalars(select(Invoice).order_by(Invoice.id)))
            for row in rows:
                db.session.expunge(row)
            return rows

    @invariant()
    def exactly_once(self):
        from lukluk_pos.invoicing.models import KsefStatus

        if not hasattr(self, "fake"):
            return
        STATS["checks"] += 1
        for found in self._invoices():
            copies = self.fake.taken(found.number)
            accepted_anywhere = [t for t in copies if t["status"]["code"] == 200]
            for env in {t["env"] for t in copies}:  # each KSeF the till was pointed at, on its own
                taken = [t for t in copies if t["env"] == env]
                accepted = [t for t in taken if t["status"]["code"] == 200]
                assert len(accepted) <= 1, (found.number, env, [t["status"] for t in taken])
                # Copies KSeF refused (4xx verification codes) are not in KSeF: a resend after a refusal nobody
                # saw (its sender killed, the session's list lagging) is allowed; it must not be a second
                # invoice in KSeF, which is the "accepted at most once" above and 440 below.
                fresh = [t for t in taken if t["status"]["code"] < 400]
                assert len(fresh) <= 1 + self.resent[found.number], (found.number, [t["status"] for t in taken])
                if any(t["status"]["code"] == 440 for t in taken):
                    assert accepted, (found.number, "a 440 with no accepted copy of ours")
            if found.ksef_status is KsefStatus.ACCEPTED:
                mine = [t for t in accepted_anywhere if t["ksefNumber"] == found.ksef_number]
                assert mine and mine[0]["invoiceHash"] == found.xml_sha256, found.number
                if found.ksef_upo is not None:
                    assert found.ksef_upo == mine[0]["upo"]
            if found.ksef_status is KsefStatus.REJECTED:
                current = [t for t in accepted_anywhere if t["env"] == self.fake.environment]
                assert not current, (found.number, "rejected here, accepted in KSeF")
                assert found.ksef_error

    def teardown(self):
        from lukluk_pos.extensions import db
        from lukluk_pos.invoicing import ksef
        from lukluk_pos.invoicing.models import KsefSession, KsefStatus

        if not hasattr(self, "fake"):
            return
        try:
            self.fake.faults.clear()
            if self.fake._server is None:
                self.fake._listen()
            self.fake.list_lag = 0
            with self.app.app_context():  # the worker starts again, as after the counter PC's restart
                ksef.recover()
            for _ in range(40):
                self.time_passes()
                with self.app.app_context():
                    moved = ksef.process_due()
                if not moved and self._settled():
                    break
            self.exactly_once()
            invoices = self._invoices()
            by_id = {found.id: found for found in invoices}
            for found in invoices:
                accepted = [t for t in self.fake.taken(found.number) if t["status"]["code"] == 200
                            and t["ksefNumber"] == found.ksef_number]
                if found.ksef_status is KsefStatus.ACCEPTED and accepted[0]["env"] != self.fake.environment:
                    # Accepted by a KSeF the till no longer talks to: no UPO to be had, and it says so.
                    assert found.ksef_upo is not None or "nie zna sesji" in found.ksef_error, found.number
                    STATS["accepted_elsewhere"] += 1
                elif found.ksef_status is KsefStatus.ACCEPTED:
                    assert found.ksef_upo == accepted[0]["upo"] and found.ksef_upo_sha256, found.number
                    STATS["accepted"] += 1
                elif found.ksef_status is KsefStatus.REJECTED:
                    assert found.ksef_error, found.number
                    STATS["rejected"] += 1
                elif found.ksef_status is KsefStatus.WAITING:
                    assert by_id[found.corrects_id].ksef_status is KsefStatus.REJECTED, found.number
                    STATS["waiting_for_rejected"] += 1
                else:
                    assert found.ksef_status is KsefStatus.LOCAL, (found.number, found.ksef_status, found.ksef_error)
                    STATS["local"] += 1
            assert self.fake.open_sessions() == [], self.fake.open_sessions()
            with self.app.app_context():
                assert db.session.scalar(select(KsefSession.id).where(KsefSession.closed_at.is_(None))) is None
        finally:
            ksef.close_connections()
            self.fake.__exit__(None, None, None)
            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _settled(self) -> bool:
        from lukluk_pos.invoicing.models import KsefStatus

        def done(found) -> bool:
            if found.ksef_status is KsefStatus.ACCEPTED:
                return bool(found.ksef_upo_sha256) or "nie zna sesji" in found.ksef_error
            return found.ksef_status in (KsefStatus.REJECTED, KsefStatus.LOCAL, KsefStatus.WAITING)
        return all(done(found) for found in self._invoices())


def _today():
    from lukluk_pos.cash.service import today

    return today()


def machine(backend: str, *, template: Path | None, postgres_url: str | None) -> type[KsefShop]:
    return type(f"KsefShop_{backend}", (KsefShop,), {"backend": backend, "template": template,
                                                     "postgres_url": postgres_url})
