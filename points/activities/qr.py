"""The QR images of check-in (PNG, qrcode + Pillow through ``points.qr``): a person's
member QR, and the activity's rotating check-in QR on the screen."""
from points.activities.checkin_rules import member_qr_text
from points.qr import qr_png


def member_png(code):
    """The member QR: ``JFM:<code>``, large modules so a worn printed card still reads."""
    return qr_png(member_qr_text(code), box_size=12)


def rotating_png(url):
    """The screen's QR: the absolute check-in URL, so a phone's own camera opens it."""
    return qr_png(url, box_size=12)
