"""The OpenAPI schema at /schema/openapi.json and its docs page at /schema.

The page is Swagger UI vendored from npm (``scripts/setup.sh``), started by our own script
file: no CDN, no inline script or style, so the site's strict CSP holds on this page too.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Server, Tag

from backend.web.templating import static_url


class SwaggerPage(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        title = escape(openapi_schema["info"]["title"])
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{static_url('vendor/swagger-ui.css')}">
</head>
<body data-schema-url="{escape(self.get_openapi_json_route(request))}">
<div id="swagger-ui"></div>
<script src="{static_url('vendor/swagger-ui-bundle.js')}"></script>
<script src="{static_url('js/api-docs.js')}"></script>
</body>
</html>""".encode()


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Minsheng API",
        version="1.0.0",
        description=(
            "The public record, filing and case handling of Minsheng (民生). Errors are JSON "
            '`{"code": "...", "message": "..."}`: the code is stable, the message is in the language of '
            "Accept-Language (zh-CN or en). Send API keys as `Authorization: Bearer msk_…`. "
            "The Open311 GeoReport v2 endpoint is at /open311/v2/discovery.json."
        ),
        path="/schema",
        render_plugins=[SwaggerPage(), JsonRenderPlugin()],
        servers=[Server(url="/")],
        components=Components(
            security_schemes={"apiKey": SecurityScheme(type="http", scheme="bearer", description="An API key (msk_…).")}
        ),
        tags=[
            Tag(name="public", description="The public record: no key needed."),
            Tag(name="filing", description="Filing cases: a key of scope file."),
            Tag(name="staff", description="Handling cases: a key of scope moderator or staff:<department id>."),
        ],
        use_handler_docstrings=True,
    )
