"""JSON API of the spending side: scan (filled in by the feature)."""
from points.api import Blueprint

blp = Blueprint("api_scan", __name__, url_prefix="/api/v1", description="scan")
