"""Pages of activities (filled in by the feature)."""
from flask import Blueprint

bp = Blueprint("activities", __name__)
