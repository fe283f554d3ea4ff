"""The roles and what they group into."""
from ledger.errors import N_

RESIDENT = "resident"
MERCHANT_CLERK = "merchant_clerk"
MERCHANT_OWNER = "merchant_owner"
GRID_WORKER = "grid_worker"
STAFF = "staff"
ADMIN = "admin"
DISTRICT_ADMIN = "district_admin"

ROLES = (RESIDENT, MERCHANT_CLERK, MERCHANT_OWNER, GRID_WORKER, STAFF, ADMIN, DISTRICT_ADMIN)
MERCHANT_ROLES = frozenset({MERCHANT_CLERK, MERCHANT_OWNER})
STAFF_ROLES = frozenset({GRID_WORKER, STAFF, ADMIN, DISTRICT_ADMIN})
# Roles that may register residents and manage a whole community.
OFFICE_ROLES = frozenset({STAFF, ADMIN, DISTRICT_ADMIN})
# Who has a personal points wallet: everyone who can volunteer.
WALLET_ROLES = frozenset({RESIDENT, MERCHANT_CLERK, MERCHANT_OWNER})

ROLE_LABELS = {
    RESIDENT: N_("居民"),
    MERCHANT_CLERK: N_("商户店员"),
    MERCHANT_OWNER: N_("商户店主"),
    GRID_WORKER: N_("网格员"),
    STAFF: N_("社区工作人员"),
    ADMIN: N_("社区管理员"),
    DISTRICT_ADMIN: N_("街道/区管理员"),
}
