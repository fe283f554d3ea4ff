"""Pure rules about residents: clean names and addresses, who reaches which grid, who sees
full phone numbers, initial passwords and proxies."""
import re
import secrets
import unicodedata

from ledger.errors import N_
from points.auth import roles
from points.residents.errors import (
    AddressInOtherGridError,
    AddressMissingError,
    AddressTooLongError,
    NameMissingError,
    NameTooLongError,
    ProxyIsSelfError,
)

NAME_LIMIT = 40  # users.name
ADDRESS_LIMIT = 80  # households.address
RELATION_LIMIT = 20
NOTE_LIMIT = 200
INITIAL_PASSWORD_DIGITS = 8
# 与户主关系, offered as choices on the form.
RELATIONS = (N_("户主"), N_("配偶"), N_("子女"), N_("父母"), N_("孙辈"), N_("兄弟姐妹"),
             N_("其他亲属"), N_("租户"), N_("其他"))
REGISTRAR_ROLES = roles.OFFICE_ROLES | {roles.GRID_WORKER}
# Who may be linked as a 亲情代理: anyone with a personal wallet (a son who runs a shop too).
PROXY_ROLES = roles.WALLET_ROLES


def clean_text(value):
    """Full-width digits and letters made half-width (３栋 = 3栋), spaces collapsed."""
    text = unicodedata.normalize("NFKC", str(value if value is not None else ""))
    return re.sub(r"\s+", " ", text).strip()


def clean_name(name):
    name = clean_text(name)
    if not name:
        raise NameMissingError()
    if len(name) > NAME_LIMIT:
        raise NameTooLongError(limit=NAME_LIMIT)
    return name


def clean_address(address):
    address = clean_text(address)
    if not address:
        raise AddressMissingError()
    if len(address) > ADDRESS_LIMIT:
        raise AddressTooLongError(limit=ADDRESS_LIMIT)
    return address


def clean_relation(relation):
    # The form offers fixed choices; a longer value can only come from a crafted post.
    return clean_text(relation)[:RELATION_LIMIT]


def clean_note(note):
    # A free-text remark nothing depends on: keep what fits rather than refuse the row.
    return clean_text(note)[:NOTE_LIMIT]


def ensure_household_in_grid(household, grid):
    """One address is one household, and it lies in one grid."""
    if household is not None and household.grid_id != grid.id:
        raise AddressInOtherGridError(address=household.address, grid=household.grid.name)


def is_office(user):
    return user.role in roles.OFFICE_ROLES


def may_register(user):
    return user.role in REGISTRAR_ROLES


def shows_full_phone(viewer):
    """Office staff call residents and see full numbers; grid workers see them masked."""
    return is_office(viewer)


def reaches_grid(actor, grid_id):
    """Office staff reach every grid of their community; a grid worker only their own."""
    return is_office(actor) or grid_id in {grid.id for grid in actor.grids}


def initial_password():
    """Eight random digits: easy to read out and type on a phone; changed at first sign-in."""
    return f"{secrets.randbelow(10 ** INITIAL_PASSWORD_DIGITS):0{INITIAL_PASSWORD_DIGITS}d}"


def ensure_not_self(resident, proxy):
    if resident.id == proxy.id:
        raise ProxyIsSelfError()


def is_live(grant):
    return grant is not None and grant.revoked_at is None
