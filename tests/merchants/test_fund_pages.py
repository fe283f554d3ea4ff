"""The fund page: balance, coverage and movements; recording a donation or 义卖 income."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from merchants import fund
from merchants.models import FundIncome
from points.timeutil import local, utcnow
from tests import factories
from tests.factories import sign_in


@pytest.fixture
def office(db, client):
    community = factories.make_community(db.session)
    staff = factories.make_user(db.session, community, "staff", name="陈主任")
    factories.make_resident(db.session, community, points="5000")
    sign_in(client, staff)
    return db.session, community


def post_income(client, **values):
    form = dict(kind="donation", amount="80.00", source="北新商会",
                received_on=local(utcnow()).date().isoformat(), note="", request_key="k-12345678")
    return client.post("/staff/fund", data={**form, **values}, follow_redirects=True)


def test_the_page_shows_balance_coverage_and_both_figures(client, office):
    session, community = office
    factories.give_fund(session, community, "50.00")

    page = client.get("/staff/fund").get_data(as_text=True)

    assert "¥50.00" in page and "50.0%" in page  # 5,000 points = ¥100.00
    assert "5000 积分" in page and "¥100.00" in page


def test_recording_a_donation_adds_it_to_the_fund_and_the_list(client, office):
    session, community = office

    done = post_income(client, amount="1234.5", note="春节慰问")

    text = done.get_data(as_text=True)
    assert "已记入社区基金：¥1234.50" in text
    assert "北新商会" in text and "春节慰问" in text and "+¥1234.50" in text
    assert fund.fund_balance(session, community.id) == Decimal("1234.50")


def test_a_charity_sale_is_recorded_as_such(client, office):
    session, community = office

    text = post_income(client, kind="charity_sale", source="旧物义卖").get_data(as_text=True)

    assert "义卖收入" in text
    assert session.scalar(select(FundIncome.kind)) == "charity_sale"


@pytest.mark.parametrize("values, words", [
    (dict(amount="12.345"), "金额最多两位小数"),
    (dict(amount=""), "请填写金额"),
    (dict(source=""), "请填写捐赠人或义卖活动的名称"),
    (dict(received_on="2999-01-01"), "收入日期不能晚于今天"),
])
def test_bad_input_is_explained_and_records_nothing(client, office, values, words):
    session, community = office

    text = post_income(client, **values).get_data(as_text=True)

    assert words in text
    assert session.scalar(select(func.count()).select_from(FundIncome)) == 0


def test_the_same_form_submitted_twice_records_once(client, office):
    session, community = office
    page = client.get("/staff/fund").get_data(as_text=True)
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page).group(1)

    post_income(client, request_key=key)
    post_income(client, request_key=key)

    assert fund.fund_balance(session, community.id) == Decimal("80.00")
    assert session.scalar(select(func.count()).select_from(FundIncome)) == 1
