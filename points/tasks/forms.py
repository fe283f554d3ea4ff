"""Forms of the request and task pages (CSRF by Flask-WTF). They check presence and
length only; the services check everything else (category, place, points, deadline, who
may act). Times are typed in the community's local time and handed on as aware UTC."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, HiddenField, MultipleFileField, RadioField,
                     SelectChoice, SelectField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional

from points.activities.forms import MINUTE, in_box, to_utc
from points.tasks import rules
from points.tasks.models import CATEGORIES

NUMBER_BOX = {"inputmode": "numeric", "autocomplete": "off"}


class RequestForm(FlaskForm):
    # Whose request it is: the resident a 亲情代理 proxy acts for (points.residents.acting).
    acting_for = HiddenField()
    category = RadioField(_l("需要哪类帮助"), choices=[
        SelectChoice(key, _l(rules.CATEGORY_LABELS[key])) for key in CATEGORIES], validate_choice=False)
    description = TextAreaField(_l("需要帮什么忙"), validators=[
        DataRequired(_l("请写一写需要什么帮助")), Length(max=rules.DESCRIPTION_LIMIT)],
        render_kw={"rows": 4, "maxlength": rules.DESCRIPTION_LIMIT})
    place = StringField(_l("在哪里"), validators=[DataRequired(_l("请写明在哪里（地址或地点）")),
                                                 Length(max=rules.PLACE_LIMIT)],
                        render_kw={"maxlength": rules.PLACE_LIMIT})
    preferred_time = StringField(_l("什么时候方便（可不填，如：周三上午）"),
                                 validators=[Optional(), Length(max=rules.PREFERRED_TIME_LIMIT)],
                                 render_kw={"maxlength": rules.PREFERRED_TIME_LIMIT})
    urgent = BooleanField(_l("很急（社区 2 小时内处理）"))
    photos = MultipleFileField(_l("照片（可不拍，最多 3 张）"),
                               render_kw={"accept": "image/jpeg,image/png,image/webp"})


class PhoneRequestForm(RequestForm):
    """Staff taking a phone call: the resident is found by their phone number."""

    phone = StringField(_l("居民的手机号"), validators=[DataRequired(_l("请填写居民的手机号")),
                                                       Length(max=20)],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})


class PublishForm(FlaskForm):
    title = StringField(_l("任务名称（志愿者看到的）"),
                        validators=[DataRequired(_l("请填写任务名称")), Length(max=rules.TITLE_LIMIT)])
    type_id = SelectField(_l("按哪类活动记积分"), coerce=str, validate_choice=False)
    points = StringField(_l("每位志愿者得多少积分"), validators=[DataRequired(_l("请填写积分")),
                                                            Length(max=12)], render_kw=NUMBER_BOX)
    volunteers_needed = StringField(_l("需要几位志愿者"), validators=[
        DataRequired(_l("请填写人数")), Length(max=3)], render_kw=NUMBER_BOX)
    deadline = DateTimeLocalField(_l("最晚什么时候办好"), format=MINUTE,
                                  validators=[DataRequired(_l("请填写日期和时间"))])

    def __init__(self, types, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type_id.choices = [SelectChoice("", _l("请选择"))] + [
            SelectChoice(str(t.id), t.name) for t in types]

    def fill(self, request, types, now):
        """What the form proposes: a title from the category, the first type's points."""
        self.title.data = str(_l(rules.CATEGORY_LABELS[request.category]))
        self.volunteers_needed.data = "1"
        self.deadline.data = in_box(rules.default_deadline(request.urgent, now))
        if types:
            self.type_id.data = str(types[0].id)
            self.points.data = format(types[0].points.normalize(), "f")

    def deadline_utc(self):
        return to_utc(self.deadline.data)


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("原因（居民会看到）"), validators=[Length(max=rules.REASON_LIMIT)],
                           render_kw={"rows": 3, "maxlength": rules.REASON_LIMIT})


class MergeForm(FlaskForm):
    into_id = SelectField(_l("和哪一份是同一件事"), coerce=str, validate_choice=False)


class RouteForm(FlaskForm):
    grid_id = SelectField(_l("转给哪个网格"), coerce=str, validate_choice=False)


class MessageForm(FlaskForm):
    acting_for = HiddenField()
    body = TextAreaField(_l("留言"), validators=[DataRequired(_l("请写上要说的话")),
                                               Length(max=rules.MESSAGE_LIMIT)],
                         render_kw={"rows": 2, "maxlength": rules.MESSAGE_LIMIT})


class ConfirmForm(FlaskForm):
    acting_for = HiddenField()
    rating = RadioField(_l("给志愿者打个分（可不选）"), choices=[
        SelectChoice("5", _l("5 分 很满意")), SelectChoice("4", _l("4 分 满意")),
        SelectChoice("3", _l("3 分 一般")), SelectChoice("2", _l("2 分 不太满意")),
        SelectChoice("1", _l("1 分 很不满意"))],
        validators=[Optional()], validate_choice=False)
    comment = StringField(_l("想说的话（可不填）"), validators=[Length(max=rules.REASON_LIMIT)],
                          render_kw={"maxlength": rules.REASON_LIMIT})


class DisputeForm(FlaskForm):
    acting_for = HiddenField()
    reason = TextAreaField(_l("哪里没办好"), validators=[Length(max=rules.REASON_LIMIT)],
                           render_kw={"rows": 3, "maxlength": rules.REASON_LIMIT})


class ReassignForm(FlaskForm):
    from_volunteer_id = SelectField(_l("换下哪位志愿者"), coerce=str, validate_choice=False)
    phone = StringField(_l("换上的志愿者手机号"), validators=[
        DataRequired(_l("请填写志愿者的手机号")), Length(max=20)],
        render_kw={"inputmode": "tel", "autocomplete": "off"})


class DecideForm(FlaskForm):
    reason = TextAreaField(_l("核实情况（居民和志愿者都会看到）"),
                           validators=[Length(max=rules.REASON_LIMIT)],
                           render_kw={"rows": 3, "maxlength": rules.REASON_LIMIT})
