"""``cf credentials``: config file, environment, and the form served to a real headless Chromium."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import stat
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from connector_factory import hookimpl
from connector_factory.cli import app
from connector_factory.credentials import CSRF_FIELD, collect_credentials
from connector_factory.errors import InputError
from connector_factory.models import (
    ConnectionForm,
    ConnectionParameter,
    StepContext,
    Target,
)
from connector_factory.pipeline import Pipeline
from connector_factory.plugins import load_plugins
from connector_factory.reporter import RecordingReporter
from typer.testing import CliRunner

from tests import browser
from tests.browser import chromium_driver
from tests.conftest import MakeDist

SECRET = "s3cr3t-Tok€n-<b>&\"quoted\""
CONFIG = "conf/dev_config.json"
SCREENSHOT = Path("/tmp/cf-credentials-form.png")
SCREENSHOT_DONE = Path("/tmp/cf-credentials-done.png")


class FakePlugin:
    """A target whose connector needs a token (secret), a base URL and a user name."""

    def __init__(self) -> None:
        self.asks = True

    @hookimpl
    def cf_targets(self) -> list[Target]:
        return [Target(name="fake-target", summary="A fake target for credential tests.")]

    @hookimpl
    def cf_connection_form(self, ctx: StepContext) -> ConnectionForm | None:
        if ctx.target != "fake-target" or not self.asks:
            return None
        return ConnectionForm(
            config_path=CONFIG,
            env_prefix="CF_",
            parameters=[
                ConnectionParameter(name="token", label="API token", secret=True,
                                    description="Personal access token <with scopes: read>."),
                ConnectionParameter(name="base_url", label="Base URL",
                                    description="Root of the API.",
                                    default="http://127.0.0.1:9"),
                ConnectionParameter(name="username", label="User name", required=False,
                                    description="Optional; shown in logs."),
            ],
        )


@dataclass
class Project:
    pipeline: Pipeline
    plugin: FakePlugin
    reporter: RecordingReporter
    dir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.dir / CONFIG

    def leaks(self, *secrets: str) -> list[str]:
        """Files and report lines outside the config file that contain a secret or its hash."""
        needles = [s for secret in secrets
                   for s in (secret, hashlib.sha256(secret.encode()).hexdigest(),
                             json.dumps(secret)[1:-1])]
        found = []
        for path in (self.dir / ".cf" / "state.json", self.dir / ".cf" / "events.jsonl",
                     self.dir / ".gitignore"):
            text = path.read_text(encoding="utf-8") if path.exists() else ""
            found += [f"{path.name}" for n in needles if n in text]
        found += [f"reporter: {line}" for line in self.reporter.lines
                  for n in needles if n in line]
        return found


@pytest.fixture
def project(tmp_path: Path) -> Project:
    plugin = FakePlugin()
    reporter = RecordingReporter()
    pipeline = Pipeline(project_dir=tmp_path / "demo",
                        plugins=load_plugins(extra={"fake": plugin}), reporter=reporter)
    pipeline.create("demo", pipeline.plugins.target("fake-target"), {})
    return Project(pipeline, plugin, reporter, pipeline.project_dir)


def _json_file(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _one_line(exc: pytest.ExceptionInfo[InputError]) -> str:
    line = exc.value.one_line()
    assert "\n" not in line
    return line


# -- config file and environment --------------------------------------------------------------


def test_config_file_writes_values_defaults_and_private_mode(project: Project,
                                                             tmp_path: Path) -> None:
    given = _json_file(tmp_path / "in.json", {"token": SECRET, "username": "ann"})
    path = collect_credentials(project.pipeline, config_file=given, env={})
    assert path == project.config
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "token": SECRET, "username": "ann", "base_url": "http://127.0.0.1:9"}
    assert _mode(path) == 0o600
    assert path.read_text(encoding="utf-8").startswith("{\n  ")  # pretty JSON
    assert project.leaks(SECRET) == []
    events = [e for e in project.pipeline.store.events() if e["event"] == "credentials_written"]
    assert events and events[-1]["path"] == CONFIG
    assert events[-1]["parameters"] == ["base_url", "token", "username"]


def test_config_file_wins_over_environment(project: Project, tmp_path: Path) -> None:
    given = _json_file(tmp_path / "in.json", {"token": "from-file"})
    collect_credentials(project.pipeline, config_file=given, env={"CF_TOKEN": "from-env"})
    assert json.loads(project.config.read_text())["token"] == "from-file"


def test_environment_variables(project: Project) -> None:
    env = {"CF_TOKEN": SECRET, "CF_USERNAME": "bob", "CF_UNRELATED": "x"}
    path = collect_credentials(project.pipeline, config_file=None, env=env)
    assert json.loads(path.read_text()) == {
        "token": SECRET, "username": "bob", "base_url": "http://127.0.0.1:9"}
    assert _mode(path) == 0o600
    assert project.leaks(SECRET) == []
    assert any("CF_TOKEN" in line for line in project.reporter.lines)


def test_nothing_given_lists_env_vars_and_config_option(project: Project) -> None:
    with pytest.raises(InputError) as exc:
        collect_credentials(project.pipeline, config_file=None, env={})
    line = _one_line(exc)
    for needle in ("CF_TOKEN (required)", "CF_BASE_URL", "CF_USERNAME", "--config FILE"):
        assert needle in line
    assert not project.config.exists()


def test_env_without_required_one_is_rejected(project: Project) -> None:
    with pytest.raises(InputError) as exc:
        collect_credentials(project.pipeline, config_file=None, env={"CF_USERNAME": "bob"})
    assert "CF_TOKEN" in _one_line(exc)
    assert not project.config.exists()


def test_config_file_missing_required_names_it(project: Project, tmp_path: Path) -> None:
    given = _json_file(tmp_path / "in.json", {"username": "ann", "token": ""})
    with pytest.raises(InputError) as exc:
        collect_credentials(project.pipeline, config_file=given, env={})
    line = _one_line(exc)
    assert "token" in line and str(given) in line
    assert not project.config.exists()


def test_unknown_key_is_rejected_by_name(project: Project, tmp_path: Path) -> None:
    given = _json_file(tmp_path / "in.json", {"token": SECRET, "pasword": "hunter2"})
    with pytest.raises(InputError) as exc:
        collect_credentials(project.pipeline, config_file=given, env={})
    line = _one_line(exc)
    assert "pasword" in line and "hunter2" not in line and SECRET not in line
    assert not project.config.exists()


@pytest.mark.parametrize("content", ["[1, 2]", "{not json", '{"token": ["a"]}', None])
def test_bad_config_file_names_the_file(project: Project, tmp_path: Path,
                                        content: str | None) -> None:
    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        collect_credentials(project.pipeline, config_file=path, env={})
    assert str(path) in _one_line(exc)


def test_nothing_to_ask_yet(project: Project) -> None:
    project.plugin.asks = False
    with pytest.raises(InputError) as exc:
        collect_credentials(project.pipeline, config_file=None, env={"CF_TOKEN": "x"})
    line = _one_line(exc)
    assert "fake-target" in line and "cf scaffold" in line


def test_existing_config_is_merged(project: Project, tmp_path: Path) -> None:
    project.config.parent.mkdir(parents=True)
    project.config.write_text(json.dumps(
        {"token": "old", "username": "bob", "base_url": "https://api.example", "extra": 3}))
    os.chmod(project.config, 0o644)
    given = _json_file(tmp_path / "in.json", {"token": SECRET})
    collect_credentials(project.pipeline, config_file=given, env={})
    assert json.loads(project.config.read_text()) == {
        "token": SECRET, "username": "bob", "base_url": "https://api.example", "extra": 3}
    assert _mode(project.config) == 0o600
    # A required secret already in the file need not be given again.
    collect_credentials(project.pipeline, config_file=None, env={"CF_USERNAME": "carol"})
    assert json.loads(project.config.read_text())["token"] == SECRET
    assert json.loads(project.config.read_text())["username"] == "carol"


def test_mode_is_0600_from_the_start_whatever_the_umask(project: Project,
                                                        tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        seen.append(stat.S_IMODE(os.stat(src).st_mode))  # the temp file, before it is renamed
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    old = os.umask(0)
    try:
        collect_credentials(project.pipeline, config_file=None, env={"CF_TOKEN": SECRET})
    finally:
        os.umask(old)
    assert seen == [0o600]
    assert _mode(project.config) == 0o600
    assert [p.name for p in project.config.parent.iterdir()] == ["dev_config.json"]


def test_gitignore_gets_the_path_once(project: Project) -> None:
    gitignore = project.dir / ".gitignore"
    gitignore.write_text("*.pyc", encoding="utf-8")  # no final newline
    for _ in range(3):
        collect_credentials(project.pipeline, config_file=None, env={"CF_TOKEN": SECRET})
    lines = gitignore.read_text(encoding="utf-8").splitlines()
    assert lines == ["*.pyc", CONFIG]


def test_gitignore_created_when_absent(project: Project) -> None:
    collect_credentials(project.pipeline, config_file=None, env={"CF_TOKEN": SECRET})
    assert (project.dir / ".gitignore").read_text(encoding="utf-8") == f"{CONFIG}\n"


def test_no_secret_in_state_events_or_reports(project: Project, tmp_path: Path) -> None:
    other = "an0ther-s3cret"
    collect_credentials(project.pipeline, config_file=None, env={"CF_TOKEN": other})
    given = _json_file(tmp_path / "in.json", {"token": SECRET, "username": "u"})
    collect_credentials(project.pipeline, config_file=given, env={})
    state = (project.dir / ".cf" / "state.json").read_text(encoding="utf-8")
    assert CONFIG not in state  # the file is not recorded as an output either
    assert project.leaks(SECRET, other) == []


# -- the form, over HTTP ----------------------------------------------------------------------


class FormRun:
    """``collect_credentials(serve=True)`` in a thread; ``url`` once it serves."""

    def __init__(self, project: Project, timeout_s: float = 60) -> None:
        self.urls: queue.Queue[str] = queue.Queue()
        self.result: Path | None = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.result = collect_credentials(
                    project.pipeline, config_file=None, serve=True, env={},
                    on_ready=self.urls.put, timeout_s=timeout_s)
            except BaseException as exc:  # handed to the test
                self.error = exc

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        self.url = self.urls.get(timeout=10)

    def finish(self, timeout_s: float = 10) -> Path:
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "collect_credentials did not return"
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


@pytest.fixture
def form_run(project: Project) -> FormRun:
    """The form being served for ``project`` (a daemon thread; it times out if a test fails)."""
    return FormRun(project)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: str = response.read().decode("utf-8")
        return body


def _post(url: str, fields: dict[str, str]) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def _csrf(page: str) -> str:
    found = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page)
    assert found, "no CSRF token in the form"
    return found.group(1)


def test_form_rejects_post_without_csrf_then_accepts_a_valid_one(project: Project,
                                                                 form_run: FormRun) -> None:
    url = form_run.url
    assert url.startswith("http://127.0.0.1:")
    status, page = _post(url, {"token": SECRET})
    assert status == 403
    status, _ = _post(url, {"token": SECRET, CSRF_FIELD: "forged"})
    assert status == 403
    assert not project.config.exists()

    token = _csrf(_get(url))
    status, page = _post(url, {CSRF_FIELD: token, "username": "ann", "token": ""})
    assert status == 400 and "Please fill in: API token" in page  # re-shown with an error
    assert 'value="ann"' in page and 'name="token"' in page
    assert not project.config.exists()

    status, page = _post(url, {CSRF_FIELD: token, "token": SECRET, "base_url": "http://x:1"})
    assert status == 200 and str(project.config) in page
    assert SECRET not in page and "s3cr3t" not in page
    path = form_run.finish()
    assert json.loads(path.read_text()) == {"token": SECRET, "base_url": "http://x:1"}
    assert _mode(path) == 0o600
    assert project.leaks(SECRET) == []
    with pytest.raises(urllib.error.URLError):  # the server has stopped
        _get(url)


def test_form_serves_only_root(project: Project, form_run: FormRun) -> None:
    for path in ("favicon.ico", "index.html", "../etc/passwd", ".cf/state.json"):
        with pytest.raises(urllib.error.HTTPError) as exc:
            _get(form_run.url + path)
        assert exc.value.code == 404
    request = urllib.request.Request(form_run.url, method="PUT", data=b"x")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=10)
    assert exc.value.code == 404
    request = urllib.request.Request(form_run.url, headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as exc:  # DNS rebinding
        urllib.request.urlopen(request, timeout=10)
    assert exc.value.code == 421
    page = _get(form_run.url)
    assert "&lt;with scopes: read&gt;" in page  # descriptions are escaped
    status, _ = _post(form_run.url, {CSRF_FIELD: _csrf(page), "token": "t"})
    assert status == 200
    form_run.finish()


def test_form_times_out(project: Project) -> None:
    run = FormRun(project, timeout_s=0.5)
    with pytest.raises(InputError) as exc:
        run.finish()
    assert "not submitted" in exc.value.one_line()
    assert not project.config.exists()


# -- the form, in a real browser --------------------------------------------------------------


def test_form_in_headless_chromium(project: Project, form_run: FormRun) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium_driver() as driver:
        driver.get(form_run.url)
        assert "Connection settings" in driver.title
        token = driver.find_element(By.NAME, "token")
        base_url = driver.find_element(By.NAME, "base_url")
        username = driver.find_element(By.NAME, "username")
        assert token.get_attribute("type") == "password"  # masked
        assert token.get_attribute("autocomplete") == "off"
        assert token.get_attribute("required") is not None
        assert token.get_attribute("value") == ""
        assert base_url.get_attribute("value") == "http://127.0.0.1:9"  # default pre-filled
        assert username.get_attribute("required") is None
        labels = [e.text for e in driver.find_elements(By.TAG_NAME, "label")]
        assert labels == ["API token required, secret, hidden as you type",
                          "Base URL required", "User name optional"]

        token.send_keys(SECRET)
        username.send_keys("ann")
        base_url.clear()
        base_url.send_keys("https://api.example/v1")
        driver.save_screenshot(str(SCREENSHOT))

        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 10).until(lambda d: "Credentials saved" in d.title)
        driver.save_screenshot(str(SCREENSHOT_DONE))
        source = driver.page_source
        assert str(project.config) in driver.find_element(By.TAG_NAME, "main").text
        assert SECRET not in source and "s3cr3t" not in source

    path = form_run.finish()
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "token": SECRET, "username": "ann", "base_url": "https://api.example/v1"}
    assert _mode(path) == 0o600
    assert (project.dir / ".gitignore").read_text().splitlines().count(CONFIG) == 1
    assert project.leaks(SECRET) == []


def test_browser_helper_fails_loudly_without_chromium(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(pytest.fail.Exception) as exc, chromium_driver():  # fails, never skips
        pass
    assert "chromium chromium-driver" in str(exc.value)


# -- through the `cf` command -----------------------------------------------------------------

FORM_PLUGIN = """
from connector_factory import hookimpl
from connector_factory.models import ConnectionForm, ConnectionParameter, Target

@hookimpl
def cf_targets():
    return [Target(name="formy", summary="asks for a key")]

@hookimpl
def cf_connection_form(ctx):
    if ctx.target != "formy":
        return None
    return ConnectionForm(config_path="secrets/config.json", env_prefix="FORMY_",
                          parameters=[ConnectionParameter(name="api_key", secret=True)])
"""


def test_cf_credentials_command(make_dist: MakeDist, tmp_path: Path) -> None:
    make_dist("cf-formy", {"cf_formy": FORM_PLUGIN}, {"formy": "cf_formy"})
    project_dir = tmp_path / "p"
    pipeline = Pipeline(project_dir=project_dir, plugins=load_plugins(),
                        reporter=RecordingReporter())
    pipeline.create("p", pipeline.plugins.target("formy"), {})
    runner = CliRunner()
    args = ["credentials", "--project", str(project_dir)]

    result = runner.invoke(app, args, env={"CF_INTERACTIVE": "0", "FORMY_API_KEY": ""})
    assert result.exit_code == 2
    assert "FORMY_API_KEY (required)" in result.output and "--config FILE" in result.output

    result = runner.invoke(app, args, env={"CF_INTERACTIVE": "0", "FORMY_API_KEY": SECRET})
    assert result.exit_code == 0, result.output
    written = project_dir / "secrets" / "config.json"
    assert str(written) in result.output and SECRET not in result.output
    assert json.loads(written.read_text()) == {"api_key": SECRET}
    assert _mode(written) == 0o600
