"""Pure rules of claims: what a filing must hold, who may decide, and response times."""
import statistics
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ledger.amounts import ZERO
from ledger.errors import N_, InvalidAmountError
from ledger import to_points
from points.claims.errors import (AdjustedPointsInvalidError, AdjustReasonMissingError,
                                  ClaimAlreadyDecidedError, DescriptionMissingError,
                                  DescriptionTooLongError, HoursInvalidError,
                                  LocationMissingError, LocationTooLongError,
                                  OwnClaimError, OwnHouseholdClaimError, PhotoRequiredError,
                                  ProxiedClaimError, ReasonTooLongError,
                                  RejectReasonMissingError, SameApproverTwiceError,
                                  TooManyPhotosError, WorkDayInFutureError, WorkDayMissingError,
                                  WorkDayTooOldError)
from points.claims.models import APPROVED, PENDING, REJECTED, SECOND_REVIEW
from points.earning.errors import HoursRequiredError
from points.earning.models import PER_HOUR
from points.timeutil import local

# Work is filed while it is remembered and checkable: a month back at most. Older work
# goes to the office in person (staff can still credit it another way).
MAX_AGE_DAYS = 30
DESCRIPTION_LIMIT = 500
LOCATION_LIMIT = 120  # claims.location
REASON_LIMIT = 200  # claims.reject_reason, claim_decisions.reason
MAX_PHOTOS = 3
MAX_HOURS = Decimal("24")
HOURS_QUANTUM = Decimal("0.01")  # the Amount column keeps hundredths
PROMISE_MINUTES = 15  # the programme answers every report within 15 minutes
RESPONSE_WINDOW = timedelta(days=30)
OPEN_STATUSES = (PENDING, SECOND_REVIEW)
STATUS_LABELS = {PENDING: N_("待审核"), SECOND_REVIEW: N_("待复核"), APPROVED: N_("已通过"),
                 REJECTED: N_("未通过")}


def local_today(now):
    return local(now).date()


def ensure_work_day(work_day, today):
    """Not in the future, not older than ``MAX_AGE_DAYS`` (local calendar days)."""
    if work_day is None:
        raise WorkDayMissingError()
    if work_day > today:
        raise WorkDayInFutureError()
    if work_day < today - timedelta(days=MAX_AGE_DAYS):
        raise WorkDayTooOldError(days=MAX_AGE_DAYS)


def parse_hours(value):
    """Hours as a Decimal (None when not given); 0 < hours ≤ 24, hundredths at most."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (float, bool)):
        raise HoursInvalidError()
    try:
        hours = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise HoursInvalidError() from None
    if not hours.is_finite() or not ZERO < hours <= MAX_HOURS:
        raise HoursInvalidError()
    if hours != hours.quantize(HOURS_QUANTUM):
        raise HoursInvalidError()
    return hours


def ensure_hours_given(activity_type, hours):
    if activity_type.unit == PER_HOUR and hours is None:
        raise HoursRequiredError()


def clean_paragraphs(value):
    """Each line's spaces collapsed, blank lines dropped (line breaks kept)."""
    lines = (" ".join(line.split()) for line in str(value or "").splitlines())
    return "\n".join(line for line in lines if line)


def clean_description(value):
    text = clean_paragraphs(value)
    if not text:
        raise DescriptionMissingError()
    if len(text) > DESCRIPTION_LIMIT:
        raise DescriptionTooLongError(limit=DESCRIPTION_LIMIT)
    return text


def clean_location(activity_type, value):
    """A place, required for types that need one (微街长 hazard reports)."""
    text = " ".join(str(value or "").split())
    if activity_type.location_required and not text:
        raise LocationMissingError()
    if len(text) > LOCATION_LIMIT:
        raise LocationTooLongError(limit=LOCATION_LIMIT)
    return text


def ensure_photo_count(count):
    if count > MAX_PHOTOS:
        raise TooManyPhotosError(limit=MAX_PHOTOS)


def ensure_photos_given(activity_type, count):
    if activity_type.photo_required and count == 0:
        raise PhotoRequiredError()


# Decisions


def ensure_no_conflict(claim, approver):
    """Nobody decides on their own claim, their household's, or one they filed as proxy."""
    if approver.id == claim.user_id:
        raise OwnClaimError()
    if approver.household_id is not None and approver.household_id == claim.household_id:
        raise OwnHouseholdClaimError()
    if approver.id == claim.filed_by_id:
        raise ProxiedClaimError()


def ensure_open_for(claim, approver):
    """Pending, or in second review by someone other than its first approver."""
    if claim.status not in OPEN_STATUSES:
        raise ClaimAlreadyDecidedError()
    if any(decision.approver_id == approver.id for decision in claim.decisions):
        raise SameApproverTwiceError()


def needs_second_approval(activity_type, points):
    """An award above the type's threshold needs a second, different approver."""
    threshold = activity_type.second_approval_above
    return threshold is not None and Decimal(points) > threshold


def points_proposed(claim):
    """What an approver confirms by default: the rule's points, or in second review the
    first approver's (adjusted) points."""
    if claim.status == SECOND_REVIEW:
        approvals = [d for d in claim.decisions if d.decision == "approve"]
        if approvals:
            return approvals[-1].points
    return claim.points_asked


def parse_points(value):
    """An approver's points: a whole number above zero (None: not given)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return to_points(value)
    except InvalidAmountError:
        raise AdjustedPointsInvalidError() from None


def clean_reason(value, missing_error):
    text = " ".join(str(value or "").split())
    if not text and missing_error is not None:
        raise missing_error()
    if len(text) > REASON_LIMIT:
        raise ReasonTooLongError(limit=REASON_LIMIT)
    return text


def adjust_note(proposed, points, note):
    """The note as cleaned; a change of the proposed points needs a reason."""
    return clean_reason(note, AdjustReasonMissingError if points != proposed else None)


def reject_reason(value):
    return clean_reason(value, RejectReasonMissingError)


# Response time


def minutes_between(start, end):
    """Whole minutes from ``start`` to ``end`` (rounded down, never negative)."""
    return max(int((end - start).total_seconds() // 60), 0)


def median_minutes(durations):
    """The median of ``timedelta``s in whole minutes (rounded to nearest); None if none."""
    if not durations:
        return None
    seconds = statistics.median(int(duration.total_seconds()) for duration in durations)
    return int((Decimal(seconds) / 60).to_integral_value(rounding=ROUND_HALF_UP))


def within_promise(minutes):
    return minutes is not None and minutes <= PROMISE_MINUTES
