"""Staff set the community's level names and thresholds; reversing a credit from a page."""
from flask import Blueprint

bp = Blueprint("levels", __name__)
