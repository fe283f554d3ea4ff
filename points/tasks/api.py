"""Work orders (requests and tasks) in JSON."""
from points.api import Blueprint

blp = Blueprint("api_tasks", __name__, url_prefix="/api/v1")
