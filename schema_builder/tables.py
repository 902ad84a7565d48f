"""dexgate's own tables. Every name starts with ``dexgate_``; migrations create them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

OWN_TABLE_PREFIX = "dexgate_"

metadata = sa.MetaData()

# On MariaDB and MySQL: microseconds kept (DATETIME alone keeps whole seconds), and
# definitions longer than TEXT's 64 KB.
TS = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")

entity_configuration = sa.Table(
    "dexgate_entity_configuration",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("table_alias", sa.String(255), nullable=False, unique=True),
    sa.Column("table_name", sa.String(255), nullable=False, unique=True),
    sa.Column("is_active", sa.Boolean, nullable=False, default=False),
    sa.Column("definition", TEXT, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

entity_relation = sa.Table(
    "dexgate_entity_relation",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "owner_configuration_id",
        sa.Integer,
        sa.ForeignKey("dexgate_entity_configuration.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column(
        "parent_configuration_id",
        sa.Integer,
        sa.ForeignKey("dexgate_entity_configuration.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "child_configuration_id",
        sa.Integer,
        sa.ForeignKey("dexgate_entity_configuration.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("is_editable", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("owner_configuration_id", "name", name="uq_dexgate_relation_owner_name"),
)

relation_field_mapping = sa.Table(
    "dexgate_entity_relation_field_mapping",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "relation_id",
        sa.Integer,
        sa.ForeignKey("dexgate_entity_relation.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("child_field_name", sa.String(255), nullable=False),
    sa.Column("parent_field_name", sa.String(255), nullable=False),
)

catalog_state = sa.Table(
    "dexgate_catalog_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, nullable=False),
)
