"""A model of a shop day on the fiscal printer, for hypothesis' stateful testing (issue #25).

The shop runs as on the counter: the app under waitress in its own process on a clock of its own (the
model moves it past midnight), a fake fiscal printer on 127.0.0.1 in this process (Posnet or NoviAPI),
and up to three tills talking HTTP to it as till.js does (PIN sign-in, the CSRF header, a key per
payment; a till gives up waiting after ``TILL_PATIENCE`` seconds and asks what became of the payment,
then offers "Spróbuj ponownie"/"Sprawdź"). A manager signed in with a password retries, settles from the
paper roll and voids on the list of sales waiting for their receipt, and closes the day.

Hypothesis chooses the sequence: sales on any till, retries pressed while a slow printer still prints,
the manager's actions, refunds, paper out and back, an answer lost before or after any command, a hung
printer, one that accepts connections and never answers, refused connections, slow answers longer than
the till's patience, SIGKILLs of the server between steps or in the middle of a chosen device command,
the day close (also after midnight, and with the printer's clock a day ahead). Requests the tills gave
up on go on in the server; the model keeps listening to them, so every answer is seen.

After every step the invariants are checked against the database and the fake device:

- no answer was a 5xx (nor a traceback in the server's log);
- every completed sale has exactly one receipt on the device or is listed as waiting, and a waiting one
  has at most one receipt that may be its own; a voided one has none;
- no receipt without a sale: each receipt is claimed by a registered sale or may be an unsettled one's;
- the device's totals per rate equal the registered sales' plus those unsettled receipts';
- at most one daily report per business day;
- a day closed only when nothing of it was waiting;
- every sale the till was told is done exists.

The scaled-down times (the till's 15 s patience is 1.5 s here, the printer's answers 0.35 s when slow)
keep the sequences the same and the run short.
"""
from __future__ import annotations

import atexit
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
ZONE = ZoneInfo("Europe/Warsaw")
PG_ADMIN_URL = os.environ.get("LUKLUK_TEST_POSTGRES", "postgresql+psycopg://root@127.0.0.1:5432/test")
#: The moment every example starts at (the server's clock): a Tuesday morning in Sopot.
START = datetime(2026, 11, 24, 8, 0, tzinfo=ZONE)
#: till.js waits 15 s for a payment's answer; scaled down ten times.
TILL_PATIENCE = 1.5
#: The server's fiscal settings: each answer within 0.6 s, a whole conversation within 6 s.
FISCAL_TIMEOUT, FISCAL_DEADLINE = 0.6, 6.0
#: A slow printer's answer, and how long the model waits for any answer it keeps listening to.
SLOW = 0.35
LISTEN = 60.0
TILLS = 3
PIN = "1111"
CATEGORIES = {1: "zw", 7: "zw", 13: "23"}  # Odzież damska, Książki, AGD i elektronika (set to 23 %)
POSNET_COMMANDS = ["scnt", "strns", "vatget", "trinit", "trline", "trpayment", "trend", "trftrln", "trftrend",
                   "prncancel", "stot", "rtcget", "dailyrep"]
NOVIAPI_CALLS = ["POST receipt", "PUT receipt", "GET receipt", "PUT status", "GET status", "DELETE queue",
                 "GET queue", "PUT daily_report", "GET daily_report"]

SERVER = r"""
import os, sys
from datetime import datetime
import time_machine
time_machine.travel(datetime.fromisoformat(os.environ["LUKLUK_MODEL_NOW"]), tick=True).start()
from waitress import serve
from config import Config
from lukluk_pos import create_app

config = Config()
config.INSTANCE_PATH, config.SQLALCHEMY_DATABASE_URI = sys.argv[1], sys.argv[2]
config.FISCAL_PRINTER = sys.argv[3]
config.FISCAL_TIMEOUT, config.FISCAL_DEADLINE = float(sys.argv[5]), float(sys.argv[6])
config.ARGON2_TIME_COST, config.ARGON2_MEMORY_COST = 1, 8 * 1024
serve(create_app(config), host="127.0.0.1", port=int(sys.argv[4]), threads=8, ident="LukLuk POS")
"""

SETUP = r"""
import json, os, sys
from datetime import datetime
import time_machine
time_machine.travel(datetime.fromisoformat(os.environ["LUKLUK_MODEL_NOW"]), tick=True).start()
from flask_migrate import upgrade
from config import Config
from lukluk_pos import create_app
from lukluk_pos.auth import service as auth
from lukluk_pos.auth.models import Role
from lukluk_pos.auth.setup import set_up_shop
from lukluk_pos.cash import service as cash
from lukluk_pos.catalog.models import Category
from lukluk_pos.core.models import FiscalMode, Shop
from lukluk_pos.extensions import db
from lukluk_pos.till.models import Till

config = Config()
config.INSTANCE_PATH, config.SQLALCHEMY_DATABASE_URI = sys.argv[1], sys.argv[2]
config.ARGON2_TIME_COST, config.ARGON2_MEMORY_COST = 1, 8 * 1024
app = create_app(config)
with app.app_context():
    upgrade()
    magda = set_up_shop(shop_name="LukLuk", address="Sopot", nip="5851234568", name="Magda", pin="1234",
                        password="tajnehaslo1", standard_categories=True)
    marek = auth.create_user(name="Marek", role=Role.MANAGER, pin="2222", password="haslomarka1", by=magda)
    people = [auth.create_user(name=f"Wolontariusz {n}", role=Role.VOLUNTEER, pin="1111", password=None, by=magda)
              for n in range(1, int(sys.argv[3]) + 1)]
    db.session.scalar(db.select(Shop)).fiscal_mode = FiscalMode.PRINTER
    db.session.get(Category, 13).vat_code = "23"
    tills = [db.session.scalar(db.select(Till.id))]
    while len(tills) < len(people):
        till = Till(name=f"Kasa {len(tills) + 1}")
        db.session.add(till)
        db.session.flush()
        tills.append(till.id)
    for till_id in tills:
        cash.open_session(till_id, magda, counts={"10000": 2})
    db.session.commit()
    print(json.dumps({"manager": marek.id, "people": [p.id for p in people], "tills": tills}))
    db.engine.dispose()
"""


# --- the shop's server, its database and its clock ------------------------------------------------

def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT))


class Template:
    """A shop set up once per database kind (migrated, people, tills opened on ``START``'s day), copied
    for every example."""

    _made: dict[str, Template] = {}

    def __init__(self, backend: str):
        self.backend = backend
        self.folder = Path(tempfile.mkdtemp(prefix=f"lukluk-model-{backend}-"))
        self.instance = self.folder / "instance"
        if backend == "sqlite":
            self.url = f"sqlite:///{self.folder / 'template.db'}"
        else:
            self.name = f"lukluk_model_tpl_{uuid.uuid4().hex[:8]}"
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.name}"
        done = subprocess.run([sys.executable, "-c", SETUP, str(self.instance), self.url, str(TILLS)], cwd=ROOT,
                              env=dict(_env(), LUKLUK_MODEL_NOW=START.isoformat()), capture_output=True,
                              text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"setting the model's shop up failed:\n{done.stderr[-3000:]}")
        self.ids = json.loads(done.stdout.strip().splitlines()[-1])
        atexit.register(self.remove)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.backend == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    @classmethod
    def of(cls, backend: str) -> Template:
        if backend not in cls._made:
            cls._made[backend] = cls(backend)
        return cls._made[backend]

    @staticmethod
    def _admin(statement: str) -> None:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text(statement))
        finally:
            engine.dispose()

    def copy(self, folder: Path) -> str:
        """A fresh copy of the shop in ``folder``; returns its database URL."""
        shutil.copytree(self.instance, folder / "instance")
        if self.backend == "sqlite":
            shutil.copy(self.folder / "template.db", folder / "lukluk.db")
            return f"sqlite:///{folder / 'lukluk.db'}"
        name = f"lukluk_model_{uuid.uuid4().hex[:8]}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def drop(self, url: str) -> None:
        if self.backend == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


class Clock:
    """The server's clock: ``START`` plus the time the model has run plus the jumps it made (midnight)."""

    def __init__(self):
        self.origin = time.monotonic()
        self.jumped = timedelta()

    def now(self) -> datetime:
        return START + timedelta(seconds=time.monotonic() - self.origin) + self.jumped

    def today(self) -> date:
        return self.now().astimezone(ZONE).date()

    def jump_to(self, moment: datetime) -> None:
        if moment > self.now():
            self.jumped += moment - self.now()


class Server:
    def __init__(self, folder: Path, url: str, device_spec: str, clock: Clock, *, timeout: float = FISCAL_TIMEOUT,
                 deadline: float = FISCAL_DEADLINE):
        from bench.waits import free_port

        self.folder, self.url_db, self.spec, self.clock = folder, url, device_spec, clock
        self.timeout, self.deadline = timeout, deadline
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = folder / "server.log"
        self.log = open(self.log_path, "a")  # noqa: SIM115 — kept open across restarts
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and self.process.poll() is None else None

    def start(self) -> None:
        args = [sys.executable, "-c", SERVER, str(self.folder / "instance"), self.url_db, self.spec, str(self.port),
                str(self.timeout), str(self.deadline)]
        self.process = subprocess.Popen(args, cwd=ROOT, stdout=self.log, stderr=self.log,
                                        env=dict(_env(), LUKLUK_MODEL_NOW=self.clock.now().isoformat()))
        self.starts += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/sign-in", timeout=0.5).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}); see {self.log_path}")
            time.sleep(0.05)
        raise RuntimeError("the server did not start within a minute")

    def kill(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        self.kill()
        self.log.close()

    def tracebacks(self) -> list[str]:
        return [line for line in self.log_path.read_text(errors="replace").splitlines()
                if "Unexpected error on" in line or "Traceback" in line and "waitress" not in line]


# --- the people ---------------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int | None  # None: no answer (connection dropped: the server was killed)
    body: dict | str | None


class Listener:
    """Every request the model sends: the person may give up waiting, the model keeps listening."""

    def __init__(self):
        self.answers: list[tuple[str, Answer]] = []
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def send(self, http: httpx.Client, method: str, path: str, *, patience: float, **kw) -> Answer | None:
        """Send; return the answer if it came within ``patience`` seconds, else None (it is still heard)."""
        box: dict = {}
        done = threading.Event()

        def go():
            try:
                response = http.request(method, path, timeout=LISTEN, **kw)
                try:
                    body = response.json()
                except ValueError:
                    body = response.text
                answer = Answer(response.status_code, body)
            except httpx.HTTPError:
                answer = Answer(None, None)
            box["answer"] = answer
            with self.lock:
                self.answers.append((f"{method} {path}", answer))
            done.set()

        thread = threading.Thread(target=go, daemon=True)
        thread.start()
        with self.lock:
            self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        if done.wait(patience):
            return box["answer"]
        return None

    def quiet(self) -> None:
        for thread in list(self.threads):
            thread.join(LISTEN + 5)

    def errors(self) -> list[str]:
        with self.lock:
            return [f"{what} → {answer.status}: {str(answer.body)[:300]}" for what, answer in self.answers
                    if answer.status is not None and answer.status >= 500]


class Person:
    """A browser's cookie jar and CSRF token: a volunteer at a till (PIN) or the manager (password)."""

    def __init__(self, server: Server):
        self.server = server
        self.http = httpx.Client(base_url=server.url, follow_redirects=False)
        self.csrf = ""

    def _token(self, path: str) -> str:
        page = self.http.get(path, timeout=30).text
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def close(self) -> None:
        self.http.close()

    def sign_in_pin(self, user_id: int, till_id: int) -> None:
        token = self._token(f"/sign-in/{user_id}")
        signed = self.http.post(f"/sign-in/{user_id}", data={"csrf_token": token, "pin": PIN, "till_id": str(till_id)},
                                timeout=30)
        assert signed.status_code == 302, signed.text[:500]
        till = self.http.get("/till", timeout=30).text
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', till).group(1)

    def sign_in_password(self, user_id: int, password: str) -> None:
        token = self._token("/sign-in/manager")
        signed = self.http.post("/sign-in/manager", data={"csrf_token": token, "user_id": str(user_id),
                                                          "password": password}, timeout=30)
        assert signed.status_code == 302, signed.text[:500]
        page = self.http.get("/fiscal/waiting", timeout=30).text
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def api(self, listener: Listener, method: str, path: str, body=None, patience: float = LISTEN) -> Answer | None:
        return listener.send(self.http, method, "/api/v1" + path, patience=patience, json=body,
                             headers={"X-CSRFToken": self.csrf})

    def form(self, listener: Listener, path: str, data: dict, patience: float = LISTEN) -> Answer | None:
        return listener.send(self.http, "POST", path, patience=patience, data={"csrf_token": self.csrf, **data})


@dataclass
class TillState:
    person: Person
    till_id: int
    #: The payment key whose answer the till did not get: asked about before anything else.
    unanswered: str | None = None
    basket: int = 0  #: lines put in the basket since the last payment
    waiting: set[int] = field(default_factory=set)  #: sales this till shows "to register"


# --- the fake printers, seen the same way -------------------------------------------------------------

class Device:
    """What the model does to a fake printer and reads from it, whatever its protocol."""

    def __init__(self, kind: str):
        self.kind = kind
        if kind == "posnet":
            from tests.fake_posnet import FakePosnet

            self.fake = FakePosnet()
        else:
            from tests.fake_noviapi import FakeNoviApi

            self.fake = FakeNoviApi()
        self.fake.__enter__()
        self.kill_at: tuple[str, str] | None = None
        self.killer = None
        if kind == "posnet":
            self.fake.hook = self._hook
        else:
            self.fake.call_hook = self._hook

    def _hook(self, command: str, when: str):
        if self.kill_at == (command, when) and self.killer is not None:
            self.kill_at = None
            self.killer()
            return "drop"
        return None

    def close(self) -> None:
        self.fake.__exit__(None, None, None)

    @property
    def spec(self) -> str:
        return self.fake.spec

    def commands(self) -> list[str]:
        return POSNET_COMMANDS if self.kind == "posnet" else NOVIAPI_CALLS

    def _locked(self):
        return self.fake._lock if self.kind == "posnet" else self.fake._cond

    def snapshot(self) -> dict:
        """Receipts (number → total, lines by VAT slot, sale number if printed), totals per slot, reports."""
        with self._locked():
            receipts = {}
            for printed in self.fake.printed:
                if self.kind == "posnet":
                    numbers = [line[len("Nr sprzedaży: "):] for line in printed.get("info", [])
                               if line.startswith("Nr sprzedaży: ")]
                else:
                    system = printed.get("system_number") or ""
                    numbers = [system[len("Nr sprzedaży: "):]] if system.startswith("Nr sprzedaży: ") else []
                slots = Counter()
                for line in printed["lines"]:
                    slots[line["slot"]] += line["total"]
                receipts[printed["number"]] = {"total": printed["total"], "sale": numbers[0] if numbers else None,
                                               "slots": dict(slots)}
            totals = Counter()
            for report in self.fake.daily_reports:
                totals.update(report["totals"])
            totals.update(self.fake.totals)
            reports = [report.get("date") for report in self.fake.daily_reports]
        return {"receipts": receipts, "totals": {k: v for k, v in totals.items() if v}, "reports": reports}

    def slot_of(self, code: str) -> str:
        return {"23": "A", "8": "B", "5": "C", "0": "D", "zw": "E"}[code]


# --- the machine ----------------------------------------------------------------------------------------

STATS = Counter()
#: The actions and their weights (how many times each stands in the list): a shop day is mostly sales.
ACTIONS = (["sale"] * 8 + ["press_retry"] * 3 + ["manager_acts"] * 2 + ["refund"] + ["printer_fault"] * 4
           + ["lose_an_answer"] * 2 + ["kill_during"] * 2 + ["kill_now"] + ["printer_clock"] + ["close_day"] * 2)
if os.environ.get("LUKLUK_MODEL_KILL_HEAVY") == "1":  # the soak: about one step in four kills the server
    ACTIONS += ["kill_during"] * 5 + ["kill_now"] * 3


class FiscalShop(RuleBasedStateMachine):
    """One example: a fresh shop, a fresh fake printer, the server started; the rules below."""

    backend = "sqlite"
    device_kind = "posnet"

    def __init__(self):
        super().__init__()
        self.template = Template.of(self.backend)
        self.folder = Path(tempfile.mkdtemp(prefix="lukluk-model-ex-"))
        self.db_url = self.template.copy(self.folder)
        self.clock = Clock()
        self.device = Device(self.device_kind)
        self.device.fake.clock = self.clock.today()
        self.server = Server(self.folder, self.db_url, self.device.spec, self.clock)
        self.device.killer = self._kill_now
        self.listener = Listener()
        self.engine = create_engine(self.db_url)
        self.tills: list[TillState] = []
        self.manager: Person | None = None
        self.day = START.date()
        self.closed: set[date] = set()
        self.told_done: set[int] = set()  #: sale ids the till was told are done
        self.clock_ahead = False
        self.keys = 0
        self.selling = TILLS
        self.server.start()
        STATS["examples"] += 1

    # --- helpers --------------------------------------------------------------------------------

    def _kill_now(self) -> None:
        pid = self.server.pid
        if pid:
            os.kill(pid, signal.SIGKILL)
            STATS["kills"] += 1

    def _restart(self) -> None:
        self.server.kill()
        self.device.kill_at = None
        self.server.start()

    def _sign_in_all(self) -> None:
        """After the clock jumped a night ahead every sign-in has run out: the people sign in again."""
        ids = self.template.ids
        for n, till in enumerate(self.tills):
            till.person.close()
            till.person = Person(self.server)
            till.person.sign_in_pin(ids["people"][n], till.till_id)
        self.manager.close()
        self.manager = Person(self.server)
        self.manager.sign_in_password(ids["manager"], "haslomarka1")

    def _key(self, what: str) -> str:
        self.keys += 1
        return f"model-{what}-{self.keys:06d}-{uuid.uuid4().hex[:6]}"

    def _alive(self) -> None:
        if self.server.pid is None:  # killed mid-command by the armed fault: the shop's PC starts it again
            self.server.kill()
            self.server.start()

    def _ask_about(self, till: TillState) -> None:
        """What till.js does first: learn the fate of a payment whose answer it did not get."""
        if till.unanswered is None:
            return
        found = till.person.api(self.listener, "GET", f"/till/completions/{till.unanswered}")
        if found is None or found.status is None:
            return  # the server is down or busy: asked again next time
        if found.status == 200:
            self._seen(till, found.body)
            till.basket = 0
        till.unanswered = None

    def _seen(self, till: TillState, sale: dict) -> None:
        self.told_done.add(sale["id"])
        fiscal = sale.get("fiscal") or {}
        if fiscal.get("status") == "registered":
            till.waiting.discard(sale["id"])
        elif fiscal.get("status") in ("pending", "uncertain"):
            till.waiting.add(sale["id"])

    # --- the people's actions -------------------------------------------------------------------

    @initialize(tills=st.integers(1, TILLS))
    def sign_in(self, tills):
        """Every till is signed in and counted at the close; ``tills`` of them sell."""
        ids = self.template.ids
        self.selling = tills
        for n in range(TILLS):
            person = Person(self.server)
            person.sign_in_pin(ids["people"][n], ids["tills"][n])
            self.tills.append(TillState(person, ids["tills"][n]))
        self.manager = Person(self.server)
        self.manager.sign_in_password(ids["manager"], "haslomarka1")

    def sale(self, n, category, price):
        """A volunteer scans a line and takes payment by card; gives up waiting after TILL_PATIENCE."""
        self._alive()
        till = self.tills[n % self.selling]
        self._ask_about(till)
        if till.unanswered is not None:
            return
        added = till.person.api(self.listener, "POST", "/till/basket/lines",
                                {"category_id": category, "price": f"{price / 100:.2f}"})
        if added is None or added.status != 201:
            STATS["lines_refused"] += 1
            return
        till.basket += 1
        key = self._key("sale")
        till.unanswered = key
        answer = till.person.api(self.listener, "POST", "/till/basket/complete",
                                 {"key": key, "payments": [{"method": "card"}]}, patience=TILL_PATIENCE)
        STATS["sales"] += 1
        if answer is not None and answer.status == 200:
            till.unanswered, till.basket = None, 0
            self._seen(till, answer.body)

    def press_retry(self, n):
        """"Spróbuj ponownie" / "Sprawdź" on the till's dialog, for each sale it shows waiting."""
        self._alive()
        till = self.tills[n % self.selling]
        self._ask_about(till)
        for sale_id in sorted(till.waiting):
            answer = till.person.api(self.listener, "POST", f"/sales/{sale_id}/fiscal", patience=TILL_PATIENCE)
            if answer is not None and answer.status == 200:
                self._seen(till, answer.body)
        STATS["retries"] += 1

    def _waiting_rows(self) -> list[tuple]:
        with self.engine.connect() as conn:
            return conn.execute(text(
                "SELECT r.sale_id, s.number, r.status, r.in_flight_reports FROM fiscal_registration r "
                "JOIN sale s ON s.id = r.sale_id WHERE r.status IN ('pending', 'uncertain') ORDER BY r.id")).all()

    def manager_acts(self, choice, pick):
        """On the list of sales waiting for their receipt: retry; settle from the paper roll (printed with its
        number, or not printed, as the roll shows); void one the roll shows never printed."""
        self._alive()
        rows = self._waiting_rows()
        if not rows:
            return
        sale_id, number, _status, _mark = rows[pick % len(rows)]
        STATS[f"manager_{choice}"] += 1
        if choice == "retry":
            self.manager.form(self.listener, f"/fiscal/waiting/{sale_id}/retry", {})
            return
        on_roll = [n for n, receipt in self.device.snapshot()["receipts"].items() if receipt["sale"] == str(number)]
        if choice == "settle":
            if on_roll:
                data = {"action": "printed", "number": str(on_roll[0]), "reason": "Paragon jest na rolce"}
            else:
                data = {"action": "not_printed", "reason": "Nie ma go na rolce"}
            self.manager.form(self.listener, f"/fiscal/waiting/{sale_id}/settle", data)
        elif not on_roll:
            self.manager.form(self.listener, f"/fiscal/waiting/{sale_id}/settle",
                              {"action": "void", "reason": "Klient zrezygnował"})

    def refund(self, n, pick):
        """A customer brings something back (card, returns register); refused while its receipt waits."""
        self._alive()
        with self.engine.connect() as conn:
            sales = conn.execute(text(
                "SELECT s.id, s.number FROM sale s WHERE s.kind = 'sale' AND s.status = 'completed' AND NOT EXISTS "
                "(SELECT 1 FROM sale r WHERE r.refund_of_id = s.id) ORDER BY s.id")).all()
        if not sales:
            return
        sale_id, number = sales[pick % len(sales)]
        till = self.tills[n % len(self.tills)]
        found = till.person.api(self.listener, "GET", f"/sales/by-number/{number}")
        if found is None or found.status != 200:
            return
        line = found.body["lines"][0]["id"]
        till.person.api(self.listener, "POST", f"/sales/{sale_id}/refunds", {
            "key": self._key("refund"), "lines": [{"line_id": line, "quantity": 1}], "method": "card",
            "reason": "Nie pasuje", "fiscal_register": "return", "buyer_name": "Jan Kowalski",
            "approval": {"manager_id": self.template.ids["manager"], "pin": "2222"}})
        STATS["refunds"] += 1

    # --- the printer's faults -------------------------------------------------------------------

    def printer_fault(self, fault, on):
        fake = self.device.fake
        STATS[f"fault_{fault}_{'on' if on else 'off'}"] += 1
        if fault == "paper":
            (fake.faults.add("paper") if on else fake.put_in_paper())
        elif fault == "hang":
            if on:
                fake.faults.add("hang")
        elif fault == "mute":
            (fake.faults.add if on else fake.faults.discard)("mute")
        elif fault == "refuse":
            if on and "refuse" not in fake.faults:
                fake.refuse()
            elif not on and "refuse" in fake.faults:
                fake.refuse(False)
        else:
            fake.slow = SLOW if on else 0.0

    def lose_an_answer(self, command, when):
        """The connection drops when the next such command arrives: before the device does it, or after."""
        self.device.fake.drops.append((command, when))
        STATS["drops"] += 1

    def kill_during(self, command, when):
        """SIGKILL the server when the next such command reaches the printer (before or after it is done)."""
        self.device.kill_at = (command, when)

    def kill_now(self):
        """SIGKILL the server between two steps; the shop's PC starts it again."""
        self._kill_now()
        self._restart()

    def printer_clock(self, ahead):
        """The printer's clock set a day ahead of the computer's, or right again."""
        self.clock_ahead = ahead
        self.device.fake.clock = self.clock.today() + timedelta(days=1 if ahead else 0)

    # --- the day close ----------------------------------------------------------------------------

    def close_day(self, after_midnight):
        """The evening: every till counted, then the manager closes the day (the fiscal daily report prints).
        ``after_midnight``: the count is late and the clock has passed midnight. Refused while a sale waits
        for its receipt: the tills open again and the day goes on."""
        self._alive()
        day = self.day
        if after_midnight and self.clock.today() == day:
            self.clock.jump_to(datetime.combine(day + timedelta(days=1), datetime.min.time(), ZONE)
                               + timedelta(minutes=10))
            self.device.fake.clock = self.clock.today() + timedelta(days=1 if self.clock_ahead else 0)
            self._restart()
            self._sign_in_all()
        for till in self.tills:
            till.person.form(self.listener, "/cash/count", {"d10000": "2"})
        closed = self.manager.form(self.listener, f"/cash/day/{day.isoformat()}", {"confirm": "y"})
        STATS["closes"] += 1
        if closed is not None and closed.status == 302:
            self.closed.add(day)
            STATS["closed_days"] += 1
            # The next morning (or, after midnight, now): a new business day.
            if self.clock.today() == day:
                self.clock.jump_to(datetime.combine(day + timedelta(days=1), datetime.min.time(), ZONE)
                                   + timedelta(hours=8))
                self._restart()
                self._sign_in_all()
            self.day = self.clock.today()
            self.device.fake.clock = self.day + timedelta(days=1 if self.clock_ahead else 0)
        for till in self.tills:
            till.person.form(self.listener, "/cash/open", {"d10000": "2"})

    # --- the step: one action, chosen with the weights of a shop day ---------------------------

    @rule(action=st.sampled_from(ACTIONS), data=st.data())
    def step(self, action, data):
        """Hypothesis chooses the action (sales most often; the first, simplest choice is a sale) and its
        arguments; each action is a method above. Weighted so that a short run still holds a day's mix."""
        draw = data.draw
        when = st.sampled_from(["before", "after"])
        arguments = {
            "sale": lambda: dict(n=draw(st.integers(0, TILLS - 1)), category=draw(st.sampled_from(sorted(CATEGORIES))),
                                 price=draw(st.integers(100, 9000))),
            "press_retry": lambda: dict(n=draw(st.integers(0, TILLS - 1))),
            "manager_acts": lambda: dict(choice=draw(st.sampled_from(["retry", "settle", "void"])),
                                         pick=draw(st.integers(0, 50))),
            "refund": lambda: dict(n=draw(st.integers(0, TILLS - 1)), pick=draw(st.integers(0, 50))),
            "printer_fault": lambda: dict(fault=draw(st.sampled_from(["paper", "hang", "mute", "refuse", "slow"])),
                                          on=draw(st.booleans())),
            "lose_an_answer": lambda: dict(command=draw(st.sampled_from(self.device.commands())), when=draw(when)),
            "kill_during": lambda: dict(command=draw(st.sampled_from(self.device.commands())), when=draw(when)),
            "kill_now": dict,
            "printer_clock": lambda: dict(ahead=draw(st.booleans())),
            "close_day": lambda: dict(after_midnight=draw(st.booleans())),
        }[action]()
        STATS[f"step_{action}"] += 1
        STATS["steps"] += 1
        getattr(self, action)(**arguments)

    # --- the invariants -------------------------------------------------------------------------

    def _database(self) -> dict:
        with self.engine.connect() as conn:
            sales = {row[0]: row for row in conn.execute(text(
                "SELECT s.id, s.number, s.total_minor, s.business_date, r.status, r.receipt_number, "
                "r.in_flight_reports FROM sale s LEFT JOIN fiscal_registration r ON r.sale_id = s.id "
                "WHERE s.kind = 'sale' AND s.status = 'completed'")).all()}
            lines = conn.execute(text(
                "SELECT l.sale_id, l.vat_code, l.total_minor FROM sale_line l JOIN sale s ON s.id = l.sale_id "
                "WHERE s.kind = 'sale' AND s.status = 'completed'")).all()
            closed = [row[0] for row in conn.execute(text("SELECT day FROM z_report")).all()]
            marks = conn.execute(text("SELECT business_date, status FROM fiscal_daily_report")).all()
        by_sale: dict[int, Counter] = {}
        for sale_id, code, amount in lines:
            by_sale.setdefault(sale_id, Counter())[self.device.slot_of(code)] += amount
        return {"sales": sales, "slots": by_sale, "closed": [_as_date(d) for d in closed], "marks": marks}

    def check(self, *, settled: bool = False) -> None:
        problems = self.listener.errors() + self.server.tracebacks()
        data = self._database()  # the database first, then the device: a receipt printed in between is
        device = self.device.snapshot()  # still an unsettled sale's, never a claimed one missing
        receipts = device["receipts"]
        claimed: dict[int, int] = {}
        unsettled = {}
        for sale_id, (_id, number, total, _day, status, receipt, mark) in data["sales"].items():
            if status is None:
                problems.append(f"sale {number}: completed without a fiscal registration")
            elif status == "registered":
                if receipt in claimed:
                    problems.append(f"receipt {receipt} claimed by sales {claimed[receipt]} and {sale_id}")
                claimed[receipt] = sale_id
                printed = receipts.get(receipt)
                if printed is None:
                    problems.append(f"sale {number}: registered as receipt {receipt}, which the device never printed")
                elif printed["total"] != total or (printed["sale"] not in (None, str(number))):
                    problems.append(f"sale {number} ({total}): receipt {receipt} is {printed}")
            elif status in ("pending", "uncertain"):
                unsettled[str(number)] = mark
            elif status == "voided":
                if any(r["sale"] == str(number) for r in receipts.values()):
                    problems.append(f"sale {number}: voided, yet a receipt of it is on the device")
        loose = {n: r for n, r in receipts.items() if n not in claimed}
        named = Counter(r["sale"] for r in loose.values() if r["sale"] is not None)
        for sale_number, count in named.items():
            if sale_number not in unsettled:
                problems.append(f"receipt(s) of sale {sale_number} on the device, claimed by no sale")
            elif count > 1:
                problems.append(f"sale {sale_number}: {count} receipts on the device")
        anonymous = [n for n, r in loose.items() if r["sale"] is None]
        if len(anonymous) > sum(1 for mark in unsettled.values() if mark is not None):
            problems.append(f"receipts {anonymous} carry no sale and no sale in flight can be theirs")
        expected = Counter()
        for sale_id in claimed.values():
            expected.update(data["slots"].get(sale_id, {}))
        for receipt in loose.values():
            expected.update(receipt["slots"])
        if {k: v for k, v in expected.items() if v} != device["totals"]:
            problems.append(f"device totals {device['totals']} != registered sales and loose receipts {dict(expected)}")
        reports_by_day = Counter(day for day, status in data["marks"])
        if any(count > 1 for count in reports_by_day.values()) or len(device["reports"]) > len(data["marks"]):
            problems.append(f"daily reports {device['reports']} for marked days {data['marks']}")
        for day in data["closed"]:
            late = [number for _id, number, _t, business_date, status, *_ in data["sales"].values()
                    if status in ("pending", "uncertain") and _as_date(business_date) <= day]
            if late:
                problems.append(f"day {day} is closed while sales {late} wait for their receipt")
        missing = self.told_done - set(data["sales"])
        if missing:
            problems.append(f"sales {sorted(missing)} were shown done and are gone")
        if settled:
            left = [row[1] for row in data["sales"].values() if row[4] in ("pending", "uncertain")]
            if left or loose:
                problems.append(f"after settling: sales {left} still wait, receipts {sorted(loose)} unclaimed")
        STATS["checks"] += 1
        assert not problems, "\n".join(problems)

    @invariant()
    def invariants_hold(self):
        self.check()

    def teardown(self):
        try:
            self.device.kill_at = None
            fake = self.device.fake
            fake.drops.clear()
            if "refuse" in fake.faults:
                fake.refuse(False)
            fake.faults.clear()
            fake.put_in_paper()
            fake.slow = 0.0
            self.listener.quiet()
            if self.server.pid is None:
                self.server.kill()
                self.server.start()
            self._settle_everything()
            self.listener.quiet()
            self.check(settled=True)
        finally:
            for person in [till.person for till in self.tills] + ([self.manager] if self.manager else []):
                person.close()
            self.server.stop()
            self.engine.dispose()
            self.device.close()
            self.template.drop(self.db_url)
            shutil.rmtree(self.folder, ignore_errors=True)

    def _settle_everything(self) -> None:
        """The manager's end of the day, with the printer working: every waiting sale retried until settled."""
        for _ in range(5):
            rows = self._waiting_rows()
            if not rows:
                return
            for sale_id, *_rest in rows:
                self.manager.form(self.listener, f"/fiscal/waiting/{sale_id}/retry", {})
            self.listener.quiet()


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def machine(backend: str, device: str) -> type[FiscalShop]:
    return type(f"FiscalShop_{backend}_{device}", (FiscalShop,), {"backend": backend, "device_kind": device})


def random_seed() -> int:
    return random.SystemRandom().randrange(2**32)
