"""resident profiles: relation to the household head and the office's note.

Revision ID: 7c1e5a9d2b40
Revises: 400cbd0202a2
Create Date: 2026-11-23 21:00:00

"""
from alembic import op
import sqlalchemy as sa
import ledger.models

revision = '7c1e5a9d2b40'
down_revision = '400cbd0202a2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('resident_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('relation', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', ledger.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_resident_profiles_community_id_communities')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_resident_profiles_registered_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_resident_profiles_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_resident_profiles'))
    )
    with op.batch_alter_table('resident_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_profiles_community_id'), ['community_id'], unique=False)


def downgrade():
    with op.batch_alter_table('resident_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_profiles_community_id'))

    op.drop_table('resident_profiles')
