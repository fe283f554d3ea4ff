"""Pages of the mall and the vouchers, the store counter and the shops.

- Residents (or their family proxy): ``/mall`` (store goods and shop offers), an offer's
  page with 兑换, 微消费 at ``/mall/pay``, ``/vouchers`` and one voucher's page with its
  large QR, short code, expiry and 取消, kept live by ``static/js/voucher.js`` polling
  ``/vouchers/<id>/status``.
- Office staff: the store's goods at ``/staff/store`` (photo, points, stock with a
  reason, monthly limit, shown or hidden) and the shops at ``/staff/shops`` (register,
  approve, suspend, reactivate, per-bill cap).
- A shop owner: their shop's offers at ``/merchant/offers``.
"""
from pathlib import Path

from flask import (current_app, flash, jsonify, make_response, redirect, render_template,
                   request, send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from ledger.errors import DomainError
from merchants import catalogue, services
from merchants import shops as shop_cases
from merchants.forms import (BillCapForm, BuyForm, CancelForm, PayForm, PhotoForm,
                             ShopForm, ShopOfferForm, StockForm, StoreOfferForm,
                             SuspendForm, new_request_key)
from merchants.errors import VoucherNotFoundError
from merchants.models import HELD, Offer
from merchants.schemas import shown_status, voucher_url
from merchants.views import bp
from points import codes, wallets
from points.auth import roles
from points.auth.models import User
from points.claims import photos
from points.errors import ForbiddenError, NotFoundError, translated
from points.extensions import db
from points.qr import qr_png
from points.residents.acting import acting_for, posted_resident_id
from points.residents.forms import ButtonForm
from points.residents.switching import current_acting
from points.residents.views import in_community
from points.timeutil import local, utcnow
from points.web.access import require_role

shoppers = require_role(*roles.WALLET_ROLES)
office = require_role(*roles.OFFICE_ROLES)
owners = require_role(roles.MERCHANT_OWNER)


def status_label(status):
    """The voucher's status in plain words, in the page's language."""
    return {"held": _("可以使用"), "redeemed": _("已核销"), "cancelled": _("已取消"),
            "expired": _("已过期"), "refunded": _("已退款")}.get(status, status)


def status_tone(status):
    """Green for a voucher that is good or did its job, red for one given up or lost."""
    return "ok" if status in (HELD, "redeemed") else "warn"


def status_note(status):
    """One line under a voucher that can no longer be used, saying where the points are."""
    if status == HELD:
        return ""
    notes = {"redeemed": _("已经使用，积分已付给商户。"),
             "expired": _("已过期，冻结的积分会自动退回您的账户。"),
             "refunded": _("已退款，积分已退回。")}
    return notes.get(status) or _("这张券已经不能使用了，冻结的积分已退回。")


def local_time(moment):
    return local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def photo_dir():
    return Path(current_app.config["INSTANCE_PATH"]) / "uploads" / "offers"


def page_helpers():
    return {"status_label": status_label, "status_note": status_note, "status_tone": status_tone,
            "local_time": local_time, "display_code": codes.display}


# Resident: the mall -------------------------------------------------------------------

@bp.get("/mall")
@shoppers
def catalog():
    acting = current_acting(db.session, current_user)
    found = catalogue.mall(db.session, community_id=acting.resident.community_id)
    return render_template("resident/mall.html", mall=found, acting=acting,
                           balance=wallets.wallet_balance(db.session, acting.resident),
                           **page_helpers())


@bp.get("/mall/offers/<int:offer_id>")
@shoppers
def offer(offer_id):
    acting = current_acting(db.session, current_user)
    found = catalogue.visible_offer(db.session, community_id=acting.resident.community_id,
                                    offer_id=offer_id)
    form = BuyForm(acting_for=acting.resident.id, request_key=new_request_key())
    return render_template(
        "resident/mall_offer.html", offer=found, acting=acting, form=form,
        balance=wallets.wallet_balance(db.session, acting.resident),
        taken=services.taken_this_month(db.session, acting.resident, found, utcnow()),
        **page_helpers())


def issue(form, **what):
    """Make the voucher; on a refusal, flash it in plain words and return None."""
    try:
        acting = acting_for(db.session, current_user, posted_resident_id(form.acting_for.data))
        issued = services.issue_voucher(
            db.session, acting=acting, idempotency_key=form.request_key.data,
            item_ttl=current_app.config["VOUCHER_ITEM_TTL"],
            amount_ttl=current_app.config["VOUCHER_AMOUNT_TTL"], now=utcnow(), **what)
    except DomainError as error:
        if error.code in ("forbidden", "not_found", "offer_not_found", "shop_not_found"):
            raise
        flash(translated(error), "error")
        return None
    if issued.created:
        flash(_("兑换券已生成，请到店出示二维码或券码"), "success")
    return redirect(url_for("merchants.voucher", voucher_id=issued.voucher.id))


@bp.post("/mall/offers/<int:offer_id>/voucher")
@shoppers
def buy(offer_id):
    form = BuyForm()
    if form.validate_on_submit() and (done := issue(form, offer_id=offer_id)):
        return done
    return redirect(url_for("merchants.offer", offer_id=offer_id))


@bp.route("/mall/pay", methods=["GET", "POST"])
@shoppers
def pay():
    """微消费: choose a shop, type the points to pay part of the bill with."""
    acting = current_acting(db.session, current_user)
    open_shops = catalogue.open_shops(db.session, community_id=acting.resident.community_id)
    form = PayForm(open_shops)
    if form.validate_on_submit() and (done := issue(form, merchant_id=form.merchant_id.data,
                                                    points=form.points.data.strip())):
        return done
    if not form.is_submitted():
        form.acting_for.data, form.request_key.data = acting.resident.id, new_request_key()
        form.merchant_id.data = request.args.get("shop", type=int)
    minutes = int(current_app.config["VOUCHER_AMOUNT_TTL"].total_seconds() // 60)
    return render_template("resident/mall_pay.html", form=form, shops=open_shops, acting=acting,
                           balance=wallets.wallet_balance(db.session, acting.resident),
                           amount_minutes=minutes)


@bp.get("/mall/offers/<int:offer_id>/photo")
@require_role()
def offer_photo(offer_id):
    found = db.session.get(Offer, offer_id)
    if found is None or found.photo_key is None or (
            current_user.community_id not in (None, found.community_id)):
        raise NotFoundError()
    response = send_file(photos.path_of(photo_dir(), found.photo_key), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# Resident: vouchers -------------------------------------------------------------------

@bp.get("/vouchers")
@shoppers
def vouchers():
    acting = current_acting(db.session, current_user)
    found = catalogue.vouchers_of(db.session, resident=acting.resident)
    return render_template("resident/vouchers.html", vouchers=found, acting=acting,
                           shown_status=shown_status, **page_helpers())


def _visible_voucher(voucher_id):
    return catalogue.visible_voucher(db.session, user=current_user, voucher_id=voucher_id)


@bp.get("/vouchers/<int:voucher_id>")
@shoppers
def voucher(voucher_id):
    found = _visible_voucher(voucher_id)
    status = shown_status(found)
    response = make_response(render_template(
        "resident/voucher.html", voucher=found, status=status, form=CancelForm(
            acting_for=found.user_id), owner=db.session.get(User, found.user_id),
        **page_helpers()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/vouchers/<int:voucher_id>/qr.png")
@shoppers
def voucher_qr(voucher_id):
    found = _visible_voucher(voucher_id)
    response = make_response(qr_png(voucher_url(found)))
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/vouchers/<int:voucher_id>/status")
@shoppers
def voucher_status(voucher_id):
    """What the voucher page polls every 2 s: the status now, and its words."""
    found = _visible_voucher(voucher_id)
    status = shown_status(found)
    response = jsonify({"status": status, "label": status_label(status),
                        "note": status_note(status), "tone": status_tone(status),
                        "open": status == HELD})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/vouchers/<int:voucher_id>/cancel")
@shoppers
def cancel(voucher_id):
    form = CancelForm()
    if form.validate_on_submit():
        try:
            acting = acting_for(db.session, current_user, posted_resident_id(form.acting_for.data))
        except ForbiddenError:  # not their voucher to cancel: it stays hidden
            raise VoucherNotFoundError() from None
        try:
            done = services.cancel_voucher(db.session, acting=acting, voucher_id=voucher_id,
                                           now=utcnow())
        except DomainError as error:
            if error.code == "voucher_not_found":
                raise
            flash(translated(error), "error")
        else:
            flash(_("已取消，%(points)s 积分已退回", points=int(done.points)), "success")
    return redirect(url_for("merchants.voucher", voucher_id=voucher_id))


# Office: the community store's goods --------------------------------------------------

STORE = "/staff/store"


@bp.get(STORE)
@office
@in_community
def store(community):
    goods = catalogue.store_offers(db.session, community_id=community.id)
    return render_template("staff/store.html", goods=goods, community=community,
                           button=ButtonForm())


def save_store(community, form, offer_id=None):
    """Save the posted good; a refusal is shown on the form, what was typed kept."""
    try:
        saved = catalogue.save_store_offer(db.session, actor=current_user,
                                           community_id=community.id, values=form.values(),
                                           offer_id=offer_id, now=utcnow())
    except DomainError as error:
        if error.code in ("forbidden", "offer_not_found"):
            raise
        flash(translated(error), "error")
        return None
    flash(_("已保存“%(title)s”", title=saved.title), "success")
    return redirect(url_for("merchants.store_edit", offer_id=saved.id))


@bp.route(f"{STORE}/new", methods=["GET", "POST"])
@office
@in_community
def store_new(community):
    form = StoreOfferForm()
    if form.validate_on_submit() and (done := save_store(community, form)):
        return done
    return render_template("staff/store_form.html", form=form, community=community, good=None)


@bp.route(f"{STORE}/<int:offer_id>", methods=["GET", "POST"])
@office
@in_community
def store_edit(community, offer_id):
    good = catalogue.store_offer(db.session, community_id=community.id, offer_id=offer_id)
    form = StoreOfferForm()
    if not form.is_submitted():
        form.fill_from(good)
    elif form.validate() and (done := save_store(community, form, offer_id)):
        return done
    return render_template("staff/store_form.html", form=form, community=community, good=good,
                           stock_form=StockForm(formdata=None), photo_form=PhotoForm(formdata=None),
                           button=ButtonForm())


def flash_refusal(error):
    if error.code in ("forbidden", "offer_not_found", "shop_not_found"):
        raise error
    flash(translated(error), "error")


@bp.post(f"{STORE}/<int:offer_id>/stock")
@office
@in_community
def store_stock(community, offer_id):
    form = StockForm()
    if not form.validate_on_submit():
        flash(_("请填写件数和原因"), "error")
    else:
        try:
            good = catalogue.adjust_store_stock(
                db.session, actor=current_user, community_id=community.id, offer_id=offer_id,
                change=form.change.data, reason=form.reason.data, now=utcnow())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(_("库存已更新，现在有 %(stock)s 件", stock=good.stock), "success")
    return redirect(url_for("merchants.store_edit", offer_id=offer_id))


@bp.post(f"{STORE}/<int:offer_id>/photo")
@office
@in_community
def store_photo(community, offer_id):
    form = PhotoForm()
    if not form.validate_on_submit():
        flash(_("请先选择一张照片"), "error")
    else:
        try:
            catalogue.set_store_offer_photo(
                db.session, actor=current_user, community_id=community.id, offer_id=offer_id,
                raw=form.photo.data.read(photos.MAX_BYTES + 1), directory=photo_dir(),
                now=utcnow())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(_("照片已更新"), "success")
    return redirect(url_for("merchants.store_edit", offer_id=offer_id))


@bp.post(f"{STORE}/<int:offer_id>/<any(hide, show):change>")
@office
@in_community
def store_active(community, offer_id, change):
    if ButtonForm().validate_on_submit():
        good = catalogue.set_store_offer_active(
            db.session, actor=current_user, community_id=community.id, offer_id=offer_id,
            active=change == "show", now=utcnow())
        flash(_("“%(title)s”已在商城显示", title=good.title) if good.active
              else _("“%(title)s”已从商城隐藏", title=good.title), "success")
    return redirect(url_for("merchants.store"))


# Office: the partner shops ------------------------------------------------------------

SHOPS = "/staff/shops"


@bp.get(SHOPS)
@office
@in_community
def shops(community):
    rows = shop_cases.list_shops(db.session, actor=current_user, community_id=community.id)
    return render_template("staff/shops.html", rows=rows, community=community)


@bp.route(f"{SHOPS}/new", methods=["GET", "POST"])
@office
@in_community
def shop_new(community):
    form = ShopForm()
    if form.validate_on_submit():
        try:
            shop = shop_cases.register_shop(
                db.session, actor=current_user, community_id=community.id, name=form.name.data,
                address=form.address.data, per_bill_cap=form.per_bill_cap.data, now=utcnow())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(_("已登记“%(name)s”，待审核", name=shop.name), "success")
            return redirect(url_for("merchants.shop", merchant_id=shop.id))
    return render_template("staff/shops_new.html", form=form, community=community)


@bp.get(f"{SHOPS}/<int:merchant_id>")
@office
@in_community
def shop(community, merchant_id):
    found = shop_cases.get_shop(db.session, actor=current_user, community_id=community.id,
                           merchant_id=merchant_id)
    cap_form = BillCapForm(formdata=None, per_bill_cap=str(int(found.per_bill_cap)))
    return render_template("staff/shops_detail.html", shop=found, community=community,
                           button=ButtonForm(), cap_form=cap_form,
                           suspend_form=SuspendForm(formdata=None))


@bp.post(f"{SHOPS}/<int:merchant_id>/<any(approve, reactivate):change>")
@office
@in_community
def shop_status(community, merchant_id, change):
    if ButtonForm().validate_on_submit():
        action = shop_cases.approve_shop if change == "approve" else shop_cases.reactivate_shop
        try:
            found = action(db.session, actor=current_user, community_id=community.id,
                           merchant_id=merchant_id, now=utcnow())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(_("“%(name)s”已开始合作", name=found.name), "success")
    return redirect(url_for("merchants.shop", merchant_id=merchant_id))


@bp.post(f"{SHOPS}/<int:merchant_id>/suspend")
@office
@in_community
def shop_suspend(community, merchant_id):
    form = SuspendForm()
    if not form.validate_on_submit():
        flash(_("暂停商户必须填写原因"), "error")
        return redirect(url_for("merchants.shop", merchant_id=merchant_id))
    try:
        done = shop_cases.suspend_shop(db.session, actor=current_user, community_id=community.id,
                                  merchant_id=merchant_id, reason=form.reason.data, now=utcnow())
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(_("“%(name)s”已暂停，%(count)s 张未使用的兑换券已作废，积分已退回居民",
                name=done.merchant.name, count=done.voided), "success")
    return redirect(url_for("merchants.shop", merchant_id=merchant_id))


@bp.post(f"{SHOPS}/<int:merchant_id>/cap")
@office
@in_community
def shop_cap(community, merchant_id):
    form = BillCapForm()
    if not form.validate_on_submit():
        flash(_("每单上限必须是大于零的整数"), "error")
    else:
        try:
            found = shop_cases.set_bill_cap(
                db.session, actor=current_user, community_id=community.id,
                merchant_id=merchant_id, per_bill_cap=form.per_bill_cap.data, now=utcnow())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(_("每单最多可用 %(points)s 积分", points=int(found.per_bill_cap)), "success")
    return redirect(url_for("merchants.shop", merchant_id=merchant_id))


# A shop owner: their shop's offers ----------------------------------------------------

OFFERS = "/merchant/offers"


@bp.get(OFFERS)
@owners
def offers():
    merchant, found = catalogue.shop_offers(db.session, actor=current_user)
    return render_template("merchant/offers.html", merchant=merchant, offers=found,
                           button=ButtonForm())


def save_offer(form, offer_id=None):
    try:
        saved = catalogue.save_shop_offer(db.session, actor=current_user, values=form.values(),
                                          offer_id=offer_id, now=utcnow())
    except DomainError as error:
        flash_refusal(error)
        return None
    flash(_("已保存“%(title)s”", title=saved.title), "success")
    return redirect(url_for("merchants.offers"))


@bp.route(f"{OFFERS}/new", methods=["GET", "POST"])
@owners
def offer_new():
    merchant = catalogue.owned_shop(db.session, current_user)
    form = ShopOfferForm()
    if form.validate_on_submit() and (done := save_offer(form)):
        return done
    return render_template("merchant/offers_form.html", form=form, merchant=merchant, item=None)


@bp.route(f"{OFFERS}/<int:offer_id>", methods=["GET", "POST"])
@owners
def offer_edit(offer_id):
    item = catalogue.shop_offer(db.session, actor=current_user, offer_id=offer_id)
    form = ShopOfferForm()
    if not form.is_submitted():
        form.fill_from(item)
    elif form.validate() and (done := save_offer(form, offer_id)):
        return done
    return render_template("merchant/offers_form.html", form=form, merchant=item.merchant,
                           item=item, stock_form=StockForm(formdata=None))


@bp.post(f"{OFFERS}/<int:offer_id>/stock")
@owners
def offer_stock(offer_id):
    form = StockForm()
    if not form.validate_on_submit():
        flash(_("请填写件数和原因"), "error")
    else:
        try:
            item = catalogue.adjust_shop_stock(db.session, actor=current_user, offer_id=offer_id,
                                               change=form.change.data, reason=form.reason.data,
                                               now=utcnow())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(_("库存已更新，现在有 %(stock)s 件", stock=item.stock), "success")
    return redirect(url_for("merchants.offer_edit", offer_id=offer_id))


@bp.post(f"{OFFERS}/<int:offer_id>/<any(hide, show):change>")
@owners
def offer_active(offer_id, change):
    if ButtonForm().validate_on_submit():
        item = catalogue.set_shop_offer_active(db.session, actor=current_user, offer_id=offer_id,
                                               active=change == "show", now=utcnow())
        flash(_("“%(title)s”已在商城显示", title=item.title) if item.active
              else _("“%(title)s”已从商城隐藏", title=item.title), "success")
    return redirect(url_for("merchants.offers"))
