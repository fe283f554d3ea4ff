"""JSON API of activities (events) and sign-ups under ``/api/v1``.

Residents and shop staff list events, sign up and withdraw; a 亲情代理 proxy passes
``acting_for`` (the resident's id). Withdrawing is ``DELETE /events/{id}/signups/me``:
"my" sign-up is a resource the person can remove, and it needs no body. Staff create an
event (a draft) and publish it.
"""
from flask import g

from points.activities import services
from points.activities.rules import ORGANISER_ROLES, VOLUNTEER_ROLES
from points.activities.schemas import (ActingIn, EventIn, EventListOut, EventListQueryIn,
                                       EventOut, SignUpOut, WithdrawalOut)
from points.api import Blueprint, token_required
from points.api.idempotency import idempotent
from points.api.schemas import ErrorOut
from points.extensions import db
from points.residents.acting import acting_for
from points.timeutil import utcnow

blp = Blueprint("api_activities", __name__, url_prefix="/api/v1",
                description="Activities (events) and sign-ups with a waitlist")
BEARER = [{"bearer": []}]


@blp.get("/events")
@token_required()
@blp.arguments(EventListQueryIn, location="query", as_kwargs=True)
@blp.response(200, EventListOut)
@blp.doc(security=BEARER)
def list_events(page, limit, acting_for=None):
    """Published events of your community that have not ended, soonest first, with places
    left and your own status (``my_status``, ``my_position`` on the waitlist)."""
    person = _acting(acting_for).resident
    rows, has_next = services.browse_activities(
        db.session, person=person, community_id=g.user.community_id, now=utcnow(), page=page,
        page_size=limit)
    return {"events": rows, "next_page": page + 1 if has_next else None}


@blp.get("/events/<int:event_id>")
@token_required()
@blp.arguments(ActingIn, location="query", as_kwargs=True)
@blp.response(200, EventOut)
@blp.alt_response(404, schema=ErrorOut, description="Unknown, another community's, or a draft")
@blp.doc(security=BEARER)
def get_event(event_id, acting_for=None):
    """One event. Staff also see drafts within their reach."""
    return services.event_for(db.session, user=g.user, community_id=g.user.community_id,
                              activity_id=event_id, person=_acting(acting_for).resident)


@blp.post("/events/<int:event_id>/signups")
@token_required(*VOLUNTEER_ROLES)
@idempotent
@blp.arguments(ActingIn, as_kwargs=True)
@blp.response(201, SignUpOut)
@blp.alt_response(404, schema=ErrorOut, description="Unknown event or another community's")
@blp.alt_response(409, schema=ErrorOut, description="Already signed up or on the waitlist")
@blp.alt_response(422, schema=ErrorOut, description="Started, cancelled, or not published")
@blp.doc(security=BEARER)
def sign_up(event_id, acting_for=None):
    """Sign up; when the event is full you are put on the waitlist (``status``
    ``waitlisted``, ``position`` 1 = next in line) and move up automatically."""
    return services.sign_up(db.session, acting=_acting(acting_for),
                            community_id=g.user.community_id, activity_id=event_id, now=utcnow())


@blp.delete("/events/<int:event_id>/signups/me")
@token_required(*VOLUNTEER_ROLES)
@idempotent
@blp.arguments(ActingIn, location="query", as_kwargs=True)
@blp.response(200, WithdrawalOut)
@blp.alt_response(404, schema=ErrorOut, description="No live sign-up, or unknown event")
@blp.alt_response(422, schema=ErrorOut, description="The event has started")
@blp.doc(security=BEARER)
def withdraw(event_id, acting_for=None):
    """Give back your place (or waitlist place) before the start; the first on the
    waitlist moves up at once. Returns the cancelled sign-up."""
    return services.cancel_signup(db.session, acting=_acting(acting_for),
                                  community_id=g.user.community_id, activity_id=event_id,
                                  now=utcnow())


@blp.post("/events")
@token_required(*ORGANISER_ROLES)
@blp.arguments(EventIn)
@blp.response(201, EventOut)
@blp.doc(security=BEARER)
def create_event(data):
    """Staff: create an event as a draft (residents do not see it until published)."""
    activity = services.create_activity(db.session, actor=g.user, community_id=g.user.community_id,
                                        values=data, now=utcnow())
    return services.event_row(db.session, g.user, activity)


@blp.post("/events/<int:event_id>/publish")
@token_required(*ORGANISER_ROLES)
@blp.response(200, EventOut)
@blp.doc(security=BEARER)
def publish_event(event_id):
    """Staff: publish a draft; refused once its start has passed."""
    activity = services.publish_activity(db.session, actor=g.user,
                                         community_id=g.user.community_id,
                                         activity_id=event_id, now=utcnow())
    return services.event_row(db.session, g.user, activity)


def _acting(resident_id):
    return acting_for(db.session, g.user, resident_id)
