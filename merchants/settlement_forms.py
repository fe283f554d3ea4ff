"""Forms of the fund, coupon and settlement pages (CSRF by Flask-WTF). They check shape
only (a yuan amount, whole points, a month); the services check everything else."""
import uuid
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from merchants.fund import CHARITY_SALE, DONATION, NOTE_LIMIT, SOURCE_LIMIT
from merchants.settlement import REFERENCE_LIMIT
from points.web.forms import row_id

YUAN = r"^\s*\d{1,9}(\.\d{1,2})?\s*$"
WHOLE = r"^\s*\d{1,9}\s*$"
MONTH = r"^\s*\d{4}-(0[1-9]|1[0-2])\s*$"


def whole(label, message):
    return StringField(label, validators=[DataRequired(message),
                                          Regexp(WHOLE, message=_l("请填写整数"))],
                       render_kw={"inputmode": "numeric", "autocomplete": "off"})


class IncomeForm(FlaskForm):
    kind = SelectField(_l("收入类型"), choices=[SelectChoice(DONATION, _l("捐赠")),
                                               SelectChoice(CHARITY_SALE, _l("义卖收入"))])
    amount = StringField(_l("金额（元，最多两位小数）"),
                         validators=[DataRequired(_l("请填写金额")),
                                     Regexp(YUAN, message=_l("金额最多两位小数，如 120.50"))],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    source = StringField(_l("捐赠人或义卖活动"),
                         validators=[DataRequired(_l("请填写捐赠人或义卖活动的名称")),
                                     Length(max=SOURCE_LIMIT)])
    received_on = DateField(_l("收到日期"), validators=[DataRequired(_l("请选择日期"))])
    note = StringField(_l("备注（可不填）"), validators=[Optional(), Length(max=NOTE_LIMIT)])
    request_key = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.request_key.data:
            self.request_key.data = uuid.uuid4().hex  # one per form shown: a resubmit records once


class CouponRuleForm(FlaskForm):
    name = StringField(_l("规则名称（如：五月积分券）"),
                       validators=[DataRequired(_l("请填写规则名称")), Length(max=60)])
    min_points = whole(_l("当月至少获得多少积分才发券"), _l("请填写积分"))
    points = whole(_l("每张券面值（积分）"), _l("请填写积分"))
    valid_days = whole(_l("有效天数（含发券当天）"), _l("请填写天数"))
    budget = whole(_l("每月预算（积分）"), _l("请填写预算"))
    active = BooleanField(_l("启用"), default=True)

    def values(self):
        return {"name": self.name.data, "min_points": Decimal(self.min_points.data.strip()),
                "points": Decimal(self.points.data.strip()),
                "budget": Decimal(self.budget.data.strip()),
                "valid_days": int(self.valid_days.data.strip()), "active": bool(self.active.data)}

    def fill_from(self, rule):
        self.name.data, self.active.data = rule.name, rule.active
        for name in ("min_points", "points", "budget", "valid_days"):
            getattr(self, name).data = str(int(getattr(rule, name)))


class MonthForm(FlaskForm):
    month = StringField(_l("月份"), validators=[DataRequired(_l("请选择月份")),
                                               Regexp(MONTH, message=_l("请写成 2026-11 这样"))],
                        render_kw={"type": "month", "autocomplete": "off"})


class UseCouponForm(FlaskForm):
    merchant_id = SelectField(_l("在哪家店用"), coerce=row_id, validate_choice=False)
    acting_for = HiddenField()

    def __init__(self, shops, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant_id.choices = [SelectChoice(shop.id, shop.name) for shop in shops]


class PaidForm(FlaskForm):
    reference = StringField(_l("付款凭证号（如银行转账流水号）"),
                            validators=[DataRequired(_l("请填写付款凭证号")),
                                        Length(max=REFERENCE_LIMIT)],
                            render_kw={"autocomplete": "off"})
