"""Use cases of activity types, and ``credit_work``: the one way work becomes points."""
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import ledger
from ledger.amounts import ZERO
from ledger.errors import N_, InsufficientPointsError, ReasonRequiredError
from ledger.locking import lock_accounts
from ledger.models import utcnow
from points import months, wallets
from points.audit import services as audit
from points.earning import rules
from points.earning.errors import (ActivityTypeNameTakenError, ActivityTypeNotFoundError,
                                   CreditNotFoundError, CreditReversedError, CreditSpentError,
                                   DailyCapReachedError, MonthlyCapReachedError)
from points.earning.models import PER_HOUR, PER_PARTICIPATION, ActivityType, Credit
from points.extensions import unit_of_work
from points.errors import ForbiddenError
from points.auth import roles
from points.auth.models import User
from points.gamification import services as gamification
from points.notifications.services import notify

REVERSED_TITLE = N_("积分被撤销")
REVERSED_BODY = N_("%(day)s 的“%(type)s”积分 %(points)s 分已被社区撤销，原因：%(reason)s。")

# The programmes' usual kinds of work; a new community starts with these and edits them.
DEFAULT_TYPES = (
    # name, category, unit, points, daily cap, monthly cap, photo, place, second approval above
    ("环境卫生", "environment", PER_HOUR, "10", "40", "300", True, False, "100"),
    ("绿化美化", "greening", PER_HOUR, "10", "40", "300", True, False, "100"),
    ("矛盾调解", "mediation", PER_PARTICIPATION, "20", "40", "200", False, False, "100"),
    ("敬老助老", "elderly", PER_HOUR, "10", "40", "300", False, False, "100"),
    ("文明劝导", "civility", PER_HOUR, "8", "32", "200", False, False, "100"),
    ("安全隐患上报", "hazard", PER_PARTICIPATION, "5", "20", "100", True, True, None),
)
RULE_FIELDS = ("name", "category", "unit", "points", "daily_cap", "monthly_cap",
               "photo_required", "location_required", "second_approval_above", "active")


@dataclass
class Earned:
    """The credit made (or found: the work was credited before) and whether the caps cut it."""

    credit: Credit | None
    created: bool
    cut_by_cap: bool = False


def ensure_rule_keeper(actor, community_id):
    """Office staff and admins of the community set rules; grid workers do not."""
    if actor.role not in roles.OFFICE_ROLES or actor.community_id not in (None, community_id):
        raise ForbiddenError()


def type_values(activity_type):
    return {name: getattr(activity_type, name) for name in RULE_FIELDS}


def list_types(session, community_id, *, include_inactive=False):
    stmt = select(ActivityType).where(ActivityType.community_id == community_id)
    if not include_inactive:
        stmt = stmt.where(ActivityType.active.is_(True))
    return list(session.scalars(stmt.order_by(ActivityType.id)))


def get_type(session, community_id, type_id, *, lock=False):
    """The community's type ``type_id`` (``lock``: FOR UPDATE, to change it), else
    ``ActivityTypeNotFoundError``."""
    activity_type = session.get(ActivityType, type_id, with_for_update=lock or None,
                                populate_existing=lock)
    if activity_type is None or activity_type.community_id != community_id:
        raise ActivityTypeNotFoundError()
    return activity_type


def save_type(session, *, actor, community_id, values, type_id=None, now):
    """Create a type, or change one (future credits only), recorded in the audit log
    with before and after. ``values`` holds ``RULE_FIELDS`` (Decimals, bools, str)."""
    ensure_rule_keeper(actor, community_id)
    values = {**values, "name": rules.clean_type_name(values.get("name"))}
    rules.ensure_known_category(values.get("category", "other"))
    rules.ensure_valid_rule(**{key: values.get(key) for key in (
        "points", "unit", "daily_cap", "monthly_cap", "second_approval_above")})
    try:
        with unit_of_work(session):
            if type_id is None:
                activity_type, before = ActivityType(community_id=community_id, created_at=now), None
                session.add(activity_type)
            else:
                activity_type = get_type(session, community_id, type_id, lock=True)
                before, activity_type.updated_at = type_values(activity_type), now
            for name in RULE_FIELDS:
                if name in values:
                    setattr(activity_type, name, values[name])
            session.flush()
            audit.record(session, actor=actor, action="activity_type.save" if before else
                         "activity_type.create", obj_type="activity_type", obj_id=activity_type.id,
                         before=before, after=type_values(activity_type),
                         community_id=community_id, now=now)
    except IntegrityError:
        raise ActivityTypeNameTakenError(name=values.get("name", "")) from None
    return activity_type


def set_type_active(session, *, actor, community_id, type_id, active, now):
    """Stop offering a type for new activities and claims (``active=False``), or offer it
    again; credits already made keep it. Recorded in the audit log; no change, no event."""
    ensure_rule_keeper(actor, community_id)
    with unit_of_work(session):
        activity_type = get_type(session, community_id, type_id, lock=True)
        if activity_type.active != active:
            before = type_values(activity_type)
            activity_type.active, activity_type.updated_at = active, now
            audit.record(session, actor=actor, action="activity_type.activate" if active
                         else "activity_type.deactivate", obj_type="activity_type",
                         obj_id=activity_type.id, before=before,
                         after=type_values(activity_type), community_id=community_id, now=now)
    return activity_type


def types_for_page(session, *, community_id, now):
    """Every type of the community, stopped ones too; a community without any is first
    given ``DEFAULT_TYPES`` (two first visits at once: one of them makes them)."""
    if not list_types(session, community_id, include_inactive=True):
        try:
            with unit_of_work(session):
                ensure_default_types(session, community_id, now)
        except IntegrityError:
            pass  # another first visit made them a moment ago: list theirs
    return list_types(session, community_id, include_inactive=True)


def ensure_default_types(session, community_id, now=None):
    """Give a community without types the programmes' usual ones (inside a transaction)."""
    if session.scalar(select(func.count()).select_from(ActivityType)
                      .where(ActivityType.community_id == community_id)):
        return
    for name, category, unit, points, day, month, photo, place, second in DEFAULT_TYPES:
        session.add(ActivityType(
            community_id=community_id, name=name, category=category, unit=unit,
            points=Decimal(points), daily_cap=Decimal(day), monthly_cap=Decimal(month),
            photo_required=photo, location_required=place,
            second_approval_above=Decimal(second) if second else None,
            created_at=now or utcnow()))
    session.flush()


def used_points(session, *, user_id, type_id, first_day, until_day):
    """Points credited to the person for the type for work on days in [first, until)."""
    stmt = select(func.coalesce(func.sum(Credit.points), 0)).where(
        Credit.user_id == user_id, Credit.type_id == type_id,
        Credit.work_day >= first_day, Credit.work_day < until_day, Credit.reversed_at.is_(None))
    return Decimal(session.scalar(stmt) or 0)


def room_left(session, *, user_id, activity_type, work_day):
    """``(day_room, month_room)`` the caps still allow (None: no cap)."""
    first, following = months.days_of(work_day)
    day_used = used_points(session, user_id=user_id, type_id=activity_type.id,
                           first_day=work_day, until_day=work_day + timedelta(days=1))
    month_used = used_points(session, user_id=user_id, type_id=activity_type.id,
                             first_day=first, until_day=following)
    return (rules.cap_room(activity_type.daily_cap, day_used),
            rules.cap_room(activity_type.monthly_cap, month_used))


def ensure_within_caps(session, *, user_id, activity_type, work_day, points):
    """Refuse ``points`` that would take the person over a cap (``CapReachedError``)."""
    day_room, month_room = room_left(session, user_id=user_id, activity_type=activity_type,
                                     work_day=work_day)
    for room, error in ((day_room, DailyCapReachedError), (month_room, MonthlyCapReachedError)):
        if room is not None and Decimal(points) > room:
            raise error(type=activity_type.name, remaining=ledger.format_amount(room))


def find_credit(session, *, source, source_id, user_id):
    return session.scalar(select(Credit).where(
        Credit.source == source, Credit.source_id == source_id, Credit.user_id == user_id))


def credit_work(session, *, user, activity_type, source, source_id, work_day, points,
                hours=None, rate=None, approved_by=None, reason="", over_cap="refuse",
                proxy_id=None, now):
    """Credit ``points`` for one piece of work to ``user``'s wallet, exactly once.

    Runs inside the caller's ``unit_of_work``: locks the wallet first, so concurrent
    credits to one person are counted against the caps one after another. Work already
    credited returns its credit (``created=False``) and moves nothing. ``over_cap``:
    ``"refuse"`` raises ``CapReachedError`` (claims: staff adjust and retry);
    ``"cut"`` credits what the caps still allow, and nothing when no room is left
    (attendance: the activity happened, the caps decide).
    """
    wallet = wallets.wallet_id(session, user)
    lock_accounts(session, [wallet])
    existing = find_credit(session, source=source, source_id=source_id, user_id=user.id)
    if existing is not None:
        return Earned(existing, created=False)
    asked = Decimal(points)
    if over_cap == "refuse":
        ensure_within_caps(session, user_id=user.id, activity_type=activity_type,
                           work_day=work_day, points=asked)
        granted = asked
    else:
        granted = rules.capped(asked, *room_left(session, user_id=user.id,
                                                 activity_type=activity_type, work_day=work_day))
    if granted <= ZERO:
        return Earned(None, created=False, cut_by_cap=True)
    posted = wallets.credit_points(
        session, account=wallet, community_id=user.community_id, amount=granted,
        key=f"{source}:{source_id}:{user.id}", kind="earn", reason=reason or activity_type.name,
        actor_id=approved_by.id if approved_by else None, proxy_id=proxy_id,
        ref_type=source, ref_id=source_id, now=now)
    credit = Credit(community_id=user.community_id, user_id=user.id, type_id=activity_type.id,
                    source=source, source_id=source_id, work_day=work_day, hours=hours,
                    rate=Decimal(rate if rate is not None else activity_type.points),
                    unit=activity_type.unit, points=granted, points_before_cap=asked,
                    transfer_id=posted.id,
                    approved_by_id=approved_by.id if approved_by else None, created_at=now)
    session.add(credit)
    session.flush()
    gamification.refresh_person(session, user, now=now, wallet=wallet)
    return Earned(credit, created=True, cut_by_cap=granted < asked)


def reverse_credit(session, *, actor, credit_id, reason, now):
    """Take back a credit (approved by mistake, work not done): a reversing transfer out
    of the person's wallet, the credit marked reversed, their level, badges and boards
    recomputed, the audit log and the person told. Office staff of the community only;
    a reason is required. Points already spent cannot be taken back (``CreditSpentError``)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequiredError()
    with unit_of_work(session):
        credit = session.get(Credit, credit_id)
        if credit is None:
            raise CreditNotFoundError()
        ensure_rule_keeper(actor, credit.community_id)
        person = session.get(User, credit.user_id)
        wallet = wallets.wallet_id(session, person)
        lock_accounts(session, [wallet])
        session.refresh(credit, with_for_update=True)
        if credit.reversed_at is not None:
            raise CreditReversedError()
        try:
            reversal = ledger.reverse(session, credit.transfer_id, key=f"reverse:credit:{credit.id}",
                                      reason=reason, actor_id=actor.id, now=now)
        except InsufficientPointsError:
            raise CreditSpentError() from None
        credit.reversal_id, credit.reversed_by_id = reversal.id, actor.id
        credit.reversed_at, credit.reversal_reason = now, reason[:200]
        session.flush()
        audit.record(session, actor=actor, action="credit.reverse", obj_type="credit",
                     obj_id=credit.id, before={"points": credit.points},
                     after={"points": ZERO, "reason": reason}, reason=reason,
                     community_id=credit.community_id, now=now)
        gamification.refresh_person(session, person, now=now, wallet=wallet)
        notify(session, user=person, kind="credit_reversed", title=REVERSED_TITLE,
               body=(REVERSED_BODY, {"type": credit.activity_type.name,
                                     "day": credit.work_day.isoformat(),
                                     "points": ledger.format_amount(credit.points), "reason": reason}),
               link="/me/statement", now=now)
    return credit
