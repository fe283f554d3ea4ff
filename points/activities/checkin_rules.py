"""Pure rules of check-in: reading member codes, the 30-second rotating code, when an
activity takes check-ins and attendance.

The rotating code: the screen at the activity shows a QR of
``/activities/<id>/checkin?t=<slot>-<mac>``, where ``slot`` is the number of the current
30-second slot since the epoch and ``mac`` is HMAC-SHA256(activity's rotation secret,
``"<activity id>:<slot>"``), hex, truncated to 20 characters (80 bits: unguessable
within the half minute it lives). A code is accepted during its own slot and, for
``GRACE_SECONDS`` more, during the next one: a phone that read the code as the screen
changed still gets in. A photo forwarded to someone at home is useless about 35 seconds
later, and a code of one activity never checks anyone in at another.
"""
import hashlib
import hmac
import re
from datetime import datetime, timedelta, timezone

from points import codes
from points.activities.checkin_errors import (
    ActivityConfirmedError, ActivityNotPublishedError, ActivityNotStartedError,
    CheckinActivityCancelledError, CheckinClosedError, CheckinNotOpenError,
    DuplicateAttendeeError, MemberCodeCheckError, MemberCodeLengthError, NotAMemberCodeError,
    RotatingCodeExpiredError,
)
from points.activities.models import CANCELLED, CONFIRMED, PUBLISHED
from points.timeutil import local

# What a member QR holds: a prefix no voucher, URL or other code starts with.
MEMBER_PREFIX = "JFM:"
MEMBER_CODE_LENGTH = 9  # points.codes.new_code(): 8 characters and the check
SLOT_SECONDS = 30
GRACE_SECONDS = 5
MAC_LENGTH = 20
# A scan checked while the person was not signed in stays good this long: signing in on
# a phone takes an elderly resident more than the code's half minute.
SIGN_IN_GRACE = timedelta(minutes=10)
_TOKEN = re.compile(r"(\d{1,12})-([0-9a-f]{%d})" % MAC_LENGTH)


# --- member codes ---------------------------------------------------------------------

def member_qr_text(code):
    """What the member QR encodes: ``JFM:K7QM2XHD5``."""
    return MEMBER_PREFIX + code


def is_scanned(text):
    """Whether the text came from a member QR (typed codes carry no prefix)."""
    return (text or "").strip().upper().startswith(MEMBER_PREFIX)


def member_code_in(text):
    """The normalized member code in a scanned ``JFM:`` text or a typed code.

    Refuses, before any lookup: anything else scanned (a voucher's URL), a code of the
    wrong length, and a code whose check character does not match (a mistyped one)."""
    text = (text or "").strip()
    if is_scanned(text):
        text = text[len(MEMBER_PREFIX):]
    elif "/" in text or ":" in text:
        raise NotAMemberCodeError()
    code = codes.normalize(text)
    if code is None:
        raise NotAMemberCodeError()
    if len(code) != MEMBER_CODE_LENGTH:
        raise MemberCodeLengthError(length=MEMBER_CODE_LENGTH)
    if not codes.is_valid(code):
        raise MemberCodeCheckError()
    return code


def masked_code(code):
    """``K7QM-****-*``: enough to tell cards apart in the audit log, not to use one."""
    return codes.display(code)[:4] + "-****-*" if code else ""


# --- the rotating code ----------------------------------------------------------------

def slot_of(now):
    """The number of the 30-second slot ``now`` falls in."""
    return int(now.timestamp()) // SLOT_SECONDS


def slot_start(slot):
    """The moment ``slot`` begins (aware UTC)."""
    return datetime.fromtimestamp(slot * SLOT_SECONDS, tz=timezone.utc)


def seconds_left(now):
    """Seconds until the next slot starts (the screen refetches then)."""
    return SLOT_SECONDS - int(now.timestamp()) % SLOT_SECONDS


def rotating_mac(secret, activity_id, slot):
    message = f"{activity_id}:{slot}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:MAC_LENGTH]


def rotating_token(secret, activity_id, slot):
    return f"{slot}-{rotating_mac(secret, activity_id, slot)}"


def is_fresh(slot, now):
    """The slot is the current one, or the previous one within the grace seconds."""
    current = slot_of(now)
    into_slot = now.timestamp() - current * SLOT_SECONDS
    return slot == current or (slot == current - 1 and into_slot < GRACE_SECONDS)


def ensure_rotating_token(secret, activity_id, token, seen_at):
    """Refuse a token that is malformed, of another activity, or not fresh at
    ``seen_at`` (when the person's phone opened it)."""
    found = _TOKEN.fullmatch(token or "")
    if found is None:
        raise RotatingCodeExpiredError()
    slot, mac = int(found.group(1)), found.group(2)
    if not hmac.compare_digest(mac, rotating_mac(secret, activity_id, slot)):
        raise RotatingCodeExpiredError()
    if not is_fresh(slot, seen_at):
        raise RotatingCodeExpiredError()


def ensure_scan_recent(seen_at, now):
    """A scan remembered across sign-in counts for ``SIGN_IN_GRACE`` only."""
    if not seen_at <= now <= seen_at + SIGN_IN_GRACE:
        raise RotatingCodeExpiredError()


# --- the activity ---------------------------------------------------------------------

def clock(moment):
    """A time as check-in messages show it: local, ``2026-11-23 08:30``."""
    return local(moment).strftime("%Y-%m-%d %H:%M")


def ensure_takes_changes(activity):
    """Published and not yet confirmed: check-ins and attendance may still change."""
    if activity.status == CANCELLED:
        raise CheckinActivityCancelledError()
    if activity.status == CONFIRMED:
        raise ActivityConfirmedError()
    if activity.status != PUBLISHED:
        raise ActivityNotPublishedError()


def is_window_open(activity, now):
    return activity.checkin_opens_at <= now < activity.checkin_closes_at


def ensure_checkin_open(activity, now):
    """Check-ins are taken for a published activity within its check-in window."""
    ensure_takes_changes(activity)
    if now < activity.checkin_opens_at:
        raise CheckinNotOpenError(opens=clock(activity.checkin_opens_at))
    if now >= activity.checkin_closes_at:
        raise CheckinClosedError(closes=clock(activity.checkin_closes_at))


def ensure_attendance_open(activity, now):
    """Attendance is confirmed once, after the start."""
    ensure_takes_changes(activity)
    if now < activity.starts_at:
        raise ActivityNotStartedError()


def work_day(activity):
    """The local day of the work, which the caps count: the day it started."""
    return local(activity.starts_at).date()


def ensure_no_duplicates(user_ids):
    seen = set()
    for user_id in user_ids:
        if user_id in seen:
            raise DuplicateAttendeeError(user_id=user_id)
        seen.add(user_id)
