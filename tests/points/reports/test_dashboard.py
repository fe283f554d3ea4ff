"""数据看板 (``GET /staff/dashboard``) over HTTP: the figures shown are ``figures.summary``'s,
per community, grid and district; who may read which; bad choices said on the page."""
import json
import re
from decimal import Decimal
from html import unescape
from types import SimpleNamespace

import pytest

from points import months
from points.reports import figures
from points.reports.district import district_summary
from points.reports.dashboard import number, percent, times, yuan
from tests import factories
from tests.factories import sign_in
from tests.points.reports.conftest import seed

URL = "/staff/dashboard"


@pytest.fixture
def seeded(db):
    return seed(db.session)


def plain_world(session):
    """A community without figures, for what needs no numbers: refusals and words."""
    community = factories.make_community(session, name="北新社区")
    merchant = factories.make_merchant(session, community)
    return SimpleNamespace(community=community, merchant=merchant,
                           staff=factories.make_user(session, community, "staff"),
                           resident=factories.make_resident(session, community))


@pytest.fixture
def plain(db):
    return plain_world(db.session)


def shown(html, test):
    """The text of the element marked ``data-test=test`` (tags stripped, spaces collapsed)."""
    found = re.search(rf'data-test="{test}"[^>]*>(.*?)</', html, re.S)
    assert found, f"no data-test={test}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found[1])).split())


def chart_values(html, name):
    found = re.search(rf'data-chart="{name}" data-chart-values=\'(.*?)\'', html, re.S)
    assert found, f"no chart {name}"
    return json.loads(unescape(found[1]))


def open_page(client, user, url=URL, **query):
    sign_in(client, user)
    return client.get(url, query_string=query)


def summary_of(db, seeded, grid_id=None, community_id=None):
    return figures.summary(db.session, community_id=community_id or seeded.community.id,
                           since=seeded.since, until=seeded.until, grid_id=grid_id, now=seeded.now)


def assert_shows(html, found):
    assert shown(html, "issued") == number(found.issued)
    assert shown(html, "redeemed") == number(found.redeemed)
    assert shown(html, "expired") == number(found.expired)
    assert shown(html, "outstanding") == number(found.outstanding)
    assert shown(html, "outstanding-cny") == yuan(found.outstanding_cny)
    assert shown(html, "fund-balance") == yuan(found.fund_balance)
    assert shown(html, "participation") == percent(found.participation)
    assert shown(html, "household-participation") == percent(found.household_participation)
    assert shown(html, "active-residents") == number(found.active_residents)
    assert shown(html, "households-this-year") == number(found.households_this_year)
    assert shown(html, "approvals-waiting") == number(found.approvals_waiting)
    assert len(re.findall('data-test="series-row"', html)) == len(found.series) == 12


def test_office_staff_see_their_communitys_figures_in_numbers_words_charts_and_tables(client, db, seeded):
    found = summary_of(db, seeded)

    response = open_page(client, seeded.staff)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert_shows(html, found)
    assert (found.issued, found.redeemed, found.expired, found.outstanding) == (160, 20, 40, 140)
    assert shown(html, "coverage-words") == f"基金可兑付 {times(found.coverage)} 倍" == "基金可兑付 357.1 倍"
    assert shown(html, "participation-rate") == "50%" and shown(html, "household-participation") == "67%"
    series = chart_values(html, "series")
    assert series["labels"] == [row.month for row in found.series]
    assert series["datasets"][0]["data"] == [int(row.issued) for row in found.series]
    assert chart_values(html, "flows")["datasets"][0]["data"] == [160, 20, 40]
    assert html.count("<table") == html.count("<caption") >= 6
    assert html.count("<canvas") == 6  # no approvals chart: nothing decided in 30 days
    assert "北新社区" in shown(html, "scope") and months.month_of(seeded.now) in shown(html, "scope")


def add_store_and_inspection(session, seeded):
    """A 清洁户 pass for household 1 (grid 1) this month, and 30 points redeemed at the
    community store by r2: the inspections row and the store row of the shares."""
    from merchants import services as shops
    from points.inspections import services as inspections

    inspections.score_grid(session, actor=seeded.staff, community=seeded.community,
                           grid_id=seeded.grid1.id, month=months.month_of(seeded.now), now=seeded.now,
                           entries=[{"household_id": seeded.households[0].id, "personal": 9,
                                     "home": 9, "public": 8}])
    voucher = factories.make_held_voucher(session, seeded.residents[1], None, points="30",
                                          now=seeded.now)
    shops.redeem_voucher(session, clerk=seeded.staff, voucher_id=voucher.id, now=seeded.now)


def test_the_store_and_the_inspections_rows_are_named(client, db, seeded):
    add_store_and_inspection(db.session, seeded)
    found = summary_of(db, seeded)

    html = open_page(client, seeded.staff).get_data(as_text=True)

    assert_shows(html, found)
    shops = re.findall(r'data-test="shop-row"><th scope="row">(.*?)</th>', html)
    assert sorted(shops) == sorted([seeded.merchant.name, "社区积分超市"])
    activities = re.findall(r'data-test="activity-row"><th scope="row">(.*?)</th>', html)
    assert "家庭卫生评比" in activities and len(activities) == len(found.activities)
    assert "社区积分超市" in chart_values(html, "shops")["labels"]


def test_a_grid_and_an_earlier_month(client, db, seeded):
    found = summary_of(db, seeded, grid_id=seeded.grid2.id)

    html = open_page(client, seeded.staff, grid=seeded.grid2.id).get_data(as_text=True)

    assert_shows(html, found)
    assert shown(html, "issued") == "115"
    assert 'data-test="grid-note"' in html
    assert f'<option value="{seeded.grid2.id}" selected>' in html
    earlier = client.get(URL, query_string={"month": "2020-01"}).get_data(as_text=True)
    assert shown(earlier, "issued") == "0" and shown(earlier, "outstanding") == "140"
    assert 'data-test="no-shops"' in earlier and 'data-test="no-activities"' in earlier


def test_grid_workers_see_their_grid_by_default_and_are_refused_another(client, db, seeded):
    worker = factories.make_user(db.session, seeded.community, "grid_worker", grids=[seeded.grid1])
    found = summary_of(db, seeded, grid_id=seeded.grid1.id)

    html = open_page(client, worker).get_data(as_text=True)

    assert_shows(html, found)
    assert shown(html, "issued") == "45"
    assert f'value="{seeded.grid2.id}"' not in html and '<option value="">' not in html
    assert client.get(URL, query_string={"grid": seeded.grid2.id}).status_code == 403


def test_a_grid_worker_of_two_grids_starts_with_the_first_and_may_pick_the_other(client, db, seeded):
    both = factories.make_user(db.session, seeded.community, "grid_worker",
                               grids=[seeded.grid1, seeded.grid2])
    first = min((seeded.grid1, seeded.grid2), key=lambda grid: (grid.name, grid.id))

    html = open_page(client, both).get_data(as_text=True)

    assert html.count('data-test="issued"') == 1
    assert shown(html, "issued") == number(summary_of(db, seeded, grid_id=first.id).issued)
    other = client.get(URL, query_string={"grid": seeded.grid2.id}).get_data(as_text=True)
    assert shown(other, "issued") == "115"


def test_district_admins_see_the_sum_or_one_community(client, db, seeded):
    admin = factories.make_user(db.session, None, "district_admin", name="钱文")
    whole = district_summary(db.session, since=seeded.since, until=seeded.until, now=seeded.now)

    html = open_page(client, admin).get_data(as_text=True)

    assert_shows(html, whole)
    assert shown(html, "issued") == number(160 + 525)
    assert "全部社区" in shown(html, "scope")
    assert f'<option value="{seeded.other.code}">' in html  # the community chooser
    one = client.get(URL, query_string={"community": seeded.community.code}).get_data(as_text=True)
    assert_shows(one, summary_of(db, seeded))
    grid = client.get(URL, query_string={"community": seeded.community.code,
                                         "grid": seeded.grid1.id}).get_data(as_text=True)
    assert shown(grid, "issued") == "45"
    other = client.get(URL, query_string={"community": seeded.other.code}).get_data(as_text=True)
    assert_shows(other, summary_of(db, seeded, community_id=seeded.other.id))


@pytest.mark.parametrize("role", ["resident", "merchant_clerk", "merchant_owner"])
def test_residents_and_shops_are_refused(client, db, plain, role):
    user = (plain.resident if role == "resident" else
            factories.make_user(db.session, plain.community, role, merchant=plain.merchant))

    assert open_page(client, user).status_code == 403


def test_without_signing_in_one_is_sent_to_sign_in(client, plain):
    response = client.get(URL)

    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_staff_cannot_read_another_communitys_figures_or_grids(client, db, seeded):
    other_grid = factories.make_grid(db.session, seeded.other)

    assert open_page(client, seeded.staff, community=seeded.other.code).status_code == 403
    refused = client.get(URL, query_string={"grid": other_grid.id})
    assert refused.status_code == 400
    assert shown(refused.get_data(as_text=True), "error") == "找不到这个网格"
    assert "data-test=\"issued\"" not in refused.get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ({"month": "2026-13"}, "请选择一个月份"), ({"month": "２０２６-01"}, "请选择一个月份"),
    ({"month": "2026-01-01"}, "请选择一个月份"), ({"grid": "x"}, "找不到这个网格"),
    ({"grid": "0"}, "找不到这个网格"), ({"grid": "99999999"}, "找不到这个网格"),
])
def test_a_bad_month_or_grid_is_said_on_the_page_with_the_choosers(client, plain, query, message):
    response = open_page(client, plain.staff, **query)

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert shown(html, "error").startswith(message)
    assert 'data-test="choosers"' in html and 'name="month"' in html


def test_a_district_admin_is_told_about_an_unknown_community_or_a_grid_without_one(client, db, seeded):
    admin = factories.make_user(db.session, None, "district_admin")

    missing = open_page(client, admin, community="nowhere")
    lonely = client.get(URL, query_string={"grid": seeded.grid1.id})

    assert missing.status_code == 400 and shown(missing.get_data(as_text=True), "error") == "找不到这个社区"
    assert lonely.status_code == 400
    assert shown(lonely.get_data(as_text=True), "error") == "按网格查看时，请先选择社区"


def test_decisions_draw_the_promise_chart(client, db, seeded):
    from datetime import timedelta

    from points.claims.models import Claim
    from points.extensions import unit_of_work

    kind = factories.make_activity_type(db.session, seeded.community)
    with unit_of_work(db.session):
        for minutes in (5, 9, 40):
            db.session.add(Claim(
                community_id=seeded.community.id, user_id=seeded.residents[0].id,
                filed_by_id=seeded.residents[0].id, type_id=kind.id,
                work_day=seeded.now.date(), description="打扫楼道", points_asked=Decimal(10),
                status="rejected", created_at=seeded.now - timedelta(minutes=minutes + 60),
                decided_at=seeded.now - timedelta(minutes=60)))
    found = summary_of(db, seeded)

    html = open_page(client, seeded.staff).get_data(as_text=True)

    assert found.median_decision_minutes == 9 and found.decided_30_days == 3
    assert shown(html, "median") == "9 分钟" and shown(html, "decided") == "3"
    assert "做到了 15 分钟内答复的承诺" in shown(html, "promise")
    assert chart_values(html, "approvals")["datasets"][0]["data"] == [9, 15]


def test_the_page_speaks_english_when_asked(client, plain):
    sign_in(client, plain.staff)
    client.set_cookie("lang", "en")

    html = client.get(URL).get_data(as_text=True)

    assert "<h1>Dashboard</h1>" in html
    assert "Points issued and redeemed each month" in html
    assert "Redemptions by shop" in html
