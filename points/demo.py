"""``flask --app wsgi demo``: the demo community 北新社区 with fixed sign-ins.

Everything is created in one transaction, so a run either builds the whole community or
nothing; a second run finds the community (code ``beixin``), changes nothing and says
so. Its history (activities, claims, inspections, vouchers, a settled month, coupons) is
told through the services themselves (``points.demo_story``), so every balance comes
from real credits and ``flask ledger verify`` passes.
The demo sign-ins exist only here.
"""
import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from merchants.models import Merchant
from points import demo_story
from points.claims import views as claims_views
from points.auth import passwords, roles
from points.auth.errors import PhoneTakenError
from points.auth.models import GridAssignment, User
from points.communities.models import Community, Grid
from points.extensions import db, unit_of_work
from points.households.models import Household
from points.timeutil import utcnow

PASSWORD = "jifen-demo-2026"
CODE = "beixin"
URL = "http://127.0.0.1:5000/sign-in"

# (role, phone, name): the sign-ins printed after every run.
ADMIN = (roles.ADMIN, "13800000000", "孙丽")
STAFF = (roles.STAFF, "13800000001", "赵敏")
RESIDENT_PHONE = "13800000002"
CLERK = (roles.MERCHANT_CLERK, "13800000003", "李小红")
OWNER = (roles.MERCHANT_OWNER, "13800000004", "张德贵")
DISTRICT_ADMIN = (roles.DISTRICT_ADMIN, "13800000009", "钱文")
GRID_WORKERS = ((roles.GRID_WORKER, "13700001001", "罗勇"), (roles.GRID_WORKER, "13700001002", "田静"))

GRIDS = ("第一网格", "第二网格")
HOUSEHOLDS_PER_BUILDING = 4
HOUSEHOLDS = 20
RESIDENT_NAMES = (
    "王秀英", "李建国", "张桂芳", "刘志强", "陈玉兰", "杨国庆", "赵淑珍", "黄明",
    "周丽华", "吴建华", "徐凤英", "孙海涛", "胡春梅", "朱卫东", "高秀兰", "林志明",
    "何桂兰", "郭俊", "马玉珍", "罗文斌", "梁晓燕", "宋德明", "郑红梅", "谢永强",
    "韩淑英", "唐志刚", "冯丽娟", "于海燕", "董建军", "萧雨桐", "程秀珍", "曹立新",
    "袁芳", "邓丽萍", "许国华", "傅晓梅", "沈建平", "曾美玲", "彭志勇", "吕桂香",
)
# name, address, (owner), (clerk); 张记面馆's two are the fixed sign-ins.
MERCHANTS = (
    ("张记面馆", "北新街 8 号", OWNER, CLERK),
    ("惠民超市", "北新街 21 号", (roles.MERCHANT_OWNER, "13700002001", "周惠民"),
     (roles.MERCHANT_CLERK, "13700002002", "陈静")),
    ("阿香理发", "建设北路 3 号", (roles.MERCHANT_OWNER, "13700002003", "刘阿香"),
     (roles.MERCHANT_CLERK, "13700002004", "黄小燕")),
)


def resident_phone(index):
    return RESIDENT_PHONE if index == 0 else f"1370000{index:04d}"


def household_address(index):
    """"3栋2单元401": four households to a building, all different."""
    building, place = divmod(index, HOUSEHOLDS_PER_BUILDING)
    unit, room = divmod(place, 2)
    floor = (index * 3) % 6 + 1
    return f"{building + 1}栋{unit + 1}单元{floor}0{room + 1}"


def all_phones():
    fixed = [ADMIN, STAFF, DISTRICT_ADMIN, *GRID_WORKERS]
    fixed += [person for *_, owner, clerk in MERCHANTS for person in (owner, clerk)]
    return [phone for _, phone, _ in fixed] + [resident_phone(i) for i in range(len(RESIDENT_NAMES))]


def demo_exists(session):
    return session.scalar(select(Community.id).where(Community.code == CODE)) is not None


def create_demo(session, *, now, upload_dir):
    """Create the demo community; returns False (and changes nothing) if it exists.

    Raises ``PhoneTakenError`` if a demo phone number already belongs to someone.
    """
    if demo_exists(session):
        return False
    password_hash = passwords.hash_password(PASSWORD)
    with unit_of_work(session):
        ensure_phones_free(session)
        community = add(session, Community(name="北新社区", code=CODE, district="成都市成华区"))
        grids = [add(session, Grid(community_id=community.id, name=name)) for name in GRIDS]
        households = add_households(session, community, grids)
        people = Staffing(session, community, password_hash)
        people.add_office(grids)
        people.add_merchants()
        people.add_residents(households)
        demo_story.tell(session, people.cast(), now, upload_dir)
    return True


def ensure_phones_free(session):
    taken = session.scalar(select(User.phone).where(User.phone.in_(all_phones()))
                           .execution_options(all_communities=True))
    if taken is not None:
        raise PhoneTakenError(phone=taken)


def add(session, row):
    session.add(row)
    session.flush()
    return row


def add_households(session, community, grids):
    per_grid = HOUSEHOLDS // len(grids)
    return [add(session, Household(community_id=community.id, grid_id=grids[i // per_grid].id,
                                   address=household_address(i)))
            for i in range(HOUSEHOLDS)]


class Staffing:
    """Adds the demo's people; every one signs in with ``PASSWORD``."""

    def __init__(self, session, community, password_hash):
        self.session, self.community, self.password_hash = session, community, password_hash
        self.by_role = {}

    def cast(self):
        mine = self.by_role.get
        return demo_story.Cast(
            community=self.community, staff=mine(roles.STAFF)[0], admin=mine(roles.ADMIN)[0],
            grid_workers=mine(roles.GRID_WORKER), residents=mine(roles.RESIDENT),
            shops=self.shops, clerks=mine(roles.MERCHANT_CLERK), owners=mine(roles.MERCHANT_OWNER))

    def person(self, role, phone, name, **fields):
        community_id = None if role == roles.DISTRICT_ADMIN else self.community.id
        user = add(self.session, User(role=role, phone=phone, name=name, community_id=community_id,
                                      password_hash=self.password_hash,
                                      must_change_password=False, **fields))
        self.by_role.setdefault(role, []).append(user)
        return user

    def add_office(self, grids):
        """Admin, staff, district admin and one grid worker per grid; returns the staff member."""
        self.person(*ADMIN)
        self.person(*DISTRICT_ADMIN)
        for grid, worker in zip(grids, GRID_WORKERS):
            user = self.person(*worker)
            add(self.session, GridAssignment(user_id=user.id, grid_id=grid.id))
        return self.person(*STAFF)

    def add_merchants(self):
        self.shops = []
        for name, address, owner, clerk in MERCHANTS:
            shop = add(self.session, Merchant(community_id=self.community.id, name=name,
                                              address=address, status="active"))
            self.shops.append(shop)
            for person in (owner, clerk):
                self.person(*person, merchant_id=shop.id)

    def add_residents(self, households):
        return [self.person(roles.RESIDENT, resident_phone(i), name,
                            household_id=households[i // 2].id)
                for i, name in enumerate(RESIDENT_NAMES)]


def sign_in_lines():
    resident = RESIDENT_NAMES[0]
    rows = [(ADMIN, "社区管理员"), (STAFF, "社区工作人员"),
            ((roles.RESIDENT, RESIDENT_PHONE, resident), "居民（第一网格）"),
            (CLERK, "张记面馆店员"), (OWNER, "张记面馆店主"), (DISTRICT_ADMIN, "街道/区管理员")]
    return [f"  {phone}  {name}  {label}" for (_, phone, name), label in rows]


@click.command("demo")
@with_appcontext
def demo_command():
    """Create the demo community 北新社区 and print its sign-ins (safe to run twice)."""
    try:
        created = create_demo(db.session, now=utcnow(),
                              upload_dir=claims_views.upload_dir(current_app))
    except PhoneTakenError as error:
        raise click.ClickException(f"演示账号的手机号已被占用：{error.params['phone']}") from None
    if created:
        click.echo(f"已创建演示社区：北新社区（{CODE}）")
    else:
        click.echo(f"演示社区北新社区（{CODE}）已经存在，没有做任何更改。")
    click.echo(f"登录地址：{URL}（服务启动后打开；make run 会自动启动）")
    click.echo(f"所有演示账号的密码：{PASSWORD}")
    for line in sign_in_lines():
        click.echo(line)
