"""``/staff/levels``: office staff edit the community's ladder (defaults shown until they
do), grid workers read it; ``save_ladder`` refuses a bad ladder in plain words. Reversal
from the staff claim page (``/staff/credits/<id>/reverse``), and both claim pages showing
a reversed credit. Forms carry the CSRF token, as in production."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from points.audit.models import AuditEvent
from points.claims import approvals
from points.claims import services as claims
from points.earning import services as earning
from points.earning.models import Credit
from points.errors import ForbiddenError
from points.gamification import services
from points.gamification.errors import (LadderNameError, LadderSizeError, LadderStartError,
                                        LadderThresholdError)
from points.gamification.models import Level
from points.residents.acting import acting_as_self
from points.timeutil import local, utcnow
from tests import factories
from tests.points.gamification.progress_setting import (NOW, balance, count, credit, make_setting,
                                                        snapshot, standing_awards)

URL = "/staff/levels"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def world(csrf_client):
    client, session = csrf_client
    return client, session, make_setting(session)


def text(response):
    return response.get_data(as_text=True)


def token_of(client, url):
    return TOKEN.search(text(client.get(url))).group(1)


def sign_in(client, user):
    token = token_of(client, "/sign-in")
    response = client.post("/sign-in", data={"phone": user.phone, "password": factories.PASSWORD,
                                             "csrf_token": token})
    assert response.status_code == 302


def ladder_rows(session, community):
    return [(row.threshold, row.name) for row in session.scalars(
        select(Level).where(Level.community_id == community.id).order_by(Level.threshold)
        .execution_options(populate_existing=True))]


def ladder_form(token, steps):
    data = {"csrf_token": token}
    for i in range(10):
        threshold, name = steps[i] if i < len(steps) else ("", "")
        data[f"rows-{i}-threshold"], data[f"rows-{i}-name"] = threshold, name
    return data


# --- the levels page --------------------------------------------------------------------

def test_office_staff_see_the_default_ladder_in_the_form(world):
    client, _, setting = world
    sign_in(client, setting.staff)

    page = text(client.get(URL))

    assert 'data-test="default-ladder"' in page
    assert page.count('data-test="level"') == 5 and page.count('data-test="ladder-row"') == 10
    assert 'name="rows-0-name" type="text" value="志愿新星"' in page
    assert 'name="rows-4-threshold" type="text" value="5000"' in page
    assert 'name="rows-5-name" type="text" value=""' in page
    assert "累计 1500 分起" in page


def test_office_staff_save_their_own_ladder(world):
    client, session, setting = world
    sign_in(client, setting.staff)
    credit(session, setting.resident, "60", activity_type=setting.cleaning)

    response = client.post(URL, data=ladder_form(token_of(client, URL), [
        ("0", " 一星 "), ("50", "二星"), ("", ""), ("200", "三星")]))

    assert response.status_code == 302 and response.headers["Location"] == URL
    assert ladder_rows(session, setting.community) == [
        (Decimal(0), "一星"), (Decimal(50), "二星"), (Decimal(200), "三星")]
    page = text(client.get(URL))
    assert "等级已保存" in page and 'data-test="default-ladder"' not in page
    assert services.level_of(session, setting.resident).name == "二星"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "levels.save"))
    assert (event.actor_id, event.object_type, event.object_id) == (
        setting.staff.id, "community", setting.community.id)
    assert event.before is None
    assert event.after == {"0": "一星", "50": "二星", "200": "三星"}


def test_saving_again_replaces_the_ladder_and_the_same_ladder_records_nothing(world):
    client, session, setting = world
    sign_in(client, setting.staff)
    first = [("0", "一星"), ("50", "二星")]
    client.post(URL, data=ladder_form(token_of(client, URL), first))
    client.post(URL, data=ladder_form(token_of(client, URL), [("0", "新人"), ("50", "老手"),
                                                              ("80", "高手")]))
    events = count(session, AuditEvent)

    client.post(URL, data=ladder_form(token_of(client, URL), [("0", "新人"), ("50", "老手"),
                                                              ("80", "高手")]))

    assert ladder_rows(session, setting.community) == [
        (Decimal(0), "新人"), (Decimal(50), "老手"), (Decimal(80), "高手")]
    assert count(session, AuditEvent) == events


@pytest.mark.parametrize(("steps", "message"), [
    ([("10", "一星"), ("50", "二星")], "第一个等级的门槛必须是 0 分"),
    ([("0", "一星")], "请设置 2 到 10 个等级"),
    ([("0", "一星"), ("0", "二星")], "每个等级的门槛要是不小于 0 的整数，而且不能重复"),
    ([("0", "一星"), ("50", "")], "每个等级都要有名称，最多 20 个字"),
    ([("0", "一星"), ("", "二星")], "每个等级的门槛要是不小于 0 的整数，而且不能重复"),
    ([("0", "一星"), ("5.5", "二星")], "请填写整数"),
    ([("0", "一星"), ("50", "长" * 21)], "名称最多 20 个字"),
])
def test_a_bad_ladder_is_refused_in_plain_words_and_nothing_changes(world, steps, message):
    client, session, setting = world
    sign_in(client, setting.staff)

    response = client.post(URL, data=ladder_form(token_of(client, URL), steps))

    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert f'value="{steps[-1][1]}"' in page  # what was typed is shown again
    assert ladder_rows(session, setting.community) == []
    assert count(session, AuditEvent) == 0


def test_grid_workers_read_the_ladder_but_may_not_save(world):
    client, session, setting = world
    sign_in(client, setting.worker)
    page = text(client.get(URL))
    token = TOKEN.search(page).group(1)

    refused = client.post(URL, data=ladder_form(token, [("0", "一星"), ("50", "二星")]))

    assert 'data-test="read-only"' in page and 'data-test="ladder-form"' not in page
    assert page.count('data-test="level"') == 5
    assert refused.status_code == 403
    assert ladder_rows(session, setting.community) == []


def test_residents_may_not_open_the_levels_page(world):
    client, _, setting = world
    sign_in(client, setting.resident)

    assert client.get(URL).status_code == 403


def test_saving_without_the_csrf_token_is_refused(world):
    client, session, setting = world
    sign_in(client, setting.staff)

    response = client.post(URL, data={"rows-0-threshold": "0", "rows-0-name": "一星",
                                      "rows-1-threshold": "9", "rows-1-name": "二星"})

    assert response.status_code == 400
    assert ladder_rows(session, setting.community) == []


def test_the_service_lets_only_office_staff_of_the_community_save(world):
    _, session, setting = world
    for actor in (setting.worker, setting.resident, setting.far_staff):
        with pytest.raises(ForbiddenError):
            services.save_ladder(session, actor=actor, community_id=setting.community.id,
                                 ladder=[(0, "一星"), (10, "二星")], now=NOW)
    assert ladder_rows(session, setting.community) == []


BAD_LADDERS = [
    ([], LadderSizeError), ([(i, f"第{i}级") for i in range(11)], LadderSizeError),
    ([(1, "一"), (2, "二")], LadderStartError), ([(0, "一"), (-5, "二")], LadderThresholdError),
    ([(0, "一"), ("abc", "二")], LadderThresholdError), ([(0, "一"), ("NaN", "二")], LadderThresholdError),
    ([(0, "一"), ("Infinity", "二")], LadderThresholdError),
    ([(0, "一"), ("1.5", "二")], LadderThresholdError), ([(0, "一"), (5, "   ")], LadderNameError)]


def test_the_service_refuses_each_bad_ladder_saying_what_is_wrong(world):
    _, session, setting = world

    for ladder, error in BAD_LADDERS:
        with pytest.raises(error):
            services.save_ladder(session, actor=setting.staff, community_id=setting.community.id,
                                 ladder=ladder, now=NOW)

    assert ladder_rows(session, setting.community) == []
    assert count(session, AuditEvent) == 0


# --- reversing a credit from the claim page ------------------------------------------------

@pytest.fixture
def approved(world, tmp_path):
    """An approved claim of the resident (20 points) and its credit."""
    _, session, setting = world
    mediation = factories.make_activity_type(session, setting.community, name="矛盾调解",
                                             category="mediation", unit="participation",
                                             points="20")
    now = utcnow()
    claim = claims.file_claim(session, acting=acting_as_self(setting.resident),
                              type_id=mediation.id, work_day=local(now).date(), hours=None,
                              description="调解了邻里噪音纠纷", photos=[],
                              upload_dir=tmp_path / "uploads", now=now)
    approvals.approve_claim(session, actor=setting.staff, community=setting.community,
                            claim_id=claim.id, now=now)
    return claim.id, session.get(Credit, session.get(type(claim), claim.id).credit_id).id


def detail_url(claim_id):
    return f"/staff/claims/{claim_id}"


def reverse_url(credit_id):
    return f"/staff/credits/{credit_id}/reverse"


def test_office_staff_reverse_a_credit_from_the_claim_page(world, approved):
    client, session, setting = world
    claim_id, credit_id = approved
    sign_in(client, setting.staff)
    page = text(client.get(detail_url(claim_id)))
    assert 'data-test="reverse-form"' in page and f'action="{reverse_url(credit_id)}"' in page

    response = client.post(reverse_url(credit_id), data={
        "csrf_token": TOKEN.search(page).group(1), "reason": "他那天不在社区",
        "next": detail_url(claim_id)})

    assert response.status_code == 302 and response.headers["Location"] == detail_url(claim_id)
    row = session.get(Credit, credit_id, populate_existing=True)
    assert (row.reversed, row.reversal_reason, row.reversed_by_id) == (
        True, "他那天不在社区", setting.staff.id)
    assert balance(session, setting.resident) == 0
    assert standing_awards(session, setting.resident) == []
    after = text(client.get(detail_url(claim_id)))
    assert "已撤销这笔 20 分的积分，并通知了本人" in after
    assert 'data-test="reversed"' in after and "他那天不在社区" in after
    assert local(row.reversed_at).strftime("%Y-%m-%d %H:%M") in after
    assert 'data-test="reverse-form"' not in after


def test_the_resident_sees_the_credit_was_taken_back_with_the_reason_and_date(world, approved):
    client, session, setting = world
    claim_id, credit_id = approved
    earning.reverse_credit(session, actor=setting.staff, credit_id=credit_id,
                           reason="照片不是这次的", now=utcnow())
    sign_in(client, setting.resident)

    page = text(client.get(f"/claims/{claim_id}"))

    day = local(session.get(Credit, credit_id).reversed_at).strftime("%Y-%m-%d")
    assert f"这笔 20 分的积分已于 {day} 被社区撤销。原因：照片不是这次的" in page
    assert "已撤销" in page and "（已撤销）" in page


def test_a_reversal_without_a_reason_is_refused_and_nothing_moves(world, approved):
    client, session, setting = world
    claim_id, credit_id = approved
    sign_in(client, setting.staff)
    token = token_of(client, detail_url(claim_id))
    before = snapshot(session)

    response = client.post(reverse_url(credit_id), data={"csrf_token": token, "reason": "  ",
                                                         "next": detail_url(claim_id)})

    assert response.status_code == 302 and response.headers["Location"] == detail_url(claim_id)
    assert "请填写撤销的原因" in text(client.get(detail_url(claim_id)))
    assert snapshot(session) == before
    assert balance(session, setting.resident) == Decimal(20)


def test_reversing_spent_points_is_refused_with_the_reason_shown(world, approved):
    client, session, setting = world
    claim_id, credit_id = approved
    shop = factories.make_merchant(session, setting.community)
    factories.make_redemption(session, setting.resident, shop, "15", utcnow())
    sign_in(client, setting.staff)
    token = token_of(client, detail_url(claim_id))
    before = snapshot(session)

    client.post(reverse_url(credit_id), data={"csrf_token": token, "reason": "看错了",
                                              "next": detail_url(claim_id)})

    assert "这笔积分已经被用掉了" in text(client.get(detail_url(claim_id)))
    assert snapshot(session) == before
    assert session.get(Credit, credit_id, populate_existing=True).reversed_at is None


def test_reversing_twice_from_a_stale_page_is_refused(world, approved):
    client, session, setting = world
    claim_id, credit_id = approved
    sign_in(client, setting.staff)
    token = token_of(client, detail_url(claim_id))
    form = {"csrf_token": token, "reason": "看错了", "next": detail_url(claim_id)}
    client.post(reverse_url(credit_id), data=form)
    before = snapshot(session)

    client.post(reverse_url(credit_id), data=form)

    assert "这笔积分已经撤销过了" in text(client.get(detail_url(claim_id)))
    assert snapshot(session) == before


def test_grid_workers_see_no_reversal_form_and_may_not_post_one(world, approved):
    client, session, setting = world
    claim_id, credit_id = approved
    sign_in(client, setting.worker)
    page = text(client.get(detail_url(claim_id)))
    before = snapshot(session)

    response = client.post(reverse_url(credit_id), data={
        "csrf_token": TOKEN.search(page).group(1), "reason": "看错了"})

    assert 'data-test="reverse-form"' not in page
    assert response.status_code == 403
    assert snapshot(session) == before


def test_a_reversal_without_the_csrf_token_is_refused(world, approved):
    client, session, setting = world
    _, credit_id = approved
    sign_in(client, setting.staff)
    before = snapshot(session)

    response = client.post(reverse_url(credit_id), data={"reason": "看错了"})

    assert response.status_code == 400
    assert snapshot(session) == before


def test_a_reversal_never_sends_the_browser_to_another_site(world, approved):
    client, session, setting = world
    claim_id, credit_id = approved
    sign_in(client, setting.staff)
    token = token_of(client, detail_url(claim_id))

    response = client.post(reverse_url(credit_id), data={
        "csrf_token": token, "reason": "看错了", "next": "//evil.example/x"})

    assert response.headers["Location"] == "/staff"
    assert session.get(Credit, credit_id, populate_existing=True).reversed


def test_an_unknown_credit_is_not_found(world):
    client, _, setting = world
    sign_in(client, setting.staff)
    token = token_of(client, URL)

    response = client.post(reverse_url(987654), data={"csrf_token": token, "reason": "看错了"})

    assert response.status_code == 404


def test_the_page_of_a_reversed_credit_offers_no_second_reversal(world, approved):
    client, session, setting = world
    claim_id, credit_id = approved
    earning.reverse_credit(session, actor=setting.staff, credit_id=credit_id, reason="看错了",
                           now=utcnow() - timedelta(days=1))
    sign_in(client, setting.staff)

    page = text(client.get(detail_url(claim_id)))

    assert 'data-test="reverse-form"' not in page and 'data-test="reversed"' in page
