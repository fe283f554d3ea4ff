"""Forms of the claim pages (CSRF by Flask-WTF). They check presence and length only; the
services check everything else (type, day, hours, photos, caps, who decides)."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, HiddenField, MultipleFileField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, Optional

from points.claims import rules


class ClaimForm(FlaskForm):
    # Whose claim it is: the resident a 亲情代理 proxy acts for (see points.residents.acting).
    acting_for = HiddenField()
    # Ids as text: "请选择" is empty, and an id that is not an active type of the community
    # is refused by the service with a plain message.
    type_id = SelectField(_l("做的是哪类工作"), validate_choice=False)
    work_day = DateField(_l("哪天做的"), validators=[DataRequired(_l("请填写做这项工作的日期"))])
    hours = StringField(_l("做了几个小时（按小时计分的要填）"),
                        validators=[Optional(), Length(max=12)],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    description = TextAreaField(_l("做了什么"),
                                validators=[DataRequired(_l("请写一写做了什么")),
                                            Length(max=rules.DESCRIPTION_LIMIT)],
                                render_kw={"rows": 4, "maxlength": rules.DESCRIPTION_LIMIT})
    location = StringField(_l("在哪里（隐患上报必填）"),
                           validators=[Optional(), Length(max=rules.LOCATION_LIMIT)],
                           render_kw={"maxlength": rules.LOCATION_LIMIT})
    photos = MultipleFileField(_l("照片（最多 3 张）"),
                               render_kw={"accept": "image/jpeg,image/png,image/webp"})

    def __init__(self, types, today, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type_id.choices = [("", _l("请选择"))] + [(str(t.id), t.name) for t in types]
        earliest = today - timedelta(days=rules.MAX_AGE_DAYS)
        self.work_day.render_kw = {"min": earliest.isoformat(), "max": today.isoformat()}


class ApproveForm(FlaskForm):
    points = StringField(_l("记多少积分"), validators=[Length(max=20)],
                         render_kw={"inputmode": "numeric", "autocomplete": "off"})
    note = StringField(_l("改动积分的原因（改了才要填）"),
                       validators=[Length(max=rules.REASON_LIMIT)])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("不通过的原因（居民会看到）"),
                           validators=[Length(max=rules.REASON_LIMIT)],
                           render_kw={"rows": 3, "maxlength": rules.REASON_LIMIT})
