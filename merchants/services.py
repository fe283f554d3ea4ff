"""Vouchers from issue to redemption: hold, cancel, expire, redeem, refund.

Every function is one use case and one transaction (``unit_of_work``). The voucher row is
locked before its status is read, and every ledger movement carries a key derived from
the voucher, so each outcome (redeemed, cancelled, expired, refunded) happens at most
once whatever the timing; stock is reserved under the offer's row lock.
"""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import ledger
from ledger.amounts import to_points
from ledger.errors import N_
from ledger.models import Hold
from merchants import errors, rules
from merchants.models import (CANCELLED, EXPIRED, HELD, REDEEMED, REFUNDED, WALLET,
                              Coupon, Merchant, Offer, Settlement, Voucher)
from points import codes, months, wallets
from points.audit.services import record
from points.extensions import unit_of_work
from points.notifications.services import notify
from points.timeutil import start_of_local_date

RETIRED = "retired"
# What the voucher's owner is told (msgids: each reader sees their language).
EXPIRY_TITLE = N_("兑换券已过期")
EXPIRY_BODY = N_("“%(title)s”的兑换券已过期，%(points)s 积分已退回。")
REDEMPTION_TITLE = N_("兑换券已核销")
REDEMPTION_BODY = N_("“%(title)s”已核销，使用 %(points)s 积分。")
REFUND_TITLE = N_("兑换已退款")
REFUND_BODY = N_("“%(title)s”已退款，%(points)s 积分已退回。")


@dataclass
class Issued:
    voucher: Voucher
    created: bool


# Finding and locking -----------------------------------------------------------------

def lock_voucher(session, voucher_id):
    return session.scalar(select(Voucher).where(Voucher.id == voucher_id).with_for_update()
                          .execution_options(populate_existing=True))


def voucher_by_code(session, typed, community_id):
    """The voucher of ``community_id`` with this typed code; a wrong check character is
    refused before any lookup, and another community's code is unknown."""
    code = codes.normalize(typed)
    if code is None or not codes.is_valid(code):
        raise errors.BadCheckCharacterError()
    voucher = session.scalar(select(Voucher.id).where(Voucher.code == code,
                                                      Voucher.community_id == community_id))
    if voucher is None:
        raise errors.VoucherNotFoundError()
    return voucher


def own_voucher(session, resident, voucher_id):
    """The resident's own voucher, else ``VoucherNotFoundError`` (never someone else's)."""
    voucher = session.get(Voucher, voucher_id)
    if voucher is None or voucher.user_id != resident.id:
        raise errors.VoucherNotFoundError()
    return voucher


# Issue -------------------------------------------------------------------------------

def _by_request_key(session, resident, idempotency_key, fingerprint):
    if not idempotency_key:
        return None
    voucher = session.scalar(select(Voucher).where(Voucher.user_id == resident.id,
                                                   Voucher.idempotency_key == idempotency_key))
    if voucher is not None and voucher.request_hash != fingerprint:
        raise errors.IdempotencyKeyReusedError()
    return voucher


def taken_this_month(session, resident, offer, now):
    """Vouchers of the resident for the offer made this local month that still count
    (held or used; cancelled and expired ones give the place back)."""
    first = start_of_local_date(months.this_month(now))
    return session.scalar(select(func.count()).select_from(Voucher).where(
        Voucher.user_id == resident.id, Voucher.offer_id == offer.id,
        Voucher.created_at >= first, Voucher.status.in_((HELD, REDEEMED))))


def lock_shop_shared(session, merchant_id):
    """The shop row under a share lock (PostgreSQL ``FOR SHARE``): vouchers at one shop
    are still made side by side, but a suspension (``FOR UPDATE`` on the same row, then
    it voids the shop's open vouchers) waits for those being made, and a voucher started
    after a suspension sees it. Every use case locks in one order (no deadlock): shop,
    voucher, offer, then the ledger's holds and accounts."""
    return session.scalar(select(Merchant).where(Merchant.id == merchant_id)
                          .with_for_update(read=True).execution_options(populate_existing=True))


def _reserve_offer(session, *, resident, community_id, offer_id, now):
    found = session.get(Offer, offer_id)  # merchant_id never changes: read it unlocked
    if found is None or found.community_id != community_id:
        raise errors.OfferNotFoundError()
    merchant = lock_shop_shared(session, found.merchant_id) if found.merchant_id else None
    offer = session.scalar(select(Offer).where(Offer.id == offer_id).with_for_update()
                           .execution_options(populate_existing=True))
    rules.ensure_shop_open(merchant)
    rules.ensure_offer_available(offer)
    rules.ensure_within_monthly_limit(offer, taken_this_month(session, resident, offer, now))
    if offer.stock is not None:
        offer.stock -= 1
    return offer, merchant


def _shop_for_amount(session, *, community_id, merchant_id, points):
    merchant = lock_shop_shared(session, merchant_id) if merchant_id else None
    if merchant is None or merchant.community_id != community_id:
        raise errors.ShopNotFoundError()
    rules.ensure_shop_open(merchant)
    rules.ensure_within_bill_cap(merchant, points)
    return merchant


def _destination(session, merchant, community_id):
    if merchant is None:  # the community's own store: points leave circulation
        return ledger.system_account(session, community_id, ledger.POINTS, RETIRED)
    return wallets.merchant_account_id(session, merchant)


def issue_voucher(session, *, acting, offer_id=None, merchant_id=None, points=None,
                  idempotency_key=None, item_ttl=rules.DEFAULT_ITEM_TTL,
                  amount_ttl=rules.DEFAULT_AMOUNT_TTL, now):
    """Hold the resident's points for an offer (reserving one unit of stock) or for an
    amount at a shop (within its per-bill cap). A repeat with the same
    ``idempotency_key`` and request returns the first voucher (``created=False``) and
    moves nothing; with a different request it is refused."""
    resident = acting.resident
    amount = to_points(points) if offer_id is None else None
    fingerprint = rules.request_fingerprint(offer_id=offer_id, merchant_id=merchant_id, points=amount)
    try:
        with unit_of_work(session, expire=False):  # the API answers from the new voucher
            earlier = _by_request_key(session, resident, idempotency_key, fingerprint)
            if earlier is not None:
                return Issued(earlier, created=False)
            voucher = _new_voucher(session, acting=acting, offer_id=offer_id,
                                   merchant_id=merchant_id, amount=amount, item_ttl=item_ttl,
                                   amount_ttl=amount_ttl, now=now,
                                   idempotency_key=idempotency_key, request_hash=fingerprint)
    except IntegrityError:
        # The same key raced in from a second request: that one won; answer with it.
        with unit_of_work(session):
            earlier = _by_request_key(session, resident, idempotency_key, fingerprint)
        if earlier is None:
            raise
        return Issued(earlier, created=False)
    return Issued(voucher, created=True)


def _new_voucher(session, *, acting, offer_id, merchant_id, amount, item_ttl, amount_ttl, now,
                 idempotency_key, request_hash):
    resident, community_id = acting.resident, acting.resident.community_id
    rules.ensure_resident(resident)
    if offer_id is not None:
        offer, merchant = _reserve_offer(session, resident=resident, community_id=community_id,
                                         offer_id=offer_id, now=now)
        amount, title = offer.points, offer.title
    else:
        offer = None
        merchant = _shop_for_amount(session, community_id=community_id,
                                    merchant_id=merchant_id, points=amount)
        title = merchant.name
    code = codes.unused_code(session, Voucher.code)
    expires_at = now + rules.lifetime(offer, item_ttl=item_ttl, amount_ttl=amount_ttl)
    held = ledger.hold(session, account=wallets.wallet_id(session, resident),
                       destination=_destination(session, merchant, community_id),
                       amount=amount, key=f"voucher:{code}", kind="hold", reason=title,
                       expires_at=expires_at, ref_type="voucher", now=now,
                       **acting.transfer_ids())
    voucher = Voucher(community_id=community_id, code=code, user_id=resident.id,
                      proxy_id=acting.proxy_id, merchant=merchant, offer=offer, title=title, points=amount,
                      funding=WALLET, hold_id=held.id, status=HELD, expires_at=expires_at,
                      created_at=now, idempotency_key=idempotency_key, request_hash=request_hash)
    session.add(voucher)
    session.flush()
    return voucher


# Cancel and expire -------------------------------------------------------------------

def _release(session, voucher, *, status, actor_id=None, proxy_id=None, now):
    """Void the hold (points back), give the stock and the coupon back, close the voucher.
    The offer is locked before the ledger's accounts, as ``issue_voucher`` does."""
    _restock(session, voucher)
    ledger.void_hold(session, voucher.hold_id, key=f"voucher-{status}:{voucher.id}",
                     kind="release", reason=voucher.title, actor_id=actor_id,
                     proxy_id=proxy_id, ref_type="voucher", ref_id=voucher.id, now=now)
    if voucher.coupon_id is not None:
        session.get(Coupon, voucher.coupon_id).status = "issued"
    voucher.status, voucher.closed_at = status, now


def _restock(session, voucher):
    if voucher.offer_id is None:
        return
    offer = session.scalar(select(Offer).where(Offer.id == voucher.offer_id).with_for_update()
                           .execution_options(populate_existing=True))
    if offer.stock is not None:
        offer.stock += 1


def void_voucher(session, voucher, *, actor_id, now):
    """Inside the caller's transaction, give up a held voucher the caller has locked
    (its shop was suspended): points, stock and coupon return; status ``cancelled``."""
    _release(session, voucher, status=CANCELLED, actor_id=actor_id, now=now)


def cancel_voucher(session, *, acting, voucher_id, now):
    """The resident (or their proxy) gives the voucher up: points and stock return."""
    with unit_of_work(session):
        own_voucher(session, acting.resident, voucher_id)
        voucher = lock_voucher(session, voucher_id)
        rules.ensure_cancellable(voucher, now)
        _release(session, voucher, status=CANCELLED, now=now, **acting.transfer_ids())
    return voucher


def expire_voucher(session, voucher_id, *, now):
    """Void one voucher whose time ran out; returns whether it expired now (False when it
    was redeemed, cancelled or expired meanwhile, or is not due)."""
    with unit_of_work(session):
        voucher = lock_voucher(session, voucher_id)
        if voucher is None or voucher.status != HELD or voucher.expires_at > now:
            return False
        _release(session, voucher, status=EXPIRED, now=now)
        notify(session, user=voucher.owner, kind="voucher_expired",
               title=EXPIRY_TITLE, body=(EXPIRY_BODY, {"title": voucher.title, "points": voucher.points}),
               link=f"/vouchers/{voucher.id}", now=now)
    return True


def expire_due_vouchers(session, *, now, limit=500):
    """Expire every held voucher past its time, each in its own transaction (one failing
    voucher does not keep the others held). Returns how many expired."""
    due = list(session.scalars(select(Voucher.id).where(
        Voucher.status == HELD, Voucher.expires_at <= now).order_by(Voucher.expires_at)
        .limit(limit).execution_options(all_communities=True)))
    session.rollback()
    return sum(expire_voucher(session, voucher_id, now=now) for voucher_id in due)


# Redeem and refund -------------------------------------------------------------------

def redeem_voucher(session, *, clerk, voucher_id, now):
    """Redeem at the clerk's shop (or the community store's counter), exactly once:
    the held points go to the shop. Refusals: ``WrongShopError`` (403), already redeemed
    (409), expired, cancelled or refunded (410)."""
    with unit_of_work(session, expire=False):  # the clerk is answered from it
        voucher = lock_voucher(session, voucher_id)
        if voucher is None or voucher.community_id != clerk.community_id:
            raise errors.VoucherNotFoundError()
        rules.ensure_redeemable(voucher, clerk, now)
        ledger.post_hold(session, voucher.hold_id, key=f"voucher-redeem:{voucher.id}",
                         kind="redeem", reason=voucher.title, actor_id=clerk.id,
                         ref_type="voucher", ref_id=voucher.id, now=now)
        if voucher.coupon_id is not None:
            session.get(Coupon, voucher.coupon_id).status = "used"
        voucher.status, voucher.redeemed_at, voucher.redeemed_by_id = REDEEMED, now, clerk.id
        notify(session, user=voucher.owner, kind="voucher_redeemed",
               title=REDEMPTION_TITLE,
               body=(REDEMPTION_BODY, {"title": voucher.title, "points": voucher.points}),
               link=f"/vouchers/{voucher.id}", now=now)
    return voucher


def settlement_for(session, merchant_id, period):
    return session.scalar(select(Settlement).where(Settlement.merchant_id == merchant_id,
                                                   Settlement.period == period))


def refund_redemption(session, *, actor, voucher_id, reason, now):
    """The shop gives a redemption back before its month is settled: the points return
    to where they came from (wallet or coupon). Locks the shop row first, as settlement
    does, so a refund and a settlement of the same shop never interleave."""
    with unit_of_work(session):
        voucher = session.get(Voucher, voucher_id)
        if voucher is None or voucher.merchant_id is None or voucher.merchant_id != actor.merchant_id:
            raise errors.VoucherNotFoundError()
        # FOR NO KEY UPDATE, as settlement: a new voucher's foreign key takes a key-share
        # lock on the shop row while holding the shop's account; FOR UPDATE would deadlock.
        session.scalar(select(Merchant).where(Merchant.id == voucher.merchant_id)
                       .with_for_update(key_share=True))
        voucher = lock_voucher(session, voucher_id)
        rules.ensure_refundable(voucher, reason)
        rules.ensure_may_refund(voucher, actor, now)
        if settlement_for(session, voucher.merchant_id, months.month_of(voucher.redeemed_at)):
            raise errors.AlreadySettledError()
        source = session.get(Hold, voucher.hold_id).account_id
        _restock(session, voucher)  # the offer before the accounts, as issue_voucher locks
        posted = ledger.transfer(session, debit=wallets.merchant_account_id(session, voucher.merchant),
                                 credit=source, amount=voucher.points,
                                 key=f"voucher-refund:{voucher.id}", kind="refund",
                                 reason=reason.strip(), actor_id=actor.id, ref_type="voucher",
                                 ref_id=voucher.id, now=now)
        if voucher.coupon_id is not None:
            session.get(Coupon, voucher.coupon_id).status = "issued"
        voucher.status, voucher.refunded_at, voucher.refunded_by_id = REFUNDED, now, actor.id
        voucher.refund_reason, voucher.refund_transfer_id = reason.strip()[:200], posted.id
        record(session, actor=actor, action="voucher.refund", obj_type="voucher",
               obj_id=voucher.id, before={"status": REDEEMED},
               after={"status": REFUNDED, "points": voucher.points}, reason=reason,
               community_id=voucher.community_id, now=now)
        notify(session, user=voucher.owner, kind="voucher_refunded",
               title=REFUND_TITLE, body=(REFUND_BODY, {"title": voucher.title, "points": voucher.points}),
               link=f"/vouchers/{voucher.id}", now=now)
    return voucher
