"""``Idempotency-Key`` for API requests that move points, yuan or stock.

A client that does not know whether its request arrived (a dropped connection, a phone
that went to sleep) sends it again with the same ``Idempotency-Key`` header:

* same key, same method, path and body: the first answer again (status and body, with
  ``Idempotent-Replayed: true``), and nothing moves a second time;
* same key, anything different: 422 ``idempotency_conflict``, nothing moves;
* a first request that failed (any status but 2xx) keeps nothing: the retry runs anew.

The key is claimed, the action done and its answer stored in **one** write transaction
(the services' own ``unit_of_work`` blocks join it), so a key can never point at an
action that did not happen, nor an action lose its key. Two requests racing with one key:
the second waits on the unique index until the first commits and then replays it.

Keys are per user: another person's key is never seen. ``POST /api/v1/vouchers`` and
``POST /api/v1/requests/{id}/confirm`` keep their own keys on their rows (they answer a
replay with the row as it is now) and do not use this.
"""
import hashlib
import re
from datetime import datetime
from functools import wraps

from flask import current_app, g, request
from marshmallow import ValidationError
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ledger.errors import DomainError, N_
from ledger.models import Base, BigId, utcnow
from points.extensions import db, unit_of_work

KEY = re.compile(r"[\x21-\x7e]{1,80}")
HEADER = {"in": "header", "name": "Idempotency-Key", "required": False,
          "schema": {"type": "string", "minLength": 1, "maxLength": 80, "pattern": "^[!-~]+$"},
          "description": "Any 1–80 visible ASCII characters, one per intended action. A "
                         "retry with the same key and body returns the first answer and "
                         "moves nothing; the same key with another body is refused (422)."}


class IdempotencyConflictError(DomainError):
    code = "idempotency_conflict"
    message = N_("这个请求编号已经用于另一个请求")


class IdempotentRequest(Base):
    """The answer given to ``user_id``'s request with ``key``."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotent_requests_user_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(80))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def idempotency_key():
    """The ``Idempotency-Key`` header, or None; a malformed one is refused (422)."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    if not KEY.fullmatch(raw.strip()):
        raise ValidationError({"Idempotency-Key": ["1 to 80 visible ASCII characters."]})
    return raw.strip()


def request_hash():
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1"),
                 request.mimetype or ""):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _claim(session, user_id, key, digest):
    """Insert the key (waiting for a racing holder of it to commit); the earlier row when
    the key was there already, else None."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.execute(
        dialect.insert(IdempotentRequest)
        .values(user_id=user_id, key=key, request_hash=digest, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotentRequest.id)).scalar()
    if inserted is not None:
        return None, inserted
    return session.scalar(select(IdempotentRequest).where(
        IdempotentRequest.user_id == user_id, IdempotentRequest.key == key)), None


class _NotKept(Exception):
    """A first answer that is not a success: roll back and keep nothing."""

    def __init__(self, response):
        self.response = response


def idempotent(view):
    """Honour ``Idempotency-Key`` on an API view (below ``token_required``, which sets
    ``g.user``; above ``blp.arguments``, so the body is read only once it is claimed)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = idempotency_key()
        if key is None:
            return view(*args, **kwargs)
        digest = request_hash()
        session = db.session
        try:
            with unit_of_work(session):
                earlier, row_id = _claim(session, g.user.id, key, digest)
                if earlier is not None:
                    if earlier.request_hash != digest:
                        raise IdempotencyConflictError()
                    response = current_app.response_class(
                        earlier.body, status=earlier.status, mimetype="application/json")
                    response.headers["Idempotent-Replayed"] = "true"
                    return response
                response = current_app.make_response(view(*args, **kwargs))
                if not 200 <= response.status_code < 300:
                    raise _NotKept(response)
                body = response.get_data(as_text=True)
                session.execute(IdempotentRequest.__table__.update()
                                .where(IdempotentRequest.id == row_id)
                                .values(status=response.status_code, body=body))
                return response
        except _NotKept as refused:
            return refused.response

    wrapped._apidoc = dict(getattr(wrapped, "_apidoc", {}))
    manual = dict(wrapped._apidoc.get("manual_doc", {}))
    manual["parameters"] = list(manual.get("parameters", [])) + [HEADER]
    wrapped._apidoc["manual_doc"] = manual
    return wrapped
