"""Forms of the resident pages (CSRF by Flask-WTF). They check presence and length only;
the services clean and check everything that needs the database."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from points.residents import rules
from points.web.forms import row_id


def relation_choices():
    return [("", _l("（不填）"))] + [(relation, _l(relation)) for relation in rules.RELATIONS]


class ResidentForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")),
                                               Length(max=rules.NAME_LIMIT)])
    phone = StringField(_l("手机号"), validators=[DataRequired(_l("请填写手机号")), Length(max=20)],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    # Choices are the grids in the actor's reach; a posted id outside them is refused by
    # the service as "not found", the same answer as for another community's grid.
    grid_id = SelectField(_l("网格"), coerce=row_id, validate_choice=False)
    address = StringField(_l("门牌/户号（如 3栋2单元401）"),
                          validators=[DataRequired(_l("请填写门牌/户号")),
                                      Length(max=rules.ADDRESS_LIMIT)])
    relation = SelectField(_l("与户主关系（可不填）"), default="")

    def __init__(self, grids, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid_id.choices = [(grid.id, grid.name) for grid in grids]
        self.relation.choices = relation_choices()


class ProxyForm(FlaskForm):
    phone = StringField(_l("家人的手机号（需已登记）"),
                        validators=[DataRequired(_l("请填写手机号")), Length(max=20)],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    relation = SelectField(_l("是居民的什么人"), default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.relation.choices = relation_choices()


class ImportForm(FlaskForm):
    sheet = FileField(_l("选择表格文件（.xlsx 或 .csv）"),
                      validators=[FileRequired(_l("请先选择一个表格文件"))],
                      render_kw={"accept": ".xlsx,.csv,application/vnd.openxmlformats-"
                                           "officedocument.spreadsheetml.sheet,text/csv"})


class ButtonForm(FlaskForm):
    """A form that is only a button: the CSRF token and nothing else."""


class AnonymiseForm(FlaskForm):
    """注销并匿名化: the reason is required (it goes into the audit log)."""

    reason = StringField(_l("注销原因（如：已搬离本社区）"),
                         validators=[DataRequired(_l("请写明注销原因")), Length(max=200)])
