"""Imports every model so that ``db.metadata`` holds every table (Alembic, create_all)."""
from ledger.models import Account, Entry, Hold, Transfer  # noqa: F401
from merchants.models import (Coupon, CouponRule, Merchant, Offer, Settlement,  # noqa: F401
                              Voucher)
from points.audit.models import AuditEvent  # noqa: F401
from points.auth.models import ApiToken, GridAssignment, ProxyGrant, User  # noqa: F401
from points.communities.models import Community, Grid  # noqa: F401
from points.households.models import Household  # noqa: F401
from points.notifications.models import Notification  # noqa: F401
from points.residents.models import ResidentProfile  # noqa: F401
from points.earning.models import ActivityType, Credit  # noqa: F401
from points.activities.models import Activity, CheckIn, MemberCard, SignUp  # noqa: F401
from points.claims.models import Claim, ClaimDecision, ClaimPhoto  # noqa: F401
from points.inspections.models import Inspection, InspectionScore  # noqa: F401
from points.gamification.models import BadgeAward, Level, MonthlyTally, Standing  # noqa: F401
from points.tasks.models import (RequestPhoto, ServiceRequest, Task, TaskAssignment,  # noqa: F401
                                 TaskEvent, TaskMessage)
from points.api.idempotency import IdempotentRequest  # noqa: F401
from points.reports.closed_months import MonthFlows  # noqa: F401
from points.reports.snapshots import ReportSnapshot  # noqa: F401
