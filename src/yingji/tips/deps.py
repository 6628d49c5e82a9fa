"""Reading a tip from a request, shared by the API (``tips.api``) and the public pages (``tips.pages``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from yingji.config import Settings
from yingji.errors import InvalidInput
from yingji.tips import photos
from yingji.tips.schemas import TipIn

FORM_FIELDS = ("category", "text", "division", "lon", "lat", "anonymous", "name", "phone")


def photo_dir(settings: Settings) -> Path:
    return settings.tips_dir if settings.tips_dir is not None else settings.state_dir / "tips"


def tip_in_of(data: dict[str, Any]) -> TipIn:
    try:
        return TipIn.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None


async def read_form(
    request: Request,
    *,
    form: FormData | None = None,
    defaults: dict[str, str] | None = None,
    rename: dict[str, tuple[str, str]] | None = None,
) -> tuple[TipIn, list[photos.CleanPhoto]]:
    """The tip of a multipart form (read here unless ``form`` is given; closed here either way) and its photos
    judged and re-encoded. ``defaults`` fill fields the form leaves out; ``rename`` maps a present field to
    ``(field, value)`` (the public page's "named" checkbox). A file input left empty sends a nameless empty
    part: it is no photo."""
    if form is None:
        try:
            form = await request.form(max_files=photos.MAX_PHOTOS + 1, max_fields=len(FORM_FIELDS) + 4)
        except StarletteHTTPException as exc:  # too many parts, or a malformed body
            if exc.status_code == status.HTTP_413_CONTENT_TOO_LARGE:
                raise
            raise InvalidInput(
                f"the form could not be read: {exc.detail}; at most {photos.MAX_PHOTOS} photos"
            ) from None
    try:
        files = [v for k, v in form.multi_items() if k == "photos" and isinstance(v, UploadFile)]
        files = [f for f in files if f.filename or f.size]
        if len(files) > photos.MAX_PHOTOS:
            raise InvalidInput(f"at most {photos.MAX_PHOTOS} photos", field="photos")
        fields = dict(defaults or {})
        for key, value in form.multi_items():
            if not isinstance(value, str) or not value.strip():
                continue
            if rename and key in rename:
                fields[rename[key][0]] = rename[key][1]
            elif key in FORM_FIELDS:
                fields[key] = value
        tip_in = tip_in_of(fields)
        contents = [
            (f.filename or f"photo {n}", await f.read(photos.MAX_PHOTO_BYTES + 1)) for n, f in enumerate(files, 1)
        ]
    finally:
        await form.close()

    def judge() -> list[photos.CleanPhoto]:
        try:
            return [photos.clean(data, name=name) for name, data in contents]
        except photos.PhotoError as exc:
            raise InvalidInput(str(exc), field="photos") from None

    return tip_in, await run_in_threadpool(judge)
