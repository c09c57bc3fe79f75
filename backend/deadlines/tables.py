from piccolo.columns import Boolean, Date, ForeignKey, OnDelete, Timestamptz, Varchar
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
