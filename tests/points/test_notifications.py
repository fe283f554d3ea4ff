"""In-app notifications: sent inside the caller's transaction, listed newest first,
read only by their recipient, within their community; the 通知 page and its badge."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from points.errors import NotFoundError
from points.extensions import unit_of_work
from points.notifications import services
from points.notifications.models import Notification
from points.tenancy import scoped_to
from points.timeutil import utcnow
from tests import factories
from tests.factories import sign_in


def send(session, user, title="报名成功", body="您已报名“周六清扫楼道”。", link=None, now=None):
    with unit_of_work(session):
        return services.notify(session, user=user, kind="signed_up", title=title, body=body,
                               link=link, now=now or utcnow())


def count_rows(session):
    return session.scalar(select(func.count()).select_from(Notification))


def test_notify_in_a_transaction_that_rolls_back_leaves_nothing(db):
    user = factories.make_resident(db.session)

    with pytest.raises(ZeroDivisionError):
        with unit_of_work(db.session):
            services.notify(db.session, user=user, kind="signed_up", title="报名成功",
                            body="您已报名。", now=utcnow())
            1 / 0  # the act that the notification reports fails

    assert count_rows(db.session) == 0
    assert services.unread_count(db.session, user) == 0


def test_notify_commits_with_the_callers_transaction_and_carries_the_community(db):
    user = factories.make_resident(db.session)

    notification = send(db.session, user, link="/home")

    stored = db.session.scalar(select(Notification))
    assert stored.id == notification.id
    assert (stored.user_id, stored.community_id, stored.link) == (user.id, user.community_id, "/home")
    assert stored.read_at is None


def test_notify_outside_a_transaction_is_refused(db):
    user = factories.make_resident(db.session)

    with pytest.raises(RuntimeError):
        services.notify(db.session, user=user, kind="signed_up", title="报名成功", body="",
                        now=utcnow())

    assert count_rows(db.session) == 0


def test_notify_refuses_a_link_outside_the_site(db):
    user = factories.make_resident(db.session)

    with pytest.raises(ValueError):
        send(db.session, user, link="https://example.com/")

    assert count_rows(db.session) == 0


def test_list_is_newest_first_and_pages_by_cursor(db):
    user = factories.make_resident(db.session)
    start = utcnow()
    sent = [send(db.session, user, title=f"通知{i}", now=start + timedelta(minutes=i)) for i in range(5)]

    first = services.list_for(db.session, user, limit=2)
    second = services.list_for(db.session, user, before=first[-1].id, limit=2)
    last = services.list_for(db.session, user, before=second[-1].id, limit=2)

    ids = [n.id for n in first + second + last]
    assert ids == [n.id for n in reversed(sent)]
    assert [n.title for n in first] == ["通知4", "通知3"]
    assert services.list_for(db.session, user, before=last[-1].id) == []


def test_unread_count_counts_only_the_users_unread(db):
    community = factories.make_community(db.session)
    user = factories.make_resident(db.session, community)
    other = factories.make_resident(db.session, community, name="李四")
    for _ in range(3):
        send(db.session, user)
    send(db.session, other)

    services.mark_read(db.session, user=user,
                       notification_id=services.list_for(db.session, user)[0].id, now=utcnow())

    assert services.unread_count(db.session, user) == 2
    assert services.unread_count(db.session, other) == 1


def test_mark_read_sets_read_at_once(db):
    user = factories.make_resident(db.session)
    notification = send(db.session, user)
    first, later = utcnow(), utcnow() + timedelta(hours=1)

    services.mark_read(db.session, user=user, notification_id=notification.id, now=first)
    again = services.mark_read(db.session, user=user, notification_id=notification.id, now=later)

    assert again.read_at == first
    assert services.unread_count(db.session, user) == 0


def test_mark_all_read_leaves_newer_than_the_page_unread(db):
    user = factories.make_resident(db.session)
    seen = [send(db.session, user) for _ in range(3)]
    send(db.session, user, title="刚到的通知")

    marked = services.mark_all_read(db.session, user=user, now=utcnow(), up_to_id=seen[-1].id)

    assert marked == 3
    assert [n.title for n in services.list_for(db.session, user) if n.read_at is None] == ["刚到的通知"]
    assert services.mark_all_read(db.session, user=user, now=utcnow()) == 1
    assert services.unread_count(db.session, user) == 0


def test_cannot_mark_another_users_notification(db):
    community = factories.make_community(db.session)
    owner = factories.make_resident(db.session, community)
    intruder = factories.make_resident(db.session, community, name="李四")
    notification = send(db.session, owner)

    with pytest.raises(NotFoundError):
        services.mark_read(db.session, user=intruder, notification_id=notification.id, now=utcnow())
    services.mark_all_read(db.session, user=intruder, now=utcnow())

    assert services.unread_count(db.session, owner) == 1


def test_another_users_notification_is_404_over_http(client, db):
    community = factories.make_community(db.session)
    owner = factories.make_resident(db.session, community)
    intruder = factories.make_resident(db.session, community, name="李四")
    notification = send(db.session, owner)
    sign_in(client, intruder)

    response = client.post(f"/notifications/{notification.id}/read")

    assert response.status_code == 404
    assert services.unread_count(db.session, owner) == 1


def test_another_communitys_notifications_are_not_seen(db):
    ours = factories.make_community(db.session, name="北新社区")
    theirs = factories.make_community(db.session, name="南河社区")
    user = factories.make_resident(db.session, ours)
    outsider = factories.make_resident(db.session, theirs, name="王五")
    # A row filed under another community (for instance by a faulty sender) stays hidden.
    stray = send(db.session, user)
    with unit_of_work(db.session):
        db.session.get(Notification, stray.id).community_id = theirs.id
    send(db.session, outsider)
    ours_id, _, _ = ours.id, user.id, outsider.id  # load before the scope hides them

    with scoped_to(db.session, ours_id):
        mine = services.list_for(db.session, user)
        theirs_seen = services.list_for(db.session, outsider)
        unread = services.unread_count(db.session, user)

    assert (mine, theirs_seen, unread) == ([], [], 0)


def test_page_shows_cards_in_chinese_with_the_unread_badge(client, db):
    user = factories.make_resident(db.session, name="赵六")
    send(db.session, user, title="积分已到账", body="“周六清扫楼道”审核通过，获得 20 积分。",
         link="/home")
    send(db.session, user, title="报名成功", body="您已报名“敬老院慰问”。")
    sign_in(client, user)

    html = client.get("/notifications").get_data(as_text=True)

    assert "通知" in html and "全部标为已读" in html
    assert "积分已到账" in html and "审核通过，获得 20 积分" in html
    assert html.index("报名成功") < html.index("积分已到账")  # newest first
    assert html.count('data-unread="1"') == 2
    assert re.search(r'data-test="unread-badge"[^>]*>2<', html)
    home = client.get("/home").get_data(as_text=True)
    assert 'data-test="nav-notifications"' in home and re.search(r'data-test="unread-badge"[^>]*>2<', home)


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, db):
    user = factories.make_resident(db.session)
    notification = send(db.session, user, link="/home")
    sign_in(client, user)

    response = client.post(f"/notifications/{notification.id}/read", data={"open": "1"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    assert services.unread_count(db.session, user) == 0
    assert 'data-test="unread-badge"' not in client.get("/home").get_data(as_text=True)


def test_read_all_button_marks_everything_read(client, db):
    user = factories.make_resident(db.session)
    for _ in range(2):
        send(db.session, user)
    sign_in(client, user)

    response = client.post("/notifications/read-all", follow_redirects=True)

    assert response.status_code == 200
    assert "已将 2 条通知标为已读" in response.get_data(as_text=True)
    assert services.unread_count(db.session, user) == 0


@pytest.mark.parametrize("role", ["merchant_clerk", "staff"])
def test_merchants_and_staff_have_the_page_too(client, db, role):
    community = factories.make_community(db.session)
    merchant = factories.make_merchant(db.session, community) if role == "merchant_clerk" else None
    user = factories.make_user(db.session, community, role, merchant=merchant)
    send(db.session, user, title="新的核销")
    sign_in(client, user)

    response = client.get("/notifications")

    assert response.status_code == 200
    assert "新的核销" in response.get_data(as_text=True)


def test_page_requires_sign_in(client):
    response = client.get("/notifications")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_page_in_english_when_chosen(client, db):
    user = factories.make_resident(db.session)
    sign_in(client, user)
    client.set_cookie("lang", "en")

    html = client.get("/notifications").get_data(as_text=True)

    assert "Notifications" in html and "No notifications yet." in html


def csrf_sign_in(client, user):
    form = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    client.post("/sign-in", data={"phone": user.phone, "password": factories.PASSWORD,
                                  "csrf_token": token})


def test_mark_read_without_csrf_token_is_refused(csrf_client):
    client, session = csrf_client
    user = factories.make_resident(session)
    notification = send(session, user)
    csrf_sign_in(client, user)

    one = client.post(f"/notifications/{notification.id}/read")
    everything = client.post("/notifications/read-all")

    assert (one.status_code, everything.status_code) == (400, 400)
    assert services.unread_count(session, user) == 1


def test_read_all_with_the_pages_csrf_token_succeeds(csrf_client):
    client, session = csrf_client
    user = factories.make_resident(session)
    send(session, user)
    csrf_sign_in(client, user)
    page = client.get("/notifications").get_data(as_text=True)
    form = re.search(r'action="/notifications/read-all">(.*?)</form>', page, re.S).group(1)
    data = dict(re.findall(r'name="(csrf_token|up_to)" value="([^"]*)"', form))

    response = client.post("/notifications/read-all", data=data)

    assert response.status_code == 302
    assert services.unread_count(session, user) == 0


def test_a_message_is_stored_in_chinese_and_shown_in_the_readers_language(client, db):
    from merchants.services import REDEMPTION_BODY, REDEMPTION_TITLE
    from points.gamification.services import BADGE_BODY, BADGE_TITLE

    user = factories.make_resident(db.session)
    send(db.session, user, title=REDEMPTION_TITLE,
         body=(REDEMPTION_BODY, {"title": "牛肉面一碗", "points": 30}))
    send(db.session, user, title=BADGE_TITLE,
         body=[(BADGE_BODY, {"badge": "初次参与", "description": "第一次志愿服务被记入积分"})])
    with unit_of_work(db.session):  # as sent before messages were kept: text only
        db.session.add(Notification(community_id=user.community_id, user_id=user.id, kind="old",
                                    title="旧通知", body="这是以前存的文字。", created_at=utcnow()))
    stored = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert stored[0].body == "“牛肉面一碗”已核销，使用 30 积分。"
    assert stored[0].message == {"title": "兑换券已核销",
                                 "body": [[REDEMPTION_BODY, {"title": "牛肉面一碗", "points": 30}]]}
    assert stored[1].body == "恭喜获得“初次参与”徽章：第一次志愿服务被记入积分。"
    sign_in(client, user)
    client.post("/language/en")  # before the first page: the test app context keeps the locale

    english = client.get("/notifications").get_data(as_text=True)

    assert "Voucher used" in english and "“牛肉面一碗” was redeemed for 30 points." in english
    # A value that is itself a msgid (a badge's name) is shown translated too; data is not.
    assert "New badge" in english and "“First Step” badge: Your first volunteer work was credited" in english
    assert "旧通知" in english and "这是以前存的文字。" in english
