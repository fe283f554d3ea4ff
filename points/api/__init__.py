"""The JSON API under ``/api/v1``: flask-smorest, bearer tokens, one error shape.

Later features add their own ``Blueprint`` (``points.api.Blueprint``) and register it in
``register``. The API authenticates by bearer token only, never by the session cookie, so
it needs no CSRF token and a page's cookie cannot act through it.
"""
import json
from functools import wraps

from flask import abort, g, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser, is_json_request

from points import errors
from points.api.schemas import ErrorOut
from points.auth.errors import TokenInvalidError
from points.errors import ForbiddenError
from points.extensions import db
from points.tenancy import set_scope
from points.timeutil import utcnow


class Api(SmorestApi):
    # The error shape we send, documented as every operation's default and 422 response.
    ERROR_SCHEMA = ErrorOut

    def handle_http_exception(self, error):
        # Our one error shape, and the Allow header smorest would drop from a 405.
        return errors.handle_http_error(error)


api = Api()


class JsonBodyParser(FlaskParser):
    """A JSON body sent as anything but JSON is 415, not a 422 of "missing" fields."""

    def _raw_load_json(self, req):
        if req.content_length and req.max_content_length and req.content_length > req.max_content_length:
            abort(413)  # too large whatever its type: said first
        if req.content_length and not is_json_request(req):
            abort(415)
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # webargs answers it (400, or "missing" for an empty body)
        except (RecursionError, ValueError) as error:
            # Nested deeper than the parser goes, or a number of more digits than Python
            # converts: not JSON we read, a 400 like any other (never a 500).
            self._handle_invalid_json_error(error, req)


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON, but a body nested deeper than the parser goes is invalid JSON (a
    ``ValueError``: 400, or None for ``get_json(silent=True)``), not a RecursionError (500)."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("JSON nested too deep") from error


class Blueprint(SmorestBlueprint):
    """The API's blueprint: feature packages use this one (``points.api.Blueprint``)."""

    ARGUMENTS_PARSER = JsonBodyParser()


class NotSignedInError(TokenInvalidError):
    code = "not_signed_in"
    message = "请先登录"


def bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    return raw.strip() if scheme.lower() == "bearer" and raw.strip() else None


def token_required(*allowed_roles):
    """Authenticate the bearer token, scope the session to the user's community,
    and refuse roles not in ``allowed_roles`` (none given: any signed-in user)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from points.auth.services import user_for_token

            raw = bearer_token()
            if raw is None:
                raise NotSignedInError()
            g.user = user_for_token(db.session, raw, utcnow())
            set_scope(db.session, g.user.community_id)
            if allowed_roles and g.user.role not in allowed_roles:
                raise ForbiddenError()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def office_community(code=None):
    """The community an office member acts in through the API: their own (a different
    ``code`` is 403); a district administrator's by ``code`` (required: 403 without it;
    404 when unknown)."""
    from sqlalchemy import select

    from points.communities.models import Community

    user = g.user
    if user.community_id is not None:
        if code is not None and user.community.code != code:
            raise ForbiddenError()
        return user.community
    if code is None:
        raise ForbiddenError()
    community = db.session.scalar(select(Community).where(Community.code == code)
                                  .execution_options(all_communities=True))
    if community is None:
        raise errors.NotFoundError()
    return community


def end_scope(_error=None):
    """The scope lives on the session, and the session as long as the app context; a
    request that shares its context (tests, a task making requests) must not leave it."""
    set_scope(db.session, None)


def register(app):
    app.json = JsonProvider(app)
    app.teardown_request(end_scope)
    api.init_app(app, spec_kwargs={"info": {"description": "积分超市: 社区志愿积分超市的 JSON API"}})
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token"})
    from points.api.auth import blp as auth_blp
    from points.api.wallet import blp as wallet_blp
    from points.activities.api import blp as activities_blp
    from points.activities.checkin_api import blp as checkin_blp
    from points.claims.api import blp as claims_blp
    from points.inspections.api import blp as inspections_blp
    from points.gamification.api import blp as progress_blp
    from points.gamification.boards_api import blp as boards_blp
    from points.tasks.api import blp as tasks_blp
    from points.reports.api import blp as reports_blp

    from merchants.api_mall import blp as mall_blp
    from merchants.api_scan import blp as scan_blp
    from merchants.api_settlement import blp as settlement_blp
    from merchants.api_devices import blp as devices_blp
    from merchants.api_coupons import blp as coupons_blp
    from points.audit.api import blp as audit_blp
    from points.residents.privacy_api import blp as privacy_blp

    for blueprint in (auth_blp, wallet_blp, activities_blp, checkin_blp, claims_blp,
                      inspections_blp, progress_blp, boards_blp, tasks_blp, mall_blp, scan_blp,
                      settlement_blp, reports_blp, devices_blp, coupons_blp, audit_blp, privacy_blp):
        api.register_blueprint(blueprint)
