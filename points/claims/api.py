"""JSON API of claims under /api/v1 (filled in by the feature)."""
from points.api import Blueprint

blp = Blueprint("api_claims", __name__, url_prefix="/api/v1", description="claims")
