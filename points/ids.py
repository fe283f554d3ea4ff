"""Ids of the service's own rows: INTEGER columns (the ledger's are BIGINT). A larger
number names no row, and a query with it would overflow on PostgreSQL."""
from marshmallow import validate

MAX_ID = 2**31 - 1
ID = validate.Range(min=1, max=MAX_ID)  # a marshmallow field's validator


def is_id(value):
    """Whether ``value`` (already parsed) could name one of our rows."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
