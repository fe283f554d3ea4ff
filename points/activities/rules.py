"""Pure rules of activities and sign-ups: who organises what, clean values, sane times,
and when sign-ups open and close.

Reach of staff (documented in the README of the feature, and here as the one truth):
office staff (``OFFICE_ROLES``) reach and manage every activity of their community. A grid
worker creates activities only in their own grids; they manage (edit, publish, cancel)
those, and *see* community-wide activities too (no grid: they help at check-in there) but
do not manage them. Anything else is out of their reach: "not found".
"""
from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from ledger.amounts import ZERO, to_points
from ledger.errors import InvalidAmountError
from points.activities.errors import (
    ActivityCancelledError, CancelAfterStartError, CapacityError, CheckinClosesOutOfRangeError,
    CheckinOpensOutOfRangeError, CheckinWindowOrderError, DescriptionTooLongError,
    EndsBeforeStartError, HoursError, NotCancellableError, NotDraftError, PlaceMissingError,
    PlaceTooLongError, PointsError, ReasonTooLongError, SignUpsClosedError,
    StartsInThePastError, TimeMissingError, TitleMissingError, TitleTooLongError, TooLongError,
)
from points.activities.models import CANCELLED, CONFIRMED, DRAFT, PUBLISHED
from points.auth import roles
from points.earning.models import PER_HOUR

TITLE_LIMIT = 80  # activities.title
PLACE_LIMIT = 120  # activities.place
DESCRIPTION_LIMIT = 2000
REASON_LIMIT = 200
CAPACITY_LIMIT = 2000
MAX_HOURS = 24
LONGEST = timedelta(hours=MAX_HOURS)
# The programme's habit: check-in opens half an hour before the start, until the end.
CHECKIN_LEAD = timedelta(minutes=30)
# How far the window may reach beyond the activity (people come early, forms come late).
WINDOW_MARGIN_HOURS = 3
WINDOW_MARGIN = timedelta(hours=WINDOW_MARGIN_HOURS)
HOURS_QUANTUM = Decimal("0.01")
HALF_HOUR = Decimal("0.5")
ORGANISER_ROLES = roles.OFFICE_ROLES | {roles.GRID_WORKER}
VOLUNTEER_ROLES = roles.WALLET_ROLES
# What residents may see: a draft exists only for staff.
VISIBLE_STATUSES = (PUBLISHED, CANCELLED, CONFIRMED)


# --- who ------------------------------------------------------------------------------

def is_office(actor):
    return actor.role in roles.OFFICE_ROLES


def may_organise(actor):
    return actor.role in ORGANISER_ROLES


def may_volunteer(person):
    return person.role in VOLUNTEER_ROLES


def own_grid_ids(actor):
    return {grid.id for grid in actor.grids}


def reaches(actor, activity):
    """Office staff see every activity; a grid worker those of their grids and the
    community-wide ones."""
    return is_office(actor) or activity.grid_id is None or activity.grid_id in own_grid_ids(actor)


def manages(actor, activity):
    """Office staff manage every activity; a grid worker only those of their own grids."""
    return is_office(actor) or (activity.grid_id is not None
                                and activity.grid_id in own_grid_ids(actor))


# --- values ---------------------------------------------------------------------------

def clean_text(value):
    """Spaces collapsed. Unlike names and addresses, no NFKC: a title keeps its Chinese
    punctuation （full-width brackets）."""
    return " ".join(str(value if value is not None else "").split())


def clean_title(title):
    title = clean_text(title)
    if not title:
        raise TitleMissingError()
    if len(title) > TITLE_LIMIT:
        raise TitleTooLongError(limit=TITLE_LIMIT)
    return title


def clean_place(place):
    place = clean_text(place)
    if not place:
        raise PlaceMissingError()
    if len(place) > PLACE_LIMIT:
        raise PlaceTooLongError(limit=PLACE_LIMIT)
    return place


def clean_description(description):
    # Line breaks are kept: a description is often a short list of what to bring.
    text = "\n".join(line.strip() for line in str(description or "").strip().splitlines())
    if len(text) > DESCRIPTION_LIMIT:
        raise DescriptionTooLongError(limit=DESCRIPTION_LIMIT)
    return text


def clean_reason(reason):
    reason = clean_text(reason)
    if len(reason) > REASON_LIMIT:
        raise ReasonTooLongError(limit=REASON_LIMIT)
    return reason


def clean_capacity(capacity):
    if isinstance(capacity, bool):
        raise CapacityError(limit=CAPACITY_LIMIT)
    try:
        number = int(str(capacity).strip())
    except ValueError:
        raise CapacityError(limit=CAPACITY_LIMIT) from None
    if not 1 <= number <= CAPACITY_LIMIT:
        raise CapacityError(limit=CAPACITY_LIMIT)
    return number


def activity_points(points, activity_type):
    """The points the activity offers: whole and positive; empty means the type's."""
    if points is None or (isinstance(points, str) and not points.strip()):
        return Decimal(activity_type.points)
    try:
        return to_points(points)
    except InvalidAmountError:
        raise PointsError() from None


def default_hours(starts_at, ends_at):
    """The activity's length in hours, rounded down to the half hour (at least half)."""
    length = Decimal((ends_at - starts_at).total_seconds()) / Decimal(3600)
    halves = (length / HALF_HOUR).to_integral_value(rounding=ROUND_FLOOR)
    return max(halves * HALF_HOUR, HALF_HOUR).quantize(HOURS_QUANTUM)


def activity_hours(hours, activity_type, starts_at, ends_at):
    """Hours credited per attendee under a per-hour type (empty: the activity's length);
    None under a per-participation type."""
    if activity_type.unit != PER_HOUR:
        return None
    if hours is None or (isinstance(hours, str) and not hours.strip()):
        return default_hours(starts_at, ends_at)
    return parse_hours(hours)


def parse_hours(hours):
    if isinstance(hours, (bool, float)):
        raise HoursError()
    try:
        value = Decimal(str(hours).strip())
    except InvalidOperation:
        raise HoursError() from None
    if not value.is_finite() or not ZERO < value <= MAX_HOURS or value != value.quantize(
            HOURS_QUANTUM):
        raise HoursError()
    return value.quantize(HOURS_QUANTUM)


# --- time -----------------------------------------------------------------------------

def ensure_times(starts_at, ends_at):
    if starts_at is None or ends_at is None:
        raise TimeMissingError()
    if ends_at <= starts_at:
        raise EndsBeforeStartError()
    if ends_at - starts_at > LONGEST:
        raise TooLongError(hours=MAX_HOURS)


def checkin_window(starts_at, ends_at, opens_at=None, closes_at=None):
    """``(opens, closes)``: as given, or 30 minutes before the start until the end;
    refused unless it overlaps the activity and stays within 3 hours of it."""
    opens_at = opens_at or starts_at - CHECKIN_LEAD
    closes_at = closes_at or ends_at
    if closes_at <= opens_at:
        raise CheckinWindowOrderError()
    if not starts_at - WINDOW_MARGIN <= opens_at < ends_at:
        raise CheckinOpensOutOfRangeError(hours=WINDOW_MARGIN_HOURS)
    if not starts_at < closes_at <= ends_at + WINDOW_MARGIN:
        raise CheckinClosesOutOfRangeError(hours=WINDOW_MARGIN_HOURS)
    return opens_at, closes_at


# --- status ---------------------------------------------------------------------------

def ensure_draft(activity):
    if activity.status != DRAFT:
        raise NotDraftError()


def ensure_publishable(activity, now):
    ensure_draft(activity)
    if activity.starts_at <= now:
        raise StartsInThePastError()


def ensure_cancellable(activity):
    if activity.status not in (DRAFT, PUBLISHED):
        raise NotCancellableError()


def has_started(activity, now):
    return activity.starts_at <= now


def ensure_open_for_signups(activity, now):
    """Published and not yet started: sign-ups close at the start time."""
    if activity.status == CANCELLED:
        raise ActivityCancelledError()
    if activity.status != PUBLISHED or has_started(activity, now):
        raise SignUpsClosedError()


def ensure_withdrawable(activity, now):
    """A place may be given back until the start; after it, attendance decides."""
    if activity.status == CANCELLED:
        raise ActivityCancelledError()
    if activity.status != PUBLISHED or has_started(activity, now):
        raise CancelAfterStartError()


def places_left(capacity, signed_up):
    return max(capacity - signed_up, 0)


def is_full(capacity, signed_up):
    return signed_up >= capacity
