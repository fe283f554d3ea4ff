"""Partner shops as the office runs them (``merchants.shops``): register, approve,
suspend (every open voucher voided, points and stock back, residents told), reactivate,
and the per-bill cap. Each refusal moves nothing."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.models import Transfer
from ledger.verify import verify
from merchants import errors, services, shops
from merchants.models import CANCELLED, HELD, REDEEMED, Merchant, Offer, Voucher
from points import wallets
from points.audit.models import AuditEvent
from points.errors import ForbiddenError
from points.notifications.models import Notification
from points.timeutil import utcnow
from tests import factories
from tests.races import sql_sent


@pytest.fixture
def world(db):
    session = db.session
    community = factories.make_community(session)
    shop = factories.make_merchant(session, community, name="张记面馆")
    return type("World", (), dict(
        session=session, community=community, shop=shop,
        other_shop=factories.make_merchant(session, community, name="李记水果"),
        staff=factories.make_user(session, community, "staff", name="陈干事"),
        resident=factories.make_resident(session, community, name="王秀英", points="500"),
        neighbour=factories.make_resident(session, community, name="赵桂兰", points="500"),
        noodles=factories.make_offer(session, community, shop, title="牛肉面", points="30", stock=5),
    ))


def events(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def status_of(world, merchant):
    world.session.expire_all()
    return world.session.get(Merchant, merchant.id).status


def moved(session):
    return session.scalar(select(func.count()).select_from(Transfer))


def call(world, action, merchant=None, actor=None, **kwargs):
    return action(world.session, actor=actor or world.staff, community_id=world.community.id,
                  merchant_id=(merchant or world.shop).id, now=utcnow(), **kwargs)


# Register and approve ---------------------------------------------------------------------

def test_a_registered_shop_waits_for_approval_and_then_sells(world):
    new = shops.register_shop(world.session, actor=world.staff, community_id=world.community.id,
                              name=" 阿香 理发 ", address="建设北路 3 号", per_bill_cap="300",
                              now=utcnow())
    assert (new.name, new.status, new.per_bill_cap) == ("阿香 理发", "pending", Decimal("300"))
    with pytest.raises(errors.ShopNotActiveError):
        factories.make_voucher(world.session, world.resident, merchant=new, points="10")

    call(world, shops.approve_shop, new)

    assert status_of(world, new) == "active"
    assert factories.make_voucher(world.session, world.resident, merchant=new, points="10")
    approved = events(world.session, "merchant.approve")[0]
    assert approved.before["status"] == "pending" and approved.after["status"] == "active"
    assert events(world.session, "merchant.register")[0].after["name"] == "阿香 理发"


@pytest.mark.parametrize("name, cap, error", [
    ("  ", "300", errors.ShopNameRequiredError),
    ("阿香理发", "0", errors.BillCapInvalidError),
    ("阿香理发", "12.5", errors.BillCapInvalidError),
])
def test_a_shop_needs_a_name_and_a_whole_cap(world, name, cap, error):
    with pytest.raises(error):
        shops.register_shop(world.session, actor=world.staff, community_id=world.community.id,
                            name=name, per_bill_cap=cap, now=utcnow())

    assert world.session.scalar(select(func.count()).select_from(Merchant)) == 2


def test_only_a_pending_shop_can_be_approved(world):
    with pytest.raises(errors.ShopNotPendingError) as caught:
        call(world, shops.approve_shop)

    assert caught.value.code == "shop_not_pending" and events(world.session, "merchant.approve") == []


@pytest.mark.parametrize("role", ["grid_worker", "resident", "merchant_owner"])
def test_only_office_staff_approve_suspend_and_set_caps(world, role):
    actor = factories.make_user(world.session, world.community, role,
                                merchant=world.shop if role == "merchant_owner" else None)

    for action, extra in ((shops.approve_shop, {}), (shops.reactivate_shop, {}),
                          (shops.suspend_shop, {"reason": "x"}),
                          (shops.set_bill_cap, {"per_bill_cap": "10"})):
        with pytest.raises(ForbiddenError):
            call(world, action, actor=actor, **extra)
    assert status_of(world, world.shop) == "active"


def test_a_shop_of_another_community_is_not_found(world):
    elsewhere = factories.make_community(world.session, name="城口社区")
    far_shop = factories.make_merchant(world.session, elsewhere, name="城口小卖部", status="pending")

    with pytest.raises(errors.ShopNotFoundError):
        call(world, shops.approve_shop, far_shop)
    assert status_of(world, far_shop) == "pending"


# Suspend ---------------------------------------------------------------------------------

def test_suspending_voids_every_open_voucher_of_the_shop_and_returns_points_and_stock(world):
    session = world.session
    item = factories.make_voucher(session, world.resident, world.noodles)
    amount = factories.make_voucher(session, world.neighbour, merchant=world.shop, points="120")
    clerk = factories.make_user(session, world.community, "merchant_clerk", merchant=world.shop)
    used = factories.make_voucher(session, world.neighbour, world.noodles)
    services.redeem_voucher(session, clerk=clerk, voucher_id=used.id, now=utcnow())
    elsewhere = factories.make_voucher(session, world.resident, merchant=world.other_shop, points="40")

    done = call(world, shops.suspend_shop, reason="食品安全检查未通过")

    assert done.voided == 2 and status_of(world, world.shop) == "suspended"
    statuses = {v.id: v.status for v in session.scalars(select(Voucher))}
    assert statuses == {item.id: CANCELLED, amount.id: CANCELLED, used.id: REDEEMED,
                        elsewhere.id: HELD}
    assert wallets.wallet_balance(session, world.resident).balance == Decimal("460")
    assert wallets.wallet_balance(session, world.neighbour).balance == Decimal("470")
    assert session.get(Offer, world.noodles.id).stock == 4  # the redeemed unit stays out
    assert verify(session) == []


def test_residents_are_told_their_voucher_was_voided(world):
    voucher = factories.make_voucher(world.session, world.resident, world.noodles)

    call(world, shops.suspend_shop, reason="停业整顿")

    note = world.session.scalar(select(Notification).where(Notification.user_id == world.resident.id))
    assert note.kind == "voucher_voided" and note.link == f"/vouchers/{voucher.id}"
    assert "张记面馆" in note.body and "牛肉面" in note.body and "30" in note.body


def test_the_suspension_is_recorded_with_its_reason_and_count(world):
    factories.make_voucher(world.session, world.resident, world.noodles)

    call(world, shops.suspend_shop, reason="  停业  整顿 ")

    event = events(world.session, "merchant.suspend")[0]
    assert event.reason == "停业 整顿" and event.actor_id == world.staff.id
    assert event.before["status"] == "active"
    assert event.after["status"] == "suspended" and event.after["voided_vouchers"] == 1


def test_a_suspended_shops_offers_leave_the_mall_and_cannot_be_bought(world):
    call(world, shops.suspend_shop, reason="停业整顿")

    with pytest.raises(errors.ShopNotActiveError):
        factories.make_voucher(world.session, world.resident, world.noodles)
    with pytest.raises(errors.ShopNotActiveError):
        factories.make_voucher(world.session, world.resident, merchant=world.shop, points="10")
    from merchants import catalogue
    shown = catalogue.mall(world.session, community_id=world.community.id)
    assert shown.offers == [] and [s.id for s in shown.shops] == [world.other_shop.id]


def test_suspending_needs_a_reason(world):
    factories.make_voucher(world.session, world.resident, world.noodles)
    before = moved(world.session)

    with pytest.raises(errors.SuspendReasonRequiredError):
        call(world, shops.suspend_shop, reason="  ")

    assert status_of(world, world.shop) == "active" and moved(world.session) == before


def test_suspending_twice_is_refused_and_moves_nothing(world):
    call(world, shops.suspend_shop, reason="停业整顿")
    before = moved(world.session)

    with pytest.raises(errors.ShopAlreadySuspendedError):
        call(world, shops.suspend_shop, reason="再次")

    assert moved(world.session) == before and len(events(world.session, "merchant.suspend")) == 1


def test_a_pending_shop_can_be_suspended(world):
    pending = factories.make_merchant(world.session, world.community, name="新店", status="pending")

    call(world, shops.suspend_shop, pending, reason="资料不全")

    assert status_of(world, pending) == "suspended"


# Reactivate -----------------------------------------------------------------------------

def test_reactivating_puts_the_offers_back_and_voided_vouchers_stay_void(world):
    voucher = factories.make_voucher(world.session, world.resident, world.noodles)
    call(world, shops.suspend_shop, reason="停业整顿")

    call(world, shops.reactivate_shop)

    assert status_of(world, world.shop) == "active"
    assert world.session.get(Voucher, voucher.id).status == CANCELLED
    assert factories.make_voucher(world.session, world.resident, world.noodles).status == HELD
    assert events(world.session, "merchant.reactivate")[0].after["status"] == "active"


def test_only_a_suspended_shop_can_be_reactivated(world):
    with pytest.raises(errors.ShopNotSuspendedError):
        call(world, shops.reactivate_shop)


# The per-bill cap ------------------------------------------------------------------------------

def test_staff_set_the_per_bill_cap_and_it_applies_to_the_next_voucher(world):
    call(world, shops.set_bill_cap, per_bill_cap="100")

    with pytest.raises(errors.OverBillCapError):
        factories.make_voucher(world.session, world.resident, merchant=world.shop, points="101")
    event = events(world.session, "merchant.bill_cap")[0]
    assert (event.before["per_bill_cap"], event.after["per_bill_cap"]) == ("500", "100")


def test_a_wrong_cap_is_refused(world):
    with pytest.raises(errors.BillCapInvalidError):
        call(world, shops.set_bill_cap, per_bill_cap="-3")

    world.session.expire_all()
    assert world.session.get(Merchant, world.shop.id).per_bill_cap == Decimal("500")


# Locks (PostgreSQL) --------------------------------------------------------------------------

def test_a_voucher_share_locks_the_shop_and_a_suspension_locks_it_for_update(world, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's")
    engine = world.session.get_bind()

    with sql_sent(engine) as issuing:
        factories.make_voucher(world.session, world.resident, merchant=world.shop, points="10")
    with sql_sent(engine) as suspending:
        call(world, shops.suspend_shop, reason="停业整顿")

    assert any("FROM merchants" in s and "FOR SHARE" in s for s in issuing)
    assert any("FROM merchants" in s and "FOR UPDATE" in s for s in suspending)
    assert any("FROM vouchers" in s and "FOR UPDATE" in s for s in suspending)
