"""JSON API of check-in and attendance under /api/v1 (filled in by the feature)."""
from points.api import Blueprint

blp = Blueprint("api_checkin", __name__, url_prefix="/api/v1", description="check-in")
