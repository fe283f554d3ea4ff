"""``GET /api/v1/me/data`` (one's own data as a JSON file) and
``POST /api/v1/residents/<id>/anonymise`` (office staff, a resident who leaves)."""
from flask import g
from marshmallow import Schema, fields, validate

from points.api import Blueprint, token_required
from points.auth import roles
from points.extensions import db
from points.residents import privacy
from points.timeutil import utcnow

blp = Blueprint("api_privacy", __name__, url_prefix="/api/v1",
                description="Personal data: download one's own data; anonymise a resident")


class AnonymiseIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AnonymisedOut(Schema):
    id = fields.Integer()
    name = fields.String()
    active = fields.Boolean()


@blp.get("/me/data")
@token_required(*roles.WALLET_ROLES)
@blp.doc(security=[{"bearer": []}], responses={200: {"description": "A JSON file (attachment)"}})
def my_data():
    """Everything held about the signed-in person as a JSON file ``my-data-<date>.json``:
    profile, proxies, statement, claims, sign-ups, check-ins, vouchers, coupons, badges,
    service requests, tasks, notifications. No password or token hashes, no other
    person's data beyond a name where it explains a decision."""
    from points.residents.views import own_data_response

    return own_data_response(g.user)


@blp.post("/residents/<int:user_id>/anonymise")
@token_required(*roles.OFFICE_ROLES)
@blp.arguments(AnonymiseIn)
@blp.response(200, AnonymisedOut)
@blp.doc(security=[{"bearer": []}])
def anonymise(data, user_id):
    """Anonymise a resident of the caller's community: name and phone replaced, notes
    cleared, sign-in closed, tokens revoked, proxies ended; the ledger untouched. 404
    outside the community, 409 when already done, 422 while a voucher holds points."""
    return privacy.anonymise(db.session, actor=g.user, user_id=user_id, reason=data["reason"],
                             now=utcnow())
