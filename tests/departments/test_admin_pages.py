"""The admin's pages for departments, categories and areas over HTTP: who may use them, forms
that keep what was typed, errors next to their fields, and the audit log."""

from __future__ import annotations

import re

import pytest

from backend.departments.tables import Area, Category, Department
from tests.people import invite
from tests.support import CROSS_SITE


@pytest.fixture
async def admin(person):
    return await person("admin")


def category_fields(department_id, **overrides) -> dict:
    fields = dict(name="路灯", name_en="Street lights", slug="street-lights", department_id=str(department_id), default_case_type="complaint", position="3", active="yes")
    fields.update(overrides)
    return fields


async def test_each_page_lists_what_there_is(admin, categories, areas):
    water = categories["water"].department
    await invite("handler", "赵师傅", department_id=water)
    departments = await admin.client.get("/admin/departments")
    assert departments.status_code == 200 and departments.headers["cache-control"] == "private, no-store"
    assert "City Water Supply Company" in departments.text and "赵师傅" in departments.text and "Water supply" in departments.text
    assert f'href="/admin/accounts?department_id={water}#invite-heading"' in departments.text
    listed = await admin.client.get("/admin/categories")
    assert "供水" in listed.text and "Other suggestions" in listed.text and "Suggestion" in listed.text
    tree = await admin.client.get("/admin/areas")
    assert "竞秀区" in tree.text and "Dongfeng Subdistrict" in tree.text and "Inactive" in tree.text
    for page in (departments, listed, tree):
        assert 'href="/admin/areas"' in page.text and 'href="/admin/categories"' in page.text  # the admin's navigation


async def test_pages_are_in_chinese_too(admin, categories, areas):
    admin.client.headers["accept-language"] = "zh-CN"
    page = await admin.client.get("/admin/areas")
    assert "<h1>区域</h1>" in page.text and "竞秀区" in page.text


async def test_the_invitation_link_preselects_a_handler_of_the_department(admin, categories):
    water = categories["water"].department
    page = await admin.client.get(f"/admin/accounts?department_id={water}")
    assert re.search(r'<option value="handler" selected', page.text)
    assert re.search(rf'<option value="{water}" selected', page.text)


async def test_an_admin_adds_and_changes_a_category(admin, categories):
    water = categories["water"].department
    response = await admin.post_form("/admin/categories", category_fields(water))
    assert response.status_code == 303
    category = await Category.objects().where(Category.slug == "street-lights").first()
    assert response.headers["location"] == f"/admin/categories#category-{category.id}"
    edit = await admin.client.get(f"/admin/categories/{category.id}")
    assert 'value="street-lights"' in edit.text and 'name="active" value="yes" checked' in edit.text
    response = await admin.post_form(f"/admin/categories/{category.id}", category_fields(water, name="路灯照明", default_case_type="suggestion", active=""))
    assert response.status_code == 303
    changed = await Category.objects().where(Category.id == category.id).first()
    assert (changed.name, changed.default_case_type, changed.active) == ("路灯照明", "suggestion", False)
    audit = await admin.client.get("/admin/audit")
    assert "Category created" in audit.text and "Category changed" in audit.text


async def test_a_form_with_errors_comes_back_as_typed(admin, categories):
    water = categories["water"].department
    response = await admin.post_form("/admin/categories", category_fields(water, name="供水", slug="Bad Slug", name_en="Lamps <b>"))
    assert response.status_code == 422
    assert "This name is already used. Choose another one." in response.text
    assert "lower-case letters, digits and hyphens" in response.text
    assert 'aria-describedby="error-slug"' in response.text and 'id="error-slug"' in response.text
    assert 'value="Bad Slug"' in response.text and 'value="Lamps &lt;b&gt;"' in response.text
    assert re.search(rf'<option value="{water}" selected', response.text)
    assert "<details class=\"admin-create\" open>" in response.text
    edit = await admin.post_form(f"/admin/categories/{categories['water'].id}", category_fields(water, slug="roads"))
    assert edit.status_code == 422 and "This short name is already used." in edit.text and 'value="路灯"' in edit.text


async def test_an_admin_adds_and_renames_a_department(admin):
    response = await admin.post_form("/admin/departments", {"name": "市园林局", "name_en": "City Parks Bureau", "slug": "parks"})
    assert response.status_code == 303
    department = await Department.objects().where(Department.slug == "parks").first()
    assert response.headers["location"] == f"/admin/departments#department-{department.id}"
    assert 'value="市园林局"' in (await admin.client.get(f"/admin/departments/{department.id}")).text
    renamed = await admin.post_form(f"/admin/departments/{department.id}", {"name": "市园林绿化局", "name_en": "", "slug": "parks"})
    assert renamed.status_code == 303
    assert (await Department.objects().where(Department.id == department.id).first()).name == "市园林绿化局"
    empty = await admin.post_form(f"/admin/departments/{department.id}", {"name": "", "name_en": "Parks", "slug": "parks"})
    assert empty.status_code == 422 and "Enter the Chinese name." in empty.text and 'value="Parks"' in empty.text


async def test_an_admin_builds_the_area_tree(admin, areas):
    response = await admin.post_form("/admin/areas", {"name": "建南街道", "name_en": "Jiannan Subdistrict", "slug": "jiannan", "parent_id": str(areas["jingxiu"]), "position": "4", "active": "yes"})
    assert response.status_code == 303
    street = await Area.objects().where(Area.slug == "jiannan").first()
    assert street.parent == areas["jingxiu"]
    tree = await admin.client.get("/admin/areas")
    assert tree.text.index("竞秀区") < tree.text.index("建南街道") < tree.text.index("莲池区")
    # Deactivated from its page: the box left unticked.
    response = await admin.post_form(f"/admin/areas/{street.id}", {"name": "建南街道", "name_en": "Jiannan Subdistrict", "slug": "jiannan", "parent_id": str(areas["jingxiu"]), "position": "4"})
    assert response.status_code == 303 and response.headers["location"] == f"/admin/areas#area-{street.id}"
    assert not (await Area.objects().where(Area.id == street.id).first()).active
    three_levels = await admin.post_form("/admin/areas", {"name": "某社区", "slug": "some", "parent_id": str(street.id), "active": "yes"})
    assert three_levels.status_code == 422 and "Choose a district from the list" in three_levels.text and 'value="某社区"' in three_levels.text


async def test_hostile_input_gets_a_4xx_never_a_500(admin, categories, areas):
    huge = "区" * 10_000
    for path in ("/admin/departments", "/admin/categories", "/admin/areas", f"/admin/areas/{areas['dongfeng']}"):
        response = await admin.post_form(path, {"name": huge, "name_en": huge, "slug": huge, "department_id": huge, "parent_id": huge, "position": huge, "default_case_type": huge})
        assert response.status_code == 422, path
    too_large = await admin.post_form("/admin/departments", {"name": "区" * 2_000_000, "slug": "x"})
    assert too_large.status_code == 413
    for path in ("/admin/categories/999999", "/admin/departments/999999", "/admin/areas/999999"):
        assert (await admin.client.get(path)).status_code == 404
        assert (await admin.post_form(path, {"name": "x", "slug": "x"})).status_code == 404
    for path in ("/admin/areas/99999999999", "/admin/areas/-1", "/admin/areas/abc"):
        assert (await admin.client.get(path)).status_code in (400, 404)
    files = await admin.client.post("/admin/departments", files={"name": ("a.txt", b"x")}, data={"slug": "x"})
    assert files.status_code == 422  # a file in place of text counts as empty
    cross_site = await admin.client.post("/admin/departments", data={"name": "市园林局", "slug": "parks"}, headers=CROSS_SITE)
    assert cross_site.status_code == 403 and await Department.count() == 2


async def test_others_may_not_change_the_organisation(person, categories):
    moderator = await person("moderator")
    for path in ("/admin/categories", "/admin/departments", "/admin/areas"):
        assert (await moderator.client.get(path)).status_code == 403
        assert (await moderator.post_form(path, {"name": "x", "slug": "x"})).status_code == 403
    assert await Category.count() == 3 and await Area.count() == 0
