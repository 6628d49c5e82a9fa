"""What every domain's schemas share: the base ``Schema`` and the ``Page`` of a list answer.

Pydantic only — no web framework, no database — so a domain's ``schemas`` and pure modules may use it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, field_validator

T = TypeVar("T")


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: object) -> object:
        """NUL characters cannot be stored in PostgreSQL text; refuse them at the edge on every backend."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        return value


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
