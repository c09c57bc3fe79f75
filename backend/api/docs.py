"""The OpenAPI schema at /schema/openapi.json (also /schema), and the API's reference for
people at /developers.

The reference is rendered here, from the same schema, as an ordinary page of the site: in the
site's layout and language, under its strict CSP, and passing the same accessibility checks as
every other page (Swagger UI's markup nests buttons and has faint text, which axe reports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Request, get
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Server, Tag
from litestar.response import Template

from backend.i18n_markers import N_
from backend.settings import get_settings
from backend.web import i18n

REF_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class TypePart:
    """A piece of a type as written on the page; ``schema`` names a schema it links to."""

    text: str
    schema: str | None = None


@dataclass
class Field:
    name: str
    type: list[TypePart]
    required: bool
    description: str = ""
    location: str = ""  # path, query or header: parameters only


@dataclass
class Answer:
    status: str
    description: str
    type: list[TypePart]


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    needs_key: bool
    parameters: list[Field]
    body: list[TypePart]
    answers: list[Answer]

    @property
    def anchor(self) -> str:
        return "op-" + self.method.lower() + "-" + "".join(ch if ch.isalnum() else "-" for ch in self.path).strip("-")


# The schema's tags: its descriptions are these messages, and the page shows them translated.
TAGS = {
    "public": N_("The public record: no key needed."),
    "filing": N_("Filing cases: a key of scope file."),
    "staff": N_("Handling cases: a key of scope moderator or staff:<department id>."),
}


@dataclass
class Group:
    name: str
    description: str
    operations: list[Operation] = field(default_factory=list)


@dataclass
class SchemaDoc:
    name: str
    description: str
    fields: list[Field]


@dataclass
class Reference:
    version: str
    groups: list[Group]
    schemas: list[SchemaDoc]


def type_of(schema: dict[str, Any]) -> list[TypePart]:
    """A JSON Schema as people write types: ``string (date) | null``, ``Case[]``, ``"a" | "b"``."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(REF_PREFIX)
        return [TypePart(name, name)]
    if "enum" in schema:
        return _joined([[TypePart("null" if value is None else f'"{value}"')] for value in schema["enum"]])
    for combined in ("oneOf", "anyOf"):
        if combined in schema:
            return _joined([type_of(choice) for choice in schema[combined]])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return _joined([type_of({**schema, "type": each}) for each in kind])
    if kind == "array":
        return type_of(schema.get("items", {})) + [TypePart("[]")]
    return [TypePart(f"{kind} ({schema['format']})" if "format" in schema else kind)]


def _joined(choices: list[list[TypePart]]) -> list[TypePart]:
    distinct: list[list[TypePart]] = []
    for choice in choices:
        if choice not in distinct:  # no "null | null"
            distinct.append(choice)
    parts: list[TypePart] = []
    for choice in distinct:
        parts += ([TypePart(" | ")] if parts else []) + choice
    return parts


def _content_type(content: dict[str, Any] | None) -> list[TypePart]:
    for media in (content or {}).values():
        return type_of(media.get("schema", {}))
    return []


def _translated(description: str) -> str:
    return i18n.gettext(description) if description else ""  # gettext("") is the catalogue's header


def reference(schema: dict[str, Any]) -> Reference:
    """The schema as a reader goes through it: operations by tag, then the data they carry."""
    groups = {tag["name"]: Group(tag["name"], _translated(tag.get("description", ""))) for tag in schema.get("tags", [])}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            tag = (operation.get("tags") or ["other"])[0]
            group = groups.setdefault(tag, Group(tag, ""))
            group.operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=operation.get("summary", ""),
                    description=operation.get("description", ""),
                    needs_key=bool(operation.get("security")),
                    parameters=[
                        Field(
                            name=parameter["name"],
                            type=type_of(parameter.get("schema", {})),
                            required=parameter.get("required", False),
                            description=parameter.get("description", ""),
                            location=parameter["in"],
                        )
                        for parameter in operation.get("parameters", [])
                    ],
                    body=_content_type(operation.get("requestBody", {}).get("content")),
                    answers=[
                        Answer(status, answer.get("description", ""), _content_type(answer.get("content")))
                        for status, answer in sorted(operation.get("responses", {}).items())
                    ],
                )
            )
    schemas = [
        SchemaDoc(
            name=name,
            description=body.get("description", ""),
            fields=[
                Field(name, type_of(prop), name in body.get("required", []), prop.get("description", ""))
                for name, prop in body.get("properties", {}).items()
            ],
        )
        for name, body in sorted(schema.get("components", {}).get("schemas", {}).items())
    ]
    return Reference(
        version=schema["info"]["version"],
        groups=[group for group in groups.values() if group.operations],
        schemas=schemas,
    )


class DeveloperController(Controller):
    @get("/developers")
    async def developers(self, request: Request) -> Template:
        """The reference's headings and explanations are in the reader's language; the schema's
        own summaries and descriptions are in English, as tools read them."""
        return Template(
            template_name="developers.html",
            context={
                "reference": reference(request.app.openapi_schema.to_schema()),
                "origin": get_settings().origin,  # not the Host header: a page shows no address it was sent
            },
        )


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Minsheng API",
        version="1.0.0",
        description=(
            "The public record, filing and case handling of Minsheng (民生). Errors are JSON "
            '`{"code": "...", "message": "..."}`: the code is stable, the message is in the language of '
            "Accept-Language (zh-CN or en). Send API keys as `Authorization: Bearer msk_…`. "
            "The Open311 GeoReport v2 endpoint is at /open311/v2/discovery.json. "
            "A reference for people is at /developers."
        ),
        path="/schema",
        render_plugins=[JsonRenderPlugin()],
        servers=[Server(url="/")],
        components=Components(
            security_schemes={"apiKey": SecurityScheme(type="http", scheme="bearer", description="An API key (msk_…).")}
        ),
        tags=[Tag(name=name, description=description) for name, description in TAGS.items()],
        use_handler_docstrings=True,
    )
