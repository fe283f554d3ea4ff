"""HTML pages: sign-in, the home page of each role, language and elder mode."""
from flask import current_app, request
from flask_babel import get_locale
from flask_login import current_user

from points.auth import roles
from points.auth.rules import mask_name, mask_phone


def template_globals():
    locale = str(get_locale() or "zh_Hans_CN")
    return {
        "current_locale": locale,
        "html_lang": "zh-CN" if locale.startswith("zh") else "en",
        "elder_mode": request.cookies.get("elder") == "1",
        "roles": roles,
        "role_label": roles.ROLE_LABELS,
        "mask_name": mask_name,
        "mask_phone": mask_phone,
        "user": current_user,
        "has_endpoint": has_endpoint,
    }


def has_endpoint(name):
    """Whether a page exists yet, so navigation links only to pages that do."""
    return name in current_app.view_functions
