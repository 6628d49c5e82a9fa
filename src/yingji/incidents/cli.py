"""``yingji incident …`` — commands that work without a database (grading, rule sets, reporting deadlines)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from yingji.cli_common import (
    JsonObject,
    JsonText,
    PassAt,
    PassInterval,
    PassOnce,
    in_transaction,
    option_time,
    run_passes,
)
from yingji.errors import InvalidInput

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy.orm import Session

    from yingji.auth.scope import Scope

M = TypeVar("M", bound="BaseModel")

app = typer.Typer(help="Incidents (突发事件): grading, response levels, reporting deadlines.", no_args_is_help=True)

_DENSITIES = ("dense", "fairly_dense", "sparse")


def _retired(item: dict[str, Any]) -> str:
    return "" if item["active"] else " (retired)"


def _option_name(parameter: str) -> str:
    return "--" + parameter.replace("_", "-")


def _renamed(error: InvalidInput) -> InvalidInput:
    """The same error, naming the command-line option instead of the field."""
    parameter = error.extra.get("parameter")
    if not isinstance(parameter, str):
        return error
    option = _option_name(parameter)
    detail = error.detail
    detail = detail.replace(f"{parameter} ", f"{option} ", 1) if detail.startswith(parameter) else detail
    if not detail.startswith(option):
        detail = f"{option}: {detail}"
    return InvalidInput(detail, parameter=parameter)


@app.command("grade")
def grade_command(
    incident_type: str = typer.Option(..., "--type", help="Incident type, e.g. coal_mine, earthquake, flood."),
    deaths: int | None = typer.Option(None, help="Deaths (死亡)."),
    missing: int | None = typer.Option(None, help="Missing (失踪)."),
    serious_injuries: int | None = typer.Option(None, help="Serious injuries incl. acute poisoning (重伤)."),
    direct_loss_cny: float | None = typer.Option(None, help="Direct economic loss in CNY (直接经济损失, 元)."),
    provincial_gdp_cny: float | None = typer.Option(
        None, help="Province's previous-year GDP in CNY (earthquake 1% rule)."
    ),
    magnitude: float | None = typer.Option(None, help="Earthquake magnitude (震级)."),
    population_density: str | None = typer.Option(
        None, help="Epicentral area: dense (人口密集) | fairly_dense (人口较密集) | sparse."
    ),
    relocated: int | None = typer.Option(None, help="Emergency relocated (紧急转移安置)."),
    needing_assistance: int | None = typer.Option(None, help="Needing emergency living assistance (需紧急生活救助)."),
    collapsed_rooms: int | None = typer.Option(None, help="Rooms collapsed or severely damaged (倒塌和严重损坏, 间)."),
    collapsed_households: int | None = typer.Option(
        None, help="Households whose houses collapsed or were severely damaged (户)."
    ),
    drought_needing_assistance: int | None = typer.Option(
        None, help="Drought: people needing government assistance (需政府救助人数)."
    ),
    agricultural_population: int | None = typer.Option(
        None, help="Drought: the province's farming and herding population (农牧业人口)."
    ),
    rules_version: str | None = typer.Option(
        None, help="Rule-set id (e.g. relief-2016) or year within the type's family; default: newest."
    ),
    division: str | None = typer.Option(None, help="Division code, to apply jurisdiction overrides."),
    overrides: Path | None = typer.Option(None, help="YAML file of jurisdiction overrides (needs --division)."),
    as_json: JsonObject = False,
) -> None:
    """Grade an incident and find its response level by the official rules (every fired rule with its source)."""
    from yingji.incidents.grading import Figures, grade_incident
    from yingji.incidents.incident_types import RuleFamily, family_of, parse_incident_type
    from yingji.incidents.rulesets import (
        PopulationDensity,
        apply_overrides,
        default_rule_set,
        load_overrides_file,
        resolve_rule_set,
    )

    try:
        kind = parse_incident_type(incident_type, parameter="--type")
        if population_density is not None and population_density not in _DENSITIES:
            raise InvalidInput(
                f"--population-density must be one of {', '.join(_DENSITIES)} (got {population_density!r})"
            )
        figures = Figures(
            deaths=deaths,
            missing=missing,
            serious_injuries=serious_injuries,
            direct_loss_cny=direct_loss_cny,
            provincial_gdp_cny=provincial_gdp_cny,
            magnitude=magnitude,
            population_density=None if population_density is None else PopulationDensity(population_density),
            relocated=relocated,
            needing_assistance=needing_assistance,
            collapsed_rooms=collapsed_rooms,
            collapsed_households=collapsed_households,
            drought_needing_assistance=drought_needing_assistance,
            agricultural_population=agricultural_population,
        )
        family = family_of(kind)
        rule_set = None
        if family is not RuleFamily.NONE:
            rule_set = resolve_rule_set(family, rules_version) if rules_version else default_rule_set(family)
            if overrides is not None:
                if not division:
                    raise InvalidInput("--overrides needs --division (the division code to apply them for)")
                rule_set = apply_overrides(rule_set, load_overrides_file(overrides), division)
        elif rules_version:
            raise InvalidInput(f"--rules-version: incident type {kind.value!r} has no rule set")
        result = grade_incident(kind, figures, rule_set=rule_set)
    except InvalidInput as error:
        raise _renamed(error) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    typer.echo(f"grade: {result.grade or '-'}   response level: {result.response_level or '-'}")
    for rule in result.basis:
        source = f"{rule.document} {rule.clause}, {rule.status}"
        typer.echo(f"  tier {rule.tier}: {rule.criterion} {rule.value:g} >= {rule.threshold:g}  [{source}]")
    typer.echo(f"rules: {result.rules_version or '-'}")
    for warning in result.warnings:
        typer.echo(f"note: {warning}")


@app.command("rules")
def rules_command(as_json: JsonObject = False) -> None:
    """List the packaged grading rule sets (ids usable as --rules-version; the newest per family is the default)."""
    from yingji.incidents.rulesets import available_rule_sets, default_rule_set

    listing = [
        {
            "id": rs.id,
            "family": rs.family.value,
            "document": rs.document,
            "in_force": rs.in_force.isoformat(),
            "default": default_rule_set(rs.family).id == rs.id,
            "incomplete": rs.incomplete,
            "thresholds": len(rs.rules),
        }
        for rs in sorted(available_rule_sets().values(), key=lambda rs: (rs.family.value, rs.in_force))
    ]
    if as_json:
        typer.echo(json.dumps({"rule_sets": listing}, ensure_ascii=False))
        return
    for item in listing:
        flags = " (default)" if item["default"] else ""
        flags += " (incomplete)" if item["incomplete"] else ""
        typer.echo(f"{item['id']:<16} {item['family']:<24} {item['in_force']}  {item['document']}{flags}")


def _time(value: str | None, option: str) -> dt.datetime | None:
    return None if value is None else option_time(value, option)


@app.command("deadlines")
def deadlines_command(
    incident_type: str = typer.Option(..., "--type", help="Incident type."),
    occurred_at: str = typer.Option(..., help="When it occurred (ISO 8601 with offset)."),
    now: str = typer.Option(..., help="The moment to judge at (ISO 8601 with offset)."),
    grade: str | None = typer.Option(None, help="Grade, e.g. serious (accidents: how far up reports go)."),
    deaths_and_missing: int | None = typer.Option(None, help="Dead and missing (natural disasters)."),
    unit_informed_at: str | None = typer.Option(None, help="Accidents: when the unit head was told."),
    response_started_at: str | None = typer.Option(None, help="When a response was activated."),
    stabilised_at: str | None = typer.Option(None, help="When the disaster/rescue stabilised."),
    made: list[str] = typer.Option([], help="A report made, KEY=TIME (repeatable)."),
    as_json: JsonObject = False,
) -> None:
    """The reports an incident owes under the reporting-time rules, and which are overdue at --now."""
    from yingji.incidents.deadlines import ReportingFacts, due_reports
    from yingji.incidents.grading import GRADES_HIGH_TO_LOW
    from yingji.incidents.incident_types import parse_incident_type

    kind = parse_incident_type(incident_type, parameter="--type")
    if grade is not None and grade not in GRADES_HIGH_TO_LOW:
        raise InvalidInput(f"--grade must be one of {', '.join(GRADES_HIGH_TO_LOW)} (got {grade!r})")
    if deaths_and_missing is not None and deaths_and_missing < 0:
        raise InvalidInput(f"--deaths-and-missing must not be negative (got {deaths_and_missing})")
    reports_made: dict[str, dt.datetime] = {}
    for item in made:
        key, sep, when = item.partition("=")
        parsed = _time(when, "--made") if sep else None
        if parsed is None:
            raise InvalidInput(f"--made: {item!r} must be KEY=TIME")
        reports_made[key] = parsed
    moment = _time(now, "--now")
    occurred = _time(occurred_at, "--occurred-at")
    assert moment is not None and occurred is not None
    facts = ReportingFacts(
        incident_type=kind,
        occurred_at=occurred,
        grade=grade,
        deaths_and_missing=deaths_and_missing,
        unit_informed_at=_time(unit_informed_at, "--unit-informed-at"),
        response_started_at=_time(response_started_at, "--response-started-at"),
        stabilised_at=_time(stabilised_at, "--stabilised-at"),
        reports_made=reports_made,
    )
    reports = due_reports(facts, now=moment)
    if as_json:
        typer.echo(json.dumps({"reports": [r.as_dict(moment) for r in reports]}, ensure_ascii=False))
        return
    for report in reports:
        status = report.status(moment).value
        typer.echo(f"{report.due_at.isoformat()}  {status:<13} {report.key}  ({report.reporter} → {report.recipient})")


# -- commands on the database ------------------------------------------------------------------------


@app.command("list")
def list_command(
    ctx: typer.Context,
    status: str | None = typer.Option(None, help="Only this status (reported, verified, responding, …)."),
    incident_type: str | None = typer.Option(None, "--type", help="Only this incident type."),
    division: str | None = typer.Option(None, help="Only incidents covering this division's subtree."),
    limit: int = typer.Option(50, min=1, max=1000, help="How many, newest report first."),
    as_json: JsonText = False,
) -> None:
    """List incidents in the database."""
    from yingji.cli_common import command_session, echo_rows
    from yingji.incidents import service
    from yingji.incidents.incident_types import parse_incident_type
    from yingji.incidents.lifecycle import parse_status

    kind = parse_incident_type(incident_type, parameter="--type").value if incident_type else None
    state = parse_status(status, parameter="--status").value if status else None
    with command_session(ctx) as (session, scope):
        rows, total = service.list_incidents(
            session=session, scope=scope, status=state, incident_type=kind, division=division, limit=limit
        )
        listing = [
            {
                "id": r.id,
                "title": r.title,
                "type": r.incident_type,
                "status": r.status,
                "division": r.division_code,
                "reported_at": r.reported_at.isoformat(),
                "grade": r.grade,
                "response_level": r.response_level,
                "exercise": r.exercise,
            }
            for r in rows
        ]
    echo_rows(
        listing,
        as_json,
        lambda item: (
            f"{item['id']:>7}  {str(item['reported_at'])[:16]}  {item['status']:<10} {item['type']:<20} "
            f"{item['division']}  {item['title']}" + (" [exercise]" if item["exercise"] else "")
        ),
        whole={"total": total, "items": listing},
        footer=f"{len(listing)} of {total}",
    )


@app.command("show")
def show_command(
    ctx: typer.Context,
    incident_id: int = typer.Argument(..., min=1, help="Incident id."),
    as_json: JsonText = False,
) -> None:
    """One incident with its timeline."""
    from yingji.auth import audit
    from yingji.cli_common import command_session, echo_json
    from yingji.incidents import service

    with command_session(ctx) as (session, scope):
        incident = service.get(session=session, scope=scope, incident_id=incident_id)
        data = audit.snapshot(incident)
        data["divisions"] = incident.division_codes
        entries, _ = service.timeline(session=session, scope=scope, incident_id=incident_id, limit=1000)
        data["timeline"] = [{"at": e.at.isoformat(), "kind": e.kind, "text": e.text, "actor": e.actor} for e in entries]
    if as_json:
        echo_json(data)
        return
    typer.echo(f"{data['id']}  {data['title']}  ({data['incident_type']}, {data['status']}, version {data['version']})")
    typer.echo(
        f"grade {data['grade'] or '-'}, recommended level {data['recommended_level'] or '-'}, "
        f"active level {data['response_level'] or '-'}"
    )
    for entry in data["timeline"]:
        typer.echo(f"  {entry['at'][:19]}  {entry['kind']:<18} {entry['text']}")


@app.command("scheduler")
def scheduler_command(
    ctx: typer.Context, once: PassOnce = False, interval: PassInterval = 60.0, now: PassAt = None
) -> None:
    """Flag overdue information reports, duty-desk actions and tasks, and escalate them (timeline + notification)."""
    from yingji.cli_common import settings_from
    from yingji.dbcli import require_schema_at_head
    from yingji.incidents import service

    def one_pass(session: Session, scope: Scope, at: dt.datetime) -> str:
        counts = service.flag_overdue(session=session, scope=scope, now=at)
        return (
            f"flagged {counts['reports']} overdue reports, {counts['duty']} overdue duty actions, "
            f"{counts['tasks']} overdue tasks"
        )

    require_schema_at_head(settings_from(ctx).database_url)
    run_passes(ctx, one_pass, once=once, interval=interval, moment=_time(now, "--now"))


def _yaml_file(file: Path) -> Any:
    """The YAML document in ``file``; an unreadable or malformed file is refused."""
    import yaml

    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidInput(f"{file}: cannot read: {error}") from None


def _validated(model: type[M], data: Any, where: str) -> M:
    """``data`` as ``model``, else its first problem, at ``where`` (the file and entry)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {loc}: {first['msg']}") from None


def _group(name: str, help_text: str) -> typer.Typer:
    """A group of subcommands ``yingji incidents <name> …``; with no subcommand it shows its help."""
    group = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


overrides_app = _group(
    "overrides", "Per-jurisdiction grading overrides (local plans' thresholds) kept in the database."
)


@overrides_app.command("add")
def overrides_add_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="YAML file: {overrides: [...]} as for `grade --overrides`."),
    division: str = typer.Option(..., help="12-digit code of the division whose plan this is."),
    as_json: JsonObject = False,
) -> None:
    """Register a local plan's thresholds for a division (all entries of the file, in one transaction)."""
    from yingji.cli_common import command_session, echo_json
    from yingji.incidents.overrides import service as overrides
    from yingji.incidents.schemas import GradingOverrideIn

    data = _yaml_file(file)
    entries = data.get("overrides") if isinstance(data, dict) else data
    if not isinstance(entries, list) or not entries:
        raise InvalidInput(f"{file}: holds no override list")
    with command_session(ctx) as (session, scope):
        added = []
        for i, entry in enumerate(entries):
            fields = {k: v for k, v in dict(entry).items() if k != "division_prefix"}
            body = _validated(GradingOverrideIn, {**fields, "division_code": division}, f"{file}: override {i}")
            added.append(overrides.add(session=session, scope=scope, body=body).id)
    if as_json:
        echo_json({"added": added})
        return
    typer.echo(f"added {len(added)} override(s): {', '.join(map(str, added))}")


@overrides_app.command("list")
def overrides_list_command(
    ctx: typer.Context,
    include_retired: bool = typer.Option(False, "--all", help="Retired entries too."),
    as_json: JsonObject = False,
) -> None:
    """The stored overrides."""
    from yingji.cli_common import command_session, echo_rows
    from yingji.incidents.overrides import service as overrides
    from yingji.incidents.schemas import GradingOverrideRead

    with command_session(ctx) as (session, scope):
        rows, _ = overrides.list_overrides(session=session, scope=scope, limit=None, active_only=not include_retired)
        listing = [GradingOverrideRead.model_validate(r).model_dump(mode="json") for r in rows]
    echo_rows(
        listing,
        as_json,
        lambda item: (
            f"{item['id']:>4} {item['division_code']} {item['applies_to']:<24} {item['document']}" + _retired(item)
        ),
        whole={"overrides": listing},
    )


@overrides_app.command("retire")
def overrides_retire_command(ctx: typer.Context, override_id: int = typer.Argument(..., help="Entry id.")) -> None:
    """Stop applying an entry (kept for the record)."""
    from yingji.incidents.overrides import service as overrides

    in_transaction(ctx, overrides.retire, override_id=override_id)
    typer.echo(f"retired override {override_id}")


plans_app = _group("plans", "Digital response plans (预案) stored per jurisdiction: import, list, retire.")


@plans_app.command("import")
def plans_import_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="YAML file in the response_plans.yaml format ({plans: [...]})."),
    division: str = typer.Option(..., help="12-digit code of the division whose plans these are."),
    replace: bool = typer.Option(
        False, "--replace", help="Retire the division's active plans these overlap (default: refuse)."
    ),
    as_json: JsonObject = False,
) -> None:
    """Store a division's plans: every plan of the file is checked first, then all are stored in one
    transaction (all or nothing)."""
    from yingji.cli_common import command_session, echo_json
    from yingji.incidents import plans
    from yingji.incidents.response_plans import service as response_plans
    from yingji.incidents.schemas import ResponsePlanIn

    data = _yaml_file(file)
    try:
        parsed = plans.parse_plans(data)
    except InvalidInput as error:
        raise InvalidInput(f"{file}: {error.detail}") from None
    if not parsed:
        raise InvalidInput(f"{file}: holds no plan")
    bodies = [
        _validated(
            ResponsePlanIn,
            {"division_code": division, "plan": plan.as_document(), "replace": replace},
            f"{file}: plan {plan.id}",
        )
        for plan in parsed
    ]
    with command_session(ctx) as (session, scope):
        added, retired = [], []
        for body in bodies:
            row, replaced = response_plans.add(session=session, scope=scope, body=body)
            added.append(row.id)
            retired.extend(replaced)
    if as_json:
        echo_json({"added": added, "retired": retired})
        return
    typer.echo(f"stored {len(added)} plan(s): {', '.join(map(str, added))}")
    if retired:
        typer.echo(f"retired {len(retired)} plan(s) they replace: {', '.join(map(str, retired))}")


@plans_app.command("list")
def plans_list_command(
    ctx: typer.Context,
    incident_type: str | None = typer.Option(None, "--type", help="Only plans covering this incident type."),
    include_retired: bool = typer.Option(False, "--all", help="Retired plans too."),
    as_json: JsonObject = False,
) -> None:
    """The stored plans."""
    from yingji.cli_common import command_session, echo_rows
    from yingji.incidents.incident_types import parse_incident_type
    from yingji.incidents.response_plans import service as response_plans
    from yingji.incidents.schemas import ResponsePlanRead

    kind = parse_incident_type(incident_type, parameter="--type").value if incident_type else None
    with command_session(ctx) as (session, scope):
        rows, _ = response_plans.list_plans(
            session=session, scope=scope, limit=None, incident_type=kind, active_only=not include_retired
        )
        listing = [ResponsePlanRead.model_validate(r).model_dump(mode="json") for r in rows]
    echo_rows(
        listing,
        as_json,
        lambda item: (
            f"{item['id']:>4} {item['division_code']} {item['plan_id']:<24} "
            f"{','.join(item['incident_types'])}  {item['title']}" + _retired(item)
        ),
        whole={"plans": listing},
    )


@plans_app.command("retire")
def plans_retire_command(
    ctx: typer.Context, response_plan_id: int = typer.Argument(..., min=1, help="Stored plan id.")
) -> None:
    """Stop applying a stored plan (kept, so tasks created from it stay traceable)."""
    from yingji.incidents.response_plans import service as response_plans

    in_transaction(ctx, response_plans.retire, response_plan_id=response_plan_id)
    typer.echo(f"retired plan {response_plan_id}")
