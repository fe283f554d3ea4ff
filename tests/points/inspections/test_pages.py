"""The inspection pages over HTTP: choose a grid and month, score on one sheet, see the
scored households read-only, correct (office staff), the 清洁户 list, and the household's
points on the resident's home page."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.models import Transfer
from points.inspections import rules, services
from points.inspections.models import InspectionScore
from points.timeutil import utcnow
from tests.factories import sign_in
from tests.points.inspections.conftest import FAIL, PASS, score

URL = "/staff/inspections"


@pytest.fixture
def month():
    """Pages take the real clock: the current local month."""
    return rules.month_of(utcnow())


def text(response):
    return response.get_data(as_text=True)


def boxes(household, values):
    return {f"{item}-{household.id}": str(value) for item, value in values.items()}


def sheet_url(town, month, grid=None):
    return f"{URL}/{(grid or town.red).id}/{month}"


def scores(db):
    return db.session.scalar(select(func.count()).select_from(InspectionScore))


def test_the_start_page_offers_the_grids_in_reach_and_this_month(client, db, town, month):
    sign_in(client, town.worker)

    html = text(client.get(URL))

    assert "红星网格" in html and "东街网格" not in html
    assert f'value="{month}" max="{month}"' in html


def test_choosing_a_grid_and_month_opens_its_sheet(client, db, town, month):
    sign_in(client, town.admin)

    response = client.get(URL, query_string={"grid_id": town.east.id, "month": month})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(sheet_url(town, month, town.east))


def test_the_sheet_lists_every_household_with_three_big_boxes(client, db, town, month):
    sign_in(client, town.worker)

    html = text(client.get(sheet_url(town, month)))

    for home in town.homes:
        assert home.address in html
        for item in rules.ITEMS:
            assert f'name="{item}-{home.id}"' in html
    assert 'inputmode="numeric"' in html
    assert "每项至少 6 分、三项合计至少 24 分评为清洁户，本户记 20 分文明积分" in html


def test_saving_the_sheet_scores_the_filled_households_only(client, db, town, month):
    sign_in(client, town.worker)
    form = {**boxes(town.homes[0], PASS), **boxes(town.homes[1], FAIL)}

    response = client.post(sheet_url(town, month), data=form, follow_redirects=True)

    html = text(response)
    assert "已保存 2 户：1 户评为清洁户，1 户未达标" in html
    assert f'name="personal-{town.homes[0].id}"' not in html  # scored: read-only now
    assert f'name="personal-{town.homes[2].id}"' in html  # left empty: still to score
    assert "清洁户 +20" in html and "未达标" in html
    assert services.household_standing(db.session, town.homes[0]).points == Decimal("20")


def test_posting_the_same_month_again_changes_nothing(client, db, town, month):
    sign_in(client, town.admin)
    client.post(sheet_url(town, month), data=boxes(town.homes[0], PASS))

    client.post(sheet_url(town, month), data={**boxes(town.homes[0], FAIL),
                                              **boxes(town.homes[2], PASS)})

    db.session.expire_all()
    found = services.grid_sheet(db.session, actor=town.admin, community=town.community,
                                grid_id=town.red.id, month=month, now=utcnow())
    assert found.rows[0].score.passed is True  # the second post's boxes for it were ignored
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 2


@pytest.mark.parametrize("typed, message", [
    ({"personal": "8", "home": "", "public": "8"}, "三项分数要填全"),
    ({"personal": "11", "home": "8", "public": "8"}, "每项分数须为 0 到 10 的整数"),
    ({"personal": "八", "home": "8", "public": "8"}, "每项分数须为 0 到 10 的整数"),
])
def test_a_wrong_box_shows_the_sheet_again_with_what_was_typed(client, db, town, month, typed,
                                                              message):
    sign_in(client, town.admin)
    form = {**boxes(town.homes[0], typed), **boxes(town.homes[1], PASS)}

    response = client.post(sheet_url(town, month), data=form)

    html = text(response)
    assert response.status_code == 422
    assert message in html and 'aria-invalid="true"' in html
    assert re.search(rf'name="public-{town.homes[1].id}" value="8"', html)
    assert scores(db) == 0


def test_an_empty_sheet_asks_for_at_least_one_household(client, db, town, month):
    sign_in(client, town.admin)

    response = client.post(sheet_url(town, month), data={})

    assert response.status_code == 422 and "请至少给一户打分" in text(response)


def test_full_width_digits_from_a_chinese_keyboard_are_read(client, db, town, month):
    sign_in(client, town.admin)

    client.post(sheet_url(town, month), data=boxes(town.homes[0], {
        "personal": "８", "home": "８", "public": "１０"}))

    assert db.session.scalar(select(InspectionScore.public)) == 10


@pytest.mark.parametrize("path", ["{grid}/2099-01", "{grid}/2026-13", "{grid}/now"])
def test_a_future_or_malformed_month_is_refused(client, db, town, path):
    sign_in(client, town.admin)

    response = client.get(f"{URL}/{path.format(grid=town.red.id)}")

    assert response.status_code == 422


def test_a_grid_outside_reach_is_not_found(client, db, town, month):
    sign_in(client, town.worker)

    assert client.get(sheet_url(town, month, town.east)).status_code == 404
    assert client.post(sheet_url(town, month, town.east),
                       data=boxes(town.east_home, PASS)).status_code == 404
    assert scores(db) == 0


def test_residents_are_refused(client, db, town, month):
    sign_in(client, town.members[0])

    assert client.get(URL).status_code == 403
    assert client.post(sheet_url(town, month), data=boxes(town.homes[0], PASS)).status_code == 403
    assert scores(db) == 0


def test_office_staff_correct_a_score_with_a_reason(client, db, town, month):
    [first] = score(db, town, [(town.homes[0], FAIL)], month=month, now=utcnow()).results
    sign_in(client, town.admin)
    page = text(client.get(f"{URL}/scores/{first.id}/correct"))
    assert re.search(r'name="revision" type="hidden" value="1"', page)
    assert re.search(rf'name="personal"[^>]*value="{FAIL["personal"]}"', page)

    response = client.post(f"{URL}/scores/{first.id}/correct", follow_redirects=True, data={
        "personal": "8", "home": "8", "public": "8", "reason": "复查时看错了", "revision": "1"})

    assert "已更正 1栋101 的评比" in text(response)
    assert "已更正（原因：复查时看错了）" in text(response)
    assert services.household_standing(db.session, town.homes[0]).points == Decimal("20")


def test_a_correction_without_a_reason_is_refused_on_the_form(client, db, town, month):
    [first] = score(db, town, [(town.homes[0], FAIL)], month=month, now=utcnow()).results
    sign_in(client, town.admin)

    response = client.post(f"{URL}/scores/{first.id}/correct", data={
        "personal": "8", "home": "8", "public": "8", "reason": " ", "revision": "1"})

    assert "请写明更正原因" in text(response)
    db.session.expire_all()
    assert db.session.get(InspectionScore, first.id).revision == 1


def test_an_unchanged_correction_is_refused_in_words(client, db, town, month):
    [first] = score(db, town, [(town.homes[0], FAIL)], month=month, now=utcnow()).results
    sign_in(client, town.admin)

    response = client.post(f"{URL}/scores/{first.id}/correct", data={
        **{item: str(value) for item, value in FAIL.items()}, "reason": "复查", "revision": "1"})

    assert "分数和原来一样" in text(response)


def test_grid_workers_do_not_correct(client, db, town, month):
    [first] = score(db, town, [(town.homes[0], FAIL)], month=month, now=utcnow()).results
    sign_in(client, town.worker)

    assert 'data-test="correct"' not in text(client.get(sheet_url(town, month)))
    assert client.get(f"{URL}/scores/{first.id}/correct").status_code == 403
    response = client.post(f"{URL}/scores/{first.id}/correct", data={
        "personal": "8", "home": "8", "public": "8", "reason": "改一下"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(InspectionScore, first.id).revision == 1


def test_the_clean_list_shows_the_months_clean_households_by_grid(client, db, town, month):
    score(db, town, [(town.homes[0], PASS), (town.homes[1], FAIL)], month=month, now=utcnow())
    score(db, town, [(town.east_home, PASS)], grid=town.east, month=month, now=utcnow())
    sign_in(client, town.admin)

    html = text(client.get(f"{URL}/clean"))

    assert "红星网格" in html and "东街网格" in html
    assert "1栋101" in html and "9栋901" in html and "1栋102" not in html
    sign_in(client, town.worker)
    assert "9栋901" not in text(client.get(f"{URL}/clean", query_string={"month": month}))


def test_the_resident_home_shows_the_household_points_and_clean_month(client, db, town, month):
    score(db, town, [(town.homes[0], PASS)], month=month, now=utcnow())
    sign_in(client, town.members[1])

    html = text(client.get("/home"))

    assert "本户文明积分" in html
    assert re.search(r'data-test="household-points">20<', html)
    assert f"{month} 清洁户" in html


def test_the_staff_home_links_to_the_inspections(client, db, town):
    sign_in(client, town.worker)

    assert 'data-test="inspections-link"' in text(client.get("/staff"))


def test_a_neighbour_sees_their_own_households_points(client, db, town, month):
    score(db, town, [(town.homes[0], PASS)], month=month, now=utcnow())
    sign_in(client, town.neighbour)

    html = text(client.get("/home"))

    assert re.search(r'data-test="household-points">0<', html)
    assert "清洁户" not in html.split('data-test="household"')[1].split("</section>")[0]
