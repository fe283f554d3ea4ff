"""Bulk registration from the office's sheet: all rows or none.

Every row is checked first and the report lists every mistake with its row number; a
single wrong row imports nothing. When all rows are good, the initial passwords are made
and hashed before the write transaction (hashing is the slow part and must not hold the
database's write lock), then the rows are checked again under that transaction and
written together.
"""
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ledger.errors import DomainError
from points.auth import roles
from points.auth.errors import InvalidPhoneError
from points.auth.models import User
from points.auth.rules import mask_phone, normalize_phone
from points.communities.models import Grid
from points.extensions import unit_of_work
from points.households.models import Household
from points.residents import errors, rules, sheets
from points.residents.models import IMPORT, ResidentProfile
from points.residents.services import (ensure_registrar, find_or_create_household, grids_in_reach,
                                       record_registration)

MAX_ROWS = 1000
# Initial passwords are eight random digits that must be changed at first sign-in; no
# hashing cost makes 10^8 guesses safe against a stolen database, while the full cost
# (about 0.2 s a hash) would keep a 1,000-row import waiting for minutes. They get a light
# argon2id; the resident's own password gets the full one.
INITIAL_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
ROW_ERRORS = {
    errors.NameMissingError: errors.RowNameMissingError,
    errors.NameTooLongError: errors.RowNameTooLongError,
    errors.AddressMissingError: errors.RowAddressMissingError,
    errors.AddressTooLongError: errors.RowAddressTooLongError,
    InvalidPhoneError: errors.RowBadPhoneError,
}


@dataclass
class Candidate:
    """One sheet row, cleaned, with every mistake found in it."""

    row: sheets.SheetRow
    name: str | None = None
    phone: str | None = None
    grid: Grid | None = None
    address: str | None = None
    note: str = ""
    errors: list[DomainError] = field(default_factory=list)

    @property
    def masked_phone(self):
        return mask_phone(self.phone or rules.clean_text(self.row.phone))


@dataclass
class ReportRow:
    number: int
    name: str
    masked_phone: str
    grid: str
    address: str
    errors: list[DomainError]
    password: str | None = None


@dataclass
class ImportReport:
    rows: list[ReportRow]
    imported: bool = False

    @property
    def error_count(self):
        return sum(1 for row in self.rows if row.errors)


def import_residents(session, *, actor, community, data, max_bytes, now):
    """Register every resident of the sheet ``data``, or none of them.

    File-level refusals raise (``FileTooLargeError``, ``WrongFileTypeError``,
    ``EmptySheetError``, ``MissingColumnsError``, ``TooManyRowsError``); row mistakes come
    back in the report with ``imported=False``. On success each row carries its initial
    password, which exists nowhere else.
    """
    ensure_registrar(actor, community)
    rows = sheets.read_sheet(data, max_bytes=max_bytes, max_rows=MAX_ROWS)
    candidates = check_rows(session, actor=actor, community=community, rows=rows)
    if any(candidate.errors for candidate in candidates):
        return report_of(candidates)
    passwords = [rules.initial_password() for _ in candidates]
    hashes = [INITIAL_HASHER.hash(password) for password in passwords]
    _write(session, actor=actor, community=community, rows=rows, hashes=hashes, now=now)
    return report_of(candidates, passwords)


def check_rows(session, *, actor, community, rows):
    grids = {rules.clean_text(grid.name): grid
             for grid in grids_in_reach(session, actor=actor, community=community)}
    candidates = [clean_row(row, grids) for row in rows]
    mark_duplicate_phones(candidates)
    mark_registered_phones(session, candidates)
    mark_address_conflicts(session, community, candidates)
    return candidates


def _cleaned(candidate, clean, value):
    try:
        return clean(value)
    except tuple(ROW_ERRORS) as error:
        candidate.errors.append(ROW_ERRORS[type(error)](row=candidate.row.number, **error.params))
        return None


def clean_row(row, grids):
    candidate = Candidate(row=row, note=rules.clean_note(row.note))
    candidate.name = _cleaned(candidate, rules.clean_name, row.name)
    candidate.phone = _cleaned(candidate, normalize_phone, rules.clean_text(row.phone))
    candidate.grid = _grid_of(candidate, rules.clean_text(row.grid), grids)
    candidate.address = _cleaned(candidate, rules.clean_address, row.address)
    return candidate


def _grid_of(candidate, name, grids):
    if not name:
        candidate.errors.append(errors.RowGridMissingError(row=candidate.row.number))
    elif name not in grids:
        candidate.errors.append(errors.RowUnknownGridError(row=candidate.row.number, grid=name))
    return grids.get(name)


def mark_duplicate_phones(candidates):
    first_row = {}
    for candidate in candidates:
        if candidate.phone is None:
            continue
        if candidate.phone in first_row:
            candidate.errors.append(errors.RowDuplicatePhoneError(
                row=candidate.row.number, first_row=first_row[candidate.phone]))
        first_row.setdefault(candidate.phone, candidate.row.number)


def mark_registered_phones(session, candidates):
    """Phones are unique across the whole deployment, so look in every community."""
    phones = {candidate.phone for candidate in candidates if candidate.phone}
    stmt = (select(User.phone).where(User.phone.in_(sorted(phones)))
            .execution_options(all_communities=True))
    taken = set(session.scalars(stmt)) if phones else set()
    for candidate in candidates:
        if candidate.phone in taken:
            candidate.errors.append(errors.RowPhoneRegisteredError(
                row=candidate.row.number, phone=mask_phone(candidate.phone)))


def _households_at(session, community, addresses):
    stmt = (select(Household).options(joinedload(Household.grid))
            .where(Household.community_id == community.id, Household.address.in_(sorted(addresses))))
    return {household.address: household.grid for household in session.scalars(stmt)}


def mark_address_conflicts(session, community, candidates):
    """One address, one grid: as registered already, else as its first row in the sheet."""
    placed = [c for c in candidates if c.address and c.grid]
    grid_at = _households_at(session, community, {c.address for c in placed}) if placed else {}
    for candidate in placed:
        grid = grid_at.setdefault(candidate.address, candidate.grid)
        if grid.id != candidate.grid.id:
            candidate.errors.append(errors.RowAddressInOtherGridError(
                row=candidate.row.number, address=candidate.address, grid=grid.name))


def _write(session, *, actor, community, rows, hashes, now):
    try:
        with unit_of_work(session):
            # Checked again under the write transaction: someone may have registered a
            # phone of the sheet since the first check.
            candidates = check_rows(session, actor=actor, community=community, rows=rows)
            if any(candidate.errors for candidate in candidates):
                raise errors.SheetChangedError()
            _add_residents(session, actor, community, candidates, hashes, now)
    except IntegrityError:
        raise errors.ConcurrentRegistrationError() from None


def _add_residents(session, actor, community, candidates, hashes, now):
    users = []
    for candidate, password_hash in zip(candidates, hashes):
        household = find_or_create_household(session, community=community, grid=candidate.grid,
                                             address=candidate.address, now=now)
        # Not ``auth.services.create_user``: that hashes at full cost, one by one.
        users.append(User(phone=candidate.phone, name=candidate.name, role=roles.RESIDENT,
                          community_id=community.id, household_id=household.id,
                          password_hash=password_hash, must_change_password=True,
                          created_by_id=actor.id, created_at=now))
    session.add_all(users)
    session.flush()
    profiles = [ResidentProfile(community_id=community.id, user_id=user.id, note=candidate.note,
                                source=IMPORT, registered_by_id=actor.id, registered_at=now)
                for user, candidate in zip(users, candidates)]
    session.add_all(profiles)
    households = [session.get(Household, user.household_id) for user in users]
    for user, household, profile in zip(users, households, profiles):
        record_registration(session, actor=actor, community=community, user=user,
                            household=household, profile=profile, now=now)


def report_of(candidates, passwords=None):
    rows = [ReportRow(number=c.row.number, name=c.name or rules.clean_text(c.row.name),
                      masked_phone=c.masked_phone, grid=rules.clean_text(c.row.grid),
                      address=c.address or rules.clean_text(c.row.address), errors=c.errors,
                      password=passwords[index] if passwords else None)
            for index, c in enumerate(candidates)]
    return ImportReport(rows=rows, imported=passwords is not None)
