"""Leaderboards in JSON."""
from points.api import Blueprint

blp = Blueprint("api_boards", __name__, url_prefix="/api/v1")
