"""Pages of claims: residents file and follow theirs under ``/claims``; staff decide
under ``/staff/claims`` (the queue is ``claims.review``). Photos are served to those who
may see the claim only, never cached by shared caches."""
from pathlib import Path

from flask import (Blueprint, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user

import ledger
from points.auth import roles
from points.claims import approvals, photos, rules, services
from points.claims.errors import ClaimError, ClaimNotFoundError
from points.claims.forms import ApproveForm, ClaimForm, RejectForm
from points.claims.models import SECOND_REVIEW
from points.earning.errors import EarningError
from points.errors import translated
from points.extensions import db
from points.residents.acting import acting_for, posted_resident_id
from points.residents.forms import ButtonForm
from points.residents.switching import current_acting
from points.residents.views import in_community
from points.timeutil import local, utcnow
from points.web.access import require_role
from points.web.forms import row_id

bp = Blueprint("claims", __name__)

STAFF = "/staff/claims"
PHOTO_MAX_AGE = 24 * 3600
claimants = require_role(*roles.WALLET_ROLES)
approvers = require_role(*roles.STAFF_ROLES)


@bp.context_processor
def claim_helpers():
    return {"status_label": rules.STATUS_LABELS, "amount": ledger.format_amount, "local": local,
            "hours_text": hours_text, "translated": translated,
            "promise_minutes": rules.PROMISE_MINUTES}


def hours_text(hours):
    """``1.5``, ``2``: no trailing zeros, never an exponent."""
    return format(hours.normalize(), "f")


def upload_dir(app):
    """Where claim photos live: private, under the instance folder (never static/)."""
    return Path(app.config["INSTANCE_PATH"]) / "uploads" / "claims"


def photo_response(photo):
    return private_photo(upload_dir(current_app), photo.storage_key, ClaimNotFoundError)


def private_photo(directory, storage_key, missing):
    """A stored (re-encoded) photo for the one person allowed to see it; ``missing``: the
    not-found error to raise when the file is gone. Claims and work orders both use it."""
    path = photos.path_of(directory, storage_key)
    if not path.is_file():
        raise missing()
    response = send_file(path, mimetype="image/jpeg", conditional=True)
    # Only the browser of the person who may see it keeps a copy, never a shared cache.
    response.headers["Cache-Control"] = f"private, max-age={PHOTO_MAX_AGE}"
    response.headers.pop("Expires", None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def uploads(files):
    """The bytes of each chosen file (an empty file input sends one part without a name);
    a file over the limit is read one byte past it, enough to refuse it."""
    return [part.read(photos.MAX_BYTES + 1) for part in files if part and part.filename]


def refused(error):
    """Refusals shown on the page; a claim out of reach stays a 404."""
    if isinstance(error, ClaimNotFoundError):
        raise error
    flash(translated(error), "error")


# Residents


@bp.get("/claims")
@claimants
def index():
    acting = current_acting(db.session, current_user)
    claims = services.claims_of(db.session, acting.resident,
                                before=request.args.get("before", type=row_id))
    more = claims[-1].id if len(claims) == services.PAGE_SIZE else None
    return render_template("resident/claims_index.html", acting=acting, claims=claims, more=more)


@bp.route("/claims/new", methods=["GET", "POST"])
@claimants
def new():
    acting = current_acting(db.session, current_user)
    types = services.claimable_types(db.session, acting.resident.community_id)
    form = ClaimForm(types, rules.local_today(utcnow()))
    if form.validate_on_submit():
        acting = acting_for(db.session, current_user, posted_resident_id(request.form.get("acting_for")))
        try:
            claim = services.file_claim(
                db.session, acting=acting, type_id=request.form.get("type_id", type=row_id),
                work_day=form.work_day.data, hours=form.hours.data,
                description=form.description.data, location=form.location.data,
                photos=uploads(form.photos.data or []), upload_dir=upload_dir(current_app),
                now=utcnow())
        except (ClaimError, EarningError) as error:
            refused(error)
        else:
            flash(_("申报已提交，社区工作人员会尽快审核"), "success")
            return redirect(url_for("claims.detail", claim_id=claim.id))
    form.acting_for.data = acting.resident.id
    return render_template("resident/claims_new.html", form=form, types=types, acting=acting)


@bp.get("/claims/<int:claim_id>")
@claimants
def detail(claim_id):
    acting = current_acting(db.session, current_user)
    claim = services.own_claim(db.session, acting.resident, claim_id)
    return render_template("resident/claims_detail.html", claim=claim, acting=acting)


@bp.get("/claims/<int:claim_id>/photos/<int:position>")
@require_role()
def photo(claim_id, position):
    found = services.photo_for(db.session, viewer=current_user, claim_id=claim_id,
                               position=position)
    return photo_response(found)


# Staff


@bp.get(STAFF)
@approvers
@in_community
def review(community):
    queue = approvals.review_queue(db.session, actor=current_user, community=community,
                                   now=utcnow())
    return render_template("staff/claims_review.html", queue=queue, community=community,
                           form=ButtonForm())


@bp.get(f"{STAFF}/<int:claim_id>")
@approvers
@in_community
def staff_detail(community, claim_id):
    found = approvals.review(db.session, actor=current_user, community=community,
                             claim_id=claim_id, now=utcnow())
    approve_form = ApproveForm(points=ledger.format_amount(found.proposed))
    return render_template("staff/claims_detail.html", review=found, claim=found.claim,
                           approve_form=approve_form, reject_form=RejectForm())


@bp.post(f"{STAFF}/<int:claim_id>/approve")
@approvers
@in_community
def approve(community, claim_id):
    form = ApproveForm()
    if not form.validate_on_submit():
        flash(_("请检查填写的积分和原因"), "error")
        return redirect(url_for("claims.staff_detail", claim_id=claim_id))
    try:
        claim = approvals.approve_claim(db.session, actor=current_user, community=community,
                                        claim_id=claim_id, points=form.points.data,
                                        note=form.note.data, now=utcnow())
    except (ClaimError, EarningError) as error:
        refused(error)
        return redirect(url_for("claims.staff_detail", claim_id=claim_id))
    flash(approved_message(claim), "success")
    return redirect(url_for("claims.review"))


def approved_message(claim):
    if claim.status == SECOND_REVIEW:
        return _("已初审通过，等待另一位工作人员复核")
    return _("已通过，给 %(name)s 记入 %(points)s 积分", name=claim.user.name,
             points=ledger.format_amount(claim.points))


@bp.post(f"{STAFF}/<int:claim_id>/reject")
@approvers
@in_community
def reject(community, claim_id):
    form = RejectForm()
    if not form.validate_on_submit():
        flash(_("原因最多 %(limit)s 个字", limit=rules.REASON_LIMIT), "error")
        return redirect(url_for("claims.staff_detail", claim_id=claim_id))
    try:
        claim = approvals.reject_claim(db.session, actor=current_user, community=community,
                                       claim_id=claim_id, reason=form.reason.data, now=utcnow())
    except (ClaimError, EarningError) as error:
        refused(error)
        return redirect(url_for("claims.staff_detail", claim_id=claim_id))
    flash(_("已退回 %(name)s 的申报，并告知了原因", name=claim.user.name), "success")
    return redirect(url_for("claims.review"))


@bp.post(f"{STAFF}/approve")
@approvers
@in_community
def approve_many(community):
    if not ButtonForm().validate_on_submit():
        flash(_("页面已过期，请重新操作"), "error")
        return redirect(url_for("claims.review"))
    try:
        result = approvals.approve_many(db.session, actor=current_user, community=community,
                                        claim_ids=request.form.getlist("claim_ids", type=row_id),
                                        now=utcnow())
    except ClaimError as error:
        refused(error)
        return redirect(url_for("claims.review"))
    return render_template("staff/claims_bulk.html", result=result)
