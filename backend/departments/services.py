"""Reading and creating departments and categories."""

from __future__ import annotations

from dataclasses import dataclass

from backend.departments.tables import Category, Department


@dataclass(frozen=True)
class CategoryChoice:
    id: int
    name: str
    name_en: str
    department_name: str
    department_name_en: str
    default_case_type: str


async def active_categories() -> list[CategoryChoice]:
    rows = (
        await Category.select(
            Category.id,
            Category.name,
            Category.name_en,
            Category.default_case_type,
            Category.department.name.as_alias("department_name"),
            Category.department.name_en.as_alias("department_name_en"),
        )
        .where(Category.active.eq(True))
        .order_by(Category.position)
        .order_by(Category.id)
    )
    return [CategoryChoice(**row) for row in rows]


async def get_active_category(category_id: int) -> Category | None:
    return await Category.objects().where(Category.id == category_id, Category.active.eq(True)).first()


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
