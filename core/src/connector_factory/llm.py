"""The LLM handle: a thin provider interface, with one implementation on the ``anthropic`` SDK.

The handle is absent (``None``) when no API key is configured, so every step says whether it can
run without one. ``anthropic`` is imported only when a request is made, never on the
``cf --help`` path (importing it costs about a second).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

#: Model used when neither ``--model`` nor ``CF_MODEL`` names one.
DEFAULT_MODEL = "claude-sonnet-4-6"
DEFAULT_MAX_TOKENS = 8192


class LLM(Protocol):
    """What a step may ask of a language model.

    ``create_message(**params)`` sends one Messages API request (``system``, ``messages``,
    ``tools`` … as in the Anthropic Messages API) with the handle's model and max tokens unless
    given, and returns the SDK's response object.
    """

    model: str
    max_tokens: int

    def create_message(self, **params: Any) -> Any: ...


@dataclass
class AnthropicLLM:
    """:class:`LLM` on the ``anthropic`` SDK.

    Args:
        api_key: the API key (never stored in state, logs or transcripts).
        model: model name.
        max_tokens: default ``max_tokens`` per request.
        base_url: API base URL; ``None`` uses the SDK's default or ``ANTHROPIC_BASE_URL``.
        max_retries: SDK retries on 429/529/5xx, with the SDK's backoff.
    """

    api_key: str
    model: str = DEFAULT_MODEL
    max_tokens: int = DEFAULT_MAX_TOKENS
    base_url: str | None = None
    max_retries: int = 4
    timeout_s: float = 600.0

    def __post_init__(self) -> None:
        self._client: Any = None

    def __repr__(self) -> str:
        return f"AnthropicLLM(model={self.model!r}, base_url={self.base_url!r})"

    @property
    def client(self) -> Any:
        """The ``anthropic.Anthropic`` client, created (and the SDK imported) on first use."""
        if self._client is None:
            import anthropic

            self._client = anthropic.Anthropic(
                api_key=self.api_key,
                base_url=self.base_url,
                max_retries=self.max_retries,
                timeout=self.timeout_s,
            )
        return self._client

    def create_message(self, **params: Any) -> Any:
        """Send one ``messages.create`` request; see :class:`LLM`."""
        params.setdefault("model", self.model)
        params.setdefault("max_tokens", self.max_tokens)
        return self.client.messages.create(**params)


def llm_from_env(model: str | None = None, api_key: str | None = None) -> LLM | None:
    """The LLM handle for this run, or ``None`` when no API key is available.

    The key comes from ``api_key`` or ``ANTHROPIC_API_KEY``; the model from ``model``,
    ``CF_MODEL`` or :data:`DEFAULT_MODEL`; the base URL from ``ANTHROPIC_BASE_URL``.
    """
    key = api_key or os.environ.get("ANTHROPIC_API_KEY")
    if not key:
        return None
    return AnthropicLLM(
        api_key=key,
        model=model or os.environ.get("CF_MODEL") or DEFAULT_MODEL,
        base_url=os.environ.get("ANTHROPIC_BASE_URL") or None,
    )
