"""A person's level, badges and streak in JSON; staff reverse a credit."""
from points.api import Blueprint

blp = Blueprint("api_progress", __name__, url_prefix="/api/v1")
