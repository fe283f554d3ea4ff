"""Refunding a redemption before its month is settled: the points go back to the resident
(and the unit to stock), once; the owner may refund any of the shop's, a clerk only their
own of the day; after settlement, or without a reason, nothing moves."""
from datetime import timedelta
from decimal import Decimal

import pytest

import ledger
from ledger.verify import verify
from merchants import errors, rules, scanning, services
from merchants.models import REDEEMED, REFUNDED, Offer, Settlement, Voucher
from points import wallets
from points.audit.models import AuditEvent
from points.extensions import unit_of_work
from points.notifications.models import Notification
from points.timeutil import local, utcnow
from tests.factories import make_held_voucher, make_scan_world, make_user
from tests.merchants.test_redeem_scanned import shop_points


@pytest.fixture
def session(db):
    return db.session


@pytest.fixture
def world(session):
    return make_scan_world(session)


def redeemed(session, world, *, clerk=None, at=None, merchant=None, points="120"):
    at = at or utcnow()
    voucher = make_held_voucher(session, world.resident, merchant or world.shop, points=points,
                                now=at - timedelta(minutes=1))
    return services.redeem_voucher(session, clerk=clerk or world.clerk, voucher_id=voucher.id,
                                   now=at)


def snapshot(session, world, voucher):
    session.expire_all()
    found = session.get(Voucher, voucher.id)
    return (wallets.wallet_balance(session, world.resident), shop_points(session, world.shop),
            found.status, found.refunded_at, session.get(Offer, found.offer_id).stock,
            session.query(AuditEvent).count(), session.query(Notification).count())


def refund(session, actor, voucher, reason="顾客退货", now=None):
    return scanning.refund(session, actor=actor, voucher_id=voucher.id, reason=reason,
                           now=now or utcnow())


def refused(session, world, voucher, actor, error_type, **kwargs):
    before = snapshot(session, world, voucher)
    with pytest.raises(error_type) as caught:
        refund(session, actor, voucher, **kwargs)
    assert snapshot(session, world, voucher) == before
    assert verify(session) == []
    return caught.value


def settle(session, world, period, owner):
    with unit_of_work(session):
        session.add(Settlement(community_id=world.community.id, merchant_id=world.shop.id,
                               period=period, voucher_count=1, points=Decimal("120"),
                               points_per_yuan=Decimal("50"), amount_cny=Decimal("2.40"),
                               settled_by_id=owner.id, settled_at=utcnow()))


def test_the_owner_refunds_and_the_points_go_back_to_the_resident(session, world):
    voucher = redeemed(session, world)
    stock = session.get(Offer, voucher.offer_id).stock
    now = utcnow()

    done = refund(session, world.owner, voucher, reason="  顾客退货  ", now=now)

    assert done.voucher.status == REFUNDED and done.voucher.refunded_at == now
    assert done.voucher.refund_reason == "顾客退货" and done.voucher.refunded_by_id == world.owner.id
    assert done.resident_name == "王**"
    assert wallets.wallet_balance(session, world.resident) == ledger.Balance(
        "POINTS", Decimal("500"), Decimal("0"))
    assert shop_points(session, world.shop) == Decimal("0")
    assert session.get(Offer, voucher.offer_id).stock == stock + 1
    assert verify(session) == []


def test_a_refund_is_in_the_audit_log_and_told_to_the_resident(session, world):
    voucher = redeemed(session, world)

    refund(session, world.owner, voucher, reason="菜做错了")

    event = session.query(AuditEvent).one()
    assert (event.action, event.object_type, event.object_id) == ("voucher.refund", "voucher", voucher.id)
    assert event.actor_id == world.owner.id and event.reason == "菜做错了"
    assert event.before == {"status": "redeemed"}
    assert event.after == {"status": "refunded", "points": "120"}
    note = session.query(Notification).filter_by(kind="voucher_refunded").one()
    assert note.user_id == world.resident.id


def test_a_clerk_refunds_their_own_redemption_of_today(session, world):
    voucher = redeemed(session, world, clerk=world.clerk)

    assert refund(session, world.clerk, voucher).voucher.status == REFUNDED


def test_a_clerk_cannot_refund_another_clerks_redemption(session, world):
    colleague = make_user(session, world.community, "merchant_clerk", name="王五", merchant=world.shop)
    voucher = redeemed(session, world, clerk=colleague)

    error = refused(session, world, voucher, world.clerk, errors.RefundNotAllowedError)
    assert error.code == "refund_not_allowed"


def test_a_clerk_cannot_refund_their_own_redemption_of_yesterday(session, world):
    yesterday = utcnow() - timedelta(days=1)
    voucher = redeemed(session, world, clerk=world.clerk, at=yesterday)

    refused(session, world, voucher, world.clerk, errors.RefundNotAllowedError)
    assert refund(session, world.owner, voucher).voucher.status == REFUNDED


def test_a_refund_needs_a_reason(session, world):
    voucher = redeemed(session, world)

    error = refused(session, world, voucher, world.owner, errors.RefundReasonRequiredError,
                    reason="   ")
    assert error.code == "reason_required"


def test_a_second_refund_is_refused_and_moves_nothing(session, world):
    voucher = redeemed(session, world)
    refund(session, world.owner, voucher)

    error = refused(session, world, voucher, world.owner, errors.NotRefundableError)
    assert error.code == "not_refundable"


def test_a_held_voucher_cannot_be_refunded(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop)

    refused(session, world, voucher, world.owner, errors.NotRefundableError)


def test_after_the_months_settlement_a_refund_is_refused(session, world):
    voucher = redeemed(session, world)
    settle(session, world, rules.period_of(local(voucher.redeemed_at)), world.owner)

    error = refused(session, world, voucher, world.owner, errors.AlreadySettledError)
    assert error.code == "already_settled"
    assert session.get(Voucher, voucher.id).status == REDEEMED


def test_another_months_settlement_does_not_stop_a_refund(session, world):
    voucher = redeemed(session, world)
    settle(session, world, "2020-01", world.owner)

    assert refund(session, world.owner, voucher).voucher.status == REFUNDED


def test_another_shops_owner_finds_nothing_to_refund(session, world):
    other_owner = make_user(session, world.community, "merchant_owner", name="李老板",
                            merchant=world.other_shop)
    voucher = redeemed(session, world)

    refused(session, world, voucher, other_owner, errors.VoucherNotFoundError)


def test_the_community_stores_redemptions_are_not_refunded_here(session, world):
    voucher = make_held_voucher(session, world.resident, None)
    services.redeem_voucher(session, clerk=world.staff, voucher_id=voucher.id, now=utcnow())

    with pytest.raises(errors.VoucherNotFoundError):
        refund(session, world.staff, voucher)


# What the page and the API list --------------------------------------------------------

def test_the_months_list_is_newest_first_with_masked_names_and_totals(session, world):
    now = utcnow()
    first = redeemed(session, world, at=now - timedelta(minutes=30))
    second = redeemed(session, world, at=now - timedelta(minutes=20))
    third = redeemed(session, world, at=now - timedelta(minutes=10))
    refund(session, world.owner, second)
    redeemed(session, world, merchant=world.other_shop, clerk=world.other_clerk)

    month = scanning.month_of_redemptions(session, actor=world.owner, period=None, cursor=None,
                                          now=now)

    assert [r.voucher.id for r in month.redemptions] == [third.id, second.id, first.id]
    assert {r.resident_name for r in month.redemptions} == {"王**"}
    assert (month.totals.redeemed_count, month.totals.redeemed_points) == (2, Decimal("240"))
    assert (month.totals.refunded_count, month.totals.refunded_points) == (1, Decimal("120"))
    assert month.refundable == {first.id, third.id} and not month.settled


def test_a_clerk_may_refund_only_their_own_of_today_in_the_list(session, world):
    colleague = make_user(session, world.community, "merchant_clerk", name="王五", merchant=world.shop)
    mine = redeemed(session, world, clerk=world.clerk)
    redeemed(session, world, clerk=colleague)

    month = scanning.month_of_redemptions(session, actor=world.clerk, period=None, cursor=None,
                                          now=utcnow())

    assert month.refundable == {mine.id}


def test_a_settled_month_offers_no_refund(session, world):
    voucher = redeemed(session, world)
    settle(session, world, rules.period_of(local(voucher.redeemed_at)), world.owner)

    month = scanning.month_of_redemptions(session, actor=world.owner, period=None, cursor=None,
                                          now=utcnow())

    assert month.settled and month.refundable == frozenset()


def test_pages_follow_each_other_without_overlap(session, world):
    now = utcnow()
    made = [redeemed(session, world, at=now - timedelta(minutes=m), points="10") for m in range(5)]

    seen, cursor = [], None
    while True:
        page, cursor = scanning.redemptions_page(session, merchant_id=world.shop.id,
                                                 cursor=cursor, limit=2)
        seen += [r.voucher.id for r in page]
        if cursor is None:
            break

    assert seen == [v.id for v in made]
