"""A test helper: a community's accounts, opened and funded each in its own transaction.

Tests arrange with ``Book`` and act through one ``ledger`` call of their own, so that
what they assert is what that call did.
"""
import itertools
from decimal import Decimal

from sqlalchemy import func, select

import ledger
from ledger.models import Entry, Hold, Transfer

_keys = itertools.count(1)


def next_key(prefix="t"):
    return f"{prefix}-{next(_keys)}"


class Book:
    def __init__(self, session, community_id=1):
        self.session = session
        self.community_id = community_id

    def account(self, owner_id, *, ledger_name=ledger.POINTS, owner_type="resident"):
        with ledger.write_transaction(self.session):
            return ledger.open_account(self.session, community_id=self.community_id,
                                       owner_type=owner_type, owner_id=owner_id,
                                       ledger=ledger_name)

    def system(self, purpose, ledger_name=ledger.POINTS):
        with ledger.write_transaction(self.session):
            return ledger.system_account(self.session, self.community_id, ledger_name, purpose)

    def fund(self, account, amount, *, kind="grant", key=None, now=None,
             ledger_name=ledger.POINTS):
        source = self.system("issuance" if ledger_name == ledger.POINTS else "income",
                             ledger_name)
        return self.move(source, account, amount, kind=kind, key=key, now=now)

    def move(self, debit, credit, amount, *, kind="spend", key=None, now=None, **details):
        with ledger.write_transaction(self.session):
            return ledger.transfer(self.session, debit=debit, credit=credit,
                                   amount=Decimal(amount), key=key or next_key(), kind=kind,
                                   now=now, **details)

    def hold(self, account, destination, amount, *, key=None, **details):
        with ledger.write_transaction(self.session):
            return ledger.hold(self.session, account=account, destination=destination,
                               amount=Decimal(amount), key=key or next_key("hold"),
                               **details).id

    def balance(self, account):
        self.session.rollback()  # a fresh read, not a snapshot held from earlier
        return ledger.balance_of(self.session, account).balance

    def held(self, account):
        self.session.rollback()
        return ledger.balance_of(self.session, account).held


def count_rows(session, model=Transfer):
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def snapshot(session):
    """Counts of transfers, entries and holds: to assert that nothing moved."""
    return tuple(count_rows(session, model) for model in (Transfer, Entry, Hold))
