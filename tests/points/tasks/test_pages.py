"""The pages of requests and tasks over HTTP: 我要点单, 我的点单 and its progress, the hall
and a task, staff's queue, review, phone filing, board, one task and the figures. Every
action by form; refusals are said on the page and move nothing."""
import io
import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from points.tasks.models import (CANCELLED, CLOSED, DECLINED, DISPUTED, DONE, MERGED, PUBLISHED,
                                 ServiceRequest, Task, TaskMessage)
from points.timeutil import local, utcnow
from tests.factories import sign_in
from tests.points.claims.conftest import photo_bytes
from tests.points.tasks.conftest import balance, claim, count, file, finish, publish, snapshot


def text(response):
    return response.get_data(as_text=True)


def flashed(response):
    return re.findall(r'class="flash flash-(?:error|success)"[^>]*>([^<]*)<', text(response))


def filed(db, uploads, world, **kwargs):
    return file(db, uploads, world, now=utcnow(), **kwargs)


def published(db, uploads, world, **kwargs):
    request = filed(db, uploads, world)
    now = utcnow()
    return request, publish(db, world, request, now=now, deadline=now + timedelta(days=1), **kwargs)


def done(db, uploads, world):
    request, task = published(db, uploads, world)
    claim(db, world.volunteer, task, now=utcnow())
    finish(db, world.volunteer, task, now=utcnow())
    return request, task


def box(moment):
    return local(moment).strftime("%Y-%m-%dT%H:%M")


# 我要点单 and 我的点单


def test_a_resident_posts_a_need_with_a_photo(client, db, world, uploads):
    sign_in(client, world.requester)
    page = text(client.get("/requests/new"))
    assert "我要点单" in page and "陪同就医" in page and 'value="3栋2单元401"' in page

    response = client.post("/requests/new", content_type="multipart/form-data", data={
        "acting_for": str(world.requester.id), "category": "repair",
        "description": "屋顶渗水，想请人看看", "place": "3栋2单元401", "preferred_time": "周末",
        "urgent": "y", "photos": [(io.BytesIO(photo_bytes()), "roof.jpg")]}, follow_redirects=True)

    request = db.session.scalars(select(ServiceRequest)).one()
    assert (request.category, request.urgent, len(request.photos)) == ("repair", True, 1)
    assert "点单已提交，社区会在 2 小时内处理" in flashed(response)
    assert "待社区处理" in text(response) and "点单已收到" in text(response)
    with client.get(f"/requests/{request.id}/photos/1") as photo:
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
        assert "private" in photo.headers["Cache-Control"]
    assert len(list(uploads.iterdir())) == 1


def test_a_bad_need_is_said_on_the_page_and_nothing_is_stored(client, db, world, uploads):
    sign_in(client, world.requester)
    before = snapshot(db)

    response = client.post("/requests/new", data={
        "acting_for": str(world.requester.id), "category": "",
        "description": "帮忙", "place": "3栋"}, follow_redirects=True)

    assert "请选择需要哪类帮助" in flashed(response)
    assert snapshot(db) == before


def test_a_proxy_posts_for_his_mother(client, db, world):
    sign_in(client, world.son)
    client.post(f"/me/acting/{world.requester.id}")
    response = client.post("/requests/new", data={
        "acting_for": str(world.requester.id), "category": "meals",
        "description": "送午饭", "place": "3栋2单元401"}, follow_redirects=True)

    request = db.session.scalars(select(ServiceRequest)).one()
    assert (request.requester_id, request.filed_by_id) == (world.requester.id, world.son.id)
    assert response.status_code == 200


def test_my_requests_list_and_someone_elses_is_not_found(client, db, world, uploads):
    request = filed(db, uploads, world)
    sign_in(client, world.requester)
    page = text(client.get("/requests"))
    assert f'href="/requests/{request.id}"' in page and "待社区处理" in page

    sign_in(client, world.volunteer)
    assert client.get(f"/requests/{request.id}").status_code == 404
    with client.get(f"/requests/{request.id}/photos/1") as photo:
        assert photo.status_code == 404


def test_staff_cannot_open_the_residents_pages(client, db, world):
    sign_in(client, world.staff)
    assert client.get("/requests/new").status_code == 403
    assert client.get("/tasks").status_code == 403


def test_the_requester_confirms_and_rates_and_the_volunteer_is_credited(client, db, world, uploads):
    request, task = done(db, uploads, world)
    sign_in(client, world.requester)
    page = text(client.get(f"/requests/{request.id}"))
    assert "志愿者说已经办好了" in page and "确认办好" in page

    response = client.post(f"/requests/{request.id}/confirm", data={
        "acting_for": str(world.requester.id), "rating": "5", "comment": "谢谢小董"},
        follow_redirects=True)

    assert "已确认办好，谢谢您的评价！志愿者的积分已经记上" in flashed(response)
    assert "已办结" in text(response) and "谢谢小董" in text(response)
    assert balance(db, world.volunteer) == Decimal("20")
    before = snapshot(db)
    again = client.post(f"/requests/{request.id}/confirm", data={
        "acting_for": str(world.requester.id), "rating": "5"}, follow_redirects=True)
    assert "这个任务已经确认过了" in flashed(again)
    assert snapshot(db) == before


def test_confirming_someone_elses_request_is_refused_on_the_page(client, db, world, uploads):
    request, _ = done(db, uploads, world)
    sign_in(client, world.second)
    before = snapshot(db)

    response = client.post(f"/requests/{request.id}/confirm", data={"rating": "5"})

    assert response.status_code == 302
    assert "这不是您的点单，不能确认或提出异议" in flashed(client.get("/tasks"))
    assert snapshot(db) == before


def test_the_requester_disputes(client, db, world, uploads):
    request, task = done(db, uploads, world)
    sign_in(client, world.requester)

    response = client.post(f"/requests/{request.id}/dispute", data={
        "acting_for": str(world.requester.id), "reason": "没有陪我进医院"}, follow_redirects=True)

    assert "已告诉社区，工作人员会核实后处理" in flashed(response)
    assert db.session.get(Task, task.id).status == DISPUTED
    assert "没有陪我进医院" in text(response)


# The hall and a task


def test_the_hall_shows_open_tasks_and_mine(client, db, world, uploads):
    _, task = published(db, uploads, world, needed=2)
    sign_in(client, world.volunteer)

    page = text(client.get("/tasks"))
    assert "接单大厅" in page and "陪王秀英去县医院复查" in page and "我的网格" in page
    detail = text(client.get(f"/tasks/{task.id}"))
    assert "我来接单" in detail and "王**" in detail and world.requester.phone not in detail

    response = client.post(f"/tasks/{task.id}/claim", follow_redirects=True)

    assert "接单成功！请按时去帮忙，有事可以在下面留言" in flashed(response)
    assert world.requester.phone in text(response) and "王秀英" in text(response)
    assert "我接的任务" in text(client.get("/tasks"))


def test_start_done_release_and_messages_by_form(client, db, world, uploads):
    request, task = published(db, uploads, world)
    sign_in(client, world.volunteer)
    client.post(f"/tasks/{task.id}/claim")

    started = client.post(f"/tasks/{task.id}/start", follow_redirects=True)
    assert "已告诉点单人：您开始办理了" in flashed(started)
    client.post(f"/tasks/{task.id}/messages", data={"body": "我到楼下了"})
    assert "我到楼下了" in text(client.get(f"/tasks/{task.id}"))
    finished = client.post(f"/tasks/{task.id}/done", follow_redirects=True)
    assert "已告诉点单人：办好了，等对方确认后记积分" in flashed(finished)
    assert db.session.get(Task, task.id).status == DONE

    sign_in(client, world.requester)
    response = client.post(f"/tasks/{task.id}/messages", data={
        "body": "辛苦了", "from": "request", "request_id": request.id}, follow_redirects=True)
    assert "辛苦了" in text(response) and "我到楼下了" in text(response)
    assert count(db.session, TaskMessage) == 2


def test_refusals_on_a_task_are_said_and_move_nothing(client, db, world, uploads):
    request = filed(db, uploads, world)
    now = utcnow()
    task = publish(db, world, request, now=now, deadline=now + timedelta(days=1))
    sign_in(client, world.requester)
    before = snapshot(db)

    own = client.post(f"/tasks/{task.id}/claim", follow_redirects=True)
    release = client.post(f"/tasks/{task.id}/release", follow_redirects=True)

    assert "不能接自己的点单（或自己代办的点单）" in flashed(own)
    assert "您没有接这个任务" in flashed(release)
    sign_in(client, world.far_volunteer)
    talk = client.post(f"/tasks/{task.id}/messages", data={"body": "你好"}, follow_redirects=True)
    assert "只有点单人和接单的志愿者可以在这里留言" in flashed(talk)
    assert snapshot(db) == before


def test_a_full_task_says_so(client, db, world, uploads):
    _, task = published(db, uploads, world)
    claim(db, world.second, task, now=utcnow())
    sign_in(client, world.volunteer)

    assert "这个任务的名额已经满了" in text(client.get(f"/tasks/{task.id}"))
    response = client.post(f"/tasks/{task.id}/claim", follow_redirects=True)
    assert "这个任务的名额已经满了" in flashed(response)


# Staff


def test_staff_see_the_queue_and_publish(client, db, world, uploads):
    request = filed(db, uploads, world, urgent=True)
    sign_in(client, world.staff)
    queue = text(client.get("/staff/requests"))
    assert "群众点单" in queue and "已等待" in queue and "承诺还剩" in queue
    review = text(client.get(f"/staff/requests/{request.id}"))
    assert "发布为任务" in review and "敬老助老" in review and 'value="陪同就医"' in review

    response = client.post(f"/staff/requests/{request.id}/publish", data={
        "title": "陪王秀英复查", "type_id": str(world.care.id), "points": "20",
        "volunteers_needed": "1", "deadline": box(utcnow() + timedelta(days=1))},
        follow_redirects=True)

    assert "已发布任务“陪王秀英复查”，志愿者现在可以接单了" in flashed(response)
    assert db.session.get(ServiceRequest, request.id).status == PUBLISHED


def test_a_bad_task_is_said_on_the_review_page(client, db, world, uploads):
    request = filed(db, uploads, world)
    sign_in(client, world.staff)
    before = snapshot(db)

    response = client.post(f"/staff/requests/{request.id}/publish", data={
        "title": "陪诊", "type_id": str(world.care.id), "points": "100",
        "volunteers_needed": "1", "deadline": box(utcnow() + timedelta(days=1))},
        follow_redirects=True)

    assert "“敬老助老”每人每天最多 40 分，任务积分不能更多" in flashed(response)
    assert snapshot(db) == before


def test_staff_decline_merge_and_route_by_form(client, db, world, uploads):
    first, second, third = (filed(db, uploads, world) for _ in range(3))
    sign_in(client, world.staff)

    declined = client.post(f"/staff/requests/{first.id}/decline", data={"reason": "请拨打 12345"},
                           follow_redirects=True)
    assert "已告诉居民不受理的原因" in flashed(declined)
    merged = client.post(f"/staff/requests/{second.id}/merge", data={"into_id": str(third.id)},
                         follow_redirects=True)
    assert "已合并，并告诉了点单的居民" in flashed(merged)
    routed = client.post(f"/staff/requests/{third.id}/route",
                         data={"grid_id": str(world.far_grid.id)}, follow_redirects=True)
    assert "已转给西郊网格" in flashed(routed)

    statuses = [db.session.get(ServiceRequest, r.id) for r in (first, second, third)]
    assert [r.status for r in statuses] == [DECLINED, MERGED, "received"]
    assert statuses[2].grid_id == world.far_grid.id
    sign_in(client, world.requester)
    assert "请拨打 12345" in text(client.get(f"/requests/{first.id}"))
    assert f"#{third.id}" in text(client.get(f"/requests/{second.id}"))


def test_a_decline_without_a_reason_is_refused(client, db, world, uploads):
    request = filed(db, uploads, world)
    sign_in(client, world.staff)
    before = snapshot(db)

    response = client.post(f"/staff/requests/{request.id}/decline", data={"reason": ""},
                           follow_redirects=True)

    assert "请填写原因（居民会看到）" in flashed(response)
    assert snapshot(db) == before


def test_staff_take_a_phone_call(client, db, world):
    sign_in(client, world.grid_worker)
    assert "电话代点单" in text(client.get("/staff/requests/new"))

    response = client.post("/staff/requests/new", data={
        "phone": world.requester.phone, "category": "meals", "description": "送午饭",
        "place": "3栋2单元401"}, follow_redirects=True)

    assert f"已替 {world.requester.name} 点单" in flashed(response)
    unknown = client.post("/staff/requests/new", data={
        "phone": "13000000000", "category": "meals", "description": "送午饭", "place": "3栋"},
        follow_redirects=True)
    assert "没有找到这个手机号的居民，请核对后再填" in flashed(unknown)
    assert count(db.session, ServiceRequest) == 1


def test_a_grid_worker_cannot_open_another_grids_request(client, db, world, uploads):
    request = filed(db, uploads, world)
    sign_in(client, world.far_grid_worker)

    assert client.get(f"/staff/requests/{request.id}").status_code == 404
    assert client.post(f"/staff/requests/{request.id}/decline",
                       data={"reason": "x"}).status_code == 404


def test_the_board_flags_and_staff_reassign_cancel_confirm_and_decide(client, db, world, uploads):
    _, overdue = published(db, uploads, world)
    overdue.deadline = utcnow() - timedelta(hours=1)
    db.session.commit()
    claim(db, world.volunteer, overdue, now=utcnow())
    sign_in(client, world.staff)
    board = text(client.get("/staff/tasks"))
    assert "已超时" in board and "陪王秀英去县医院复查" in board
    assert "已超过最晚办好的时间" in text(client.get(f"/staff/tasks/{overdue.id}"))

    moved = client.post(f"/staff/tasks/{overdue.id}/reassign", data={
        "from_volunteer_id": str(world.volunteer.id), "phone": world.second.phone},
        follow_redirects=True)
    assert "已调整志愿者，并通知了相关的人" in flashed(moved)
    cancelled = client.post(f"/staff/tasks/{overdue.id}/cancel", data={"reason": "家属已陪同"},
                            follow_redirects=True)
    assert "任务已取消，并告诉了居民和志愿者" in flashed(cancelled)
    assert db.session.get(Task, overdue.id).status == CANCELLED

    _, waiting = done(db, uploads, world)
    confirmed = client.post(f"/staff/tasks/{waiting.id}/confirm", data={"rating": "4"},
                            follow_redirects=True)
    assert "已替居民确认办好，志愿者的积分已经记上" in flashed(confirmed)
    assert db.session.get(Task, waiting.id).status == CLOSED

    disputed_request, disputed = done(db, uploads, world)
    from points.residents.acting import acting_as_self
    from points.tasks import closing

    closing.dispute_request(db.session, acting=acting_as_self(world.requester),
                             request_id=disputed_request.id, reason="没去", now=utcnow())
    assert "有异议" in text(client.get("/staff/tasks"))
    assert "点单人说：没去" in text(client.get(f"/staff/tasks/{disputed.id}"))
    no_reason = client.post(f"/staff/tasks/{disputed.id}/no_credit", data={"reason": ""},
                            follow_redirects=True)
    assert "请填写原因（居民会看到）" in flashed(no_reason)
    decided = client.post(f"/staff/tasks/{disputed.id}/no_credit", data={"reason": "核实没去"},
                          follow_redirects=True)
    assert "异议已处理，并告诉了居民和志愿者" in flashed(decided)
    assert db.session.get(Task, disputed.id).dispute_credited is False
    assert balance(db, world.volunteer) == Decimal("20")  # the confirmed one only


def test_the_figures_page(client, db, world, uploads):
    request, task = done(db, uploads, world)
    from tests.points.tasks.conftest import confirm

    confirm(db, world, request, now=utcnow())
    sign_in(client, world.admin)

    page = text(client.get("/staff/tasks/figures?days=7"))

    assert "办理时效" in page and "全社区" in page and "陪同就医" in page and "荔东网格" in page
    assert client.get("/staff/tasks/figures?days=3").status_code == 200  # falls back to 30
    sign_in(client, world.volunteer)
    assert client.get("/staff/tasks/figures").status_code == 403


def test_a_resident_opening_a_task_of_another_community_finds_nothing(client, db, world, uploads):
    _, task = published(db, uploads, world)
    sign_in(client, world.stranger)

    assert client.get(f"/tasks/{task.id}").status_code == 404
