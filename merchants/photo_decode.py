"""The QR in a photo a clerk uploaded, read on the server with zxing-cpp (the fallback
when the phone's camera cannot be opened in the browser).

The upload is checked before it is decoded: at most ``MAX_PHOTO_BYTES`` read, opened by
Pillow as one of the still-image formats phones produce, at most ``MAX_PIXELS`` (a
decompression bomb is refused, never decoded). zxing-cpp 3.x read every test photo of
``../shared/ECOSYSTEM.md`` §2 (rotated, blurred, perspective, 12 MP) in well under a second.
"""
import io
import warnings

import zxingcpp
from PIL import Image, UnidentifiedImageError

from merchants import errors

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 12 MP phone photo is 12,000,000
FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP"})  # MPO: some phones' JPEG
URL_MARKER = "/v/"


def read_limited(stream, limit=MAX_PHOTO_BYTES):
    """The upload's bytes, never more than ``limit`` read: ``PhotoTooLargeError`` beyond,
    ``NoPhotoError`` when nothing was sent."""
    data = stream.read(limit + 1) if stream is not None else b""
    if not data:
        raise errors.NoPhotoError()
    if len(data) > limit:
        raise errors.PhotoTooLargeError(megabytes=limit // (1024 * 1024))
    return data


def _opened(data):
    """The photo as a greyscale Pillow image, checked for format and size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise errors.NotAPhotoError()
            if image.width * image.height > MAX_PIXELS:
                raise errors.PhotoTooLargeError(megabytes=MAX_PHOTO_BYTES // (1024 * 1024))
            return image.convert("L")
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise errors.PhotoTooLargeError(megabytes=MAX_PHOTO_BYTES // (1024 * 1024)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        # Not an image, or a truncated or corrupt one (Pillow raises these kinds).
        raise errors.NotAPhotoError() from None


def qr_text(data):
    """The text of the QR in the photo ``data`` (bytes). A voucher's QR is preferred
    when the photo shows several. Raises ``NotAPhotoError``, ``PhotoTooLargeError`` or
    ``NoQrInPhotoError``."""
    image = _opened(data)
    found = [barcode.text for barcode in
             zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
             if barcode.valid and barcode.text]
    if not found:
        raise errors.NoQrInPhotoError()
    return next((text for text in found if URL_MARKER in text), found[0])
