"""``yingji monitor``: rule evaluation over recorded readings (no database needed)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="Sensor monitoring: replay readings through alarm rules.", no_args_is_help=True)


@app.command()
def replay(
    file: Path = typer.Argument(..., help="Readings: CSV with header sensor_id,ts,value, or Parquet."),
    rules: Path = typer.Option(..., "--rules", help="Rules YAML (see docs/monitoring.md)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
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
    from yingji.monitoring.ruleset import load_ruleset

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
    file: Path = typer.Argument(..., help="Readings: CSV with header sensor_id,ts,value, or Parquet."),
    rules: Path = typer.Option(..., "--rules", help="Rules YAML (see docs/monitoring.md)."),
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
    from yingji.monitoring.ruleset import load_ruleset

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
    rules: Path = typer.Option(..., "--rules", help="Rules YAML."),
    mqtt: str = typer.Option("mqtt://127.0.0.1:1883", "--mqtt", help="Broker URL (mqtt://host:port)."),
    topic: str = typer.Option("yingji/readings/#", "--topic", help="Topic filter (QoS 1)."),
    client_id: str = typer.Option("yingji-monitor-1", "--client-id", help="MQTT client id (persistent session)."),
    alarms: Path = typer.Option(..., "--alarms", help="Alarm events are appended here as JSON lines."),
    dead_letters: Path | None = typer.Option(None, "--dead-letters", help="Dead letters as JSON lines."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="Engine state file (resume after restart)."),
    tick_s: float = typer.Option(1.0, "--tick-s", help="Clock tick for delays and stale checks; 0 turns it off."),
    idle_exit_s: float | None = typer.Option(None, "--idle-exit-s", help="Exit after this long without messages."),
    nats_url: str | None = typer.Option(
        None, "--nats", help="Read from NATS JetStream (nats://host:port) instead of MQTT."
    ),
    partitions: str = typer.Option("0", "--partitions", help="NATS: comma-separated partitions this worker owns."),
    durable: str = typer.Option("yingji-monitor", "--durable", help="NATS: durable consumer name prefix."),
) -> None:
    """Ingest readings from MQTT (or NATS JetStream partitions) into the rule engine; alarms go to a
    JSON-lines sink."""
    import signal
    import threading

    from yingji.errors import InvalidInput
    from yingji.monitoring.ruleset import load_ruleset
    from yingji.monitoring.worker import JsonLinesSink, MqttWorker, WorkerConfig, parse_mqtt_url

    host, port = parse_mqtt_url(mqtt)
    config = WorkerConfig(
        host=host,
        port=port,
        topic=topic,
        client_id=client_id,
        checkpoint=checkpoint,
        tick_s=tick_s if tick_s > 0 else None,
    )
    sink = JsonLinesSink(alarms, dead_letters)
    if nats_url is not None:
        try:
            owned = [int(p) for p in partitions.split(",") if p.strip()]
        except ValueError as exc:
            raise InvalidInput(f"partitions: {partitions!r} is not a comma-separated list of numbers") from exc
        _run_nats(load_ruleset(rules), config, sink, nats_url, owned, durable, idle_exit_s)
        return
    running = MqttWorker(load_ruleset(rules), config, sink)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    running.start()
    typer.echo(f"subscribed to {topic} on {host}:{port} as {client_id}", err=True)
    try:
        running.run(stop, idle_exit_s=idle_exit_s)
    finally:
        running.close()
        sink.close()
    counters = running.monitor.counters
    typer.echo(
        f"readings {counters.readings}, duplicates {counters.duplicates}, dead letters {counters.dead_letters}",
        err=True,
    )


def _run_nats(
    ruleset: object,
    config: object,
    sink: object,
    url: str,
    owned: list[int],
    durable: str,
    idle_exit_s: float | None,
) -> None:
    import asyncio
    import signal

    from yingji.monitoring.nats_worker import NatsWorker

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        running = NatsWorker(ruleset, config, sink, url=url, partitions=owned, durable=durable)  # type: ignore[arg-type]
        typer.echo(f"consuming partitions {owned} from {url}", err=True)
        try:
            await running.run(stop, idle_exit_s=idle_exit_s)
        finally:
            running.close()
            sink.close()  # type: ignore[attr-defined]
        counters = running.monitor.counters
        typer.echo(
            f"readings {counters.readings}, duplicates {counters.duplicates}, dead letters {counters.dead_letters}",
            err=True,
        )

    asyncio.run(main())
