"""Sign-in, passwords and API tokens: each function is one use case."""
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from points.auth import passwords, roles, rules
from points.auth.errors import BadCredentialsError, PhoneTakenError, TokenInvalidError
from points.auth.models import ApiToken, User
from points.extensions import unit_of_work


def find_user_by_phone(session, phone):
    return session.scalar(select(User).where(User.phone == phone)
                          .execution_options(all_communities=True))


def authenticate(session, *, phone, password, now):
    """The active user with this phone and password, or ``BadCredentialsError``."""
    try:
        phone = rules.normalize_phone(phone)
    except rules.InvalidPhoneError:
        passwords.verify_password(None, password or "")
        raise BadCredentialsError() from None
    user = find_user_by_phone(session, phone)
    valid = passwords.verify_password(user.password_hash if user else None, password or "")
    if user is None or not valid or not user.active:
        raise BadCredentialsError()
    with unit_of_work(session):
        user.last_sign_in_at = now
    return user


def change_password(session, *, user, old_password, new_password):
    """Set a new password after checking the old one; clears the forced change."""
    if not passwords.verify_password(user.password_hash, old_password or ""):
        raise BadCredentialsError()
    rules.ensure_strong_password(new_password, phone=user.phone, old=old_password)
    with unit_of_work(session):
        user.password_hash = passwords.hash_password(new_password)
        user.must_change_password = False
    return user


def create_user(session, *, phone, name, role, password, community_id=None, household_id=None,
                merchant_id=None, created_by=None, must_change_password=None):
    """Add a user inside the caller's transaction. Staff-created accounts must change
    their password at first sign-in unless told otherwise."""
    phone = rules.normalize_phone(phone)
    if role not in roles.ROLES:
        raise ValueError(f"unknown role {role!r}")
    if find_user_by_phone(session, phone) is not None:
        raise PhoneTakenError(phone=phone)
    user = User(phone=phone, name=name.strip(), role=role, community_id=community_id,
                household_id=household_id, merchant_id=merchant_id,
                password_hash=passwords.hash_password(password),
                created_by_id=created_by.id if created_by else None,
                must_change_password=(created_by is not None if must_change_password is None
                                      else must_change_password))
    session.add(user)
    session.flush()
    return user


def _digest(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(session, *, user, now, ttl, kind="session", label=""):
    """A new bearer token; only its hash is stored. Returns ``(raw, ApiToken)``."""
    raw = secrets.token_urlsafe(32)
    with unit_of_work(session):
        token = ApiToken(user_id=user.id, token_hash=_digest(raw), kind=kind, label=label,
                         created_at=now, expires_at=now + ttl)
        session.add(token)
    return raw, token


def user_for_token(session, raw, now):
    """The user a usable bearer token belongs to, or ``TokenInvalidError``."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw or ""))
                           .options(joinedload(ApiToken.user))  # one query, not two
                           .execution_options(all_communities=True))
    if not rules.is_token_usable(token, now) or not token.user.active:
        raise TokenInvalidError()
    return token.user


def revoke_token(session, *, raw, now):
    with unit_of_work(session):
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
        if token is not None and token.revoked_at is None:
            token.revoked_at = now
