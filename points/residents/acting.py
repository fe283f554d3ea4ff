"""Who is acting, and for whom: 亲情代理 (a family member acts for a resident).

A resident without a smartphone (often an elderly parent) has a proxy: a family member
linked by the office (``ProxyGrant``). The proxy signs in with their own account and
switches to acting for the resident; every act then touches the resident's points and
records, and records that the proxy did it.

How a feature uses it:

- A page shows ``current_acting(...)`` (``points.residents.switching``): the wallet,
  vouchers and claims of ``acting.resident``, under the banner "正在代 XX 操作".
- A form that acts carries the resident's id (a hidden field ``acting_for``, from
  ``acting.resident.id``), and the view calls ``acting_for(session, current_user, id)``
  rather than reading the Flask session again: a switch in another tab or a grant
  revoked meanwhile then refuses the act instead of moving the wrong wallet.
- The service receives the ``Acting`` and writes ``**acting.transfer_ids()`` into every
  ledger call: ``actor_id`` is the resident in whose name the act is done (the same as
  when they act themselves), ``proxy_id`` the family member who pressed the button, or
  ``None``. ``ProxyGrant.resident_id``/``proxy_id`` and ``Transfer.actor_id``/``proxy_id``
  thus name the same two people. Staff acts keep ``actor_id`` = the staff member.
- A service that must be certain the grant is live at the moment of writing calls
  ``acting_for`` again inside its ``unit_of_work``.
"""
from dataclasses import dataclass

from sqlalchemy import select

from points.auth import roles
from points.auth.models import ProxyGrant, User
from points.errors import ForbiddenError
from points.ids import MAX_ID


@dataclass(frozen=True)
class Acting:
    """``user`` signed in and presses the buttons; ``resident`` is whose account they use."""

    user: User
    resident: User
    relation: str = ""

    @property
    def is_proxy(self):
        return self.user.id != self.resident.id

    @property
    def actor_id(self):
        return self.resident.id

    @property
    def proxy_id(self):
        return self.user.id if self.is_proxy else None

    def transfer_ids(self):
        """``actor_id`` and ``proxy_id`` for ``ledger.transfer`` and its siblings."""
        return {"actor_id": self.actor_id, "proxy_id": self.proxy_id}


def acting_as_self(user):
    return Acting(user=user, resident=user)


def live_grant(session, *, resident_id, proxy_id):
    return session.scalar(select(ProxyGrant).where(
        ProxyGrant.resident_id == resident_id, ProxyGrant.proxy_id == proxy_id,
        ProxyGrant.revoked_at.is_(None)))


def _active_resident(session, resident_id):
    resident = session.get(User, resident_id)
    if resident is None or not resident.active or resident.role != roles.RESIDENT:
        return None
    return resident


def posted_resident_id(raw):
    """The resident a page form's hidden ``acting_for`` field names: None (oneself) when it
    is empty or not a number. A number no row can have is refused here, one that is merely
    not a grant of ``user``'s by ``acting_for``."""
    raw = (raw or "").strip()
    if not raw.isdecimal():
        return None
    if len(raw) > len(str(MAX_ID)):
        raise ForbiddenError()
    return int(raw)


def acting_for(session, user, resident_id):
    """``user`` acting for ``resident_id`` (themselves when it is their own id or None).

    Raises ``ForbiddenError`` unless a live ``ProxyGrant`` lets ``user`` act for an
    active resident. Read-only: safe inside or outside a transaction.
    """
    if resident_id is None or resident_id == user.id:
        return acting_as_self(user)
    if not 0 < resident_id <= MAX_ID:  # no such row; the query would overflow an INTEGER
        raise ForbiddenError()
    grant = live_grant(session, resident_id=resident_id, proxy_id=user.id)
    resident = _active_resident(session, resident_id) if grant is not None else None
    if resident is None:
        raise ForbiddenError()
    return Acting(user=user, resident=resident, relation=grant.relation)


def residents_for(session, user):
    """The active residents ``user`` may act for, by name."""
    stmt = (select(User).join(ProxyGrant, ProxyGrant.resident_id == User.id)
            .where(ProxyGrant.proxy_id == user.id, ProxyGrant.revoked_at.is_(None),
                   User.active.is_(True), User.role == roles.RESIDENT)
            .order_by(User.name, User.id))
    return list(session.scalars(stmt))
