"""JSON API of the spending side: settlement (filled in by the feature)."""
from points.api import Blueprint

blp = Blueprint("api_settlement", __name__, url_prefix="/api/v1", description="settlement")
