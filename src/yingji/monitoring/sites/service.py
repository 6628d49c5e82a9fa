"""Monitored sites and their sensors: registration (one by one or a registry file), rules attached to a site,
and the state of a site's rule engine between batches. Services never commit; every write is audited."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import is_postgres, paginate, utcnow
from yingji.errors import Conflict, InvalidInput, NotFound
from yingji.geo import service as division_service
from yingji.geo.codes import prefix
from yingji.geo.models import Division
from yingji.monitoring.models import (
    EngineState,
    MonitoredSensor,
    MonitoredSite,
)
from yingji.monitoring.registry import parse_registry, sensor_namespace_problem
from yingji.monitoring.rules import RuleEngine
from yingji.monitoring.rules.ruleset import RuleSet, parse_ruleset
from yingji.monitoring.schemas import SiteIn

READ, WRITE = "monitoring:read", "monitoring:write"


_IN_CHUNK = 500

log = logging.getLogger("yingji.monitoring")


def ms_to_dt(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _opt_dt(ms: int | None) -> dt.datetime | None:
    return None if ms is None else ms_to_dt(ms)


def _yaml_field(text: str, field: str) -> Any:
    """The YAML document a request field holds; malformed YAML is refused naming the field."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{field}: not valid YAML ({exc})", field=field) from exc
    except RecursionError:  # PyYAML composes recursively: a document nested thousands deep
        raise InvalidInput(f"{field}: YAML nested too deeply", field=field) from None


def parse_rules_yaml(text: str) -> RuleSet:
    """A rules YAML text validated (templates expanded); errors are ``InvalidInput`` naming the field."""
    data = _yaml_field(text, "rules_yaml")
    try:
        return parse_ruleset(data)
    except InvalidInput as exc:
        raise InvalidInput(f"rules_yaml: {exc.detail}", field="rules_yaml") from exc


def _expanded(ruleset: RuleSet) -> list[dict[str, Any]]:
    return [rule.model_dump(mode="json", exclude_none=True) for rule in ruleset.rules]


def site_ruleset(site: MonitoredSite) -> RuleSet:
    return parse_ruleset({"rules": site.rules or []})


def _registering_division(session: Session, scope: Scope, code: str) -> Division:
    return division_service.get_writable(session=session, scope=scope, code=code)


def _check_free(
    session: Session, scope: Scope, division: Division, site_code: str, sensor_codes: Sequence[str]
) -> None:
    """Refuse a site code taken in the same division, a sensor code outside the namespace the caller may
    give out, and a sensor code already registered. Every refusal depends only on the request and on rows
    the caller can read: a site code is unique per division, and a sensor code in the caller's namespace
    can only be held by a site of the caller's own jurisdiction (``registry.sensor_namespace_problem``)."""
    if len(set(sensor_codes)) != len(sensor_codes):
        raise InvalidInput("sensors: each sensor code may appear once", field="sensors")
    site_prefix = prefix(division.code, division.level)
    for code in sensor_codes:
        problem = sensor_namespace_problem(code, site_prefix=site_prefix, caller_prefix=scope.prefix)
        if problem is not None:
            raise InvalidInput(f"sensors: {problem}", field="sensors")
    taken_site = select(MonitoredSite.id).where(
        MonitoredSite.division_code == division.code, MonitoredSite.code == site_code
    )
    if session.scalar(taken_site) is not None:
        raise Conflict(f"site code {site_code!r} is already registered in this division", field="code")
    for start in range(0, len(sensor_codes), _IN_CHUNK):
        taken = session.scalars(
            select(MonitoredSensor.code).where(MonitoredSensor.code.in_(sensor_codes[start : start + _IN_CHUNK]))
        ).first()
        if taken is not None:
            raise Conflict(f"sensor code {taken!r} is already registered", field="sensors")


def create_site(*, session: Session, scope: Scope, site_in: SiteIn, source: str = "") -> MonitoredSite:
    """Register a site with its sensors and (optionally) its rules YAML."""
    scope.require(WRITE)
    row = _registering_division(session, scope, site_in.division_code)
    division = row.code
    _check_free(session, scope, row, site_in.code, [s.code for s in site_in.sensors])
    division_service.check_position(
        session=session, division_codes=[division], lon=site_in.lon, lat=site_in.lat, what="site position"
    )
    ruleset = parse_rules_yaml(site_in.rules_yaml) if site_in.rules_yaml is not None else None
    site = MonitoredSite(
        code=site_in.code,
        name=site_in.name,
        kind=site_in.kind,
        division_code=division,
        lon=site_in.lon,
        lat=site_in.lat,
        rules_yaml=site_in.rules_yaml,
        rules=_expanded(ruleset) if ruleset else [],
        source=source,
        created_at=utcnow(),
    )
    site.sensors = [MonitoredSensor(**s.model_dump()) for s in site_in.sensors]
    audit.created(session, scope, site, entity="monitored_site", division_code=division, divisions=[division])
    return site


def list_sites(
    *, session: Session, scope: Scope, kind: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[MonitoredSite], int]:
    scope.require(READ)
    stmt = select(MonitoredSite).where(scope.where_readable(MonitoredSite.division_code))
    if kind:
        stmt = stmt.where(MonitoredSite.kind == kind)
    return paginate(session, stmt, MonitoredSite.code, limit=limit, offset=offset)


def get_site(*, session: Session, scope: Scope, site_id: int) -> MonitoredSite:
    scope.require(READ)
    site = access.get_readable(session=session, scope=scope, model=MonitoredSite, row_id=site_id, what="site")
    return site


def site_id_by_code(*, session: Session, scope: Scope, code: str, division_code: str | None = None) -> int:
    """The id of the readable site with this code (site codes are unique per division: when several
    divisions use it, ``division_code`` chooses; without it the answer is a refusal naming the option)."""
    scope.require(READ)
    stmt = select(MonitoredSite.id).where(MonitoredSite.code == code, scope.where_readable(MonitoredSite.division_code))
    if division_code is not None:
        stmt = stmt.where(MonitoredSite.division_code == division_code)
    ids = list(session.scalars(stmt.order_by(MonitoredSite.id).limit(2)))
    if not ids:
        raise NotFound(f"site {code} not found")
    if len(ids) > 1:
        raise InvalidInput(f"site code {code} is used in several divisions: name the division", field="division")
    return ids[0]


def set_rules(*, session: Session, scope: Scope, site_id: int, rules_yaml: str) -> MonitoredSite:
    """Replace a site's rules (the engine state restarts: it belonged to the old rules)."""
    scope.require(WRITE)
    site = get_site(session=session, scope=scope, site_id=site_id)
    scope.require_write(site.division_code, "site")
    ruleset = parse_rules_yaml(rules_yaml)
    site.rules_yaml = rules_yaml
    site.rules = _expanded(ruleset)
    state = session.get(EngineState, site.id)
    if state is not None:
        session.delete(state)
    session.flush()
    ids = [r.id for r in ruleset.rules]
    audit.acted(session, scope, site, entity="monitored_site", action="rules", after={"rules": ids})
    return site


def import_registry(
    *, session: Session, scope: Scope, registry_yaml: str, rules_yaml: str | None = None, source: str = ""
) -> dict[str, int]:
    """Sites and sensors from a registry YAML (the file form of ``registry.py``), all or nothing."""
    registry = parse_registry(_yaml_field(registry_yaml, "registry_yaml"), "registry_yaml", field="registry_yaml")
    counts = {"sites": 0, "sensors": 0}
    for site in registry.sites:
        if site.division is None:
            raise InvalidInput(f"registry_yaml: site {site.id} needs a division", field="registry_yaml")
        sensors = [
            {
                "code": s.id,
                "quantity": s.quantity,
                "unit": s.unit,
                "range_low": s.range[0] if s.range else None,
                "range_high": s.range[1] if s.range else None,
            }
            for s in site.sensors
        ]
        try:
            site_in = SiteIn.model_validate(
                {
                    "code": site.id,
                    "name": site.name,
                    "kind": site.kind,
                    "division_code": site.division,
                    "lon": site.lon,
                    "lat": site.lat,
                    "sensors": sensors,
                    "rules_yaml": rules_yaml,
                }
            )
        except ValidationError as exc:
            message = f"registry_yaml: site {site.id}: {exc.errors()[0]['msg']}"
            raise InvalidInput(message, field="registry_yaml") from exc
        create_site(session=session, scope=scope, site_in=site_in, source=source)
        counts["sites"] += 1
        counts["sensors"] += len(sensors)
    return counts


def _engine_for(session: Session, site: MonitoredSite, ruleset: RuleSet) -> RuleEngine:
    state = session.get(EngineState, site.id)
    if state is not None:
        try:
            return RuleEngine.restore(ruleset, state.checkpoint)
        except (InvalidInput, KeyError, ValueError) as exc:  # written for other rules: start afresh
            log.info("site %s: engine state not restored (%s); starting afresh", site.code, exc)
    return RuleEngine(ruleset)


def _save_engine(session: Session, site: MonitoredSite, engine: RuleEngine) -> None:
    state = session.get(EngineState, site.id)
    if state is None:
        session.add(EngineState(site_id=site.id, checkpoint=engine.checkpoint(), updated_at=utcnow()))
    else:
        state.checkpoint = engine.checkpoint()
        state.updated_at = utcnow()


def _lock_site(session: Session, site_id: int) -> MonitoredSite:
    """The site row, locked on PostgreSQL so that two requests never evaluate one site's engine at once."""
    stmt = select(MonitoredSite).where(MonitoredSite.id == site_id)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    site = session.scalars(stmt).one()
    return site
