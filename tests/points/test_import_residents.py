"""Bulk import: every row registered with its own initial password, or, when any row is
wrong, nothing at all and a report naming each wrong row."""
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from points.auth import passwords
from points.auth.models import User
from points.auth.services import find_user_by_phone
from points.households.models import Household
from points.residents import importing
from points.residents.models import ResidentProfile
from points.timeutil import utcnow
from tests import factories
from tests.factories import sign_in

HEADER = ["姓名", "手机号", "网格", "门牌/户号", "备注"]


@pytest.fixture
def office(db):
    community = factories.make_community(db.session)
    east = factories.make_grid(db.session, community, name="东街网格")
    west = factories.make_grid(db.session, community, name="西街网格")
    staff = factories.make_user(db.session, community, "staff")
    return community, east, west, staff


def xlsx_bytes(rows):
    workbook = Workbook()
    for row in [HEADER, *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def gbk_csv(rows):
    return "\r\n".join(",".join(row) for row in [HEADER, *rows]).encode("gbk")


def run_import(db, office, data, actor=None):
    community, _, _, staff = office
    return importing.import_residents(db.session, actor=actor or staff, community=community,
                                      data=data, max_bytes=5 * 1024 * 1024, now=utcnow())


def count(db, model, *where):
    stmt = (select(func.count()).select_from(model).where(*where)
            .execution_options(all_communities=True))
    return db.session.scalar(stmt)


def upload(client, data, name="居民.xlsx"):
    return client.post("/staff/residents/import",
                       data={"sheet": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_every_row_is_registered_with_its_own_password_and_households_are_shared(db, office):
    _, east, west, staff = office

    report = run_import(db, office, xlsx_bytes([
        ["王秀英", 13811112222, "东街网格", "1栋101", "独居"],
        ["王建军", "138-1111-3333", "东街网格", "1栋101", ""],
        ["赵建国", "13833334444", "西街网格", "9栋903", None],
    ]))

    assert report.imported and report.error_count == 0
    assert [row.masked_phone for row in report.rows] == ["138****2222", "138****3333", "138****4444"]
    wang = find_user_by_phone(db.session, "13811112222")
    assert passwords.verify_password(wang.password_hash, report.rows[0].password)
    assert (wang.must_change_password, wang.created_by_id, wang.household.grid_id) == (True, staff.id, east.id)
    assert find_user_by_phone(db.session, "13811113333").household_id == wang.household_id
    assert count(db, Household) == 2 and count(db, User, User.role == "resident") == 3
    assert db.session.get(ResidentProfile, wang.id).note == "独居"


def test_a_gbk_csv_from_excel_is_imported(db, office):
    report = run_import(db, office, gbk_csv([["赵建国", "13833334444", "西街网格", "9栋903", "党员"]]))

    assert report.imported and report.rows[0].name == "赵建国"


def test_any_wrong_row_imports_nothing_and_each_mistake_names_its_row(db, office):
    community, _, _, _ = office
    factories.make_resident(db.session, community, phone="13899990000")

    report = run_import(db, office, gbk_csv([
        ["王秀英", "13811112222", "东街网格", "1栋101", ""],
        ["", "13811113333", "东街网格", "1栋102", ""],
        ["李四", "1381111", "东街网格", "1栋103", ""],
        ["张三", "13811112222", "东街网格", "1栋104", ""],
        ["钱五", "13899990000", "东街网格", "1栋105", ""],
        ["孙六", "13811115555", "南街网格", "1栋106", ""],
        ["周七", "13811116666", "西街网格", "1栋101", ""],
    ]))

    messages = {row.number: [error.code for error in row.errors] for row in report.rows}
    assert not report.imported and report.error_count == 6
    assert messages == {2: [], 3: ["row_name_missing"], 4: ["row_bad_phone"],
                        5: ["row_duplicate_phone"], 6: ["row_phone_registered"],
                        7: ["row_unknown_grid"], 8: ["row_address_in_other_grid"]}
    assert report.rows[3].errors[0].params == {"row": 5, "first_row": 2}
    assert count(db, User, User.role == "resident") == 1 and count(db, Household) == 1


def test_a_grid_workers_sheet_may_only_name_their_own_grids(db, office):
    community, east, _, _ = office
    worker = factories.make_user(db.session, community, "grid_worker", grids=[east])

    report = run_import(db, office, gbk_csv([["赵建国", "13833334444", "西街网格", "9栋903", ""]]),
                        actor=worker)

    assert [error.code for error in report.rows[0].errors] == ["row_unknown_grid"]


def test_an_address_already_registered_in_another_grid_is_a_row_error(db, office):
    community, east, _, _ = office
    factories.make_household(db.session, community, east, address="1栋101")

    report = run_import(db, office, gbk_csv([["赵建国", "13833334444", "西街网格", "1栋101", ""]]))

    assert report.rows[0].errors[0].params == {"row": 2, "address": "1栋101", "grid": "东街网格"}


def test_the_upload_page_shows_each_password_once_for_printing(client, db, office):
    _, _, _, staff = office
    sign_in(client, staff)

    response = upload(client, xlsx_bytes([["王秀英", "13811112222", "东街网格", "1栋101", ""]]))

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert 'data-test="imported"' in html and 'data-test="print"' in html
    password = html.split('data-test="password">')[1].split("<")[0]
    client.post("/sign-out")
    signed_in = sign_in(client, find_user_by_phone(db.session, "13811112222"), password=password)
    assert signed_in.headers["Location"].endswith("/account/password")


def test_the_upload_page_reports_wrong_rows_with_masked_phones(client, db, office):
    _, _, _, staff = office
    sign_in(client, staff)

    response = upload(client, gbk_csv([["", "13811112222", "东街网格", "1栋101", ""]]), "居民.csv")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 2 行：没有填姓名" in html and "138****2222" in html and "13811112222" not in html
    assert "没有导入任何人" in html and 'data-test="password"' not in html


@pytest.mark.parametrize("data, message", [
    (gbk_csv([]), "表格里没有居民数据"),
    ("姓名,手机号\n王秀英,13811112222".encode(), "表格第一行缺少这些列：网格、门牌/户号"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "只能上传 Excel 表格（.xlsx）或 CSV 文件"),
])
def test_a_file_refused_as_a_whole_is_explained_on_the_upload_page(client, db, office, data, message):
    _, _, _, staff = office
    sign_in(client, staff)

    response = upload(client, data, "居民.csv")
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    assert response.status_code == 302 and message in page


def test_a_sheet_is_read_by_its_content_not_its_name(client, db, office):
    """An Excel workbook saved as ``居民.csv`` is read as the workbook it is."""
    _, _, _, staff = office
    sign_in(client, staff)

    response = upload(client, xlsx_bytes([["王秀英", 13811112222, "东街网格", "1栋101", ""]]), "居民.csv")

    assert response.status_code == 200, response.status_code
    assert find_user_by_phone(db.session, "13811112222") is not None


def test_a_file_over_the_configured_limit_is_refused(client, app, db, office):
    _, _, _, staff = office
    # Small: the test client leaks the temporary file of an upload over 500 KB.
    app.config["IMPORT_MAX_BYTES"] = 100 * 1024
    sign_in(client, staff)

    response = upload(client, b"a" * (100 * 1024 + 1), "居民.csv")

    assert "文件太大了，最大 100 KB" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_template_sheet_downloads_as_xlsx_with_the_header(client, db, office):
    _, _, _, staff = office
    sign_in(client, staff)

    response = client.get("/staff/residents/import/template.xlsx")

    workbook = load_workbook(io.BytesIO(response.data))
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert [cell.value for cell in workbook.worksheets[0][1]] == HEADER
