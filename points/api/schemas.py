"""Schemas shared by the API frame: errors, tokens, the signed-in user."""
from marshmallow import Schema, fields, validate


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")


class ErrorOut(Schema):
    error = fields.Nested(ErrorBody, required=True)


class TokenIn(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenOut(Schema):
    token = fields.String(required=True)
    role = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


class CommunityOut(Schema):
    id = fields.Integer()
    name = fields.String()


class HouseholdOut(Schema):
    id = fields.Integer()
    address = fields.String()
    grid = fields.String(attribute="grid.name")


class MeOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    phone = fields.String(required=True)
    role = fields.String(required=True)
    community = fields.Nested(CommunityOut, allow_none=True)
    household = fields.Nested(HouseholdOut, allow_none=True)
    merchant_id = fields.Integer(allow_none=True)
    must_change_password = fields.Boolean()
