from pathlib import Path

import pytest
from pydantic import ValidationError

from yingji.config import DEFAULT_SECRET, load_settings


def test_development_is_the_default_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YINGJI_ENV", raising=False)
    assert load_settings().env == "development"


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINGJI_ENV", "production")
    monkeypatch.delenv("YINGJI_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="YINGJI_SECRET_KEY"):
        load_settings()
    monkeypatch.setenv("YINGJI_SECRET_KEY", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822c")
    assert load_settings().secret_key.get_secret_value() != DEFAULT_SECRET


def test_toml_file_is_read_and_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toml = tmp_path / "yingji.toml"
    toml.write_text('database_url = "sqlite:////tmp/from-toml.db"\naccess_token_minutes = 15\n')
    monkeypatch.setenv("YINGJI_CONFIG_FILE", str(toml))
    monkeypatch.delenv("YINGJI_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:////tmp/from-toml.db" and settings.access_token_minutes == 15
    monkeypatch.setenv("YINGJI_ACCESS_TOKEN_MINUTES", "5")
    assert load_settings().access_token_minutes == 5


def test_invalid_setting_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINGJI_ACCESS_TOKEN_MINUTES", "0")
    with pytest.raises(ValidationError, match="access_token_minutes"):
        load_settings()


def test_webhook_allow_list_is_empty_by_default_and_read_from_a_list_or_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YINGJI_WEBHOOK_ALLOWED_TARGETS", raising=False)
    assert load_settings().webhook_allowed_targets == []
    monkeypatch.setenv("YINGJI_WEBHOOK_ALLOWED_TARGETS", "https://hooks.example.org/cap/, http://127.0.0.1:8080")
    assert load_settings().webhook_allowed_targets == ["https://hooks.example.org/cap/", "http://127.0.0.1:8080"]
    monkeypatch.setenv("YINGJI_WEBHOOK_ALLOWED_TARGETS", '["https://hooks.example.org/cap/"]')
    assert load_settings().webhook_allowed_targets == ["https://hooks.example.org/cap/"]


def test_a_webhook_allow_list_entry_without_scheme_and_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINGJI_WEBHOOK_ALLOWED_TARGETS", "hooks.example.org")
    with pytest.raises(ValidationError, match="webhook_allowed_targets"):
        load_settings()
