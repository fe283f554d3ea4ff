"""Pages of inspections (filled in by the feature)."""
from flask import Blueprint

bp = Blueprint("inspections", __name__)
