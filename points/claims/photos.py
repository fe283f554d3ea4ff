"""Claim photos: recognised by their content, re-encoded without metadata, kept private.

What a photo *is* is decided by decoding it (Pillow, restricted to the JPEG, PNG and WebP
decoders), never by its file name or the Content-Type the phone sent: a PNG named
``.jpg`` is a PNG, a text file named ``.jpg`` is refused. Every photo is then turned the
right way up (EXIF orientation), flattened to RGB on white, shrunk to ``MAX_SIDE`` and
re-encoded as a fresh JPEG: nothing of the original file survives, so no EXIF, GPS
position, XMP, ICC profile or comment reaches the disk (a volunteer's photo taken at home
must not publish where they live). The ICC profile goes too; colours of wide-gamut
phone photos look a little flatter, which does not matter for proving work was done.

``pixel_hash`` is the SHA-256 of the stored picture's pixels, decoded from the stored
JPEG and shrunk to ``HASH_SIDE`` px on the longest side. Hashing what is stored (not the
upload) means it can be recomputed from the files at any time. It matches the same
picture sent again, with its EXIF changed or removed, rotated by an orientation tag
rather than in its pixels, or re-saved losslessly (PNG, lossless WebP). It does not
match a recompressed or cropped copy: a perceptual hash would, but it also flags
different photos of the same street corner, and a false "duplicate" accuses an honest
volunteer. The flag only points staff to look; it never refuses a claim.

Files are written (and synced) before the claim's transaction commits and removed if it
fails, so a stored claim never lacks its photos; the cost is, at worst, an orphan file
after a crash between the two, which nothing references or serves.
"""
import hashlib
import io
import os
import re
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from points.claims.errors import PhotoNotImageError, PhotoTooLargeError, PhotoTooManyPixelsError

MB = 1024 * 1024
MAX_BYTES = 8 * MB
# A 40 MP photo is more than any phone takes; beyond, a small file may expand into
# gigabytes of pixels (a decompression bomb).
MAX_PIXELS = 40_000_000
MAX_SIDE = 2000
HASH_SIDE = 256
JPEG_QUALITY = 85
FORMATS = ("JPEG", "PNG", "WEBP")
KEY_PATTERN = re.compile(r"[0-9a-f]{32}\.jpg")
# What a malformed file makes Pillow's decoders raise; anything else is a real bug.
UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError,
              TypeError, struct.error, ZeroDivisionError)


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo ready to store: clean JPEG bytes, their pixel hash and size."""

    data: bytes
    pixel_hash: str
    width: int
    height: int


def prepare(raw, number=1):
    """Check and re-encode one upload (``number`` names it in refusals).

    Raises ``PhotoTooLargeError`` (over ``MAX_BYTES``), ``PhotoNotImageError`` (not a
    readable JPEG, PNG or WebP) and ``PhotoTooManyPixelsError`` (over ``MAX_PIXELS``).
    """
    if len(raw) > MAX_BYTES:
        raise PhotoTooLargeError(number=number, limit=MAX_BYTES // MB)
    image = _decoded(raw, number)
    try:
        upright = _flattened(ImageOps.exif_transpose(image))
    except UNREADABLE:
        raise PhotoNotImageError(number=number) from None
    upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    data = _encoded(upright)
    return PreparedPhoto(data=data, pixel_hash=pixel_hash(data), width=upright.width,
                         height=upright.height)


def _open(raw):
    return Image.open(io.BytesIO(raw), formats=FORMATS)


def _decoded(raw, number):
    """The first frame, fully decoded, after ``verify`` of the file's structure."""
    try:
        probe = _open(raw)
        _ensure_pixels(probe, number)
        probe.verify()
        image = _open(raw)  # verify() leaves the image unusable: open it again
        if image.format in ("JPEG", "MPO"):  # MPO: a phone JPEG with a second picture
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode big JPEGs at a reduced scale
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoTooManyPixelsError(number=number, limit=MAX_PIXELS // 1_000_000) from None
    except UNREADABLE:
        raise PhotoNotImageError(number=number) from None
    return image


def _ensure_pixels(image, number):
    # Checked on the header, before a single pixel is decoded.
    if image.width * image.height > MAX_PIXELS:
        raise PhotoTooManyPixelsError(number=number, limit=MAX_PIXELS // 1_000_000)


def _flattened(image):
    """RGB; transparent parts (PNG, WebP) become white, as a gallery shows them."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _encoded(image):
    """A new JPEG from the pixels alone: a fresh image carries no ``info`` (EXIF, ICC…)."""
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def pixel_hash(jpeg):
    """SHA-256 of the stored JPEG's pixels at ``HASH_SIDE`` px (size included)."""
    with Image.open(io.BytesIO(jpeg), formats=("JPEG",)) as image:
        small = image.convert("RGB")
        small.thumbnail((HASH_SIDE, HASH_SIDE), Image.Resampling.LANCZOS)
        digest = hashlib.sha256(f"{small.width}x{small.height}:".encode())
        digest.update(small.tobytes())
    return digest.hexdigest()


# Storage: <instance>/uploads/claims/<32 hex>.jpg, never under static/.


def store(directory, data):
    """Write ``data`` under a new random name in ``directory``; returns the key."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key = f"{secrets.token_hex(16)}.jpg"
    with open(directory / key, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())  # on disk before the claim that names it commits
    return key


def store_all(directory, photos):
    """Store every prepared photo; on a failure, remove the ones already written."""
    keys = []
    try:
        for photo in photos:
            keys.append(store(directory, photo.data))
    except BaseException:
        remove(directory, keys)
        raise
    return keys


def remove(directory, keys):
    for key in keys:
        path_of(directory, key).unlink(missing_ok=True)


def path_of(directory, key):
    """The file of ``key``; a key that is not one of ours never becomes a path."""
    if not KEY_PATTERN.fullmatch(key or ""):
        raise ValueError(f"not a photo key: {key!r}")
    return Path(directory) / key
