"""Password hashing with argon2id."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Compared against when the phone is unknown, so both refusals take the same time.
_DUMMY = {"hash": None}


def configure(time_cost, memory_cost):
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)
    _DUMMY["hash"] = _hasher.hash("dummy-password-for-timing")


def hash_password(password):
    return _hasher.hash(password)


def verify_password(password_hash, password):
    try:
        return _hasher.verify(password_hash or _DUMMY["hash"] or hash_password("x"), password)
    except (VerificationError, InvalidHashError):
        return False
