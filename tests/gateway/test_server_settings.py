"""`taskloom serve`'s own settings (HOST, PORT, TASKLOOM_WORKERS, TASKLOOM_LOG_FORMAT), read in
infra/settings with the rest: a wrong value is a configuration error, never a traceback."""

from __future__ import annotations

import pytest

from gateway import cli
from infra.settings.environment import SettingsError, server_settings_from_env
from infra.settings.values import LogFormat, ServerSettings


def test_the_defaults_listen_on_loopback_with_one_worker() -> None:
    assert server_settings_from_env({}) == ServerSettings()
    assert ServerSettings().host == "127.0.0.1"


def test_the_environment_sets_them() -> None:
    env = {"HOST": "10.0.0.7", "PORT": "9000", "TASKLOOM_WORKERS": "4"}
    settings = server_settings_from_env({**env, "TASKLOOM_LOG_FORMAT": " JSON "})
    assert settings == ServerSettings("10.0.0.7", 9000, 4, LogFormat.JSON)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "http"),
        ("PORT", "0"),
        ("PORT", "65536"),
        ("PORT", "8000.5"),
        ("TASKLOOM_WORKERS", "0"),
        ("TASKLOOM_WORKERS", "many"),
        ("TASKLOOM_WORKERS", "100000"),
    ],
)
def test_a_wrong_value_names_its_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        server_settings_from_env({name: value})


@pytest.mark.parametrize("value", ["", "jsno", "xml", "\x00"])
def test_a_log_format_typo_keeps_the_logs_as_text(value: str) -> None:
    assert server_settings_from_env({"TASKLOOM_LOG_FORMAT": value}).log_format is LogFormat.TEXT


def test_serve_refuses_a_wrong_port_as_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    monkeypatch.setenv("TASKLOOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PORT", "eighty")
    assert cli.main(["serve"]) == 2
    assert "PORT must be an integer" in capsys.readouterr().err
