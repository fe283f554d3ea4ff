"""What a person sees of their points: the account they look at, its figures, its lines.

Residents (and anyone else with a personal wallet) look at their own wallet; shop clerks
and owners look at their shop's account, since that is the one they run (their personal
wallet is a page of its own). Reads only: nothing here opens an account or writes, so a
user whose account was never opened simply sees zeros and an empty statement.

``describe`` turns a line's kind and reason into plain words; the API and the statement
page both use it, so the two never tell a line differently.
"""
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

import ledger
from ledger.accounts import find_account
from ledger.models import Transfer
from points import wallets
from points.auth.roles import MERCHANT_ROLES

# Only points earned by volunteering count towards the lifetime figure (and, later, the
# level): a community grant or a returned voucher is not something the person earned.
EARN_KIND = "earn"

KIND_LABELS = {
    "earn": _l("获得积分"),
    "grant": _l("社区发放"),
    "coupon": _l("积分券入账"),
    "spend": _l("积分消费"),
    "redeem": _l("积分消费"),
    "hold": _l("兑换券冻结"),
    "release": _l("兑换券退回"),
    "refund": _l("退款退回"),
    "reverse": _l("冲正"),
    "expire": _l("积分过期"),
    "coupon_expire": _l("积分券过期收回"),
    "settle": _l("月度结算"),
    "settlement": _l("月度结算"),
    "payout": _l("结算付款"),
    "donation": _l("公益捐赠"),
    "charity_sale": _l("义卖收入"),
}
OTHER_KIND = _l("积分变动")


@dataclass(frozen=True)
class BalanceSummary:
    points: Decimal  # spendable now
    held: Decimal  # reserved by pending vouchers, already out of ``points``
    lifetime_earned: Decimal
    level: None = None  # no levels until gamification lands


def describe(kind, reason=""):
    """The line's description in the current language: the kind in plain words, then the
    transfer's reason (as written, usually Chinese) when there is one."""
    label = str(KIND_LABELS.get(kind, OTHER_KIND))
    if not reason:
        return label
    return gettext("%(kind)s：%(reason)s", kind=label, reason=reason)


def viewed_account(session, user):
    """The id of the account ``user`` looks at (see the module docstring), or None when it
    was never opened."""
    if user.role in MERCHANT_ROLES:
        if user.merchant_id is None:
            return None
        return find_account(session, community_id=user.community_id,
                            owner_type=wallets.MERCHANT, owner_id=user.merchant_id)
    return wallets.find_wallet(session, user)


def lifetime_earned(session, account_id):
    """Points ever credited to the account as ``earn``, less the reversals of those credits.

    Spending, expiry and holds do not lower it; grants and returns do not raise it.
    """
    earned = session.scalar(
        select(func.coalesce(func.sum(Transfer.amount), 0))
        .where(Transfer.credit_account_id == account_id, Transfer.kind == EARN_KIND))
    original = aliased(Transfer)
    reversed_ = session.scalar(
        select(func.coalesce(func.sum(Transfer.amount), 0))
        .join(original, original.id == Transfer.reverses_id)
        .where(original.credit_account_id == account_id, original.kind == EARN_KIND))
    return Decimal(earned) - Decimal(reversed_)


def balance_summary(session, user):
    """Spendable, held and lifetime-earned points of the account ``user`` looks at."""
    account_id = viewed_account(session, user)
    if account_id is None:
        return BalanceSummary(ledger.ZERO, ledger.ZERO, ledger.ZERO)
    balance = ledger.balance_of(session, account_id)
    return BalanceSummary(balance.balance, balance.held, lifetime_earned(session, account_id))


def statement_page(session, user, *, before=None, limit=20):
    """One page of the account's lines, newest first, and the cursor of the next page.

    ``before`` is the last entry id of the previous page; lines posted meanwhile have
    higher ids, so pages never overlap or shift. The next cursor is None on the last page.
    """
    account_id = viewed_account(session, user)
    if account_id is None:
        return [], None
    # One line more than asked tells whether another page follows without a count query.
    lines = ledger.statement(session, account_id, before=before, limit=limit + 1)
    if len(lines) > limit:
        return lines[:limit], lines[limit - 1].entry_id
    return lines, None
