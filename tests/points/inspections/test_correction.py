"""Correcting a score: only office staff, only with a reason. The earlier credit is
reversed (with the reason and the staff member), a pass is credited anew under the next
revision, the household is told, and the audit log keeps before and after."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import ledger
from ledger.errors import InsufficientPointsError
from ledger.models import Transfer
from ledger.verify import verify
from points import wallets
from points.audit.models import AuditEvent
from points.errors import ForbiddenError, NotFoundError
from points.inspections import services
from points.inspections.errors import (NothingToCorrectError, ReasonRequiredError,
                                       ScoreNotFoundError, ScoreOutOfRangeError,
                                       StaleCorrectionError)
from points.inspections.models import InspectionScore
from points.notifications.models import Notification
from tests import factories
from tests.points.inspections.conftest import FAIL, MONTH, PASS, correct, score

BETTER = {"personal": 10, "home": 9, "public": 9}


def household_points(db, household):
    return services.household_standing(db.session, household).points


def count(db, model, **where):
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def fresh(db, score_id):
    db.session.expire_all()
    return db.session.get(InspectionScore, score_id)


def test_a_fail_corrected_to_a_pass_is_credited_under_the_next_revision(db, town):
    [first] = score(db, town, [(town.homes[0], FAIL)]).results

    corrected = correct(db, town, first.id, PASS)

    assert (corrected.passed, corrected.points, corrected.revision) == (True, Decimal("20"), 2)
    assert (corrected.corrected_by_id, corrected.correction_reason) == (town.admin.id,
                                                                        "复查时发现评错了")
    posted = db.session.get(Transfer, corrected.transfer_id)
    assert posted.key == f"inspection:{town.homes[0].id}:{MONTH}:r2"
    assert household_points(db, town.homes[0]) == Decimal("20")
    assert verify(db.session) == []


def test_a_pass_corrected_to_a_fail_reverses_the_credit_with_reason_and_actor(db, town):
    [first] = score(db, town, [(town.homes[0], PASS)]).results
    credited = first.transfer_id

    corrected = correct(db, town, first.id, FAIL)

    assert (corrected.passed, corrected.points, corrected.transfer_id) == (False, None, None)
    assert household_points(db, town.homes[0]) == 0
    reversal = db.session.scalar(select(Transfer).where(Transfer.reverses_id == credited))
    assert (reversal.kind, reversal.reason, reversal.actor_id, reversal.key) == (
        "reverse", "复查时发现评错了", town.admin.id,
        f"inspection:{town.homes[0].id}:{MONTH}:r1:reverse")
    assert services.clean_households(db.session, town.community.id, MONTH) == []
    assert verify(db.session) == []


def test_a_pass_corrected_to_another_pass_reverses_and_credits_anew(db, town):
    [first] = score(db, town, [(town.homes[0], PASS)]).results
    credited = first.transfer_id

    corrected = correct(db, town, first.id, BETTER)

    assert corrected.revision == 2 and corrected.transfer_id not in (None, credited)
    assert household_points(db, town.homes[0]) == Decimal("20")
    assert count(db, Transfer) == 3  # credit r1, its reversal, credit r2


def test_a_second_correction_moves_on_from_the_latest_revision(db, town):
    [first] = score(db, town, [(town.homes[0], PASS)]).results
    correct(db, town, first.id, FAIL)

    corrected = correct(db, town, first.id, PASS, reason="再次复查，确实达标")

    assert corrected.revision == 3
    assert db.session.get(Transfer, corrected.transfer_id).key.endswith(":r3")
    assert household_points(db, town.homes[0]) == Decimal("20")


def test_the_audit_log_keeps_before_after_and_reason(db, town):
    [first] = score(db, town, [(town.homes[0], PASS)]).results

    correct(db, town, first.id, FAIL)

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inspection.correct"))
    assert (event.actor_id, event.object_type, event.object_id, event.reason) == (
        town.admin.id, "inspection_score", first.id, "复查时发现评错了")
    assert (event.before["public"], event.before["result"], event.before["revision"]) == (
        8, "clean", 1)
    assert (event.after["public"], event.after["result"], event.after["points"],
            event.after["revision"]) == (5, "not_clean", None, 2)


def test_every_member_is_told_of_a_correction(db, town):
    [first] = score(db, town, [(town.homes[0], PASS)]).results

    correct(db, town, first.id, FAIL)

    notes = list(db.session.scalars(select(Notification).where(
        Notification.title == "本户的卫生评比已更正").order_by(Notification.user_id)))
    assert [note.user_id for note in notes] == [member.id for member in town.members]
    assert {note.kind for note in notes} == {"household_corrected"}
    assert notes[0].body == ("2026-11 卫生评比已更正（原因：复查时发现评错了）：1栋101 这个月未评为"
                             "清洁户。原先记入的 20 分已退回。")


@pytest.mark.parametrize("role", ["grid_worker", "resident"])
def test_only_office_staff_correct(db, town, role):
    [first] = score(db, town, [(town.homes[0], PASS)]).results
    someone = town.worker if role == "grid_worker" else town.members[0]

    with pytest.raises(ForbiddenError):
        correct(db, town, first.id, FAIL, actor=someone)

    assert fresh(db, first.id).revision == 1
    assert household_points(db, town.homes[0]) == Decimal("20")


@pytest.mark.parametrize("kwargs, error", [
    ({"reason": "   "}, ReasonRequiredError),
    ({"values": PASS}, NothingToCorrectError),
    ({"values": {"personal": 8, "home": 8, "public": 11}}, ScoreOutOfRangeError),
    ({"expected_revision": 2}, StaleCorrectionError),
])
def test_a_refused_correction_changes_nothing(db, town, kwargs, error):
    [first] = score(db, town, [(town.homes[0], PASS)]).results
    transfers, events = count(db, Transfer), count(db, AuditEvent)

    kwargs = dict(kwargs)  # shared by both databases' runs
    with pytest.raises(error):
        correct(db, town, first.id, kwargs.pop("values", FAIL), **kwargs)

    assert (fresh(db, first.id).revision, fresh(db, first.id).passed) == (1, True)
    assert (count(db, Transfer), count(db, AuditEvent)) == (transfers, events)
    assert household_points(db, town.homes[0]) == Decimal("20")


def test_a_household_that_spent_the_credit_cannot_have_it_reversed(db, town):
    [first] = score(db, town, [(town.homes[0], PASS)]).results
    shop = factories.make_merchant(db.session, town.community)
    with ledger.write_transaction(db.session):
        account = ledger.open_account(db.session, community_id=town.community.id,
                                      owner_type=wallets.HOUSEHOLD, owner_id=town.homes[0].id)
        ledger.transfer(db.session, debit=account, amount=Decimal("15"), key="household-spend",
                        credit=wallets.merchant_account_id(db.session, shop), kind="spend")

    with pytest.raises(InsufficientPointsError):
        correct(db, town, first.id, FAIL)

    assert fresh(db, first.id).revision == 1
    assert household_points(db, town.homes[0]) == Decimal("5")
    assert count(db, AuditEvent, action="inspection.correct") == 0


def test_a_score_of_another_community_is_not_found(db, town):
    [first] = score(db, town, [(town.homes[0], PASS)]).results
    other = factories.make_community(db.session, name="北新社区")
    stranger = factories.make_user(db.session, other, "admin")

    with pytest.raises(NotFoundError):
        correct(db, town, first.id, FAIL, actor=stranger)
    with pytest.raises(ScoreNotFoundError):
        services.correct_score(db.session, actor=stranger, community=other, score_id=first.id,
                               values=FAIL, reason="试试", now=first.scored_at)

    assert fresh(db, first.id).revision == 1


def test_entering_the_month_again_after_a_correction_keeps_the_correction(db, town):
    [first] = score(db, town, [(town.homes[0], PASS)]).results
    correct(db, town, first.id, FAIL)

    again = score(db, town, [(town.homes[0], PASS)])

    assert again.created_ids == set() and again.results[0].passed is False
    assert household_points(db, town.homes[0]) == 0
