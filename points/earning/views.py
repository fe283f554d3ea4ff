"""Pages of activity types (filled in by the feature)."""
from flask import Blueprint

bp = Blueprint("earning", __name__)
