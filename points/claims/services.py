"""Filing a claim and reading claims: the claimant's side.

A resident (or a merchant who volunteers: anyone with a wallet) files for work done
alone, directly or through a 亲情代理 proxy (``Claim.filed_by_id``). Points asked are the
type's rule; a claim that would already break a cap, given the credits so far, is
refused at filing instead of waiting for staff to refuse it. Pending claims do not count
against the caps: only credits do, and the approval checks again under the wallet lock.

Approvals are in ``points.claims.approvals``.
"""
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from points.auth import roles
from points.claims import photos as photo_files
from points.claims import rules
from points.claims.errors import ClaimNotFoundError, ClaimTypeUnknownError
from points.claims.models import PENDING, Claim, ClaimPhoto
from points.earning import rules as earning_rules
from points.earning import services as earning
from points.earning.models import ActivityType
from points.errors import ForbiddenError
from points.extensions import unit_of_work
from points.residents.acting import acting_for
from points.residents import rules as resident_rules

PAGE_SIZE = 20


def ensure_claimant(acting):
    """Claims are filed into a person's wallet: residents and merchants who volunteer."""
    if acting.resident.role not in roles.WALLET_ROLES or acting.resident.community_id is None:
        raise ForbiddenError()


def claimable_types(session, community_id):
    """The active activity types of the community, as offered on the form."""
    return earning.list_types(session, community_id)


def claimable_type(session, community_id, type_id):
    """An active type of ``community_id``; anything else is ``ClaimTypeUnknownError``."""
    activity_type = session.get(ActivityType, type_id) if type_id else None
    if activity_type is None or activity_type.community_id != community_id:
        raise ClaimTypeUnknownError()
    if not activity_type.active:
        raise ClaimTypeUnknownError()
    return activity_type


def file_claim(session, *, acting, type_id, work_day, hours, description, location="",
               photos=(), upload_dir, now):
    """File a claim for ``acting.resident`` (by ``acting.user``) with 0–3 photos (bytes).

    Photos are checked and re-encoded first, written to ``upload_dir`` before the
    transaction commits and removed if it fails: a refusal leaves no file and no row.
    Raises the filing refusals of ``points.claims.errors``, ``HoursRequiredError``,
    ``CapReachedError`` and ``ForbiddenError`` (a proxy whose grant was revoked).
    """
    ensure_claimant(acting)
    rules.ensure_photo_count(len(photos))
    hours = rules.parse_hours(hours)
    description = rules.clean_description(description)
    rules.ensure_work_day(work_day, rules.local_today(now))
    prepared = [photo_files.prepare(raw, number) for number, raw in enumerate(photos, 1)]
    keys = photo_files.store_all(upload_dir, prepared)
    try:
        with unit_of_work(session):
            claim = _file(session, acting=acting, type_id=type_id, work_day=work_day,
                          hours=hours, description=description, location=location,
                          now=now)
            _attach_photos(session, claim, prepared, keys)
    except BaseException:
        photo_files.remove(upload_dir, keys)
        raise
    return claim


def _file(session, *, acting, type_id, work_day, hours, description, location, now):
    # The grant must be live at the moment of writing, not only when the form was shown.
    acting = acting_for(session, acting.user, acting.resident.id)
    resident = acting.resident
    activity_type = claimable_type(session, resident.community_id, type_id)
    rules.ensure_hours_given(activity_type, hours)
    location = rules.clean_location(activity_type, location)
    points = earning_rules.points_for(activity_type, hours)
    earning.ensure_within_caps(session, user_id=resident.id, activity_type=activity_type,
                               work_day=work_day, points=points)
    household = resident.household
    claim = Claim(community_id=resident.community_id, user_id=resident.id,
                  household_id=resident.household_id,
                  grid_id=household.grid_id if household is not None else None,
                  filed_by_id=acting.user.id, type_id=activity_type.id, work_day=work_day,
                  hours=hours, description=description, location=location,
                  points_asked=points, status=PENDING, created_at=now)
    session.add(claim)
    session.flush()
    return claim


def _attach_photos(session, claim, prepared, keys):
    rules.ensure_photos_given(claim.activity_type, len(prepared))
    for position, (photo, key) in enumerate(zip(prepared, keys), 1):
        session.add(ClaimPhoto(
            community_id=claim.community_id, claim_id=claim.id, position=position,
            storage_key=key, pixel_hash=photo.pixel_hash, width=photo.width,
            height=photo.height,
            duplicate_of_claim_id=first_use(session, claim.community_id, photo.pixel_hash,
                                            claim.id)))
    session.flush()


def first_use(session, community_id, pixel_hash, claim_id):
    """The first other claim of the community with the same picture, or None."""
    return session.scalar(select(func.min(ClaimPhoto.claim_id)).where(
        ClaimPhoto.community_id == community_id, ClaimPhoto.pixel_hash == pixel_hash,
        ClaimPhoto.claim_id != claim_id))


# Reading


def _with_details(stmt):
    return stmt.options(selectinload(Claim.photos), selectinload(Claim.decisions),
                        selectinload(Claim.activity_type), selectinload(Claim.credit))


def claims_of(session, resident, *, before=None, limit=PAGE_SIZE):
    """The resident's claims, newest first; ``before`` (a claim id) gives the next page."""
    stmt = _with_details(select(Claim)).where(Claim.user_id == resident.id,
                                              Claim.community_id == resident.community_id)
    if before is not None:
        stmt = stmt.where(Claim.id < before)
    return list(session.scalars(stmt.order_by(Claim.id.desc()).limit(limit)))


def own_claim(session, resident, claim_id):
    """One of the resident's own claims (a proxy passes the resident), else not found."""
    claim = session.scalar(_with_details(select(Claim)).where(
        Claim.id == claim_id, Claim.user_id == resident.id,
        Claim.community_id == resident.community_id))
    if claim is None:
        raise ClaimNotFoundError()
    return claim


def may_see(session, viewer, claim):
    """The claimant, whoever filed it, a live proxy of the claimant, and staff of the
    community who reach the claim's grid."""
    if viewer.id in (claim.user_id, claim.filed_by_id):
        return True
    if viewer.role in roles.STAFF_ROLES:
        return (viewer.community_id in (None, claim.community_id)
                and resident_rules.reaches_grid(viewer, claim.grid_id))
    try:
        acting_for(session, viewer, claim.user_id)
    except ForbiddenError:
        return False
    return viewer.community_id == claim.community_id


def photo_for(session, *, viewer, claim_id, position):
    """The photo at ``position`` of a claim ``viewer`` may see, else ``ClaimNotFoundError``."""
    claim = session.get(Claim, claim_id)
    if claim is None or not may_see(session, viewer, claim):
        raise ClaimNotFoundError()
    photo = next((photo for photo in claim.photos if photo.position == position), None)
    if photo is None:
        raise ClaimNotFoundError()
    return photo


def visible_claim(session, *, viewer, claim_id):
    """A claim with its details if ``viewer`` may see it (``may_see``), else not found."""
    claim = session.scalar(_with_details(select(Claim)).where(Claim.id == claim_id))
    if claim is None or not may_see(session, viewer, claim):
        raise ClaimNotFoundError()
    return claim
