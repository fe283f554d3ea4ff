"""Fixtures for ledger tests: plain SQLAlchemy sessions, no Flask."""
import pytest

from tests.ledger.book import Book


@pytest.fixture
def book(session):
    return Book(session)


@pytest.fixture
def funded(book):
    """A resident with 100 points and a merchant with none, in community 1."""
    resident, merchant = book.account(1), book.account(1, owner_type="merchant")
    book.fund(resident, "100")
    return resident, merchant
