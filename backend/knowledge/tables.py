from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.accounts.tables import Account
from backend.departments.tables import Category, Department


class KnowledgeEntry(Table, tablename="knowledge_entry"):
    """One question the centre answers the same way each time (知识库): written by moderators,
    or by a department for its own (``department``). The public reads it while it is public
    and not past ``valid_until``; ``review_by`` is when its writers should check it again."""

    question = Varchar(length=200)
    question_en = Varchar(length=200, default="")
    answer = Text()
    answer_en = Text(default="")
    category = ForeignKey(references=Category, null=True, default=None, on_delete=OnDelete.set_null)
    department = ForeignKey(references=Department, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    public = Boolean(default=True)
    valid_until = Date(null=True, default=None)
    review_by = Date(null=True, default=None)
    version = Integer(default=1)  # the number of its latest revision
    created_at = Timestamptz()
    updated_at = Timestamptz()


class KnowledgeRevision(Table, tablename="knowledge_revision"):
    """Each version of an entry as it was saved, and who saved it: the entry's history."""

    entry = ForeignKey(references=KnowledgeEntry, null=False, on_delete=OnDelete.cascade, index=True)
    version = Integer()
    content = Text()  # the entry's fields as JSON (``knowledge.services.SNAPSHOT``)
    editor = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)
    editor_name = Varchar(length=100, default="")  # a department or a moderator's name, kept if the account goes
    created_at = Timestamptz()


class KnowledgeSearch(Table, tablename="knowledge_search"):
    """The words of an entry (both languages), segmented like a case's (``cases.search``); the
    full-text table (SQLite) or index (PostgreSQL) over them comes from the raw migration."""

    entry = ForeignKey(references=KnowledgeEntry, null=False, unique=True, on_delete=OnDelete.cascade)
    words = Text(default="")


class ReplyTemplate(Table, tablename="reply_template"):
    """Standard wording for a reply (seed 003), with placeholders filled from the case
    (``knowledge.templates``): the centre's (no department) serve every department."""

    name = Varchar(length=60)
    body = Text()
    department = ForeignKey(references=Department, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
