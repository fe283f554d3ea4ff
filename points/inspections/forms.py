"""Forms of the inspection pages. The score sheet has three boxes per household, named
``<item>-<household id>``; reading them checks shape only (whole numbers 0–10, all three
or none), the service checks the rest."""
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from points.inspections import rules

SCORE = r"^\s*(10|[0-9])\s*$"
INVALID = object()  # a box with something that is not a score


def box_name(item, household_id):
    return f"{item}-{household_id}"


@dataclass
class SheetInput:
    """What was typed on the sheet: complete entries, and a message per household whose
    boxes are wrong (the sheet is shown again with both)."""

    entries: list[dict] = field(default_factory=list)
    typed: dict = field(default_factory=dict)  # box name → text, to show again
    errors: dict = field(default_factory=dict)  # household id → message


def read_box(text):
    """A score 0–10, None for an empty box, ``INVALID`` for anything else."""
    text = unicodedata.normalize("NFKC", text or "").strip()  # ８ typed with a Chinese IME
    if not text:
        return None
    return int(text) if re.fullmatch(r"[0-9]{1,2}", text) and int(text) <= rules.MAX_SCORE \
        else INVALID


def read_household(formdata, household, found):
    values = {}
    for item in rules.ITEMS:
        name = box_name(item, household.id)
        found.typed[name] = formdata.get(name, "")
        values[item] = read_box(found.typed[name])
    given = [value for value in values.values() if value is not None]
    if not given:
        return
    if any(value is INVALID for value in given):
        found.errors[household.id] = _("每项分数须为 0 到 10 的整数")
    elif len(given) < len(rules.ITEMS):
        found.errors[household.id] = _("三项分数要填全；这次不评请三项都留空")
    else:
        found.entries.append({"household_id": household.id, **values})


def read_sheet(formdata, households):
    """The scores typed for ``households`` (the ones not yet scored)."""
    found = SheetInput()
    for household in households:
        read_household(formdata, household, found)
    return found


def score_box(label):
    return StringField(label, validators=[
        DataRequired(_l("请填写分数")), Regexp(SCORE, message=_l("每项分数须为 0 到 10 的整数"))],
        render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": "2",
                   "autocomplete": "off"})


class CorrectionForm(FlaskForm):
    personal = score_box(_l("个人卫生"))
    home = score_box(_l("家庭环境"))
    public = score_box(_l("公共卫生"))
    reason = TextAreaField(_l("更正原因（必填，居民会看到）"),
                           validators=[DataRequired(_l("请写明更正原因")),
                                       Length(max=rules.REASON_LIMIT)])
    revision = HiddenField()

    def values(self):
        return {item: int(getattr(self, item).data.strip()) for item in rules.ITEMS}

    def expected_revision(self):
        text = (self.revision.data or "").strip()
        return int(text) if text.isdigit() else None

    def fill_from(self, score):
        for item in rules.ITEMS:
            getattr(self, item).data = str(getattr(score, item))
        self.revision.data = str(score.revision)
