"""JSON API of claims under ``/api/v1``: file, list, read, approve, reject.

``POST /api/v1/claims`` takes ``multipart/form-data`` (the fields as text parts, photos
as ``photos`` file parts) or, for a type that needs no photo, a JSON body with the same
fields. Anything else is 415.

Residents (anyone with a wallet) see their own claims; staff see the claims of their
community within their grids (404 outside), and may filter by status. Which photo is a
duplicate of another claim's is shown to staff only.
"""
from flask import abort, current_app, g, jsonify, request
from marshmallow import ValidationError

from points.api import Blueprint, token_required
from points.api.idempotency import idempotent
from points.auth import roles
from points.claims import approvals, photos, services, views
from points.claims.errors import ClaimNotFoundError
from points.claims.models import Claim
from points.claims.schemas import (MULTIPART_CLAIM, ApproveIn, ClaimIn, ClaimListOut, ClaimOut,
                                   ClaimQueryIn, RejectIn)
from points.communities.models import Community
from points.extensions import db
from points.residents.acting import acting_for
from points.timeutil import utcnow

blp = Blueprint("api_claims", __name__, url_prefix="/api/v1",
                description="Claims for work done alone, with photos, and their approval")

SECURITY = [{"bearer": []}]


def seen(claim):
    """The claim as the signed-in user may see it (duplicates: staff only)."""
    body = ClaimOut().dump(claim)
    if g.user.role not in roles.STAFF_ROLES:
        for photo in body["photos"]:
            photo["duplicate_of_claim_id"] = None
    return body


def present(claim, status=200):
    # A response object: smorest passes it through instead of dumping it a second time.
    response = jsonify(seen(claim))
    response.status_code = status
    return response


def claim_input():
    """The new claim's fields and photo bytes, from multipart or JSON."""
    if request.mimetype == "multipart/form-data":
        data = ClaimIn().load(request.form.to_dict())
        uploads = [part.read(photos.MAX_BYTES + 1) for part in request.files.getlist("photos")]
        return data, uploads
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValidationError({"_schema": ["A JSON object is required."]})
        return ClaimIn().load(body), []
    abort(415)


def staff_community(claim_id=None, community_id=None):
    """The community a staff member acts in; a district administrator's is the claim's
    (or the one asked for)."""
    if g.user.community_id is not None:
        return g.user.community
    if claim_id is not None:
        claim = db.session.get(Claim, claim_id)
        community_id = claim.community_id if claim is not None else None
    community = db.session.get(Community, community_id) if community_id else None
    if community is None:
        raise ClaimNotFoundError()
    return community


@blp.post("/claims")
@token_required(*roles.WALLET_ROLES)
@idempotent
@blp.response(201, ClaimOut)
@blp.doc(security=SECURITY, requestBody={"required": True, "content": {
    "multipart/form-data": {"schema": MULTIPART_CLAIM},
    "application/json": {"schema": ClaimIn}}})
def create_claim():
    """File a claim (for oneself, or as 亲情代理 for ``acting_for``).

    Refusals (422, nothing stored): unknown type, a day in the future or over 30 days
    ago, hours missing or out of range, no description, no place for a hazard report,
    photos missing, more than 3, over 8 MB, not an image or over 40 MP, and points over
    the type's day or month cap given the credits so far.
    """
    data, uploads = claim_input()
    acting = acting_for(db.session, g.user, data["acting_for"])
    claim = services.file_claim(
        db.session, acting=acting, type_id=data["type_id"], work_day=data["work_day"],
        hours=data["hours"], description=data["description"], location=data["location"],
        photos=uploads, upload_dir=views.upload_dir(current_app), now=utcnow())
    return present(claim, 201)


@blp.get("/claims")
@token_required(*(roles.WALLET_ROLES | roles.STAFF_ROLES))
@blp.arguments(ClaimQueryIn, location="query", as_kwargs=True)
@blp.response(200, ClaimListOut)
@blp.doc(security=SECURITY)
def list_claims(status, limit, cursor, community_id):
    """Newest first. Residents: their own. Staff: the community's within their grids,
    optionally of one ``status`` (``pending`` and ``second_review`` are the queue)."""
    if g.user.role in roles.STAFF_ROLES:
        claims = approvals.list_claims(db.session, actor=g.user,
                                       community=staff_community(community_id=community_id),
                                       status=status, before=cursor, limit=limit + 1)
    else:
        claims = services.claims_of(db.session, g.user, before=cursor, limit=limit + 1)
    page = claims[:limit]
    last_id = page[-1].id if len(claims) > limit else None
    return jsonify({"claims": [seen(claim) for claim in page],
                    **ClaimListOut(only=("next_cursor",)).dump({"next_cursor": last_id})})


@blp.get("/claims/<int:claim_id>")
@token_required(*(roles.WALLET_ROLES | roles.STAFF_ROLES))
@blp.response(200, ClaimOut)
@blp.doc(security=SECURITY)
def get_claim(claim_id):
    """One claim with its photos, every decision and approver, and the credit."""
    return present(services.visible_claim(db.session, viewer=g.user, claim_id=claim_id))


@blp.get("/claims/<int:claim_id>/photos/<int(max=9):position>")
@token_required(*(roles.WALLET_ROLES | roles.STAFF_ROLES))
@blp.doc(security=SECURITY, responses={"200": {"description": "The photo (image/jpeg).",
                                               "content": {"image/jpeg": {}}}})
def get_photo(claim_id, position):
    """A photo of a claim the user may see (``private`` caching only)."""
    photo = services.photo_for(db.session, viewer=g.user, claim_id=claim_id, position=position)
    return views.photo_response(photo)


@blp.post("/claims/<int:claim_id>/approve")
@token_required(*roles.STAFF_ROLES)
@idempotent
@blp.arguments(ApproveIn)
@blp.response(200, ClaimOut)
@blp.doc(security=SECURITY)
def approve(data, claim_id):
    """Approve with the rule's points or ``points`` (a change needs ``note``). Above the
    type's threshold the first approval returns ``second_review`` and moves no points.
    403: own, household's or proxied claim; 409: decided already, or the first approver
    again; 422: bad points, no reason for a change, over a cap."""
    claim = approvals.approve_claim(db.session, actor=g.user,
                                    community=staff_community(claim_id=claim_id),
                                    claim_id=claim_id, points=data["points"], note=data["note"],
                                    now=utcnow())
    return present(claim)


@blp.post("/claims/<int:claim_id>/reject")
@token_required(*roles.STAFF_ROLES)
@idempotent
@blp.arguments(RejectIn)
@blp.response(200, ClaimOut)
@blp.doc(security=SECURITY)
def reject(data, claim_id):
    """Reject with a ``reason`` the resident is told. Statuses as for approve."""
    claim = approvals.reject_claim(db.session, actor=g.user,
                                   community=staff_community(claim_id=claim_id),
                                   claim_id=claim_id, reason=data["reason"], now=utcnow())
    return present(claim)
