"""Making and giving up vouchers (``services.issue_voucher``, ``cancel_voucher``,
``expire_voucher``): every rule and every refusal, each refusal checked to move nothing
(wallet, held points, stock, vouchers, ledger transfers)."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import ledger
from ledger.errors import InsufficientPointsError, InvalidAmountError
from ledger.models import Transfer
from ledger.verify import verify
from merchants import errors, rules, services
from merchants.models import CANCELLED, EXPIRED, HELD, REDEEMED, Offer, Voucher
from points import codes, wallets
from points.auth.models import ProxyGrant
from points.extensions import unit_of_work
from points.notifications.models import Notification
from points.residents.acting import acting_as_self, acting_for
from points.timeutil import utcnow
from tests import factories

NOW = datetime(2026, 11, 10, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai


@pytest.fixture
def world(db):
    session = db.session
    community = factories.make_community(session)
    shop = factories.make_merchant(session, community, name="张记面馆", per_bill_cap="200")
    return type("World", (), dict(
        session=session, community=community, shop=shop,
        resident=factories.make_resident(session, community, name="王秀英", points="500"),
        neighbour=factories.make_resident(session, community, name="赵桂兰", points="500"),
        rice=factories.make_offer(session, community, title="大米 5 斤", points="100", stock=3),
        noodles=factories.make_offer(session, community, shop, title="牛肉面", points="30",
                                     stock=None),
    ))


def issue(world, resident=None, *, now=NOW, key=None, acting=None, **what):
    return services.issue_voucher(world.session, acting=acting or acting_as_self(resident or world.resident),
                                  idempotency_key=key, now=now, **what)


def snapshot(world, resident=None, offer=None):
    """Everything a refusal must leave as it was."""
    session = world.session
    session.expire_all()
    balance = wallets.wallet_balance(session, resident or world.resident)
    offer = offer or world.rice
    return {"balance": balance.balance, "held": balance.held,
            "stock": session.get(Offer, offer.id).stock,
            "vouchers": session.scalar(select(func.count()).select_from(Voucher)),
            "transfers": session.scalar(select(func.count()).select_from(Transfer))}


def refused(world, error_type, resident=None, offer=None, **what):
    before = snapshot(world, resident, offer)
    with pytest.raises(error_type) as caught:
        issue(world, resident, **what)
    assert snapshot(world, resident, offer) == before
    return caught.value


# Issuing ---------------------------------------------------------------------------------

def test_a_voucher_for_a_store_item_holds_the_points_and_reserves_one_unit(world):
    issued = issue(world, offer_id=world.rice.id)

    voucher = issued.voucher
    assert issued.created and voucher.status == HELD and voucher.points == Decimal("100")
    assert voucher.title == "大米 5 斤" and voucher.merchant_id is None
    assert voucher.expires_at == NOW + timedelta(days=30)
    assert codes.is_valid(voucher.code)
    after = snapshot(world)
    assert (after["balance"], after["held"], after["stock"]) == (Decimal("400"), Decimal("100"), 2)
    assert verify(world.session) == []


def test_a_store_voucher_is_paid_to_retired_points_and_a_shop_voucher_to_the_shop(world):
    store = issue(world, offer_id=world.rice.id).voucher
    shop = issue(world, offer_id=world.noodles.id).voucher

    session = world.session
    retired = ledger.system_account(session, world.community.id, ledger.POINTS, "retired")
    with unit_of_work(session):
        shop_account = wallets.merchant_account_id(session, world.shop)
    holds = {h.id: h for h in session.scalars(select(ledger.models.Hold))}
    assert holds[store.hold_id].destination_account_id == retired
    assert holds[shop.hold_id].destination_account_id == shop_account


def test_an_offer_without_stock_limit_stays_unlimited(world):
    issue(world, offer_id=world.noodles.id)

    world.session.expire_all()
    assert world.session.get(Offer, world.noodles.id).stock is None


def test_an_amount_at_a_shop_holds_those_points_for_thirty_minutes(world):
    voucher = issue(world, merchant_id=world.shop.id, points="120").voucher

    assert voucher.points == Decimal("120") and voucher.title == "张记面馆"
    assert voucher.merchant_id == world.shop.id and voucher.offer_id is None
    assert voucher.expires_at == NOW + timedelta(minutes=30)
    assert snapshot(world)["held"] == Decimal("120")


def test_the_lifetimes_come_from_the_caller(world):
    voucher = issue(world, merchant_id=world.shop.id, points="10").voucher
    longer = services.issue_voucher(world.session, acting=acting_as_self(world.resident),
                                    merchant_id=world.shop.id, points="10",
                                    amount_ttl=timedelta(minutes=5), now=NOW).voucher

    assert voucher.expires_at - NOW == timedelta(minutes=30)
    assert longer.expires_at - NOW == timedelta(minutes=5)


def test_a_proxy_makes_a_voucher_in_the_residents_name_and_is_recorded(world):
    session = world.session
    with unit_of_work(session):
        session.add(ProxyGrant(resident_id=world.resident.id, proxy_id=world.neighbour.id,
                               relation="邻居", granted_by_id=world.neighbour.id))
    acting = acting_for(session, world.neighbour, world.resident.id)

    voucher = issue(world, acting=acting, offer_id=world.rice.id).voucher

    assert voucher.user_id == world.resident.id and voucher.proxy_id == world.neighbour.id
    hold = session.get(ledger.models.Hold, voucher.hold_id)
    posted = session.get(Transfer, hold.hold_transfer_id)
    assert (posted.actor_id, posted.proxy_id) == (world.resident.id, world.neighbour.id)
    assert snapshot(world, world.neighbour)["balance"] == Decimal("500")


# Idempotency -----------------------------------------------------------------------------

def test_replaying_the_same_key_returns_the_first_voucher_and_moves_nothing(world):
    first = issue(world, offer_id=world.rice.id, key="k-1")
    before = snapshot(world)

    again = issue(world, offer_id=world.rice.id, key="k-1")

    assert first.created and not again.created
    assert again.voucher.id == first.voucher.id
    assert snapshot(world) == before


def test_replaying_an_amount_with_the_same_key_moves_nothing(world):
    first = issue(world, merchant_id=world.shop.id, points="50", key="pay-1")
    before = snapshot(world)

    again = issue(world, merchant_id=world.shop.id, points="50", key="pay-1")

    assert again.voucher.id == first.voucher.id and not again.created
    assert snapshot(world) == before


@pytest.mark.parametrize("different", [
    {"offer_id": "noodles"},
    {"merchant_id": "shop", "points": "100"},
])
def test_the_same_key_for_a_different_request_is_refused_and_moves_nothing(world, different):
    issue(world, offer_id=world.rice.id, key="k-1")
    what = {name: getattr(world, value).id if name.endswith("_id") else value
            for name, value in different.items()}

    error = refused(world, errors.IdempotencyKeyReusedError, key="k-1", **what)

    assert error.code == "idempotency_conflict"


def test_keys_belong_to_one_resident(world):
    mine = issue(world, offer_id=world.rice.id, key="same")
    theirs = issue(world, world.neighbour, offer_id=world.rice.id, key="same")

    assert theirs.created and theirs.voucher.id != mine.voucher.id


def test_the_same_key_after_a_refusal_can_still_make_the_voucher(world):
    refused(world, errors.OverBillCapError, merchant_id=world.shop.id, points="300", key="k-2")

    made = issue(world, merchant_id=world.shop.id, points="150", key="k-2")

    assert made.created


# Refusals --------------------------------------------------------------------------------

def test_not_enough_points_is_refused_with_available_and_needed(world):
    poor = factories.make_resident(world.session, world.community, name="钱少", points="60")

    error = refused(world, InsufficientPointsError, poor, offer_id=world.rice.id)

    assert error.code == "insufficient_points"
    assert error.params == {"available": "60", "needed": "100"}


def test_points_already_held_are_not_available(world):
    for points in ("200", "200", "50"):
        issue(world, merchant_id=world.shop.id, points=points)

    error = refused(world, InsufficientPointsError, offer_id=world.rice.id)

    assert error.params == {"available": "50", "needed": "100"}


def test_the_last_unit_gone_is_refused_as_out_of_stock(world):
    rice = world.rice
    for resident in (world.resident, world.neighbour, world.neighbour):
        issue(world, resident, offer_id=rice.id)

    error = refused(world, errors.OutOfStockError, offer_id=rice.id)

    assert error.code == "out_of_stock"


def test_a_hidden_offer_is_refused(world):
    hidden = factories.make_offer(world.session, world.community, title="旧毛巾", active=False)

    error = refused(world, errors.OfferUnavailableError, offer=hidden, offer_id=hidden.id)

    assert error.code == "offer_unavailable"


@pytest.mark.parametrize("status", ["pending", "suspended"])
def test_a_shop_not_active_sells_nothing(world, status):
    shop = factories.make_merchant(world.session, world.community, name="新店", status=status)
    item = factories.make_offer(world.session, world.community, shop, title="饮料", points="10")

    by_offer = refused(world, errors.ShopNotActiveError, offer=item, offer_id=item.id)
    by_amount = refused(world, errors.ShopNotActiveError, merchant_id=shop.id, points="10")

    assert by_offer.code == by_amount.code == "shop_not_active"


def test_more_than_the_shops_per_bill_cap_is_refused(world):
    error = refused(world, errors.OverBillCapError, merchant_id=world.shop.id, points="201")

    assert error.code == "over_bill_cap" and error.params == {"cap": "200"}
    assert issue(world, merchant_id=world.shop.id, points="200").created  # the cap itself is fine


@pytest.mark.parametrize("points", ["0", "-5", "1.5", "abc"])
def test_an_amount_that_is_not_a_whole_positive_number_is_refused(world, points):
    refused(world, InvalidAmountError, merchant_id=world.shop.id, points=points)


def test_an_offer_or_shop_of_another_community_is_not_found(world):
    elsewhere = factories.make_community(world.session, name="城口社区")
    far_shop = factories.make_merchant(world.session, elsewhere, name="城口小卖部")
    far_item = factories.make_offer(world.session, elsewhere, title="腊肉")

    refused(world, errors.OfferNotFoundError, offer=far_item, offer_id=far_item.id)
    refused(world, errors.OfferNotFoundError, offer_id=999999)
    refused(world, errors.ShopNotFoundError, merchant_id=far_shop.id, points="10")
    refused(world, errors.ShopNotFoundError, merchant_id=999999, points="10")


@pytest.mark.parametrize("role", ["merchant_clerk", "merchant_owner"])
def test_shop_staff_cannot_spend_in_the_mall(world, role):
    clerk = factories.make_user(world.session, world.community, role, merchant=world.shop)
    factories.give_points(world.session, clerk, "300")

    error = refused(world, errors.NotAResidentWalletError, clerk, merchant_id=world.shop.id,
                    points="10")

    assert error.code == "forbidden"


# The monthly limit -----------------------------------------------------------------------

@pytest.fixture
def limited(world):
    return factories.make_offer(world.session, world.community, title="鸡蛋一盒", points="20",
                                stock=50, monthly_limit=2)


def test_the_monthly_limit_refuses_the_next_voucher_and_moves_nothing(world, limited):
    issue(world, offer_id=limited.id)
    issue(world, offer_id=limited.id, now=NOW + timedelta(days=5))

    error = refused(world, errors.MonthlyLimitError, offer=limited, offer_id=limited.id,
                    now=NOW + timedelta(days=6))

    assert error.code == "monthly_limit" and error.params == {"limit": 2}


def test_the_monthly_limit_is_per_resident(world, limited):
    issue(world, offer_id=limited.id)
    issue(world, offer_id=limited.id)

    assert issue(world, world.neighbour, offer_id=limited.id).created


def test_a_cancelled_voucher_gives_its_monthly_place_back(world, limited):
    first = issue(world, offer_id=limited.id).voucher
    issue(world, offer_id=limited.id)
    services.cancel_voucher(world.session, acting=acting_as_self(world.resident),
                            voucher_id=first.id, now=NOW)

    assert issue(world, offer_id=limited.id).created


def test_a_redeemed_voucher_keeps_its_monthly_place(world, limited):
    staff = factories.make_user(world.session, world.community, "staff")
    first = issue(world, offer_id=limited.id).voucher
    issue(world, offer_id=limited.id)
    services.redeem_voucher(world.session, clerk=staff, voucher_id=first.id, now=NOW)

    refused(world, errors.MonthlyLimitError, offer=limited, offer_id=limited.id)


def test_the_limit_starts_again_on_the_first_local_day_of_the_month(world, limited):
    # 2026-11-30 23:30 in Shanghai is still November; 00:30 on 1 December is not.
    last_evening = datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc)
    issue(world, offer_id=limited.id, now=last_evening)
    issue(world, offer_id=limited.id, now=last_evening)
    refused(world, errors.MonthlyLimitError, offer=limited, offer_id=limited.id,
            now=last_evening + timedelta(minutes=20))

    assert issue(world, offer_id=limited.id, now=last_evening + timedelta(hours=1)).created


# Cancelling -----------------------------------------------------------------------------

def cancel(world, voucher, resident=None, now=NOW):
    return services.cancel_voucher(world.session, acting=acting_as_self(resident or world.resident),
                                   voucher_id=voucher.id, now=now)


def test_cancelling_returns_the_points_and_the_unit(world):
    before = snapshot(world)
    voucher = issue(world, offer_id=world.rice.id).voucher

    cancelled = cancel(world, voucher)

    assert cancelled.status == CANCELLED and cancelled.closed_at == NOW
    after = snapshot(world)
    assert {k: after[k] for k in ("balance", "held", "stock")} == {
        k: before[k] for k in ("balance", "held", "stock")}
    assert verify(world.session) == []


def test_cancelling_twice_is_refused_and_moves_nothing(world):
    voucher = issue(world, offer_id=world.rice.id).voucher
    cancel(world, voucher)
    before = snapshot(world)

    with pytest.raises(errors.VoucherCancelledError) as caught:
        cancel(world, voucher)

    assert caught.value.code == "voucher_cancelled"
    assert snapshot(world) == before


def test_someone_elses_voucher_cannot_be_cancelled_and_stays_unknown(world):
    voucher = issue(world, offer_id=world.rice.id).voucher
    before = snapshot(world)

    with pytest.raises(errors.VoucherNotFoundError):
        cancel(world, voucher, world.neighbour)

    assert snapshot(world) == before
    world.session.expire_all()
    assert world.session.get(Voucher, voucher.id).status == HELD


def test_a_redeemed_voucher_cannot_be_cancelled(world):
    staff = factories.make_user(world.session, world.community, "staff")
    voucher = issue(world, offer_id=world.rice.id).voucher
    services.redeem_voucher(world.session, clerk=staff, voucher_id=voucher.id, now=NOW)
    before = snapshot(world)

    with pytest.raises(errors.VoucherAlreadyRedeemedError):
        cancel(world, voucher)

    assert snapshot(world) == before


def test_an_amount_voucher_cancelled_returns_its_points(world):
    voucher = issue(world, merchant_id=world.shop.id, points="150").voucher

    cancel(world, voucher)

    assert snapshot(world)["balance"] == Decimal("500")


# Expiry ---------------------------------------------------------------------------------

def expire(world, voucher, now):
    return services.expire_voucher(world.session, voucher.id, now=now)


def test_a_voucher_is_not_expired_before_its_time(world):
    voucher = issue(world, offer_id=world.rice.id).voucher
    before = snapshot(world)

    assert expire(world, voucher, voucher.expires_at - timedelta(seconds=1)) is False
    assert snapshot(world) == before


def test_expiry_returns_the_points_and_the_unit_and_tells_the_resident(world):
    voucher = issue(world, offer_id=world.rice.id).voucher

    assert expire(world, voucher, voucher.expires_at) is True

    session = world.session
    session.expire_all()
    assert session.get(Voucher, voucher.id).status == EXPIRED
    after = snapshot(world)
    assert (after["balance"], after["held"], after["stock"]) == (Decimal("500"), Decimal("0"), 3)
    note = session.scalar(select(Notification).where(Notification.user_id == world.resident.id))
    assert note.kind == "voucher_expired" and note.link == f"/vouchers/{voucher.id}"
    assert verify(session) == []


def test_expiring_twice_moves_nothing_the_second_time(world):
    voucher = issue(world, offer_id=world.rice.id).voucher
    expire(world, voucher, voucher.expires_at)
    before = snapshot(world)

    assert expire(world, voucher, voucher.expires_at + timedelta(days=1)) is False
    assert snapshot(world) == before


def test_a_redeemed_voucher_never_expires(world):
    staff = factories.make_user(world.session, world.community, "staff")
    voucher = issue(world, offer_id=world.rice.id).voucher
    services.redeem_voucher(world.session, clerk=staff, voucher_id=voucher.id, now=NOW)

    assert expire(world, voucher, voucher.expires_at + timedelta(days=1)) is False
    world.session.expire_all()
    assert world.session.get(Voucher, voucher.id).status == REDEEMED


def test_a_held_voucher_past_its_time_reads_expired_before_the_sweep(world):
    voucher = issue(world, merchant_id=world.shop.id, points="10").voucher

    assert not rules.is_expired(voucher, voucher.expires_at - timedelta(seconds=1))
    assert rules.is_expired(voucher, voucher.expires_at)


def test_expire_due_vouchers_expires_only_those_past_their_time(world):
    amount = issue(world, merchant_id=world.shop.id, points="10").voucher
    item = issue(world, offer_id=world.rice.id).voucher

    count = services.expire_due_vouchers(world.session, now=NOW + timedelta(hours=1))

    world.session.expire_all()
    assert count == 1
    assert world.session.get(Voucher, amount.id).status == EXPIRED
    assert world.session.get(Voucher, item.id).status == HELD


def test_the_vouchers_expire_command_voids_the_due_ones(app, world):
    long_ago = utcnow() - timedelta(days=31)
    due = issue(world, offer_id=world.rice.id, now=long_ago).voucher
    fresh = issue(world, merchant_id=world.shop.id, points="10", now=utcnow()).voucher

    result = app.test_cli_runner().invoke(args=["vouchers", "expire"])

    assert result.exit_code == 0 and "expired 1 vouchers" in result.output
    session = world.session
    session.expire_all()
    assert session.get(Voucher, due.id).status == EXPIRED
    assert session.get(Voucher, fresh.id).status == HELD
    assert snapshot(world)["stock"] == 3
    assert verify(session) == []
