"""Every row that belongs to a community carries it, and queries never cross communities.

Models with ``CommunityScoped`` get ``community_id``. While a request acts for a user of
one community, ``session.info["community_id"]`` is set and every ORM SELECT of a scoped
model is filtered to it (``with_loader_criteria``), so a forgotten filter cannot leak
another community's rows. District administrators act with no scope.
"""
from contextlib import contextmanager

from sqlalchemy import ForeignKey, event
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, with_loader_criteria

SCOPE = "community_id"
# execution_options of a query that names its communities itself (reports, district admins)
ALL_COMMUNITIES = {"all_communities": True}


class CommunityScoped:
    @declared_attr
    def community_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("communities.id"), index=True)


@event.listens_for(Session, "do_orm_execute")
def _filter_to_community(state):
    community_id = state.session.info.get(SCOPE)
    if community_id is None or not state.is_select or state.execution_options.get("all_communities"):
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            CommunityScoped,
            lambda cls: cls.community_id == community_id,
            include_aliases=True,
            track_closure_variables=False,
        )
    )


def set_scope(session, community_id):
    """Scope the session's ORM reads to one community (None: no scope)."""
    if community_id is None:
        session.info.pop(SCOPE, None)
    else:
        session.info[SCOPE] = community_id


@contextmanager
def scoped_to(session, community_id):
    before = session.info.get(SCOPE)
    set_scope(session, community_id)
    try:
        yield session
    finally:
        set_scope(session, before)
