"""Sign-in lockout: growing waits after repeated wrong passwords for one phone number.

The first ``LOCKOUT_FREE_FAILURES`` wrong passwords in a row are free; each further one
locks the number for ``LOCKOUT_FIRST_SECONDS`` (a minute), then twice that, four times …
up to ``LOCKOUT_MAX_SECONDS`` (an hour). While locked, signing in (page or API) answers 429
with ``Retry-After`` without checking the password, so guessing goes no faster with the
right password in the list. A right password after the wait clears the count; the count
is forgotten ``LOCKOUT_FORGET_SECONDS`` (a day) after the first wrong one.

The counts live in the rate limiter's storage: Redis when ``REDIS_URL`` is set (shared by
every worker and server), memory otherwise (one process); with the limiter switched off
(``RATELIMIT_ENABLED``, for load benchmarks only) there is no lockout either. They are kept by a hash of the
phone number whether or not an account has it, so the answers do not tell which numbers
are registered, and no phone number is written to Redis.
"""
import hashlib
import math
import time

from flask import current_app

from points.auth import rules, services
from points.auth.errors import BadCredentialsError, InvalidPhoneError, SignInLockedError
from points.extensions import limiter


def _keys(phone):
    try:
        phone = rules.normalize_phone(phone)
    except InvalidPhoneError:
        phone = str(phone or "")[:64]
    digest = hashlib.sha256(phone.encode()).hexdigest()[:24]
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return f"{prefix}signin-failures:{digest}", f"{prefix}signin-lock:{digest}"


def seconds_locked(phone):
    """Seconds until this phone number may try again (0: not locked)."""
    _, lock = _keys(phone)
    if not limiter.storage.get(lock):
        return 0
    return max(1, math.ceil(limiter.storage.get_expiry(lock) - time.time()))


def wait_after(failures, config):
    """The lock after the given number of wrong passwords in a row (0: none)."""
    over = failures - config["LOCKOUT_FREE_FAILURES"]
    if over <= 0:
        return 0
    return min(config["LOCKOUT_FIRST_SECONDS"] * 2 ** min(over - 1, 20), config["LOCKOUT_MAX_SECONDS"])


def authenticate(session, *, phone, password, now):
    """``services.authenticate`` behind the lockout; ``SignInLockedError`` while locked."""
    if not limiter.enabled:
        return services.authenticate(session, phone=phone, password=password, now=now)
    waiting = seconds_locked(phone)
    if waiting:
        raise SignInLockedError(retry_after=waiting)
    failures, lock = _keys(phone)
    try:
        user = services.authenticate(session, phone=phone, password=password, now=now)
    except BadCredentialsError:
        config = current_app.config
        count = limiter.storage.incr(failures, config["LOCKOUT_FORGET_SECONDS"])
        wait = wait_after(count, config)
        if wait:
            limiter.storage.clear(lock)
            limiter.storage.incr(lock, wait)
            raise SignInLockedError(retry_after=wait) from None
        raise
    limiter.storage.clear(failures)
    return user
