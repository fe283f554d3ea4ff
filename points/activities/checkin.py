"""Use cases of member cards and check-in.

Every wallet holder (a resident, or shop staff who volunteer) has one member card: a code
of ``points.codes`` issued on first need, shown as a QR on the phone and printed on a card.
Staff check people in at an activity by scanning or typing that code; a resident checks
themselves in by opening the activity's rotating QR (see ``checkin_rules``).

A person is checked in once per activity: every check-in first locks the activity row
(``SELECT … FOR UPDATE``; on SQLite the write transaction is the one writer), then looks
for an earlier one, and ``checkin_once`` backs it in the database. A check-in of an
activity whose attendance was confirmed is refused under the same lock, so no one is
added after the points were given out.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ledger.errors import N_
from points import codes
from points.activities import checkin_rules as rules
from points.activities import rules as activity_rules
from points.activities.checkin_errors import (
    AlreadyCheckedInError, MemberCardNotFoundError, NoMemberCardError, NotAVolunteerError,
)
from points.activities.errors import ActivityNotFoundError
from points.activities.models import SIGNED_UP, Activity, CheckIn, MemberCard, SignUp
from points.activities.services import get_activity
from points.audit import services as audit
from points.auth import roles
from points.auth.models import User
from points.errors import ForbiddenError, NotFoundError
from points.extensions import unit_of_work
from points.notifications.services import notify
from points.communities.models import Grid
from points.households.models import Household
from points.residents import rules as resident_rules
from points.residents.services import ensure_registrar, resident_in_reach

MEMBER, ROTATING, STAFF = "member", "rotating", "staff"
ISSUE_ATTEMPTS = 5  # a fresh random code colliding even once is already rare

# Notifications are stored as sent, in Chinese (see points.notifications.models).
CHECKED_IN_TITLE = N_("签到成功")
CHECKED_IN_BODY = N_("您已在“%(title)s”签到，活动结束后社区确认出勤并记积分。")


@dataclass
class CheckInResult:
    """A check-in made; ``signup`` is the person's sign-up (None: a walk-in, 未报名)."""

    checkin: CheckIn
    person: User
    signup: SignUp | None
    activity: Activity

    @property
    def walk_in(self):
        return self.signup is None or self.signup.status != SIGNED_UP


@dataclass
class Desk:
    activity: Activity
    checkins: list[CheckIn]
    signed_up_ids: set


# --- member cards ---------------------------------------------------------------------

def ensure_card_holder(person):
    if person.role not in roles.WALLET_ROLES:
        raise NoMemberCardError()


def find_card(session, person):
    return session.scalar(select(MemberCard).where(
        MemberCard.user_id == person.id, MemberCard.community_id == person.community_id))


def _unused_code(session):
    """A new code no card has (a collision with a live card is retried on insert too)."""
    return codes.unused_code(session, MemberCard.code, attempts=ISSUE_ATTEMPTS)


def card_of(session, person, *, now):
    """The person's member card, issued on first need. Two first needs at once (two
    tabs) give one card: the loser of the insert finds the winner's."""
    ensure_card_holder(person)
    card = find_card(session, person)
    attempts = ISSUE_ATTEMPTS
    while card is None:
        try:
            with unit_of_work(session):
                card = find_card(session, person) or _issue(session, person, now)
        except IntegrityError:
            attempts -= 1
            if not attempts:
                raise
            card = None
    return card


def _issue(session, person, now):
    card = MemberCard(community_id=person.community_id, user_id=person.id,
                      code=_unused_code(session), issued_at=now)
    session.add(card)
    session.flush()
    return card


def card_values(card):
    return {"code": rules.masked_code(card.code), "issued_at": card.issued_at}


def resident_card(session, *, actor, community, user_id, now):
    """A resident's card, for staff who reach them (to print it); ``NotFoundError`` else."""
    person = resident_in_reach(session, actor=actor, community=community, user_id=user_id).user
    return card_of(session, person, now=now)


def reissue_card(session, *, actor, community, user_id, now):
    """Give the resident a new code: the old card stops working at once. Recorded in the
    audit log with the codes masked."""
    attempts = ISSUE_ATTEMPTS
    while True:
        try:
            with unit_of_work(session):
                return _reissue(session, actor=actor, community=community, user_id=user_id,
                                now=now)
        except IntegrityError:
            attempts -= 1
            if not attempts:
                raise


def _reissue(session, *, actor, community, user_id, now):
    person = resident_in_reach(session, actor=actor, community=community, user_id=user_id).user
    card = session.scalar(select(MemberCard).where(MemberCard.user_id == person.id)
                          .with_for_update().execution_options(populate_existing=True))
    before = card_values(card) if card is not None else None
    if card is None:
        card = _issue(session, person, now)
    else:
        card.code, card.issued_at = _unused_code(session), now
        session.flush()
    audit.record(session, actor=actor, action="member_card.reissue", obj_type="member_card",
                 obj_id=person.id, before=before, after=card_values(card),
                 community_id=community.id, now=now)
    return card


# --- a grid's cards, printed in one go ----------------------------------------------------

@dataclass
class GridCards:
    """A grid's active residents, by address and name, each with their card (None: not
    issued yet) and household."""

    grid: Grid
    people: list  # [(User, Household, MemberCard | None)]

    @property
    def carded(self):
        return [(person, home, card) for person, home, card in self.people if card is not None]

    @property
    def missing(self):
        return [person for person, _home, card in self.people if card is None]


def grid_in_reach(session, *, actor, community, grid_id):
    """The grid of ``community`` if the staff member reaches it: office staff every grid,
    a grid worker their own. ``ForbiddenError`` for other roles, ``NotFoundError`` for a
    grid out of reach (or of another community)."""
    ensure_registrar(actor, community)
    grid = session.scalar(select(Grid).where(Grid.id == grid_id, Grid.community_id == community.id))
    if grid is None or not resident_rules.reaches_grid(actor, grid.id):
        raise NotFoundError()
    return grid


def _grid_residents(community, grid):
    return (select(User, Household, MemberCard)
            .join(Household, Household.id == User.household_id)
            .outerjoin(MemberCard, MemberCard.user_id == User.id)
            .where(Household.grid_id == grid.id, User.community_id == community.id,
                   User.role == roles.RESIDENT, User.active.is_(True)))


def grid_cards(session, *, actor, community, grid_id):
    """The grid's residents with their cards, for staff who reach the grid (reads only)."""
    grid = grid_in_reach(session, actor=actor, community=community, grid_id=grid_id)
    stmt = _grid_residents(community, grid).order_by(Household.address, User.name, User.id)
    return GridCards(grid, [tuple(row) for row in session.execute(stmt)])


def issue_grid_cards(session, *, actor, community, grid_id, now):
    """Issue a member card to every active resident of the grid who has none, all in one
    transaction, and record it in the audit log; returns how many were issued. Running it
    again issues nothing; batches of one grid wait for each other (the grid row is
    locked), and one that meets a card issued meanwhile starts over."""
    attempts = ISSUE_ATTEMPTS
    while True:
        try:
            with unit_of_work(session):
                return _issue_grid_cards(session, actor=actor, community=community,
                                         grid_id=grid_id, now=now)
        except IntegrityError:
            attempts -= 1
            if not attempts:
                raise


def _issue_grid_cards(session, *, actor, community, grid_id, now):
    grid = grid_in_reach(session, actor=actor, community=community, grid_id=grid_id)
    session.scalar(select(Grid.id).where(Grid.id == grid.id).with_for_update())
    stmt = (_grid_residents(community, grid).where(MemberCard.user_id.is_(None))
            .order_by(User.id))
    people = [person for person, _home, _card in session.execute(stmt)]
    for person in people:
        _issue(session, person, now)
    if people:
        audit.record(session, actor=actor, action="member_card.issue_grid", obj_type="grid",
                     obj_id=grid.id, after={"grid_id": grid.id, "count": len(people)},
                     community_id=community.id, now=now)
    return len(people)


def holder_of(session, community_id, code):
    """The active person whose card has ``code`` in the community."""
    card = session.scalar(select(MemberCard).options(joinedload(MemberCard.user)).where(
        MemberCard.code == code, MemberCard.community_id == community_id))
    if card is None or not card.user.active:
        raise MemberCardNotFoundError()
    ensure_card_holder(card.user)
    return card.user


# --- activities and reach -------------------------------------------------------------

def ensure_staff(actor, community_id):
    if actor.role not in roles.STAFF_ROLES:
        raise ForbiddenError()
    if actor.community_id not in (None, community_id):
        raise NotFoundError()


def locked_activity(session, community_id, activity_id):
    """The activity row, locked for the rest of the transaction and read fresh."""
    activity = session.scalar(
        select(Activity).where(Activity.id == activity_id, Activity.community_id == community_id)
        .with_for_update().execution_options(populate_existing=True))
    if activity is None:
        raise ActivityNotFoundError()
    return activity


def staff_activity(session, *, actor, community_id, activity_id, lock=False, manage=False):
    """The activity if the staff member reaches it (``manage``: may change it, as for
    confirming attendance); out of reach is "not found", seen but not managed 403."""
    ensure_staff(actor, community_id)
    activity = (locked_activity(session, community_id, activity_id) if lock
                else get_activity(session, community_id, activity_id))
    if not activity_rules.reaches(actor, activity):
        raise ActivityNotFoundError()
    if manage and not activity_rules.manages(actor, activity):
        raise ForbiddenError()
    return activity


def signup_of(session, activity, person):
    return session.scalar(select(SignUp).where(SignUp.activity_id == activity.id,
                                               SignUp.user_id == person.id))


def checkin_of(session, activity, person):
    return session.scalar(select(CheckIn).where(CheckIn.activity_id == activity.id,
                                                CheckIn.user_id == person.id))


def checkins_of(session, activity):
    """Everyone checked in at the activity, latest first (people loaded)."""
    stmt = (select(CheckIn).options(joinedload(CheckIn.user))
            .where(CheckIn.activity_id == activity.id,
                   CheckIn.community_id == activity.community_id)
            .order_by(CheckIn.at.desc(), CheckIn.id.desc()))
    return list(session.scalars(stmt))


def record_checkin(session, *, activity, person, method, by, now):
    """Check ``person`` in (inside the caller's transaction, the activity locked);
    ``AlreadyCheckedInError`` the second time. Notifies the person."""
    if checkin_of(session, activity, person) is not None:
        raise AlreadyCheckedInError(person=person)
    checkin = CheckIn(community_id=activity.community_id, activity_id=activity.id,
                      user_id=person.id, method=method, by_id=by.id if by else None, at=now)
    session.add(checkin)
    try:
        session.flush()
    except IntegrityError:  # the activity lock prevents it; the constraint has the last word
        raise AlreadyCheckedInError(person=person) from None
    notify(session, user=person, kind="checked_in", title=CHECKED_IN_TITLE,
           body=(CHECKED_IN_BODY, {"title": activity.title}),
           link=f"/activities/{activity.id}", now=now)
    return CheckInResult(checkin, person, signup_of(session, activity, person), activity)


# --- check-in -------------------------------------------------------------------------

def check_in_member(session, *, actor, community_id, activity_id, scanned, now):
    """Staff check a person in by their member code (scanned ``JFM:`` text or typed),
    within the check-in window of a published activity. A wrong code is refused before
    any lookup; a person not signed up is checked in as a walk-in."""
    code = rules.member_code_in(scanned)
    with unit_of_work(session):
        activity = staff_activity(session, actor=actor, community_id=community_id,
                                  activity_id=activity_id, lock=True)
        rules.ensure_checkin_open(activity, now)
        person = holder_of(session, community_id, code)
        return record_checkin(session, activity=activity, person=person, method=MEMBER,
                              by=actor, now=now)


def verify_scan(session, *, activity_id, token, now):
    """Whether a rotating code is good right now (before the person signed in): raises
    ``ActivityNotFoundError`` or ``RotatingCodeExpiredError``. Reads only."""
    activity = session.scalar(select(Activity).where(Activity.id == activity_id)
                              .execution_options(all_communities=True))
    if activity is None:
        raise ActivityNotFoundError()
    rules.ensure_rotating_token(activity.rotation_secret, activity.id, token, now)
    return activity


def check_in_rotating(session, *, person, activity_id, token, now, seen_at=None):
    """The person checks themselves in with the rotating code their phone opened at
    ``seen_at`` (default ``now``; earlier when they had to sign in first, at most
    ``SIGN_IN_GRACE`` ago). The code and the window are judged at ``seen_at``."""
    seen_at = seen_at or now
    rules.ensure_scan_recent(seen_at, now)
    if person.role not in roles.WALLET_ROLES:
        raise NotAVolunteerError()
    with unit_of_work(session):
        activity = locked_activity(session, person.community_id, activity_id)
        rules.ensure_rotating_token(activity.rotation_secret, activity.id, token, seen_at)
        rules.ensure_checkin_open(activity, seen_at)
        return record_checkin(session, activity=activity, person=person, method=ROTATING,
                              by=None, now=now)


def screen_token(session, *, actor, community_id, activity_id, now):
    """The activity and its rotating token for the current slot (for the screen)."""
    activity = staff_activity(session, actor=actor, community_id=community_id,
                              activity_id=activity_id)
    slot = rules.slot_of(now)
    return activity, rules.rotating_token(activity.rotation_secret, activity.id, slot)


def desk(session, *, actor, community_id, activity_id):
    """What the check-in desk shows: the activity and who is checked in."""
    activity = staff_activity(session, actor=actor, community_id=community_id,
                              activity_id=activity_id)
    signed_up = select(SignUp.user_id).where(SignUp.activity_id == activity.id,
                                             SignUp.status == SIGNED_UP)
    return Desk(activity, checkins_of(session, activity), set(session.scalars(signed_up)))
