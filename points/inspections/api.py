"""``/api/v1/inspections``: a grid's household scores for a month, scoring them (the same
month again changes nothing) and correcting one (office staff, with a reason)."""
from dataclasses import dataclass

from flask import g

from points.api import Blueprint, token_required
from points.api.idempotency import idempotent
from points.auth.roles import STAFF_ROLES
from points.extensions import db
from points.inspections import services
from points.inspections.models import InspectionScore
from points.inspections.schemas import (CorrectionIn, InspectionIn, SavedOut, ScoreOut,
                                        SheetOut, SheetQueryIn)
from points.timeutil import utcnow

blp = Blueprint("api_inspections", __name__, url_prefix="/api/v1",
                description="文明积分: monthly household inspections per grid")


@blp.get("/inspections")
@token_required(*STAFF_ROLES)
@blp.arguments(SheetQueryIn, location="query", as_kwargs=True)
@blp.response(200, SheetOut)
@blp.doc(security=[{"bearer": []}])
def sheet(grid_id, month):
    """Scores of a grid's households for a month, and the households not scored yet.

    Office staff see every grid of their community; a grid worker only their own (another
    grid is 404). A future month is refused (422).
    """
    found = services.grid_sheet(db.session, actor=g.user, now=utcnow(), grid_id=grid_id,
                                month=month, community=services.acting_community(
                                    db.session, g.user, grid_id=grid_id))
    return {"grid": found.grid, "month": found.month, "policy": found.policy,
            "scored": found.scored,
            "pending": [row.household for row in found.rows if row.score is None]}


@dataclass
class Result:
    """A score as ``ResultOut`` shows it: the score's fields, and whether this call made it."""

    score: InspectionScore
    created: bool

    def __getattr__(self, name):  # only for names the dataclass does not have
        return getattr(self.score, name)


def saved_body(scored):
    results = [Result(score, score.id in scored.created_ids) for score in scored.results]
    return {"inspection_id": scored.inspection.id, "grid_id": scored.inspection.grid_id,
            "month": scored.inspection.month, "results": results}


@blp.post("/inspections")
@token_required(*STAFF_ROLES)
@idempotent
@blp.arguments(InspectionIn)
@blp.response(201, SavedOut)
@blp.alt_response(200, schema=SavedOut, description="Every household was scored before: "
                  "the existing results, nothing moved.")
@blp.doc(security=[{"bearer": []}])
def create(data):
    """Score households of a grid for a month (each item 0–10).

    A pass (each item at least 6 and 24 in all, unless the community set otherwise)
    credits the household account and makes it that month's 清洁户; its members are told.
    A household already scored that month keeps its result (``created: false``); when
    none is new the answer is 200 and nothing moves.
    """
    scored = services.score_grid(
        db.session, actor=g.user, grid_id=data["grid_id"], month=data["month"],
        entries=data["scores"], now=utcnow(),
        community=services.acting_community(db.session, g.user, grid_id=data["grid_id"]))
    return saved_body(scored), 201 if scored.created_ids else 200


@blp.post("/inspections/scores/<int:score_id>/correct")
@token_required(*STAFF_ROLES)
@idempotent
@blp.arguments(CorrectionIn)
@blp.response(200, ScoreOut)
@blp.doc(security=[{"bearer": []}])
def correct(data, score_id):
    """Correct a household's score (office staff; grid workers get 403), with a reason.

    The earlier credit is reversed and, if the household now passes, credited anew under
    the next revision. Same scores again: 422 ``nothing_changed``; a ``revision`` that is
    no longer current: 409 ``score_changed``; a household that already spent the credit:
    422 ``insufficient_points``.
    """
    values = {item: data[item] for item in ("personal", "home", "public")}
    return services.correct_score(
        db.session, actor=g.user, score_id=score_id, values=values, reason=data["reason"],
        expected_revision=data["revision"], now=utcnow(),
        community=services.acting_community(db.session, g.user, score_id=score_id))
