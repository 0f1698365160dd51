"""`make demo` builds a believable shop through the real services (a small one here)."""
from sqlalchemy import func, select

from lukluk_pos.catalog.models import Item
from lukluk_pos.extensions import db
from lukluk_pos.till.models import Sale, SaleStatus


def test_demo_shop(app):
    lines = []
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--items", "60", "--days", "3", "--seed", "1"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("Kierowniczka Magda (admin): PIN ") for line in lines)
    assert "Gotowe" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Item)) == 62
        sales = db.session.scalar(select(func.count()).select_from(Sale).where(Sale.status == SaleStatus.COMPLETED))
        assert sales >= 25
        numbers = list(db.session.scalars(select(Sale.number).order_by(Sale.number)))
        assert numbers == list(range(1, len(numbers) + 1))  # gapless
    again = runner.invoke(args=["demo", "--items", "5", "--days", "1", "--seed", "2"])
    assert again.exit_code == 0, again.output  # adds to an existing shop


def test_demo_shop_in_fiscal_printer_mode(app):
    """`make demo` with --fiscal: every sale of the past days registered once, each day's daily report read
    back into its Z report with no difference."""
    from pathlib import Path

    from lukluk_pos.cash.models import ZReport
    from lukluk_pos.fiscal.emulator import FILE_NAME, EmulatedPrinter
    from lukluk_pos.fiscal.models import FiscalRegistration, RegistrationStatus

    result = app.test_cli_runner().invoke(args=["demo", "--items", "60", "--days", "2", "--seed", "3", "--fiscal"])
    assert result.exit_code == 0, result.output
    memory = EmulatedPrinter(Path(app.instance_path) / FILE_NAME).memory()
    with app.app_context():
        registered = db.session.scalar(select(func.count()).select_from(FiscalRegistration).where(
            FiscalRegistration.status == RegistrationStatus.REGISTERED))
        sales = db.session.scalar(select(func.count()).select_from(Sale).where(
            Sale.status == SaleStatus.COMPLETED, Sale.kind == "sale"))
        assert registered == sales == memory["last_receipt"] and len(memory["journal"]) == min(sales, 200)
        reports = list(db.session.scalars(select(ZReport).order_by(ZReport.number)))
        assert reports and [r.fiscal["number"] for r in reports] == [d["number"] for d in memory["daily_reports"]]
        for report in reports:
            fiscal = report.figures["fiscal"]
            assert fiscal["receipts_difference"] == 0
            assert all(entry["difference_minor"] == 0 for entry in fiscal["by_vat"].values())
