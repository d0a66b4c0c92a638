"""rule ids per city: two cities in one database may both have a rule R001

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 12:10:00

The routing rules' primary key was the rule id alone, so replacing one city's rules failed when another
city loaded in the same database used one of their ids. It becomes (city, id); the city index it replaces
was its first column anyway.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("routing_rules", recreate="auto") as batch:
        batch.drop_index(batch.f("ix_routing_rules_city"))
        batch.drop_constraint(op.f("pk_routing_rules"), type_="primary")
        batch.create_primary_key(op.f("pk_routing_rules"), ["city", "id"])


def downgrade() -> None:
    with op.batch_alter_table("routing_rules", recreate="auto") as batch:
        batch.drop_constraint(op.f("pk_routing_rules"), type_="primary")
        batch.create_primary_key(op.f("pk_routing_rules"), ["id"])
        batch.create_index(batch.f("ix_routing_rules_city"), ["city"], unique=False)
