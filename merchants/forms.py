"""Forms of the mall, the store counter, the shops' offers and the office's shop list
(CSRF by Flask-WTF). They check shape only (presence, length, whole numbers); the
services check everything else (``merchants.rules``)."""
import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, HiddenField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from merchants.models import DISCOUNT, ITEM
from points.web.forms import row_id

WHOLE = r"^\s*\d{1,7}\s*$"
SIGNED = r"^\s*[-+]?\d{1,6}\s*$"
NUMBER_BOX = {"inputmode": "numeric", "autocomplete": "off"}


def whole_number(label, required=False, message=None):
    presence = DataRequired(message or _l("请填写数字")) if required else Optional()
    return StringField(label, validators=[presence, Regexp(WHOLE, message=_l("请填写整数"))],
                       render_kw=NUMBER_BOX)


def new_request_key():
    """One key per form shown: pressing 兑换 twice makes one voucher, not two."""
    return secrets.token_urlsafe(16)


class StoreOfferForm(FlaskForm):
    title = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称")), Length(max=80)])
    description = TextAreaField(_l("说明（可不填）"), validators=[Length(max=500)])
    points = whole_number(_l("兑换所需积分"), required=True, message=_l("请填写积分"))
    stock = whole_number(_l("库存件数（不限量请留空）"))
    monthly_limit = whole_number(_l("每人每月最多兑换几次（不限请留空）"))
    active = BooleanField(_l("在积分商城里显示"), default=True)

    def values(self):
        return {"title": self.title.data, "description": self.description.data,
                "kind": ITEM, "points": self.points.data, "stock": self.stock.data,
                "monthly_limit": self.monthly_limit.data, "active": bool(self.active.data)}

    def fill_from(self, offer):
        self.title.data, self.description.data = offer.title, offer.description
        self.points.data = str(int(offer.points))
        self.stock.data = "" if offer.stock is None else str(offer.stock)
        self.monthly_limit.data = "" if offer.monthly_limit is None else str(offer.monthly_limit)
        self.active.data = offer.active


class ShopOfferForm(StoreOfferForm):
    kind = SelectField(_l("类型"), choices=[SelectChoice(ITEM, _l("商品")),
                                            SelectChoice(DISCOUNT, _l("优惠（如满减、折扣）"))])

    def values(self):
        return {**super().values(), "kind": self.kind.data}

    def fill_from(self, offer):
        super().fill_from(offer)
        self.kind.data = offer.kind


class StockForm(FlaskForm):
    change = StringField(_l("增加几件（减少请填负数，如 -2）"),
                         validators=[DataRequired(_l("请填写件数")),
                                     Regexp(SIGNED, message=_l("请填写整数"))],
                         render_kw={"autocomplete": "off"})
    reason = StringField(_l("原因（如：新到货、损坏）"),
                         validators=[DataRequired(_l("请填写原因")), Length(max=200)])


class PhotoForm(FlaskForm):
    photo = FileField(_l("选择照片"), validators=[FileRequired(_l("请先选择一张照片"))],
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})


class ShopForm(FlaskForm):
    name = StringField(_l("商户名称"), validators=[DataRequired(_l("请填写商户名称")),
                                                   Length(max=80)])
    address = StringField(_l("地址（可不填）"), validators=[Length(max=120)])
    per_bill_cap = whole_number(_l("每单最多可用积分"), required=True, message=_l("请填写积分"))


class BillCapForm(FlaskForm):
    per_bill_cap = whole_number(_l("每单最多可用积分"), required=True, message=_l("请填写积分"))


class SuspendForm(FlaskForm):
    reason = StringField(_l("暂停原因"), validators=[DataRequired(_l("请填写原因")),
                                                     Length(max=200)])


class BuyForm(FlaskForm):
    """兑换: for whom (``acting_for``, see ``points.residents.acting``) and the request key."""

    acting_for = HiddenField()
    request_key = HiddenField(validators=[DataRequired(), Length(max=80)])


class PayForm(BuyForm):
    """微消费: a number of points at a chosen shop."""

    merchant_id = SelectField(_l("在哪家店用"), coerce=row_id, validate_choice=False)
    points = whole_number(_l("用多少积分"), required=True, message=_l("请填写要用的积分"))

    def __init__(self, shops, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant_id.choices = [SelectChoice(shop.id, shop.name) for shop in shops]


class CancelForm(FlaskForm):
    acting_for = HiddenField()
