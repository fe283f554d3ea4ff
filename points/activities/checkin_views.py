"""Pages of check-in and attendance (filled in by the feature)."""
from flask import Blueprint

bp = Blueprint("checkin", __name__)
