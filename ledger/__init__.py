"""The double-entry ledger: points and yuan that cannot be lost, duplicated or overdrawn.

Pure Python over SQLAlchemy; never imports Flask. Call the posting functions inside
``write_transaction(session)``; they flush and never commit.
"""
from ledger.accounts import get_account, open_account, system_account
from ledger.amounts import CNY, POINTS, ZERO, format_amount, points_to_cny, to_cny, to_points
from ledger.locking import install, write_transaction
from ledger.posting import (
    Posted,
    due_holds,
    find_transfer,
    hold,
    post_hold,
    reverse,
    transfer,
    void_hold,
)
from ledger.reading import Balance, StatementLine, balance_of, statement

__all__ = [
    "CNY", "POINTS", "ZERO", "Balance", "Posted", "StatementLine", "balance_of", "due_holds",
    "find_transfer", "format_amount", "get_account", "hold", "install", "open_account",
    "points_to_cny", "post_hold", "reverse", "statement", "system_account", "to_cny",
    "to_points", "transfer", "void_hold", "write_transaction",
]
