"""The secret key signs the session cookies, the console's sign-in and the media hooks'
token: the app refuses to start without one of its own (no published default signs
anything), and the demo makes a random one per data folder."""

import os
import stat

import pytest
from typer.testing import CliRunner

from shoptide import cli
from shoptide.app import create_app
from shoptide.settings import PUBLIC_DEV_SECRET_KEY, SecretKeyMissing, Settings


def _settings(tmp_path, **values) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)


@pytest.mark.parametrize("key", ["", "   ", PUBLIC_DEV_SECRET_KEY])
def test_the_app_refuses_to_start_without_a_secret_key_of_its_own(tmp_path, key):
    with pytest.raises(SecretKeyMissing, match="SHOPTIDE_SECRET_KEY"):
        create_app(_settings(tmp_path, secret_key=key))


def test_the_settings_have_no_usable_default_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOPTIDE_SECRET_KEY", raising=False)

    with pytest.raises(SecretKeyMissing):
        _settings(tmp_path).require_secret_key()


def test_serve_says_what_to_set_and_touches_no_database(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOPTIDE_SECRET_KEY", raising=False)
    monkeypatch.setenv("SHOPTIDE_DATA_DIR", str(tmp_path / "var"))

    result = CliRunner().invoke(cli.app, ["serve"])

    assert result.exit_code == 2
    assert "SHOPTIDE_SECRET_KEY" in result.output and "token_urlsafe" in result.output
    assert not (tmp_path / "var").exists()


def test_the_demo_makes_a_key_of_its_own_once_per_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOPTIDE_SECRET_KEY", raising=False)
    monkeypatch.delenv("SHOPTIDE_COOKIE_SECURE", raising=False)

    first = cli._demo_settings(_settings(tmp_path / "a"), create=True)
    again = cli._demo_settings(_settings(tmp_path / "a"), create=True)
    elsewhere = cli._demo_settings(_settings(tmp_path / "b"), create=True)

    first.require_secret_key()
    assert first.secret_key == again.secret_key != elsewhere.secret_key
    assert len(first.secret_key) >= 48
    key_file = tmp_path / "a" / cli.DEMO_SECRET_KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600  # its owner's only
    assert first.cookie_secure is False  # it serves plain http on 127.0.0.1


def test_the_demo_keeps_a_key_and_cookie_setting_it_is_given(tmp_path):
    given = _settings(tmp_path, secret_key="chosen-by-the-operator", cookie_secure=True)

    demo = cli._demo_settings(given, create=True)

    assert demo.secret_key == "chosen-by-the-operator"
    assert demo.cookie_secure is True
    assert not (tmp_path / cli.DEMO_SECRET_KEY_FILE).exists()


def test_cookies_are_secure_unless_told_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOPTIDE_COOKIE_SECURE", raising=False)

    assert _settings(tmp_path).cookie_secure is True
