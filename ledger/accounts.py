"""Finding and opening accounts: one per (community, ledger, owner, purpose)."""
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ledger.amounts import CNY, POINTS, ZERO
from ledger.errors import AccountNotFoundError
from ledger.models import Account, utcnow

# System accounts of a community, by ledger. Only sources may go below zero.
SYSTEM_PURPOSES = {
    POINTS: ("issuance", "escrow", "expired", "retired", "coupons"),
    CNY: ("income", "fund", "paid_out"),
}
SOURCE_PURPOSES = frozenset({"issuance", "coupons", "income"})
COMMUNITY = "community"


def _insert_ignoring_duplicates(session):
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(Account).on_conflict_do_nothing(
        index_elements=["community_id", "ledger", "owner_type", "owner_id", "purpose"]
    )


def find_account(session, *, community_id, owner_type, owner_id, ledger=POINTS, purpose="main"):
    """The account's id, or None if it was never opened (reads only)."""
    return session.scalar(select(Account.id).filter_by(
        community_id=community_id, ledger=ledger, owner_type=owner_type, owner_id=owner_id,
        purpose=purpose))


def open_account(session, *, community_id, owner_type, owner_id, ledger=POINTS, purpose="main"):
    """Return the account's id, creating it if needed; safe under concurrency."""
    where = dict(community_id=community_id, ledger=ledger, owner_type=owner_type,
                 owner_id=owner_id, purpose=purpose)
    found = find_account(session, **where)
    if found is not None:
        return found
    values = dict(where, allow_negative=purpose in SOURCE_PURPOSES, balance=ZERO, held=ZERO,
                  created_at=utcnow())
    session.execute(_insert_ignoring_duplicates(session).values(**values))
    return session.scalar(select(Account.id).filter_by(**where))


def system_account(session, community_id, ledger, purpose):
    """The community's system account for ``purpose`` (see ``SYSTEM_PURPOSES``)."""
    if purpose not in SYSTEM_PURPOSES[ledger]:
        raise ValueError(f"no system account {purpose!r} on {ledger}")
    return open_account(session, community_id=community_id, owner_type=COMMUNITY,
                        owner_id=community_id, ledger=ledger, purpose=purpose)


def get_account(session, account_id):
    account = session.get(Account, account_id)
    if account is None:
        raise AccountNotFoundError()
    return account
