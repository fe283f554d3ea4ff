"""The resident list: search by name, phone or address; office staff see full phones, grid
workers see masked phones and only the residents of their own grids."""
import pytest

from points.residents import services
from tests import factories
from tests.factories import sign_in


@pytest.fixture
def street(db):
    """Two grids of one community, one resident in each."""
    community = factories.make_community(db.session)
    east = factories.make_grid(db.session, community, name="东街网格")
    west = factories.make_grid(db.session, community, name="西街网格")
    wang = factories.make_resident(db.session, community, name="王秀英", phone="13811112222",
                                   household=factories.make_household(db.session, community, east,
                                                                      address="1栋101"))
    zhao = factories.make_resident(db.session, community, name="赵建国", phone="13833334444",
                                   household=factories.make_household(db.session, community, west,
                                                                      address="9栋903"))
    return community, east, wang, zhao


def text_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_office_staff_see_every_resident_with_full_phones(client, db, street):
    community, _, _, _ = street
    sign_in(client, factories.make_user(db.session, community, "staff"))

    html = text_of(client, "/staff/residents")

    assert "王秀英" in html and "赵建国" in html
    assert "13811112222" in html and "13833334444" in html


@pytest.mark.parametrize("query, found, not_found", [
    ("秀英", "王秀英", "赵建国"),
    ("3333", "赵建国", "王秀英"),
    ("1栋", "王秀英", "赵建国"),
])
def test_search_matches_name_phone_or_address(client, db, street, query, found, not_found):
    community, _, _, _ = street
    sign_in(client, factories.make_user(db.session, community, "staff"))

    html = text_of(client, f"/staff/residents?q={query}")

    assert found in html and not_found not in html


def test_a_percent_sign_in_the_search_is_plain_text(db, street):
    community, _, _, _ = street
    staff = factories.make_user(db.session, community, "staff")

    page = services.list_residents(db.session, actor=staff, community=community, query="%")

    assert page.rows == []


def test_a_grid_worker_sees_only_their_grids_with_masked_phones(client, db, street):
    community, east, _, _ = street
    sign_in(client, factories.make_user(db.session, community, "grid_worker", grids=[east]))

    html = text_of(client, "/staff/residents")

    assert "王秀英" in html and "138****2222" in html and "13811112222" not in html
    assert "赵建国" not in html


def test_a_grid_worker_finds_no_one_outside_their_grids_even_by_exact_phone(db, street):
    community, east, _, zhao = street
    worker = factories.make_user(db.session, community, "grid_worker", grids=[east])

    page = services.list_residents(db.session, actor=worker, community=community, query=zhao.phone)

    assert page.rows == []


def test_the_list_pages_through_many_residents(db, street, monkeypatch):
    community, _, _, _ = street
    staff = factories.make_user(db.session, community, "staff")
    monkeypatch.setattr(services, "PAGE_SIZE", 1)

    first = services.list_residents(db.session, actor=staff, community=community, page=1)
    second = services.list_residents(db.session, actor=staff, community=community, page=2)

    assert first.has_next and not second.has_next
    assert {first.rows[0].user.name, second.rows[0].user.name} == {"王秀英", "赵建国"}


def test_residents_cannot_open_the_staff_list(client, db, street):
    _, _, wang, _ = street
    sign_in(client, wang)

    assert client.get("/staff/residents").status_code == 403


def test_staff_home_links_to_the_resident_pages(client, db, street):
    community, _, _, _ = street
    sign_in(client, factories.make_user(db.session, community, "staff"))

    assert 'href="/staff/residents"' in text_of(client, "/staff")


def test_each_resident_page_opens_for_office_staff(client, db, street):
    community, _, wang, _ = street
    sign_in(client, factories.make_user(db.session, community, "staff"))

    pages = ["/staff/residents/new", "/staff/residents/import", f"/staff/residents/{wang.id}"]

    assert [client.get(page).status_code for page in pages] == [200, 200, 200]
    assert "下载登记表模板" in text_of(client, "/staff/residents/import")


def test_a_grid_worker_without_grids_is_told_so_instead_of_an_empty_form(client, db, street):
    community, _, _, _ = street
    sign_in(client, factories.make_user(db.session, community, "grid_worker"))

    assert 'data-test="no-grids"' in text_of(client, "/staff/residents/new")
