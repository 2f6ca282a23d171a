"""Any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp) through function calling.

Only widely supported request fields are sent (model, messages, tools, optional temperature), so
local servers accept the request. Every failure becomes a ProviderError with a plain message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessage

from agent.prompt import build_messages
from agent.providers.base import Decision, ProviderError, Usage
from agent.tools.registry import ToolSpec
from agent.types import TaskState

RAW_ARGUMENTS_CHARS = 2000


class OpenAIProvider:
    name = "openai"

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 1,
        temperature: float | None = None,
        max_history_steps: int = 40,
        client: openai.AsyncOpenAI | None = None,
    ) -> None:
        """`api_key` may be None for local servers that ignore it (the client insists on one, so a
        placeholder is sent). `timeout` is per HTTP attempt, `max_retries` the client's retries on
        429, 5xx and connection errors (it honours Retry-After)."""
        self.model = model
        self.timeout = timeout
        self.temperature = temperature
        self.max_history_steps = max_history_steps
        self._client = client or openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",
            timeout=timeout,
            max_retries=max_retries,
        )

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def aclose(self) -> None:
        await self._client.close()

    async def decide(self, state: TaskState, tools: Sequence[ToolSpec]) -> Decision:
        steps_left = state.steps_left if state.steps_left is not None else 10
        messages = build_messages(
            state, steps_left=steps_left, max_history_steps=self.max_history_steps
        )
        extra: dict[str, Any] = {}
        if self.temperature is not None:
            extra["temperature"] = self.temperature
        body = {
            "model": self.model,
            "messages": messages,
            "tools": [_tool_param(spec) for spec in tools],
            **extra,
        }
        try:
            # The client's own `create` walks every message through its typed-dict transform,
            # ~50 ms for a long history; the body is already in wire format, so post it as is.
            completion = await self._client.post(
                "/chat/completions", body=body, cast_to=ChatCompletion
            )
        except openai.OpenAIError as error:
            raise _provider_error(error, self) from None
        return parse_completion(completion, {spec.name for spec in tools})


def _tool_param(spec: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": spec.name,
            "description": spec.description,
            "parameters": spec.parameters,
        },
    }


def parse_completion(completion: ChatCompletion, offered: set[str]) -> Decision:
    """The first tool call of the first choice; plain text is taken as a final answer."""
    usage = Usage()
    if completion.usage is not None:
        usage = Usage(completion.usage.prompt_tokens, completion.usage.completion_tokens)
    if not completion.choices:
        raise ProviderError("bad_response", "The model returned no choices.", usage=usage)
    message = completion.choices[0].message
    text = (message.content or "").strip()
    calls = [call for call in message.tool_calls or () if call.type == "function"]
    if calls:
        call = calls[0].function  # type: ignore[union-attr]  # filtered on type above
        notes = {"ignored_tool_calls": len(calls) - 1} if len(calls) > 1 else {}
        arguments = _parse_arguments(call.name, call.arguments, usage)
        reasoning = text or _reasoning_field(message) or f"The model chose {call.name}."
        return Decision(call.name, arguments, reasoning, usage, notes=notes)
    if message.tool_calls:
        raise ProviderError(
            "bad_response", "The model made a tool call of an unsupported kind.", usage=usage
        )
    if text and "finish" in offered:
        reasoning = (
            "The model answered in plain text without calling a tool; "
            "its text is taken as the final answer."
        )
        return Decision(
            "finish", {"answer": text}, reasoning, usage, notes={"plain_text_answer": True}
        )
    if text:
        raise ProviderError(
            "no_tool_call", "The model answered in text instead of calling a tool.", usage=usage
        )
    raise ProviderError(
        "empty_response", "The model returned neither a tool call nor text.", usage=usage
    )


def _parse_arguments(tool: str, raw: str, usage: Usage) -> dict[str, Any]:
    try:
        arguments = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        raise ProviderError(
            "invalid_arguments",
            f"The model called {tool} with arguments that are not valid JSON.",
            tool=tool,
            raw_arguments=raw[:RAW_ARGUMENTS_CHARS],
            usage=usage,
        ) from None
    if not isinstance(arguments, dict):
        raise ProviderError(
            "invalid_arguments",
            f"The model called {tool} with arguments that are not a JSON object.",
            tool=tool,
            raw_arguments=raw[:RAW_ARGUMENTS_CHARS],
            usage=usage,
        )
    return arguments


def _reasoning_field(message: ChatCompletionMessage) -> str:
    """Reasoning some servers return beside the content (vLLM, Ollama: `reasoning_content`)."""
    extra = message.model_extra or {}
    for key in ("reasoning_content", "reasoning"):
        value = extra.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:2000]
    return ""


def _provider_error(error: openai.OpenAIError, provider: OpenAIProvider) -> ProviderError:
    if isinstance(error, openai.APITimeoutError):
        return ProviderError(
            "timeout", f"The model did not answer within {provider.timeout:g} seconds."
        )
    if isinstance(error, openai.APIConnectionError):
        return ProviderError("unreachable", f"Could not reach the model at {provider.base_url}.")
    if isinstance(error, openai.RateLimitError):
        return ProviderError(
            "rate_limited",
            "The model endpoint is rate limiting requests (HTTP 429); try again later.",
        )
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return ProviderError(
            "unauthorized", f"The model endpoint refused the API key (HTTP {error.status_code})."
        )
    if isinstance(error, openai.NotFoundError):
        return ProviderError(
            "not_found", f"The model {provider.model!r} was not found at the endpoint (HTTP 404)."
        )
    if isinstance(error, openai.APIStatusError) and error.status_code >= 500:
        return ProviderError(
            "model_unavailable", f"The model endpoint failed (HTTP {error.status_code})."
        )
    if isinstance(error, openai.APIStatusError):
        return ProviderError(
            "rejected",
            f"The model endpoint rejected the request (HTTP {error.status_code}): "
            f"{_short(_error_text(error))}",
        )
    return ProviderError("bad_response", "The model endpoint sent an answer that cannot be read.")


def _error_text(error: openai.APIStatusError) -> str:
    """The server's own error message when it sent one, without the client's prefix."""
    body = error.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return error.message


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
