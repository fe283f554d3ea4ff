"""Settlement: a partner shop's month of redemptions turned into yuan from the community fund.

A statement covers the vouchers redeemed at the shop in one local (Asia/Shanghai)
calendar month, and the refunds of those vouchers (a refund belongs to the month of the
redemption it gives back, as ``services.refund_redemption`` decides). Its points are the
redeemed points net of refunds; its yuan are those points at the community's rate
(``ledger.points_to_cny``, rounded half up to the fen).

Running it (``settle_merchant``) is one transaction: lock the shop row (refunds lock it
too, so a refund lands wholly before the statement or is refused after it), compute,
move the points shop → ``retired`` and the yuan ``fund`` → the shop's ``payable``, write
the ``Settlement`` (unique per shop and month) and mark its vouchers. Settling a month
again returns the first settlement and moves nothing. A month with nothing to pay (no
redemptions, or every one refunded) is settled as a zero statement with no ledger
movement: the month is closed all the same, and there is nothing to pay. A fund that
cannot cover the yuan refuses the whole settlement (``FundShortError``) and nothing
moves. ``mark_paid`` records the payment reference and moves ``payable`` → ``paid_out``,
once.

The shop row is locked ``FOR NO KEY UPDATE``: a plain ``FOR UPDATE`` would also block the
key-share lock that a new voucher's foreign key takes on the shop row, and a voucher
being issued holds the shop's points account, which settlement needs next: a deadlock.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import ledger
from ledger.errors import InsufficientPointsError, N_
from merchants.errors import MerchantError, ShopNotFoundError
from merchants.fund import FundShortError, ensure_office, fund_account
from merchants.models import REDEEMED, REFUNDED, Merchant, Settlement, Voucher
from points import wallets
from points.audit import services as audit
from points.auth import roles
from points.auth.models import User
from points.auth.rules import mask_name
from points.errors import ForbiddenError
from points.extensions import unit_of_work
from points.notifications.services import notify
from points import months
from points.months import month_of as period_of  # noqa: F401  (the month of a redemption)

SETTLED, PAID, OPEN = "settled", "paid", "open"
REFERENCE_LIMIT = 80
RETIRED = "retired"

SETTLED_TITLE = N_("结算单已生成")
SETTLED_BODY = N_("%(period)s 结算：%(points)s 积分，折合 ¥%(amount)s，社区将按结算单付款。")
PAID_TITLE = N_("结算款已支付")
PAID_BODY = N_("%(period)s 结算款 ¥%(amount)s 已支付，付款凭证号 %(reference)s。")


class InvalidPeriodError(MerchantError):
    code = "invalid_period"
    message = N_("月份格式不对，请写成 2026-11 这样")


class PeriodNotEndedError(MerchantError):
    code = "period_not_ended"
    message = N_("%(period)s 还没有结束，月底过后才能结算")


class SettlementNotFoundError(MerchantError):
    code = "not_found"
    message = N_("找不到这份结算单")


class PaymentReferenceRequiredError(MerchantError):
    code = "reference_required"
    message = N_("请填写付款凭证号（如银行转账流水号）")


class AlreadyPaidError(MerchantError):
    code = "settlement_already_paid"
    message = N_("这份结算单已经付过款了，付款凭证号 %(reference)s")


class NothingOwedError(MerchantError):
    code = "nothing_owed"
    message = N_("这份结算单金额为零，不需要付款")


# Periods (local calendar months) -----------------------------------------------------

def parse_period(text):
    """The first day of month ``YYYY-MM``, else ``InvalidPeriodError``."""
    first = months.first_day(text)
    if first is None:
        raise InvalidPeriodError()
    return first


def first_days(period):
    """The first local day of the month and of the month after it."""
    return months.days_of(parse_period(period))


def period_bounds(period):
    """``[start, end)`` of the month as aware UTC moments."""
    return months.moments_of(parse_period(period))


def previous_period(now):
    """The month before the local month of ``now``: the one usually settled next."""
    return months.month_of(months.preceding(months.this_month(now)))


def is_period_ended(period, now):
    return period_bounds(period)[1] <= now


def ensure_period_ended(period, now):
    if not is_period_ended(period, now):
        raise PeriodNotEndedError(period=period)


# Statements --------------------------------------------------------------------------

@dataclass
class Line:
    """One voucher on a statement: redeemed, and perhaps refunded."""

    voucher: Voucher
    resident_name: str  # masked: 王**

    @property
    def refunded(self):
        return self.voucher.status == REFUNDED


@dataclass
class Statement:
    merchant: Merchant
    period: str
    rate: Decimal  # points per yuan
    lines: list = field(default_factory=list)
    settlement: Settlement | None = None

    @property
    def status(self):
        return self.settlement.status if self.settlement else OPEN

    @property
    def refunds(self):
        return [line for line in self.lines if line.refunded]

    @property
    def redeemed_points(self):
        return sum((line.voucher.points for line in self.lines), ledger.ZERO)

    @property
    def refunded_points(self):
        return sum((line.voucher.points for line in self.refunds), ledger.ZERO)

    @property
    def points(self):
        """Redeemed points net of refunds: what is (or was) settled."""
        if self.settlement:
            return self.settlement.points
        return self.redeemed_points - self.refunded_points

    @property
    def voucher_count(self):
        if self.settlement:
            return self.settlement.voucher_count
        return len(self.lines) - len(self.refunds)

    @property
    def amount_cny(self):
        if self.settlement:
            return self.settlement.amount_cny
        return ledger.points_to_cny(self.points, self.rate) if self.points else Decimal("0.00")


def _lines(session, where):
    rows = session.execute(select(Voucher, User.name).join(User, User.id == Voucher.user_id)
                           .where(*where).order_by(Voucher.redeemed_at, Voucher.id)
                           .execution_options(populate_existing=True))
    return [Line(voucher, mask_name(name)) for voucher, name in rows]


def period_lines(session, merchant_id, period):
    """Every voucher redeemed at the shop in the month, refunded ones too."""
    start, end = period_bounds(period)
    return _lines(session, (Voucher.merchant_id == merchant_id, Voucher.redeemed_at >= start,
                            Voucher.redeemed_at < end, Voucher.status.in_((REDEEMED, REFUNDED))))


def statement_of(session, merchant, period, community):
    """The shop's statement for the month: the settled one, or what settling would give."""
    parse_period(period)
    settlement = session.scalar(select(Settlement).where(Settlement.merchant_id == merchant.id,
                                                         Settlement.period == period))
    if settlement is not None:
        return statement_of_settlement(session, settlement)
    return Statement(merchant=merchant, period=period, rate=community.points_per_yuan,
                     lines=period_lines(session, merchant.id, period))


def statement_of_settlement(session, settlement, *, with_lines=True):
    """A settled statement, with its lines (or only its totals, for lists)."""
    lines = _lines(session, (Voucher.settlement_id == settlement.id,)) if with_lines else []
    return Statement(merchant=settlement.merchant, period=settlement.period,
                     rate=settlement.points_per_yuan, settlement=settlement, lines=lines)


# Running a settlement ----------------------------------------------------------------

@dataclass
class Settled:
    settlement: Settlement
    created: bool


def shop_of(session, community_id, merchant_id, *, lock=False):
    """The community's shop (``lock``: FOR NO KEY UPDATE), else ``ShopNotFoundError``."""
    stmt = select(Merchant).where(Merchant.id == merchant_id, Merchant.community_id == community_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    merchant = session.scalar(stmt)
    if merchant is None:
        raise ShopNotFoundError()
    return merchant


def find_settlement(session, merchant_id, period):
    return session.scalar(select(Settlement).where(Settlement.merchant_id == merchant_id,
                                                   Settlement.period == period)
                          .execution_options(populate_existing=True))


def settle_merchant(session, *, actor, community, merchant_id, period, now):
    """Settle the shop's month (office staff), exactly once: see the module docstring.
    Returns ``Settled`` (``created=False`` when the month was settled before). Raises
    ``InvalidPeriodError``, ``PeriodNotEndedError``, ``ShopNotFoundError`` (another
    community's shop too) and ``FundShortError`` (nothing moves)."""
    ensure_office(actor, community.id)
    parse_period(period)
    ensure_period_ended(period, now)
    try:
        with unit_of_work(session):
            merchant = shop_of(session, community.id, merchant_id, lock=True)
            earlier = find_settlement(session, merchant.id, period)
            if earlier is not None:
                return Settled(earlier, created=False)
            settlement = _settle(session, actor=actor, community=community,
                                 merchant=merchant, period=period, now=now)
    except IntegrityError:
        # Only without the row lock (never expected): the other settlement won.
        earlier = find_settlement(session, merchant_id, period)
        if earlier is None:
            raise
        return Settled(earlier, created=False)
    return Settled(settlement, created=True)


def _settle(session, *, actor, community, merchant, period, now):
    lines = period_lines(session, merchant.id, period)
    statement = Statement(merchant=merchant, period=period, rate=community.points_per_yuan,
                          lines=lines)
    points, amount = statement.points, statement.amount_cny
    settlement = Settlement(
        community_id=community.id, merchant_id=merchant.id, period=period,
        voucher_count=statement.voucher_count, points=points, points_per_yuan=statement.rate,
        amount_cny=amount, status=SETTLED, settled_by_id=actor.id, settled_at=now)
    if amount > 0:
        settlement.cny_transfer_id = _pay_from_fund(session, actor=actor, merchant=merchant,
                                                    period=period, amount=amount, now=now)
    if points > 0:
        settlement.points_transfer_id = ledger.transfer(
            session, debit=wallets.merchant_account_id(session, merchant),
            credit=ledger.system_account(session, community.id, ledger.POINTS, RETIRED),
            amount=points, key=f"settlement-points:{merchant.id}:{period}", kind="settle",
            reason=period, actor_id=actor.id, ref_type="settlement", now=now).id
    session.add(settlement)
    session.flush()
    for line in lines:
        line.voucher.settlement_id = settlement.id
    audit.record(session, actor=actor, action="settlement.run", obj_type="settlement",
                 obj_id=settlement.id, after=settlement_values(settlement),
                 community_id=community.id, now=now)
    tell_owners(session, merchant, title=SETTLED_TITLE, body=(SETTLED_BODY, {
        "period": period, "points": ledger.format_amount(points),
        "amount": ledger.format_amount(amount, ledger.CNY)}), settlement=settlement, now=now)
    return settlement


def payable_account(session, merchant):
    return ledger.open_account(session, community_id=merchant.community_id,
                               owner_type=wallets.MERCHANT, owner_id=merchant.id,
                               ledger=ledger.CNY, purpose="payable")


def _pay_from_fund(session, *, actor, merchant, period, amount, now):
    fund = fund_account(session, merchant.community_id)
    try:
        return ledger.transfer(session, debit=fund, credit=payable_account(session, merchant),
                               amount=amount, key=f"settlement-cny:{merchant.id}:{period}",
                               kind="settlement", reason=f"{merchant.name} {period}",
                               actor_id=actor.id, ref_type="settlement", now=now).id
    except InsufficientPointsError:
        available = ledger.balance_of(session, fund).balance
        raise FundShortError(available=ledger.format_amount(available, ledger.CNY),
                             needed=ledger.format_amount(amount, ledger.CNY)) from None


def settlement_values(settlement):
    """The audit log's picture of a settlement."""
    return {"merchant_id": settlement.merchant_id, "period": settlement.period,
            "voucher_count": settlement.voucher_count, "points": settlement.points,
            "points_per_yuan": settlement.points_per_yuan, "amount_cny": settlement.amount_cny,
            "status": settlement.status, "payment_reference": settlement.payment_reference}


def tell_owners(session, merchant, *, title, body, settlement, now):
    owners = session.scalars(select(User).where(User.merchant_id == merchant.id,
                                                User.role == roles.MERCHANT_OWNER,
                                                User.active.is_(True)).order_by(User.id))
    for owner in owners:
        notify(session, user=owner, kind="settlement", title=title, body=body,
               link=f"/merchant/settlements/{settlement.id}", now=now)


# Paying ------------------------------------------------------------------------------

def clean_reference(reference):
    reference = " ".join((reference or "").split())
    if not reference:
        raise PaymentReferenceRequiredError()
    return reference[:REFERENCE_LIMIT]


def mark_paid(session, *, actor, community, settlement_id, reference, now):
    """Record that the shop was paid (office staff): ``payable`` → ``paid_out`` with the
    payment reference, once. The same reference again changes nothing; another one is
    refused (``AlreadyPaidError``), as is a zero statement (``NothingOwedError``)."""
    ensure_office(actor, community.id)
    reference = clean_reference(reference)
    with unit_of_work(session):
        settlement = session.scalar(
            select(Settlement).where(Settlement.id == settlement_id,
                                     Settlement.community_id == community.id)
            .with_for_update(key_share=True).execution_options(populate_existing=True))
        if settlement is None:
            raise SettlementNotFoundError()
        if settlement.status == PAID:
            if settlement.payment_reference == reference:
                return settlement
            raise AlreadyPaidError(reference=settlement.payment_reference)
        if settlement.amount_cny <= 0:
            raise NothingOwedError()
        _pay(session, actor=actor, settlement=settlement, reference=reference, now=now)
    return settlement


def _pay(session, *, actor, settlement, reference, now):
    before = settlement_values(settlement)
    merchant = settlement.merchant
    posted = ledger.transfer(
        session, debit=payable_account(session, merchant),
        credit=ledger.system_account(session, merchant.community_id, ledger.CNY, "paid_out"),
        amount=settlement.amount_cny, key=f"settlement-paid:{settlement.id}", kind="payout",
        reason=reference, actor_id=actor.id, ref_type="settlement", ref_id=settlement.id,
        now=now)
    settlement.status, settlement.paid_at, settlement.paid_by_id = PAID, now, actor.id
    settlement.payment_reference, settlement.paid_transfer_id = reference, posted.id
    session.flush()
    audit.record(session, actor=actor, action="settlement.paid", obj_type="settlement",
                 obj_id=settlement.id, before=before, after=settlement_values(settlement),
                 community_id=merchant.community_id, now=now)
    tell_owners(session, merchant, title=PAID_TITLE, body=(PAID_BODY, {
        "period": settlement.period, "reference": reference,
        "amount": ledger.format_amount(settlement.amount_cny, ledger.CNY)}),
        settlement=settlement, now=now)


# Reading -----------------------------------------------------------------------------

def visible_settlement(session, *, viewer, settlement_id):
    """A settlement the viewer may read: the office of its community, or the owner of its
    shop. Anyone else's answer is ``SettlementNotFoundError`` (its existence stays hidden)."""
    settlement = session.get(Settlement, settlement_id)
    if settlement is None or not may_read(viewer, settlement):
        raise SettlementNotFoundError()
    return settlement


def may_read(viewer, settlement):
    if viewer.role in roles.OFFICE_ROLES:
        return viewer.community_id in (None, settlement.community_id)
    return viewer.role == roles.MERCHANT_OWNER and viewer.merchant_id == settlement.merchant_id


def list_settlements(session, *, viewer, merchant_id=None, period=None, limit=200):
    """Settlements the viewer may read, newest month first: the office sees its
    community's, an owner their own shop's; other roles are refused (``ForbiddenError``)."""
    stmt = select(Settlement).join(Merchant, Merchant.id == Settlement.merchant_id)
    if viewer.role == roles.MERCHANT_OWNER:
        stmt = stmt.where(Settlement.merchant_id == viewer.merchant_id)
    elif viewer.role not in roles.OFFICE_ROLES:
        raise ForbiddenError()
    elif viewer.community_id is not None:
        stmt = stmt.where(Settlement.community_id == viewer.community_id)
    if merchant_id is not None:
        stmt = stmt.where(Settlement.merchant_id == merchant_id)
    if period is not None:
        parse_period(period)
        stmt = stmt.where(Settlement.period == period)
    stmt = stmt.order_by(Settlement.period.desc(), Merchant.name, Merchant.id).limit(limit)
    return list(session.scalars(stmt))


@dataclass
class ShopMonth:
    """One shop's month on the office's settlement page."""

    merchant: Merchant
    rate: Decimal
    redeemed: int = 0
    refunded: int = 0
    net_points: Decimal = ledger.ZERO  # redeemed, net of refunds
    settlement: Settlement | None = None

    @property
    def points(self):
        return self.settlement.points if self.settlement else self.net_points

    @property
    def amount_cny(self):
        if self.settlement:
            return self.settlement.amount_cny
        return ledger.points_to_cny(self.net_points, self.rate)


def month_overview(session, community, period):
    """Every shop of the community with its month: vouchers redeemed and refunded, net
    points, and its settlement when there is one (reads only)."""
    start, end = period_bounds(period)
    merchants = session.scalars(select(Merchant).where(Merchant.community_id == community.id)
                                .order_by(Merchant.name, Merchant.id))
    shops = {merchant.id: ShopMonth(merchant, community.points_per_yuan) for merchant in merchants}
    rows = session.execute(
        select(Voucher.merchant_id, Voucher.status, func.count(), func.sum(Voucher.points))
        .where(Voucher.community_id == community.id, Voucher.merchant_id.in_(list(shops)),
               Voucher.redeemed_at >= start, Voucher.redeemed_at < end,
               Voucher.status.in_((REDEEMED, REFUNDED)))
        .group_by(Voucher.merchant_id, Voucher.status))
    for merchant_id, status, count, points in rows:
        shop = shops[merchant_id]
        shop.redeemed += count
        if status == REFUNDED:
            shop.refunded += count
        else:
            shop.net_points += points
    for settlement in session.scalars(select(Settlement).where(
            Settlement.community_id == community.id, Settlement.period == period)):
        shops[settlement.merchant_id].settlement = settlement
    return list(shops.values())
