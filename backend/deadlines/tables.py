from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from backend.accounts.tables import Account


class CalendarDay(Table, tablename="calendar_day"):
    """An admin's override of one day in the official working calendar."""

    day = Date(unique=True)
    working = Boolean()
    note = Varchar(length=200)  # why: "台风停工", "本地区节日"
    created_at = Timestamptz()
    changed_at = Timestamptz()
    changed_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    changed_by_name = Varchar(length=100, default="")  # kept when the account is gone


class ScheduleYear(Table, tablename="schedule_year"):
    """A year whose official schedule an admin brought in (``schedule``): its holidays and
    make-up days are overrides of the year's days, and the year is no longer unknown."""

    year = Integer(unique=True)
    days = Integer()  # how many days it set apart
    imported_at = Timestamptz()
    imported_by_name = Varchar(length=100, default="")  # kept when the account is gone


class DeadlineLimit(Table, tablename="deadline_limit"):
    """An admin's limit for one clock of one type of case, over the default of ``deadlines.clocks``.
    One row per (case_type, clock): a unique index in the migration."""

    case_type = Varchar(length=20)
    clock = Varchar(length=20)
    amount = Integer()
    unit = Varchar(length=20)
    # A different allowance when the clock starts on a rest day (both or neither).
    rest_day_amount = Integer(null=True, default=None)
    rest_day_unit = Varchar(length=20, null=True, default=None)
    # The answer clock only: warn this many calendar days before it is due, instead of the share.
    warning_days = Integer(null=True, default=None)
    changed_at = Timestamptz()
    changed_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    changed_by_name = Varchar(length=100, default="")


class DeadlineWarning(Table, tablename="deadline_warning"):
    """At most one row (id 1): the admins' share of the time allowed after which to warn."""

    percent = Integer()
    changed_at = Timestamptz()
    changed_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    changed_by_name = Varchar(length=100, default="")
