"""Model providers: the offline default and any OpenAI-compatible endpoint."""

from agent.providers.base import Decision, Provider, ProviderError, Usage
from agent.providers.offline import OfflineProvider
from agent.providers.openai_compat import OpenAIProvider


def build_provider(
    model: str | None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float = 60.0,
    max_retries: int = 1,
) -> Provider:
    """The OpenAI-compatible provider when a model is configured (`TASKLOOM_MODEL`), else the
    offline default."""
    if not model:
        return OfflineProvider()
    return OpenAIProvider(
        model=model, base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries
    )


__all__ = [
    "Decision",
    "OfflineProvider",
    "OpenAIProvider",
    "Provider",
    "ProviderError",
    "Usage",
    "build_provider",
]
