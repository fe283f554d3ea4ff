"""Page access: sign-in required, roles, the forced password change, community scope."""
from functools import wraps

from flask import redirect, request, url_for
from flask_login import current_user, login_required

from points.errors import ForbiddenError
from points.extensions import db, login_manager
from points.tenancy import set_scope

# Pages a user who must change their password can still open.
OPEN_WHILE_CHANGING = {"web.change_password", "web.sign_out", "web.set_language",
                       "web.set_elder_mode", "static"}


@login_manager.user_loader
def load_user(user_id):
    from points.auth.models import User

    return db.session.get(User, int(user_id), execution_options={"all_communities": True})


def require_role(*allowed):
    """Signed-in users of one of ``allowed`` roles (none given: any signed-in user)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(*args, **kwargs):
            if allowed and current_user.role not in allowed:
                raise ForbiddenError()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def before_page():
    """Scope the session to the user's community; send forced changes to the form."""
    if not current_user.is_authenticated:
        return None
    set_scope(db.session, current_user.community_id)
    if current_user.must_change_password and request.endpoint not in OPEN_WHILE_CHANGING:
        return redirect(url_for("web.change_password", next=request.path))
    return None
