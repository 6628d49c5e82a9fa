"""Settings: one validated object from ``YINGJI_*`` environment variables and an optional TOML file.

Built once by :func:`load_settings` at an entry point (the CLI callback, the server factory) and passed
in; nothing reads the environment at import time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_SECRET = "yingji-development-secret-change-me"


def default_data_dir() -> Path:
    """The user's data folder (XDG), where the embedded SQLite database lives by default."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "yingji"


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'yingji.db'}"


class Settings(BaseSettings):
    """Every setting of the platform. Each field is documented in docs/settings.md (a test checks)."""

    model_config = SettingsConfigDict(env_prefix="YINGJI_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default_factory=default_database_url)
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    # Secret rotation (a key ring): keys signed with before, still accepted for verifying tokens, device
    # cookies and CSRF tokens (comma-separated or a JSON list); new ones are signed with secret_key only
    secret_key_previous: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # How long a server process remembers an access-token user's scope (auth.deps.ScopeCache): a user
    # disabled elsewhere keeps access that long; 0 reads the user on every request
    scope_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    redis_url: str | None = "redis://127.0.0.1:6379/0"
    # Login throttling (auth.ratelimit, ASVS 2.2.1): failures allowed per account (and per device) and per
    # client address before exponential back-off, its first delay and its ceiling
    login_free_attempts: int = Field(default=5, ge=1)
    login_client_free_attempts: int = Field(default=20, ge=1)
    login_backoff_base_s: float = Field(default=1.0, gt=0, le=3600)
    login_backoff_max_s: float = Field(default=900.0, gt=0, le=86_400)
    # Proxies whose X-Forwarded-For is believed (IP addresses or CIDR blocks; JSON list or comma-separated);
    # empty: the peer address is the client
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The path prefix the platform is served under behind a shared reverse proxy (e.g. "/yingji"); every URL
    # the pages and the API give carries it. Empty: served at the root of its host name
    root_path: str = Field(default="", pattern=r"^(/[A-Za-z0-9._~-]+)*$", max_length=100)
    # Request size limits at the edge (yingji.edge): bodies of every route, and of the file-upload routes
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    # How late a refusal is answered once its address is refused often (yingji.edge.RefusalPacer), and a
    # throttled sign-in (429) always: a flood that retries at once is slowed to one try per connection per
    # delay. 0 answers every refusal at once
    refusal_delay_s: float = Field(default=1.0, ge=0, le=10)
    # The Redis channel namespace of this deployment's live events and session revocations (default: a
    # digest of the database's identity and the Redis database number)
    events_namespace: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    mqtt_url: str | None = None
    nats_url: str | None = None
    population_raster: Path | None = None
    # A base map's tiles (YINGJI_TILE_URL: a Leaflet URL template, e.g. "https://t{s}.example.cn/{z}/{x}/{y}.png?tk={key}")
    # and how to read them: the tiles' grid (web Mercator; CGCS2000 longitude-latitude, the 天地图 "c" matrix;
    # GCJ-02, web Mercator on the shifted datum of Chinese map apps, the platform's WGS 84 data converted to
    # it), the {s} subdomains, the {key} the provider issued, the credit the provider asks for, the deepest
    # zoom, and the offset of the provider's zoom numbers (天地图's longitude-latitude tiles start at 1)
    tile_url: str | None = None
    tile_crs: Literal["EPSG:3857", "CGCS2000", "GCJ-02"] = "EPSG:3857"
    tile_subdomains: str = Field(default="", pattern=r"^[A-Za-z0-9]{0,16}$")
    tile_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,128}$", repr=False)
    tile_attribution: str = Field(default="", max_length=300)
    tile_max_zoom: int = Field(default=18, ge=1, le=22)
    tile_zoom_offset: int = Field(default=0, ge=-2, le=2)
    # A public randomness beacon (drand-style JSON: round and randomness) for the seeds of random draws (双随机);
    # unset: the system's CSPRNG (yingji.enforcement.beacon).
    draw_beacon_url: str | None = None
    language: Literal["zh", "en"] = "zh"
    # The zone the pages show and read times in (IANA name), as YYYY-MM-DD HH:MM
    timezone: str = "Asia/Shanghai"
    warning_organisation: str = Field(default="000", pattern=r"^\d{3}$")
    warning_sender_name: str | None = None
    smtp_url: str | None = None
    smtp_from: str = "yingji@localhost"
    # The bureau's HTTP SMS gateway (warnings and official calls to mobile numbers); it must be in the webhook
    # allow-list. The token, if any, travels as a bearer token
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = Field(default=None, repr=False)
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # URL prefixes a warning may be POSTed to (JSON list or comma-separated); empty: webhooks refused
    webhook_allowed_targets: Annotated[list[str], NoDecode] = Field(default_factory=list)
    callack_escalate_after_s: float = Field(default=900.0, gt=0)
    # How far outside its division's boundary a record's position (or an area's vertex) may lie, metres
    boundary_tolerance_m: float = Field(default=3000.0, ge=0, le=100_000)
    config_file: Path | None = None
    # ``yingji run`` (one-command installation): the monitoring worker's rules, state kept between runs,
    # and how often the periodic steps (incident scheduler, alarm tick, 叫应 tick) run
    monitor_rules: Path | None = None
    state_dir: Path = Field(default_factory=default_data_dir)
    tick_interval_s: float = Field(default=60.0, ge=1, le=3600)
    # Earthquake catalogue feeds polled by ``yingji quake feeds`` (and supervised by ``yingji run``):
    # space-separated name=URL[|geojson|quakeml]; unset: no feed worker
    quake_feeds: str | None = None
    # Public tips (举报, yingji.tips): where photos are kept (default: <state_dir>/tips), and the per-address
    # limits checked before a body is read: submissions per window, status reads per minute
    tips_dir: Path | None = None
    tips_per_address: int = Field(default=10, ge=1)
    tips_window_s: int = Field(default=3600, ge=1, le=86_400)
    tip_status_reads_per_minute: int = Field(default=30, ge=1)
    # Disaster statistics (yingji.disasters): the Fernet key(s) encrypting ledger ID numbers (comma-separated,
    # the first encrypts; unset outside production: derived from secret_key), and how long after an event's
    # start a township's initial report is due to its county (a local setting; the scheduler escalates after)
    disaster_ledger_key: SecretStr | None = None
    disaster_township_initial_hours: float = Field(default=1.0, gt=0, le=72)
    # Logs: "text" (one line: UTC time, level, logger, request id, message) or "json" (one object a line)
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Metrics (Prometheus text format): the token GET /api/v1/metrics requires (unset: loopback clients
    # only), and the loopback port of a monitoring worker's metrics listener (unset: none)
    metrics_token: SecretStr | None = None
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Evidence files of penalty cases (yingji.enforcement.evidence): where they are kept (default:
    # <state_dir>/evidence) and the largest file accepted (PDF, JPEG or PNG; the body limit is max_upload_bytes)
    evidence_dir: Path | None = None
    evidence_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # The draw beacon's chain (yingji.enforcement.beacon): with its BLS12-381 public key (hex) set, each answer's
    # signature, randomness and round are checked (round 1's time and the period: the League of Entropy's default)
    draw_beacon_public_key: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{96}$")
    draw_beacon_genesis: int = Field(default=1595431050, ge=0)
    draw_beacon_period_s: int = Field(default=30, ge=1, le=86_400)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
        return value

    @field_validator("webhook_allowed_targets", mode="before")
    @classmethod
    def _split_targets(cls, value: object) -> object:
        """From the environment: a JSON list or comma-separated URL prefixes; each must be an http(s) URL
        with a host (a bare host or a typo would silently allow nothing, or too much)."""
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [v for v in text.split(",") if v.strip()]
        if isinstance(value, list):
            for entry in value:
                parts = urlsplit(str(entry).strip())
                if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.username:
                    raise ValueError(f"webhook_allowed_targets: {entry!r} is not an http(s) URL prefix with a host")
            value = [str(v).strip() for v in value]
        return value

    @field_validator("secret_key_previous", mode="before")
    @classmethod
    def _split_previous_keys(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [v.strip() for v in text.split(",") if v.strip()]
        return value

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """The key ring: the signing key first, then the previous keys still accepted when verifying."""
        current = self.secret_key.get_secret_value()
        previous = (k.get_secret_value() for k in self.secret_key_previous)
        return (current, *(k for k in previous if k != current))

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        """A JSON list or comma-separated addresses or CIDR blocks, each checked (a typo must not trust
        nothing, or everything, silently)."""
        import ipaddress

        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [v.strip() for v in text.split(",") if v.strip()]
        if isinstance(value, list):
            for entry in value:
                try:
                    ipaddress.ip_network(str(entry).strip(), strict=False)
                except ValueError:
                    raise ValueError(f"trusted_proxies: {entry!r} is not an IP address or CIDR block") from None
            value = [str(v).strip() for v in value]
        return value

    @model_validator(mode="after")
    def _refuse_weak_secret_in_production(self) -> Settings:
        """In production the key that signs tokens must not be guessable from one token (a one-letter secret
        was recovered from one token in one guess; docs/security.md): not the default, at least 32 bytes,
        and not repeats, sequences or words."""
        if self.env != "production":
            return self
        from yingji.auth.passwords import secret_problem

        secret = self.secret_key.get_secret_value()
        problem = "is the default value" if secret == DEFAULT_SECRET else secret_problem(secret)
        if problem:
            raise ValueError(f"YINGJI_SECRET_KEY {problem} (YINGJI_ENV=production needs a strong secret)")
        for number, key in enumerate(self.secret_key_previous, 1):
            old = key.get_secret_value()
            problem = "is the default value" if old == DEFAULT_SECRET else secret_problem(old)
            if problem:
                raise ValueError(f"YINGJI_SECRET_KEY_PREVIOUS key {number} {problem} (it would still verify tokens)")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = os.environ.get("YINGJI_CONFIG_FILE")
        if toml_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_path)))
        return tuple(sources)


def check_settings_file() -> None:
    """A settings file that is named must be read: a mistyped path or a broken file is an error naming
    it, never silently ignored (the platform would then run on defaults, e.g. an SQLite file at home)."""
    import tomllib

    from yingji.errors import InvalidInput

    named = os.environ.get("YINGJI_CONFIG_FILE")
    if not named:
        return
    try:
        with open(named, "rb") as handle:
            tomllib.load(handle)
    except OSError as exc:
        raise InvalidInput(f"YINGJI_CONFIG_FILE={named}: cannot be read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"YINGJI_CONFIG_FILE={named}: not valid TOML ({exc})") from None


def load_settings(**overrides: object) -> Settings:
    """Build the settings once (environment, then the TOML file named by ``YINGJI_CONFIG_FILE``)."""
    check_settings_file()
    return Settings(**overrides)  # type: ignore[arg-type]
