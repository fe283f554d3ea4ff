"""Pages of 群众点单 → 组织建单 → 志愿者接单 (requests, tasks, claiming, progress)."""
from flask import Blueprint

bp = Blueprint("tasks", __name__)
