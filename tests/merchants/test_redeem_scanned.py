"""Redeeming what a clerk scanned (``scanning.redeem_scanned``): the held points go to the
shop once; each refusal has its reason and moves nothing (balances, holds, statuses)."""
from datetime import timedelta
from decimal import Decimal

import pytest

import ledger
from ledger.accounts import COMMUNITY, find_account
from ledger.verify import verify
from merchants import errors, qr, scanning, services
from merchants.models import CANCELLED, EXPIRED, HELD, REDEEMED, REFUNDED, Offer, Voucher
from points import wallets
from points.notifications.models import Notification
from points.residents.acting import acting_as_self
from points.timeutil import utcnow
from tests.factories import make_held_voucher, make_scan_world

SECRET = "test-secret-key"


@pytest.fixture
def session(db):
    return db.session


@pytest.fixture
def world(session):
    return make_scan_world(session)


def shop_points(session, shop):
    account = find_account(session, community_id=shop.community_id, owner_type="merchant",
                           owner_id=shop.id)
    return ledger.balance_of(session, account).balance if account else Decimal("0")


def retired_points(session, community):
    account = find_account(session, community_id=community.id, owner_type=COMMUNITY,
                           owner_id=community.id, purpose="retired")
    return ledger.balance_of(session, account).balance if account else Decimal("0")


def snapshot(session, world, voucher):
    """Everything a redemption could move."""
    session.expire_all()
    found = session.get(Voucher, voucher.id)
    offer = session.get(Offer, found.offer_id)
    return (wallets.wallet_balance(session, session.get(type(world.resident), found.user_id)),
            shop_points(session, world.shop), shop_points(session, world.other_shop),
            retired_points(session, world.community), found.status, found.redeemed_at,
            offer.stock, session.query(Notification).count())


def redeem(session, clerk, scanned, now=None):
    return scanning.redeem_scanned(session, clerk=clerk, scanned=scanned, secret=SECRET,
                                   now=now or utcnow())


def refused(session, world, voucher, clerk, scanned, error_type, now=None):
    before = snapshot(session, world, voucher)
    with pytest.raises(error_type) as caught:
        redeem(session, clerk, scanned, now)
    assert snapshot(session, world, voucher) == before
    assert verify(session) == []
    return caught.value


# Redeemed -----------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["code", "token", "url"])
def test_a_clerk_redeems_a_voucher_and_the_held_points_go_to_the_shop(session, world, how):
    voucher = make_held_voucher(session, world.resident, world.shop, points="120")
    token = qr.voucher_token(SECRET, voucher)
    scanned = {"code": voucher.code, "token": token, "url": f"https://x.cn/v/{token}"}[how]
    now = utcnow()

    done = redeem(session, world.clerk, scanned, now)

    assert done.voucher.status == REDEEMED and done.voucher.redeemed_at == now
    assert done.voucher.redeemed_by_id == world.clerk.id
    assert done.resident_name == "王**"
    assert wallets.wallet_balance(session, world.resident) == ledger.Balance(
        "POINTS", Decimal("380"), Decimal("0"))
    assert shop_points(session, world.shop) == Decimal("120")
    assert verify(session) == []


def test_the_resident_is_told_of_the_redemption(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop)

    redeem(session, world.clerk, voucher.code)

    note = session.query(Notification).filter_by(user_id=world.resident.id).one()
    assert note.kind == "voucher_redeemed" and note.link == f"/vouchers/{voucher.id}"


def test_the_owner_redeems_too(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop)

    assert redeem(session, world.owner, voucher.code).voucher.status == REDEEMED


def test_office_staff_redeem_the_community_stores_voucher_at_its_counter(session, world):
    voucher = make_held_voucher(session, world.resident, None, points="80", title="洗衣粉一袋")

    done = redeem(session, world.staff, voucher.code)

    assert done.voucher.status == REDEEMED
    assert retired_points(session, world.community) == Decimal("80")  # out of circulation
    assert shop_points(session, world.shop) == Decimal("0")
    assert verify(session) == []


# Refused, nothing moves -----------------------------------------------------------------

def test_a_second_redemption_is_refused_as_already_redeemed(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop)
    redeem(session, world.clerk, voucher.code)

    error = refused(session, world, voucher, world.clerk, voucher.code,
                    errors.VoucherAlreadyRedeemedError)
    assert error.code == "voucher_already_redeemed"


def test_an_expired_voucher_is_refused_as_expired(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop,
                                now=utcnow() - timedelta(days=31))

    error = refused(session, world, voucher, world.clerk, voucher.code, errors.VoucherExpiredError)
    assert error.code == "voucher_expired"


def test_a_voucher_expired_by_the_job_is_refused_as_expired(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop,
                                now=utcnow() - timedelta(days=31))
    services.expire_due_vouchers(session, now=utcnow())
    assert session.get(Voucher, voucher.id).status == EXPIRED

    refused(session, world, voucher, world.clerk, voucher.code, errors.VoucherExpiredError)


def test_a_cancelled_voucher_is_refused_as_cancelled(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop)
    services.cancel_voucher(session, acting=acting_as_self(world.resident),
                            voucher_id=voucher.id, now=utcnow())
    assert session.get(Voucher, voucher.id).status == CANCELLED

    error = refused(session, world, voucher, world.clerk, voucher.code,
                    errors.VoucherCancelledError)
    assert error.code == "voucher_cancelled"


def test_a_refunded_voucher_is_refused_as_refunded(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop)
    redeem(session, world.clerk, voucher.code)
    services.refund_redemption(session, actor=world.owner, voucher_id=voucher.id,
                               reason="顾客退货", now=utcnow())
    assert session.get(Voucher, voucher.id).status == REFUNDED

    refused(session, world, voucher, world.clerk, voucher.code, errors.VoucherRefundedError)


def test_a_clerk_of_another_shop_is_refused_as_not_valid_here(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop)

    error = refused(session, world, voucher, world.other_clerk, voucher.code,
                    errors.WrongShopError)
    assert error.code == "wrong_shop"
    assert session.get(Voucher, voucher.id).status == HELD


def test_a_shops_clerk_cannot_redeem_the_community_stores_voucher(session, world):
    voucher = make_held_voucher(session, world.resident, None)

    refused(session, world, voucher, world.clerk, voucher.code, errors.WrongShopError)


@pytest.mark.parametrize("who", ["neighbour", "resident"])
def test_a_resident_redeems_nothing_not_even_at_the_store(session, world, who):
    store = make_held_voucher(session, world.resident, None)
    shop = make_held_voucher(session, world.resident, world.shop)

    refused(session, world, store, getattr(world, who), store.code, errors.WrongShopError)
    refused(session, world, shop, getattr(world, who), shop.code, errors.WrongShopError)


def test_a_grid_worker_is_not_the_store_counter(session, world):
    from tests.factories import make_user

    grid_worker = make_user(session, world.community, "grid_worker", name="刘网格")
    voucher = make_held_voucher(session, world.resident, None)

    refused(session, world, voucher, grid_worker, voucher.code, errors.WrongShopError)


def test_another_communitys_clerk_finds_nothing(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop)

    refused(session, world, voucher, world.far_clerk, voucher.code, errors.VoucherNotFoundError)
    refused(session, world, voucher, world.far_clerk, qr.voucher_token(SECRET, voucher),
            errors.VoucherNotFoundError)


def test_a_wrong_check_character_or_a_tampered_token_moves_nothing(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop)
    token = qr.voucher_token(SECRET, voucher)

    refused(session, world, voucher, world.clerk, voucher.code[:-1] + "*",
            errors.BadCheckCharacterError)
    refused(session, world, voucher, world.clerk, token[:-3], errors.BadVoucherTokenError)


# The page's outcome ---------------------------------------------------------------------

def test_an_already_redeemed_outcome_shows_the_voucher_and_when(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop)
    first = utcnow() - timedelta(minutes=5)
    redeem(session, world.clerk, voucher.code, first)

    outcome = scanning.scan_outcome(session, clerk=world.clerk, scanned=voucher.code,
                                    secret=SECRET, now=utcnow())

    assert not outcome.ok and outcome.error.code == "voucher_already_redeemed"
    assert outcome.voucher.id == voucher.id and outcome.voucher.redeemed_at == first


def test_another_shops_outcome_shows_nothing_of_the_voucher(session, world):
    voucher = make_held_voucher(session, world.resident, world.shop)

    outcome = scanning.scan_outcome(session, clerk=world.other_clerk, scanned=voucher.code,
                                    secret=SECRET, now=utcnow())

    assert outcome.error.code == "wrong_shop" and outcome.voucher is None
