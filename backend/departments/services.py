"""Departments, the categories of cases each one handles, and the areas cases happen in.

Plain Python over the tables; knows nothing of HTTP. What an admin types arrives as text and
stays text until valid, so a form with errors can be shown again as it was typed. Every change
an admin makes is written to the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Awaitable, Callable

from backend.accounts import audit
from backend.accounts.audit import AuditAction, Who
from backend.vocabulary import CITIZEN_CASE_TYPES, CaseType, StaffRole
from backend.accounts.tables import Account
from backend import clock, events
from backend.db import is_unique_violation, lock_row, write_transaction
from backend.departments.boundaries import BoundaryError, checked_boundary
from backend.departments.tables import Area, Category, Department
from backend.errors import FieldErrors, NotFound
from backend.events import OrganisationChanged
from backend.i18n_markers import N_
from backend.text import clean_text, row_id

SLUG_PATTERN = re.compile(r"[a-z0-9-]{1,60}")
POSITION_PATTERN = re.compile(r"[0-9]{1,4}")
# The columns' lengths (tables.py): longer names are refused here, not by the database.
DEPARTMENT_NAME_MAX = 100
CATEGORY_NAME_MAX = 60
AREA_NAME_MAX = 60

NAME_TAKEN = N_("This name is already used. Choose another one.")
SLUG_TAKEN = N_("This short name is already used. Choose another one.")
AREA_UNAVAILABLE = N_("Choose an area from the list.")


class OrganisationError(FieldErrors):
    """A change to departments, categories or areas that can't be made."""


@dataclass
class DepartmentForm:
    name: str = ""
    name_en: str = ""
    slug: str = ""


@dataclass
class CategoryForm:
    name: str = ""
    name_en: str = ""
    slug: str = ""
    department_id: str = ""
    default_case_type: str = CaseType.complaint.value
    position: str = "0"
    active: str = "yes"  # a checkbox: "yes" when ticked, nothing when not


@dataclass
class AreaForm:
    name: str = ""
    name_en: str = ""
    slug: str = ""
    parent_id: str = ""  # empty for a district; a district's id for a street or town
    position: str = "0"
    active: str = "yes"
    boundary: str = ""  # GeoJSON, pasted or from an uploaded file (``boundaries.checked_boundary``)


# Reading, for the forms and pages that choose among them.


@dataclass(frozen=True)
class CategoryItem:
    id: int
    name: str
    name_en: str
    slug: str
    department_id: int
    department_name: str
    department_name_en: str
    default_case_type: str
    position: int
    active: bool


_CATEGORY_ITEM_COLUMNS = (
    Category.id,
    Category.name,
    Category.name_en,
    Category.slug,
    Category.department.as_alias("department_id"),
    Category.department.name.as_alias("department_name"),
    Category.department.name_en.as_alias("department_name_en"),
    Category.default_case_type,
    Category.position,
    Category.active,
)


async def all_categories(active_only: bool = False) -> list[CategoryItem]:
    """In the admins' order; ``active_only``: those people may choose from."""
    query = Category.select(*_CATEGORY_ITEM_COLUMNS)
    if active_only:
        query = query.where(Category.active.eq(True))
    return [CategoryItem(**row) for row in await query.order_by(Category.position).order_by(Category.id)]


async def active_categories() -> list[CategoryItem]:
    return await all_categories(active_only=True)


async def get_active_category(category_id: int) -> Category | None:
    return await Category.objects().where(Category.id == category_id, Category.active.eq(True)).first()


async def department_choices() -> list[dict]:
    """Every department, by name: id, name and English name."""
    return await Department.select(Department.id, Department.name, Department.name_en).order_by(Department.name)


@dataclass(frozen=True)
class AreaItem:
    id: int
    name: str
    name_en: str
    slug: str
    position: int
    active: bool


@dataclass(frozen=True)
class District:
    area: AreaItem
    streets: list[AreaItem]  # its streets and towns (街道/镇)


async def area_tree(active_only: bool = False) -> list[District]:
    """Districts with their streets and towns, in the admins' order. ``active_only`` leaves out
    inactive areas and everything in an inactive district: what people may choose from."""
    query = Area.select(Area.id, Area.name, Area.name_en, Area.slug, Area.position, Area.active, Area.parent)
    if active_only:
        query = query.where(Area.active.eq(True))
    rows = await query.order_by(Area.position).order_by(Area.id)
    districts = {row["id"]: District(_area_item(row), []) for row in rows if row["parent"] is None}
    for row in rows:
        if row["parent"] in districts:
            districts[row["parent"]].streets.append(_area_item(row))
    return list(districts.values())


def _area_item(row: dict) -> AreaItem:
    return AreaItem(**{key: value for key, value in row.items() if key != "parent"})


async def is_active_area(area_id: int) -> bool:
    """Whether people may put a case in this area: it is active, and so is its district."""
    row = await Area.select(Area.active, Area.parent, Area.parent.active.as_alias("district_active")).where(
        Area.id == area_id
    ).first()
    return bool(row and row["active"] and (row["parent"] is None or row["district_active"]))


# The admin's overview of departments.


@dataclass(frozen=True)
class Handler:
    id: int
    name: str
    active: bool


@dataclass(frozen=True)
class DepartmentItem:
    id: int
    name: str
    name_en: str
    slug: str
    handlers: list[Handler]
    categories: list[CategoryItem]


async def departments_overview() -> list[DepartmentItem]:
    """Each department with the people who handle its cases and the categories it receives."""
    handlers: dict[int, list[Handler]] = {}
    for row in await Account.select(Account.id, Account.name, Account.active, Account.department.as_alias("department_id")).where(
        Account.role == StaffRole.handler.value, Account.department.is_not_null()
    ).order_by(Account.name):
        handlers.setdefault(row.pop("department_id"), []).append(Handler(**row))
    categories: dict[int, list[CategoryItem]] = {}
    for category in await all_categories():
        categories.setdefault(category.department_id, []).append(category)
    rows = await Department.select(Department.id, Department.name, Department.name_en, Department.slug).order_by(Department.name)
    return [DepartmentItem(**row, handlers=handlers.get(row["id"], []), categories=categories.get(row["id"], [])) for row in rows]


# What an admin's edit form starts from.


async def department_form(department_id: int) -> DepartmentForm | None:
    row = await Department.select(Department.name, Department.name_en, Department.slug).where(Department.id == department_id).first()
    return DepartmentForm(**row) if row else None


async def category_form(category_id: int) -> CategoryForm | None:
    row = await Category.select(
        Category.name,
        Category.name_en,
        Category.slug,
        Category.department,
        Category.default_case_type,
        Category.position,
        Category.active,
    ).where(Category.id == category_id).first()
    if row is None:
        return None
    return CategoryForm(
        name=row["name"],
        name_en=row["name_en"],
        slug=row["slug"],
        department_id=str(row["department"]),
        default_case_type=row["default_case_type"],
        position=str(row["position"]),
        active="yes" if row["active"] else "",
    )


async def area_form(area_id: int) -> AreaForm | None:
    row = await Area.select(Area.name, Area.name_en, Area.slug, Area.parent, Area.position, Area.active, Area.boundary).where(
        Area.id == area_id
    ).first()
    if row is None:
        return None
    return AreaForm(
        name=row["name"],
        name_en=row["name_en"],
        slug=row["slug"],
        parent_id=str(row["parent"]) if row["parent"] else "",
        position=str(row["position"]),
        active="yes" if row["active"] else "",
        boundary=row["boundary"],
    )


# Checking what was typed.


def _names(errors: dict[str, str], form: DepartmentForm | CategoryForm | AreaForm, name_max: int) -> dict:
    name, name_en, slug = clean_text(form.name), clean_text(form.name_en), clean_text(form.slug).lower()
    if not name:
        errors["name"] = N_("Enter the Chinese name.")
    elif len(name) > name_max:
        errors["name"] = N_("The name is too long.")
    if len(name_en) > name_max:
        errors["name_en"] = N_("The English name is too long.")
    if not SLUG_PATTERN.fullmatch(slug):
        errors["slug"] = N_("Use 1 to 60 lower-case letters, digits and hyphens, such as water-supply.")
    return {"name": name, "name_en": name_en, "slug": slug}


def _position(errors: dict[str, str], text: str) -> int:
    text = text.strip()
    if not text:
        return 0
    if not POSITION_PATTERN.fullmatch(text):
        errors["position"] = N_("Give the position as a whole number from 0 to 9999.")
        return 0
    return int(text)


async def _taken(table, values: dict, own_id: int | None, skip: dict[str, str]) -> dict[str, str]:
    """Name and slug already used by another row (fields that are wrong already are skipped)."""
    taken = {}
    for field, message in (("name", NAME_TAKEN), ("slug", SLUG_TAKEN)):
        if field in skip:
            continue
        query = table.exists().where(getattr(table, field) == values[field])
        if own_id is not None:
            query = query.where(table.id != own_id)
        if await query:
            taken[field] = message
    return taken


async def _save(table, values: dict, own_id: int | None, errors: dict[str, str], write: Callable[[], Awaitable[int]]) -> int:
    """Refuse with every error at once, or run ``write`` in one transaction and return its id."""
    errors = {**errors, **await _taken(table, values, own_id, errors)}
    if errors:
        raise OrganisationError(errors)
    try:
        async with write_transaction():
            written = await write()
            await events.emit(OrganisationChanged())
            return written
    except Exception as error:
        if not is_unique_violation(error):
            raise
    # Another admin saved the same name or slug between the check and the write.
    raise OrganisationError(await _taken(table, values, own_id, {}) or {"slug": SLUG_TAKEN})


def _detail(values: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in values.items())


async def _exists(table, row_id: int) -> bool:
    return await table.exists().where(table.id == row_id)


def _no_such(message: str) -> OrganisationError:
    return OrganisationError({"": message}, NotFound)


# Departments.


async def create_department(form: DepartmentForm, *, actor: Who, client_address: str = "") -> int:
    errors: dict[str, str] = {}
    values = _names(errors, form, DEPARTMENT_NAME_MAX)

    async def write() -> int:
        rows = await Department.insert(Department(**values)).returning(Department.id)
        await audit.record(AuditAction.department_created, actor=actor, detail=_detail(values), client_address=client_address)
        return rows[0]["id"]

    return await _save(Department, values, None, errors, write)


async def update_department(department_id: int, form: DepartmentForm, *, actor: Who, client_address: str = "") -> None:
    """Rename a department. Timeline entries keep the name it had when they were written."""
    if not await _exists(Department, department_id):
        raise _no_such(N_("There is no such department."))
    errors: dict[str, str] = {}
    values = _names(errors, form, DEPARTMENT_NAME_MAX)

    async def write() -> int:
        await Department.update(values).where(Department.id == department_id)
        await audit.record(AuditAction.department_changed, actor=actor, detail=_detail(values), client_address=client_address)
        return department_id

    await _save(Department, values, department_id, errors, write)


# Categories.


async def _category_values(form: CategoryForm) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    values = _names(errors, form, CATEGORY_NAME_MAX)
    department_id = row_id(form.department_id.strip())
    if department_id is None or not await _exists(Department, department_id):
        errors["department_id"] = N_("Choose the department that usually handles it.")
    if form.default_case_type not in {t.value for t in CITIZEN_CASE_TYPES}:
        errors["default_case_type"] = N_("Choose the usual type of case.")
    values.update(
        department=department_id,
        default_case_type=form.default_case_type,
        position=_position(errors, form.position),
        active=form.active == "yes",
    )
    return values, errors


async def create_category(form: CategoryForm, *, actor: Who, client_address: str = "") -> int:
    values, errors = await _category_values(form)

    async def write() -> int:
        rows = await Category.insert(Category(**values)).returning(Category.id)
        await audit.record(AuditAction.category_created, actor=actor, detail=_detail(values), client_address=client_address)
        return rows[0]["id"]

    return await _save(Category, values, None, errors, write)


async def update_category(category_id: int, form: CategoryForm, *, actor: Who, client_address: str = "") -> None:
    """Change a category. It is never deleted: its cases keep it; inactive, it is no longer offered."""
    if not await _exists(Category, category_id):
        raise _no_such(N_("There is no such category."))
    values, errors = await _category_values(form)

    async def write() -> int:
        await Category.update(values).where(Category.id == category_id)
        await audit.record(AuditAction.category_changed, actor=actor, detail=_detail(values), client_address=client_address)
        return category_id

    await _save(Category, values, category_id, errors, write)


# Areas.


async def _parent_errors(parent_id: int | None, area_id: int | None) -> dict[str, str]:
    """Two levels only: a street or town sits in a district, and a district with streets stays one."""
    if parent_id is not None:
        parent = await Area.select(Area.parent).where(Area.id == parent_id).first()
        if parent is None or parent["parent"] is not None or parent_id == area_id:
            return {"parent_id": N_("Choose a district from the list, or none for a district.")}
        if area_id is not None and await Area.exists().where(Area.parent == area_id):
            return {"parent_id": N_("This district has streets or towns, so it stays a district.")}
    return {}


async def _area_values(form: AreaForm, area_id: int | None) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    values = _names(errors, form, AREA_NAME_MAX)
    parent_text = form.parent_id.strip()
    parent_id = row_id(parent_text) if parent_text else None
    if parent_text and parent_id is None:
        errors["parent_id"] = N_("Choose a district from the list, or none for a district.")
    else:
        errors.update(await _parent_errors(parent_id, area_id))
    try:
        boundary = checked_boundary(form.boundary)
    except BoundaryError as error:
        errors["boundary"], boundary = error.message, ""
    values.update(
        parent=parent_id, position=_position(errors, form.position), active=form.active == "yes", boundary=boundary, changed_at=clock.now()
    )
    return values, errors


def _area_detail(values: dict) -> str:
    """The audit log's detail of an area: its boundary by its size, not its thousands of numbers."""
    shown = {key: value for key, value in values.items() if key != "changed_at"}
    shown["boundary"] = f"{len(values['boundary'])} characters of GeoJSON" if values["boundary"] else "none"
    return _detail(shown)


async def _write_area(values: dict, area_id: int | None) -> None:
    """Checked again with both rows locked: two admins moving areas at once cannot make three levels."""
    for locked in filter(None, (area_id, values["parent"])):
        await lock_row(Area, locked)
    if errors := await _parent_errors(values["parent"], area_id):
        raise OrganisationError(errors)


async def create_area(form: AreaForm, *, actor: Who, client_address: str = "") -> int:
    values, errors = await _area_values(form, None)

    async def write() -> int:
        await _write_area(values, None)
        rows = await Area.insert(Area(**values)).returning(Area.id)
        await audit.record(AuditAction.area_created, actor=actor, detail=_area_detail(values), client_address=client_address)
        return rows[0]["id"]

    return await _save(Area, values, None, errors, write)


async def update_area(area_id: int, form: AreaForm, *, actor: Who, client_address: str = "") -> None:
    """Change or deactivate an area. It is never deleted: its cases keep it."""
    if not await _exists(Area, area_id):
        raise _no_such(N_("There is no such area."))
    values, errors = await _area_values(form, area_id)

    async def write() -> int:
        await _write_area(values, area_id)
        await Area.update(values).where(Area.id == area_id)
        await audit.record(AuditAction.area_changed, actor=actor, detail=_area_detail(values), client_address=client_address)
        return area_id

    await _save(Area, values, area_id, errors, write)


# The demo's set-up: found by slug, or made.


async def ensure_department(name: str, name_en: str, slug: str) -> Department:
    department = await Department.objects().where(Department.slug == slug).first()
    if department is None:
        department = Department(name=name, name_en=name_en, slug=slug)
        await department.save()
    return department


async def ensure_category(
    name: str, name_en: str, slug: str, department: Department, default_case_type: str, position: int
) -> Category:
    category = await Category.objects().where(Category.slug == slug).first()
    if category is None:
        category = Category(
            name=name,
            name_en=name_en,
            slug=slug,
            department=department.id,
            default_case_type=default_case_type,
            position=position,
        )
        await category.save()
    return category


async def ensure_area(name: str, name_en: str, slug: str, parent: Area | None, position: int, boundary: str = "") -> Area:
    area = await Area.objects().where(Area.slug == slug).first()
    if area is None:
        area = Area(
            name=name, name_en=name_en, slug=slug, parent=parent.id if parent else None, position=position,
            boundary=checked_boundary(boundary), changed_at=clock.now(),
        )
        await area.save()
    return area
