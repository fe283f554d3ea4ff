"""Statement lines in plain words (``points.statements.tell``): each ledger kind names what
it was about (the activity, the claim's type, the shop, the voucher…), read with a fixed
number of queries per page; the API's statement says the same words."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import event

import ledger
from ledger import expiry
from ledger.reading import StatementLine
from merchants import services as shop_services
from points import statements, wallets
from points.earning.services import credit_work, reverse_credit
from points.extensions import unit_of_work
from points.residents.acting import acting_as_self
from points.timeutil import utcnow
from tests import factories
from tests.factories import bearer

_keys = count(1)


@pytest.fixture
def world(db, app):
    """北新社区 with 王秀英 (100 points granted), 张记面馆 with its owner and clerk, and
    an office worker; the test runs inside a Chinese page request."""
    session = db.session
    community = factories.make_community(session, name="北新社区")
    shop = factories.make_merchant(session, community, name="张记面馆")
    resident = factories.make_resident(session, community, name="王秀英", points="100")
    owner = factories.make_user(session, community, "merchant_owner", name="张建国", merchant=shop)
    clerk = factories.make_user(session, community, "merchant_clerk", name="李小红", merchant=shop)
    staff = factories.make_user(session, community, "staff", name="陈干事")
    with app.test_request_context("/home"):
        yield session, community, shop, resident, owner, clerk, staff


def words(session, account_id):
    lines, _ = statements.account_page(session, account_id, limit=100)
    return [line.description for line in lines]


def newest(session, account_id):
    return words(session, account_id)[0]


def wallet(session, user):
    return wallets.find_wallet(session, user)


def credit(session, user, *, source, source_id, type_name="楼道保洁", points="20"):
    activity_type = factories.make_activity_type(session, user.community, name=type_name, points=points,
                                                 unit="participation")
    with unit_of_work(session):
        return credit_work(session, user=user, activity_type=activity_type, source=source,
                           source_id=source_id, work_day=date.today(), points=Decimal(points),
                           now=utcnow()).credit


def synthetic(kind, amount, reason="", **fields):
    """A line for kinds whose words need no lookup (coupon account, shop settlement)."""
    values = dict(entry_id=1, transfer_id=1, created_at=utcnow(), kind=kind, amount=Decimal(amount),
                  balance_after=Decimal(0), reason=reason, ref_type=None, ref_id=None,
                  counterparty_account_id=1, reverses_id=None)
    values.update(fields)
    return StatementLine(**values)


# --- earning ---------------------------------------------------------------------------

def test_attendance_names_the_activity(world):
    session, community, *_ = world
    resident = world[3]
    activity = factories.make_activity(session, community, title="清洁家园")
    credit(session, resident, source="activity", source_id=activity.id)

    assert newest(session, wallet(session, resident)) == "参加“清洁家园”活动"


def test_a_claim_names_its_type(world):
    session, resident = world[0], world[3]
    credit(session, resident, source="claim", source_id=7, type_name="楼道保洁")

    assert newest(session, wallet(session, resident)) == "申报“楼道保洁”"


def test_a_work_order_says_volunteer_service_and_its_type(world):
    session, resident = world[0], world[3]
    credit(session, resident, source="task", source_id=9, type_name="助老陪护")

    assert newest(session, wallet(session, resident)) == "志愿服务“助老陪护”"


def test_an_earning_without_a_credit_keeps_its_reason_and_a_grant_says_who_gave(world):
    session, community, _, resident = world[:4]
    with unit_of_work(session):
        wallets.credit_points(session, account=wallets.wallet_id(session, resident),
                              community_id=community.id, amount=Decimal("5"),
                              key=f"test-earn-{next(_keys)}", kind="earn", reason="旧系统迁入")

    assert words(session, wallet(session, resident))[:2] == ["获得积分：旧系统迁入", "社区发放：测试发放"]


# --- vouchers, shops and spending ------------------------------------------------------

def test_a_held_voucher_is_frozen_and_a_redeemed_one_names_the_shop(world):
    session, _, shop, resident, _, clerk, _ = world
    held = factories.make_held_voucher(session, resident, shop, title="牛肉面一碗")
    redeemed = factories.make_held_voucher(session, resident, shop, title="酸辣粉")
    shop_services.redeem_voucher(session, clerk=clerk, voucher_id=redeemed.id, now=utcnow())

    assert words(session, wallet(session, resident))[:2] == [
        "在“张记面馆”核销“酸辣粉”", "兑换券“牛肉面一碗”冻结"]
    assert held.status == "held"


def test_an_amount_paid_at_a_shop_names_only_the_shop(world):
    session, _, shop, resident, _, clerk, _ = world
    factories.make_redemption(session, resident, shop, 30, utcnow(), clerk=clerk)

    assert newest(session, wallet(session, resident)) == "在“张记面馆”核销"


def test_the_community_store_is_named_as_such(world):
    session, _, _, resident, _, _, staff = world
    voucher = factories.make_held_voucher(session, resident, None, title="大米 5 斤")
    shop_services.redeem_voucher(session, clerk=staff, voucher_id=voucher.id, now=utcnow())

    assert newest(session, wallet(session, resident)) == "在社区积分超市兑换“大米 5 斤”"


def test_cancelled_and_expired_vouchers_say_the_points_came_back(world):
    session, _, shop, resident = world[:4]
    cancelled = factories.make_held_voucher(session, resident, shop, title="牛肉面一碗")
    shop_services.cancel_voucher(session, acting=acting_as_self(resident), voucher_id=cancelled.id,
                                 now=utcnow())
    lapsed = factories.make_held_voucher(session, resident, shop, title="酸辣粉")
    assert shop_services.expire_voucher(session, lapsed.id, now=lapsed.expires_at + timedelta(seconds=1))

    assert words(session, wallet(session, resident))[:4] == [
        "兑换券“酸辣粉”过期未用，积分退回", "兑换券“酸辣粉”冻结",
        "取消兑换券“牛肉面一碗”，积分退回", "兑换券“牛肉面一碗”冻结"]


def test_a_refund_is_told_from_both_sides_and_the_shop_sees_its_redemption(world):
    session, _, shop, resident, owner, clerk, _ = world
    voucher = factories.make_held_voucher(session, resident, shop, title="牛肉面一碗")
    shop_services.redeem_voucher(session, clerk=clerk, voucher_id=voucher.id, now=utcnow())
    shop_services.refund_redemption(session, actor=owner, voucher_id=voucher.id, reason="面煮坏了",
                                    now=utcnow())
    shop_account = wallets.merchant_account_id(session, shop)

    assert newest(session, wallet(session, resident)) == "“张记面馆”退款：牛肉面一碗"
    assert words(session, shop_account)[:2] == ["给顾客退款：牛肉面一碗", "核销“牛肉面一碗”"]


def test_spending_names_the_shop_and_the_shop_sees_a_customer(world):
    session, _, shop, resident = world[:4]
    with ledger.write_transaction(session):
        shop_account = wallets.merchant_account_id(session, shop)
        ledger.transfer(session, debit=wallet(session, resident), credit=shop_account,
                        amount=Decimal("10"), key=f"test-spend-{next(_keys)}", kind="spend")

    assert newest(session, wallet(session, resident)) == "在“张记面馆”消费"
    assert newest(session, shop_account) == "顾客消费"


# --- expiry and reversals --------------------------------------------------------------

def test_expired_points_are_said_in_two_words(world):
    session, community, _, resident = world[:4]
    with unit_of_work(session):
        community.points_expire = True
    expiry.expire_points(session, community_id=community.id,
                         as_of=date(utcnow().year + 2, 1, 1), now=utcnow())

    assert newest(session, wallet(session, resident)) == "积分过期"


def test_a_reversed_credit_names_what_was_taken_back_and_why(world):
    session, community, _, resident, _, _, staff = world
    activity = factories.make_activity(session, community, title="清洁家园")
    earned = credit(session, resident, source="activity", source_id=activity.id)
    reverse_credit(session, actor=staff, credit_id=earned.id, reason="当天没到场", now=utcnow())

    assert newest(session, wallet(session, resident)) == "撤销：参加“清洁家园”活动（当天没到场）"


def test_a_reversed_grant_falls_back_to_its_kind_and_reason(world):
    session, _, _, resident, _, _, staff = world
    grant = factories.give_points(session, resident, "10")
    with ledger.write_transaction(session):
        last = ledger.statement(session, grant, limit=1)[0]
        ledger.reverse(session, last.transfer_id, key=f"test-reverse-{next(_keys)}", reason="发错了",
                       actor_id=staff.id)

    assert newest(session, wallet(session, resident)) == "撤销：社区发放：测试发放（发错了）"


@pytest.mark.parametrize("line, said", [
    (synthetic("coupon", "20", "十月积分券"), "积分券“十月积分券”入账"),
    (synthetic("coupon_expire", "-20", "十月积分券"), "积分券“十月积分券”过期收回"),
    (synthetic("settle", "-300", "2025-10"), "2025-10 月度结算"),
    (synthetic("hold", "-30", "牛肉面一碗"), "兑换券冻结：牛肉面一碗"),  # its voucher is gone
    (synthetic("release", "30"), "兑换券退回"),
    (synthetic("reverse", "-5", "误记", reverses_id=10**9), "冲正：误记"),  # original unknown
    (synthetic("mystery", "1"), "积分变动"),
])
def test_kinds_without_a_subject_to_look_up_are_still_plain_words(world, line, said):
    assert [told.description for told in statements.tell(world[0], [line])] == [said]


# --- a page is read in a fixed number of queries ---------------------------------------

def queries_while(session, action):
    sent = []

    def count_it(*_args):
        sent.append(1)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count_it)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", count_it)
    return len(sent)


def test_telling_a_page_takes_the_same_few_queries_for_three_lines_or_sixteen(world):
    session, community, shop, resident, _, clerk, _ = world
    activity = factories.make_activity(session, community, title="清洁家园")
    for n in range(5):
        credit(session, resident, source="activity", source_id=activity.id + 1000 * n,
               type_name=f"清扫{n}")
        factories.make_held_voucher(session, resident, shop, title=f"面{n}", points="1")
        factories.make_redemption(session, resident, shop, 1, utcnow(), clerk=clerk)
    account = wallet(session, resident)
    few, many = (ledger.statement(session, account, limit=size) for size in (3, 20))

    assert len(many) == 16
    small = queries_while(session, lambda: statements.tell(session, few))
    large = queries_while(session, lambda: statements.tell(session, many))
    assert large == small <= 4


# --- the API tells the same words ------------------------------------------------------

def test_the_api_statement_uses_the_same_words(client, world):
    session, community, shop, resident, owner, clerk, _ = world
    activity = factories.make_activity(session, community, title="清洁家园")
    credit(session, resident, source="activity", source_id=activity.id)
    voucher = factories.make_held_voucher(session, resident, shop, title="牛肉面一碗")
    shop_services.redeem_voucher(session, clerk=clerk, voucher_id=voucher.id, now=utcnow())

    mine = client.get("/api/v1/me/statement", headers=bearer(client, resident)).get_json()
    shops = client.get("/api/v1/me/statement", headers=bearer(client, owner)).get_json()

    assert [line["description"] for line in mine["entries"]] == [
        "在“张记面馆”核销“牛肉面一碗”", "参加“清洁家园”活动", "社区发放：测试发放"]
    assert [line["description"] for line in shops["entries"]] == ["核销“牛肉面一碗”"]


def test_an_old_line_is_told_in_the_local_month_it_was_posted(world):
    """The month filter's moments are local (Asia/Shanghai): 23:30 on 31 October there is
    still October, though it is 15:30 UTC."""
    session, community, _, resident = world[:4]
    late_october = datetime(2025, 10, 31, 15, 30, tzinfo=timezone.utc)
    with unit_of_work(session):
        wallets.credit_points(session, account=wallets.wallet_id(session, resident),
                              community_id=community.id, amount=Decimal("7"),
                              key=f"test-old-{next(_keys)}", kind="grant", reason="十月",
                              now=late_october)
    since, until = statements.parse_filters(month="2025-10").moments
    lines, _ = statements.account_page(session, wallet(session, resident), since=since, until=until)

    assert [line.amount for line in lines] == [Decimal("7")]
