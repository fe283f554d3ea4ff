"""The resident pages of activities over HTTP: browse, one activity with places left and
one's own status, sign up, withdraw, the waitlist, proxies (亲情代理) and CSRF."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from points.activities.models import SignUp
from points.notifications.models import Notification
from points.residents import services as residents
from points.timeutil import utcnow
from tests import factories
from tests.factories import sign_in


@pytest.fixture
def community(db):
    return factories.make_community(db.session)


@pytest.fixture
def activity(db, community):
    return factories.make_activity(db.session, community, capacity=1,
                                   starts_at=utcnow() + timedelta(days=1))


@pytest.fixture
def resident(db, community):
    return factories.make_resident(db.session, community, name="王秀英")


def text(response):
    return response.get_data(as_text=True)


def signups(db, activity):
    db.session.expire_all()
    return {s.user_id: s for s in db.session.scalars(
        select(SignUp).where(SignUp.activity_id == activity.id))}


def test_the_resident_nav_links_to_activities(client, db, resident):
    sign_in(client, resident)

    page = text(client.get("/home"))

    assert re.search(r'<a href="/activities"[^>]*>活动</a>', page)


def test_browse_lists_published_activities_that_have_not_ended(client, db, community, activity,
                                                                resident):
    factories.make_activity(db.session, community, title="草稿活动", status="draft",
                            starts_at=utcnow() + timedelta(days=1))
    factories.make_activity(db.session, community, title="上周活动",
                            starts_at=utcnow() - timedelta(days=7))
    factories.make_activity(db.session, community, title="取消的活动", status="cancelled",
                            starts_at=utcnow() + timedelta(days=1))
    other = factories.make_community(db.session, name="城口社区")
    factories.make_activity(db.session, other, title="别的社区", starts_at=utcnow() + timedelta(days=1))
    sign_in(client, resident)

    page = text(client.get("/activities"))

    assert "清洁家园" in page and "还剩 1 个" in page
    for hidden in ("草稿活动", "上周活动", "取消的活动", "别的社区"):
        assert hidden not in page


def test_signing_up_from_the_page_and_seeing_the_status(client, db, activity, resident):
    sign_in(client, resident)
    assert "我要报名" in text(client.get(f"/activities/{activity.id}"))

    response = client.post(f"/activities/{activity.id}/signup", data={"acting_for": resident.id},
                           follow_redirects=True)

    page = text(response)
    assert "报名成功" in page and "您已报名，请按时到场签到。" in page and "取消报名" in page
    assert signups(db, activity)[resident.id].status == "signed_up"


def test_a_full_activity_offers_the_waitlist_and_tells_the_place(client, db, community, activity,
                                                                 resident):
    factories.make_signup(db.session, activity, factories.make_resident(db.session, community))
    sign_in(client, resident)
    assert "名额已满，排候补" in text(client.get(f"/activities/{activity.id}"))

    page = text(client.post(f"/activities/{activity.id}/signup", follow_redirects=True))

    assert "已为您排上候补第 1 位" in page and "您排在候补第 1 位" in page
    assert signups(db, activity)[resident.id].status == "waitlisted"


def test_withdrawing_moves_the_waitlist_up_and_the_next_person_is_told(client, db, community,
                                                                       activity, resident):
    waiting = factories.make_resident(db.session, community, name="李大爷")
    sign_in(client, resident)
    client.post(f"/activities/{activity.id}/signup")
    factories.make_signup(db.session, activity, waiting, status="waitlisted")

    page = text(client.post(f"/activities/{activity.id}/withdraw", follow_redirects=True))

    assert "已取消报名" in page and "我要报名" not in page  # the freed place went to 李大爷
    rows = signups(db, activity)
    assert rows[resident.id].status == "cancelled" and rows[waiting.id].status == "signed_up"
    told = db.session.scalars(select(Notification).where(Notification.user_id == waiting.id)).all()
    assert [n.title for n in told] == ["候补转正"]


def test_signing_up_after_the_start_is_refused_with_a_message(client, db, community, resident):
    started = factories.make_activity(db.session, community)  # started ten minutes ago
    sign_in(client, resident)
    assert "活动已经开始，报名已截止。" in text(client.get(f"/activities/{started.id}"))

    response = client.post(f"/activities/{started.id}/signup",
                           headers={"Referer": f"/activities/{started.id}"},
                           follow_redirects=True)

    assert "活动已经开始，报名已截止" in text(response)
    assert signups(db, started) == {}


def test_signing_up_twice_is_refused_with_a_message(client, db, activity, resident):
    sign_in(client, resident)
    client.post(f"/activities/{activity.id}/signup")

    response = client.post(f"/activities/{activity.id}/signup",
                           headers={"Referer": f"/activities/{activity.id}"},
                           follow_redirects=True)

    assert "您已经报名了这个活动" in text(response)
    assert len(signups(db, activity)) == 1


def test_a_draft_or_another_communitys_activity_is_not_found(client, db, community, resident):
    draft = factories.make_activity(db.session, community, status="draft",
                                    starts_at=utcnow() + timedelta(days=1))
    foreign = factories.make_activity(db.session, factories.make_community(db.session),
                                      starts_at=utcnow() + timedelta(days=1))
    sign_in(client, resident)

    for activity in (draft, foreign):
        assert client.get(f"/activities/{activity.id}").status_code == 404
        assert client.post(f"/activities/{activity.id}/signup").status_code == 404
        assert signups(db, activity) == {}
    assert client.get(f"/activities/{10**20}").status_code == 404  # not a driver overflow


def test_staff_are_not_offered_the_volunteer_pages(client, db, community, activity):
    staff = factories.make_user(db.session, community, "staff")
    sign_in(client, staff)

    assert client.get("/activities").status_code == 403
    assert client.post(f"/activities/{activity.id}/signup").status_code == 403


def test_a_merchant_clerk_signs_up(client, db, community, activity):
    clerk = factories.make_user(db.session, community, "merchant_clerk",
                                merchant=factories.make_merchant(db.session, community))
    sign_in(client, clerk)

    client.post(f"/activities/{activity.id}/signup")

    assert signups(db, activity)[clerk.id].status == "signed_up"


def test_a_proxy_signs_up_the_resident_they_act_for(client, db, community, activity):
    mother = factories.make_resident(db.session, community, name="王奶奶")
    son = factories.make_resident(db.session, community, name="王小明")
    staff = factories.make_user(db.session, community, "staff")
    residents.grant_proxy(db.session, actor=staff, community=community, resident_id=mother.id,
                          proxy_phone=son.phone, relation="子女", now=utcnow())
    sign_in(client, son)
    client.post(f"/me/acting/{mother.id}")

    page = text(client.get(f"/activities/{activity.id}"))
    assert "正在代 王奶奶 操作" in page and f'name="acting_for" value="{mother.id}"' in page
    after = text(client.post(f"/activities/{activity.id}/signup", data={"acting_for": mother.id},
                             follow_redirects=True))

    assert "王奶奶 已报名" in after
    rows = signups(db, activity)
    assert set(rows) == {mother.id} and rows[mother.id].proxy_id == son.id


def test_acting_for_someone_without_a_grant_is_forbidden(client, db, community, activity, resident):
    stranger = factories.make_resident(db.session, community, name="陌生人")
    sign_in(client, stranger)

    response = client.post(f"/activities/{activity.id}/signup", data={"acting_for": resident.id})

    assert response.status_code == 403 and signups(db, activity) == {}


def test_a_sign_up_without_the_csrf_token_is_refused(csrf_client, community, activity):
    client, session = csrf_client
    resident = factories.make_resident(session, community)
    page = text(client.get("/sign-in"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/sign-in", data={"phone": resident.phone, "password": factories.PASSWORD,
                                  "csrf_token": token})

    refused = client.post(f"/activities/{activity.id}/signup")
    detail = text(client.get(f"/activities/{activity.id}"))
    form_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', detail).group(1)
    accepted = client.post(f"/activities/{activity.id}/signup",
                           data={"csrf_token": form_token, "acting_for": resident.id})

    assert refused.status_code == 400 and accepted.status_code == 302
    session.rollback()  # a fresh read: the requests wrote through their own sessions
    assert session.scalars(select(SignUp.user_id)).all() == [resident.id]
