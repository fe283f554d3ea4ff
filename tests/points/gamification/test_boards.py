"""Leaderboards, the grid contest and the honour board, read from the cached standings and
monthly tallies: ranks and ties, who is listed and how, reversed and expired points, month
against all-time, grids, one's own rank (also when hidden), the choice, and the honour
board's totals reconciled with the ledger's rows. Each test runs on SQLite and PostgreSQL."""
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import ledger
from ledger.locking import lock_accounts
from ledger.models import Transfer
from merchants import services as shop_services
from points import months, wallets
from points.audit.models import AuditEvent
from points.auth.models import User
from points.earning import services as earning
from points.errors import NotFoundError
from points.extensions import unit_of_work
from points.gamification import boards
from points.gamification import services as gamification
from points.inspections import services as inspections
from points.timeutil import local, start_of_local_date
from tests import factories

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 on 20 Nov 2026 in Chengdu
THIS_MONTH, LAST_MONTH = "2026-11", "2026-10"
PASS = {"personal": 8, "home": 8, "public": 8}
_sources = itertools.count(5000)


@dataclass
class World:
    community: object
    red: object
    sun: object
    wang: object  # 红星网格, 50 this month
    li: object  # 红星网格, 30 this month and 100 last month
    zhao: object  # 向阳网格, 30 this month
    sun_ayi: object  # 向阳网格, 20 this month, chose to stay off the boards
    zhou: object  # 向阳网格, 10 this month, chose her full name
    wu: object  # 红星网格, 80 this month, no longer active
    zheng: object  # 红星网格, no points
    staff: object
    worker: object
    cleaning: object
    wang_credit: object
    elsewhere: object
    far_grid: object
    far: object  # another community, 500 this month


def credit(session, user, points, activity_type, *, now, day=None):
    """Credit work of ``day`` (``now``'s local day) through ``credit_work``, posted at ``now``."""
    with unit_of_work(session):
        earned = earning.credit_work(session, user=user, activity_type=activity_type,
                                     source="test", source_id=next(_sources),
                                     work_day=day or local(now).date(), points=Decimal(points),
                                     now=now)
    return earned.credit


def set_user(session, user, **values):
    with unit_of_work(session):
        person = session.get(User, user.id)
        for name, value in values.items():
            setattr(person, name, value)
    return person


def make_world(session, now=NOW):
    """北新社区 with two grids and seven people (see ``World``), and 城口社区 with one."""
    last_month = months.preceding(local(now).date().replace(day=1))
    community = factories.make_community(session, name="北新社区", code="beixin")
    red = factories.make_grid(session, community, name="红星网格")
    sun = factories.make_grid(session, community, name="向阳网格")

    def resident(name, grid, address):
        home = factories.make_household(session, community, grid, address)
        return factories.make_resident(session, community, household=home, name=name)

    elsewhere = factories.make_community(session, name="城口社区", code="chengkou")
    far_grid = factories.make_grid(session, elsewhere, name="城口一网格")
    world = World(
        community=community, red=red, sun=sun,
        wang=resident("王秀英", red, "3栋2单元401"), li=resident("李建华", red, "3栋2单元402"),
        zhao=resident("赵大爷", sun, "5栋1单元101"), sun_ayi=resident("孙阿姨", sun, "5栋1单元102"),
        zhou=resident("周老师", sun, "5栋1单元103"), wu=resident("吴先生", red, "3栋2单元403"),
        zheng=resident("郑小明", red, "3栋2单元404"),
        staff=factories.make_user(session, community, "staff", name="陈主任"),
        worker=factories.make_user(session, community, "grid_worker", name="刘网格", grids=[sun]),
        cleaning=factories.make_activity_type(session, community, name="环境卫生",
                                              unit="participation", points="10"),
        wang_credit=None, elsewhere=elsewhere, far_grid=far_grid,
        far=factories.make_resident(session, elsewhere, name="钱大妈",
                                    household=factories.make_household(session, elsewhere, far_grid,
                                                                       "1栋1单元101")),
    )
    cleaning = world.cleaning
    world.wang_credit = credit(session, world.wang, "50", cleaning, now=now)
    credit(session, world.li, "30", cleaning, now=now)
    credit(session, world.li, "100", cleaning, day=last_month,
           now=start_of_local_date(last_month) + timedelta(hours=12))
    credit(session, world.zhao, "30", cleaning, now=now)
    credit(session, world.sun_ayi, "20", cleaning, now=now)
    credit(session, world.zhou, "10", cleaning, now=now)
    credit(session, world.wu, "80", cleaning, now=now)
    far_type = factories.make_activity_type(session, elsewhere, name="环境卫生", points="10")
    credit(session, world.far, "500", far_type, now=now)
    set_user(session, world.sun_ayi, leaderboard="hidden")
    set_user(session, world.zhou, leaderboard="named")
    set_user(session, world.wu, active=False)
    return world


@pytest.fixture
def world(db):
    return make_world(db.session)


def board(db, world, period="month", **kwargs):
    kwargs.setdefault("now", NOW)
    return boards.leaderboard(db.session, community_id=world.community.id, period=period, **kwargs)


def listed(found):
    """``[(rank, name, points)]`` of a board."""
    return [(row.rank, row.name, int(row.points)) for row in found.rows]


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


# --- ranks, ties and who is listed ------------------------------------------------------

def test_competition_ranks_share_a_place_and_skip_the_next():
    assert boards.competition_ranks([Decimal(50), 30, 30, 10]) == [1, 2, 2, 4]
    assert boards.competition_ranks([7, 7, 7]) == [1, 1, 1]
    assert boards.competition_ranks([]) == []


def test_the_month_board_ranks_this_months_points_with_ties_in_user_id_order(db, world):
    found = board(db, world)

    assert found.month == THIS_MONTH and found.period == "month" and found.grid_id is None
    assert listed(found) == [(1, "王**", 50), (2, "李**", 30), (2, "赵**", 30), (4, "周老师", 10)]
    tied = [row.user_id for row in found.rows if row.rank == 2]
    assert tied == sorted(tied) == [world.li.id, world.zhao.id]
    assert [row.grid for row in found.rows] == ["红星网格", "红星网格", "向阳网格", "向阳网格"]


def test_hidden_inactive_zero_point_and_other_communities_people_are_not_listed(db, world):
    names = {row.user_id for row in board(db, world).rows} | {
        row.user_id for row in board(db, world, "all").rows}

    assert world.sun_ayi.id not in names  # chose to stay off
    assert world.wu.id not in names  # no longer active
    assert world.zheng.id not in names  # no points
    assert world.far.id not in names  # another community


def test_names_are_masked_unless_the_person_chose_their_full_name(db, world):
    set_user(db.session, world.wang, leaderboard="named")

    assert listed(board(db, world))[:2] == [(1, "王秀英", 50), (2, "李**", 30)]
    masked_everywhere = board(db, world, reveal=False)
    assert [row.name for row in masked_everywhere.rows] == ["王**", "李**", "赵**", "周**"]


def test_the_all_time_board_ranks_lifetime_points_and_a_past_month_has_its_own_board(db, world):
    assert listed(board(db, world, "all")) == [(1, "李**", 130), (2, "王**", 50), (3, "赵**", 30),
                                                (4, "周老师", 10)]
    assert board(db, world, "all").month is None
    assert listed(board(db, world, month=LAST_MONTH)) == [(1, "李**", 100)]
    assert listed(board(db, world, month="2026-09")) == []


def test_the_limit_cuts_the_board_and_is_kept_between_1_and_100(db, world):
    assert listed(board(db, world, limit=2)) == [(1, "王**", 50), (2, "李**", 30)]
    assert len(board(db, world, limit=0).rows) == 1
    assert len(board(db, world, limit=10_000).rows) == 4


def test_an_unknown_period_or_a_month_not_written_yyyy_mm_is_refused(db, world):
    with pytest.raises(boards.UnknownPeriodError):
        board(db, world, "week")
    for month in ("2026-13", "26-11", "２０２６-１１", "2026-1"):
        with pytest.raises(boards.BoardMonthError):
            board(db, world, month=month)


# --- reversed and expired points --------------------------------------------------------

def test_a_reversed_credit_leaves_the_month_and_all_time_boards(db, world):
    earning.reverse_credit(db.session, actor=world.staff, credit_id=world.wang_credit.id,
                           reason="这次活动没有参加", now=NOW)

    assert listed(board(db, world)) == [(1, "李**", 30), (1, "赵**", 30), (3, "周老师", 10)]
    assert listed(board(db, world, "all")) == [(1, "李**", 130), (2, "赵**", 30), (3, "周老师", 10)]
    mine = boards.own_rank(db.session, world.wang, period="month", now=NOW)
    assert (mine.rank, mine.points, mine.ranked) == (None, 0, 3)


def expire(session, user, amount, year=2024, now=NOW):
    """Expire ``amount`` of ``user``'s wallet as ``ledger.expiry`` does (one ``expire``
    transfer to the community's expired account), then refresh their standing."""
    with unit_of_work(session):
        wallet = wallets.wallet_id(session, user)
        sink = ledger.system_account(session, user.community_id, ledger.POINTS, "expired")
        lock_accounts(session, [wallet, sink])
        ledger.transfer(session, debit=wallet, credit=sink, amount=Decimal(amount),
                        key=f"expire:{wallet}:{year}", kind="expire", reason="到期", now=now)
        gamification.refresh_person(session, session.get(User, user.id), now=now, wallet=wallet)


def test_expired_points_lower_the_all_time_board_but_not_the_month_board(db, world):
    expire(db.session, world.li, "100")

    assert listed(board(db, world, "all")) == [(1, "王**", 50), (2, "李**", 30), (2, "赵**", 30),
                                                (4, "周老师", 10)]
    assert listed(board(db, world))[1] == (2, "李**", 30)
    mine = boards.own_rank(db.session, world.li, period="all", now=NOW)
    assert (mine.rank, mine.points) == (2, 30)


# --- grids ------------------------------------------------------------------------------

def test_a_grid_board_lists_the_grids_people_only(db, world):
    assert listed(board(db, world, grid_id=world.red.id)) == [(1, "王**", 50), (2, "李**", 30)]
    assert listed(board(db, world, grid_id=world.sun.id)) == [(1, "赵**", 30), (2, "周老师", 10)]
    assert listed(board(db, world, "all", grid_id=world.red.id)) == [(1, "李**", 130), (2, "王**", 50)]


def test_another_communitys_grid_is_not_found(db, world):
    with pytest.raises(NotFoundError):
        board(db, world, grid_id=world.far_grid.id)
    with pytest.raises(NotFoundError):
        boards.own_rank(db.session, world.wang, period="month", grid_id=world.far_grid.id, now=NOW)


def test_the_grid_contest_counts_everyone_active_hidden_people_too(db, world):
    rows = boards.grid_board(db.session, world.community.id, "month", now=NOW)

    # 红星: 王 50 + 李 30 (吴, inactive, is left out); 向阳: 赵 30 + 孙 20 (hidden) + 周 10.
    assert [(row.rank, row.name, int(row.points), row.participants) for row in rows] == [
        (1, "红星网格", 80, 2), (2, "向阳网格", 60, 3)]
    everything = boards.grid_board(db.session, world.community.id, "all", now=NOW)
    assert [(row.name, int(row.points)) for row in everything] == [("红星网格", 180), ("向阳网格", 60)]
    last = boards.grid_board(db.session, world.community.id, "month", LAST_MONTH)
    assert [(row.rank, row.name, int(row.points), row.participants) for row in last] == [
        (1, "红星网格", 100, 1), (2, "向阳网格", 0, 0)]


def test_resolving_a_grid_mine_an_id_or_nothing(db, world):
    def resolve(person, grid):
        return boards.resolve_grid(db.session, community_id=world.community.id, person=person,
                                   grid=grid)

    assert resolve(world.wang, "mine") == world.red.id
    assert resolve(world.worker, "mine") == world.sun.id
    assert resolve(world.wang, str(world.sun.id)) == world.sun.id
    assert resolve(world.wang, None) is None
    with pytest.raises(boards.NoGridError):
        resolve(world.staff, "mine")
    for wrong in ("abc", "-1", str(world.far_grid.id), "99999999999"):
        with pytest.raises(NotFoundError):
            resolve(world.wang, wrong)


# --- one's own rank ---------------------------------------------------------------------

def test_own_rank_gives_rank_points_and_how_many_are_ranked(db, world):
    mine = boards.own_rank(db.session, world.zhao, period="month", now=NOW)

    assert (mine.rank, mine.points, mine.ranked, mine.hidden) == (2, 30, 4, False)
    assert mine.shown_as == "赵**" and mine.month == THIS_MONTH
    everything = boards.own_rank(db.session, world.li, period="all", now=NOW)
    assert (everything.rank, everything.points, everything.ranked) == (1, 130, 4)


def test_a_hidden_person_sees_the_rank_they_would_have_and_that_they_are_hidden(db, world):
    mine = boards.own_rank(db.session, world.sun_ayi, period="month", now=NOW)

    assert (mine.rank, mine.points, mine.ranked) == (4, 20, 4)
    assert mine.hidden and mine.shown_as is None
    in_grid = boards.own_rank(db.session, world.sun_ayi, period="month", grid_id=world.sun.id, now=NOW)
    assert (in_grid.rank, in_grid.ranked) == (2, 2)


def test_own_rank_without_points_or_outside_the_grid_has_no_rank(db, world):
    nothing = boards.own_rank(db.session, world.zheng, period="month", now=NOW)
    assert (nothing.rank, nothing.points, nothing.ranked) == (None, 0, 4)
    elsewhere = boards.own_rank(db.session, world.wang, period="month", grid_id=world.sun.id, now=NOW)
    assert (elsewhere.rank, elsewhere.ranked) == (None, 2)


# --- the choice -------------------------------------------------------------------------

def test_choosing_how_boards_show_you_is_saved_and_audited_once(db, world):
    person = boards.set_leaderboard_choice(db.session, user=world.wang, choice="hidden", now=NOW)
    again = boards.set_leaderboard_choice(db.session, user=world.wang, choice="hidden", now=NOW)

    assert person.leaderboard == again.leaderboard == "hidden"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.leaderboard")).all()
    assert [(event.actor_id, event.object_id, event.before, event.after) for event in events] == [
        (world.wang.id, world.wang.id, {"leaderboard": "masked"}, {"leaderboard": "hidden"})]
    assert world.wang.id not in {row.user_id for row in board(db, world).rows}


def test_an_unknown_choice_is_refused_and_changes_nothing(db, world):
    for choice in ("public", "", None, "HIDDEN"):
        with pytest.raises(boards.UnknownChoiceError) as refused:
            boards.set_leaderboard_choice(db.session, user=world.wang, choice=choice, now=NOW)
        assert refused.value.code == "unknown_leaderboard_choice"

    db.session.expire_all()
    assert db.session.get(User, world.wang.id).leaderboard == "masked"
    assert count(db.session, AuditEvent, AuditEvent.action == "user.leaderboard") == 0


# --- the honour board -------------------------------------------------------------------

def score(session, world, grid, households, month=THIS_MONTH, now=NOW):
    inspections.score_grid(session, actor=world.staff, community=world.community, grid_id=grid.id,
                           month=month, now=now,
                           entries=[{"household_id": home.id, **PASS} for home in households])


def shop_world(session, world, now=NOW):
    """This month at 张记面馆: 王 redeems 20 and 15 (the 15 is refunded), 赵 holds 10 he has
    not used; last month 李 redeemed 40. 王 also gets a community grant (not earned)."""
    shop = factories.make_merchant(session, world.community, name="张记面馆")
    owner = factories.make_user(session, world.community, "merchant_owner", name="张建国",
                                merchant=shop)
    factories.make_redemption(session, world.wang, shop, "20", now)
    refunded = factories.make_redemption(session, world.wang, shop, "15", now)
    shop_services.refund_redemption(session, actor=owner, voucher_id=refunded.id,
                                    reason="菜没做好", now=now + timedelta(minutes=5))
    factories.make_held_voucher(session, world.zhao, shop, points="10", now=now)
    factories.make_redemption(session, world.li, shop, "40", now - timedelta(days=25))
    factories.give_points(session, world.wang, "200")


def ledger_totals(session, community_id, month):
    """The honour board's rule applied row by row to every transfer of the ledger."""
    earned = redeemed = Decimal(0)
    for row in session.scalars(select(Transfer)):
        if (row.community_id != community_id or row.ledger != "POINTS"
                or months.month_of(row.created_at) != month):
            continue
        original = session.get(Transfer, row.reverses_id) if row.reverses_id else None
        if row.kind == "earn":
            earned += row.amount
        elif row.kind == "reverse" and original.kind == "earn":
            earned -= row.amount
        elif row.kind == "redeem":
            redeemed += row.amount
        elif row.kind == "refund":
            redeemed -= row.amount
    return earned, redeemed


def test_the_honour_board_shows_the_months_top_volunteers_always_masked(db, world):
    honour = boards.honour_board(db.session, world.community.id, NOW)

    assert honour.month == THIS_MONTH
    assert [(row.rank, row.name, int(row.points)) for row in honour.volunteers] == [
        (1, "王**", 50), (2, "李**", 30), (2, "赵**", 30), (4, "周**", 10)]
    assert honour.participants == 5  # 孙 (hidden) counts, 吴 (inactive) does not


def test_the_honour_board_lists_at_most_ten_volunteers(db, world):
    for number in range(12):
        person = factories.make_resident(db.session, world.community, name=f"志愿者{number}")
        credit(db.session, person, str(100 + number), world.cleaning, now=NOW)

    honour = boards.honour_board(db.session, world.community.id, NOW)

    assert len(honour.volunteers) == 10 and honour.volunteers[0].points == 111


def test_the_honour_board_names_clean_households_by_grid_and_masked_member_only(db, world):
    homes = {person.name: person.household for person in (world.wang, world.li, world.sun_ayi)}
    score(db.session, world, world.red, [homes["王秀英"], homes["李建华"]])
    score(db.session, world, world.sun, [homes["孙阿姨"]])

    honour = boards.honour_board(db.session, world.community.id, NOW)

    assert honour.clean_count == 3 and honour.clean_unnamed == 0
    assert [(group.grid, group.count, group.households) for group in honour.clean_groups] == [
        ("向阳网格", 1, [None]), ("红星网格", 2, ["王**", "李**"])]  # 孙 stays off: no name


def test_the_honour_board_names_at_most_so_many_clean_households(db, world, monkeypatch):
    monkeypatch.setattr(boards, "HONOUR_CLEAN_NAMES", 1)
    score(db.session, world, world.red, [world.wang.household, world.li.household])

    honour = boards.honour_board(db.session, world.community.id, NOW)

    assert honour.clean_count == 2 and honour.clean_unnamed == 1
    assert [(group.count, group.households) for group in honour.clean_groups] == [(2, ["王**"])]


def test_the_honour_boards_totals_reconcile_with_the_ledgers_rows(db, world):
    score(db.session, world, world.red, [world.wang.household])  # +20 to the household: earned
    shop_world(db.session, world)
    earning.reverse_credit(db.session, actor=world.staff, credit_id=world.wang_credit.id,
                           reason="这次活动没有参加", now=NOW)

    totals = boards.honour_board(db.session, world.community.id, NOW).totals

    # earned: 50+30+30+20+10+80 credits this month + 20 清洁户 − 50 reversed (李's 100 was
    # posted last month, the grant is not earned); redeemed: 20 + 15 − 15 refunded.
    assert (totals.earned, totals.redeemed) == (Decimal(190), Decimal(20))
    assert (totals.earned, totals.redeemed) == ledger_totals(db.session, world.community.id, THIS_MONTH)
    last = boards.month_totals(db.session, world.community.id, LAST_MONTH)
    assert (last.earned, last.redeemed) == (Decimal(100), Decimal(40))
    assert (last.earned, last.redeemed) == ledger_totals(db.session, world.community.id, LAST_MONTH)
    far = boards.month_totals(db.session, world.elsewhere.id, THIS_MONTH)
    assert (far.earned, far.redeemed) == (Decimal(500), Decimal(0))


def test_an_empty_month_has_an_empty_honour_board(db, world):
    honour = boards.honour_board(db.session, world.community.id, NOW + timedelta(days=40))

    assert honour.month == "2026-12" and honour.volunteers == [] and honour.clean_groups == []
    assert (honour.participants, honour.clean_count) == (0, 0)
    assert (honour.totals.earned, honour.totals.redeemed) == (0, 0)


def test_a_community_is_found_by_its_code_only(db, world):
    assert boards.community_by_code(db.session, "beixin").id == world.community.id
    for code in ("nowhere", "", None, "x" * 100):
        with pytest.raises(NotFoundError):
            boards.community_by_code(db.session, code)
