"""Serve the shop with waitress (works the same on the counter's Linux or Windows PC)."""
from __future__ import annotations

import ctypes
import gc
import threading
from contextlib import contextmanager
from pathlib import Path

from waitress import serve
from waitress.server import create_server

from . import create_app


@contextmanager
def background_server(app, *, threads: int = 4):
    """Serve ``app`` on a free port of 127.0.0.1 in a thread (tests and the benchmark); yields the URL."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads, ident="LukLuk POS")
    closing = threading.Event()

    def run():
        try:
            server.run()
        except (OSError, ValueError):
            if not closing.is_set():  # closing the sockets under the loop is how it stops
                raise

    thread = threading.Thread(target=run, name="lukluk-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        closing.set()
        server.close()
        thread.join(5)


def _two_malloc_arenas() -> bool:
    """Where the C library is glibc, let the server's threads share two malloc arenas (``mallopt
    M_ARENA_MAX``, as ``MALLOC_ARENA_MAX=2`` would), set before any thread starts. Each of waitress's
    eight threads would otherwise get an arena of its own, and what SQLite and the big report rows
    allocate there stays in the process: after the manager's year pages the server held 113-116 MB,
    with two arenas 110 MB. The threads take turns under the GIL anyway. Elsewhere (Windows, musl)
    nothing changes."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-8, 2))  # M_ARENA_MAX is -8 in glibc's malloc.h
    except (OSError, AttributeError):
        return False


def start():
    """Build the server's app with the collector paused, then freeze what start-up built; templates are
    compiled once and kept.

    Start-up makes ~170 000 objects that live as long as the process (modules, mappers, routes,
    pydantic validators); the cyclic collector would walk them over and over while they are being
    made (a tenth of the start-up) and again in every full collection while the till works. So the
    collector waits, the mappers are configured here rather than in the first request, and
    ``gc.freeze()`` moves all of it out of the collector's sight (the few hundred garbage objects
    start-up leaves stay: a few hundred kilobytes)."""
    from jinja2 import FileSystemBytecodeCache
    from sqlalchemy.orm import configure_mappers

    _two_malloc_arenas()
    gc.disable()
    try:
        app = create_app(migrations=False)
        configure_mappers()
    finally:
        gc.freeze()
        gc.enable()
    # Compiled templates kept in the instance folder (each keyed by its source's checksum, so an edited
    # template is compiled again): a page's first showing after a restart does not compile it. The
    # sign-in page's first answer went from ~50 to ~22 ms.
    cache = Path(app.instance_path) / "template-cache"
    cache.mkdir(exist_ok=True)
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(cache))
    return app


def _recover_backup(app) -> None:
    """A backup the last run left "running" (killed during the copy) is taken again; dead copies go."""
    from .core import backup

    with app.app_context():
        try:
            backup.sqlite_path()
        except backup.BackupError:
            return  # PostgreSQL: pg_dump's business
        backup.recover(app.instance_path, keep_days=app.config["BACKUP_KEEP_DAYS"])


def main() -> None:
    from .core import logs, notify
    from .invoicing.ksef import KsefWorker
    from .printing.worker import PrintWorker

    app = start()
    logs.configure(app.instance_path)
    _recover_backup(app)
    host, port = app.config["HOST"], app.config["PORT"]
    worker = PrintWorker(app)
    worker.start()  # prints receipts from the queue, outside every web request
    ksef_worker = KsefWorker(app)
    ksef_worker.start()  # sends invoices to KSeF from their queue, outside every web request
    print(f"LukLuk POS: http://{host}:{port}/  (Ctrl+C stops it)", flush=True)
    # Under systemd (Type=notify, WatchdogSec): READY=1 once it answers, WATCHDOG=1 while it answers and
    # its workers live (core/notify.py). Elsewhere nothing is sent.
    stopping = threading.Event()
    notify.supervise(notify.Notifier(), host=host, port=port, stop=stopping,
                     alive=lambda: [w.label for w in (worker, ksef_worker) if not w.is_alive()])
    try:
        serve(app, host=host, port=port, threads=8, ident="LukLuk POS")
    finally:
        stopping.set()
        worker.stop()
        ksef_worker.stop()


if __name__ == "__main__":
    main()
