"""Open311's two formats: the same data as JSON, or as XML (built with xml.etree, declared
UTF-8 as the specification asks). The format is the path's suffix: ``.json`` or ``.xml``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from litestar import Request, Response

from backend.settings import get_settings

FORMATS = {"json": "application/json", "xml": "text/xml"}  # Litestar adds the charset (UTF-8)
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def format_of(request: Request) -> str:
    """The suffix of the path's last segment; XML, the required format, for anything else."""
    suffix = request.url.path.rsplit("/", 1)[-1].rpartition(".")[2]
    return suffix if suffix in FORMATS else "xml"


def w3c(moment: datetime | None) -> str | None:
    """ISO 8601 with the offset of the platform's time zone, to the second."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(get_settings().time_zone)).isoformat(timespec="seconds")


def _xml_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ElementTree.Element, name: str, value: Any, item_names: dict[str, str]) -> None:
    element = ElementTree.SubElement(parent, name)
    if isinstance(value, dict):
        for key, each in value.items():
            _append(element, key, each, item_names)
    elif isinstance(value, list):
        for each in value:
            _append(element, item_names[name], each, item_names)
    else:
        element.text = _xml_text(value)


def to_xml(root: str, value: Any, item_names: dict[str, str]) -> bytes:
    """``value`` under ``root``: a dict's keys become elements; a list's items become elements
    named by ``item_names`` for the list's own name (``services`` → ``service``)."""
    tree = ElementTree.Element(root)
    if isinstance(value, dict):
        for key, each in value.items():
            _append(tree, key, each, item_names)
    else:
        for each in value:
            _append(tree, item_names[root], each, item_names)
    return XML_DECLARATION + ElementTree.tostring(tree, encoding="unicode").encode()


def respond(
    request: Request, root: str, value: Any, item_names: dict[str, str], status_code: int = 200, headers: dict | None = None
) -> Response:
    fmt = format_of(request)
    body = to_xml(root, value, item_names) if fmt == "xml" else value
    return Response(body, status_code=status_code, media_type=FORMATS[fmt], headers=headers or {})
