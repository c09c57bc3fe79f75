from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
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
    # Its boundary, a GeoJSON Polygon or MultiPolygon in WGS 84 (checked by ``boundaries``), or
    # empty: a case's map point finds its street by it.
    boundary = Text(default="")
    # When an admin last changed it: the spatial index of the boundaries (``boundaries.area_map``)
    # is rebuilt in each process when the latest of these moves.
    changed_at = Timestamptz(null=True, default=None)


class CategoryQuestion(Table, tablename="category_question"):
    """A question a category asks of every filing in it (Open311's attributes of a service):
    "Which floor?", "Is water still running?". Answers keep their own copy of the question."""

    category = ForeignKey(references=Category, null=False, index=True)
    code = Varchar(length=40)  # unique within the category; Open311's attribute code
    description = Varchar(length=200)  # the question, in Chinese…
    description_en = Varchar(length=200, default="")  # …and in English
    datatype = Varchar(length=20)  # string, number, datetime, text, singlevaluelist, multivaluelist
    required = Boolean(default=False)
    position = Integer(default=0)
    choices = Text(default="")  # the lists: one choice a line, "key=name" (or "key=name=English name")
