"""Partner shops as the office runs them: register (``pending``), approve (``active``),
suspend and reactivate, and the per-bill cap of 微消费.

Suspension is one transaction for the whole shop. The shop row is locked ``FOR UPDATE``
first; a voucher being made at the shop holds the same row ``FOR SHARE``
(``services.lock_shop_shared``), so the suspension waits for it, and any voucher started
later finds the shop suspended. Then every open (held) voucher of the shop is locked, all
in one statement, and voided: the points go back to the wallet (or the coupon), the unit
back to stock, and the resident is told why.

All at once rather than a transaction per voucher: a shop must never be seen suspended
with vouchers still open at it (a clerk could redeem one), and a failure then leaves the
shop as it was, to be suspended again. A shop has at most a few hundred open vouchers, so
the one transaction stays short. (Locking the vouchers one by one instead, while already
holding the ledger's accounts from the first void, deadlocks with a redemption: see
``tests/merchants/test_shops_race.py``.)
"""
from dataclasses import dataclass

from sqlalchemy import case, func, select

from ledger.errors import N_
from merchants import errors, rules, services
from merchants.catalogue import ensure_store_keeper
from merchants.models import HELD, Merchant, Voucher
from points.audit import services as audit
from points.extensions import unit_of_work
from points.notifications.services import notify

PENDING, ACTIVE, SUSPENDED = "pending", "active", "suspended"
NAME_LIMIT = 80
ADDRESS_LIMIT = 120
SHOP_FIELDS = ("name", "address", "status", "per_bill_cap")

# Stored rendered in Chinese, as every notification is (see points.notifications.models).
VOIDED_TITLE = N_("兑换券已作废")
VOIDED_BODY = N_("“%(shop)s”暂停合作，您的“%(title)s”兑换券已作废，%(points)s 积分已退回。")


@dataclass
class ShopRow:
    merchant: Merchant
    open_vouchers: int


@dataclass
class Suspension:
    merchant: Merchant
    voided: int


def shop_values(merchant):
    return {name: getattr(merchant, name) for name in SHOP_FIELDS}


def list_shops(session, *, actor, community_id):
    """The community's shops, those waiting for approval first, with their open vouchers."""
    ensure_store_keeper(actor, community_id)
    open_count = (select(func.count()).select_from(Voucher)
                  .where(Voucher.merchant_id == Merchant.id, Voucher.status == HELD)
                  .correlate(Merchant).scalar_subquery())
    order = case((Merchant.status == PENDING, 0), (Merchant.status == ACTIVE, 1), else_=2)
    rows = session.execute(select(Merchant, open_count).where(Merchant.community_id == community_id)
                           .order_by(order, Merchant.name, Merchant.id))
    return [ShopRow(merchant, count) for merchant, count in rows]


def _shop(session, community_id, merchant_id, *, lock=False):
    stmt = select(Merchant).where(Merchant.id == merchant_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    merchant = session.scalar(stmt)
    if merchant is None or merchant.community_id != community_id:
        raise errors.ShopNotFoundError()
    return merchant


def get_shop(session, *, actor, community_id, merchant_id):
    ensure_store_keeper(actor, community_id)
    return _shop(session, community_id, merchant_id)


def register_shop(session, *, actor, community_id, name, address="", per_bill_cap, now):
    """A new partner shop, waiting for approval (``pending``): its offers are not shown
    and nothing can be bought there until it is approved."""
    ensure_store_keeper(actor, community_id)
    name = " ".join((name or "").split())[:NAME_LIMIT]
    if not name:
        raise errors.ShopNameRequiredError()
    cap = bill_cap(per_bill_cap)
    with unit_of_work(session):
        merchant = Merchant(community_id=community_id, name=name, status=PENDING,
                            address=" ".join((address or "").split())[:ADDRESS_LIMIT],
                            per_bill_cap=cap, created_at=now)
        session.add(merchant)
        session.flush()
        _record(session, actor, "merchant.register", merchant, None, now)
    return merchant


def bill_cap(value):
    try:
        return rules.whole_points(value)
    except errors.OfferPointsInvalidError:
        raise errors.BillCapInvalidError() from None


def _record(session, actor, action, merchant, before, now, reason="", **extra):
    audit.record(session, actor=actor, action=action, obj_type="merchant", obj_id=merchant.id,
                 before=before, after={**shop_values(merchant), **extra}, reason=reason,
                 community_id=merchant.community_id, now=now)


def approve_shop(session, *, actor, community_id, merchant_id, now):
    """``pending`` → ``active``: its offers appear in the mall. Only a pending shop."""
    ensure_store_keeper(actor, community_id)
    with unit_of_work(session):
        merchant = _shop(session, community_id, merchant_id, lock=True)
        if merchant.status != PENDING:
            raise errors.ShopNotPendingError()
        before = shop_values(merchant)
        merchant.status = ACTIVE
        _record(session, actor, "merchant.approve", merchant, before, now)
    return merchant


def suspend_shop(session, *, actor, community_id, merchant_id, reason, now):
    """Stop a shop (a pending or active one), with a reason: its offers leave the mall
    and every open voucher at it is voided, points and stock returned, each resident
    told (see the module's docstring for why in one transaction)."""
    ensure_store_keeper(actor, community_id)
    reason = rules.clean_reason(reason)
    if not reason:
        raise errors.SuspendReasonRequiredError()
    with unit_of_work(session):
        merchant = _shop(session, community_id, merchant_id, lock=True)
        if merchant.status == SUSPENDED:
            raise errors.ShopAlreadySuspendedError()
        before = shop_values(merchant)
        merchant.status = SUSPENDED
        voided = _void_open_vouchers(session, merchant, actor, now)
        _record(session, actor, "merchant.suspend", merchant, before, now, reason=reason,
                voided_vouchers=voided)
    return Suspension(merchant=merchant, voided=voided)


def _void_open_vouchers(session, merchant, actor, now):
    # Every open voucher locked up front, in one statement: a voucher locked one by one
    # while this transaction already holds the ledger's accounts (after the first void)
    # would deadlock with a redemption holding that voucher and waiting for them.
    held = list(session.scalars(select(Voucher).where(
        Voucher.merchant_id == merchant.id, Voucher.status == HELD).order_by(Voucher.id)
        .with_for_update().execution_options(populate_existing=True)))
    for voucher in held:
        services.void_voucher(session, voucher, actor_id=actor.id, now=now)
        notify(session, user=voucher.owner, kind="voucher_voided",
               title=VOIDED_TITLE,
               body=(VOIDED_BODY, {"shop": merchant.name, "title": voucher.title,
                                    "points": int(voucher.points)}),
               link=f"/vouchers/{voucher.id}", now=now)
    return len(held)


def reactivate_shop(session, *, actor, community_id, merchant_id, now):
    """``suspended`` → ``active``: its shown offers return to the mall (the vouchers
    voided by the suspension stay void)."""
    ensure_store_keeper(actor, community_id)
    with unit_of_work(session):
        merchant = _shop(session, community_id, merchant_id, lock=True)
        if merchant.status != SUSPENDED:
            raise errors.ShopNotSuspendedError()
        before = shop_values(merchant)
        merchant.status = ACTIVE
        _record(session, actor, "merchant.reactivate", merchant, before, now)
    return merchant


def set_bill_cap(session, *, actor, community_id, merchant_id, per_bill_cap, now):
    """The most points one bill may be paid with at the shop (微消费). Vouchers already
    made keep their amount."""
    ensure_store_keeper(actor, community_id)
    cap = bill_cap(per_bill_cap)
    with unit_of_work(session):
        merchant = _shop(session, community_id, merchant_id, lock=True)
        if merchant.per_bill_cap != cap:
            before = shop_values(merchant)
            merchant.per_bill_cap = cap
            _record(session, actor, "merchant.bill_cap", merchant, before, now)
    return merchant
