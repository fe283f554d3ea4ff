"""``/api/v1/merchant/devices``: a shop owner issues, lists and revokes the long-lived
device tokens of the shop's tills (see ``merchants.devices``).

Only a shop owner signed in with an ordinary token may manage devices: a device token
(even the owner's own) is refused (403), so a tablet left at the till cannot make more.
``DELETE`` is idempotent: revoking a revoked device answers 200 with the first time.
"""
import hashlib

from flask import current_app, g
from sqlalchemy import select

from merchants import devices
from merchants.device_schemas import DeviceIn, DeviceIssuedOut, DeviceListOut, DeviceOut
from points.api import Blueprint, bearer_token, token_required
from points.auth import roles
from points.auth.models import ApiToken
from points.errors import ForbiddenError
from points.extensions import db
from points.timeutil import utcnow

blp = Blueprint("api_devices", __name__, url_prefix="/api/v1",
                description="A shop owner's device tokens for the shop's scanners")

owners = token_required(roles.MERCHANT_OWNER)


def refuse_device_tokens():
    digest = hashlib.sha256(bearer_token().encode()).hexdigest()
    kind = db.session.scalar(select(ApiToken.kind).where(ApiToken.token_hash == digest))
    if kind == devices.DEVICE:
        raise ForbiddenError()


@blp.get("/merchant/devices")
@owners
@blp.response(200, DeviceListOut)
@blp.doc(security=[{"bearer": []}])
def list_devices():
    """The shop's device tokens not revoked (expired ones too), newest first."""
    refuse_device_tokens()
    return {"devices": devices.devices_of(db.session, owner=g.user)}


@blp.post("/merchant/devices")
@owners
@blp.arguments(DeviceIn)
@blp.response(201, DeviceIssuedOut)
@blp.alt_response(409, description="The shop has its most live devices (``too_many_devices``).")
@blp.alt_response(422, description="``device_label_invalid`` or ``not_a_clerk_of_shop`` "
                                   "(not an active clerk or the owner of this shop).")
@blp.doc(security=[{"bearer": []}])
def issue_device(data):
    """Sign a device in as a clerk of the shop for ``DEVICE_TOKEN_TTL`` (180 days). The
    ``token`` is in this answer only."""
    refuse_device_tokens()
    raw, token = devices.issue_device_token(db.session, owner=g.user, clerk_id=data["clerk_id"],
                                            label=data["label"], now=utcnow(),
                                            ttl=current_app.config["DEVICE_TOKEN_TTL"])
    token.token = raw  # for DeviceIssuedOut only: never stored (the column is token_hash)
    return token


@blp.delete("/merchant/devices/<int:device_id>")
@owners
@blp.response(200, DeviceOut)
@blp.alt_response(404, description="Not a device of this shop (``device_not_found``).")
@blp.doc(security=[{"bearer": []}])
def revoke_device(device_id):
    """Stop the device at once: its next request is 401. Revoking again is harmless."""
    refuse_device_tokens()
    return devices.revoke_device(db.session, owner=g.user, token_id=device_id, now=utcnow())
