"""JSON API of inspections under /api/v1 (filled in by the feature)."""
from points.api import Blueprint

blp = Blueprint("api_inspections", __name__, url_prefix="/api/v1", description="inspections")
