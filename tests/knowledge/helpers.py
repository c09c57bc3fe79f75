"""Knowledge-base entries and reply templates, made through the services as a moderator."""

from __future__ import annotations

from backend.knowledge import services, templates
from backend.knowledge.services import Editor, EntryForm
from backend.knowledge.templates import TemplateForm

MODERATOR = Editor("moderator", None, None, "测试审核员")


def department_editor(department_id: int, name: str = "市自来水公司") -> Editor:
    return Editor("handler", department_id, None, name)


async def entry(editor: Editor = MODERATOR, **fields) -> int:
    values = dict(
        question="居住证怎么办理？",
        answer="携带身份证和居住证明，到居住地派出所户籍窗口办理，当场受理，十五个工作日内领取。",
    )
    values.update(fields)
    return await services.save_entry(None, EntryForm(**values), editor)


async def template(editor: Editor = MODERATOR, **fields) -> int:
    values = dict(name="已处理完毕", body="{filer}您好，您反映的问题（编号{case_number}）已由{department}处理完毕。感谢您的监督。")
    values.update(fields)
    return await templates.save_template(None, TemplateForm(**values), editor)
