"""The web side of 亲情代理: which resident the signed-in proxy chose to act for, kept
in the signed Flask session and checked against a live grant on every request.

The choice is stored with the user's id, so that another person signing in on the same
phone never inherits it. See ``points.residents.acting`` for how features use ``Acting``.
"""
from flask import session as http_session

from points.errors import ForbiddenError
from points.residents.acting import acting_as_self, acting_for

KEY = "acting_for"


def start_acting(session, user, resident_id):
    """Act for ``resident_id`` from now on; ``ForbiddenError`` without a live grant."""
    acting = acting_for(session, user, resident_id)
    if acting.is_proxy:
        http_session[KEY] = {"user": user.id, "resident": acting.resident.id}
    else:
        stop_acting()
    return acting


def stop_acting():
    http_session.pop(KEY, None)


def current_acting(session, user):
    """Who the signed-in user acts for on this page: the chosen resident while the grant
    is live, else themselves (a revoked grant ends the choice)."""
    chosen = http_session.get(KEY) or {}
    if chosen.get("user") != user.id:
        return acting_as_self(user)
    try:
        return acting_for(session, user, chosen.get("resident"))
    except ForbiddenError:
        stop_acting()
        return acting_as_self(user)
