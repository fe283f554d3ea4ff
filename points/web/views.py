"""Sign-in, sign-out, password change, language, elder mode and each role's home page."""
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from points.auth import lockout, roles, services
from points.auth.errors import AuthError, SignInLockedError
from points.errors import translated
from points.extensions import db, limiter
from points.timeutil import utcnow
from points.web.access import before_page, require_role
from points.web.forms import ChangePasswordForm, SignInForm

bp = Blueprint("web", __name__)
bp.before_app_request(before_page)

ONE_YEAR = 365 * 24 * 3600


def safe_next(default):
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlparse(target)
    return target if target.startswith("/") and not parts.netloc and not target.startswith("//") else default


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("web.sign_in"))
    return redirect(url_for(home_endpoint(current_user)))


def home_endpoint(user):
    if user.role in roles.MERCHANT_ROLES:
        return "web.merchant_home"
    if user.role in roles.STAFF_ROLES:
        return "web.staff_home"
    return "web.resident_home"


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_PAGE_LIMIT"], methods=["POST"])
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = lockout.authenticate(db.session, phone=form.phone.data,
                                        password=form.password.data, now=utcnow())
        except SignInLockedError as error:
            flash(translated(error), "error")
            return (render_template("auth/sign_in.html", form=form), 429,
                    {"Retry-After": str(error.retry_after)})
        except AuthError as error:
            flash(translated(error), "error")
        else:
            login_user(user, remember=True)
            if user.must_change_password:
                return redirect(url_for("web.change_password"))
            return redirect(safe_next(url_for(home_endpoint(user))))
    return render_template("auth/sign_in.html", form=form)


@bp.post("/sign-out")
def sign_out():
    logout_user()
    flash(_("您已退出登录"), "info")
    return redirect(url_for("web.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@require_role()
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, user=current_user, old_password=form.old_password.data,
                                     new_password=form.new_password.data)
        except AuthError as error:
            flash(translated(error), "error")
        else:
            flash(_("密码已修改"), "success")
            return redirect(safe_next(url_for("web.index")))
    return render_template("auth/change_password.html", form=form)


@bp.post("/language/<code>")
def set_language(code):
    code = code if code in ("zh_Hans_CN", "en") else "zh_Hans_CN"
    response = redirect(safe_next(url_for("web.index")))
    response.set_cookie("lang", code, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


@bp.post("/elder-mode/<state>")
def set_elder_mode(state):
    response = redirect(safe_next(url_for("web.index")))
    response.set_cookie("elder", "1" if state == "on" else "0", max_age=ONE_YEAR, samesite="Lax",
                        httponly=True)
    return response


@bp.get("/home")
@require_role(*roles.WALLET_ROLES)
def resident_home():
    from points.residents.switching import current_acting
    from points.web.home import resident_summary

    # A 亲情代理 proxy who switched to a family member sees that person's points.
    acting = current_acting(db.session, current_user)
    return render_template("resident/home.html", acting=acting,
                           summary=resident_summary(db.session, acting.resident))


@bp.get("/merchant")
@require_role(*roles.MERCHANT_ROLES)
def merchant_home():
    from points.web.home import merchant_summary

    return render_template("merchant/home.html", summary=merchant_summary(db.session, current_user))


@bp.get("/staff")
@require_role(*roles.STAFF_ROLES)
def staff_home():
    from points.web.home import staff_summary

    return render_template("staff/home.html", summary=staff_summary(db.session, current_user))
