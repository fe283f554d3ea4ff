"""Pure checks on ledger values: one rule each, no database."""
from ledger.errors import (
    CrossCommunityError,
    InsufficientPointsError,
    LedgerMismatchError,
    ReasonRequiredError,
    SameAccountError,
)
from ledger.amounts import format_amount


def ensure_two_accounts(debit_id, credit_id):
    if debit_id == credit_id:
        raise SameAccountError()


def ensure_same_ledger(debit, credit):
    if debit.ledger != credit.ledger:
        raise LedgerMismatchError()


def ensure_same_community(debit, credit):
    """Every community's books balance on their own (the sharding key, docs/SCALING)."""
    if debit.community_id != credit.community_id:
        raise CrossCommunityError()


def ensure_can_debit(account, amount):
    """A user account may not go below zero; system accounts may (issuance)."""
    if not account.allow_negative and account.balance < amount:
        raise InsufficientPointsError(
            available=format_amount(account.balance, account.ledger),
            needed=format_amount(amount, account.ledger),
        )


def ensure_reason_and_actor(reason, actor_id):
    if not (reason or "").strip() or actor_id is None:
        raise ReasonRequiredError()


def is_same_request(existing, *, debit_id, credit_id, amount, kind):
    """A replayed idempotency key must describe the same movement."""
    return (
        existing.kind == kind
        and existing.debit_account_id == debit_id
        and existing.credit_account_id == credit_id
        and existing.amount == amount
    )
