"""Departments, categories and areas through the services: validation, uniqueness (also when
the database has to catch it), the two levels of areas, deactivation, and the audit log."""

from __future__ import annotations

import pytest

from backend.accounts.audit import Who, recent
from backend.cases.tables import Case
from backend.departments import services
from backend.departments.services import AreaForm, CategoryForm, DepartmentForm, OrganisationError
from backend.departments.tables import Area, Category, Department
from backend.web.errors import status_of
from tests.cases.test_filing import file, form
from tests.people import invite

ADMIN = Who(None, "管理员")


async def refused(make) -> OrganisationError:
    with pytest.raises(OrganisationError) as caught:
        await make
    return caught.value


def category_form(department_id, **overrides) -> CategoryForm:
    values = dict(name="路灯", name_en="Street lights", slug="street-lights", department_id=str(department_id), default_case_type="complaint", position="5")
    values.update(overrides)
    return CategoryForm(**values)


async def test_a_department_is_created_cleaned_and_audited():
    department_id = await services.create_department(
        DepartmentForm(name="  市园林局\x00 ", name_en=" City Parks Bureau ", slug=" Parks "), actor=ADMIN, client_address="10.0.0.1"
    )
    row = await Department.select(Department.name, Department.name_en, Department.slug).where(Department.id == department_id).first()
    assert row == {"name": "市园林局", "name_en": "City Parks Bureau", "slug": "parks"}
    [event] = await recent()
    assert (event.action, event.actor_name, event.client_address) == ("department_created", "管理员", "10.0.0.1")
    assert "slug=parks" in event.detail


async def test_every_error_of_a_form_comes_at_once():
    error = await refused(
        services.create_category(
            CategoryForm(name=" ", name_en="x" * 61, slug="Water Supply!", department_id="abc", default_case_type="praise", position="-1"),
            actor=ADMIN,
        )
    )
    assert status_of(error) == 422
    assert set(error.errors) == {"name", "name_en", "slug", "department_id", "default_case_type", "position"}
    assert await Category.count() == 0 and await recent() == []


@pytest.mark.parametrize("slug", ["", "a" * 61, "water_supply", "供水", "water supply", "-" * 61])
async def test_slugs_are_short_lower_case_ascii(slug):
    error = await refused(services.create_department(DepartmentForm(name="市园林局", slug=slug), actor=ADMIN))
    assert set(error.errors) == {"slug"}


@pytest.mark.parametrize("position", ["10000", "1.5", "²", "1e3", "-0"])
async def test_positions_are_small_whole_numbers(categories, position):
    department_id = categories["water"].department
    error = await refused(services.create_category(category_form(department_id, position=position), actor=ADMIN))
    assert set(error.errors) == {"position"}


async def test_hostile_input_is_refused_field_by_field(categories):
    huge = "路" * 100_000
    error = await refused(
        services.create_category(category_form(huge, name=huge, name_en=huge, slug=huge, default_case_type=huge, position=huge), actor=ADMIN)
    )
    assert set(error.errors) == {"name", "name_en", "slug", "department_id", "default_case_type", "position"}
    for bad_id in ("0", "999999", "99999999999", "1 OR 1=1", "１"):
        error = await refused(services.create_category(category_form(bad_id), actor=ADMIN))
        assert set(error.errors) == {"department_id"}, bad_id


async def test_names_and_slugs_are_unique(categories):
    water = categories["water"].department
    taken = await refused(services.create_category(category_form(water, name="供水", slug="roads"), actor=ADMIN))
    assert taken.errors == {"name": services.NAME_TAKEN, "slug": services.SLUG_TAKEN}
    # Saving a category unchanged is not a clash with itself.
    form = await services.category_form(categories["water"].id)
    await services.update_category(categories["water"].id, form, actor=ADMIN)
    clash = await refused(services.update_category(categories["water"].id, category_form(water, slug="advice"), actor=ADMIN))
    assert clash.errors == {"slug": services.SLUG_TAKEN}


async def test_a_name_taken_at_the_same_moment_is_caught_by_the_database(categories, monkeypatch):
    """Two admins save the same name at once: both pass the check, the database refuses one."""
    checks = []
    real_taken = services._taken

    async def missed_once(*args):
        checks.append(args)
        return {} if len(checks) == 1 else await real_taken(*args)

    monkeypatch.setattr(services, "_taken", missed_once)
    error = await refused(services.create_department(DepartmentForm(name="市自来水公司", slug="water-2"), actor=ADMIN))
    assert status_of(error) == 422 and error.errors == {"name": services.NAME_TAKEN}
    assert await Department.count() == 2 and await recent() == []
    # The database still works after the refused write (PostgreSQL rolled the transaction back).
    assert await services.create_department(DepartmentForm(name="市园林局", slug="parks"), actor=ADMIN)


async def test_a_category_is_changed_and_deactivated_never_deleted(settings, categories):
    water = categories["water"]
    filed = await file(settings, form(water))
    form_now = await services.category_form(water.id)
    assert form_now.active == "yes" and form_now.department_id == str(water.department)
    roads = categories["roads"].department
    await services.update_category(
        water.id, category_form(roads, name="供水管网", name_en="Water mains", slug="water", default_case_type="consultation", active=""), actor=ADMIN
    )
    assert water.id not in [c.id for c in await services.active_categories()]
    listed = next(c for c in await services.all_categories() if c.id == water.id)
    assert (listed.name, listed.active, listed.default_case_type, listed.department_name) == ("供水管网", False, "consultation", "市政设施管理处")
    case = await Case.select(Case.category.name).where(Case.number == filed.number).first()
    assert case["category.name"] == "供水管网", "its cases keep it"
    assert [event.action for event in await recent()] == ["category_changed"]


async def test_changing_what_does_not_exist_is_404(categories):
    for change in (
        services.update_department(999999, DepartmentForm(name="x", slug="x"), actor=ADMIN),
        services.update_category(999999, category_form(categories["water"].department), actor=ADMIN),
        services.update_area(999999, AreaForm(name="x", slug="x"), actor=ADMIN),
    ):
        assert status_of(await refused(change)) == 404
    assert await services.category_form(999999) is None
    assert await services.department_form(999999) is None
    assert await services.area_form(999999) is None


async def test_a_department_is_renamed(categories):
    water = categories["water"].department
    await services.update_department(water, DepartmentForm(name="市供水集团", name_en="City Water Group", slug="water"), actor=ADMIN)
    assert await services.department_form(water) == DepartmentForm(name="市供水集团", name_en="City Water Group", slug="water")
    clash = await refused(services.update_department(water, DepartmentForm(name="市政设施管理处", slug="water"), actor=ADMIN))
    assert clash.errors == {"name": services.NAME_TAKEN}


async def test_the_departments_overview_lists_handlers_and_categories(categories):
    water = categories["water"].department
    await invite("handler", "赵师傅", department_id=water)
    await invite("moderator", "钱主任")
    overview = {item.slug: item for item in await services.departments_overview()}
    assert [h.name for h in overview["water"].handlers] == ["赵师傅"]
    assert [c.slug for c in overview["water"].categories] == ["water"]
    assert overview["roads"].handlers == [] and [c.slug for c in overview["roads"].categories] == ["roads", "advice"]


async def test_areas_have_two_levels(areas):
    tree = await services.area_tree()
    assert [d.area.slug for d in tree] == ["jingxiu", "lianchi"]
    assert [s.slug for s in tree[0].streets] == ["dongfeng", "xianfeng", "dajidian"]
    street_in_street = await refused(services.create_area(AreaForm(name="某社区", slug="some", parent_id=str(areas["dongfeng"])), actor=ADMIN))
    assert set(street_in_street.errors) == {"parent_id"}
    for parent in ("abc", "0", "999999", str(areas["jingxiu"])):  # the last: itself
        error = await refused(services.update_area(areas["jingxiu"], AreaForm(name="竞秀区", slug="jingxiu", parent_id=parent), actor=ADMIN))
        assert set(error.errors) == {"parent_id"}, parent
    # A district with streets stays a district; an empty one may move under another.
    moved = await refused(services.update_area(areas["jingxiu"], AreaForm(name="竞秀区", slug="jingxiu", parent_id=str(areas["lianchi"])), actor=ADMIN))
    assert set(moved.errors) == {"parent_id"}
    await services.update_area(areas["lianchi"], AreaForm(name="莲池区", slug="lianchi", parent_id=str(areas["jingxiu"])), actor=ADMIN)
    assert (await Area.select(Area.parent).where(Area.id == areas["lianchi"]).first())["parent"] == areas["jingxiu"]


async def test_area_names_and_slugs_are_unique(areas):
    error = await refused(services.create_area(AreaForm(name="东风街道", slug="dongfeng", parent_id=str(areas["lianchi"])), actor=ADMIN))
    assert error.errors == {"name": services.NAME_TAKEN, "slug": services.SLUG_TAKEN}


async def test_only_active_areas_in_active_districts_may_be_chosen(areas):
    assert await services.is_active_area(areas["dongfeng"])
    assert await services.is_active_area(areas["jingxiu"])
    assert not await services.is_active_area(areas["dajidian"])  # inactive itself
    assert not await services.is_active_area(999999)
    await services.update_area(areas["jingxiu"], AreaForm(name="竞秀区", slug="jingxiu", active=""), actor=ADMIN)
    assert not await services.is_active_area(areas["dongfeng"])  # its district is inactive
    assert [d.area.slug for d in await services.area_tree(active_only=True)] == ["lianchi"]
    assert [event.action for event in await recent()][0] == "area_changed"
    assert (await services.area_form(areas["jingxiu"])).active == ""
