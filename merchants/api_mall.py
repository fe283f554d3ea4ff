"""JSON API of the spending side: mall (filled in by the feature)."""
from points.api import Blueprint

blp = Blueprint("api_mall", __name__, url_prefix="/api/v1", description="mall")
