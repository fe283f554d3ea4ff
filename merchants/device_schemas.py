"""Schemas of ``/api/v1/merchant/devices``: a shop owner's device tokens. The raw token
appears only in the answer to the POST that made it; the hash never."""
from marshmallow import Schema, fields, validate

from points.ids import ID


class DeviceIn(Schema):
    clerk_id = fields.Integer(required=True, strict=True, validate=ID,
                              metadata={"description": "The user the device signs in as: a clerk "
                                                       "of the owner's shop, or the owner."})
    label = fields.String(required=True, validate=validate.Length(max=200), metadata={
        "description": "A name for the device, 1 to 60 characters after trimming.",
        "example": "收银台平板"})


class DeviceOut(Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    clerk_id = fields.Integer(required=True, attribute="user_id")
    clerk_name = fields.String(required=True, attribute="user.name")
    created_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    last_used_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)


class DeviceIssuedOut(DeviceOut):
    token = fields.String(required=True, metadata={
        "description": "The bearer token for the device. Shown this once: it is stored "
                       "only as a hash and cannot be shown again."})


class DeviceListOut(Schema):
    devices = fields.List(fields.Nested(DeviceOut), required=True)
