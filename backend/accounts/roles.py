"""Who may sign in, and what each kind of account is."""

from __future__ import annotations

import enum

from backend.i18n_markers import N_


class Body(str, enum.Enum):
    """The body a representative sits in."""

    npc = "npc"  # 人民代表大会: deputies
    cppcc = "cppcc"  # 政治协商会议: members


BODY_LABELS = {
    Body.npc: N_("People's Congress deputy (人大代表)"),
    Body.cppcc: N_("CPPCC member (政协委员)"),
}


class Level(str, enum.Enum):
    national = "national"
    provincial = "provincial"
    city = "city"
    county = "county"
    township = "township"


LEVEL_LABELS = {
    Level.national: N_("National"),
    Level.provincial: N_("Provincial"),
    Level.city: N_("City"),
    Level.county: N_("County or district"),
    Level.township: N_("Township"),
}
