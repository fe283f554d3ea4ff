"""The coupon pages: the office defines a rule and issues a month; a resident (or their
family proxy) sees their coupons and uses one at a shop."""
import pytest
from sqlalchemy import func, select

from merchants.models import Coupon, CouponRule, Voucher
from points.timeutil import local, utcnow
from tests import factories
from tests.factories import sign_in
from merchants import settlement as settling

RULE = dict(name="本月积分券", min_points="100", points="50", valid_days="30", budget="1000",
            active="y")


@pytest.fixture
def place(db):
    session = db.session
    community = factories.make_community(session)
    staff = factories.make_user(session, community, "staff", name="陈主任")
    shop = factories.make_merchant(session, community)
    resident = factories.make_resident(session, community, name="李大爷")
    factories.make_credit(session, resident, "150", local(utcnow()).date())
    return session, community, staff, shop, resident


def issue(client, session, staff):
    sign_in(client, staff)
    client.post("/staff/coupons", data=RULE)
    rule = session.scalar(select(CouponRule))
    return client.post(f"/staff/coupons/{rule.id}/issue",
                       data={"month": settling.period_of(utcnow())}, follow_redirects=True)


def test_the_office_defines_a_rule_and_issues_the_month(client, place):
    session, community, staff, shop, resident = place

    issued = issue(client, session, staff)

    text = issued.get_data(as_text=True)
    assert "发放 1 张，预算不够未发 0 张，之前已发 0 张" in text
    assert "1 张，50 积分" in text
    assert session.scalar(select(func.count()).select_from(Coupon)) == 1


def test_a_bad_rule_is_explained_and_not_saved(client, place):
    session, community, staff, shop, resident = place
    sign_in(client, staff)

    page = client.post("/staff/coupons", data={**RULE, "budget": "10"})

    assert "每月预算至少要够发一张券" in page.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(CouponRule)) == 0


def test_a_future_month_is_refused_in_plain_words(client, place):
    session, community, staff, shop, resident = place
    sign_in(client, staff)
    client.post("/staff/coupons", data=RULE)
    rule = session.scalar(select(CouponRule))

    page = client.post(f"/staff/coupons/{rule.id}/issue", data={"month": "2999-01"},
                       follow_redirects=True)

    assert "2999-01 还没到，不能提前发券" in page.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Coupon)) == 0


def test_the_rule_can_be_edited(client, place):
    session, community, staff, shop, resident = place
    sign_in(client, staff)
    client.post("/staff/coupons", data=RULE)
    rule = session.scalar(select(CouponRule))

    form = client.get(f"/staff/coupons/{rule.id}").get_data(as_text=True)
    client.post(f"/staff/coupons/{rule.id}", data={**RULE, "points": "60"})

    assert 'value="50"' in form
    session.expire_all()
    assert session.get(CouponRule, rule.id).points == 60


def test_a_resident_sees_the_coupon_and_uses_it_at_a_shop(client, place):
    session, community, staff, shop, resident = place
    issue(client, session, staff)
    client.post("/sign-out")
    sign_in(client, resident)

    page = client.get("/coupons").get_data(as_text=True)
    coupon = session.scalar(select(Coupon))
    used = client.post(f"/coupons/{coupon.id}/use", data={"merchant_id": shop.id,
                                                          "acting_for": resident.id})

    assert "本月积分券" in page and "50 积分" in page and "张记面馆" in page
    voucher = session.scalar(select(Voucher))
    assert used.status_code == 302 and used.headers["Location"].endswith(f"/vouchers/{voucher.id}")
    assert voucher.funding == "coupon" and voucher.coupon_id == coupon.id
    again = client.get("/coupons").get_data(as_text=True)
    assert "出示兑换券" in again


def test_a_proxy_uses_the_coupon_of_the_resident_they_act_for(client, place):
    session, community, staff, shop, resident = place
    issue(client, session, staff)
    daughter = factories.make_resident(session, community, name="李女儿")
    with factories.unit_of_work(session):
        from points.auth.models import ProxyGrant
        session.add(ProxyGrant(resident_id=resident.id, proxy_id=daughter.id, relation="子女",
                               granted_by_id=staff.id))
    client.post("/sign-out")
    sign_in(client, daughter)
    coupon = session.scalar(select(Coupon))

    used = client.post(f"/coupons/{coupon.id}/use", data={"merchant_id": shop.id,
                                                          "acting_for": resident.id})

    voucher = session.scalar(select(Voucher))
    assert used.status_code == 302
    assert (voucher.user_id, voucher.proxy_id) == (resident.id, daughter.id)


def test_someone_elses_coupon_is_404_and_moves_nothing(client, place):
    session, community, staff, shop, resident = place
    issue(client, session, staff)
    neighbour = factories.make_resident(session, community, name="王秀英")
    client.post("/sign-out")
    sign_in(client, neighbour)
    coupon = session.scalar(select(Coupon))

    refused = client.post(f"/coupons/{coupon.id}/use", data={"merchant_id": shop.id})

    assert refused.status_code == 404
    assert session.scalar(select(func.count()).select_from(Voucher)) == 0
    assert "还没有积分券" in client.get("/coupons").get_data(as_text=True)


def test_a_used_coupon_is_refused_in_plain_words(client, place):
    session, community, staff, shop, resident = place
    issue(client, session, staff)
    other = factories.make_merchant(session, community, name="李记超市")
    client.post("/sign-out")
    sign_in(client, resident)
    coupon = session.scalar(select(Coupon))
    client.post(f"/coupons/{coupon.id}/use", data={"merchant_id": shop.id})

    refused = client.post(f"/coupons/{coupon.id}/use", data={"merchant_id": other.id},
                          follow_redirects=True)

    assert "请先取消那张再换店" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Voucher)) == 1
