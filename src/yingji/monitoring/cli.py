"""``yingji monitor``: rule evaluation over recorded readings (no database needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from yingji.cli_common import JsonObject, TickClock, in_transaction

app = typer.Typer(help="Sensor monitoring: replay readings through alarm rules.", no_args_is_help=True)
ReadingsFile = Annotated[Path, typer.Argument(help="Readings: CSV with header sensor_id,ts,value, or Parquet.")]
RulesFile = Annotated[Path, typer.Option("--rules", help="Rules YAML (see docs/monitoring.md).")]


@app.command()
def replay(
    file: ReadingsFile,
    rules: RulesFile,
    as_json: JsonObject = False,
    until: str | None = typer.Option(
        None, "--until", help="Clock at the end of the replay (ISO 8601); default: the newest reading."
    ),
    registry: Path | None = typer.Option(
        None, "--registry", help="Sites and sensors YAML: unknown sensors and out-of-range values become dead letters."
    ),
) -> None:
    """Evaluate the rules over a recorded stream, in file order, and list the alarms."""
    from yingji.monitoring.clock import parse_timestamp
    from yingji.monitoring.ingest import alarm_json, read_items
    from yingji.monitoring.ingest import replay as run_replay
    from yingji.monitoring.registry import load_registry
    from yingji.monitoring.rules.ruleset import load_ruleset

    ruleset = load_ruleset(rules)
    end = parse_timestamp(until) if until is not None else None
    known = load_registry(registry) if registry is not None else None
    records, monitor = run_replay(read_items(file, known), ruleset, until=end, registry=known)
    counters = monitor.counters
    if as_json:
        out = {
            "alarms": [alarm_json(r) for r in records],
            "readings": counters.readings,
            "dead_letters": counters.dead_letters,
            "duplicates": counters.duplicates,
            "dead_letter_reasons": counters.by_reason,
        }
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    for record in records:
        row = alarm_json(record)
        typer.echo(
            f"{row['raised_at']}  {row['cleared_at'] or 'active':<25}  {row['priority']:<6}  "
            f"{row['rule']:<20}  {row['sensor_id']}"
        )
    typer.echo(
        f"{len(records)} alarm(s); {counters.readings} reading(s) evaluated, "
        f"{counters.duplicates} duplicate(s), {counters.dead_letters} dead letter(s)"
    )


@app.command()
def fatigue(
    file: ReadingsFile,
    rules: RulesFile,
    area_sep: str = typer.Option(
        "-", "--area-sep", help="Operator area = the sensor id up to the first occurrence of this separator."
    ),
    top: int = typer.Option(10, "--top", min=1, help="How many bad actors to list."),
) -> None:
    """Replay, then report alarm fatigue as JSON: floods per area, chattering, fleeting, bad actors."""
    from dataclasses import asdict

    from yingji.monitoring import fatigue as fatigue_tools
    from yingji.monitoring.clock import format_timestamp
    from yingji.monitoring.ingest import read_items
    from yingji.monitoring.ingest import replay as run_replay
    from yingji.monitoring.rules.ruleset import load_ruleset

    records, _ = run_replay(read_items(file), load_ruleset(rules))
    floods = fatigue_tools.flood_periods(records, lambda r: r.sensor_id.split(area_sep, 1)[0])
    out = {
        "alarms": len(records),
        "per_rule": fatigue_tools.per_rule_counts(records),
        "floods": [
            {**asdict(f), "start": format_timestamp(f.start), "end": None if f.end is None else format_timestamp(f.end)}
            for f in floods
        ],
        "chattering": [asdict(k) for k in fatigue_tools.chattering(records)],
        "fleeting": [asdict(k) for k in fatigue_tools.fleeting(records)],
        "bad_actors": [asdict(b) for b in fatigue_tools.bad_actors(records, top)],
    }
    typer.echo(json.dumps(out, ensure_ascii=False))


@app.command()
def worker(
    ctx: typer.Context,
    rules: Path = typer.Option(..., "--rules", help="Rules YAML."),
    mqtt: str = typer.Option("mqtt://127.0.0.1:1883", "--mqtt", help="Broker URL (mqtt://host:port)."),
    topic: str = typer.Option("yingji/readings/#", "--topic", help="Topic filter (QoS 1)."),
    client_id: str | None = typer.Option(
        None, "--client-id", help="MQTT client id (persistent session); default: unique to this deployment."
    ),
    ca_file: Path | None = typer.Option(None, "--mqtt-ca-file", help="CA certificates for an mqtts:// broker."),
    alarms: Path | None = typer.Option(None, "--alarms", help="Alarm events are appended here as JSON lines."),
    to_db: bool = typer.Option(False, "--db", help="Write alarms and dead letters into the configured database."),
    dead_letters: Path | None = typer.Option(None, "--dead-letters", help="Dead letters as JSON lines."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="Engine state file (resume after restart)."),
    tick_s: float = typer.Option(1.0, "--tick-s", help="Clock tick for delays and stale checks; 0 turns it off."),
    idle_exit_s: float | None = typer.Option(None, "--idle-exit-s", help="Exit after this long without messages."),
    nats_url: str | None = typer.Option(
        None, "--nats", help="Read from NATS JetStream (nats://host:port) instead of MQTT."
    ),
    partitions: str = typer.Option("0", "--partitions", help="NATS: comma-separated partitions this worker owns."),
    durable: str = typer.Option("yingji-monitor", "--durable", help="NATS: durable consumer name prefix."),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", help="Serve metrics at http://127.0.0.1:PORT/metrics (default: YINGJI_METRICS_PORT)."
    ),
) -> None:
    """Ingest readings from MQTT (or NATS JetStream partitions) into the rule engine; alarms go to a
    JSON-lines sink (``--alarms``) or into the database (``--db``, idempotent)."""
    import signal
    import threading
    from dataclasses import asdict

    from yingji.cli_common import settings_from
    from yingji.errors import InvalidInput
    from yingji.monitoring.rules.ruleset import load_ruleset
    from yingji.monitoring.sinks import JsonLinesSink
    from yingji.monitoring.worker import MqttWorker, WorkerConfig, parse_broker_url

    settings = settings_from(ctx)  # a long-running process: refuse bad settings (a weak secret in production) at once
    endpoint = parse_broker_url(mqtt)
    if client_id is None:  # two deployments on one broker must not take over each other's session
        import hashlib

        client_id = "yingji-monitor-" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:10]
    config = WorkerConfig(
        **asdict(endpoint),  # host, port, username, password, tls
        ca_file=ca_file,
        topic=topic,
        client_id=client_id,
        checkpoint=checkpoint,
        tick_s=tick_s if tick_s > 0 else None,
    )
    if (alarms is None) == (not to_db):
        raise InvalidInput("give either --alarms FILE or --db")
    sink: Any = JsonLinesSink(alarms, dead_letters) if alarms is not None else _database_sink(ctx)
    known = sink.sensor_codes() if to_db else None  # with --db, only the registry's sensors are evaluated
    if nats_url is not None:
        try:
            owned = [int(p) for p in partitions.split(",") if p.strip()]
        except ValueError as exc:
            raise InvalidInput(f"partitions: {partitions!r} is not a comma-separated list of numbers") from exc
        _run_nats(load_ruleset(rules), config, sink, nats_url, owned, durable, idle_exit_s, known, metrics_port)
        return
    running = MqttWorker(load_ruleset(rules), config, sink, registry=known)
    stop_metrics = _serve_metrics(running, metrics_port or settings.metrics_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    running.start()
    typer.echo(f"subscribed to {topic} on {endpoint.host}:{endpoint.port} as {client_id}", err=True)
    try:
        running.run(stop, idle_exit_s=idle_exit_s)
    finally:
        running.close()
        sink.close()
        stop_metrics()
    counters = running.monitor.counters
    typer.echo(
        f"readings {counters.readings}, duplicates {counters.duplicates}, dead letters {counters.dead_letters}",
        err=True,
    )


def _serve_metrics(running: Any, port: int | None) -> Any:
    """The worker's metrics on a loopback port (``--metrics-port`` or ``YINGJI_METRICS_PORT``); returns
    what stops the listener."""
    if port is None:
        return lambda: None
    from yingji import metrics

    counts = metrics.WorkerMetrics(lambda: running.monitor.counters)
    running.on_batch = counts.on_batch
    try:
        stop = metrics.serve_on_loopback(counts.registry, port)
    except OSError as exc:
        from yingji.errors import InvalidInput

        raise InvalidInput(f"metrics port {port}: cannot listen on 127.0.0.1 ({exc.strerror or exc})") from None
    typer.echo(f"metrics at http://127.0.0.1:{port}/metrics", err=True)
    return stop


@app.command()
def status(
    ctx: typer.Context,
    port: int | None = typer.Option(None, "--port", help="The worker's metrics port (default: YINGJI_METRICS_PORT)."),
    as_json: JsonObject = False,
) -> None:
    """A running worker's counts (readings, duplicates, dead letters, alarms, lag), read from its metrics
    listener on 127.0.0.1. Exits 1 when no worker answers there."""
    import json
    import urllib.request

    from yingji import metrics
    from yingji.cli_common import settings_from

    port = port or settings_from(ctx).metrics_port
    if port is None:
        typer.echo("no port: give --port or set YINGJI_METRICS_PORT", err=True)
        raise typer.Exit(2)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            samples = metrics.parse(answer.read().decode())
    except OSError as exc:
        typer.echo(f"no worker answers on 127.0.0.1:{port} ({exc})", err=True)
        raise typer.Exit(1) from None
    names = ("readings", "duplicates", "dead_letters", "batches")
    view: dict[str, Any] = {n: int(samples.get(f"yingji_worker_{n}_total", 0)) for n in names}
    for kind in ("raised", "cleared"):
        view[f"alarms_{kind}"] = int(samples.get(f'yingji_worker_alarm_events_total{{kind="{kind}"}}', 0))
    view["lag_s"] = samples.get("yingji_worker_lag_seconds", 0.0)
    if as_json:
        typer.echo(json.dumps(view))
        return
    for key, value in view.items():
        typer.echo(f"{key}: {value}")


def _database_sink(ctx: typer.Context) -> Any:
    from yingji import dblease
    from yingji.auth.scope import system_scope
    from yingji.cli_common import settings_from
    from yingji.db import make_engine, session_factory
    from yingji.dbcli import require_schema_at_head
    from yingji.monitoring.service import DatabaseSink

    settings = settings_from(ctx)
    require_schema_at_head(settings.database_url)
    lease = dblease.hold(settings.database_url)  # `yingji db restore` refuses while this worker runs
    factory = session_factory(make_engine(settings.database_url))
    if settings.redis_url:  # alarms raised and cleared here reach the dashboards' live streams
        from yingji import events

        events.attach(factory, events.bus_for(settings))  # on the deployment's namespaced channel
    sink = DatabaseSink(factory, system_scope("monitor-worker"))
    sink.close = lease.release  # type: ignore[attr-defined]
    if not sink.sensor_codes():
        typer.echo(
            "warning: the sensor registry is empty: every reading will be kept as a dead letter "
            "(register sensors with 'yingji monitor import')",
            err=True,
        )
    return sink


# ---- the registry and alarms in the database


@app.command("import")
def import_registry(
    ctx: typer.Context,
    registry: Path = typer.Argument(..., help="Sites and sensors YAML (docs/monitoring.md)."),
    rules: Path | None = typer.Option(None, "--rules", help="Rules YAML attached to every imported site."),
) -> None:
    """Import monitored sites and sensors into the database (all or nothing)."""
    from yingji.cli_common import echo_json
    from yingji.monitoring import service

    rules_text = _read(rules) if rules is not None else None
    counts = in_transaction(
        ctx,
        service.import_registry,
        registry_yaml=_read(registry),
        rules_yaml=rules_text,
        source=f"import {registry.name}",
    )
    echo_json(counts)


def _read(path: Path) -> str:
    from yingji.errors import InvalidInput

    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc})") from exc


@app.command()
def sites(ctx: typer.Context, kind: str | None = typer.Option(None, "--kind", help="Only sites of this kind.")) -> None:
    """List the monitored sites in the database (JSON)."""
    from yingji.cli_common import command_session, echo_json
    from yingji.monitoring import service

    with command_session(ctx) as (session, scope):
        rows, _ = service.list_sites(session=session, scope=scope, kind=kind, limit=10_000)
        echo_json(
            [
                {
                    "id": s.id,
                    "code": s.code,
                    "name": s.name,
                    "kind": s.kind,
                    "division_code": s.division_code,
                    "sensors": [x.code for x in s.sensors],
                    "rules": [r.get("id") for r in s.rules or []],
                }
                for s in rows
            ]
        )


@app.command("set-rules")
def set_rules(
    ctx: typer.Context,
    site: str = typer.Argument(..., help="Site code."),
    rules: Path = typer.Argument(..., help="Rules YAML."),
    division: str | None = typer.Option(
        None, "--division", help="The site's division code, when several divisions use the site code."
    ),
) -> None:
    """Replace a site's rules (validated; the site's engine state restarts)."""
    from yingji.cli_common import command_session, echo_json
    from yingji.geo.codes import normalise_code
    from yingji.monitoring import service

    with command_session(ctx) as (session, scope):
        division_code = normalise_code(division) if division else None
        site_id = service.site_id_by_code(session=session, scope=scope, code=site, division_code=division_code)
        row = service.set_rules(session=session, scope=scope, site_id=site_id, rules_yaml=_read(rules))
        echo_json({"site": row.code, "rules": [r.get("id") for r in row.rules]})


@app.command()
def ingest(
    ctx: typer.Context, file: Path = typer.Argument(..., help="A JSON payload (one reading, a batch, compact).")
) -> None:
    """Ingest a readings payload into the database as HTTP ingestion does (dead letters stored)."""
    from yingji.cli_common import command_session, echo_json
    from yingji.monitoring import service

    payload = file.read_bytes() if file.is_file() else b""
    with command_session(ctx) as (session, scope):
        echo_json(service.ingest(session=session, scope=scope, payload=payload, channel="file"))


@app.command()
def tick(
    ctx: typer.Context,
    now: TickClock = None,
    realarm_s: float = typer.Option(
        600.0, "--realarm-s", min=0, help="Re-annunciate unacknowledged alarms this often (0: never)."
    ),
    escalate_after_s: float = typer.Option(
        1800.0, "--escalate-after-s", min=0, help="Raise the priority of alarms unacknowledged this long (0: never)."
    ),
) -> None:
    """The scheduler step: delays and stale checks reach now, timed shelving ends, unacknowledged alarms are
    re-annunciated and escalated. Run it every minute (cron, systemd timer)."""
    import datetime as dt

    from yingji.cli_common import command_session, echo_json
    from yingji.monitoring import service
    from yingji.monitoring.clock import parse_timestamp, to_epoch_ms
    from yingji.monitoring.lifecycle import LifecyclePolicy

    clock = parse_timestamp(now) if now is not None else to_epoch_ms(dt.datetime.now(dt.UTC))
    policy = LifecyclePolicy(realarm_s or None, escalate_after_s or None)
    with command_session(ctx) as (session, scope):
        echo_json(service.tick(session=session, scope=scope, now=clock, policy=policy))


@app.command()
def alarms(
    ctx: typer.Context,
    state: str | None = typer.Option(
        None, "--state", help="normal | unacknowledged | acknowledged | rtn_unacknowledged"
    ),
    active: bool | None = typer.Option(None, "--active/--inactive", help="Only active (or inactive) alarms."),
    limit: int = typer.Option(100, "--limit", min=1, max=10_000),
) -> None:
    """List alarms in the database, newest first (JSON)."""
    from yingji.cli_common import command_session, echo_json
    from yingji.monitoring import service

    with command_session(ctx) as (session, scope):
        rows, total = service.list_alarms(session=session, scope=scope, state=state, active=active, limit=limit)
        echo_json({"total": total, "items": [service.alarm_view(a) for a in rows]})


def _run_nats(
    ruleset: object,
    config: object,
    sink: object,
    url: str,
    owned: list[int],
    durable: str,
    idle_exit_s: float | None,
    known: set[str] | None = None,
    metrics_port: int | None = None,
) -> None:
    import asyncio
    import signal

    from yingji.monitoring.nats_worker import NatsWorker

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        running = NatsWorker(
            ruleset,  # type: ignore[arg-type]
            config,  # type: ignore[arg-type]
            sink,  # type: ignore[arg-type]
            url=url,
            partitions=owned,
            durable=durable,
            registry=known,  # type: ignore[arg-type]
        )
        typer.echo(f"consuming partitions {owned} from {url}", err=True)
        stop_metrics = _serve_metrics(running, metrics_port)
        try:
            await running.run(stop, idle_exit_s=idle_exit_s)
        finally:
            running.close()
            sink.close()  # type: ignore[attr-defined]
            stop_metrics()
        counters = running.monitor.counters
        typer.echo(
            f"readings {counters.readings}, duplicates {counters.duplicates}, dead letters {counters.dead_letters}",
            err=True,
        )

    asyncio.run(main())
