"""A third-party plugin adding the `hello` target (the README's example)."""

from connector_factory import hookimpl
from connector_factory.models import (
    CheckResult,
    Step,
    StepContext,
    StepResult,
    Target,
    TargetInput,
)


def _text(ctx: StepContext) -> str:
    return f"{ctx.inputs.get('greeting') or 'hello'} from {ctx.name}\n"


@hookimpl
def cf_targets() -> list[Target]:
    return [Target(name="hello", summary="Writes hello.txt", steps=(Step.scaffold, Step.test_gate),
                   inputs=(TargetInput(name="greeting", help="the word to greet with"),))]


@hookimpl
def cf_scaffold(ctx: StepContext) -> StepResult | None:
    if ctx.target != "hello":
        return None
    writer = ctx.writer()
    writer.write("hello.txt", _text(ctx))
    return StepResult(summary="wrote hello.txt", outputs=writer.finish())


@hookimpl
def cf_test_gate(ctx: StepContext) -> StepResult | None:
    if ctx.target != "hello":
        return None
    ok = (ctx.project_dir / "hello.txt").read_text() == _text(ctx)
    return StepResult(checks=[CheckResult(name="hello.txt", status="passed" if ok else "failed")])
