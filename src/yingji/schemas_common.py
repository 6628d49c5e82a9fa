"""What every domain's schemas share: the base ``Schema``, the base ``Input`` of request bodies, the ``RowId`` of
a row named in a body, and the ``Page`` of a list answer.

Pydantic only — no web framework, no database — so a domain's ``schemas`` and pure modules may use it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidatorFunctionWrapHandler, field_validator

from yingji import timerange

T = TypeVar("T")

MAX_ID = 2_147_483_647  # ids are 32-bit integers in both databases
# A row named in a request body (``enterprise_id``, ``inspection_id``, …): a positive 32-bit integer.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


# A time the API accepts (query parameters; body fields of a ``Schema`` get the same check): within
# yingji.timerange's range, else 422 naming the field and the range.
ApiDateTime = Annotated[
    dt.datetime,
    AfterValidator(timerange.check),
    Field(description=f"ISO 8601 date-time, {timerange.RANGE_TEXT}."),
]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @field_validator("*", mode="wrap")
    @classmethod
    def _checked_at_the_edge(cls, value: object, handler: ValidatorFunctionWrapHandler) -> object:
        """NUL characters cannot be stored in PostgreSQL text; refuse them at the edge on every backend.
        A time read from text (a request) must lie in yingji.timerange's range — one check for every
        datetime field. Times read from rows are not judged here (yingji.db.UTCDateTime guards writes), so
        an old row outside the range still reads."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        result = handler(value)
        if isinstance(result, dt.datetime) and not isinstance(value, dt.datetime):
            timerange.check(result)
        return result


class Input(BaseModel):
    """The base of request bodies: strips the white space around text, refuses unknown fields (422)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class PageParams(BaseModel):
    limit: int = 100
    offset: int = 0


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Iterable[T], total: int, page: PageParams) -> Page[T]:
        """One page of a list answer: ``items`` out of ``total``, at the caller's ``page`` window."""
        return cls(items=list(items), total=total, limit=page.limit, offset=page.offset)
