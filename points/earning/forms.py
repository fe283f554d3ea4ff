"""The form of an activity type (CSRF by Flask-WTF). It checks shape only: whole numbers
where numbers go; the rule itself (caps above zero, day below month) is checked by
``rules.ensure_valid_rule`` in the service."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from points.earning import rules
from points.earning.models import CATEGORIES, PER_HOUR, PER_PARTICIPATION

WHOLE = r"^\s*\d{1,6}\s*$"


def whole_number(label, required=False):
    """A text box for a whole number of points (a phone shows the number pad)."""
    presence = DataRequired(_l("请填写积分")) if required else Optional()
    return StringField(label, validators=[presence, Regexp(WHOLE, message=_l("请填写整数"))],
                       render_kw={"inputmode": "numeric", "autocomplete": "off"})


def points_or_none(text):
    return Decimal(text.strip()) if text and text.strip() else None


class ActivityTypeForm(FlaskForm):
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称")),
                                               Length(max=rules.NAME_LIMIT)])
    category = SelectField(_l("类别"), choices=[
        SelectChoice(key, _l(rules.CATEGORY_LABELS[key])) for key in CATEGORIES])
    unit = SelectField(_l("计分方式"), choices=[
        SelectChoice(unit, _l(rules.UNIT_LABELS[unit])) for unit in (PER_HOUR, PER_PARTICIPATION)])
    points = whole_number(_l("积分（每小时或每次）"), required=True)
    daily_cap = whole_number(_l("每人每天最多（分，不设请留空）"))
    monthly_cap = whole_number(_l("每人每月最多（分，不设请留空）"))
    second_approval_above = whole_number(_l("超过多少分需第二人复核（不设请留空）"))
    photo_required = BooleanField(_l("申报时需要照片"))
    location_required = BooleanField(_l("申报时需要填写地点（如隐患上报）"))

    def values(self):
        """The rule as the service takes it (Decimals, or None for an empty cap)."""
        return {
            "name": self.name.data, "category": self.category.data, "unit": self.unit.data,
            "points": points_or_none(self.points.data),
            "daily_cap": points_or_none(self.daily_cap.data),
            "monthly_cap": points_or_none(self.monthly_cap.data),
            "second_approval_above": points_or_none(self.second_approval_above.data),
            "photo_required": bool(self.photo_required.data),
            "location_required": bool(self.location_required.data),
        }

    def fill_from(self, activity_type):
        """Show a saved type's rule in the boxes (GET of the edit page)."""
        for name in ("name", "category", "unit", "photo_required", "location_required"):
            getattr(self, name).data = getattr(activity_type, name)
        for name in ("points", "daily_cap", "monthly_cap", "second_approval_above"):
            value = getattr(activity_type, name)
            getattr(self, name).data = "" if value is None else str(int(value))
