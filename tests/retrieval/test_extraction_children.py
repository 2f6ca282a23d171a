"""At most TASKLOOM_EXTRACTION_CHILDREN extraction children are alive at once in one process,
however many threads extract. Each child of `hold_a_child` records the most children it saw
alive at once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from infra.settings.environment import settings_from_env
from retrieval.extraction import run_isolated, set_extraction_children
from retrieval.extraction.slots import CHILD_SLOTS, DEFAULT_CHILDREN
from retrieval.extraction.sniff import PLAIN

HOLD = "tests.retrieval.hostile_parsers:hold_a_child"


@pytest.fixture
def restore_the_cap() -> Iterator[None]:
    before = CHILD_SLOTS.limit
    yield
    set_extraction_children(before)


@pytest.mark.parametrize("cap", [1, 2])
def test_no_more_children_than_the_cap_are_alive_at_once(
    tmp_path: Path, cap: int, restore_the_cap: None
) -> None:
    set_extraction_children(cap)
    path = tmp_path / "input.txt"
    path.write_text("content")
    extractions = 3 * cap
    with ThreadPoolExecutor(max_workers=extractions) as pool:
        results = list(pool.map(lambda _: run_isolated(HOLD, path, PLAIN), range(extractions)))
    assert results == ["held"] * extractions
    peaks = [int(peak.read_text()) for peak in tmp_path.glob("*.peak")]
    assert len(peaks) == extractions
    assert max(peaks) == cap  # never more; and as many as allowed did run side by side


def test_the_cap_is_a_setting(tmp_path: Path) -> None:
    env = {"TASKLOOM_DATA_DIR": str(tmp_path)}
    assert settings_from_env(env).retrieval.extraction_children == DEFAULT_CHILDREN == 2
    env["TASKLOOM_EXTRACTION_CHILDREN"] = "5"
    assert settings_from_env(env).retrieval.extraction_children == 5
