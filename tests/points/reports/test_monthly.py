"""月度汇总 (``GET /staff/monthly``) over HTTP: the printable sheet shows the summary's
figures, the month's top volunteers by full name and its 清洁户; who may read which."""
import re

import pytest

from points import months
from points.reports import figures
from points.reports.district import district_summary
from points.reports.dashboard import duration, number, percent, top_volunteers, yuan
from tests import factories
from tests.factories import sign_in
from tests.points.reports.conftest import seed
from tests.points.reports.test_dashboard import add_store_and_inspection, plain_world, shown

URL = "/staff/monthly"


@pytest.fixture
def seeded(db):
    found = seed(db.session)
    add_store_and_inspection(db.session, found)
    return found


@pytest.fixture
def plain(db):
    return plain_world(db.session)


def open_page(client, user, **query):
    sign_in(client, user)
    return client.get(URL, query_string=query)


def test_the_sheet_shows_the_summary_the_volunteers_and_the_clean_households(client, db, seeded):
    found = figures.summary(db.session, community_id=seeded.community.id, since=seeded.since,
                            until=seeded.until, now=seeded.now)

    response = open_page(client, seeded.staff)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for test, value in (("issued", number(found.issued)), ("redeemed", number(found.redeemed)),
                        ("expired", number(found.expired)), ("outstanding", number(found.outstanding)),
                        ("fund-balance", f"¥{yuan(found.fund_balance)}"),
                        ("approvals-waiting", f"{number(found.approvals_waiting)} 条"),
                        ("median", duration(found.median_decision_minutes))):
        assert shown(html, test) == value, test
    assert shown(html, "outstanding-cny") == f"折合 ¥{yuan(found.outstanding_cny)}"
    assert shown(html, "participation").startswith(percent(found.participation))
    assert shown(html, "household-participation").startswith(percent(found.household_participation))
    assert shown(html, "coverage").startswith("基金可兑付")
    # r1 earned 30 and r4 10 for work this month (r2's 20 was reversed): full names, ranked.
    names = re.findall(r'data-test="volunteer-name">(.*?)</th>', html)
    assert names == ["赵一", "李四"]
    assert re.findall(r'data-test="volunteer-points">(.*?)</td>', html) == ["30", "10"]
    assert re.findall(r'data-test="clean-household">(.*?)</span>', html) == [seeded.households[0].address]
    assert html.count("<rect") == 24  # two bars a month
    assert 'data-print' in html and "onclick" not in html
    assert "北新社区" in shown(html, "scope") and months.month_of(seeded.now) in shown(html, "scope")


def test_top_volunteers_leave_out_people_off_the_boards_and_keep_full_names(db, seeded):
    from points.gamification import boards

    boards.set_leaderboard_choice(db.session, user=seeded.residents[0], choice=boards.HIDDEN, now=seeded.now)
    boards.set_leaderboard_choice(db.session, user=seeded.residents[3], choice=boards.MASKED, now=seeded.now)

    found = top_volunteers(db.session, community_id=seeded.community.id, month=months.month_of(seeded.now))

    assert [(row.rank, row.name, row.points) for row in found] == [(1, "李四", 10)]


def test_a_grid_sheet_lists_only_its_volunteers_and_clean_households(client, db, seeded):
    grid2 = open_page(client, seeded.staff, grid=seeded.grid2.id).get_data(as_text=True)
    grid1 = client.get(URL, query_string={"grid": seeded.grid1.id}).get_data(as_text=True)

    assert 'data-test="volunteer"' not in grid2 and 'data-test="no-volunteers"' in grid2
    assert 'data-test="no-clean"' in grid2
    assert shown(grid2, "issued") == "115"
    assert re.findall(r'data-test="volunteer-name">(.*?)</th>', grid1) == ["赵一", "李四"]
    assert re.findall(r'data-test="clean-household">(.*?)</span>', grid1) == [seeded.households[0].address]


def test_grid_workers_read_their_own_grid_only(client, db, seeded):
    worker = factories.make_user(db.session, seeded.community, "grid_worker", grids=[seeded.grid2])

    html = open_page(client, worker).get_data(as_text=True)

    assert shown(html, "issued") == "115"
    assert client.get(URL, query_string={"grid": seeded.grid1.id}).status_code == 403


def test_district_admins_read_the_sum_without_lists_or_one_community_with_them(client, db, seeded):
    admin = factories.make_user(db.session, None, "district_admin")

    whole = open_page(client, admin).get_data(as_text=True)
    one = client.get(URL, query_string={"community": seeded.community.code}).get_data(as_text=True)

    district = district_summary(db.session, since=seeded.since, until=seeded.until, now=seeded.now)
    assert shown(whole, "issued") == number(district.issued)
    assert "请选择一个社区，查看志愿者名单。" in whole and 'data-test="volunteer"' not in whole
    assert re.findall(r'data-test="volunteer-name">(.*?)</th>', one) == ["赵一", "李四"]


@pytest.mark.parametrize("role", ["resident", "merchant_owner"])
def test_residents_and_shops_are_refused(client, db, plain, role):
    user = (plain.resident if role == "resident" else
            factories.make_user(db.session, plain.community, role, merchant=plain.merchant))

    assert open_page(client, user).status_code == 403


def test_without_signing_in_one_is_sent_to_sign_in(client, plain):
    response = client.get(URL)

    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_bad_month_is_said_on_the_sheet(client, plain):
    response = open_page(client, plain.staff, month="2026-00")

    assert response.status_code == 400
    assert shown(response.get_data(as_text=True), "error").startswith("请选择一个月份")


def test_an_earlier_month_has_its_own_lists(client, seeded):
    html = open_page(client, seeded.staff, month="2020-01").get_data(as_text=True)

    assert shown(html, "issued") == "0"
    assert 'data-test="no-volunteers"' in html and 'data-test="no-clean"' in html


def test_the_sheet_speaks_english_when_asked(client, plain):
    sign_in(client, plain.staff)
    client.set_cookie("lang", "en")

    html = client.get(URL).get_data(as_text=True)

    assert "Points Mall monthly summary" in html and "Top 10 volunteers this month" in html
