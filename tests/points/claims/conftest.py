"""A community with a resident, her household member, a neighbour in another grid, the
office, a grid worker, claim types, and helpers that make real photos with Pillow."""
import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from points.audit.models import AuditEvent
from points.claims import services
from points.claims.models import Claim, ClaimDecision, ClaimPhoto
from points.earning.models import Credit
from points.notifications.models import Notification
from points.residents.acting import acting_as_self
from points.timeutil import local
from tests import factories

# 10:00 in Chengdu on a Friday: the local day is 2026-11-20.
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
TODAY = local(NOW).date()


def photo_bytes(fmt="JPEG", size=(640, 480), colour=(200, 60, 40), seed=0, **save):
    """A real picture: a colour field with a pattern, so photos of one seed are alike and
    of different seeds are not."""
    image = Image.new("RGB", size, colour)
    for x in range(0, size[0], 40):
        for y in range(0, size[1], 40):
            if (x // 40 + y // 40 + seed) % 3 == 0:
                image.paste((30, 120 + seed % 100, 200), (x, y, x + 20, y + 20))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


@dataclass
class Place:
    community: object
    grid: object
    other_grid: object
    resident: object
    spouse: object
    neighbour: object
    staff: object
    second_staff: object
    grid_worker: object
    far_grid_worker: object
    cleaning: object  # per hour, 10 points, photo required, day cap 40, second above 100
    mediation: object  # per participation, 20 points, no photo, no cap
    hazard: object  # per participation, 5 points, photo and place required


@pytest.fixture
def place(db):
    session = db.session
    community = factories.make_community(session)
    grid = factories.make_grid(session, community, name="红星网格")
    other_grid = factories.make_grid(session, community, name="东风网格")
    home = factories.make_household(session, community, grid, address="3栋2单元401")
    elsewhere = factories.make_household(session, community, other_grid, address="9栋1单元101")
    return Place(
        community=community, grid=grid, other_grid=other_grid,
        resident=factories.make_resident(session, community, household=home, name="王秀英"),
        spouse=factories.make_user(session, community, "staff", name="李建华", household=home),
        neighbour=factories.make_resident(session, community, household=elsewhere, name="赵大爷"),
        staff=factories.make_user(session, community, "staff", name="陈主任"),
        second_staff=factories.make_user(session, community, "admin", name="周书记"),
        grid_worker=factories.make_user(session, community, "grid_worker", name="刘网格",
                                        grids=[grid]),
        far_grid_worker=factories.make_user(session, community, "grid_worker", name="孙网格",
                                            grids=[other_grid]),
        cleaning=factories.make_activity_type(
            session, community, name="环境卫生", unit="hour", points="10", daily_cap="40",
            photo_required=True, second_approval_above="100"),
        mediation=factories.make_activity_type(
            session, community, name="矛盾调解", category="mediation", unit="participation",
            points="20"),
        hazard=factories.make_activity_type(
            session, community, name="安全隐患上报", category="hazard", unit="participation",
            points="5", photo_required=True, location_required=True),
    )


@pytest.fixture
def upload_dir(tmp_path):
    return tmp_path / "uploads" / "claims"


def file_claim(db, upload_dir, user, activity_type, *, acting=None, hours="2", photos=None,
               description="打扫了3栋楼道", location="", work_day=..., now=NOW):
    """File through the service: work of the local day of ``now``, and a photo when the
    type needs one, unless told otherwise."""
    if work_day is ...:
        work_day = local(now).date()
    if photos is None:
        needed = activity_type.photo_required
        photos = [photo_bytes(seed=user.id * 7 + activity_type.id)] if needed else []
    return services.file_claim(
        db.session, acting=acting or acting_as_self(user), type_id=activity_type.id,
        work_day=work_day, hours=hours, description=description, location=location,
        photos=photos, upload_dir=upload_dir, now=now)


def later(minutes):
    return NOW + timedelta(minutes=minutes)


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def nothing_moved(session, upload_dir=None):
    """No claim, photo, decision, credit, notification or audit event; no stored file."""
    assert [count(session, model) for model in
            (Claim, ClaimPhoto, ClaimDecision, Credit, Notification, AuditEvent)] == [0] * 6
    if upload_dir is not None:
        assert not upload_dir.exists() or list(upload_dir.iterdir()) == []
