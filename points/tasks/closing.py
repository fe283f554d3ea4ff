"""Closing a task: the requester (or their proxy) confirms a done task and each volunteer
whose place is done is credited exactly once, through ``credit_work`` with
``over_cap="cut"`` (see ``points.tasks.services`` for why a cap cuts instead of refusing);
or the requester disputes it and staff decide (``points.tasks.staff``)."""
import ledger
from ledger.amounts import ZERO
from points.earning import services as earning
from points.extensions import unit_of_work
from points.residents.acting import acting_for
from points.tasks import rules
from points.tasks.errors import NotDoneYetError, NotYourRequestError, RequestNotFoundError
from points.tasks.models import CLOSED, DISPUTED, FINISHED, PUBLISHED, ServiceRequest
from points.tasks.services import add_event, locked_task, task_link, tell
from points.timeutil import local


def _requester_request(session, acting, request_id):
    """The request, if ``acting`` acts for its requester (grant live now); its task locked."""
    request = session.get(ServiceRequest, request_id)
    if request is None or request.community_id != acting.resident.community_id:
        raise RequestNotFoundError()
    acting = acting_for(session, acting.user, acting.resident.id)
    if acting.resident.id != request.requester_id:
        raise NotYourRequestError()
    return request


def confirm_request(session, *, acting, request_id, rating=None, comment="",
                    idempotency_key=None, now):
    """The requester (or their proxy) confirms a done task, with an optional rating
    (1–5) and comment: the volunteers are credited (see the module doc) and the task
    closes. The same ``idempotency_key`` again returns the task and moves nothing.

    Raises ``RequestNotFoundError``, ``NotYourRequestError`` (403),
    ``AlreadyConfirmedError`` and ``NotDoneYetError`` (409), ``RatingInvalidError``.
    """
    rating = rules.parse_rating(rating)
    comment = rules.clean_reason(comment, required=False)
    with unit_of_work(session):
        request = _requester_request(session, acting, request_id)
        task = _locked_task_of(session, request)
        if idempotency_key and task.confirm_key == idempotency_key:
            return task
        rules.ensure_confirmable(task)
        task.rating, task.rating_comment, task.confirm_key = rating, comment, idempotency_key
        close_with_credits(session, task, confirmer=acting.resident, proxy_id=acting.proxy_id,
                           now=now, note=comment)
    return task


def _locked_task_of(session, request):
    if request.status != PUBLISHED or request.task is None:
        raise NotDoneYetError()
    return locked_task(session, request.task.id)


def close_with_credits(session, task, *, confirmer, proxy_id=None, now, note=""):
    """Mark ``task`` confirmed by ``confirmer``, credit each volunteer whose place is done
    (exactly once, caps cut), close it and tell everyone. Inside the caller's transaction,
    with the task locked."""
    task.confirmed_at, task.confirmed_by_id = now, confirmer.id
    add_event(session, task.request, "confirmed", task=task, actor=confirmer, note=note, now=now)
    credit_volunteers(session, task, approved_by=confirmer, proxy_id=proxy_id, now=now)
    close(session, task, actor=confirmer, now=now)


def credit_volunteers(session, task, *, approved_by, proxy_id=None, now):
    for place in task.active_assignments:
        if place.status != FINISHED:
            continue
        earned = earning.credit_work(
            session, user=place.volunteer, activity_type=task.activity_type, source="task",
            source_id=task.id, work_day=local(place.done_at).date(), points=task.points,
            approved_by=approved_by, reason=f"点单任务：{task.title}", over_cap="cut",
            proxy_id=proxy_id, now=now)
        credited = earned.credit.points if earned.credit is not None else ZERO
        place.credit_id = earned.credit.id if earned.credit is not None else None
        place.points_awarded = credited
        _tell_credited(session, task, place, credited, now)
    session.flush()


def _tell_credited(session, task, place, credited, now):
    if rules.award_cut(task.points, credited):
        tell(session, place.volunteer, "cut", task_link(task), now, title=task.title,
             offered=ledger.format_amount(task.points), points=ledger.format_amount(credited),
             type=task.activity_type.name)
    else:
        tell(session, place.volunteer, "credited", task_link(task), now, title=task.title,
             points=ledger.format_amount(credited))


def close(session, task, *, actor, now):
    task.status, task.closed_at = CLOSED, now
    add_event(session, task.request, "closed", task=task, actor=actor, now=now)


def dispute_request(session, *, acting, request_id, reason, now):
    """The requester's side says a done task was not done properly (a reason is
    required): no points move; the volunteers are told and staff decide."""
    reason = rules.clean_reason(reason)
    with unit_of_work(session):
        request = _requester_request(session, acting, request_id)
        task = _locked_task_of(session, request)
        rules.ensure_confirmable(task)
        task.status, task.dispute_reason, task.disputed_at = DISPUTED, reason, now
        add_event(session, request, "disputed", task=task, actor=acting.resident, note=reason,
                  now=now)
        for place in task.active_assignments:
            tell(session, place.volunteer, "disputed", task_link(task), now, title=task.title,
                 reason=reason)
    return task
