"""What a person sees of their points: the account they look at, its figures, its lines.

Residents (and anyone else with a personal wallet) look at their own wallet; shop clerks
and owners look at their shop's account, since that is the one they run (their personal
wallet is a page of its own). Reads only: nothing here opens an account or writes, so a
user whose account was never opened simply sees zeros and an empty statement.

``tell`` turns a page of lines into plain words, naming what each was about (the
activity, the claim's type, the shop, the voucher) with a fixed number of queries per
page, none per line; the API and the statement pages both use it, so the two never tell
a line differently. ``describe`` is its last resort: the kind and the transfer's reason.
"""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import and_, func, select, type_coerce
from sqlalchemy.orm import aliased

import ledger
from ledger.accounts import find_account
from ledger.amounts import Amount
from ledger.errors import DomainError, N_
from ledger.models import Account, Transfer
from points import months, wallets
from points.activities.models import Activity
from points.auth.roles import MERCHANT_ROLES
from points.earning.models import ActivityType, Credit

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

# The statement page's filter: groups of ledger kinds as a person thinks of them. Shop
# kinds (redeem, settle) sit where they move points for the shop's own account.
KIND_GROUPS = {
    "gain": (_l("获得"), ("earn", "grant", "coupon")),
    "use": (_l("使用"), ("spend", "hold", "redeem", "settle")),
    "back": (_l("退回"), ("release", "refund")),
    "expire": (_l("过期"), ("expire", "coupon_expire")),
    "reverse": (_l("撤销"), ("reverse",)),
}
MONTHS_OFFERED = 12  # the month filter offers this month and the eleven before
MAX_ENTRY_ID = 2**63 - 1
STORE_NAME = N_("社区积分超市")


@dataclass(frozen=True)
class BalanceSummary:
    points: Decimal  # spendable now
    held: Decimal  # reserved by pending vouchers, already out of ``points``
    lifetime_earned: Decimal
    level: None = None  # no levels until gamification lands


@dataclass(frozen=True)
class Line:
    """One statement line told in plain words (what the API and the pages show)."""

    entry_id: int
    transfer_id: int
    created_at: datetime
    kind: str
    amount: Decimal  # signed: + in, − out
    balance_after: Decimal
    description: str


class StatementFilterError(DomainError):
    code = "invalid_filter"
    message = N_("查询条件不正确")


class BadMonthError(StatementFilterError):
    message = N_("月份应写成“年-月”，例如 2025-10")


class BadKindError(StatementFilterError):
    message = N_("没有这种明细类型，请从列表中选择")


class BadCursorError(StatementFilterError):
    message = N_("翻页位置不正确，请从最新的明细重新查看")


@dataclass(frozen=True)
class Filters:
    """The statement page's query: a local month (``YYYY-MM`` or ""), a kind group
    (a key of ``KIND_GROUPS`` or "") and the cursor (the last entry id seen, or None)."""

    month: str = ""
    group: str = ""
    before: int | None = None

    @property
    def kinds(self):
        return KIND_GROUPS[self.group][1] if self.group else None

    @property
    def moments(self):
        """``(since, until)`` aware UTC moments of the month, or ``(None, None)``."""
        return months.moments_of(months.first_day(self.month)) if self.month else (None, None)


def parse_filters(month="", group="", before=""):
    """The page's filters from query text; ``StatementFilterError`` in plain words for
    anything that is not one (never a 500)."""
    month, group, before = (month or "").strip(), (group or "").strip(), (before or "").strip()
    if month and months.first_day(month) is None:
        raise BadMonthError()
    if group and group not in KIND_GROUPS:
        raise BadKindError()
    cursor = None
    if before:
        if not before.isascii() or not before.isdigit() or not 0 < int(before) <= MAX_ENTRY_ID:
            raise BadCursorError()
        cursor = int(before)
    return Filters(month, group, cursor)


def recent_months(now, count=MONTHS_OFFERED):
    """``YYYY-MM`` of ``now``'s local month and the ``count - 1`` before, newest first."""
    day, found = months.this_month(now), []
    for _ in range(count):
        found.append(months.month_of(day))
        day = months.preceding(day)
    return found


def describe(kind, reason=""):
    """The line's description in the current language: the kind in plain words, then the
    transfer's reason (as written, usually Chinese) when there is one."""
    label = str(KIND_LABELS.get(kind, OTHER_KIND))
    if not reason:
        return label
    return gettext("%(kind)s：%(reason)s", kind=label, reason=reason)


# --- telling lines in plain words -------------------------------------------------------

@dataclass(frozen=True)
class _Movement:
    """What the words of one line depend on (for a reversal: of the line it reverses)."""

    transfer_id: int
    kind: str
    amount: Decimal  # signed, from the viewed account's side
    reason: str
    ref_type: str | None
    ref_id: int | None
    counterparty: int
    hold_id: int | None = None


@dataclass(frozen=True)
class _CreditRef:
    source: str
    type_name: str
    activity_title: str | None


@dataclass(frozen=True)
class _VoucherRef:
    title: str
    status: str
    shop: str | None  # None: the community's own store


@dataclass
class _References:
    """What a page's lines were about, read in at most four queries for the whole page."""

    transfers: dict  # transfer id → Transfer row (kind, reason, hold, refs)
    credits: dict  # transfer id → _CreditRef
    vouchers: dict  # voucher id → _VoucherRef
    vouchers_by_hold: dict  # hold id → _VoucherRef
    shops: dict  # account id → the shop's name

    def voucher_of(self, movement):
        if movement.ref_type == "voucher" and movement.ref_id is not None:
            return self.vouchers.get(movement.ref_id)
        return self.vouchers_by_hold.get(movement.hold_id)


def _movement(line, transfers):
    row = transfers.get(line.transfer_id)
    return _Movement(line.transfer_id, line.kind, line.amount, line.reason, line.ref_type,
                     line.ref_id, line.counterparty_account_id, row.hold_id if row else None)


def _original(line, transfers):
    """The movement a reversal reverses, seen from the same account, or None."""
    row = transfers.get(line.reverses_id)
    if row is None:
        return None
    return _Movement(row.id, row.kind, -line.amount, row.reason, row.ref_type, row.ref_id,
                     line.counterparty_account_id, row.hold_id)


def _load_transfers(session, lines):
    wanted = {line.transfer_id for line in lines if line.kind == "hold"}
    wanted |= {line.reverses_id for line in lines if line.reverses_id is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Transfer.id, Transfer.kind, Transfer.reason, Transfer.hold_id,
                                  Transfer.ref_type, Transfer.ref_id)
                           .where(Transfer.id.in_(wanted)))
    return {row.id: row for row in rows}


def _load_credits(session, movements):
    wanted = {movement.transfer_id for movement in movements if movement.kind == EARN_KIND}
    if not wanted:
        return {}
    stmt = (select(Credit.transfer_id, Credit.source, ActivityType.name, Activity.title)
            .join(ActivityType, ActivityType.id == Credit.type_id)
            .outerjoin(Activity, and_(Credit.source == "activity", Activity.id == Credit.source_id))
            .where(Credit.transfer_id.in_(wanted)))
    return {row[0]: _CreditRef(*row[1:]) for row in session.execute(stmt)}


def _load_vouchers(session, movements):
    # merchants builds on points, not the other way round: read its tables only here.
    from merchants.models import Merchant, Voucher

    ids = {m.ref_id for m in movements if m.ref_type == "voucher" and m.ref_id is not None}
    holds = {m.hold_id for m in movements if m.kind == "hold" and m.hold_id is not None}
    if not ids and not holds:
        return {}, {}
    stmt = (select(Voucher.id, Voucher.hold_id, Voucher.title, Voucher.status, Merchant.name)
            .outerjoin(Merchant, Merchant.id == Voucher.merchant_id)
            .where(Voucher.id.in_(ids) | Voucher.hold_id.in_(holds)))
    by_id, by_hold = {}, {}
    for voucher_id, hold_id, title, status, shop in session.execute(stmt):
        by_id[voucher_id] = by_hold[hold_id] = _VoucherRef(title, status, shop)
    return by_id, by_hold


def _load_shops(session, movements):
    from merchants.models import Merchant

    wanted = {m.counterparty for m in movements if m.kind == "spend" and m.amount < 0}
    if not wanted:
        return {}
    stmt = (select(Account.id, Merchant.name)
            .join(Merchant, and_(Account.owner_type == wallets.MERCHANT, Merchant.id == Account.owner_id))
            .where(Account.id.in_(wanted)))
    return dict(session.execute(stmt).all())


def _references(session, lines):
    transfers = _load_transfers(session, lines)
    movements = [_movement(line, transfers) for line in lines]
    movements += [original for line in lines if (original := _original(line, transfers))]
    vouchers, by_hold = _load_vouchers(session, movements)
    return _References(transfers, _load_credits(session, movements), vouchers, by_hold,
                       _load_shops(session, movements))


def _credit_words(credit):
    if credit.source == "activity" and credit.activity_title:
        return gettext("参加“%(title)s”活动", title=credit.activity_title)
    if credit.source == "claim":
        return gettext("申报“%(type)s”", type=credit.type_name)
    if credit.type_name:  # a work order ("task") or other credited work
        return gettext("志愿服务“%(type)s”", type=credit.type_name)
    return gettext("志愿服务")


def _shop_words(voucher):
    if voucher.shop is None:
        return gettext("在%(store)s兑换“%(title)s”", store=gettext(STORE_NAME), title=voucher.title)
    if voucher.title == voucher.shop:  # an amount voucher (微消费) is named after the shop
        return gettext("在“%(shop)s”核销", shop=voucher.shop)
    return gettext("在“%(shop)s”核销“%(title)s”", shop=voucher.shop, title=voucher.title)


def _voucher_words(kind, voucher, amount):
    if kind == "hold":
        if voucher.status in ("redeemed", "refunded"):
            return _shop_words(voucher)
        return gettext("兑换券“%(title)s”冻结", title=voucher.title)
    if kind == "release":
        if voucher.status == "expired":
            return gettext("兑换券“%(title)s”过期未用，积分退回", title=voucher.title)
        return gettext("取消兑换券“%(title)s”，积分退回", title=voucher.title)
    if kind == "redeem":
        return gettext("核销“%(title)s”", title=voucher.title)
    if amount > 0:  # a refund, seen by the person who gets the points back
        shop = voucher.shop or gettext(STORE_NAME)
        return gettext("“%(shop)s”退款：%(title)s", shop=shop, title=voucher.title)
    return gettext("给顾客退款：%(title)s", title=voucher.title)


def _about(movement, refs):
    """Plain words for one movement, or None when no more than its kind is known."""
    kind, reason = movement.kind, movement.reason
    if kind == EARN_KIND and movement.transfer_id in refs.credits:
        return _credit_words(refs.credits[movement.transfer_id])
    if kind in ("hold", "release", "redeem", "refund") and refs.voucher_of(movement):
        return _voucher_words(kind, refs.voucher_of(movement), movement.amount)
    if kind == "spend" and movement.amount > 0:  # the shop's side
        return gettext("顾客消费")
    if kind == "spend" and movement.counterparty in refs.shops:
        return gettext("在“%(shop)s”消费", shop=refs.shops[movement.counterparty])
    if kind == "coupon" and reason:
        return gettext("积分券“%(name)s”入账", name=reason)
    if kind == "coupon_expire" and reason:
        return gettext("积分券“%(name)s”过期收回", name=reason)
    if kind == "settle" and reason:
        return gettext("%(month)s 月度结算", month=reason)
    if kind == "expire":
        return str(KIND_LABELS["expire"])
    return None


def _words(line, refs):
    if line.kind == "reverse":
        original = _original(line, refs.transfers)
        if original is None:
            return describe(line.kind, line.reason)
        what = _about(original, refs) or describe(original.kind, original.reason)
        if line.reason:
            return gettext("撤销：%(what)s（%(reason)s）", what=what, reason=line.reason)
        return gettext("撤销：%(what)s", what=what)
    return _about(_movement(line, refs.transfers), refs) or describe(line.kind, line.reason)


def tell(session, lines):
    """``lines`` (ledger ``StatementLine``s) as ``Line``s in the current language, each
    naming what it was about: the activity of an attendance credit, a claim's type, a
    work order, the voucher and the shop of a hold, the coupon… Reads at most four
    queries for the whole page, none per line; a line whose subject is gone keeps the
    kind and the transfer's reason."""
    refs = _references(session, lines) if lines else None
    return [Line(line.entry_id, line.transfer_id, line.created_at, line.kind, line.amount,
                 line.balance_after, _words(line, refs)) for line in lines]


# --- accounts, balances and pages -------------------------------------------------------

def _viewed(user):
    """The ``filter_by`` of the account ``user`` looks at (see the module docstring): a
    shop's staff see their shop's, everyone else their own wallet; None for a shop's staff
    without a shop."""
    if user.role in MERCHANT_ROLES:
        if user.merchant_id is None:
            return None
        owner_type, owner_id = wallets.MERCHANT, user.merchant_id
    else:
        owner_type, owner_id = wallets.RESIDENT, user.id
    return dict(community_id=user.community_id, ledger=ledger.POINTS, owner_type=owner_type,
                owner_id=owner_id, purpose="main")


def viewed_account(session, user):
    """The id of the account ``user`` looks at, or None when it was never opened."""
    where = _viewed(user)
    return None if where is None else find_account(session, **where)


def _lifetime_earned_sql():
    """Points credited to the account in the enclosing query (``Account.id``) as ``earn``,
    less the reversals of those credits: two index reads, one expression."""
    original = aliased(Transfer)
    earned = (select(func.coalesce(func.sum(Transfer.amount), 0))
              .where(Transfer.credit_account_id == Account.id, Transfer.kind == EARN_KIND)
              .scalar_subquery())
    reversed_ = (select(func.coalesce(func.sum(Transfer.amount), 0))
                 .join(original, original.id == Transfer.reverses_id)
                 .where(original.credit_account_id == Account.id, original.kind == EARN_KIND)
                 .scalar_subquery())
    return type_coerce(earned - reversed_, Amount)


# Built once: building it per call costs more CPU than the query it serves (an alias's
# columns are proxied anew every time; measured by bench/http.py on /api/v1/me/balance).
_LIFETIME_EARNED = _lifetime_earned_sql()


def lifetime_earned(session, account_id):
    """Points ever credited to the account as ``earn``, less the reversals of those credits.

    Spending, expiry and holds do not lower it; grants and returns do not raise it.
    """
    return session.scalar(select(_LIFETIME_EARNED).where(Account.id == account_id)) or ledger.ZERO


def balance_summary(session, user):
    """Spendable, held and lifetime-earned points of the account ``user`` looks at, in one
    query."""
    where = _viewed(user)
    row = None if where is None else session.execute(
        select(Account.balance, Account.held, _LIFETIME_EARNED).filter_by(**where)).first()
    if row is None:  # never opened
        return BalanceSummary(ledger.ZERO, ledger.ZERO, ledger.ZERO)
    return BalanceSummary(*row)


def account_page(session, account_id, *, before=None, limit=20, kinds=None, since=None,
                 until=None):
    """One page of the account's lines told in words (``Line``), newest first, and the
    cursor of the next page (None on the last page; an unopened account has no lines).

    ``before`` is the last entry id of the previous page; lines posted meanwhile have
    higher ids, so pages never overlap or shift. ``kinds``, ``since`` and ``until``
    narrow the lines as ``ledger.statement`` does.
    """
    if account_id is None:
        return [], None
    # One line more than asked tells whether another page follows without a count query.
    lines = ledger.statement(session, account_id, before=before, limit=limit + 1, kinds=kinds,
                             since=since, until=until)
    more = len(lines) > limit
    lines = lines[:limit]
    return tell(session, lines), (lines[-1].entry_id if more else None)


def statement_page(session, user, *, before=None, limit=20):
    """One page of the lines of the account ``user`` looks at (see ``account_page``)."""
    return account_page(session, viewed_account(session, user), before=before, limit=limit)
