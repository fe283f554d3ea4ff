"""Refusals of notifications. An unknown id, or another person's, is
``points.errors.NotFoundError`` (404): whether it exists is nobody else's business."""
from points.errors import NotFoundError


class NotificationNotFoundError(NotFoundError):
    code = "not_found"
