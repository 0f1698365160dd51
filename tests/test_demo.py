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
