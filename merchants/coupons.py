"""积分券 (monthly point coupons), as Beixin runs them: each month the residents who did
at least a rule's number of approved points of work that month get a coupon worth the
rule's points, usable at a partner shop, until the month's budget is spent.

The community pays for coupons, never the resident: issuing moves the coupon's points
from the community's ``coupons`` source account to the resident's own coupon account
(purpose ``coupon``, apart from their wallet). Using one makes a voucher held from that
account (``issue_coupon_voucher``); a cancelled or expired voucher and a refund give the
coupon back (``merchants.services``). An unused coupon past its last day goes back to
the ``coupons`` account (``expire_coupon``), once.

Issuing for a month is idempotent: ``Coupon`` is unique per rule, month and resident and
each transfer's key names all three, so issuing again gives only residents who became
eligible since, within what is left of the budget. Eligible residents are served most
points first (then by id), so a budget that runs out leaves out the least active.

``flask --app wsgi coupons issue --month YYYY-MM --by <staff phone>`` (or ``--all``: every
community, each by its own office staff) and ``flask --app wsgi coupons expire`` (daily,
from cron) run the same use cases.
"""
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import ledger
from ledger.errors import DomainError, N_
from merchants import rules as voucher_rules
from merchants import services
from merchants.errors import MerchantError, ShopNotActiveError, ShopNotFoundError
from merchants.fund import ensure_office
from merchants.models import COUPON, HELD, REDEEMED, Coupon, CouponRule, Merchant, Voucher
from merchants.settlement import first_days, parse_period, period_of
from points import codes, wallets
from points.audit import services as audit
from points.auth import roles
from points.auth.models import User
from points.earning.models import Credit
from points.extensions import unit_of_work
from points.notifications.services import notify
from points.timeutil import local, start_of_local_date

ISSUED, USED, EXPIRED = "issued", "used", "expired"
PURPOSE = "coupon"
SOURCE = "coupons"
RULE_FIELDS = ("name", "min_points", "points", "budget", "valid_days", "active")
NAME_LIMIT, MAX_VALID_DAYS = 60, 366
LINK = "/coupons"

ISSUED_TITLE = N_("您获得了一张积分券")
ISSUED_BODY = N_("“%(name)s”：%(points)s 积分，可到合作商户使用，%(day)s 前有效。")
EXPIRED_TITLE = N_("积分券已过期")
EXPIRED_BODY = N_("“%(name)s”（%(points)s 积分）没有在 %(day)s 前使用，已过期。")


class CouponRuleNotFoundError(MerchantError):
    code = "not_found"
    message = N_("找不到这条积分券规则")


class CouponRuleNameRequiredError(MerchantError):
    code = "name_required"
    message = N_("请填写规则名称")


class CouponRuleAmountsError(MerchantError):
    code = "invalid_coupon_rule"
    message = N_("券面积分和每月预算必须是大于零的整数，门槛积分不能小于零")


class CouponBudgetTooSmallError(MerchantError):
    code = "budget_too_small"
    message = N_("每月预算至少要够发一张券")


class CouponValidDaysError(MerchantError):
    code = "invalid_valid_days"
    message = N_("有效天数须在 1 到 366 天之间")


class CouponRuleInactiveError(MerchantError):
    code = "coupon_rule_inactive"
    message = N_("这条规则已停用，不能发券")


class MonthInFutureError(MerchantError):
    code = "month_in_future"
    message = N_("%(month)s 还没到，不能提前发券")


class ConcurrentIssueError(MerchantError):
    code = "concurrent_issue"
    message = N_("有人正在为这个月发券，请稍后刷新再看")


class CouponNotFoundError(MerchantError):
    code = "not_found"
    message = N_("找不到这张积分券")


class CouponUsedError(MerchantError):
    code = "coupon_used"
    message = N_("这张积分券已经用过了")


class CouponExpiredError(MerchantError):
    code = "coupon_expired"
    message = N_("这张积分券已过期")


class CouponInUseError(MerchantError):
    code = "coupon_in_use"
    message = N_("这张积分券已经生成了另一家店的兑换券，请先取消那张再换店")


@dataclass
class IssueReport:
    rule: CouponRule
    month: str
    issued: int = 0
    skipped_by_budget: int = 0
    already: int = 0  # eligible residents who had this month's coupon before
    points_issued: Decimal = ledger.ZERO

    @property
    def eligible(self):
        return self.issued + self.skipped_by_budget + self.already


# Rules -------------------------------------------------------------------------------

def clean_rule(values):
    """The rule's values checked: a name, whole amounts, a budget for one coupon at least."""
    name = " ".join((values.get("name") or "").split())
    if not name:
        raise CouponRuleNameRequiredError()
    amounts = [values.get(key) for key in ("min_points", "points", "budget")]
    if any(not isinstance(amount, Decimal) or amount != amount.to_integral_value()
           for amount in amounts) or amounts[0] < 0 or amounts[1] <= 0 or amounts[2] <= 0:
        raise CouponRuleAmountsError()
    if amounts[2] < amounts[1]:
        raise CouponBudgetTooSmallError()
    days = values.get("valid_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_VALID_DAYS:
        raise CouponValidDaysError()
    return {"name": name[:NAME_LIMIT], "min_points": amounts[0], "points": amounts[1],
            "budget": amounts[2], "valid_days": days, "active": bool(values.get("active", True))}


def ensure_month_not_future(month, now):
    parse_period(month)
    if month > period_of(now):
        raise MonthInFutureError(month=month)


def valid_until(now, valid_days):
    """Coupons are good for ``valid_days`` local days counting the day of issue."""
    return start_of_local_date(local(now).date() + timedelta(days=valid_days))


def last_day(coupon):
    """The last local day a coupon can be used."""
    return local(coupon.valid_until - timedelta(microseconds=1)).date()


def is_usable(coupon, now):
    return coupon.status == ISSUED and coupon.valid_until > now


# Rules of the office: save, list -----------------------------------------------------

def rule_values(rule):
    """The audit log's picture of a rule (``rule_name``: ``name`` is a person's there)."""
    values = {name: getattr(rule, name) for name in RULE_FIELDS}
    return {"rule_name": values.pop("name"), **values}


def get_rule(session, community_id, rule_id, *, lock=False):
    stmt = select(CouponRule).where(CouponRule.id == rule_id,
                                    CouponRule.community_id == community_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    rule = session.scalar(stmt)
    if rule is None:
        raise CouponRuleNotFoundError()
    return rule


def list_rules(session, community_id):
    return list(session.scalars(select(CouponRule).where(CouponRule.community_id == community_id)
                                .order_by(CouponRule.active.desc(), CouponRule.id)))


def save_rule(session, *, actor, community, values, rule_id=None, now):
    """Create a rule, or change one (coupons already issued keep their value and day),
    recorded in the audit log with before and after."""
    ensure_office(actor, community.id)
    values = clean_rule(values)
    with unit_of_work(session):
        if rule_id is None:
            rule, before = CouponRule(community_id=community.id, created_by_id=actor.id,
                                      created_at=now), None
            session.add(rule)
        else:
            rule = get_rule(session, community.id, rule_id, lock=True)
            before = rule_values(rule)
        for name, value in values.items():
            setattr(rule, name, value)
        session.flush()
        audit.record(session, actor=actor, action="coupon_rule.save" if before else
                     "coupon_rule.create", obj_type="coupon_rule", obj_id=rule.id,
                     before=before, after=rule_values(rule), community_id=community.id, now=now)
    return rule


@dataclass
class RuleMonth:
    rule: CouponRule
    issued: int = 0
    used: int = 0
    expired: int = 0
    points: Decimal = ledger.ZERO


def month_overview(session, community_id, month):
    """Each rule with its coupons of ``month`` counted by status, and their points."""
    found = {rule.id: RuleMonth(rule) for rule in list_rules(session, community_id)}
    rows = session.execute(select(Coupon.rule_id, Coupon.status, func.count(),
                                  func.sum(Coupon.points))
                           .where(Coupon.community_id == community_id, Coupon.month == month)
                           .group_by(Coupon.rule_id, Coupon.status))
    for rule_id, status, count, points in rows:
        row = found[rule_id]
        row.issued += count
        row.points += points
        if status in (USED, EXPIRED):
            setattr(row, status, count)
    return list(found.values())


# Issuing -----------------------------------------------------------------------------

def approved_points(session, community_id, month):
    """Each resident's approved points of work done in the month (``Credit.work_day``)."""
    first, following = first_days(month)
    return (select(Credit.user_id, func.sum(Credit.points).label("points"))
            .where(Credit.community_id == community_id, Credit.work_day >= first,
                   Credit.work_day < following, Credit.reversed_at.is_(None))
            .group_by(Credit.user_id).subquery())


def eligible_residents(session, community_id, month, min_points):
    """``(user_id, points)`` of active residents with at least ``min_points`` approved
    points in the month, most points first, then by id (a stable order)."""
    earned = approved_points(session, community_id, month)
    points = func.coalesce(earned.c.points, ledger.ZERO)
    stmt = (select(User.id, points.label("points"))
            .outerjoin(earned, earned.c.user_id == User.id)
            .where(User.community_id == community_id, User.role == roles.RESIDENT,
                   User.active.is_(True), points >= min_points)
            .order_by(points.desc(), User.id))
    return [(user_id, Decimal(found)) for user_id, found in session.execute(stmt)]


def issue_coupons(session, *, actor, community, rule_id, month, now):
    """Give each eligible resident this month's coupon of the rule, once, until the
    budget would be exceeded; returns an ``IssueReport``. Raises ``InvalidPeriodError``,
    ``MonthInFutureError``, ``CouponRuleNotFoundError``, ``CouponRuleInactiveError``."""
    ensure_office(actor, community.id)
    ensure_month_not_future(month, now)
    try:
        with unit_of_work(session):
            # The rule's lock makes two issuings of one rule take turns, so the budget is
            # counted once.
            rule = get_rule(session, community.id, rule_id, lock=True)
            if not rule.active:
                raise CouponRuleInactiveError()
            report = _issue(session, actor=actor, rule=rule, month=month, now=now)
            audit.record(session, actor=actor, action="coupon.issue", obj_type="coupon_rule",
                         obj_id=rule.id, after=report_values(report),
                         community_id=community.id, now=now)
    except IntegrityError:
        raise ConcurrentIssueError() from None
    return report


def report_values(report):
    return {"month": report.month, "issued": report.issued,
            "skipped_by_budget": report.skipped_by_budget, "already": report.already,
            "points": report.points_issued}


def _issue(session, *, actor, rule, month, now):
    report = IssueReport(rule=rule, month=month)
    holders = set(session.scalars(select(Coupon.user_id).where(Coupon.rule_id == rule.id,
                                                               Coupon.month == month)))
    spent = session.scalar(select(func.coalesce(func.sum(Coupon.points), ledger.ZERO))
                           .where(Coupon.rule_id == rule.id, Coupon.month == month))
    waiting = []
    for user_id, _points in eligible_residents(session, rule.community_id, month,
                                               rule.min_points):
        if user_id in holders:
            report.already += 1
        else:
            waiting.append(user_id)
    for position, user_id in enumerate(waiting):
        if spent + rule.points > rule.budget:
            report.skipped_by_budget = len(waiting) - position
            break
        _give(session, actor=actor, rule=rule, month=month, user=session.get(User, user_id),
              now=now)
        spent += rule.points
        report.issued += 1
        report.points_issued += rule.points
    return report


def coupon_account(session, user):
    return ledger.open_account(session, community_id=user.community_id,
                               owner_type=wallets.RESIDENT, owner_id=user.id, purpose=PURPOSE)


def _give(session, *, actor, rule, month, user, now):
    posted = ledger.transfer(
        session, debit=ledger.system_account(session, rule.community_id, ledger.POINTS, SOURCE),
        credit=coupon_account(session, user), amount=rule.points,
        key=f"coupon:{rule.id}:{month}:{user.id}", kind="coupon", reason=rule.name,
        actor_id=actor.id, ref_type="coupon_rule", ref_id=rule.id, now=now)
    coupon = Coupon(community_id=rule.community_id, rule_id=rule.id, month=month,
                    user_id=user.id, points=rule.points, status=ISSUED,
                    valid_until=valid_until(now, rule.valid_days),
                    issue_transfer_id=posted.id, created_at=now)
    session.add(coupon)
    session.flush()
    notify(session, user=user, kind="coupon_issued", title=ISSUED_TITLE,
           body=(ISSUED_BODY, {"name": rule.name, "points": ledger.format_amount(rule.points),
                                "day": last_day(coupon).isoformat()}), link=LINK, now=now)
    return coupon


# Using -------------------------------------------------------------------------------

@dataclass
class MyCoupon:
    coupon: Coupon
    rule: CouponRule
    voucher: Voucher | None  # the held voucher made from it, if any


def coupons_of(session, resident, *, now):
    """The resident's coupons, usable ones first (soonest to end first), then the rest
    newest first; each with its rule and any voucher waiting to be scanned."""
    rows = session.execute(select(Coupon, CouponRule).join(CouponRule)
                           .where(Coupon.user_id == resident.id)
                           .order_by(Coupon.valid_until.desc(), Coupon.id.desc()))
    held = {voucher.coupon_id: voucher for voucher in session.scalars(select(Voucher).where(
        Voucher.user_id == resident.id, Voucher.coupon_id.is_not(None), Voucher.status == HELD))}
    found = [MyCoupon(coupon, rule, held.get(coupon.id)) for coupon, rule in rows]
    usable = sorted((item for item in found if is_usable(item.coupon, now)),
                    key=lambda item: (item.coupon.valid_until, item.coupon.id))
    return usable + [item for item in found if not is_usable(item.coupon, now)]


def partner_shops(session, community_id):
    """Shops where a coupon can be used: the community's active partner shops."""
    return list(session.scalars(select(Merchant).where(Merchant.community_id == community_id,
                                                       Merchant.status == "active")
                                .order_by(Merchant.name, Merchant.id)))


def _lock_coupon(session, coupon_id):
    return session.scalar(select(Coupon).where(Coupon.id == coupon_id)
                          .with_for_update(key_share=True)
                          .execution_options(populate_existing=True))


def _live_voucher(session, coupon_id):
    return session.scalar(select(Voucher).where(Voucher.coupon_id == coupon_id,
                                                Voucher.status.in_((HELD, REDEEMED))))


def ensure_coupon_usable(coupon, now):
    if coupon.status == USED:
        raise CouponUsedError()
    if coupon.status == EXPIRED or coupon.valid_until <= now:
        raise CouponExpiredError()


def _shop_for_coupon(session, community_id, merchant_id):
    """The shop under a share lock, taken first as every voucher use case does (shop,
    then the rest): a suspension waits for this voucher, or this voucher sees it."""
    merchant = services.lock_shop_shared(session, merchant_id) if merchant_id else None
    if merchant is None or merchant.community_id != community_id:
        raise ShopNotFoundError()
    if merchant.status != "active":
        raise ShopNotActiveError()
    return merchant


def issue_coupon_voucher(session, *, acting, coupon_id, merchant_id,
                         amount_ttl=voucher_rules.DEFAULT_AMOUNT_TTL, now):
    """Use a coupon at a shop: a voucher of the coupon's value, held from the resident's
    coupon account (never their wallet), valid for ``amount_ttl`` like an amount at a
    shop and never past the coupon's last day. Asking again for the same shop while the
    voucher waits returns it (``created=False``); another shop is refused until it is
    cancelled. Raises ``CouponNotFoundError`` (someone else's too), ``CouponUsedError``,
    ``CouponExpiredError``, ``CouponInUseError``, ``ShopNotFoundError``,
    ``ShopNotActiveError``, ``OverBillCapError``."""
    resident = acting.resident
    with unit_of_work(session):
        merchant = _shop_for_coupon(session, resident.community_id, merchant_id)
        coupon = _lock_coupon(session, coupon_id)
        if coupon is None or coupon.user_id != resident.id:
            raise CouponNotFoundError()
        live = _live_voucher(session, coupon.id)
        if live is not None and live.status == HELD:
            if live.merchant_id != merchant.id:
                raise CouponInUseError()
            return services.Issued(live, created=False)
        ensure_coupon_usable(coupon, now)
        voucher_rules.ensure_within_bill_cap(merchant, coupon.points)
        voucher = _coupon_voucher(session, acting=acting, coupon=coupon, merchant=merchant,
                                  amount_ttl=amount_ttl, now=now)
    return services.Issued(voucher, created=True)


def _coupon_voucher(session, *, acting, coupon, merchant, amount_ttl, now):
    title = session.get(CouponRule, coupon.rule_id).name
    code = codes.unused_code(session, Voucher.code)
    expires_at = min(now + amount_ttl, coupon.valid_until)
    held = ledger.hold(session, account=coupon_account(session, acting.resident),
                       destination=wallets.merchant_account_id(session, merchant),
                       amount=coupon.points, key=f"voucher:{code}", kind="hold", reason=title,
                       expires_at=expires_at, ref_type="voucher", now=now,
                       **acting.transfer_ids())
    voucher = Voucher(community_id=coupon.community_id, code=code, user_id=acting.resident.id,
                      proxy_id=acting.proxy_id, merchant_id=merchant.id, title=title,
                      points=coupon.points, funding=COUPON, coupon_id=coupon.id,
                      hold_id=held.id, status=HELD, expires_at=expires_at, created_at=now)
    session.add(voucher)
    session.flush()
    return voucher


# Expiry ------------------------------------------------------------------------------

def expire_coupon(session, coupon_id, *, now):
    """Send one unused coupon past its last day back to the community, exactly once;
    returns whether it expired now (False: used, expired already, not due, or a voucher
    made from it still waits; that voucher's own expiry gives the coupon back first)."""
    with unit_of_work(session):
        coupon = _lock_coupon(session, coupon_id)
        if coupon is None or coupon.status != ISSUED or coupon.valid_until > now:
            return False
        if _live_voucher(session, coupon.id) is not None:
            return False
        owner, rule = session.get(User, coupon.user_id), session.get(CouponRule, coupon.rule_id)
        posted = ledger.transfer(
            session, debit=coupon_account(session, owner),
            credit=ledger.system_account(session, coupon.community_id, ledger.POINTS, SOURCE),
            amount=coupon.points, key=f"coupon-expire:{coupon.id}", kind="coupon_expire",
            reason=rule.name, ref_type="coupon", ref_id=coupon.id, now=now)
        coupon.status, coupon.expire_transfer_id = EXPIRED, posted.id
        body = (EXPIRED_BODY, {"name": rule.name, "points": ledger.format_amount(coupon.points),
                               "day": last_day(coupon).isoformat()})
        notify(session, user=owner, kind="coupon_expired", title=EXPIRED_TITLE, body=body,
               link=LINK, now=now)
    return True


def expire_due_coupons(session, *, now, limit=1000):
    """Expire every unused coupon past its last day, each in its own transaction.
    Returns how many expired."""
    due = list(session.scalars(select(Coupon.id).where(
        Coupon.status == ISSUED, Coupon.valid_until <= now).order_by(Coupon.valid_until,
                                                                     Coupon.id)
        .limit(limit).execution_options(all_communities=True)))
    session.rollback()
    return sum(expire_coupon(session, coupon_id, now=now) for coupon_id in due)


# Command line ------------------------------------------------------------------------

@click.group("coupons")
def coupons_group():
    """积分券: issue a month's coupons, expire unused ones."""


@coupons_group.command("expire")
@with_appcontext
def expire_command():
    """Send unused coupons past their last day back to the community."""
    from points.extensions import db
    from points.timeutil import utcnow

    click.echo(f"expired {expire_due_coupons(db.session, now=utcnow())} coupons")


@coupons_group.command("issue")
@click.option("--month", required=True, help="YYYY-MM, a past or the current month")
@click.option("--by", "phone", default=None,
              help="phone of the office staff member issuing (with --all: a district admin)")
@click.option("--all", "everywhere", is_flag=True,
              help="every community, each by its own office staff (or by --by, a district admin)")
@click.option("--rule", "rule_id", type=int, default=None,
              help="one rule (default: every active one)")
@with_appcontext
def issue_command(month, phone, everywhere, rule_id):
    """Issue a month's coupons of the staff member's community, or of every community with
    --all (again: only new ones). Each rule of each community is one transaction."""
    from points.extensions import db

    actor = None
    if phone is not None:
        actor = db.session.scalar(select(User).where(User.phone == phone)
                                  .execution_options(all_communities=True))
    if everywhere:
        if rule_id is not None:
            raise click.UsageError("--rule names one community's rule: not with --all")
        if phone is not None and (actor is None or actor.role != roles.DISTRICT_ADMIN):
            raise click.ClickException("with --all, --by must be the phone of a district admin")
        _issue_everywhere(db.session, month=month, actor=actor)
        return
    if phone is None:
        raise click.UsageError("give --by (a community's office staff) or --all")
    if actor is None or actor.role not in roles.OFFICE_ROLES or actor.community is None:
        raise click.ClickException("--by must be the phone of a community's office staff")
    community = actor.community
    wanted = [rule.id for rule in list_rules(db.session, community.id)
              if rule.active and rule_id in (None, rule.id)]
    if rule_id is not None and not wanted:
        raise click.ClickException(f"no active rule {rule_id} in {community.code}")
    db.session.rollback()
    for wanted_id in wanted:
        report = _issue_from_cli(db.session, actor=actor, community=community,
                                 rule_id=wanted_id, month=month)
        click.echo(f"rule {wanted_id} {month}: issued {report.issued}, skipped by budget "
                   f"{report.skipped_by_budget}, had one already {report.already}")


def _issue_from_cli(session, **arguments):
    from points.timeutil import utcnow

    try:
        return issue_coupons(session, now=utcnow(), **arguments)
    except DomainError as error:
        session.rollback()
        raise click.ClickException(str(error)) from None


def _issue_everywhere(session, *, month, actor):
    """Every active rule of every community, community by community: a stopped run is
    started again and gives only the coupons not given yet (``Coupon`` is unique per rule,
    month and resident, and each rule's issuing is one transaction)."""
    from merchants.fund import office_staff
    from points.communities.models import Community
    from points.progress import Progress

    communities = list(session.scalars(select(Community).order_by(Community.id)))
    rules = {}
    for rule in session.scalars(select(CouponRule).where(CouponRule.active.is_(True))
                                .order_by(CouponRule.community_id, CouponRule.id)):
        rules.setdefault(rule.community_id, []).append(rule.id)
    acting = {c.id: actor or office_staff(session, c.id) for c in communities if c.id in rules}
    session.rollback()
    issued = already = skipped = 0
    points = ledger.ZERO
    with Progress("coupons", len(communities)) as progress:
        for community in communities:
            progress.step()
            if community.id not in rules:
                continue
            if acting[community.id] is None:
                progress.say(f"{community.name}: no office staff, no coupons issued")
                continue
            for rule_id in rules[community.id]:
                report = _issue_from_cli(session, actor=acting[community.id],
                                         community=community, rule_id=rule_id, month=month)
                issued, already = issued + report.issued, already + report.already
                skipped, points = skipped + report.skipped_by_budget, points + report.points_issued
            progress.say(f"coupons {month}: {progress.position()} communities, {issued:,} issued, "
                         f"{already:,} had one already, {skipped:,} skipped by budget, "
                         f"{int(points):,} points")
    click.echo(f"{month}: issued {issued} coupons ({ledger.format_amount(points)} points), "
               f"had one already {already}, skipped by budget {skipped}")
