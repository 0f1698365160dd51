"""The print queue: make jobs in the sale's own transaction, print them later, retry, report status."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app, has_request_context
from sqlalchemy import func, or_, select, update

from ..core import audit, web
from ..core.db import set_read_only
from ..core.models import FiscalMode, Shop, utcnow
from ..extensions import db
from ..till.models import PaymentMethod, Sale
from . import devices, document, render
from .models import JobKind, JobStatus, PrintJob

log = logging.getLogger(__name__)

#: After this many failed tries a job stops retrying by itself (it can be retried by hand).
MAX_ATTEMPTS = 30
MAX_BACKOFF_SECONDS = 60


@dataclass(frozen=True)
class PrinterSettings:
    spec: devices.PrinterSpec
    profile: str
    paper_mm: int
    fs_dot: bool
    #: True when LUKLUK_PRINTER fixes the printer for this machine (the admin's setting is ignored).
    from_environment: bool
    #: The shop row read with the settings (its name and address head every receipt).
    shop: Shop | None = None

    @property
    def columns(self) -> int:
        return render.columns(self.profile, self.paper_mm)


#: Where the admin's ``file:NAME`` printer writes: a folder of the instance, nowhere else.
FILE_FOLDER = "printer-output"


def file_target(name: str) -> str:
    """The path a ``file:`` printer set in the browser writes to: ``NAME`` inside the instance's
    printer-output folder. Anything that would leave that folder (an absolute path elsewhere, ``..``,
    the database) raises ValueError: a setting typed in a browser must not append to any file the
    server can write. (``LUKLUK_PRINTER`` on the machine itself may name any file.)"""
    folder = (Path(current_app.instance_path) / FILE_FOLDER).resolve()
    target = (folder / name).resolve()
    if not name or target.parent != folder or target.suffix in (".db", ".py", ".sqlite"):
        raise ValueError(f"file:NAME writes to {folder}/NAME; other paths are refused")
    folder.mkdir(parents=True, exist_ok=True)
    return str(target)


def settings() -> PrinterSettings:
    """The printer in force: LUKLUK_PRINTER if the machine sets it, else the admin's setting."""
    shop = web.shop() if has_request_context() else db.session.scalar(select(Shop).limit(1))
    env = current_app.config.get("PRINTER")
    text = env or (shop.printer if shop and shop.printer else "preview")
    try:
        spec = devices.parse(text)
        if spec.kind == "file" and not env:
            spec = devices.PrinterSpec("file", file_target(spec.target))
    except ValueError:
        log.error("Printer setting %r is not valid; printing to preview", text)
        spec = devices.parse("preview")
    return PrinterSettings(spec=spec, profile=(shop.printer_profile if shop else None) or "TM-T20II",
                           paper_mm=shop.paper_mm if shop else 80, fs_dot=bool(shop and shop.printer_fs_dot),
                           from_environment=bool(env), shop=shop)


def _job(kind: JobKind, blocks: list[dict] | None, *, user_id: int | None, sale_id: int | None = None,
         copy: bool = False, config: PrinterSettings | None = None) -> PrintJob:
    config = config or settings()
    job = PrintJob(kind=kind, document=blocks, requested_by_id=user_id, sale_id=sale_id, copy=copy,
                   printer=str(config.spec),
                   status=JobStatus.PREVIEW if config.spec.kind == "preview" else JobStatus.PENDING)
    db.session.add(job)
    db.session.flush()
    return job


def receipt_job(sale: Sale) -> PrintJob | None:
    """The sale's receipt as first queued (not a KOPIA), if it was."""
    return db.session.scalar(select(PrintJob).where(
        PrintJob.sale_id == sale.id, PrintJob.kind == JobKind.RECEIPT, PrintJob.copy.is_(False)))


def queue_receipt(sale: Sale, *, user_id: int | None, fresh: bool = False) -> PrintJob:
    """The receipt of a just-completed sale or refund, printed once: a repeated completion request
    finds the job already made (``fresh``: this transaction completed the sale, so there is none to
    look for). Queued in the sale's transaction with no document: the receipt is composed from the
    committed sale afterwards (``compose``), off the till's request. Cash opens the drawer."""
    existing = None if fresh else receipt_job(sale)
    if existing is not None:
        return existing
    return _job(JobKind.RECEIPT, None, user_id=user_id, sale_id=sale.id)


def _fiscal_receipts() -> bool:
    """Whether the fiscal printer prints the shop's receipts (then this printer prints none of them)."""
    current = web.shop() if has_request_context() else db.session.scalar(select(Shop).limit(1))
    return current is not None and current.fiscal_mode is FiscalMode.PRINTER


def receipt_for_sale(_sender, *, sale: Sale, user_id: int | None, fresh: bool, **_details) -> PrintJob | None:
    """Listening to the till (``core.events.sale_completed``): the sale's receipt, queued in its transaction
    (once: a repeated completion finds the job made), unless the fiscal printer prints it."""
    if _fiscal_receipts():
        return None
    return queue_receipt(sale, user_id=user_id, fresh=fresh)


def receipt_for_refund(_sender, *, refund: Sale, user_id: int | None, **_details) -> PrintJob | None:
    """Listening to the till (``core.events.sale_refunded``): the refund's receipt, unless the fiscal printer
    prints the shop's receipts (a refund is then an entry in its returns or corrections register)."""
    if _fiscal_receipts():
        return None
    return queue_receipt(refund, user_id=user_id)


def compose(job: PrintJob, config: PrinterSettings | None = None, *, keep: bool = True) -> list[dict]:
    """A job's document; a receipt queued without one is composed from its sale (a sale never changes
    once completed) and, with ``keep``, stored so it is fixed from then on."""
    if job.document is not None:
        return job.document
    config = config or settings()
    sale = db.session.get(Sale, job.sale_id)
    cash = any(p.method is PaymentMethod.CASH for p in sale.payments)
    blocks = document.receipt(sale, config.shop, config.columns, open_drawer=cash)
    if keep:
        job.document = blocks
    return blocks


def compose_due(*, limit: int = 50) -> int:
    """The print worker's first step each round: compose the receipts of the sales just made (a few at
    most: the worker runs twice a second) and store them. Returns how many were stored.

    They are composed in a read transaction, which takes no write lock (SQLite): a till completing a
    sale meanwhile does not wait for the composing, only for the one short UPDATE per receipt after it.
    A receipt some reader stored meanwhile keeps its document (a sale never changes once completed,
    so the two are the same)."""
    set_read_only(True)
    try:
        jobs = db.session.scalars(select(PrintJob).where(PrintJob.document.is_(None)).order_by(PrintJob.id)
                                  .limit(limit)).all()
        config = settings() if jobs else None
        documents = {job.id: compose(job, config, keep=False) for job in jobs}
    finally:
        db.session.rollback()
        set_read_only(False)
    if not documents:
        return 0
    table = PrintJob.__table__
    connection = db.session.connection()
    stored = sum(connection.execute(update(table).where(table.c.id == job_id, table.c.document.is_(None))
                                    .values(document=blocks)).rowcount
                 for job_id, blocks in documents.items())
    db.session.commit()
    return stored


def reprint(sale: Sale, *, user_id: int) -> PrintJob:
    """A copy of a receipt (marked KOPIA, no drawer), audited."""
    config = settings()
    job = _job(JobKind.RECEIPT, document.receipt(sale, config.shop, config.columns, copy=True), user_id=user_id,
               sale_id=sale.id, copy=True, config=config)
    audit.record("receipt.reprint", user_id=user_id, obj=sale, number=sale.number)
    return job


def open_drawer(*, user_id: int, reason: str, approved_by: int | None) -> PrintJob:
    """Open the cash drawer outside a sale, with the reason in the audit log."""
    job = _job(JobKind.DRAWER, document.drawer(), user_id=user_id)
    audit.record("drawer.open", user_id=user_id, obj=job, reason=reason, approved_by=approved_by)
    return job


def queue_test_page(*, user_id: int | None) -> PrintJob:
    config = settings()
    return _job(JobKind.TEST, document.test_page(config.shop, config.columns, str(config.spec)), user_id=user_id,
                config=config)


def queue_document(kind: JobKind, blocks: list[dict], *, user_id: int | None) -> PrintJob:
    """Any other document (the day report, price labels) through the same queue, retries and status."""
    return _job(kind, blocks, user_id=user_id)


def receipt_document(sale: Sale) -> tuple[list[dict], int]:
    """What the paper receipt said (the first job's document), or what it would say; and its width."""
    job = receipt_job(sale)
    config = settings()
    if job is not None:
        blocks = compose(job, config, keep=False)  # a page only reads: the worker stores it
        return blocks, next((b["width"] for b in blocks if b["t"] == "rule"), config.columns)
    return document.receipt(sale, config.shop, config.columns), config.columns


def render_job(job: PrintJob, config: PrinterSettings) -> bytes:
    return render.escpos_bytes(compose(job, config), profile=config.profile, fs_dot=config.fs_dot)


# --- the worker's side --------------------------------------------------------------------------

#: Printed on a job sent again after a crash: it may have come out already, so it says so and never
#: passes for a second original (nor opens the drawer again).
REPEAT_MARK = "WYDRUK PONOWNY"


def recover_interrupted() -> int:
    """Jobs left 'printing' by a crash go back to the queue, marked as a repeated print: the first try may
    have come out, so the paper says WYDRUK PONOWNY and the drawer stays shut."""
    jobs = list(db.session.scalars(select(PrintJob).where(PrintJob.status == JobStatus.PRINTING)))
    for job in jobs:
        job.status = JobStatus.PENDING
        job.document = document.repeated(compose(job), REPEAT_MARK)
        audit.record("print.repeated", user_id=None, job=job.id, sale_id=job.sale_id)
    db.session.commit()
    return len(jobs)


def process_due(*, limit: int = 20) -> int:
    """Print what is due, oldest first; stop at the first failure (the printer is down). Returns how
    many printed. Each job is claimed with a conditional update, so two workers never print one job."""
    printed = 0
    for _ in range(limit):
        set_read_only(True)
        due = db.session.scalar(select(PrintJob.id).where(
            PrintJob.status == JobStatus.PENDING, PrintJob.next_attempt_at <= utcnow()).order_by(PrintJob.id).limit(1))
        db.session.rollback()
        set_read_only(False)
        if due is None:
            break
        claimed = db.session.execute(update(PrintJob).where(PrintJob.id == due, PrintJob.status == JobStatus.PENDING)
                                     .values(status=JobStatus.PRINTING)).rowcount
        db.session.commit()
        if claimed != 1:
            continue
        if not print_now(db.session.get(PrintJob, due)):
            break
        printed += 1
    return printed


def print_now(job: PrintJob) -> bool:
    """Send one claimed job; record the outcome. True when it printed.

    The transaction is closed before the printer is contacted: a slow or hanging printer must never
    hold the database (on SQLite, the write lock the till needs)."""
    config = settings()
    if job.document is None:  # not composed yet by the worker's first step: compose and keep it now
        compose(job, config)
        db.session.commit()
    data, job_id = render_job(job, config), job.id
    db.session.rollback()
    try:
        devices.send(config.spec, data)
    except devices.PrinterUnavailable as exc:
        job = db.session.get(PrintJob, job_id)
        job.attempts += 1
        job.last_error = str(exc)[:1000]
        if exc.sent:  # it may have come out: the next try says so on paper and keeps the drawer shut
            job.document = document.repeated(compose(job, config), REPEAT_MARK)
            audit.record("print.repeated", user_id=None, job=job.id, sale_id=job.sale_id)
        job.status = JobStatus.FAILED if job.attempts >= MAX_ATTEMPTS else JobStatus.PENDING
        job.next_attempt_at = utcnow() + timedelta(seconds=min(2 ** job.attempts, MAX_BACKOFF_SECONDS))
        db.session.commit()
        log.warning("Print job %s failed (attempt %s): %s", job_id, job.attempts, exc)
        return False
    job = db.session.get(PrintJob, job_id)
    job.status = JobStatus.PRINTED
    job.printed_at = utcnow()
    job.printer = str(config.spec)
    job.last_error = ""
    db.session.commit()
    return True


def retry(job: PrintJob, *, user_id: int) -> None:
    """Put a failed job back in the queue at once."""
    job.status, job.next_attempt_at, job.attempts = JobStatus.PENDING, utcnow(), 0
    audit.record("print.retry", user_id=user_id, obj=job)


def status() -> dict:
    """For the till: is the printer failing, and how many documents wait for it? Once any job has
    failed, every job not yet printed counts (50 receipts behind a jammed printer say 50, not only the
    ones already tried); a queue that is just moving shows nothing."""
    trouble = db.session.scalar(select(PrintJob.id).where(
        or_(PrintJob.status == JobStatus.FAILED,
            (PrintJob.status.in_([JobStatus.PENDING, JobStatus.PRINTING])) & (PrintJob.attempts > 0))).limit(1))
    waiting = db.session.scalar(select(func.count()).select_from(PrintJob).where(PrintJob.status.in_(
        [JobStatus.PENDING, JobStatus.PRINTING, JobStatus.FAILED]))) if trouble is not None else 0
    last_error = ""
    if waiting:
        last_error = db.session.scalar(select(PrintJob.last_error).where(PrintJob.last_error != "")
                                       .order_by(PrintJob.id.desc()).limit(1)) or ""
    spec = settings().spec
    return {"printer": str(spec), "preview": spec.kind == "preview", "waiting": int(waiting or 0),
            "last_error": last_error}


def recent_jobs(limit: int = 20) -> list[PrintJob]:
    return list(db.session.scalars(select(PrintJob).order_by(PrintJob.id.desc()).limit(limit)))


# --- listening to the day's close (core.events) -------------------------------------------------

def queue_z_report(_sender, *, report, user_id: int) -> None:
    """The day is closed (committed): its Z report goes to the receipt printer's queue, or is kept for the
    page when there is none. Committed here, before anything else listens."""
    config = settings()
    queue_document(JobKind.REPORT, document.z_report(report.figures, config.shop, config.columns), user_id=user_id)
    db.session.commit()


def z_report_goes_to(_sender) -> str:
    """Where a Z report goes: "preview" (no receipt printer: the page) or "printer"."""
    return "preview" if settings().spec.kind == "preview" else "printer"
