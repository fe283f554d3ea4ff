"""Use cases of the office: register a resident, list and open residents within reach,
link and unlink 亲情代理 proxies.

Every query filters on ``community.id`` itself rather than trusting the session's
community scope alone: a district administrator acts with no scope. An object of another
community, or outside a grid worker's grids, is "not found" (404), never "forbidden", so
that its existence is not revealed.
"""
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from points.audit import services as audit
from points.auth import roles
from points.auth import services as auth_services
from points.auth.models import GridAssignment, ProxyGrant, User
from points.auth.rules import mask_phone, normalize_phone
from points.communities.models import Grid
from points.errors import ForbiddenError, NotFoundError
from points.extensions import unit_of_work
from points.households.models import Household
from points.residents import rules
from points.residents.errors import (
    ConcurrentRegistrationError,
    ProxyAlreadyGrantedError,
    ProxyUserNotFoundError,
)
from points.residents.models import FORM, ResidentProfile

PAGE_SIZE = 30


@dataclass
class Registration:
    """A new resident and the initial password, which exists nowhere else: show it once."""

    user: User
    password: str


@dataclass
class ResidentRow:
    user: User
    household: Household | None
    grid: Grid | None


@dataclass
class ResidentPage:
    rows: list[ResidentRow]
    page: int
    has_next: bool
    query: str = ""


@dataclass
class ResidentDetail:
    row: ResidentRow
    profile: ResidentProfile | None
    grants: list[ProxyGrant] = field(default_factory=list)


def ensure_registrar(actor, community):
    """Office staff of ``community`` (or a district administrator) and its grid workers."""
    if not rules.may_register(actor):
        raise ForbiddenError()
    if actor.community_id not in (None, community.id):
        raise NotFoundError()


def grids_in_reach(session, *, actor, community):
    """The grids of ``community`` the actor may register into and see, by name."""
    stmt = select(Grid).where(Grid.community_id == community.id).order_by(Grid.name)
    if not rules.is_office(actor):
        stmt = stmt.join(GridAssignment, GridAssignment.grid_id == Grid.id).where(
            GridAssignment.user_id == actor.id)
    return list(session.scalars(stmt))


def grid_in_reach(session, *, actor, community, grid_id):
    grid = session.scalar(select(Grid).where(Grid.id == grid_id, Grid.community_id == community.id))
    if grid is None or not rules.reaches_grid(actor, grid.id):
        raise NotFoundError()
    return grid


def household_at(session, community, address):
    return session.scalar(select(Household).where(Household.community_id == community.id,
                                                  Household.address == address))


def find_or_create_household(session, *, community, grid, address, now):
    """The household at ``address`` in ``community``, created in ``grid`` if new; refuses
    an address that lies in another grid."""
    household = household_at(session, community, address)
    rules.ensure_household_in_grid(household, grid)
    if household is None:
        household = Household(community_id=community.id, grid_id=grid.id, address=address,
                              created_at=now)
        session.add(household)
        session.flush()
    return household


def registered_values(user, household, profile):
    """The audit log's picture of a newly registered resident (phone masked: the log
    outlives the reasons to keep a full number)."""
    return {"name": user.name, "phone": mask_phone(user.phone), "role": user.role,
            "household_id": household.id, "address": household.address,
            "grid_id": household.grid_id, "relation": profile.relation, "source": profile.source}


def record_registration(session, *, actor, community, user, household, profile, now):
    audit.record(session, actor=actor, action="resident.register", obj_type="user",
                 obj_id=user.id, after=registered_values(user, household, profile),
                 community_id=community.id, now=now)


def register_resident(session, *, actor, community, name, phone, grid_id, address, relation="",
                      now):
    """Register one resident into a grid and household of ``community`` with a random
    initial password they must change at first sign-in. Raises ``NotFoundError`` for a
    grid outside reach, ``PhoneTakenError``, ``InvalidPhoneError`` and the cleaning errors."""
    ensure_registrar(actor, community)
    name, address = rules.clean_name(name), rules.clean_address(address)
    password = rules.initial_password()
    try:
        with unit_of_work(session):
            grid = grid_in_reach(session, actor=actor, community=community, grid_id=grid_id)
            household = find_or_create_household(session, community=community, grid=grid,
                                                 address=address, now=now)
            user = auth_services.create_user(
                session, phone=phone, name=name, role=roles.RESIDENT, password=password,
                community_id=community.id, household_id=household.id, created_by=actor,
                must_change_password=True)
            profile = ResidentProfile(community_id=community.id, user_id=user.id,
                                      relation=rules.clean_relation(relation), source=FORM,
                                      registered_by_id=actor.id, registered_at=now)
            session.add(profile)
            record_registration(session, actor=actor, community=community, user=user,
                                household=household, profile=profile, now=now)
    except IntegrityError:
        raise ConcurrentRegistrationError() from None
    return Registration(user=user, password=password)


def _residents_of(community):
    return (select(User, Household, Grid)
            .outerjoin(Household, User.household_id == Household.id)
            .outerjoin(Grid, Household.grid_id == Grid.id)
            .where(User.community_id == community.id, User.role == roles.RESIDENT))


def _within_reach(stmt, actor):
    if rules.is_office(actor):
        return stmt
    own_grids = select(GridAssignment.grid_id).where(GridAssignment.user_id == actor.id)
    return stmt.where(Household.grid_id.in_(own_grids))


def _matching(stmt, query):
    if not query:
        return stmt
    text = query.lower()
    return stmt.where(or_(func.lower(User.name).contains(text, autoescape=True),
                          User.phone.contains(text, autoescape=True),
                          func.lower(Household.address).contains(text, autoescape=True)))


def list_residents(session, *, actor, community, query="", page=1):
    """One page of the residents the actor reaches, matching ``query`` in name, phone or
    address, ordered by grid, address and name."""
    ensure_registrar(actor, community)
    query, page = rules.clean_text(query), max(int(page or 1), 1)
    stmt = _matching(_within_reach(_residents_of(community), actor), query)
    stmt = (stmt.order_by(Grid.name, Household.address, User.name, User.id)
            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    rows = [ResidentRow(*row) for row in session.execute(stmt)]
    return ResidentPage(rows=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE,
                        query=query)


def resident_in_reach(session, *, actor, community, user_id):
    """The resident ``user_id`` if the actor reaches them, else ``NotFoundError``."""
    ensure_registrar(actor, community)
    stmt = _within_reach(_residents_of(community), actor).where(User.id == user_id)
    found = session.execute(stmt).first()
    if found is None:
        raise NotFoundError()
    return ResidentRow(*found)


def live_grants(session, resident):
    stmt = (select(ProxyGrant).options(joinedload(ProxyGrant.proxy))
            .where(ProxyGrant.resident_id == resident.id, ProxyGrant.revoked_at.is_(None))
            .order_by(ProxyGrant.id))
    return list(session.scalars(stmt))


def resident_detail(session, *, actor, community, user_id):
    row = resident_in_reach(session, actor=actor, community=community, user_id=user_id)
    profile = session.get(ResidentProfile, row.user.id)
    return ResidentDetail(row=row, profile=profile, grants=live_grants(session, row.user))


def _proxy_candidate(session, community, phone):
    proxy = session.scalar(select(User).where(
        User.phone == phone, User.community_id == community.id,
        User.role.in_(rules.PROXY_ROLES), User.active.is_(True)))
    if proxy is None:
        raise ProxyUserNotFoundError(phone=phone)
    return proxy


def _grant_between(session, resident, proxy):
    return session.scalar(select(ProxyGrant).where(ProxyGrant.resident_id == resident.id,
                                                   ProxyGrant.proxy_id == proxy.id))


def grant_values(grant):
    return {"resident_id": grant.resident_id, "proxy_id": grant.proxy_id,
            "relation": grant.relation, "granted_by_id": grant.granted_by_id,
            "created_at": grant.created_at, "revoked_at": grant.revoked_at}


def grant_proxy(session, *, actor, community, resident_id, proxy_phone, relation="", now):
    """Let the resident's family member (a signed-up user of the same community, found by
    phone) act for them. A revoked link is renewed; a live one is refused."""
    phone = normalize_phone(proxy_phone)
    with unit_of_work(session):
        resident = resident_in_reach(session, actor=actor, community=community,
                                     user_id=resident_id).user
        proxy = _proxy_candidate(session, community, phone)
        rules.ensure_not_self(resident, proxy)
        grant = _grant_between(session, resident, proxy)
        if rules.is_live(grant):
            raise ProxyAlreadyGrantedError(name=proxy.name)
        before = grant_values(grant) if grant is not None else None
        if grant is None:
            grant = ProxyGrant(resident_id=resident.id, proxy_id=proxy.id)
            session.add(grant)
        grant.relation, grant.granted_by_id = rules.clean_relation(relation), actor.id
        grant.created_at, grant.revoked_at = now, None
        session.flush()
        audit.record(session, actor=actor, action="proxy.grant", obj_type="proxy_grant",
                     obj_id=grant.id, before=before, after=grant_values(grant),
                     community_id=community.id, now=now)
    return grant


def revoke_proxy(session, *, actor, community, grant_id, now):
    """End a proxy link at once (the proxy's next page shows their own account again).
    Revoking twice changes nothing."""
    with unit_of_work(session):
        grant = session.get(ProxyGrant, grant_id)
        if grant is None:
            raise NotFoundError()
        resident_in_reach(session, actor=actor, community=community, user_id=grant.resident_id)
        if rules.is_live(grant):
            before = grant_values(grant)
            grant.revoked_at = now
            audit.record(session, actor=actor, action="proxy.revoke", obj_type="proxy_grant",
                         obj_id=grant.id, before=before, after=grant_values(grant),
                         community_id=community.id, now=now)
    return grant
