"""``/merchant/devices``: a shop owner's page of the shop's devices (a tablet at the till
that stays signed in as a clerk). Adding one shows its token once, with a QR code for the
tablet to scan; 停用 asks once more on its own page before it stops the device.
"""
import base64

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ledger.errors import DomainError
from merchants import devices
from points.auth import roles
from points.errors import translated
from points.extensions import db
from points.qr import qr_png
from points.timeutil import local, utcnow
from points.web.access import require_role
from points.web.forms import row_id

bp = Blueprint("merchant_devices", __name__)
owners = require_role(roles.MERCHANT_OWNER)


class DeviceForm(FlaskForm):
    clerk_id = SelectField(_l("用谁的身份登录"), coerce=row_id, validate_choice=False)
    label = StringField(_l("设备名称（如“收银台平板”）"),
                        validators=[DataRequired(_l("请给设备起个名字")),
                                    Length(max=devices.LABEL_LIMIT, message=_l("最多 60 个字"))])


class RevokeForm(FlaskForm):
    confirmed = HiddenField()


def qr_data_uri(text):
    """The QR as a ``data:`` image: the token is never put in a URL or a cache."""
    return "data:image/png;base64," + base64.b64encode(qr_png(text, box_size=8)).decode()


def show(form, issued=None, raw=None):
    clerks = devices.clerks_of(db.session, owner=current_user)
    form.clerk_id.choices = [(clerk.id, clerk.name) for clerk in clerks]
    response = make_response(render_template(
        "merchant/devices.html", devices=devices.devices_of(db.session, owner=current_user),
        form=form, revoke=RevokeForm(formdata=None), issued=issued, raw=raw,
        qr=qr_data_uri(raw) if raw else None, now=utcnow(), local=local,
        limit=devices.MAX_LIVE_DEVICES))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/merchant/devices")
@owners
def index():
    return show(DeviceForm(formdata=None))


@bp.post("/merchant/devices")
@owners
def add():
    form = DeviceForm()
    if not form.validate_on_submit():
        return show(form)
    try:
        raw, token = devices.issue_device_token(
            db.session, owner=current_user, clerk_id=form.clerk_id.data, label=form.label.data,
            now=utcnow(), ttl=current_app.config["DEVICE_TOKEN_TTL"])
    except DomainError as error:
        flash(translated(error), "error")
        return show(form)
    return show(DeviceForm(formdata=None), issued=token, raw=raw)


@bp.post("/merchant/devices/<int:device_id>/revoke")
@owners
def revoke(device_id):
    """The first press shows the question on its own page; 确定停用 there stops it."""
    form = RevokeForm()
    if not form.validate_on_submit() or form.confirmed.data != "yes":
        device = devices.device_of(db.session, owner=current_user, token_id=device_id)
        return render_template("merchant/devices_revoke.html", device=device, form=form,
                               local=local)
    device = devices.revoke_device(db.session, owner=current_user, token_id=device_id, now=utcnow())
    flash(_("“%(label)s”已停用，这台设备需要重新开通才能使用", label=device.label), "success")
    return redirect(url_for("merchant_devices.index"))
