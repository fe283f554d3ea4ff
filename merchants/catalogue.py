"""The catalogue: the community store's goods (积分超市, run by office staff at the store
counter), a partner shop's own offers (run by its owner), and what a resident sees in
the mall and of their vouchers.

Every write is one use case in one ``unit_of_work``, recorded in the audit log with the
offer before and after. Stock changes take the offer's row lock, the same lock a voucher
takes to reserve a unit, so a restock and the last voucher never lose each other's unit.
An offer of another community, or a shop owner's look at another shop's offer, is "not
found" (404), never "forbidden".
"""
from dataclasses import dataclass

from sqlalchemy import and_, case, or_, select

from ledger.amounts import ZERO
from merchants import errors, rules
from merchants.models import DISCOUNT, EXPIRED, HELD, ITEM, Merchant, Offer, Voucher
from points.audit import services as audit
from points.claims import photos
from points.auth import roles
from points.errors import ForbiddenError
from points.extensions import unit_of_work
from points.residents.acting import acting_for

TITLE_LIMIT = 80
DESCRIPTION_LIMIT = 500
REASON_LIMIT = 200
OFFER_FIELDS = ("title", "description", "kind", "points", "stock", "monthly_limit", "active")
ACTIVE_SHOP = "active"


@dataclass
class Mall:
    """What a resident may spend points on: the store's goods, the offers of open shops,
    and the open shops themselves (微消费: pay part of a bill in points)."""

    store: list[Offer]
    offers: list[Offer]
    shops: list[Merchant]


# Who may change what -----------------------------------------------------------------

def ensure_store_keeper(actor, community_id):
    """Office staff of the community (or a district administrator) run the store."""
    if actor.role not in roles.OFFICE_ROLES or actor.community_id not in (None, community_id):
        raise ForbiddenError()


def owned_shop(session, actor):
    """The shop a shop owner runs; other roles are refused, an owner without one too."""
    if actor.role != roles.MERCHANT_OWNER:
        raise ForbiddenError()
    merchant = session.get(Merchant, actor.merchant_id) if actor.merchant_id else None
    if merchant is None or merchant.community_id != actor.community_id:
        raise errors.NoShopError()
    return merchant


# Values --------------------------------------------------------------------------------

def offer_values(offer):
    """The audit log's picture of an offer."""
    return {name: getattr(offer, name) for name in OFFER_FIELDS}


def clean_offer(values, *, kinds=(ITEM,)):
    """The offer's fields checked and cleaned: ``title`` (required), ``description``,
    ``kind`` (one of ``kinds``), ``points`` (a whole number above zero), ``stock``
    (None: unlimited, else at least zero), ``monthly_limit`` (None or above zero)."""
    title = " ".join((values.get("title") or "").split())[:TITLE_LIMIT]
    if not title:
        raise errors.OfferTitleRequiredError()
    kind = values.get("kind") or ITEM
    if kind not in kinds:
        raise errors.OfferKindInvalidError()
    return {"title": title, "kind": kind,
            "description": (values.get("description") or "").strip()[:DESCRIPTION_LIMIT],
            "points": rules.whole_points(values.get("points")),
            "stock": rules.stock_or_none(values.get("stock")),
            "monthly_limit": rules.limit_or_none(values.get("monthly_limit")),
            "active": bool(values.get("active", True))}


# The community store's goods (staff) -------------------------------------------------

def store_offers(session, *, community_id):
    """Every store good of the community, shown ones first, then by title."""
    return list(session.scalars(select(Offer).where(
        Offer.community_id == community_id, Offer.merchant_id.is_(None))
        .order_by(Offer.active.desc(), Offer.title, Offer.id)))


def _offer(session, offer_id, *, community_id, merchant_id, lock=False):
    """The offer of that community and shop (None: the store), else not found."""
    stmt = select(Offer).where(Offer.id == offer_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    offer = session.scalar(stmt)
    if offer is None or offer.community_id != community_id or offer.merchant_id != merchant_id:
        raise errors.OfferNotFoundError()
    return offer


def store_offer(session, *, community_id, offer_id):
    return _offer(session, offer_id, community_id=community_id, merchant_id=None)


def _save(session, *, actor, community_id, merchant_id, values, offer_id, now):
    """Create (``offer_id`` None) or change an offer. Changing never touches ``stock``:
    stock moves only by ``adjust_stock``, under the lock, with a reason."""
    if offer_id is None:
        offer, before = Offer(community_id=community_id, merchant_id=merchant_id,
                              created_by_id=actor.id, created_at=now, **values), None
        session.add(offer)
    else:
        offer = _offer(session, offer_id, community_id=community_id, merchant_id=merchant_id,
                       lock=True)
        before = offer_values(offer)
        for name in OFFER_FIELDS:
            if name != "stock":
                setattr(offer, name, values[name])
        offer.updated_at = now
    session.flush()
    audit.record(session, actor=actor, action="offer.create" if before is None else "offer.update",
                 obj_type="offer", obj_id=offer.id, before=before, after=offer_values(offer),
                 community_id=community_id, now=now)
    return offer


def save_store_offer(session, *, actor, community_id, values, offer_id=None, now):
    """Create or change a store good (see ``clean_offer``); recorded in the audit log."""
    ensure_store_keeper(actor, community_id)
    values = clean_offer(values)
    with unit_of_work(session):
        return _save(session, actor=actor, community_id=community_id, merchant_id=None,
                     values=values, offer_id=offer_id, now=now)


def _adjust(session, *, actor, community_id, merchant_id, offer_id, change, reason, now):
    change, reason = rules.stock_change(change), rules.clean_reason(reason, REASON_LIMIT)
    if not reason:
        raise errors.StockReasonRequiredError()
    with unit_of_work(session):
        offer = _offer(session, offer_id, community_id=community_id, merchant_id=merchant_id,
                       lock=True)
        if offer.stock is None:
            raise errors.UnlimitedStockError()
        if offer.stock + change < 0:
            raise errors.StockBelowZeroError(stock=offer.stock)
        before = {"stock": offer.stock}
        offer.stock, offer.updated_at = offer.stock + change, now
        audit.record(session, actor=actor, action="offer.stock", obj_type="offer",
                     obj_id=offer.id, before=before, after={"stock": offer.stock, "change": change},
                     reason=reason, community_id=community_id, now=now)
    return offer


def adjust_store_stock(session, *, actor, community_id, offer_id, change, reason, now):
    """Add units to a store good (or take broken ones off, ``change`` below zero), with
    a reason, never below zero; recorded with the stock before and after."""
    ensure_store_keeper(actor, community_id)
    return _adjust(session, actor=actor, community_id=community_id, merchant_id=None,
                   offer_id=offer_id, change=change, reason=reason, now=now)


def _set_active(session, *, actor, community_id, merchant_id, offer_id, active, now):
    with unit_of_work(session):
        offer = _offer(session, offer_id, community_id=community_id, merchant_id=merchant_id,
                       lock=True)
        if offer.active != active:
            before = {"active": offer.active}
            offer.active, offer.updated_at = active, now
            audit.record(session, actor=actor, action="offer.show" if active else "offer.hide",
                         obj_type="offer", obj_id=offer.id, before=before,
                         after={"active": active}, community_id=community_id, now=now)
    return offer


def set_store_offer_active(session, *, actor, community_id, offer_id, active, now):
    """Show a store good in the mall again, or hide it (held vouchers stay good)."""
    ensure_store_keeper(actor, community_id)
    return _set_active(session, actor=actor, community_id=community_id, merchant_id=None,
                       offer_id=offer_id, active=active, now=now)


def set_store_offer_photo(session, *, actor, community_id, offer_id, raw, directory, now):
    """Check and re-encode the uploaded photo (``points.claims.photos``), store it, and
    put it on the good. The file is written before the transaction and removed if it
    fails, so an offer never names a missing file."""
    ensure_store_keeper(actor, community_id)
    key = photos.store(directory, photos.prepare(raw).data)
    try:
        with unit_of_work(session):
            offer = _offer(session, offer_id, community_id=community_id, merchant_id=None,
                           lock=True)
            before = {"photo_key": offer.photo_key}
            offer.photo_key, offer.updated_at = key, now
            audit.record(session, actor=actor, action="offer.photo", obj_type="offer",
                         obj_id=offer.id, before=before, after={"photo_key": key},
                         community_id=community_id, now=now)
    except BaseException:
        photos.remove(directory, [key])
        raise
    return offer


# A shop's own offers (its owner) -----------------------------------------------------

def shop_offers(session, *, actor):
    """The owner's shop and its offers, shown ones first."""
    merchant = owned_shop(session, actor)
    found = session.scalars(select(Offer).where(Offer.merchant_id == merchant.id)
                            .order_by(Offer.active.desc(), Offer.title, Offer.id))
    return merchant, list(found)


def shop_offer(session, *, actor, offer_id):
    merchant = owned_shop(session, actor)
    return _offer(session, offer_id, community_id=merchant.community_id, merchant_id=merchant.id)


def save_shop_offer(session, *, actor, values, offer_id=None, now):
    """The owner creates or changes an item or a discount of their own shop; another
    shop's offer is not found."""
    values = clean_offer(values, kinds=(ITEM, DISCOUNT))
    with unit_of_work(session):
        merchant = owned_shop(session, actor)
        return _save(session, actor=actor, community_id=merchant.community_id,
                     merchant_id=merchant.id, values=values, offer_id=offer_id, now=now)


def adjust_shop_stock(session, *, actor, offer_id, change, reason, now):
    merchant = owned_shop(session, actor)
    return _adjust(session, actor=actor, community_id=merchant.community_id,
                   merchant_id=merchant.id, offer_id=offer_id, change=change, reason=reason,
                   now=now)


def set_shop_offer_active(session, *, actor, offer_id, active, now):
    merchant = owned_shop(session, actor)
    return _set_active(session, actor=actor, community_id=merchant.community_id,
                       merchant_id=merchant.id, offer_id=offer_id, active=active, now=now)


# The resident's side ------------------------------------------------------------------

def _visible():
    """Offers a resident may buy: shown, and of the store or of an open shop."""
    return (select(Offer).outerjoin(Merchant, Offer.merchant_id == Merchant.id)
            .where(Offer.active.is_(True),
                   (Offer.merchant_id.is_(None)) | (Merchant.status == ACTIVE_SHOP)))


def mall(session, *, community_id):
    """The store's goods and the open shops' offers (in stock first, then by points),
    and the open shops for 微消费."""
    in_stock_first = case((Offer.stock == 0, 1), else_=0)
    offers = list(session.scalars(_visible().where(Offer.community_id == community_id)
                                  .order_by(in_stock_first, Offer.points, Offer.id)))
    return Mall(store=[offer for offer in offers if offer.merchant_id is None],
                offers=[offer for offer in offers if offer.merchant_id is not None],
                shops=open_shops(session, community_id=community_id))


def open_shops(session, *, community_id):
    return list(session.scalars(select(Merchant).where(
        Merchant.community_id == community_id, Merchant.status == ACTIVE_SHOP)
        .order_by(Merchant.name, Merchant.id)))


def visible_offer(session, *, community_id, offer_id):
    """An offer the resident may look at and buy, else ``OfferNotFoundError`` (hidden,
    of a shop not open, or of another community)."""
    offer = session.scalar(_visible().where(Offer.id == offer_id,
                                            Offer.community_id == community_id))
    if offer is None:
        raise errors.OfferNotFoundError()
    return offer


def open_shop(session, *, community_id, merchant_id):
    shop = session.get(Merchant, merchant_id)
    if shop is None or shop.community_id != community_id or shop.status != ACTIVE_SHOP:
        raise errors.ShopNotFoundError()
    return shop


def visible_voucher(session, *, user, voucher_id):
    """The voucher if ``user`` owns it or is its owner's live proxy, else
    ``VoucherNotFoundError`` (never someone else's: its existence stays hidden)."""
    voucher = session.get(Voucher, voucher_id)
    if voucher is None:
        raise errors.VoucherNotFoundError()
    try:
        acting_for(session, user, voucher.user_id)
    except ForbiddenError:
        raise errors.VoucherNotFoundError() from None
    return voucher


def vouchers_of(session, *, resident, limit=100):
    """The resident's vouchers: held ones first (soonest to expire first), then the
    rest, newest first."""
    held_first = case((Voucher.status == HELD, 0), else_=1)
    soonest = case((Voucher.status == HELD, Voucher.expires_at), else_=None)
    return list(session.scalars(select(Voucher).where(Voucher.user_id == resident.id)
                                .order_by(held_first, soonest, Voucher.created_at.desc(),
                                          Voucher.id.desc()).limit(limit)))


def voucher_page(session, *, resident, status=None, before=None, limit=50, now):
    """A page of the resident's vouchers, newest first, older than the id ``before``, and
    the cursor of the next page (None on the last). ``status`` is the status a voucher
    shows: a held one past its time shows ``expired`` before the sweep marks it."""
    stmt = select(Voucher).where(Voucher.user_id == resident.id)
    if status == HELD:
        stmt = stmt.where(Voucher.status == HELD, Voucher.expires_at > now)
    elif status == EXPIRED:
        stmt = stmt.where(or_(Voucher.status == EXPIRED,
                              and_(Voucher.status == HELD, Voucher.expires_at <= now)))
    elif status is not None:
        stmt = stmt.where(Voucher.status == status)
    if before is not None:
        stmt = stmt.where(Voucher.id < before)
    found = list(session.scalars(stmt.order_by(Voucher.id.desc()).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    return found, (found[-1].id if more else None)


def affordable(balance, offer):
    return offer.points <= (balance or ZERO)
