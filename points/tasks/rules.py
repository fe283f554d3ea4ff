"""Pure rules of requests and tasks: what a request holds, the promise, who may do what,
how a task's status follows from its volunteers' places, and the figures' medians."""
import statistics
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from ledger.amounts import ZERO, format_amount
from ledger.errors import N_, InvalidAmountError
from ledger import to_points
from points.tasks.errors import (AlreadyClaimedError, AlreadyConfirmedError, AlreadyDisputedError,
                                 AlreadyReviewedError,
                                 CategoryUnknownError, DeadlineInvalidError,
                                 MessageEmptyError, MessageTooLongError, NotClaimedError,
                                 NotDisputedError, NotDoneYetError, OfferedPointsInvalidError,
                                 OwnHouseholdRequestError, OwnRequestError, PlaceMissingError,
                                 PointsAboveCapError, RatingInvalidError, ReasonMissingError,
                                 ReasonTooLongError, RequestDescriptionMissingError,
                                 RequestDescriptionTooLongError, StepNotAllowedError,
                                 TaskFullError, TaskNotOpenError, TextTooLongError,
                                 TitleMissingError, VolunteersNeededInvalidError)
from points.tasks.models import (ACTIVE_ASSIGNMENTS, CANCELLED, CATEGORIES, CLAIMED, CLOSED,
                                 DECLINED, DISPUTED, DONE, FINISHED, IN_PROGRESS, MERGED, OPEN,
                                 PUBLISHED, RECEIVED, STARTED, TAKEN)

DESCRIPTION_LIMIT = 500
PLACE_LIMIT = 120  # service_requests.place
PREFERRED_TIME_LIMIT = 60  # service_requests.preferred_time
REASON_LIMIT = 200
TITLE_LIMIT = 60  # tasks.title
MESSAGE_LIMIT = 200  # task_messages.body
MAX_PHOTOS = 3
MAX_POINTS = 1000
MAX_VOLUNTEERS = 20  # tasks.volunteers_needed CHECK
MAX_DEADLINE_DAYS = 90

# The community's promise: every request is reviewed (published, merged or declined)
# within a day, an urgent one within two hours. One promise for every community until
# communities get their own setting.
PROMISE_MINUTES = 24 * 60
URGENT_PROMISE_MINUTES = 2 * 60

CATEGORY_LABELS = {
    "escort": N_("陪同就医"), "meals": N_("送餐送药"), "errands": N_("代买代办"),
    "repair": N_("维修求助"), "environment": N_("环境问题"), "dispute": N_("邻里纠纷"),
    "other": N_("其他"),
}
# What the requester reads as where their request stands (``stage``).
STAGE_LABELS = {
    RECEIVED: N_("待社区处理"), DECLINED: N_("未受理"), MERGED: N_("已合并"),
    OPEN: N_("等志愿者接单"), CLAIMED: N_("已有志愿者接单"), IN_PROGRESS: N_("正在办理"),
    DONE: N_("志愿者说办好了，待确认"), DISPUTED: N_("有异议，社区处理中"),
    CLOSED: N_("已办结"), CANCELLED: N_("已取消"),
}
EVENT_LABELS = {
    "received": N_("点单已收到"), "routed": N_("已转给网格"), "published": N_("已发布为任务"),
    "declined": N_("未受理"), "merged": N_("与相同的点单合并"), "claimed": N_("志愿者接单"),
    "released": N_("志愿者取消接单"), "reassigned": N_("社区调整了志愿者"),
    "started": N_("志愿者开始办理"), "done": N_("志愿者说已办好"),
    "confirmed": N_("确认办好"), "disputed": N_("提出异议"), "decided": N_("社区处理了异议"),
    "closed": N_("已办结"), "cancelled": N_("任务取消"),
}
ASSIGNMENT_LABELS = {TAKEN: N_("已接单"), STARTED: N_("办理中"), FINISHED: N_("已办好"),
                     "released": N_("已取消接单"), "removed": N_("已被社区调整")}
WORKING = (OPEN, CLAIMED, IN_PROGRESS)  # tasks volunteers are still working on


# Filing


def clean_text(value):
    return " ".join(str(value or "").split())


def clean_paragraphs(value):
    """Each line's spaces collapsed, blank lines dropped (line breaks kept)."""
    lines = (" ".join(line.split()) for line in str(value or "").splitlines())
    return "\n".join(line for line in lines if line)


def ensure_category(category):
    if category not in CATEGORIES:
        raise CategoryUnknownError()


def clean_description(value):
    text = clean_paragraphs(value)
    if not text:
        raise RequestDescriptionMissingError()
    if len(text) > DESCRIPTION_LIMIT:
        raise RequestDescriptionTooLongError(limit=DESCRIPTION_LIMIT)
    return text


def clean_place(value):
    """Where help is needed: required (a volunteer must know where to go)."""
    text = clean_text(value)
    if not text:
        raise PlaceMissingError()
    if len(text) > PLACE_LIMIT:
        raise TextTooLongError(field=N_("地点"), limit=PLACE_LIMIT)
    return text


def clean_preferred_time(value):
    text = clean_text(value)
    if len(text) > PREFERRED_TIME_LIMIT:
        raise TextTooLongError(field=N_("什么时候方便"), limit=PREFERRED_TIME_LIMIT)
    return text


def promise_minutes(urgent):
    return URGENT_PROMISE_MINUTES if urgent else PROMISE_MINUTES


def minutes_between(start, end):
    """Whole minutes from ``start`` to ``end`` (rounded down, never negative)."""
    return max(int((end - start).total_seconds() // 60), 0)


# Reviewing


def ensure_received(request):
    if request.status != RECEIVED:
        raise AlreadyReviewedError()


def clean_reason(value, required=True):
    text = clean_text(value)
    if required and not text:
        raise ReasonMissingError()
    if len(text) > REASON_LIMIT:
        raise ReasonTooLongError(limit=REASON_LIMIT)
    return text


def clean_title(value):
    text = clean_text(value)
    if not text or len(text) > TITLE_LIMIT:
        raise TitleMissingError(limit=TITLE_LIMIT)
    return text


def parse_points(value):
    """Points offered: a whole number from 1 to ``MAX_POINTS``."""
    try:
        points = to_points(value)
    except InvalidAmountError:
        raise OfferedPointsInvalidError(limit=MAX_POINTS) from None
    if points > MAX_POINTS:
        raise OfferedPointsInvalidError(limit=MAX_POINTS)
    return points


def ensure_points_within_type(activity_type, points):
    """Offering more than the type's daily cap promises what can never be credited."""
    if activity_type.daily_cap is not None and points > activity_type.daily_cap:
        raise PointsAboveCapError(type=activity_type.name,
                                  cap=format_amount(activity_type.daily_cap))


def parse_volunteers_needed(value):
    try:
        needed = int(str(value).strip())
    except (TypeError, ValueError):
        raise VolunteersNeededInvalidError(limit=MAX_VOLUNTEERS) from None
    if isinstance(value, (bool, float)) or not 1 <= needed <= MAX_VOLUNTEERS:
        raise VolunteersNeededInvalidError(limit=MAX_VOLUNTEERS)
    return needed


def ensure_deadline(deadline, now):
    """An aware moment after ``now`` and at most ``MAX_DEADLINE_DAYS`` ahead."""
    if deadline is None or deadline.tzinfo is None:
        raise DeadlineInvalidError(days=MAX_DEADLINE_DAYS)
    if not now < deadline <= now + timedelta(days=MAX_DEADLINE_DAYS):
        raise DeadlineInvalidError(days=MAX_DEADLINE_DAYS)


def default_deadline(urgent, now):
    """What the publish form proposes: four hours for an urgent need, else two days,
    on the hour."""
    ahead = now + (timedelta(hours=4) if urgent else timedelta(days=2))
    return ahead.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def is_mergeable_into(duplicate, kept):
    """A request merges into another of the community still being handled."""
    return (kept is not None and kept.id != duplicate.id
            and kept.community_id == duplicate.community_id
            and kept.status in (RECEIVED, PUBLISHED)
            and (kept.task is None or kept.task.status not in (CLOSED, CANCELLED)))


# Claiming and working


def ensure_not_own(request, volunteer):
    """Nobody claims their own request, one they filed as proxy, or their household's."""
    if volunteer.id in (request.requester_id, request.filed_by_id):
        raise OwnRequestError()
    if volunteer.household_id is not None and volunteer.household_id == request.household_id:
        raise OwnHouseholdRequestError()


def ensure_claimable(task, assignment):
    """Still being worked on, a place left, and not already held by this volunteer."""
    if task.status not in WORKING:
        raise TaskNotOpenError()
    if assignment is not None and assignment.status in ACTIVE_ASSIGNMENTS:
        raise AlreadyClaimedError()
    if task.claimed_count >= task.volunteers_needed:
        raise TaskFullError()


def ensure_holds_place(assignment):
    if assignment is None or assignment.status not in ACTIVE_ASSIGNMENTS:
        raise NotClaimedError()


def ensure_step(task, assignment, allowed_from):
    """The volunteer's place is in one of ``allowed_from`` and the task still worked on."""
    ensure_holds_place(assignment)
    if task.status not in WORKING or assignment.status not in allowed_from:
        raise StepNotAllowedError(state=ASSIGNMENT_LABELS[assignment.status])


def status_after(task):
    """The task's working status from its volunteers' places."""
    active = task.active_assignments
    if active and all(a.status == FINISHED for a in active):
        return DONE
    if any(a.status in (STARTED, FINISHED) for a in active):
        return IN_PROGRESS
    return CLAIMED if task.claimed_count >= task.volunteers_needed else OPEN


def is_overdue(task, now):
    return task.status in WORKING and task.deadline <= now


# Messages


def clean_message(value):
    text = clean_paragraphs(value)
    if not text:
        raise MessageEmptyError()
    if len(text) > MESSAGE_LIMIT:
        raise MessageTooLongError(limit=MESSAGE_LIMIT)
    return text


# Closing


def ensure_confirmable(task):
    if task.status in (CLOSED, CANCELLED) or task.confirmed_at is not None:
        raise AlreadyConfirmedError()
    if task.status == DISPUTED:
        raise AlreadyDisputedError()
    if task.status != DONE:
        raise NotDoneYetError()


def ensure_disputed(task):
    if task.status != DISPUTED:
        raise NotDisputedError()


def parse_rating(value):
    """A rating from 1 to 5, or None when not given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (bool, float)):
        raise RatingInvalidError()
    try:
        rating = int(str(value).strip())
    except ValueError:
        raise RatingInvalidError() from None
    if not 1 <= rating <= 5:
        raise RatingInvalidError()
    return rating


def stage(request):
    """Where the request stands, as a key of ``STAGE_LABELS``."""
    if request.status == PUBLISHED and request.task is not None:
        return request.task.status
    return request.status


# Figures


def median_minutes(durations):
    """The median of ``timedelta``s in whole minutes (rounded half up); None if none."""
    if not durations:
        return None
    seconds = statistics.median(max(int(d.total_seconds()), 0) for d in durations)
    return int((Decimal(seconds) / 60).to_integral_value(rounding=ROUND_HALF_UP))


def duration_text_parts(minutes):
    """``(days, hours, minutes)`` of a number of minutes, for the page to word."""
    if minutes is None:
        return None
    days, rest = divmod(int(minutes), 24 * 60)
    return days, rest // 60, rest % 60


def award_cut(asked, granted):
    """Whether the caps cut an award (``granted`` None: nothing was credited)."""
    return (granted if granted is not None else ZERO) < asked
