"""The production nginx site file, rendered as docs/deploy.md says, passes `nginx -t`."""

import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.nginx,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (.ci/run installs it)"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate"),
]


def test_production_site_config_is_valid(tmp_path):
    include_dir = tmp_path / "openevent"
    include_dir.mkdir()
    (include_dir / "openevent-http.conf").write_text((DEPLOY / "nginx" / "openevent-http.conf").read_text())
    (include_dir / "openevent-locations.conf").write_text(
        (DEPLOY / "nginx" / "openevent-locations.conf")
        .read_text()
        .replace("@STATIC_ROOT@", str(tmp_path / "static"))
        .replace("@MEDIA_ROOT@", str(tmp_path / "media"))
    )
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=events.example.org",
            "-keyout",
            str(tmp_path / "privkey.pem"),
            "-out",
            str(tmp_path / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    site = (
        (DEPLOY / "nginx" / "openevent.conf")
        .read_text()
        .replace("@INCLUDE_DIR@", str(include_dir))
        .replace("/etc/letsencrypt/live/events.example.org", str(tmp_path))
        .replace("/var/log/nginx", str(tmp_path))
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ include /etc/nginx/mime.types; include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
