from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table


class Department(Table, tablename="department"):
    name = Varchar(length=100, unique=True)
    name_en = Varchar(length=100, default="")
    slug = Varchar(length=60, unique=True)
    created_at = Timestamptz()


class Category(Table, tablename="category"):
    name = Varchar(length=60, unique=True)
    name_en = Varchar(length=60, default="")
    slug = Varchar(length=60, unique=True)
    department = ForeignKey(references=Department, null=False)
    # The case type a category usually carries (complaint, consultation, suggestion).
    default_case_type = Varchar(length=20, default="complaint")
    position = Integer(default=0)
    active = Boolean(default=True)


class Area(Table, tablename="area"):
    """Where a case is: a district (区/县, no parent) or a street or town in it (街道/镇).

    Two levels only. Names are unique across the city, so a list of areas never shows two alike.
    """

    name = Varchar(length=60, unique=True)
    name_en = Varchar(length=60, default="")
    slug = Varchar(length=60, unique=True)
    # Areas are deactivated, never deleted: nothing that points at one may vanish with it.
    parent = ForeignKey(references="self", null=True, default=None, index=True, on_delete=OnDelete.no_action)
    position = Integer(default=0)
    active = Boolean(default=True)
