"""Forms of the activity pages (CSRF by Flask-WTF). They check shape only (a date where a
date goes, digits where a number goes); ``rules`` in the service check the rest.

Times are typed in the community's local time (``datetime-local`` boxes, Asia/Shanghai)
and handed to the service as aware UTC.
"""
from datetime import timezone

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ledger.amounts import format_amount
from points.activities import rules
from points.earning.models import PER_HOUR
from points.residents.acting import posted_resident_id
from points.timeutil import LOCAL, local
from points.web.forms import row_id

MINUTE = "%Y-%m-%dT%H:%M"
WHOLE = r"^\s*\d{1,6}\s*$"
HOURS = r"^\s*\d{1,2}(\.\d{1,2})?\s*$"
NUMBER_BOX = {"inputmode": "numeric", "autocomplete": "off"}


def moment(label, required=False):
    presence = DataRequired(_l("请填写日期和时间")) if required else Optional()
    return DateTimeLocalField(label, format=MINUTE, validators=[presence])


def to_utc(value):
    """A local time typed in a box, as aware UTC (None stays None)."""
    return value.replace(tzinfo=LOCAL).astimezone(timezone.utc) if value else None


def in_box(value):
    """An aware time as the box shows it: local, to the minute."""
    return local(value).replace(tzinfo=None, second=0, microsecond=0) if value else None


def type_label(activity_type):
    points = format_amount(activity_type.points)
    if activity_type.unit == PER_HOUR:
        return _("%(name)s（每小时 %(points)s 分）", name=activity_type.name, points=points)
    return _("%(name)s（每次 %(points)s 分）", name=activity_type.name, points=points)


class ActivityForm(FlaskForm):
    # Choices are the community's active types and the grids in the actor's reach; a
    # posted id outside them is refused by the service ("not found").
    type_id = SelectField(_l("活动类型"), coerce=row_id, validate_choice=False)
    title = StringField(_l("活动名称"), validators=[DataRequired(_l("请填写活动名称")),
                                                    Length(max=rules.TITLE_LIMIT)])
    place = StringField(_l("地点"), validators=[DataRequired(_l("请填写活动地点")),
                                                Length(max=rules.PLACE_LIMIT)])
    starts_at = moment(_l("开始时间"), required=True)
    ends_at = moment(_l("结束时间"), required=True)
    capacity = StringField(_l("名额（人）"), validators=[
        DataRequired(_l("请填写名额")), Regexp(WHOLE, message=_l("请填写整数"))],
        render_kw=NUMBER_BOX)
    points = StringField(_l("积分（留空按活动类型的积分）"), validators=[
        Optional(), Regexp(WHOLE, message=_l("请填写整数"))], render_kw=NUMBER_BOX)
    hours = StringField(_l("记多少小时（按小时计分的类型用；留空按活动时长）"), validators=[
        Optional(), Regexp(HOURS, message=_l("请填写小时数，如 2 或 1.5"))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    grid_id = SelectField(_l("网格"), coerce=str, validate_choice=False)
    checkin_opens_at = moment(_l("签到开始（留空为活动开始前 30 分钟）"))
    checkin_closes_at = moment(_l("签到截止（留空为活动结束时）"))
    description = TextAreaField(_l("活动说明（可不填）"), validators=[
        Optional(), Length(max=rules.DESCRIPTION_LIMIT)])

    def __init__(self, types, grids, *args, community_wide=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.type_id.choices = [(item.id, type_label(item)) for item in types]
        wide = [("", _("全社区"))] if community_wide else []
        self.grid_id.choices = wide + [(str(grid.id), grid.name) for grid in grids]

    def values(self):
        """What the service takes: times as aware UTC, numbers as typed (it checks them)."""
        return {
            "type_id": self.type_id.data, "title": self.title.data, "place": self.place.data,
            "description": self.description.data or "",
            "starts_at": to_utc(self.starts_at.data), "ends_at": to_utc(self.ends_at.data),
            "checkin_opens_at": to_utc(self.checkin_opens_at.data),
            "checkin_closes_at": to_utc(self.checkin_closes_at.data),
            "capacity": self.capacity.data, "points": (self.points.data or "").strip() or None,
            "hours": (self.hours.data or "").strip() or None,
            "grid_id": int(self.grid_id.data) if (self.grid_id.data or "").isdigit() else None,
        }

    def fill_from(self, activity):
        """Show a saved draft in the boxes. A check-in window that is the default stays
        empty, so that moving the activity moves its window too."""
        for name in ("type_id", "title", "place", "description", "capacity"):
            getattr(self, name).data = getattr(activity, name)
        self.starts_at.data, self.ends_at.data = in_box(activity.starts_at), in_box(activity.ends_at)
        self.points.data = format_amount(activity.points)
        self.hours.data = (format(activity.hours.normalize(), "f") if activity.hours is not None
                           else "")
        self.grid_id.data = str(activity.grid_id) if activity.grid_id else ""
        opens, closes = rules.checkin_window(activity.starts_at, activity.ends_at)
        if activity.checkin_opens_at != opens:
            self.checkin_opens_at.data = in_box(activity.checkin_opens_at)
        if activity.checkin_closes_at != closes:
            self.checkin_closes_at.data = in_box(activity.checkin_closes_at)


class CancelForm(FlaskForm):
    reason = StringField(_l("取消原因（会通知已报名的人，可不填）"),
                         validators=[Optional(), Length(max=rules.REASON_LIMIT)])


class SignUpForm(FlaskForm):
    """Sign up or withdraw: a button, and whose name it is done in (亲情代理)."""

    acting_for = HiddenField()

    def resident_id(self):
        return posted_resident_id(self.acting_for.data)
