"""notification messages: msgids and values beside the rendered text, so each reader sees
their own language

Revision ID: 124b8754e8a7
Revises: dc1f2fc19bc8
Create Date: 2026-11-24 01:42:56.617834

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '124b8754e8a7'
down_revision = 'dc1f2fc19bc8'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both: the table is not rebuilt. Earlier rows keep no message and
    # show as they were stored.
    op.add_column('notifications', sa.Column('message', sa.JSON(), nullable=True))


def downgrade():
    op.execute('ALTER TABLE notifications DROP COLUMN message')
