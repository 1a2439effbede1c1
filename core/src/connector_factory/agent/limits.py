"""Per-step limits of an agent run, token usage accounting and the per-model price table.

Prices are USD per million tokens, from https://platform.claude.com/docs/en/about-claude/pricing
(model pricing and prompt caching, 5-minute cache writes), as published in November 2026. A model
missing from the table is priced at the most expensive rate of every column, so a cost limit stays
conservative rather than silently unenforced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Price:
    """USD per million tokens: plain input, 5-minute cache write, cache read, output."""

    input: float
    cache_write: float
    cache_read: float
    output: float


#: Model-name prefix → price; the longest matching prefix wins (dated ids such as
#: ``claude-sonnet-4-5-20250929`` match ``claude-sonnet-4-5``).
PRICES: dict[str, Price] = {
    "claude-fable-5-1": Price(10.0, 12.5, 0.25, 50.0),
    "claude-mythos-5-1": Price(10.0, 12.5, 0.25, 50.0),
    "claude-fable-5": Price(10.0, 12.5, 1.0, 50.0),
    "claude-mythos-5": Price(10.0, 12.5, 1.0, 50.0),
    "claude-opus-5-5": Price(4.0, 5.0, 0.20, 20.0),
    "claude-opus-5": Price(5.0, 6.25, 0.50, 25.0),
    "claude-opus-4-8": Price(5.0, 6.25, 0.50, 25.0),
    "claude-opus-4-7": Price(5.0, 6.25, 0.50, 25.0),
    "claude-opus-4-6": Price(5.0, 6.25, 0.50, 25.0),
    "claude-opus-4-5": Price(5.0, 6.25, 0.50, 25.0),
    "claude-opus-4-1": Price(15.0, 18.75, 1.50, 75.0),
    "claude-opus-4": Price(15.0, 18.75, 1.50, 75.0),
    "claude-sonnet-5-5": Price(2.0, 2.5, 0.10, 10.0),
    "claude-sonnet-5": Price(2.0, 2.5, 0.20, 10.0),
    "claude-sonnet-4": Price(3.0, 3.75, 0.30, 15.0),
    "claude-3-7-sonnet": Price(3.0, 3.75, 0.30, 15.0),
    "claude-haiku-5-5": Price(0.10, 0.125, 0.01, 0.50),
    "claude-haiku-4-5": Price(1.0, 1.25, 0.10, 5.0),
    "claude-3-5-haiku": Price(0.80, 1.0, 0.08, 4.0),
    "claude-3-haiku": Price(0.25, 0.30, 0.03, 1.25),
}

#: Used for a model the table does not know: the maximum of every column.
FALLBACK_PRICE = Price(
    input=max(p.input for p in PRICES.values()),
    cache_write=max(p.cache_write for p in PRICES.values()),
    cache_read=max(p.cache_read for p in PRICES.values()),
    output=max(p.output for p in PRICES.values()),
)


def price_for(model: str) -> tuple[Price, bool]:
    """The price of ``model`` and whether the table knows it (``False``: fallback price)."""
    matches = [prefix for prefix in PRICES if model == prefix or model.startswith(prefix + "-")]
    if not matches:
        return FALLBACK_PRICE, False
    return PRICES[max(matches, key=len)], True


@dataclass
class Usage:
    """Token usage summed over the requests of one step, and its estimated cost.

    ``input`` counts uncached input tokens, ``cache_read`` tokens read from the prompt cache,
    ``cache_write`` tokens written to it, ``output`` generated tokens; ``cost_usd`` is the
    estimate from :data:`PRICES`; ``requests`` counts successful API responses.
    """

    input: int = 0
    cache_read: int = 0
    cache_write: int = 0
    output: int = 0
    cost_usd: float = 0.0
    requests: int = 0

    @property
    def total_input(self) -> int:
        """All input tokens, cached or not."""
        return self.input + self.cache_read + self.cache_write

    def add_response(self, model: str, usage: Any) -> None:
        """Add the ``usage`` object (SDK ``Usage`` or a dict) of one response priced for
        ``model``."""
        def get(name: str) -> int:
            value = usage.get(name) if isinstance(usage, dict) else getattr(usage, name, None)
            return int(value or 0)

        inp, out = get("input_tokens"), get("output_tokens")
        read, write = get("cache_read_input_tokens"), get("cache_creation_input_tokens")
        price, _known = price_for(model)
        self.input += inp
        self.output += out
        self.cache_read += read
        self.cache_write += write
        self.requests += 1
        self.cost_usd += (inp * price.input + write * price.cache_write
                          + read * price.cache_read + out * price.output) / 1_000_000

    def add(self, other: Usage) -> None:
        """Add another step's (or work item's) usage to this one."""
        self.input += other.input
        self.cache_read += other.cache_read
        self.cache_write += other.cache_write
        self.output += other.output
        self.cost_usd += other.cost_usd
        self.requests += other.requests

    def as_dict(self) -> dict[str, float]:
        """The shape of :attr:`connector_factory.models.StepResult.usage`: ``input``,
        ``cache_read``, ``cache_write``, ``output`` (tokens), ``cost_usd`` (rounded to 1e-6)."""
        return {"input": float(self.input), "cache_read": float(self.cache_read),
                "cache_write": float(self.cache_write), "output": float(self.output),
                "cost_usd": round(self.cost_usd, 6)}


@dataclass(frozen=True)
class Limits:
    """What one agent step may spend; reaching any of them stops the step as failed.

    Attributes:
        max_turns: model requests (each response is one turn).
        max_input_tokens: input tokens summed over turns, cached ones included.
        max_output_tokens: output tokens summed over turns; also caps ``max_tokens`` of each
            request to what is left.
        max_wall_s: wall-clock seconds for the whole step, checked between turns and tools.
        max_cost_usd: estimated USD cost from :data:`PRICES`.
    """

    max_turns: int = 40
    max_input_tokens: int = 2_000_000
    max_output_tokens: int = 100_000
    max_wall_s: float = 1800.0
    max_cost_usd: float = 5.0

    def exceeded(self, usage: Usage, turns: int | None, elapsed_s: float | None) -> str | None:
        """The reason a limit is reached after ``turns`` turns and ``elapsed_s`` seconds, or
        ``None``. Turn and wall-time limits are reached when met (``None`` skips them); token and
        cost limits when exceeded."""
        if usage.total_input > self.max_input_tokens:
            return f"input token limit {self.max_input_tokens} exceeded ({usage.total_input})"
        if usage.output > self.max_output_tokens:
            return f"output token limit {self.max_output_tokens} exceeded ({usage.output})"
        if usage.cost_usd > self.max_cost_usd:
            return (f"cost limit ${self.max_cost_usd:.2f} exceeded "
                    f"(estimated ${usage.cost_usd:.4f})")
        if elapsed_s is not None and elapsed_s >= self.max_wall_s:
            return f"wall time limit {self.max_wall_s:g}s reached ({elapsed_s:.1f}s)"
        if turns is not None and turns >= self.max_turns:
            return f"turn limit {self.max_turns} reached"
        return None
