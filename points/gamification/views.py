"""Leaderboards, the leaderboard choice and the public honour board (光荣榜)."""
from flask import Blueprint

bp = Blueprint("gamification", __name__)
