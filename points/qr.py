"""QR images (PNG) for member cards, check-in screens and vouchers (qrcode + Pillow)."""
import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def qr_png(text, *, box_size=10, border=4):
    """A PNG of ``text`` as a QR code, error correction M (readable when a little worn)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()
