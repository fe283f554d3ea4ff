"""``POST /api/v1/auth/token``, ``DELETE /api/v1/auth/token`` and ``GET /api/v1/me``."""
from flask import current_app, g

from points.api import Blueprint, bearer_token, token_required
from points.api.schemas import MeOut, TokenIn, TokenOut
from points.auth import lockout, services
from points.extensions import db, limiter
from points.timeutil import utcnow

blp = Blueprint("api_auth", __name__, url_prefix="/api/v1", description="Sign-in and profile")


@blp.post("/auth/token")
@limiter.limit(lambda: current_app.config["SIGN_IN_API_LIMIT"])
@blp.arguments(TokenIn)
@blp.response(201, TokenOut)
@blp.alt_response(429, description="Too many sign-ins from this address, or too many wrong "
                  "passwords for this phone number (growing lockout); see ``Retry-After``.")
def create_token(data):
    """Exchange a phone number and password for a bearer token."""
    now = utcnow()
    user = lockout.authenticate(db.session, phone=data["phone"], password=data["password"], now=now)
    raw, token = services.issue_token(db.session, user=user, now=now,
                                      ttl=current_app.config["API_TOKEN_TTL"])
    return {"token": raw, "role": user.role, "expires_at": token.expires_at}


@blp.delete("/auth/token")
@token_required()
@blp.response(204)
@blp.doc(security=[{"bearer": []}])
def revoke_token():
    """Revoke the token used for this request (sign out)."""
    services.revoke_token(db.session, raw=bearer_token(), now=utcnow())


@blp.get("/me")
@token_required()
@blp.response(200, MeOut)
@blp.doc(security=[{"bearer": []}])
def me():
    """The signed-in user: profile, role, community, household, shop."""
    return g.user
