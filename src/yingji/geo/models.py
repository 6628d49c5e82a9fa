"""Administrative divisions (行政区划)."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, Updated


class Division(Updated, Base):
    """One division: province, prefecture, county, township or village (plus the national root).

    ``boundary_wkb`` holds the boundary polygon as WKB (WGS 84); on PostgreSQL a generated PostGIS
    ``geom`` column with a GiST index mirrors it, and ``point_geom`` mirrors ``lon``/``lat``.
    """

    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(
        String(12), ForeignKey("divisions.code", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    pinyin: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(16), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    boundary_wkb: Mapped[bytes | None] = mapped_column(LargeBinary)
    # built from positions (geo.approximate), not imported: places points, never refuses one
    boundary_approximate: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        Index("ix_divisions_name", "name"),
        Index("ix_divisions_level_bbox", "level", "min_lon", "max_lon"),
    )
