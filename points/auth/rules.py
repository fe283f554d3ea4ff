"""Pure rules about phones, passwords and tokens."""
import re

from points.auth.errors import InvalidPhoneError, WeakPasswordError

PHONE = re.compile(r"^1\d{10}$")
MIN_PASSWORD = 8


def normalize_phone(phone):
    """Mainland mobile numbers: 11 digits from 1; spaces, dashes and +86 are dropped."""
    digits = re.sub(r"[\s\-]", "", str(phone or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    if not PHONE.match(digits):
        raise InvalidPhoneError(phone=phone)
    return digits


def ensure_strong_password(new, *, phone, old=None):
    if len(new or "") < MIN_PASSWORD or new == phone or (old is not None and new == old):
        raise WeakPasswordError()


def is_token_usable(token, now):
    return token is not None and token.revoked_at is None and token.expires_at > now


def mask_phone(phone):
    """138****0002: how a phone number looks to anyone but its owner and staff."""
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) >= 7 else "****"


def mask_name(name):
    """王**: how a name looks on leaderboards and to shop clerks."""
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else "**"
