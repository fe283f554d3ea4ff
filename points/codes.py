"""Short codes people read aloud and type: member cards, vouchers.

Crockford's base-32 alphabet (no I, L, O, U, so nothing reads as 1 or 0 twice) with its
mod-37 check character. A code is shown in groups of four (``K7QM-2XHD-5``); typing
ignores case, spaces and dashes, and reads I/L as 1 and O as 0, so what an elderly
resident reads out is what a clerk types. A single wrong or swapped character is caught
by the check character before any lookup.
"""
import secrets

from sqlalchemy import select

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"  # Crockford's five extra check symbols
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def check_char(body):
    """The mod-37 check character of ``body`` (normalized, without the check)."""
    value = 0
    for char in body:
        value = value * 32 + ALPHABET.index(char)
    return CHECK_ALPHABET[value % 37]


def new_code(length=8):
    """A random code of ``length`` characters plus its check character (normalized form).

    Codes whose check would be one of the five symbols (``*~$=U``) are drawn again: they
    are hard to read aloud and to type on a phone keyboard. Typing still accepts them.
    """
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(length))
        check = check_char(body)
        if check in ALPHABET:
            return body + check


def unused_code(session, column, attempts=20):
    """A new code that ``column`` (a unique code column) does not hold yet. The unique
    constraint still has the last word: a code taken meanwhile fails the insert."""
    for _ in range(attempts):
        code = new_code()
        if session.scalar(select(column).where(column == code)) is None:
            return code
    raise RuntimeError(f"no unused code found for {column}")


def normalize(typed):
    """What was typed, in the stored form: upper case, no spaces or dashes, I/L→1, O→0.
    Returns ``None`` when a character is outside the alphabet (the caller refuses it)."""
    text = "".join((typed or "").split()).replace("-", "").upper().translate(_READ_AS)
    if not text or any(char not in CHECK_ALPHABET for char in text):
        return None
    return text


def is_valid(code):
    """Whether a normalized code's last character is the right check for the rest."""
    return (code is not None and len(code) >= 2 and all(c in ALPHABET for c in code[:-1])
            and check_char(code[:-1]) == code[-1])


def display(code):
    """``K7QM2XHD5`` → ``K7QM-2XHD-5``: groups of four, the check character last."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))
