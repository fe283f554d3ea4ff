"""Pages of claims (filled in by the feature)."""
from flask import Blueprint

bp = Blueprint("claims", __name__)
