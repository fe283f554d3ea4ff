"""报表下载: the office's reports for a chosen period, each as CSV or XLSX."""
from flask import Blueprint

bp = Blueprint("reports", __name__)
