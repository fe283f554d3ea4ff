"""The resident's own pages: badges and the statement; staff print member cards for a grid."""
from flask import Blueprint

bp = Blueprint("me", __name__)
