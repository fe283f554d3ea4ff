"""数据看板 and 月度汇总: the dashboard of a community, a grid or the district, and the
printable monthly summary for the street office."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)
