"""The catalogue (``merchants.catalogue``): staff run the community store's goods, a shop
owner runs their shop's offers, and the mall shows residents only what they may buy."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from merchants import catalogue, errors
from merchants.models import Offer
from points.audit.models import AuditEvent
from points.errors import ForbiddenError
from points.timeutil import utcnow
from tests import factories

RICE = {"title": " 大米  5 斤 ", "description": "东北大米", "points": "100", "stock": "10",
        "monthly_limit": "", "active": True}


@pytest.fixture
def world(db):
    session = db.session
    community = factories.make_community(session)
    shop = factories.make_merchant(session, community, name="张记面馆")
    other_shop = factories.make_merchant(session, community, name="李记水果")
    return type("World", (), dict(
        session=session, community=community, shop=shop, other_shop=other_shop,
        staff=factories.make_user(session, community, "staff", name="陈干事"),
        owner=factories.make_user(session, community, "merchant_owner", name="张建国", merchant=shop),
        other_owner=factories.make_user(session, community, "merchant_owner", name="李四",
                                        merchant=other_shop),
        resident=factories.make_resident(session, community, points="500"),
    ))


def audit_events(session, action=None):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(session.scalars(stmt))


def offer_count(session):
    return session.scalar(select(func.count()).select_from(Offer))


def save_store(world, values=RICE, actor=None, offer_id=None):
    return catalogue.save_store_offer(world.session, actor=actor or world.staff,
                                      community_id=world.community.id, values=values,
                                      offer_id=offer_id, now=utcnow())


# The store's goods -------------------------------------------------------------------------

def test_staff_put_a_good_on_the_shelf_and_the_audit_log_records_it(world):
    good = save_store(world)

    assert good.merchant_id is None and good.title == "大米 5 斤" and good.kind == "item"
    assert (good.points, good.stock, good.monthly_limit, good.active) == (Decimal("100"), 10, None, True)
    event = audit_events(world.session, "offer.create")[0]
    assert event.actor_id == world.staff.id and event.before is None
    assert event.after["points"] == "100" and event.after["stock"] == 10


def test_changing_a_good_keeps_its_stock_and_records_before_and_after(world):
    good = save_store(world)

    changed = save_store(world, {**RICE, "points": "120", "stock": "999", "monthly_limit": "2"},
                         offer_id=good.id)

    assert (changed.points, changed.stock, changed.monthly_limit) == (Decimal("120"), 10, 2)
    event = audit_events(world.session, "offer.update")[0]
    assert event.before["points"] == "100" and event.after["points"] == "120"


@pytest.mark.parametrize("field, value, error", [
    ("title", "  ", errors.OfferTitleRequiredError),
    ("points", "0", errors.OfferPointsInvalidError),
    ("points", "1.5", errors.OfferPointsInvalidError),
    ("points", "abc", errors.OfferPointsInvalidError),
    ("stock", "-1", errors.StockInvalidError),
    ("stock", "x", errors.StockInvalidError),
    ("monthly_limit", "0", errors.MonthlyLimitInvalidError),
])
def test_a_good_with_a_wrong_value_is_refused_and_nothing_is_saved(world, field, value, error):
    with pytest.raises(error):
        save_store(world, {**RICE, field: value})

    assert offer_count(world.session) == 0 and audit_events(world.session) == []


@pytest.mark.parametrize("role", ["resident", "grid_worker", "merchant_owner"])
def test_only_office_staff_run_the_store(world, role):
    actor = world.owner if role == "merchant_owner" else factories.make_user(
        world.session, world.community, role)

    with pytest.raises(ForbiddenError):
        save_store(world, actor=actor)

    assert offer_count(world.session) == 0


def test_staff_of_another_community_cannot_touch_this_store(world):
    good = save_store(world)
    elsewhere = factories.make_community(world.session, name="城口社区")
    far_staff = factories.make_user(world.session, elsewhere, "staff")

    with pytest.raises(errors.OfferNotFoundError):
        catalogue.save_store_offer(world.session, actor=far_staff, community_id=elsewhere.id,
                                   values=RICE, offer_id=good.id, now=utcnow())


def test_a_shops_offer_is_not_a_store_good(world):
    noodles = factories.make_offer(world.session, world.community, world.shop, title="牛肉面")

    with pytest.raises(errors.OfferNotFoundError):
        save_store(world, offer_id=noodles.id)


# Stock -------------------------------------------------------------------------------

def adjust(world, good, change, reason="新到货", actor=None):
    return catalogue.adjust_store_stock(world.session, actor=actor or world.staff,
                                        community_id=world.community.id, offer_id=good.id,
                                        change=change, reason=reason, now=utcnow())


def stock_of(world, good):
    world.session.expire_all()
    return world.session.get(Offer, good.id).stock


def test_adding_units_records_the_reason_and_the_stock_before_and_after(world):
    good = save_store(world)

    adjust(world, good, "5", reason="  新到货  20 斤 ")

    assert stock_of(world, good) == 15
    event = audit_events(world.session, "offer.stock")[0]
    assert event.before == {"stock": 10} and event.after == {"stock": 15, "change": 5}
    assert event.reason == "新到货 20 斤"


def test_broken_units_can_be_taken_off_but_never_below_zero(world):
    good = save_store(world)
    adjust(world, good, "-4", reason="破损")

    with pytest.raises(errors.StockBelowZeroError) as caught:
        adjust(world, good, "-7", reason="盘点")

    assert caught.value.params == {"stock": 6}
    assert stock_of(world, good) == 6 and len(audit_events(world.session, "offer.stock")) == 1


@pytest.mark.parametrize("change, reason, error", [
    ("0", "新到货", errors.StockChangeInvalidError),
    ("abc", "新到货", errors.StockChangeInvalidError),
    ("5", "  ", errors.StockReasonRequiredError),
])
def test_a_stock_change_needs_a_number_and_a_reason(world, change, reason, error):
    good = save_store(world)

    with pytest.raises(error):
        adjust(world, good, change, reason)

    assert stock_of(world, good) == 10 and audit_events(world.session, "offer.stock") == []


def test_an_unlimited_good_has_no_stock_to_add_to(world):
    good = save_store(world, {**RICE, "stock": ""})

    with pytest.raises(errors.UnlimitedStockError):
        adjust(world, good, "5")

    assert stock_of(world, good) is None


def test_hiding_a_good_takes_it_out_of_the_mall_and_is_recorded(world):
    good = save_store(world)

    catalogue.set_store_offer_active(world.session, actor=world.staff,
                                     community_id=world.community.id, offer_id=good.id,
                                     active=False, now=utcnow())

    assert catalogue.mall(world.session, community_id=world.community.id).store == []
    assert audit_events(world.session, "offer.hide")[0].after == {"active": False}
    catalogue.set_store_offer_active(world.session, actor=world.staff,
                                     community_id=world.community.id, offer_id=good.id,
                                     active=True, now=utcnow())
    assert [o.id for o in catalogue.mall(world.session, community_id=world.community.id).store] == [good.id]


# A shop owner's offers -------------------------------------------------------------------

def save_shop(world, values, actor=None, offer_id=None):
    return catalogue.save_shop_offer(world.session, actor=actor or world.owner, values=values,
                                     offer_id=offer_id, now=utcnow())


def test_an_owner_offers_an_item_or_a_discount_of_their_own_shop(world):
    item = save_shop(world, {"title": "牛肉面", "kind": "item", "points": "30", "stock": ""})
    discount = save_shop(world, {"title": "满 50 减 5", "kind": "discount", "points": "250",
                                 "stock": "20"})

    assert item.merchant_id == discount.merchant_id == world.shop.id
    assert (item.stock, discount.kind, discount.stock) == (None, "discount", 20)
    merchant, offers = catalogue.shop_offers(world.session, actor=world.owner)
    assert merchant.id == world.shop.id and {o.id for o in offers} == {item.id, discount.id}


def test_a_store_good_cannot_be_a_discount(world):
    with pytest.raises(errors.OfferKindInvalidError):
        save_store(world, {**RICE, "kind": "discount"})


def test_an_owner_cannot_touch_another_shops_offer(world):
    theirs = save_shop(world, {"title": "苹果", "points": "20", "stock": "5"}, actor=world.other_owner)

    with pytest.raises(errors.OfferNotFoundError):
        save_shop(world, {"title": "改名", "points": "1"}, offer_id=theirs.id)
    with pytest.raises(errors.OfferNotFoundError):
        catalogue.adjust_shop_stock(world.session, actor=world.owner, offer_id=theirs.id,
                                    change="5", reason="x", now=utcnow())
    with pytest.raises(errors.OfferNotFoundError):
        catalogue.set_shop_offer_active(world.session, actor=world.owner, offer_id=theirs.id,
                                        active=False, now=utcnow())

    world.session.expire_all()
    again = world.session.get(Offer, theirs.id)
    assert (again.title, again.stock, again.active) == ("苹果", 5, True)


def test_an_owner_cannot_touch_a_store_good(world):
    good = save_store(world)

    with pytest.raises(errors.OfferNotFoundError):
        save_shop(world, {"title": "改名", "points": "1"}, offer_id=good.id)


@pytest.mark.parametrize("role", ["merchant_clerk", "resident", "staff"])
def test_only_a_shop_owner_runs_shop_offers(world, role):
    actor = factories.make_user(world.session, world.community, role,
                                merchant=world.shop if role == "merchant_clerk" else None)

    with pytest.raises(ForbiddenError):
        save_shop(world, {"title": "牛肉面", "points": "30"}, actor=actor)


def test_an_owner_adds_stock_to_their_offer(world):
    item = save_shop(world, {"title": "牛肉面", "points": "30", "stock": "2"})

    catalogue.adjust_shop_stock(world.session, actor=world.owner, offer_id=item.id, change="3",
                                reason="备货", now=utcnow())

    assert stock_of(world, item) == 5


# What the mall shows ------------------------------------------------------------------------

def test_the_mall_shows_shown_goods_and_offers_of_open_shops_only(world):
    session, community = world.session, world.community
    rice = factories.make_offer(session, community, title="大米")
    factories.make_offer(session, community, title="旧毛巾", active=False)
    noodles = factories.make_offer(session, community, world.shop, title="牛肉面", points="30")
    factories.make_offer(session, community, world.shop, title="停售", active=False)
    pending = factories.make_merchant(session, community, name="新店", status="pending")
    suspended = factories.make_merchant(session, community, name="停业店", status="suspended")
    factories.make_offer(session, community, pending, title="新店饮料")
    factories.make_offer(session, community, suspended, title="停业店饮料")
    elsewhere = factories.make_community(session, name="城口社区")
    factories.make_offer(session, elsewhere, title="腊肉")

    shown = catalogue.mall(session, community_id=community.id)

    assert [o.id for o in shown.store] == [rice.id]
    assert [o.id for o in shown.offers] == [noodles.id]
    assert {s.name for s in shown.shops} == {"张记面馆", "李记水果"}
    for hidden in (pending, suspended):
        offer_id = session.scalar(select(Offer.id).where(Offer.merchant_id == hidden.id))
        with pytest.raises(errors.OfferNotFoundError):
            catalogue.visible_offer(session, community_id=community.id, offer_id=offer_id)


def test_sold_out_goods_come_last(world):
    gone = factories.make_offer(world.session, world.community, title="已兑完", points="10", stock=0)
    left = factories.make_offer(world.session, world.community, title="还有", points="500", stock=1)

    shown = catalogue.mall(world.session, community_id=world.community.id)

    assert [o.id for o in shown.store] == [left.id, gone.id]


def test_my_vouchers_list_held_ones_first(world):
    rice = factories.make_offer(world.session, world.community, points="10", stock=None)
    now = utcnow()
    old = factories.make_voucher(world.session, world.resident, rice, now=now - timedelta(days=2))
    newer = factories.make_voucher(world.session, world.resident, rice, now=now - timedelta(days=1))
    from merchants import services
    from points.residents.acting import acting_as_self
    services.cancel_voucher(world.session, acting=acting_as_self(world.resident),
                            voucher_id=newer.id, now=now)
    newest = factories.make_voucher(world.session, world.resident, rice, now=now)

    listed = catalogue.vouchers_of(world.session, resident=world.resident)

    assert [v.id for v in listed] == [old.id, newest.id, newer.id]
