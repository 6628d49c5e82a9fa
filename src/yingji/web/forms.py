"""The fields and checks of a page form, shared by every page module (``web/pages.py`` runs the form)."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from fastapi import Depends, Form

from yingji.errors import InvalidInput

if TYPE_CHECKING:
    from yingji.web.pages import PageCtx


def text_field(max_length: int, default: str = "") -> Any:
    """A page form's text field (``name: str = text_field(200)``): at most ``max_length`` characters (longer is a
    422), ``default`` (empty) when the form leaves it out."""
    return Form(default, max_length=max_length)


def required(ctx: PageCtx, **fields: str) -> None:
    """Refuse a form whose named text fields are blank: "required" next to the first of them."""
    for name, value in fields.items():
        if not value.strip():
            raise InvalidInput(ctx.t("error.required"), field=name)


def form_fields(**fields: Any) -> Any:
    """A form's text fields read into one dict, in the order named (``form: dict[str, str] = form_fields(title=300,
    due_at=40)``): a number is the field's longest length (a ``text_field``), anything else the field itself
    (``text_field(10, "24")``, a ``Form`` with a pattern)."""

    def read(**values: str) -> dict[str, str]:
        return values

    read.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # what FastAPI reads the fields from
        [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=str, default=_field(spec))
            for name, spec in fields.items()
        ]
    )
    return Depends(read)


def _field(spec: Any) -> Any:
    return text_field(spec) if isinstance(spec, int) else spec
