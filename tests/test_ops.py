"""The operations documents work as written: the nginx configuration loads on this machine's nginx
(Debian 12: 1.22) and scrapes each process directly, the systemd template unit verifies, and the alert
rules and the Grafana dashboard parse and name only metrics `hoidap serve` exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prometheus_client import generate_latest

import bot.metrics  # noqa: F401 - registers every metric the app exports
from tests.conftest import REPO

OPS = REPO / "docs" / "ops"
METRIC = re.compile(r"\bhoidap_[a-z0-9_]+")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count", "_created"), "counter": ("", "_created"), "gauge": ("",)}


def exported() -> set[str]:
    """Every series name /metrics can show (it serves this registry: bot.channels.web.app)."""
    names = set()
    for line in generate_latest().decode().splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            base = name[: -len("_total")] if kind == "counter" and name.endswith("_total") else name
            names |= {base + s for s in SUFFIXES.get(kind, ("",))} | {name}
    return names


def test_the_alert_rules_parse_cover_what_an_operator_watches_and_name_exported_metrics():
    rules = [
        r for g in yaml.safe_load((OPS / "prometheus-alerts.yml").read_text("utf-8"))["groups"] for r in g["rules"]
    ]
    assert {r["alert"] for r in rules} >= {
        "HoidapProcessNotReady",  # a process not ready
        "HoidapIndexVersionSkew",  # versions differ for more than a minute
        "HoidapQuizLate",  # quizzes late by more than 5 minutes
        "HoidapApiErrorRateRising",  # a rising API error rate
        "HoidapIntakeLag",  # intake lag
        "HoidapAnswerLatencyP95",  # p95 latency
    }
    names = exported()
    for rule in rules:
        assert rule["labels"]["severity"] in ("page", "warn") and rule["annotations"]["summary"]
        expr = rule["expr"]
        assert expr.count("(") == expr.count(")") and METRIC.search(expr), rule["alert"]
        assert set(METRIC.findall(expr)) <= names, (rule["alert"], set(METRIC.findall(expr)) - names)
    skew = next(r for r in rules if r["alert"] == "HoidapIndexVersionSkew")
    assert skew["for"] == "1m"


def test_the_grafana_dashboard_parses_and_every_panel_queries_exported_metrics():
    dashboard = json.loads((OPS / "grafana-dashboard.json").read_text("utf-8"))
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 30
    names = exported()
    queried = set()
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            queried |= set(METRIC.findall(target["expr"]))
    assert queried <= names, queried - names
    for needed in ("hoidap_reply_seconds_bucket", "hoidap_intake_lag_seconds", "hoidap_http_requests_total"):
        assert needed in queried


def test_the_prometheus_scrape_config_reaches_each_process_on_its_own_path():
    config = yaml.safe_load((OPS / "prometheus.yml").read_text("utf-8"))
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "hoidap")
    paths = [t["labels"]["__metrics_path__"] for t in job["static_configs"]]
    assert all(re.fullmatch(r"/metrics/\d+", p) for p in paths)
    nginx = (OPS / "nginx-hoidap.conf").read_text("utf-8")
    for path in set(paths):
        assert f"location = {path} " in nginx


def test_the_nginx_configuration_loads_on_debian_12s_nginx(tmp_path):
    """`nginx -t` on the file as shipped (only the certificate paths point at a throwaway certificate)."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (.ci/run installs nginx-light)")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=hoidap.example.vn"]
        + ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )
    site = (OPS / "nginx-hoidap.conf").read_text("utf-8")
    site = site.replace("/etc/letsencrypt/live/hoidap.example.vn/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/letsencrypt/live/hoidap.example.vn/privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "hoidap.conf").write_text(site, "utf-8")
    main = tmp_path / "nginx.conf"  # what Debian's /etc/nginx/nginx.conf does: sites included in http {}
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  include {tmp_path}/hoidap.conf;\n}}\n"
    )
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(main), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr

    # Each process behind the upstream is scraped on its own; /metrics never reaches the upstream.
    ports = re.findall(r"server 127\.0\.0\.1:(\d+)", site.split("upstream hoidap {", 1)[1].split("}", 1)[0])
    assert len(ports) == 3
    for port in ports:
        assert f"location = /metrics/{port} {{ proxy_pass http://127.0.0.1:{port}/metrics; }}" in site
    assert re.search(r"location = /metrics \{[^}]*return 404;", site)


def test_the_systemd_template_unit_verifies(tmp_path):
    unit = (OPS / "hoidap@.service").read_text("utf-8")
    assert "ExecStart=/srv/hoidap/.venv/bin/hoidap serve --host 127.0.0.1 --port %i" in unit
    for folder in ("/srv/hoidap/data", "/srv/hoidap/index", "/srv/hoidap/knowledge"):
        assert folder in next(line for line in unit.splitlines() if line.startswith("ReadWritePaths="))
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The instance for port 8081, its command pointed at this checkout's hoidap (verify checks it exists).
    hoidap = Path(sys.executable).with_name("hoidap")
    (tmp_path / "hoidap@8081.service").write_text(unit.replace("/srv/hoidap/.venv/bin/hoidap", str(hoidap)), "utf-8")
    checked = subprocess.run(
        [analyze, "verify", str(tmp_path / "hoidap@8081.service")], capture_output=True, text=True, cwd=tmp_path
    )
    assert checked.returncode == 0 and not checked.stdout.strip() and not checked.stderr.strip(), checked.stderr


def test_the_readme_points_at_the_checked_files():
    readme = (REPO / "README.md").read_text("utf-8")
    assert "http2 on;" not in readme  # a configuration line nginx 1.22 refuses
    for name in ("nginx-hoidap.conf", "hoidap@.service", "prometheus-alerts.yml", "grafana-dashboard.json"):
        assert f"docs/ops/{name}" in readme
