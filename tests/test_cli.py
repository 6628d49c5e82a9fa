from pathlib import Path

from typer.testing import CliRunner

from yingji.cli import app


def test_help_lists_serve() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "serve" in result.output


def test_serve_takes_a_root_path_and_refuses_a_malformed_one(tmp_path: Path) -> None:
    """`serve --root-path` sets YINGJI_ROOT_PATH for the server; a prefix that is not /segment[/segment…]
    stops it before anything starts, naming the setting."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env["YINGJI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'none.db'}"
    bad = subprocess.run(
        [sys.executable, "-m", "yingji", "serve", "--root-path", "yingji/"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode != 0 and "root_path" in (bad.stderr + bad.stdout)
