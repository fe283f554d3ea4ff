"""报表下载: the office's reports for a period, one function per report returning a ``Sheet``.

Every function takes ``community_id`` and the period ``[since, until)`` (aware UTC) and
names the community in each of its queries itself (so it runs the same for a district
administrator, whose session has no scope). Rows are read lazily, in keyset batches of
``BATCH`` rows, when the sheet is written: a year of journal streams through and is never
held in memory. Only aggregates bounded by the community's size (accounts, households)
are kept: the names of the accounts seen, the participation per household.

Besides the points reports, ``fund_movements`` lists the community fund's yuan (CNY).

Figures follow ``points.reports.figures``: the journal's ``earn + grant + coupon −
reverse`` (reversals of those kinds), ``redeem − refund`` and ``expire + coupon_expire``
are the summary's issued, redeemed and expired; the vouchers' points redeemed less
refunded in the period are its redeemed; the participation totals are its residents,
active residents, issued, redeemed and outstanding.
"""
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

import ledger
from ledger.accounts import COMMUNITY
from ledger.errors import N_
from ledger.models import Account, Entry, Hold, Transfer
from merchants.exports import FUNDING_LABELS, status_label
from merchants.fund import KIND_LABELS as FUND_KINDS
from merchants.models import FundIncome, Merchant, Settlement, Voucher
from points import codes, months, wallets
from points.activities.models import Activity, CheckIn, SignUp
from points.auth.models import User
from points.auth.roles import RESIDENT
from points.claims.models import Claim, ClaimDecision
from points.communities.models import Grid
from points.earning.models import ActivityType, Credit
from points.households.models import Household
from points.inspections.models import InspectionScore
from points.reports.exports import DAY, INT, MOMENT, POINTS, YUAN, Column, Sheet
from points.reports.figures import (
    CREDIT_SIDE_KINDS,
    FLOW_KINDS,
    HOLDERS,
    ISSUE_KINDS,
    REDEEM,
    REFUND,
    REVERSE,
)
from points.statements import KIND_LABELS, OTHER_KIND, STORE_NAME
from points.tenancy import ALL_COMMUNITIES as ALL

BATCH = 1000
ZERO = ledger.ZERO
TOTAL = N_("合计")

SYSTEM_ACCOUNTS = {
    "issuance": N_("社区积分发放账户"), "escrow": N_("兑换券冻结账户"), "expired": N_("过期积分账户"),
    "retired": N_("已结算积分账户"), "coupons": N_("积分券发放账户"),
}
CLAIM_STATUS = {"pending": N_("待审核"), "second_review": N_("待复核"), "approved": N_("已通过"),
                "rejected": N_("未通过")}
DECISIONS = {"approve": N_("通过"), "reject": N_("不通过")}
ACTIVITY_STATUS = {"draft": N_("草稿"), "published": N_("已发布"), "cancelled": N_("已取消"),
                   "confirmed": N_("已确认出勤")}
VOUCHER_STATUS = {"held": N_("未使用"), "redeemed": N_("已核销"), "cancelled": N_("已取消"),
                  "expired": N_("已过期"), "refunded": N_("已退款")}


def _label(labels, key):
    return _(labels[key]) if key in labels else key


def _in(column, since, until):
    return and_(column >= since, column < until)


def batches(session, stmt, first, last, since=None):
    """The rows of ``stmt`` ordered by ``(first, last)`` (``last`` unique) and, if given,
    with ``first >= since``, read ``BATCH`` at a time, each batch a query starting after
    the key of the batch before (keyset): no cursor stays open while the file is written,
    and nothing piles up."""
    key = None
    while True:
        query = stmt.order_by(first, last).limit(BATCH)
        if key is None and since is not None:
            query = query.where(first >= since)
        elif key is not None:
            # The one lower bound on ``first`` is the key's, so the index range starts
            # there (with the period's start as well, SQLite would scan from it each time).
            query = query.where(first >= key[0], or_(first > key[0], last > key[1]))
        rows = session.execute(query, execution_options=ALL).all()
        if rows:
            yield rows
        if len(rows) < BATCH:
            return
        key = (rows[-1].k_first, rows[-1].k_last)


def months_in(since, until):
    """``YYYY-MM`` of every local month that overlaps ``[since, until)``."""
    found, day = [], months.this_month(since)
    while months.moments_of(day)[0] < until:
        found.append(months.month_of(day))
        day = months.following(day)
    return found


# 积分流水 ---------------------------------------------------------------------------------

JOURNAL_COLUMNS = [Column(N_("时间"), MOMENT), Column(N_("类型"), width=16),
                   Column(N_("转出账户"), width=24), Column(N_("转入账户"), width=24),
                   Column(N_("积分"), POINTS), Column(N_("说明"), width=30), Column(N_("流水号"), INT)]


class AccountNames:
    """Each account in words (whose wallet, which system account), read once per batch
    for the accounts not met yet; bounded by the community's accounts, not its rows."""

    def __init__(self, session):
        self.session, self.known = session, {}

    def load(self, ids):
        wanted = set(ids) - set(self.known)
        if not wanted:
            return
        person, home, shop = aliased(User), aliased(Household), aliased(Merchant)
        stmt = (select(Account.id, Account.owner_type, Account.purpose, person.name, home.address, shop.name)
                .outerjoin(person, and_(Account.owner_type == wallets.RESIDENT,
                                        person.id == Account.owner_id))
                .outerjoin(home, and_(Account.owner_type == wallets.HOUSEHOLD, home.id == Account.owner_id))
                .outerjoin(shop, and_(Account.owner_type == wallets.MERCHANT, shop.id == Account.owner_id))
                .where(Account.id.in_(wanted)))
        for row in self.session.execute(stmt, execution_options=ALL):
            self.known[row[0]] = self.words(*row[1:])

    @staticmethod
    def words(owner_type, purpose, person, address, shop):
        if owner_type == wallets.RESIDENT and purpose == "coupon":
            return _("%(name)s（积分券）", name=person or "")
        if owner_type == wallets.RESIDENT:
            return _("%(name)s（个人）", name=person or "")
        if owner_type == wallets.HOUSEHOLD:
            return _("%(address)s（住户）", address=address or "")
        if owner_type == wallets.MERCHANT:
            return _("%(name)s（商户）", name=shop or "")
        if purpose in SYSTEM_ACCOUNTS:
            return _(SYSTEM_ACCOUNTS[purpose])
        return f"{owner_type}/{purpose}"


def kind_words(kind):
    return str(KIND_LABELS.get(kind, OTHER_KIND))


def _journal_rows(session, community_id, since, until):
    names, totals = AccountNames(session), {}
    stmt = (select(Transfer.created_at.label("k_first"), Transfer.id.label("k_last"), Transfer.kind,
                   Transfer.amount, Transfer.debit_account_id, Transfer.credit_account_id, Transfer.reason)
            .where(Transfer.community_id == community_id, Transfer.ledger == ledger.POINTS,
                   Transfer.created_at < until))
    for rows in batches(session, stmt, Transfer.created_at, Transfer.id, since):
        names.load([row.debit_account_id for row in rows] + [row.credit_account_id for row in rows])
        for row in rows:
            count, amount = totals.get(row.kind, (0, ZERO))
            totals[row.kind] = (count + 1, amount + row.amount)
            yield [row.k_first, kind_words(row.kind), names.known.get(row.debit_account_id, ""),
                   names.known.get(row.credit_account_id, ""), row.amount, row.reason, row.k_last]
    for kind in sorted(totals):
        count, amount = totals[kind]
        yield [None, _("合计·%(kind)s", kind=kind_words(kind)), None, None, amount,
               _("%(count)s 笔", count=count), None]


def journal(session, *, community_id, since, until, stem="journal"):
    """积分流水: every POINTS transfer of the community in the period, oldest first, then a
    total per kind."""
    return Sheet(stem, N_("积分流水"), JOURNAL_COLUMNS, _journal_rows(session, community_id, since, until))


# 积分申报 ---------------------------------------------------------------------------------

CLAIM_COLUMNS = [Column(N_("申报编号"), INT), Column(N_("居民")), Column(N_("活动类型")),
                 Column(N_("做事日期"), DAY), Column(N_("申报时间"), MOMENT), Column(N_("申报积分"), POINTS),
                 Column(N_("入账积分"), POINTS), Column(N_("状态")), Column(N_("审批人")),
                 Column(N_("第二审批人")), Column(N_("审批结果")), Column(N_("决定时间"), MOMENT),
                 Column(N_("原因或说明"), width=30), Column(N_("积分撤销时间"), MOMENT)]


def _decisions(session, claim_ids):
    found = {}
    stmt = (select(ClaimDecision.claim_id, ClaimDecision.decision, ClaimDecision.reason, User.name)
            .join(User, User.id == ClaimDecision.approver_id)
            .where(ClaimDecision.claim_id.in_(claim_ids)).order_by(ClaimDecision.id))
    for claim_id, decision, reason, name in session.execute(stmt, execution_options=ALL):
        found.setdefault(claim_id, []).append((decision, reason, name))
    return found


def _claim_row(row, decisions):
    first = decisions[0] if decisions else (None, "", "")
    second = decisions[1] if len(decisions) > 1 else (None, "", "")
    reasons = [reason for _decision, reason, _name in decisions if reason]
    if row.reject_reason and row.reject_reason not in reasons:
        reasons.append(row.reject_reason)
    verdict = _label(DECISIONS, (second[0] or first[0])) if first[0] else ""
    credited = row.points if row.status == "approved" else None
    return [row.k_last, row.resident, row.type_name, row.work_day, row.k_first, row.points_asked,
            credited, _label(CLAIM_STATUS, row.status), first[2], second[2], verdict, row.decided_at,
            "；".join(reasons), row.reversed_at]


def _claim_rows(session, community_id, since, until):
    count, asked, credited = 0, ZERO, ZERO
    stmt = (select(Claim.created_at.label("k_first"), Claim.id.label("k_last"), User.name.label("resident"),
                   ActivityType.name.label("type_name"), Claim.work_day, Claim.points_asked, Claim.points,
                   Claim.status, Claim.decided_at, Claim.reject_reason, Credit.reversed_at)
            .join(User, User.id == Claim.user_id).join(ActivityType, ActivityType.id == Claim.type_id)
            .outerjoin(Credit, Credit.id == Claim.credit_id)
            .where(Claim.community_id == community_id,
                   or_(_in(Claim.created_at, since, until), _in(Claim.decided_at, since, until))))
    for rows in batches(session, stmt, Claim.created_at, Claim.id):
        decisions = _decisions(session, [row.k_last for row in rows])
        for row in rows:
            cells = _claim_row(row, decisions.get(row.k_last, []))
            count, asked, credited = count + 1, asked + row.points_asked, credited + (cells[6] or ZERO)
            yield cells
    yield [None, _(TOTAL), _("%(count)s 条", count=count), None, None, asked, credited] + [None] * 7


def claims(session, *, community_id, since, until, stem="claims"):
    """积分申报: claims filed or decided in the period, with their approvers."""
    return Sheet(stem, N_("积分申报"), CLAIM_COLUMNS, _claim_rows(session, community_id, since, until))


# 志愿活动 ---------------------------------------------------------------------------------

ACTIVITY_COLUMNS = [Column(N_("活动"), width=24), Column(N_("活动类型")), Column(N_("开始时间"), MOMENT),
                    Column(N_("地点")), Column(N_("状态")), Column(N_("名额"), INT),
                    Column(N_("报名人数"), INT), Column(N_("候补人数"), INT), Column(N_("签到人数"), INT),
                    Column(N_("获得积分人数"), INT), Column(N_("发放积分"), POINTS)]


def _activity_counts(session, ids):
    signups = {}
    for activity_id, status, count in session.execute(
            select(SignUp.activity_id, SignUp.status, func.count(SignUp.id))
            .where(SignUp.activity_id.in_(ids)).group_by(SignUp.activity_id, SignUp.status),
            execution_options=ALL):
        signups[(activity_id, status)] = count
    checkins = dict(session.execute(
        select(CheckIn.activity_id, func.count(CheckIn.id)).where(CheckIn.activity_id.in_(ids))
        .group_by(CheckIn.activity_id), execution_options=ALL).all())
    credits = {activity_id: (count, Decimal(points or 0)) for activity_id, count, points in session.execute(
        select(Credit.source_id, func.count(Credit.id), func.sum(Credit.points))
        .where(Credit.source == "activity", Credit.source_id.in_(ids), Credit.reversed_at.is_(None))
        .group_by(Credit.source_id), execution_options=ALL)}
    return signups, checkins, credits


def _activity_rows(session, community_id, since, until):
    sums = [0, 0, 0, 0, 0, ZERO]
    stmt = (select(Activity.starts_at.label("k_first"), Activity.id.label("k_last"), Activity.title,
                   ActivityType.name.label("type_name"), Activity.place, Activity.status, Activity.capacity)
            .join(ActivityType, ActivityType.id == Activity.type_id)
            .where(Activity.community_id == community_id, Activity.starts_at < until))
    for rows in batches(session, stmt, Activity.starts_at, Activity.id, since):
        signups, checkins, credits = _activity_counts(session, [row.k_last for row in rows])
        for row in rows:
            paid = credits.get(row.k_last, (0, ZERO))
            figures = [row.capacity, signups.get((row.k_last, "signed_up"), 0),
                       signups.get((row.k_last, "waitlisted"), 0), checkins.get(row.k_last, 0), *paid]
            sums = [total + value for total, value in zip(sums, figures)]
            yield [row.title, row.type_name, row.k_first, row.place, _label(ACTIVITY_STATUS, row.status),
                   *figures]
    yield [_(TOTAL), None, None, None, None, *sums]


def activities(session, *, community_id, since, until, stem="activities"):
    """志愿活动: activities starting in the period, sign-ups, check-ins and points credited
    (credits of the activity not reversed)."""
    return Sheet(stem, N_("志愿活动"), ACTIVITY_COLUMNS, _activity_rows(session, community_id, since, until))


# 卫生评比 ---------------------------------------------------------------------------------

INSPECTION_COLUMNS = [Column(N_("月份")), Column(N_("网格")), Column(N_("住户"), width=20),
                      Column(N_("个人卫生"), INT), Column(N_("家庭环境"), INT), Column(N_("公共卫生"), INT),
                      Column(N_("总分"), INT), Column(N_("是否合格")), Column(N_("积分"), POINTS),
                      Column(N_("修改次数"), INT), Column(N_("修改原因"), width=24),
                      Column(N_("评分时间"), MOMENT)]


def _inspection_rows(session, community_id, since, until):
    count, passed, points = 0, 0, ZERO
    stmt = (select(InspectionScore.month.label("k_first"), InspectionScore.id.label("k_last"),
                   Grid.name.label("grid"), Household.address, InspectionScore.personal, InspectionScore.home,
                   InspectionScore.public, InspectionScore.passed, InspectionScore.points,
                   InspectionScore.revision, InspectionScore.correction_reason, InspectionScore.scored_at)
            .join(Household, Household.id == InspectionScore.household_id)
            .join(Grid, Grid.id == Household.grid_id)
            .where(InspectionScore.community_id == community_id,
                   InspectionScore.month.in_(months_in(since, until))))
    for rows in batches(session, stmt, InspectionScore.month, InspectionScore.id):
        for row in rows:
            count, passed = count + 1, passed + bool(row.passed)
            points += row.points or ZERO
            yield [row.k_first, row.grid, row.address, row.personal, row.home, row.public,
                   row.personal + row.home + row.public, _("合格") if row.passed else _("不合格"),
                   row.points, row.revision - 1, row.correction_reason, row.scored_at]
    yield [_(TOTAL), None, _("%(count)s 户次", count=count), None, None, None, None,
           _("合格 %(count)s 户次", count=passed), points, None, None, None]


def inspections(session, *, community_id, since, until, stem="inspections"):
    """卫生评比: the household scores of the months the period touches."""
    return Sheet(stem, N_("卫生评比"), INSPECTION_COLUMNS,
                 _inspection_rows(session, community_id, since, until))


# 兑换记录 ---------------------------------------------------------------------------------

VOUCHER_COLUMNS = [Column(N_("券码"), width=14), Column(N_("居民")), Column(N_("商户或超市"), width=20),
                   Column(N_("商品或项目"), width=24), Column(N_("积分"), POINTS), Column(N_("支付方式")),
                   Column(N_("状态")), Column(N_("生成时间"), MOMENT), Column(N_("核销时间"), MOMENT),
                   Column(N_("退款时间"), MOMENT), Column(N_("取消或过期时间"), MOMENT),
                   Column(N_("本期核销积分"), POINTS), Column(N_("本期退款积分"), POINTS)]


def _voucher_rows(session, community_id, since, until):
    redeemed, refunded = ZERO, ZERO
    stmt = (select(Voucher.created_at.label("k_first"), Voucher.id.label("k_last"), Voucher.code,
                   User.name.label("resident"), Merchant.name.label("shop"), Voucher.title, Voucher.points,
                   Voucher.funding, Voucher.status, Voucher.redeemed_at, Voucher.refunded_at,
                   Voucher.closed_at)
            .join(User, User.id == Voucher.user_id).outerjoin(Merchant, Merchant.id == Voucher.merchant_id)
            .where(Voucher.community_id == community_id,
                   or_(*[_in(moment, since, until) for moment in (
                       Voucher.created_at, Voucher.redeemed_at, Voucher.refunded_at, Voucher.closed_at)])))
    for rows in batches(session, stmt, Voucher.created_at, Voucher.id):
        for row in rows:
            used = row.points if row.redeemed_at and since <= row.redeemed_at < until else None
            back = row.points if row.refunded_at and since <= row.refunded_at < until else None
            redeemed, refunded = redeemed + (used or ZERO), refunded + (back or ZERO)
            yield [codes.display(row.code), row.resident, row.shop or _(STORE_NAME), row.title, row.points,
                   _label(FUNDING_LABELS, row.funding), _label(VOUCHER_STATUS, row.status), row.k_first,
                   row.redeemed_at, row.refunded_at, row.closed_at, used, back]
    yield [_(TOTAL)] + [None] * 10 + [redeemed, refunded]


def vouchers(session, *, community_id, since, until, stem="vouchers"):
    """兑换记录: vouchers created, redeemed, refunded, cancelled or expired in the period;
    the last two columns are what the period's redeemed figure counts."""
    return Sheet(stem, N_("兑换记录"), VOUCHER_COLUMNS, _voucher_rows(session, community_id, since, until))


# 商户结算 ---------------------------------------------------------------------------------

SETTLEMENT_COLUMNS = [Column(N_("商户"), width=20), Column(N_("结算月份")), Column(N_("核销笔数"), INT),
                      Column(N_("结算积分"), POINTS), Column(N_("每元折合积分"), POINTS),
                      Column(N_("应付金额（元）"), YUAN), Column(N_("状态"), width=16),
                      Column(N_("结算时间"), MOMENT), Column(N_("付款时间"), MOMENT),
                      Column(N_("付款凭证号"), width=20)]


def _settlement_rows(session, community_id, since, until):
    count, points, amount = 0, ZERO, ZERO
    stmt = (select(Settlement.period.label("k_first"), Settlement.id.label("k_last"), Merchant.name,
                   Settlement.voucher_count, Settlement.points, Settlement.points_per_yuan,
                   Settlement.amount_cny,
                   Settlement.status, Settlement.settled_at, Settlement.paid_at, Settlement.payment_reference)
            .join(Merchant, Merchant.id == Settlement.merchant_id)
            .where(Settlement.community_id == community_id, Settlement.period.in_(months_in(since, until))))
    for rows in batches(session, stmt, Settlement.period, Settlement.id):
        for row in rows:
            count, points, amount = count + row.voucher_count, points + row.points, amount + row.amount_cny
            yield [row.name, row.k_first, row.voucher_count, row.points, row.points_per_yuan, row.amount_cny,
                   status_label(row.status), row.settled_at, row.paid_at, row.payment_reference]
    yield [_(TOTAL), None, count, points, None, amount, None, None, None, None]


def settlements(session, *, community_id, since, until, stem="settlements"):
    """商户结算: the shops' settlements of the months the period touches."""
    return Sheet(stem, N_("商户结算"), SETTLEMENT_COLUMNS,
                 _settlement_rows(session, community_id, since, until))


# 参与情况 ---------------------------------------------------------------------------------

PARTICIPATION_COLUMNS = [Column(N_("网格")), Column(N_("住户"), width=20), Column(N_("居民人数"), INT),
                         Column(N_("活跃居民"), INT), Column(N_("本期获得积分"), POINTS),
                         Column(N_("本期使用积分"), POINTS), Column(N_("现有积分（含冻结）"), POINTS)]


@dataclass
class Tally:
    residents: int = 0
    active: int = 0
    issued: Decimal = ZERO
    redeemed: Decimal = ZERO
    outstanding: Decimal = ZERO

    def add(self, other):
        for name in ("residents", "active", "issued", "redeemed", "outstanding"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def cells(self):
        return [self.residents, self.active, self.issued, self.redeemed, self.outstanding]


def _home_of(holder, person):
    """The household an account belongs to: its own, or where its resident lives."""
    return func.coalesce(person.household_id, case((holder.owner_type == wallets.HOUSEHOLD, holder.owner_id)))


def _holders(holder, community_id):
    return [holder.ledger == ledger.POINTS, holder.owner_type.in_(HOLDERS),
            holder.community_id == community_id]


def _flows_by_home(session, community_id, since, until):
    """``{household id or None: (issued, redeemed)}`` by the figures' definitions."""
    holder, person, original = aliased(Account), aliased(User), aliased(Transfer)
    holder_id = case((Transfer.kind == REDEEM, Hold.account_id),
                     (Transfer.kind.in_(CREDIT_SIDE_KINDS), Transfer.credit_account_id),
                     else_=Transfer.debit_account_id)
    home = _home_of(holder, person)
    stmt = (select(home, Transfer.kind, func.sum(Transfer.amount)).select_from(Transfer)
            .outerjoin(Hold, Hold.id == Transfer.hold_id)
            .outerjoin(original, original.id == Transfer.reverses_id)
            .join(holder, holder.id == holder_id)
            .outerjoin(person, and_(holder.owner_type == wallets.RESIDENT, person.id == holder.owner_id))
            .where(Transfer.community_id == community_id, Transfer.ledger == ledger.POINTS,
                   Transfer.kind.in_(FLOW_KINDS), _in(Transfer.created_at, since, until),
                   or_(Transfer.kind != REVERSE, original.kind.in_(ISSUE_KINDS)),
                   *_holders(holder, community_id))
            .group_by(home, Transfer.kind))
    found = {}
    for key, kind, amount in session.execute(stmt, execution_options=ALL):
        tally = found.setdefault(key, Tally())
        amount = Decimal(amount or 0)
        if kind in ISSUE_KINDS:
            tally.issued += amount
        elif kind == REVERSE:
            tally.issued -= amount
        elif kind == REDEEM:
            tally.redeemed += amount
        elif kind == REFUND:
            tally.redeemed -= amount
    return found


def _participation_by_home(session, community_id, since, until):
    found = _flows_by_home(session, community_id, since, until)
    holder, person = aliased(Account), aliased(User)
    home = _home_of(holder, person)
    for key, balance, held in session.execute(
            select(home, func.sum(holder.balance), func.sum(holder.held))
            .outerjoin(person, and_(holder.owner_type == wallets.RESIDENT, person.id == holder.owner_id))
            .where(*_holders(holder, community_id)).group_by(home), execution_options=ALL):
        found.setdefault(key, Tally()).outstanding = Decimal(balance or 0) + Decimal(held or 0)
    people = [User.role == RESIDENT, User.active.is_(True), User.community_id == community_id]
    for key, count in session.execute(select(User.household_id, func.count(User.id)).where(*people)
                                      .group_by(User.household_id), execution_options=ALL):
        found.setdefault(key, Tally()).residents = count
    for key, count in session.execute(
            select(User.household_id, func.count(func.distinct(Credit.user_id)))
            .join(User, User.id == Credit.user_id)
            .where(*people, Credit.reversed_at.is_(None), _in(Credit.created_at, since, until))
            .group_by(User.household_id), execution_options=ALL):
        found.setdefault(key, Tally()).active = count
    return found


def _participation_rows(session, community_id, since, until):
    tallies = _participation_by_home(session, community_id, since, until)
    total, grid_total, grid_name = Tally(), None, None
    stmt = (select(Grid.name.label("k_first"), Household.id.label("k_last"), Household.address)
            .join(Grid, Grid.id == Household.grid_id).where(Household.community_id == community_id))
    for rows in batches(session, stmt, Grid.name, Household.id):
        for row in rows:
            if row.k_first != grid_name:
                if grid_total is not None:
                    yield [grid_name, _("小计")] + grid_total.cells()
                grid_total, grid_name = Tally(), row.k_first
            tally = tallies.get(row.k_last, Tally())
            grid_total.add(tally)
            total.add(tally)
            yield [row.k_first, row.address] + tally.cells()
    if grid_total is not None:
        yield [grid_name, _("小计")] + grid_total.cells()
    if None in tallies:
        total.add(tallies[None])
        yield ["", _("未登记住户的居民和商户人员")] + tallies[None].cells()
    yield [_(TOTAL), None] + total.cells()


def participation(session, *, community_id, since, until, stem="participation"):
    """参与情况: per household (a subtotal per grid) the residents, active residents, points
    issued and redeemed in the period and outstanding now; the totals are the summary's."""
    return Sheet(stem, N_("参与情况"), PARTICIPATION_COLUMNS,
                 _participation_rows(session, community_id, since, until))


# 社区基金 ---------------------------------------------------------------------------------

FUND_COLUMNS = [Column(N_("时间"), MOMENT), Column(N_("类型")), Column(N_("收入（元）"), YUAN),
                Column(N_("支出（元）"), YUAN), Column(N_("余额（元）"), YUAN), Column(N_("说明"), width=30),
                Column(N_("流水号"), INT)]


def _fund_notes(session, transfer_ids):
    """``{transfer id: words}``: an income's source and note, a settlement's shop and month."""
    notes = {}
    for transfer_id, source, note in session.execute(
            select(FundIncome.transfer_id, FundIncome.source, FundIncome.note)
            .where(FundIncome.transfer_id.in_(transfer_ids)), execution_options=ALL):
        notes[transfer_id] = f"{source}：{note}" if note else source
    for transfer_id, shop, period in session.execute(
            select(Settlement.cny_transfer_id, Merchant.name, Settlement.period)
            .join(Merchant, Merchant.id == Settlement.merchant_id)
            .where(Settlement.cny_transfer_id.in_(transfer_ids)), execution_options=ALL):
        notes[transfer_id] = f"{shop} {period}"
    return notes


def _fund_rows(session, community_id, since, until):
    came, went = ZERO, ZERO
    fund = (select(Account.id)
            .where(Account.community_id == community_id, Account.ledger == ledger.CNY,
                   Account.owner_type == COMMUNITY, Account.owner_id == community_id,
                   Account.purpose == "fund").scalar_subquery())
    stmt = (select(Entry.created_at.label("k_first"), Entry.id.label("k_last"), Entry.transfer_id,
                   Entry.amount, Entry.balance_after, Transfer.kind, Transfer.reason)
            .join(Transfer, Transfer.id == Entry.transfer_id)
            .where(Entry.account_id == fund, Entry.created_at < until))
    for rows in batches(session, stmt, Entry.created_at, Entry.id, since):
        notes = _fund_notes(session, [row.transfer_id for row in rows])
        for row in rows:
            income = row.amount if row.amount > 0 else None
            spent = -row.amount if row.amount < 0 else None
            came, went = came + (income or ZERO), went + (spent or ZERO)
            yield [row.k_first, _label(FUND_KINDS, row.kind), income, spent, row.balance_after,
                   notes.get(row.transfer_id, row.reason), row.transfer_id]
    yield [None, _(TOTAL), came, went, None, None, None]


def fund_movements(session, *, community_id, since, until, stem="fund"):
    """社区基金: every movement of the community fund (yuan) in the period, with the balance
    after it; in and out summed."""
    return Sheet(stem, N_("社区基金"), FUND_COLUMNS, _fund_rows(session, community_id, since, until))


# The reports, in the order the page lists them --------------------------------------------

@dataclass(frozen=True)
class Report:
    name: str
    title: str  # message ids
    description: str
    columns: list
    build: object


REPORTS = {report.name: report for report in (
    Report("journal", N_("积分流水"),
           N_("这段时间里每一笔积分的进出：什么时候、什么事、从哪个账户到哪个账户、多少分。最后按类型合计。"),
           JOURNAL_COLUMNS, journal),
    Report("claims", N_("积分申报"),
           N_("居民自己申报的志愿服务：申报了多少分、批了多少分、谁审批的、什么时候。"),
           CLAIM_COLUMNS, claims),
    Report("activities", N_("志愿活动"),
           N_("这段时间开始的活动：报名、候补、签到的人数和发出的积分。"),
           ACTIVITY_COLUMNS, activities),
    Report("inspections", N_("卫生评比"),
           N_("每月入户卫生评比：每户的三项得分、是否合格、得到的积分。"),
           INSPECTION_COLUMNS, inspections),
    Report("vouchers", N_("兑换记录"),
           N_("居民的兑换券：在哪家店或社区超市换了什么、用了多少积分、是否核销或退款。"),
           VOUCHER_COLUMNS, vouchers),
    Report("settlements", N_("商户结算"),
           N_("每家商户每月的结算：结算积分、折合金额、是否已付款。"),
           SETTLEMENT_COLUMNS, settlements),
    Report("fund", N_("社区基金"),
           N_("社区基金（钱）的每一笔进出：捐赠、义卖收入、付给商户的结算款，以及之后的余额。"),
           FUND_COLUMNS, fund_movements),
    Report("participation", N_("参与情况"),
           N_("按网格和住户：有多少居民、多少人参加了志愿服务、获得和使用了多少积分、手里还有多少积分。"),
           PARTICIPATION_COLUMNS, participation),
)}
