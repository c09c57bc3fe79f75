from piccolo.columns import Boolean, ForeignKey, Integer, Timestamptz, Varchar
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
