"""The shop's redemptions page and its refund form, over HTTP."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest

import ledger
from merchants import rules, services
from merchants.models import REDEEMED, REFUNDED, Voucher
from points import wallets
from points.timeutil import local, utcnow
from tests.factories import make_held_voucher, make_scan_world, make_user, sign_in
from tests.merchants.test_redeem_scanned import shop_points
from tests.merchants.test_refund_redemption import settle

PAGE = "/merchant/redemptions"


@pytest.fixture
def world(db):
    world = make_scan_world(db.session)
    now = utcnow()
    world.redemptions = [
        services.redeem_voucher(db.session, clerk=clerk, now=now - timedelta(seconds=minutes),
                                voucher_id=make_held_voucher(db.session, world.resident, world.shop,
                                                             points=points, title=title).id)
        for clerk, minutes, points, title in [(world.clerk, 30, "120", "牛肉面一碗"),
                                              (world.owner, 10, "40", "豆浆两杯")]]
    return world


def text_of(response):
    return response.get_data(as_text=True)


def refund_url(voucher):
    return f"{PAGE}/{voucher.id}/refund"


def moved(db, world):
    db.session.expire_all()
    return (wallets.wallet_balance(db.session, world.resident), shop_points(db.session, world.shop),
            [v.status for v in db.session.query(Voucher).order_by(Voucher.id)])


def test_the_owner_sees_the_months_redemptions_totals_and_refund_buttons(client, world):
    sign_in(client, world.owner)

    page = text_of(client.get(PAGE))

    assert page.index("豆浆两杯") < page.index("牛肉面一碗")  # newest first
    assert re.search(r'data-test="redeemed-count">2<', page)
    assert re.search(r'data-test="redeemed-points">160<', page)
    assert "王**" in page and "王秀英" not in page
    assert page.count('data-test="refund"') == 2
    assert 'aria-current="page"' in page and "核销记录" in page


def test_a_clerk_sees_a_refund_button_only_on_their_own_redemption_of_today(client, world):
    sign_in(client, world.clerk)

    page = text_of(client.get(PAGE))

    assert page.count('data-test="refund"') == 1
    assert refund_url(world.redemptions[0]) in page
    assert "店员只能退回自己当天核销的券" in page


@pytest.mark.parametrize("role", ["resident", "staff"])
def test_residents_and_staff_have_no_redemptions_page(client, world, role):
    sign_in(client, getattr(world, role))

    assert client.get(PAGE).status_code == 403


def test_the_owner_refunds_with_a_reason_and_the_points_go_back(client, db, world):
    sign_in(client, world.owner)
    voucher = world.redemptions[0]

    form = client.get(refund_url(voucher))
    done = client.post(refund_url(voucher), data={"reason": "顾客退货"})

    assert form.status_code == 200 and "退款原因（必填，居民会看到）" in text_of(form)
    period = rules.period_of(local(voucher.redeemed_at))
    assert done.status_code == 302 and done.headers["Location"] == f"{PAGE}?period={period}"
    listed = text_of(client.get(done.headers["Location"]))
    assert "已退款，120 积分已退回给居民" in listed and "退款原因：顾客退货" in listed
    assert moved(db, world) == (ledger.Balance("POINTS", Decimal("460"), Decimal("0")),
                                Decimal("40"), [REFUNDED, REDEEMED])


def test_a_refund_without_a_reason_is_refused_in_words_and_moves_nothing(client, db, world):
    sign_in(client, world.owner)
    before = moved(db, world)

    response = client.post(refund_url(world.redemptions[0]), data={"reason": ""})

    assert response.status_code == 200 and "请填写退款原因" in text_of(response)
    assert moved(db, world) == before


def test_after_the_months_settlement_no_refund_is_offered_or_taken(client, db, world):
    voucher = world.redemptions[0]
    settle(db.session, world, rules.period_of(local(voucher.redeemed_at)), world.owner)
    sign_in(client, world.owner)
    before = moved(db, world)

    page = text_of(client.get(PAGE))
    response = client.post(refund_url(voucher), data={"reason": "顾客退货"})

    assert "这个月已经结算，不能再退款。" in page and 'data-test="refund"' not in page
    assert response.status_code == 409 and "这个月已经结算，不能再退款" in text_of(response)
    assert moved(db, world) == before


def test_a_clerk_posting_a_refund_of_another_clerks_redemption_is_refused(client, db, world):
    sign_in(client, world.clerk)
    before = moved(db, world)

    response = client.post(refund_url(world.redemptions[1]), data={"reason": "顾客退货"})

    assert response.status_code == 403
    assert "店员只能退回自己当天核销的券，其他退款请找店主" in text_of(response)
    assert moved(db, world) == before


def test_another_shops_redemption_is_not_found(client, db, world):
    other_owner = make_user(db.session, world.community, "merchant_owner", merchant=world.other_shop)
    sign_in(client, other_owner)

    assert client.get(refund_url(world.redemptions[0])).status_code == 404
    assert client.post(refund_url(world.redemptions[0]), data={"reason": "x"}).status_code == 404


def test_an_earlier_month_is_one_tap_away_and_says_when_it_is_empty(client, world):
    sign_in(client, world.owner)

    page = text_of(client.get(PAGE))
    earlier = re.search(r'href="([^"]+)" data-test="earlier-month"', page)[1].replace("&amp;", "&")
    empty = text_of(client.get(earlier))

    assert 'data-test="later-month"' not in page
    assert "这个月还没有核销记录。" in empty and 'data-test="later-month"' in empty


def test_a_malformed_period_shows_this_month(client, world):
    sign_in(client, world.owner)

    assert "牛肉面一碗" in text_of(client.get(PAGE, query_string={"period": "2026-99"}))


def test_many_redemptions_page_on_with_an_older_link(client, db, world):
    now = utcnow()
    for minutes in range(60):
        voucher = make_held_voucher(db.session, world.neighbour, world.shop, points="1",
                                    title=f"第{minutes}件")
        services.redeem_voucher(db.session, clerk=world.clerk, voucher_id=voucher.id,
                                now=now - timedelta(seconds=minutes))
    sign_in(client, world.owner)

    first = text_of(client.get(PAGE))
    older = re.search(r'href="([^"]+)" data-test="older"', first)[1].replace("&amp;", "&")
    second = text_of(client.get(older))

    assert first.count('data-test="redemption"') == 50
    assert second.count('data-test="redemption"') == 12
    assert re.search(r'data-test="redeemed-count">62<', second)
    assert client.get(PAGE, query_string={"before": "!!"}).status_code == 422
