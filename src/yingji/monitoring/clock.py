"""Time as the monitoring engine sees it: integer milliseconds since the Unix epoch.

Sensor timestamps are ISO 8601. One without an offset is taken as China time (UTC+08:00, the
practice of every Chinese monitoring network); every time the engine writes carries an offset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from yingji.errors import InvalidInput

CHINA_TZ = timezone(timedelta(hours=8), "CST")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Readings outside these years are typing or clock errors; refusing them also keeps every time
# difference the engine forms far inside int64.
EARLIEST = 0
LATEST = int((datetime(2200, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * 1000


def parse_timestamp(text: str) -> int:
    """ISO 8601 text → epoch milliseconds; no offset means +08:00. Raises ``InvalidInput``."""
    raw = text.strip()
    if not raw or len(raw) > 40:
        raise InvalidInput(f"timestamp {text!r} is not ISO 8601")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(f"timestamp {text!r} is not ISO 8601") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    delta = moment - _EPOCH
    ms = (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    if not EARLIEST <= ms < LATEST:
        raise InvalidInput(f"timestamp {text!r} is outside 1970–2199")
    return ms


def format_timestamp(ms: int, tz: timezone = CHINA_TZ) -> str:
    """Epoch milliseconds → ISO 8601 with offset (``2026-07-01T08:00:00+08:00``; ms only if non-zero)."""
    moment = (_EPOCH + timedelta(milliseconds=int(ms))).astimezone(tz)
    spec = "milliseconds" if ms % 1000 else "seconds"
    return moment.isoformat(timespec=spec)


def to_epoch_ms(moment: datetime) -> int:
    """An aware datetime (naive → +08:00) as epoch milliseconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
