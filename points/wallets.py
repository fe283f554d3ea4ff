"""Whose points account is which, and crediting earned points from the community.

A person's wallet is the ``resident`` account keyed by their user id (shop staff who
volunteer have one too); a household's, a shop's and the community's are separate.
"""
from sqlalchemy import select, tuple_

import ledger
from ledger.accounts import find_account
from ledger.models import Account

RESIDENT = "resident"
HOUSEHOLD = "household"
MERCHANT = "merchant"


def wallet_id(session, user):
    """The user's points account, opened if needed (inside a write transaction)."""
    return ledger.open_account(session, community_id=user.community_id, owner_type=RESIDENT,
                               owner_id=user.id)


def wallet_ids(session, users):
    """``{user id: account id}`` of the users' points accounts, found in one query and the
    missing ones opened (inside a write transaction): a batch's ``wallet_id``."""
    found = dict(session.execute(select(Account.owner_id, Account.id).where(
        Account.ledger == ledger.POINTS, Account.owner_type == RESIDENT, Account.purpose == "main",
        tuple_(Account.community_id, Account.owner_id).in_(
            [(user.community_id, user.id) for user in users]))).all())
    for user in users:
        if user.id not in found:
            found[user.id] = wallet_id(session, user)
    return found


def merchant_account_id(session, merchant):
    return ledger.open_account(session, community_id=merchant.community_id,
                               owner_type=MERCHANT, owner_id=merchant.id)


def find_wallet(session, user):
    """The user's points account id, or None if it was never opened (reads only)."""
    return find_account(session, community_id=user.community_id, owner_type=RESIDENT,
                        owner_id=user.id)


def wallet_balance(session, user):
    """Balance and held of the user's wallet; zero when none was opened yet (read-only)."""
    account = find_wallet(session, user)
    if account is None:
        return ledger.Balance(ledger.POINTS, ledger.ZERO, ledger.ZERO)
    return ledger.balance_of(session, account)


def credit_points(session, *, account, community_id, amount, key, kind="earn", reason="",
                  actor_id=None, proxy_id=None, ref_type=None, ref_id=None, now=None):
    """Issue ``amount`` new points from the community's issuance account to ``account``."""
    source = ledger.system_account(session, community_id, ledger.POINTS, "issuance")
    return ledger.transfer(session, debit=source, credit=account, amount=amount, key=key,
                           kind=kind, reason=reason, actor_id=actor_id, proxy_id=proxy_id,
                           ref_type=ref_type, ref_id=ref_id, now=now)
