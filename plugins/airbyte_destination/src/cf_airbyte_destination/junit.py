"""Test-driven debugging: read Gradle's JUnit XML reports, name each failing test, classify the
failure and point at the generated component to fix.

Report format: Gradle writes ``build/test-results/<task>/TEST-<class>.xml``, one
``<testsuite>`` per class with ``<testcase name="method()" classname="…">`` elements holding a
``<failure>`` or ``<error>`` (attribute ``message``, ``type``, body = stack trace) or
``<skipped/>``. When compilation fails no report is written, so :func:`classify_build_output`
reads the Gradle console output (``e: file:///…/X.kt:12:5 Unresolved reference …``) instead.

Categories: ``compilation``, ``missing bean``, ``connection``, ``permission``, ``SQL syntax``,
``type mismatch``, ``not implemented`` (a phase's ``TODO()`` reached), ``assertion``, ``unknown``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from cf_airbyte_destination.phases import PHASES, components

#: (category, patterns) in precedence order; the first category with a matching pattern wins.
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("compilation", (r"Compilation error", r"^e: (file:|/)", r"Unresolved reference",
                     r"Execution failed for task '[^']*compile", r"NoSuchMethodError",
                     r"NoClassDefFoundError", r"AbstractMethodError")),
    ("missing bean", (r"NoSuchBeanException", r"No bean of type", r"Failed to inject value",
                      r"DependencyInjectionException", r"BeanInstantiationException",
                      r"Multiple possible bean candidates", r"NonUniqueBeanException")),
    ("connection", (r"Connection refused", r"Communications link failure",
                    r"UnknownHostException", r"SocketTimeoutException", r"ConnectException",
                    r"Connection is not available", r"could not connect",
                    r"The connection attempt failed", r"Connection reset")),
    ("permission", (r"permission denied", r"Access denied", r"insufficient privilege",
                    r"not authorized", r"SQLSTATE.?42501", r"Insufficient privileges",
                    r"must be owner of")),
    ("SQL syntax", (r"syntax error", r"SQLSyntaxErrorException", r"Parser Error",
                    r"SQL compilation error", r"SQLSTATE.?42601",
                    r"error in your SQL syntax", r"SYNTAX_ERROR", r"Syntax error")),
    ("type mismatch", (r"is of type .* but expression is of type", r"ClassCastException",
                       r"cannot be cast", r"invalid input syntax for type",
                       r"Conversion Error", r"Mismatch Type Error", r"SQLSTATE.?42804",
                       r"Data truncation", r"NumberFormatException", r"DateTimeParseException",
                       r"TYPE_MISMATCH", r"Cannot convert", r"Incorrect .* value")),
    ("not implemented", (r"NotImplementedError", r"An operation is not implemented",)),
    ("assertion", (r"AssertionFailedError", r"AssertionError", r"expected: <",
                   r"MultipleFailuresError", r"opentest4j")),
)

#: What to look at per category, when no stack frame names a generated class.
ADVICE: dict[str, tuple[str, str]] = {
    "compilation": ("", "fix the Kotlin named in the compiler error (imports follow the pinned "
                        "cdkVersion)"),
    "missing bean": ("{P}BeanFactory", "declare the missing @Singleton/@Factory bean"),
    "connection": ("{P}TestConfigFactory", "check the test database is running and "
                                           "secrets/config.json points at it"),
    "permission": ("", "grant the test user CREATE/DROP on the namespace (the Checker "
                       "should report this at check time)"),
    "SQL syntax": ("{P}SqlGenerator", "fix the SQL template (and the profile answer behind it)"),
    "type mismatch": ("{P}ColumnUtils", "fix the type mapping or the value binding"),
    "not implemented": ("", "the test reached a TODO of a later phase: implement that phase"),
    "assertion": ("", "compare expected and actual rows; fix the component the test covers"),
    "unknown": ("", "read the stack trace"),
}

_COMPILER_ERROR = re.compile(r"^e: (?:file://)?(?P<path>/\S+?\.kts?):(?P<line>\d+):(?P<col>\d+)"
                             r"\s+(?P<msg>.*)$", re.M)


@dataclass(frozen=True)
class TestResult:
    """One ``<testcase>``: class, method (without ``()``), outcome and failure text."""

    classname: str
    method: str
    outcome: str  # passed | failed | skipped
    message: str = ""
    detail: str = ""

    @property
    def name(self) -> str:
        """``Class.method`` with the simple class name."""
        return f"{self.classname.rsplit('.', 1)[-1]}.{self.method}"


@dataclass(frozen=True)
class Finding:
    """A failing test explained: category, first message line, component and file to fix."""

    test: str
    category: str
    message: str
    component: str
    advice: str
    phase: int | None = None
    location: str = ""

    def line(self) -> str:
        """One line for the gate's summary."""
        where = f" ({self.location})" if self.location else ""
        phase = f" (phase {self.phase})" if self.phase is not None else ""
        return (f"{self.test}{phase}: {self.category} — {self.message} → fix {self.component}"
                f"{where}: {self.advice}")


def read_reports(folder: Path) -> list[TestResult]:
    """Every test case of the ``TEST-*.xml`` files in ``folder`` (sorted by file name).

    Unreadable or malformed files are reported as a failed pseudo-test named after the file, so
    a broken report is never mistaken for a pass.
    """
    results: list[TestResult] = []
    for path in sorted(folder.glob("TEST-*.xml")):
        try:
            root = ET.parse(path).getroot()
        except (ET.ParseError, OSError) as exc:
            results.append(TestResult(path.stem, "report", "failed",
                                      f"unreadable JUnit report: {exc}"))
            continue
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        for suite in suites:
            for case in suite.iter("testcase"):
                method = re.sub(r"\(\)$", "", case.get("name", "?"))
                classname = case.get("classname", suite.get("name", "?"))
                problem = case.find("failure")
                if problem is None:
                    problem = case.find("error")
                if problem is not None:
                    results.append(TestResult(classname, method, "failed",
                                              problem.get("message", "") or "",
                                              problem.text or ""))
                elif case.find("skipped") is not None:
                    results.append(TestResult(classname, method, "skipped"))
                else:
                    results.append(TestResult(classname, method, "passed"))
    return results


def _category(text: str) -> str:
    for category, patterns in RULES:
        if any(re.search(p, text, re.I | re.M) for p in patterns):
            return category
    return "unknown"


def root_cause(text: str) -> str:
    """The last ``Caused by: …`` line of a Java stack trace (the innermost exception), or
    ``""`` when the trace has no cause chain."""
    causes = re.findall(r"^\s*Caused by: (.+)$", text, re.M)
    return causes[-1].strip() if causes else ""


def classify_text(text: str) -> str:
    """The category of a failure message + stack trace (see :data:`RULES`).

    The innermost ``Caused by:`` decides first (a refused connection wrapped in Micronaut's
    ``BeanInstantiationException`` is a connection problem, not a missing bean); then the whole
    text, in the precedence order of :data:`RULES`.
    """
    cause = root_cause(text)
    if cause:
        found = _category(cause)
        if found != "unknown":
            return found
    return _category(text)


def phase_of_test(method: str) -> int | None:
    """The first phase whose checkpoint lists ``method``."""
    for phase in PHASES:
        if any(m == method for _, m in phase.tests):
            return phase.number
    return None


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:240]
    return ""


def _generated_frame(detail: str, package: str) -> tuple[str, str]:
    """The first stack frame in the connector's package outside its test classes:
    (simple class, ``File.kt:line``). Frames may carry a class-loader/module prefix
    (``at app//io.airbyte…``, ``at java.base@17/…``) as Java 9+ prints them."""
    pattern = re.compile(r"at (?:[\w.@-]*/+)?" + re.escape(package)
                         + r"\.(?:[a-z_][\w]*\.)*(?P<cls>[A-Z][\w$]*)\.[^(\n]*"
                         r"\((?P<file>\w+\.kt):(?P<line>\d+)\)")
    for match in pattern.finditer(detail):
        cls = match.group("cls").split("$")[0]
        if cls.endswith("Test"):
            continue
        return cls, f"{match.group('file')}:{match.group('line')}"
    return "", ""


def explain(result: TestResult, prefix: str, package: str) -> Finding:
    """A :class:`Finding` for a failed test of the connector ``package`` (class prefix
    ``prefix``)."""
    text = f"{result.message}\n{result.detail}"
    category = classify_text(text)
    phase = phase_of_test(result.method)
    frame, location = _generated_frame(result.detail, package)
    default, advice = ADVICE[category]
    component = default.format(P=prefix) if default else frame
    if location:
        location = f"raised in {frame}, {location}" if frame != component else \
            f"raised at {location}"
    if not component and phase is not None:
        component = ", ".join(components(PHASES[phase], prefix)[:3])
    message = _first_line(result.message) or _first_line(result.detail)
    cause = root_cause(text)
    if cause and _category(cause) == category:
        message = cause[:240]  # the innermost exception says what went wrong
    return Finding(test=result.name, category=category, message=message,
                   component=component or "the test's component", advice=advice, phase=phase,
                   location=location)


def classify_build_output(output: str, connector_dir: Path | None = None) -> list[Finding]:
    """Findings from Gradle console output when no test report exists (compile errors)."""
    findings: list[Finding] = []
    for match in _COMPILER_ERROR.finditer(output):
        path = Path(match.group("path"))
        shown = path
        if connector_dir is not None:
            try:
                shown = path.resolve().relative_to(connector_dir.resolve())
            except ValueError:
                shown = path
        findings.append(Finding(test="compileKotlin", category="compilation",
                                message=match.group("msg").strip()[:240],
                                component=path.stem, advice=ADVICE["compilation"][1],
                                location=f"{shown}:{match.group('line')}"))
    if not findings and output.strip():
        category = classify_text(output)
        tail = [ln for ln in output.splitlines() if ln.strip()][-1:]
        default, advice = ADVICE[category]
        findings.append(Finding(test="gradle", category=category,
                                message=(tail[0].strip()[:240] if tail else ""),
                                component=default or "build.gradle.kts", advice=advice))
    return findings
