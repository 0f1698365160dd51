"""Where people wait, measured beside a reference in the same run (the speed issue): the day close, a
scan into a long basket, the server's start-up and memory, and the minimal sale a completion is
compared with. ``bench/run.py`` calls these on the shops it builds."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from lukluk_pos.core.progress import Progress
from lukluk_pos.extensions import db


def _token(page: bytes, name: str = "csrf_token") -> str:
    return re.search(rb'name="' + name.encode() + rb'" type="hidden" value="([^"]+)"', page).group(1).decode()


def sign_in_manager(client, app, password: str = "bench-password") -> None:
    from lukluk_pos.auth.models import User

    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.name == "Admin"))
    _status, page = client.request("GET", "/sign-in/manager")
    status, _ = client.request("POST", "/sign-in/manager", form={"user_id": admin_id, "password": password,
                                                                  "csrf_token": _token(page)})
    assert status == 302, status


def long_basket(app, client_cls, codes: list[str], *, empty_rounds: int = 40) -> dict:
    """Scans into an empty basket (scan one, void) against scans into a basket already 100 lines long."""
    from lukluk_pos.auth.models import User
    from lukluk_pos.serve import background_server

    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.name == "Wolontariusz"))
    samples = {"scan_empty_basket": [], "scan_100_line_basket": []}
    bar = Progress("measuring scans into a long basket", len(codes))
    with background_server(app) as url:
        client = client_cls(int(url.rsplit(":", 1)[1]))
        client.sign_in(user_id)

        def scan(code):
            start = time.perf_counter()
            status, data = client.request("POST", "/api/v1/till/basket/lines", {"code": code})
            took = (time.perf_counter() - start) * 1000
            if status != 201:
                raise SystemExit(f"scan answered {status}: {data[:200]!r}")
            bar.advance()
            return took

        for n, code in enumerate(codes[:empty_rounds]):
            took = scan(code)
            client.request("POST", "/api/v1/till/basket/void", {"reason": "bench"})
            if n >= 5:
                samples["scan_empty_basket"].append(took)
        rest = codes[empty_rounds:]
        for code in rest[:100]:  # the basket grows to 100 lines
            scan(code)
        for code in rest[100:]:  # lines 101…: the scans timed
            samples["scan_100_line_basket"].append(scan(code))
        client.request("POST", "/api/v1/till/basket/void", {"reason": "bench"})
        bar.finish()
        client.close()
    return samples


def day_close(app, client_cls, day) -> dict:
    """The close as the manager does it: count the drawer, then close the day (timed), then how long the
    backup that follows took, on its own thread after the answer."""
    from lukluk_pos.core.backup import read_status
    from lukluk_pos.serve import background_server

    with background_server(app) as url:
        client = client_cls(int(url.rsplit(":", 1)[1]))
        sign_in_manager(client, app)
        _status, page = client.request("GET", "/cash/count")
        status, data = client.request("POST", "/cash/count", form=_exact_count(app) | {"csrf_token": _token(page)})
        if status != 302:
            raise SystemExit(f"the count answered {status}: {data[:300]!r}")
        _status, page = client.request("GET", f"/cash/day/{day.isoformat()}")
        start = time.perf_counter()
        status, data = client.request("POST", f"/cash/day/{day.isoformat()}",
                                      form={"confirm": "y", "csrf_token": _token(page)})
        close_ms = (time.perf_counter() - start) * 1000
        if status != 302:
            errors = re.findall(rb'class="(?:error|flash[^"]*)"[^>]*>([^<]+)', data)
            raise SystemExit(f"the close answered {status}: {errors}")
        answered = time.perf_counter()
        after = {}
        for name in ("lukluk_backup", "lukluk_stock_figures"):  # each on its own thread after the answer
            thread = app.extensions.get(name)
            if thread is not None:
                thread.join(600)
            after[name] = time.perf_counter() - answered
        client.close()
    state = (read_status(app.instance_path) or {}).get("state")
    return {"close_ms": round(close_ms, 1), "backup_after_answer_s": round(after["lukluk_backup"], 2),
            "backup_state": state, "stock_figures_after_answer_s": round(after["lukluk_stock_figures"], 2)}


def _exact_count(app) -> dict[str, str]:
    """The drawer counted right: the expected cash of till 1's open session in notes and coins."""
    from lukluk_pos.cash import service as cash
    from lukluk_pos.cash.models import DENOMINATIONS

    with app.app_context():
        left = cash.expected(cash.current_session(1))["expected_minor"]
    counts = {}
    for value in DENOMINATIONS:
        counts[f"d{value}"], left = str(left // value), left % value
    return counts


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (the bench's and the tests' server processes)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _first_answer(command: list[str], env: dict, port: int, path: str) -> tuple[subprocess.Popen, float]:
    """Start a server process; seconds from its start to the first 200 on ``path``."""
    import http.client

    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.perf_counter() - started < 60:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return process, time.perf_counter() - started
        except OSError:
            time.sleep(0.005)
    process.kill()
    raise SystemExit(f"{command} gave no answer in 60 s")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def server_process(app, client_cls, pages: list[str], *, rounds: int = 5) -> dict:
    """The server as ``make run`` starts it (``python -m lukluk_pos.serve``) on this shop's file: seconds
    to its first answer, its memory idle, and its memory after the manager's pages; beside the minimal
    Flask app started the same way."""
    folder = Path(app.instance_path)
    env = os.environ | {"LUKLUK_INSTANCE_PATH": str(folder), "LUKLUK_PRINTER": "preview",
                        "LUKLUK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    results: dict = {}
    # As `make run` does before it starts the server: the app's bytecode, compiled where it changed.
    subprocess.run([sys.executable, "-m", "compileall", "-q", "lukluk_pos", "config.py"], check=True,
                   cwd=Path(__file__).resolve().parent.parent)
    starts, minimal_starts = [], []
    for n in range(3):
        port = free_port()
        process, seconds = _first_answer([sys.executable, "-m", "lukluk_pos.serve"],
                                         env | {"LUKLUK_PORT": str(port)}, port, "/sign-in")
        starts.append(seconds)
        if n == 2:  # the last start also serves the manager's pages
            results["rss_idle_mb"] = round(_rss_mb(process.pid), 1)
            client = client_cls(port)
            sign_in_manager(client, app)
            for _ in range(rounds):
                for path in pages:
                    status, _ = client.request("GET", path)
                    assert status == 200, (path, status)
            client.close()
            results["rss_after_manager_pages_mb"] = round(_rss_mb(process.pid), 1)
        process.terminate()
        process.wait(30)
        port = free_port()
        process, seconds = _first_answer([sys.executable, "-m", "bench.minimal", str(folder / "minimal-start.db"),
                                          str(port)], env, port, "/ping")
        minimal_starts.append(seconds)
        if n == 2:
            results["minimal_rss_mb"] = round(_rss_mb(process.pid), 1)
        process.terminate()
        process.wait(30)
    results["startup_s"] = round(min(starts), 3)
    results["startup_all_s"] = [round(s, 3) for s in starts]
    results["minimal_startup_s"] = round(min(minimal_starts), 3)
    return results



PAINT_PROBE = """
window.__painted = [];
(function () {
  var scan = document.getElementById("scan"), lines = document.getElementById("lines"), started = null;
  scan.addEventListener("keydown", function (event) {
    if (event.key === "Enter") started = performance.now();
  }, true);
  new MutationObserver(function () {
    if (started === null) return;
    var from = started;
    started = null;
    // The row is in the document; the next frame paints it.
    requestAnimationFrame(function () { setTimeout(function () {
      window.__painted.push(performance.now() - from);
      waiting.splice(0).forEach(function (wake) { wake(); });
    }, 0); });
  }).observe(lines, {childList: true, subtree: true});
  var waiting = [];
  // The bench awaits this instead of asking the page over and over (each question is a round trip
  // through Playwright, on the same two cores as the server and the browser it measures).
  window.__paintedAfter = function (count) {
    return new Promise(function (resolve, reject) {
      var check = function () {
        if (window.__painted.length > count) resolve(window.__painted[count]);
        else waiting.push(check);
      };
      check();
      setTimeout(function () { reject(new Error("the till never painted the scanned line")); }, 30000);
    });
  };
})();
"""

VOID_BASKET = """async () => {
  await fetch("/api/v1/till/basket/void", {method: "POST", headers: {"Content-Type": "application/json",
    "X-CSRFToken": document.querySelector("meta[name=csrf-token]").content}, body: JSON.stringify({reason: "bench"})});
}"""

STATIC_FETCH = """async () => {
  var started = performance.now();
  var response = await fetch("/static/till.js", {cache: "no-store"});
  await response.text();
  return performance.now() - started;
}"""


def scan_painted(app, codes: list[str], *, short: int = 40, long_rounds: int = 40) -> dict:
    """In Chromium: from the scan's Enter (a scanner types the digits and Enter into the scan field) to
    the new line painted, for scans into a short basket (up to ``short`` lines) and into one already 100
    lines long, beside a static file fetched from the same page. Empty when Chromium is not here."""
    import shutil

    from playwright.sync_api import sync_playwright

    from lukluk_pos.auth.models import User
    from lukluk_pos.serve import background_server
    from tests.browser import CHROMIUM_ARGS

    from .people import PIN

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        print("  Chromium is not installed: scan-to-painted is not measured", flush=True)
        return {}
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.name == "Wolontariusz"))
    samples = {"painted_short_basket": [], "painted_100_line_basket": [], "static_fetch_from_page": []}
    bar = Progress("measuring scan to painted line in Chromium", 100 + long_rounds)
    with background_server(app) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_context(base_url=url, locale="pl-PL").new_page()
        page.goto(f"/sign-in/{user_id}")
        page.fill("input[name=pin]", PIN)
        page.press("input[name=pin]", "Enter")
        page.wait_for_selector("#till[data-ready='1']")
        page.evaluate(VOID_BASKET)
        page.reload()
        page.wait_for_selector("#till[data-ready='1']")
        page.evaluate(PAINT_PROBE)

        def scan(code: str) -> float:
            count = page.evaluate("window.__painted.length")
            page.keyboard.type(code)
            page.keyboard.press("Enter")
            took = page.evaluate("count => window.__paintedAfter(count)", count)  # the page times itself
            bar.advance()
            return took

        for n, code in enumerate(codes[:short]):
            took = scan(code)
            if n >= 5:
                samples["painted_short_basket"].append(took)
            samples["static_fetch_from_page"].append(page.evaluate(STATIC_FETCH))
        for code in codes[short:100]:  # the basket grows to 100 lines
            scan(code)
        for code in codes[100:100 + long_rounds]:
            samples["painted_100_line_basket"].append(scan(code))
        page.evaluate(VOID_BASKET)  # the till is counted and the day closed next: no basket may be left
        bar.finish()
        browser.close()
    return samples
