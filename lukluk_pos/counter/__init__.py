"""The counter's pages: the till page and the refund page, where the till's baskets and sales meet the
drawer's session, the receipt printer and the fiscal device. They sit on top of those areas (the till
itself knows none of them); their routes belong to the till's blueprint (``till.bp``: its URLs and
templates), attached when this package is imported — before the blueprint is registered."""
from . import views  # noqa: F401
