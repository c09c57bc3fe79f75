"""The API's reference for people at /developers, rendered from the same OpenAPI schema the
tools read at /schema/openapi.json."""

from __future__ import annotations

import re
from html import unescape

from backend.api.docs import TypePart, reference, type_of


def text_of(parts: list[TypePart]) -> str:
    return "".join(part.text for part in parts)


def test_types_read_as_people_write_them():
    assert text_of(type_of({"oneOf": [{"type": "string", "format": "date"}, {"type": "null"}]})) == "string (date) | null"
    assert text_of(type_of({"type": ["null", "string"], "enum": ["open", "closed", None]})) == '"open" | "closed" | null'
    listed = type_of({"type": "array", "items": {"$ref": "#/components/schemas/Case"}})
    assert listed == [TypePart("Case", "Case"), TypePart("[]")]
    assert text_of(type_of({"type": ["integer", "null"]})) == "integer | null"
    assert text_of(type_of({})) == "any"
    either = type_of({"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}, {"type": "string"}]})
    assert text_of(either) == "string[] | string"


async def test_every_operation_and_schema_is_on_the_page_and_every_link_lands(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert (await client.get("/schema")).json() == schema  # tools that ask for /schema get it too
    page = await client.get("/developers")
    assert page.status_code == 200
    html = unescape(page.text)
    documented = reference(schema)
    operations = [(method.upper(), path) for path, each in schema["paths"].items() for method in each]
    assert sorted(operations) == sorted((op.method, op.path) for group in documented.groups for op in group.operations)
    for method, path in operations:
        assert f"<code>{method} {path}</code></h3>" in html, (method, path)
    for name in schema["components"]["schemas"]:
        assert f'id="schema-{name}"' in html, name
    ids = set(re.findall(r'id="([^"]+)"', html))
    assert {target for target in re.findall(r'href="#([^"]+)"', html)} <= ids
    # Keys are named where they are needed, and the schema's own parameters are described.
    filing = next(op for group in documented.groups for op in group.operations if (op.method, op.path) == ("POST", "/api/v1/cases"))
    assert filing.needs_key and [part.schema for part in filing.body] == ["NewCase"]
    assert {"400", "401", "422", "429"} <= {answer.status for answer in filing.answers}
    assert "The lead department's slug." in html


async def test_the_page_speaks_the_readers_language_under_the_strict_csp(client):
    chinese = await client.get("/developers", headers={"accept-language": "zh-CN"})
    assert '<html lang="zh-CN"' in chinese.text
    assert "开发者" in chinese.text and "公开" in chinese.text  # title and the public group
    english = await client.get("/developers", headers={"accept-language": "en"})
    assert "API for developers" in english.text and "The public record: no key needed." in english.text
    csp = english.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "<script>" not in english.text and "style=" not in english.text
