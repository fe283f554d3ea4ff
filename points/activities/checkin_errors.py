"""Refusals of member cards, check-in and attendance. Each changes nothing; codes map to
HTTP statuses in ``points/errors.py`` (not listed there: 422)."""
from ledger.errors import DomainError, N_


class CheckinError(DomainError):
    code = "checkin_error"


# Member codes: refused before any lookup when they cannot be a member code at all.


class NotAMemberCodeError(CheckinError):
    code = "not_a_member_code"
    message = N_("这不是会员码，请扫描或输入居民的会员码")


class MemberCodeLengthError(CheckinError):
    code = "bad_member_code"
    message = N_("会员码是 %(length)s 位字母和数字，请核对后再输")


class MemberCodeCheckError(CheckinError):
    code = "bad_check_character"
    message = N_("会员码有一位不对（最后一位是校验位），请核对后再输")


class MemberCardNotFoundError(CheckinError):
    code = "member_card_not_found"
    message = N_("找不到这个会员码，可能已经换了新卡")


class NoMemberCardError(CheckinError):
    code = "forbidden"
    message = N_("只有居民和商户有会员码")


# The activity's state and window.


class ActivityNotPublishedError(CheckinError):
    code = "activity_not_published"
    message = N_("活动还没发布，不能签到")


class CheckinActivityCancelledError(CheckinError):
    code = "activity_cancelled"
    message = N_("这个活动已经取消了")


class ActivityConfirmedError(CheckinError):
    code = "attendance_already_confirmed"
    message = N_("这个活动的出勤已经确认过了，不能再改动，也不会重复记积分")


class CheckinNotOpenError(CheckinError):
    code = "checkin_not_open"
    message = N_("签到还没开始，%(opens)s 开始签到")


class CheckinClosedError(CheckinError):
    code = "checkin_closed"
    message = N_("签到已经结束了（%(closes)s 截止）")


class AlreadyCheckedInError(CheckinError):
    code = "already_checked_in"
    message = N_("已经签到过了")

    def __init__(self, *args, person=None, **params):
        super().__init__(*args, **params)
        self.person = person  # shown on the desk beside the message


class NotAVolunteerError(CheckinError):
    code = "forbidden"
    message = N_("只有居民和商户可以签到")


# The rotating QR on the screen.


class RotatingCodeExpiredError(CheckinError):
    code = "checkin_code_expired"
    message = N_("二维码已过期，请重新扫描屏幕上的二维码")


# Attendance.


class ActivityNotStartedError(CheckinError):
    code = "activity_not_started"
    message = N_("活动开始以后才能确认出勤")


class NotOnTheListError(CheckinError):
    code = "not_on_the_list"
    message = N_("编号 %(user_id)s 的人没有签到也没有报名，请先用会员码把他加进来")


class DuplicateAttendeeError(CheckinError):
    code = "duplicate_attendee"
    message = N_("名单里有人重复了（编号 %(user_id)s）")
