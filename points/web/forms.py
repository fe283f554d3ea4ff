"""Forms of the sign-in pages (CSRF by Flask-WTF)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from points.ids import MAX_ID


def row_id(value):
    """``coerce`` of a select of rows: an int that can be an id. A larger one would
    overflow the query (a 500); it is refused like a value that is not a number."""
    number = int(value)
    if not 0 <= number <= MAX_ID:
        raise ValueError(value)
    return number


class SignInForm(FlaskForm):
    phone = StringField(_l("手机号"), validators=[DataRequired(), Length(max=20)],
                        render_kw={"inputmode": "tel", "autocomplete": "username"})
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField(_l("当前密码"), validators=[DataRequired()],
                                 render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("新密码（至少 8 位）"),
                                 validators=[DataRequired(), Length(min=8, max=200)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("再输一次新密码"),
                            validators=[DataRequired(), EqualTo("new_password", _l("两次输入的新密码不一样"))],
                            render_kw={"autocomplete": "new-password"})
