"""The resident's own pages over HTTP: the home page's figures (equal to the ledger and to
``progress_of``), 我的徽章, 积分明细 with its filters and pages, a proxy acting for a
resident, and staff printing a grid's member cards (issued in one batch, once)."""
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from html.parser import HTMLParser
from itertools import count

import pytest
from sqlalchemy import func, select

import ledger
from points import months, wallets
from points.activities import checkin
from points.activities.models import MemberCard
from points.audit.models import AuditEvent
from points.auth.models import User
from points.codes import display
from points.errors import NotFoundError
from points.extensions import unit_of_work
from points.gamification.services import progress_of
from points.notifications.services import notify, unread_count
from points.residents import services as resident_services
from points.timeutil import local, utcnow
from points.web import home
from tests import factories
from tests.factories import sign_in
from tests.races import race, sql_sent

_keys = count(1)
VOID = {"img", "input", "br", "meta", "link", "hr", "source"}


class _Grab(HTMLParser):
    """Text and attributes of every element with ``data-test=<name>``."""

    def __init__(self, name):
        super().__init__()
        self.name, self.found, self.open = name, [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("data-test") == self.name:
            self.found.append({"attrs": attrs, "text": []})
            if tag not in VOID:
                self.open.append([len(self.found) - 1, 0])
        elif tag not in VOID:
            for entry in self.open:
                entry[1] += 1

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        for entry in list(self.open):
            if entry[1] == 0:
                self.open.remove(entry)
            else:
                entry[1] -= 1

    def handle_data(self, data):
        for index, _depth in self.open:
            self.found[index]["text"].append(data)


def grab(html, name):
    parser = _Grab(name)
    parser.feed(html)
    return [{"attrs": item["attrs"], "text": " ".join("".join(item["text"]).split())}
            for item in parser.found]


def texts(html, name):
    return [item["text"] for item in grab(html, name)]


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def month_days(back):
    """A day in the local month ``back`` months before this one."""
    day = months.this_month(utcnow())
    for _ in range(back):
        day = months.preceding(day)
    return day + timedelta(days=1)


def grant_at(session, user, points, moment, reason="社区发放"):
    with unit_of_work(session):
        wallets.credit_points(session, account=wallets.wallet_id(session, user),
                              community_id=user.community_id, amount=Decimal(points),
                              key=f"test-grant-at-{next(_keys)}", kind="grant", reason=reason,
                              now=moment)


def send(session, user, title):
    with unit_of_work(session):
        return notify(session, user=user, kind="test", title=title, body="", now=utcnow())


@pytest.fixture
def town(db):
    """北新社区: 王秀英 with 100 points granted, credits in each of the last three months
    (two badges: 初次参与 and 持之以恒), a held voucher of 30 at 张记面馆; office staff."""
    session = db.session
    community = factories.make_community(session, name="北新社区")
    grid = factories.make_grid(session, community, name="红星网格")
    household = factories.make_household(session, community, grid, address="3栋2单元401")
    resident = factories.make_resident(session, community, household=household, name="王秀英",
                                       points="100")
    for back in (2, 1, 0):
        factories.make_credit(session, resident, "20", month_days(back))
    shop = factories.make_merchant(session, community, name="张记面馆")
    factories.make_held_voucher(session, resident, shop, title="牛肉面一碗", points="30")
    staff = factories.make_user(session, community, "staff", name="陈主任")
    return community, grid, resident, shop, staff


# --- the home page ---------------------------------------------------------------------

def test_home_figures_equal_the_ledger_and_the_progress(client, db, town):
    _, _, resident, _, _ = town
    sign_in(client, resident)

    html = page(client, "/home")

    balance = ledger.balance_of(db.session, wallets.find_wallet(db.session, resident))
    progress = progress_of(db.session, resident, utcnow())
    assert (balance.balance, balance.held) == (Decimal("130"), Decimal("30"))
    assert texts(html, "balance") == ["130"] and "30" in texts(html, "held")[0]
    assert texts(html, "level-name") == [progress.level.name] == ["志愿新星"]
    assert grab(html, "level-progress")[0]["attrs"]["value"] == str(progress.level.percent) == "60"
    assert texts(html, "level-next") == ["再得 40 分升为“志愿能手”"]
    assert (progress.current_streak, progress.best_streak) == (3, 3)
    assert texts(html, "streak") == ["连续参加 3 个月 · 最长 3 个月"]
    newest = [outcome.badge.name for outcome in progress.newest[:3]]
    assert sorted(newest) == ["初次参与", "持之以恒"]
    assert re.findall(r'class="badge-name">([^<]+)<', html) == newest
    link = grab(html, "badges-link")[0]
    assert link["attrs"]["href"] == "/me/badges" and link["text"] == "我的徽章（2/13）"


def test_home_tells_the_latest_five_lines_and_links_to_the_statement(client, db, town):
    _, _, resident, _, _ = town
    for points in ("1", "2", "3"):
        factories.give_points(db.session, resident, points)
    sign_in(client, resident)

    html = page(client, "/home")

    lines = texts(html, "home-line")
    assert len(lines) == 5
    assert lines[0].startswith("社区发放：测试发放 +3") and lines[3].startswith("兑换券“牛肉面一碗”冻结 −30")
    assert lines[4].startswith("志愿服务“")
    assert grab(html, "statement-link")[0]["attrs"]["href"] == "/me/statement"


def test_home_shows_the_next_three_activities_signed_up_for_and_nothing_else(client, db, town):
    community, _, resident, _, _ = town
    soon = utcnow() + timedelta(days=1)
    titles = ["后天的活动", "明天的活动", "大后天的活动", "下周的活动"]
    for title, days in zip(titles, (2, 1, 3, 7)):
        activity = factories.make_activity(db.session, community, title=title,
                                           starts_at=utcnow() + timedelta(days=days))
        factories.make_signup(db.session, activity, resident,
                              status="waitlisted" if days == 2 else "signed_up")
    for title, fields in (("已取消的活动", {"status": "cancelled", "starts_at": soon}),
                          ("草稿活动", {"status": "draft", "starts_at": soon}),
                          ("上周的活动", {"starts_at": utcnow() - timedelta(days=7)})):
        factories.make_signup(db.session, factories.make_activity(db.session, community, title=title,
                                                                   **fields), resident)
    withdrawn = factories.make_activity(db.session, community, title="退出的活动", starts_at=soon)
    factories.make_signup(db.session, withdrawn, resident, status="cancelled")
    sign_in(client, resident)

    shown = texts(page(client, "/home"), "my-activity")

    assert [text.split(" ")[0] for text in shown] == ["明天的活动", "后天的活动", "大后天的活动"]
    assert "候补" in shown[1] and "候补" not in shown[0]
    assert local(utcnow() + timedelta(days=1)).strftime("%Y-%m-%d") in shown[0]


def test_home_shows_no_activities_in_words(client, db):
    resident = factories.make_resident(db.session, name="赵六")
    sign_in(client, resident)

    html = page(client, "/home")

    assert texts(html, "no-activities") == ["还没有报名的活动。"]
    assert texts(html, "balance") == ["0"] and not grab(html, "home-notifications")


def test_home_counts_unread_notifications_and_shows_the_latest_three_titles(client, db, town):
    _, _, resident, _, _ = town
    for title in ("通知一", "通知二", "通知三", "通知四"):
        send(db.session, resident, title)
    read = send(db.session, resident, "已读的通知")
    with unit_of_work(db.session):
        read.read_at = utcnow()
    sign_in(client, resident)

    html = page(client, "/home")

    assert texts(html, "home-unread") == [str(unread_count(db.session, resident))] == ["6"]  # 2 badges
    assert texts(html, "home-unread-title") == ["通知四", "通知三", "通知二"]
    assert grab(html, "notifications-link")[0]["attrs"]["href"] == "/notifications"


@pytest.mark.parametrize("expire", [True, False])
def test_points_expiring_within_thirty_days_are_shown_only_where_points_expire(
        client, db, monkeypatch, expire):
    community = factories.make_community(db.session)
    resident = factories.make_resident(db.session, community, name="钱七")
    grant_at(db.session, resident, "15", datetime(2024, 5, 1, 2, tzinfo=timezone.utc))
    grant_at(db.session, resident, "40", datetime(2025, 3, 1, 2, tzinfo=timezone.utc))
    with unit_of_work(db.session):
        community.points_expire = expire
    # 10 December 2025 in Shanghai: the 2024 points end on 31 December, the 2025 ones a year later.
    monkeypatch.setattr(home, "utcnow", lambda: datetime(2025, 12, 10, 2, tzinfo=timezone.utc))
    sign_in(client, resident)

    html = page(client, "/home")

    assert texts(html, "expiring") == (["15 分将于 2025-12-31 过期"] if expire else [])
    assert texts(html, "balance") == ["55"]


def test_nothing_expiring_soon_shows_no_warning(app, db):
    community = factories.make_community(db.session)
    resident = factories.make_resident(db.session, community)
    grant_at(db.session, resident, "15", datetime(2024, 5, 1, 2, tzinfo=timezone.utc))
    with unit_of_work(db.session):
        community.points_expire = True

    with app.test_request_context("/home"):
        summary = home.resident_summary(db.session, resident,
                                        now=datetime(2025, 11, 20, 2, tzinfo=timezone.utc))

    assert summary["expiring"] == []  # 41 days before the deadline


# --- a family proxy --------------------------------------------------------------------

@pytest.fixture
def proxy(db, town):
    community, _, mother, _, staff = town
    son = factories.make_resident(db.session, community, name="王小明", points="7")
    send(db.session, son, "儿子的通知")
    resident_services.grant_proxy(db.session, actor=staff, community=community, resident_id=mother.id,
                                  proxy_phone=son.phone, relation="子女", now=utcnow())
    return mother, son


def test_a_proxy_sees_the_residents_home_badges_and_statement(client, db, proxy):
    mother, son = proxy
    sign_in(client, son)
    client.post(f"/me/acting/{mother.id}")

    home_page, badges, statement = (page(client, url) for url in ("/home", "/me/badges", "/me/statement"))

    assert texts(home_page, "balance") == ["130"] and grab(home_page, "acting-banner")
    assert not grab(home_page, "home-notifications")  # his inbox is not hers: the nav has it
    assert {item["attrs"]["data-code"] for item in grab(badges, "earned-badge")} == {
        "first_activity", "streak_3"}
    assert "王秀英 的徽章" in badges and grab(badges, "acting-banner")
    assert len(texts(statement, "line")) == 5 and "王秀英 的积分明细" in statement

    client.post("/me/acting/stop")
    assert texts(page(client, "/me/statement"), "line-amount") == ["+7"]
    assert grab(page(client, "/me/badges"), "none-earned")


# --- 我的徽章 ----------------------------------------------------------------------------

def test_badges_show_when_and_what_earned_them_and_how_far_the_locked_ones_are(client, db, town):
    _, _, resident, _, _ = town
    sign_in(client, resident)

    html = page(client, "/me/badges")

    earned = {item["attrs"]["data-code"]: item["text"] for item in grab(html, "earned-badge")}
    today = local(utcnow()).strftime("%Y-%m-%d")
    first_day = month_days(2).isoformat()
    assert set(earned) == {"first_activity", "streak_3"}
    assert f"{today} 获得 因 {first_day} 的“环境卫生" in earned["first_activity"]
    assert f"{today} 获得 {months.month_of(month_days(0))} 达成" in earned["streak_3"]
    assert '<span class="nowrap">' + first_day + "</span>" in html
    assert texts(html, "earned-title") == ["已获得 2 枚"]
    locked = {item["attrs"]["data-code"]: item["text"] for item in grab(html, "locked-badge")}
    assert len(locked) == 11 and "3 / 10" in locked["activities_10"]
    assert "0 / 100" in locked["hours_100"] and "3 / 10" in locked["specialist_environment"]
    assert '<progress class="meter" max="10" value="3"' in html


@pytest.mark.parametrize("url", ["/me/badges", "/me/statement"])
def test_office_staff_and_strangers_cannot_open_a_residents_pages(client, db, town, url):
    staff = town[4]
    assert client.get(url).headers["Location"].startswith("/sign-in")
    sign_in(client, staff)
    assert client.get(url).status_code == 403


# --- 积分明细 ----------------------------------------------------------------------------

def test_the_statement_tells_every_line_with_amount_time_and_balance_after(client, db, town):
    _, _, resident, _, _ = town
    sign_in(client, resident)

    html = page(client, "/me/statement")

    lines = grab(html, "line")
    words = texts(html, "line-words")
    assert [item["attrs"]["data-kind"] for item in lines] == ["hold", "earn", "earn", "earn", "grant"]
    assert words[0] == "兑换券“牛肉面一碗”冻结" and words[-1] == "社区发放：测试发放"
    assert words[1].startswith("志愿服务“环境卫生")
    assert texts(html, "line-amount") == ["−30", "+20", "+20", "+20", "+100"]
    assert texts(html, "line-balance") == ["余额 130", "余额 160", "余额 140", "余额 120", "余额 100"]
    assert local(utcnow()).strftime("%Y-%m-%d") in lines[0]["text"]
    assert not grab(html, "more") and not grab(html, "personal-note")


def test_the_statement_filters_by_month_and_kind(client, db, town):
    _, _, resident, _, _ = town
    grant_at(db.session, resident, "9", datetime(2025, 10, 31, 15, 30, tzinfo=timezone.utc))  # Oct, local
    grant_at(db.session, resident, "8", datetime(2025, 11, 1, 1, tzinfo=timezone.utc))
    sign_in(client, resident)

    october = page(client, "/me/statement?month=2025-10")
    used = page(client, "/me/statement?kind=use")
    gained_in_november = page(client, "/me/statement?kind=gain&month=2025-11")
    empty = page(client, "/me/statement?kind=expire")

    assert texts(october, "line-amount") == ["+9"]
    assert 'value="2025-10" selected' in october  # an older month joins the list
    assert texts(used, "line-amount") == ["−30"] and 'value="use" selected' in used
    assert texts(gained_in_november, "line-amount") == ["+8"]
    assert texts(empty, "none") == ["这段时间没有这类明细。"]


def test_the_statement_pages_twenty_lines_at_a_time_and_keeps_the_filters(client, db, town):
    _, _, resident, _, _ = town
    for points in range(1, 21):
        factories.give_points(db.session, resident, str(points))
    sign_in(client, resident)

    first = page(client, "/me/statement?kind=gain")
    more = grab(first, "more")[0]["attrs"]["href"]
    second = page(client, more)

    assert len(texts(first, "line")) == 20 and texts(first, "line-amount")[0] == "+20"
    assert "kind=gain" in more and "before=" in more
    assert texts(second, "line-amount") == ["+20", "+20", "+20", "+100"]  # 3 credits, the grant
    assert not grab(second, "more") and grab(second, "newest")
    assert texts(page(client, more.replace("kind=gain", "kind=reverse")), "none") == ["没有更早的明细了。"]


@pytest.mark.parametrize("query, message", [
    ("month=2025-13", "月份应写成“年-月”"),
    ("month=abc", "月份应写成“年-月”"),
    ("month=２０２５-１０", "月份应写成“年-月”"),
    ("month=1999-12", "月份应写成“年-月”"),
    ("kind=nope", "没有这种明细类型"),
    ("kind=earn", "没有这种明细类型"),
    ("before=abc", "翻页位置不正确"),
    ("before=0", "翻页位置不正确"),
    ("before=-5", "翻页位置不正确"),
    ("before=99999999999999999999", "翻页位置不正确"),
])
def test_bad_filter_values_are_refused_in_words_not_with_an_error_page(client, db, town, query, message):
    sign_in(client, town[2])

    response = client.get(f"/me/statement?{query}")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in texts(html, "filter-error")[0]
    assert not grab(html, "line") and grab(html, "filters")


def test_shop_staff_see_their_own_volunteer_points_not_the_shops(client, db, town):
    community, _, resident, shop, _ = town
    clerk = factories.make_user(db.session, community, "merchant_clerk", name="李小红", merchant=shop)
    factories.make_redemption(db.session, resident, shop, 25, utcnow(), clerk=clerk)
    factories.make_credit(db.session, clerk, "12", month_days(0))
    sign_in(client, clerk)

    html = page(client, "/me/statement")
    home_page = page(client, "/home")

    assert texts(html, "line-amount") == ["+12"] and grab(html, "personal-note")
    assert texts(home_page, "balance") == ["12"]


def test_nobody_elses_lines_appear(client, db, town):
    community, _, resident, _, _ = town
    neighbour = factories.make_resident(db.session, community, name="李大爷", points="44")
    elsewhere = factories.make_resident(db.session, factories.make_community(db.session, name="城口社区"),
                                        points="55")
    sign_in(client, resident)

    statement = texts(page(client, "/me/statement"), "line-amount")
    home_lines = [line.split(" ")[1] for line in texts(page(client, "/home"), "home-line")]

    assert statement == ["−30", "+20", "+20", "+20", "+100"] == home_lines
    assert neighbour.community_id != elsewhere.community_id


# --- a grid's member cards -------------------------------------------------------------

@pytest.fixture
def grids(db, town):
    """红星网格 (王秀英 and two neighbours, one of them moved away) and 光明网格 (one
    resident with a card already); a grid worker of 红星网格; 城口社区's grid."""
    community, red, resident, shop, staff = town
    session = db.session
    neighbours = [factories.make_resident(session, community, name=name,
                                          household=factories.make_household(session, community, red,
                                                                             address=address))
                  for name, address in (("李大爷", "3栋2单元402"), ("赵桂兰", "5栋1单元101"))]
    gone = factories.make_resident(session, community, name="搬走的人",
                                   household=factories.make_household(session, community, red))
    with unit_of_work(session):
        gone.active = False
    bright = factories.make_grid(session, community, name="光明网格")
    carded = factories.make_resident(session, community, name="周阿姨",
                                     household=factories.make_household(session, community, bright))
    card = checkin.card_of(session, carded, now=utcnow())
    worker = factories.make_user(session, community, "grid_worker", name="刘网格", grids=[red])
    far = factories.make_grid(session, factories.make_community(session, name="城口社区"))
    return red, bright, [resident, *neighbours], gone, card, worker, far


def cards(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(MemberCard))


def test_office_staff_choose_any_grid_and_grid_workers_their_own(client, db, town, grids):
    red, bright, *_ = grids
    worker = grids[5]
    sign_in(client, town[4])
    office = [item["attrs"]["href"] for item in grab(page(client, "/staff/cards"), "grid")]
    client.post("/sign-out")
    sign_in(client, worker)
    own = [item["attrs"]["href"] for item in grab(page(client, "/staff/cards"), "grid")]

    assert sorted(office) == sorted([f"/staff/cards?grid={bright.id}", f"/staff/cards?grid={red.id}"])
    assert own == [f"/staff/cards?grid={red.id}"]


def test_a_grid_worker_issues_the_missing_cards_in_one_batch_once_then_prints_them(client, db, grids):
    red, _, people, gone, _, worker, _ = grids
    sign_in(client, worker)
    before = page(client, f"/staff/cards?grid={red.id}")

    first = client.post(f"/staff/cards/{red.id}/issue", follow_redirects=True)
    issued = cards(db)
    again = client.post(f"/staff/cards/{red.id}/issue", follow_redirects=True)

    assert texts(before, "missing") == ["王秀英、李大爷、赵桂兰"] and not grab(before, "member-card")
    assert "已为 3 位居民补发会员卡" in first.get_data(as_text=True)
    assert issued == 4 and cards(db) == 4  # 3 here, 1 in 光明网格; the one who moved away none
    assert "本网格每位居民都已有会员卡" in again.get_data(as_text=True)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "member_card.issue_grid")).all()
    assert [(event.object_id, event.after) for event in events] == [(red.id, {"grid_id": red.id, "count": 3})]
    sheet = page(client, f"/staff/cards?grid={red.id}")
    assert texts(sheet, "card-name") == ["王秀英", "李大爷", "赵桂兰"]
    assert texts(sheet, "card-address") == ["3栋2单元401", "3栋2单元402", "5栋1单元101"]
    codes = {c.user_id: display(c.code) for c in db.session.scalars(select(MemberCard))}
    assert texts(sheet, "card-code") == [codes[person.id] for person in people]
    assert gone.id not in codes and not grab(sheet, "issue-form") and grab(sheet, "print")
    images = re.findall(r'<img class="member-card-qr" src="([^"]+)"', sheet)
    assert images == [f"/staff/residents/{person.id}/card.png" for person in people]
    qr = client.get(f"/staff/residents/{people[0].id}/card.png")
    assert qr.status_code == 200 and qr.data.startswith(b"\x89PNG")


def test_issuing_keeps_cards_people_already_have(db, town, grids):
    community, *_ = town
    red, bright, people, _, card, worker, _ = grids
    own = checkin.card_of(db.session, people[0], now=utcnow())
    staff = town[4]

    assert checkin.issue_grid_cards(db.session, actor=staff, community=community, grid_id=bright.id,
                                    now=utcnow()) == 0
    assert checkin.issue_grid_cards(db.session, actor=worker, community=community, grid_id=red.id,
                                    now=utcnow()) == 2
    db.session.expire_all()
    kept = {c.user_id: c.code for c in db.session.scalars(select(MemberCard))}
    assert kept[people[0].id] == own.code and kept[card.user_id] == card.code


def test_a_grid_worker_reaches_only_their_own_grids_and_others_nothing(client, db, town, grids):
    red, bright, _, _, _, worker, far = grids
    community, _, resident, shop, _ = town
    clerk = factories.make_user(db.session, community, "merchant_clerk", merchant=shop)
    sign_in(client, worker)

    refused = [client.get(f"/staff/cards?grid={bright.id}").status_code,
               client.post(f"/staff/cards/{bright.id}/issue").status_code,
               client.get(f"/staff/cards?grid={far.id}").status_code,
               client.post(f"/staff/cards/{far.id}/issue").status_code,
               client.get("/staff/cards?grid=abc").status_code,
               client.get("/staff/cards?grid=12345678901234567890").status_code]
    roles_refused = []
    for person in (resident, clerk):
        client.post("/sign-out")
        sign_in(client, person)
        roles_refused += [client.get(f"/staff/cards?grid={red.id}").status_code,
                          client.post(f"/staff/cards/{red.id}/issue").status_code]

    assert refused == [404] * 6 and roles_refused == [403] * 4
    assert cards(db) == 1  # only the card 光明网格 had
    with pytest.raises(NotFoundError):
        checkin.issue_grid_cards(db.session, actor=worker, community=community, grid_id=bright.id,
                                 now=utcnow())


@pytest.mark.slow
def test_two_batches_for_one_grid_at_once_issue_each_card_once(engine, session):
    if engine.dialect.name != "postgresql":
        pytest.skip("the grid's row lock is what is raced; SQLite has one writer anyway")
    community = factories.make_community(session)
    grid = factories.make_grid(session, community)
    people = [factories.make_resident(session, community, name=f"居民{n}",
                                      household=factories.make_household(session, community, grid))
              for n in range(8)]
    staff = factories.make_user(session, community, "staff")
    ids = (community.id, staff.id, grid.id)

    def batch(other):
        from points.communities.models import Community

        return checkin.issue_grid_cards(other, actor=other.get(User, ids[1]),
                                        community=other.get(Community, ids[0]), grid_id=ids[2],
                                        now=utcnow())

    def one_card(other):
        return checkin.card_of(other, other.get(User, people[0].id), now=utcnow()).code

    with sql_sent(engine) as statements:
        results = race(engine, [batch, batch, one_card])

    assert [r for r in results if isinstance(r, Exception)] == []
    session.rollback()
    found = session.scalars(select(MemberCard)).all()
    assert len(found) == 8 and len({card.code for card in found}) == 8
    assert results[0] + results[1] in (7, 8)  # the single card may have come first
    assert {card.code for card in found if card.user_id == people[0].id} == {results[2]}
    # Each batch locks the grid; one that met the lone card meanwhile starts over (a third).
    assert sum("FROM grids" in sql and "FOR UPDATE" in sql for sql in statements) in (2, 3)


def test_statement_month_list_offers_this_month_and_the_eleven_before(client, db, town):
    sign_in(client, town[2])

    html = page(client, "/me/statement")

    offered = re.findall(r'<option value="(\d{4}-\d{2})"', html)
    assert len(offered) == 12 and offered[0] == months.month_of(utcnow())
    assert offered[-1] == months.month_of(month_days(11))
