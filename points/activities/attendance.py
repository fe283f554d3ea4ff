"""Use cases of attendance: after an activity starts, staff see who checked in and who
signed up, correct the list (and the hours, under a per-hour type), and confirm it once.

Confirming credits each attendee through ``credit_work`` (source ``activity``, the
activity's id), cut to what the type's caps still allow, and marks the activity
``confirmed``, all in one transaction under the activity's row lock. A second
confirmation (a double click, a retry, a second staff member at the same moment) finds
the activity confirmed and is refused; underneath, ``Credit``'s unique
(source, source_id, user) and the ledger key ``activity:<id>:<user>`` would still make a
repeated credit move nothing.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from ledger.amounts import ZERO, format_amount
from ledger.errors import N_
from ledger.locking import lock_accounts
from points import wallets
from points.activities import checkin_rules as rules
from points.activities import rules as activity_rules
from points.activities.checkin import (
    STAFF, checkins_of, holder_of, record_checkin, staff_activity,
)
from points.activities.checkin_errors import NotOnTheListError
from points.activities.errors import HoursError
from points.activities.models import CONFIRMED, SIGNED_UP, CheckIn, SignUp
from points.activities.services import signups_of
from points.audit import services as audit
from points.auth.models import User
from points.earning import rules as earning_rules
from points.earning.models import PER_HOUR, Credit
from points.earning.services import credit_work
from points.extensions import unit_of_work
from points.notifications.services import notify

SOURCE = "activity"

# Notifications are stored as sent, in Chinese (see points.notifications.models).
CREDITED_TITLE = N_("获得积分")
CREDITED_BODY = N_("您参加“%(title)s”获得 %(points)s 积分。")
CREDITED_CUT_BODY = N_("您参加“%(title)s”获得 %(points)s 积分；已到“%(type)s”的积分上限，"
                       "少记了 %(cut)s 分。")
CAPPED_TITLE = N_("出勤已确认")
CAPPED_BODY = N_("您参加“%(title)s”的出勤已确认；已到“%(type)s”的积分上限，这次没有记积分。")


@dataclass
class AttendanceRow:
    """One person on the sheet: checked in (ticked) or signed up and not (unticked)."""

    person: User
    checkin: CheckIn | None
    signup: SignUp | None
    hours: Decimal | None

    @property
    def present(self):
        return self.checkin is not None

    @property
    def walk_in(self):
        return self.signup is None or self.signup.status != SIGNED_UP


@dataclass
class Sheet:
    activity: object
    rows: list[AttendanceRow]
    credits: list[tuple[Credit, User]] = field(default_factory=list)
    uncredited: list[User] = field(default_factory=list)

    @property
    def per_hour(self):
        return self.activity.activity_type.unit == PER_HOUR


@dataclass
class CreditLine:
    """What one attendee was given: ``asked`` by the rule, ``granted`` after the caps."""

    person: User
    hours: Decimal | None
    asked: Decimal
    checkin: CheckIn | None = None
    credit: Credit | None = None

    @property
    def granted(self):
        return self.credit.points if self.credit is not None else ZERO

    @property
    def cut_by(self):
        return self.asked - self.granted

    @property
    def cut_by_cap(self):
        return self.cut_by > ZERO


@dataclass
class Confirmation:
    activity: object
    lines: list[CreditLine]
    excluded: list[User] = field(default_factory=list)

    @property
    def total(self):
        return sum((line.granted for line in self.lines), ZERO)


def hours_text(hours):
    """``Decimal("1.50")`` → ``"1.5"``; ``2.00`` → ``"2"``."""
    if hours is None:
        return ""
    text = f"{Decimal(hours).quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- the sheet ------------------------------------------------------------------------

def credits_of(session, activity):
    """``(credit, person)`` pairs of the activity's credits, in the order made."""
    stmt = (select(Credit, User).join(User, User.id == Credit.user_id)
            .where(Credit.source == SOURCE, Credit.source_id == activity.id,
                   Credit.community_id == activity.community_id).order_by(Credit.id))
    return [tuple(row) for row in session.execute(stmt)]


def attendance_sheet(session, *, actor, community_id, activity_id):
    """Everyone checked in (in check-in order), then everyone signed up who did not
    check in; after confirmation, the credits made and who got none."""
    activity = staff_activity(session, actor=actor, community_id=community_id,
                              activity_id=activity_id, manage=True)
    checkins = sorted(checkins_of(session, activity), key=lambda c: (c.at, c.id))
    signups = {signup.user_id: signup for signup in signups_of(session, activity)}
    rows = [AttendanceRow(c.user, c, signups.get(c.user_id), activity.hours) for c in checkins]
    present = {c.user_id for c in checkins}
    rows += [AttendanceRow(s.user, None, s, activity.hours) for s in signups.values()
             if s.status == SIGNED_UP and s.user_id not in present]
    sheet = Sheet(activity, rows)
    if activity.status == CONFIRMED:
        sheet.credits = credits_of(session, activity)
        credited = {credit.user_id for credit, _ in sheet.credits}
        sheet.uncredited = [c.user for c in checkins if c.user_id not in credited]
    return sheet


def add_attendee(session, *, actor, community_id, activity_id, scanned, now):
    """Mark someone present by their member code after the start (the window may have
    closed: they came, but did not check in). A check-in of method ``staff``."""
    code = rules.member_code_in(scanned)
    with unit_of_work(session):
        activity = staff_activity(session, actor=actor, community_id=community_id,
                                  activity_id=activity_id, lock=True, manage=True)
        rules.ensure_attendance_open(activity, now)
        person = holder_of(session, community_id, code)
        return record_checkin(session, activity=activity, person=person, method=STAFF,
                              by=actor, now=now)


# --- confirming -----------------------------------------------------------------------

def hours_of(activity, given):
    """Hours credited under a per-hour type: as corrected, else the activity's; None
    under a per-participation type."""
    if activity.activity_type.unit != PER_HOUR:
        return None
    if given is None or (isinstance(given, str) and not given.strip()):
        if activity.hours is None:
            raise HoursError()
        return activity.hours
    return activity_rules.parse_hours(given)


def _lines(session, activity, attendees):
    """One line per attendee (by user id); each must have checked in or signed up."""
    checkins = {c.user_id: c for c in checkins_of(session, activity)}
    signed_up = {s.user_id: s for s in signups_of(session, activity) if s.status == SIGNED_UP}
    lines = []
    for entry in sorted(attendees, key=lambda item: item["user_id"]):
        user_id = entry["user_id"]
        known = checkins.get(user_id) or signed_up.get(user_id)
        if known is None:
            raise NotOnTheListError(user_id=user_id)
        hours = hours_of(activity, entry.get("hours"))
        asked = earning_rules.points_for(activity.activity_type, hours, rate=activity.points)
        lines.append(CreditLine(known.user, hours, asked, checkin=checkins.get(user_id)))
    return lines


def _lock_wallets(session, people):
    """Every attendee's wallet, locked at once in ascending id order before the first
    credit: two confirmations sharing attendees then never wait on each other in a cycle
    (``credit_work`` locks one wallet and the community's issuance account per call)."""
    lock_accounts(session, [wallets.wallet_id(session, person) for person in people])


def _notify(session, activity, line, now):
    values = {"title": activity.title, "points": format_amount(line.granted),
              "type": activity.activity_type.name, "cut": format_amount(line.cut_by)}
    if line.credit is None:
        title, body = CAPPED_TITLE, CAPPED_BODY
    else:
        title, body = CREDITED_TITLE, CREDITED_CUT_BODY if line.cut_by_cap else CREDITED_BODY
    notify(session, user=line.person, kind="credited", title=title, body=(body, values),
           link="/home", now=now)


def _credit(session, *, activity, line, actor, now):
    if line.checkin is None:  # signed up, did not check in, ticked by staff
        line.checkin = CheckIn(community_id=activity.community_id, activity_id=activity.id,
                               user_id=line.person.id, method=STAFF, by_id=actor.id, at=now)
        session.add(line.checkin)
    earned = credit_work(session, user=line.person, activity_type=activity.activity_type,
                         source=SOURCE, source_id=activity.id, work_day=rules.work_day(activity),
                         points=line.asked, hours=line.hours, rate=activity.points,
                         approved_by=actor, reason=activity.title, over_cap="cut", now=now)
    line.credit = earned.credit
    _notify(session, activity, line, now)


def summary(lines):
    """The audit log's list, in one readable line: ``王秀英#12 2h +20; 李四#13 +8 (-12)``."""
    parts = []
    for line in lines:
        part = f"{line.person.name}#{line.person.id}"
        part += f" {hours_text(line.hours)}h" if line.hours is not None else ""
        part += f" +{format_amount(line.granted)}"
        part += f" (-{format_amount(line.cut_by)})" if line.cut_by_cap else ""
        parts.append(part)
    return "; ".join(parts)


def confirm_attendance(session, *, actor, community_id, activity_id, attendees, now):
    """Credit every attendee once and mark the activity confirmed; recorded in the audit
    log with the list. ``attendees``: ``[{"user_id": …, "hours": … or None}]``.

    Raises ``ActivityConfirmedError`` the second time (nothing more is credited),
    ``ActivityNotStartedError`` before the start, ``NotOnTheListError`` for someone who
    neither checked in nor signed up, ``DuplicateAttendeeError``, ``HoursError``."""
    rules.ensure_no_duplicates([entry["user_id"] for entry in attendees])
    with unit_of_work(session):
        activity = staff_activity(session, actor=actor, community_id=community_id,
                                  activity_id=activity_id, lock=True, manage=True)
        rules.ensure_attendance_open(activity, now)
        lines = _lines(session, activity, attendees)
        _lock_wallets(session, [line.person for line in lines])
        for line in lines:
            _credit(session, activity=activity, line=line, actor=actor, now=now)
        chosen = {line.person.id for line in lines}
        excluded = [c.user for c in checkins_of(session, activity) if c.user_id not in chosen]
        _mark_confirmed(session, activity=activity, actor=actor, lines=lines,
                        excluded=excluded, now=now)
    return Confirmation(activity, lines, excluded)


def _mark_confirmed(session, *, activity, actor, lines, excluded, now):
    before = {"status": activity.status}
    activity.status, activity.confirmed_at, activity.confirmed_by_id = CONFIRMED, now, actor.id
    session.flush()
    after = {"status": CONFIRMED, "attendees": summary(lines), "count": len(lines),
             "points": format_amount(sum((line.granted for line in lines), ZERO)),
             "excluded": "; ".join(f"{p.name}#{p.id}" for p in excluded)}
    audit.record(session, actor=actor, action="activity.confirm", obj_type="activity",
                 obj_id=activity.id, before=before, after=after,
                 community_id=activity.community_id, now=now)
