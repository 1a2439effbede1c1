"""A third-party plugin adding the `hello` target (the README's example)."""

from connector_factory import hookimpl
from connector_factory.models import CheckResult, Step, StepContext, StepResult, Target


@hookimpl
def cf_targets() -> list[Target]:
    return [Target(name="hello", summary="Writes hello.txt", steps=(Step.scaffold, Step.test_gate))]


@hookimpl
def cf_scaffold(ctx: StepContext) -> StepResult | None:
    if ctx.target != "hello":
        return None
    writer = ctx.writer()
    writer.write("hello.txt", f"hello from {ctx.name}\n")
    return StepResult(summary="wrote hello.txt", outputs=writer.finish())


@hookimpl
def cf_test_gate(ctx: StepContext) -> StepResult | None:
    if ctx.target != "hello":
        return None
    ok = (ctx.project_dir / "hello.txt").read_text() == f"hello from {ctx.name}\n"
    return StepResult(checks=[CheckResult(name="hello.txt", status="passed" if ok else "failed")])
