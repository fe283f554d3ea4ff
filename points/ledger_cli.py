"""``flask --app wsgi ledger verify`` and ``ledger expire`` (filled in by the ledger work)."""
import click
from flask.cli import AppGroup

ledger_group = AppGroup("ledger", help="Check and maintain the points ledger.")
