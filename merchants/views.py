"""Pages of the spending side, one blueprint ``merchants`` whose routes live in three
modules: the mall and vouchers (``views_mall``), scanning and redemptions
(``views_scan``), the fund, coupons and settlements (``views_settlement``)."""
from flask import Blueprint

bp = Blueprint("merchants", __name__)

from merchants import views_mall, views_scan, views_settlement  # noqa: E402,F401  (routes)
