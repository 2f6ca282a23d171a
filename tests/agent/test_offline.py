"""The offline default provider, through the engine, over the in-memory workspace."""

import dataclasses
import json

from agent import OfflineProvider
from agent.providers.offline import ANSWER_FILE, EXTRACTIVE_NOTE
from agent.text import content_terms, sentences, stem
from tests.agent.conftest import MemoryWorkspace, TaskDriver, message_of

REPORT = (
    "The Lisbon plant opened in 2019. Its output doubled within two years. "
    "The boiling point of zortium is 2417 degrees Celsius, measured in the Lisbon laboratory. "
    "Staff numbers stayed flat."
)


def seeded() -> MemoryWorkspace:
    workspace = MemoryWorkspace()
    workspace.add_knowledge("Gardening", "Tomatoes need six hours of sun a day.")
    workspace.add_knowledge("Cooking", "Pasta water should taste of the sea.", "Boil it hard.")
    return workspace


def task(workspace: MemoryWorkspace, request: str, **options) -> TaskDriver:
    # A fresh provider every step would plan the same: it keeps no state of its own.
    return TaskDriver(request, workspace, OfflineProvider(), **options)


async def test_finds_the_fact_in_an_uploaded_document_and_cites_its_chunk():
    workspace = seeded()
    file_id = workspace.add_file("report.txt", REPORT)
    chunk = workspace.chunk_of(file_id)
    driver = task(workspace, "What is the boiling point of zortium?")
    final = await driver.run_until_final(limit=5)
    assert len(driver.outcomes) <= 3
    assert [o.action.name for o in driver.outcomes] == [
        "search_knowledge",
        "write_document",
        "finish",
    ]
    answer = message_of(final)
    assert "2417 degrees Celsius" in answer and f"[{chunk}]" in answer
    assert answer.startswith(EXTRACTIVE_NOTE) and "report.txt" in answer
    assert "Tomatoes" not in answer and "Staff numbers" not in answer
    assert [c.chunk_id for c in final.citations] == [chunk]
    written = driver.outcomes[1]
    [answer_id] = written.documents_written
    assert workspace.files[answer_id].filename == ANSWER_FILE
    assert "2417 degrees Celsius" in (workspace.files[answer_id].text or "")
    assert [c.chunk_id for c in written.citations] == [chunk]
    assert driver.context["sources"] == [chunk]
    assert workspace.searches == ["What is the boiling point of zortium?"]
    for outcome in driver.outcomes:  # the service stores all of it as JSON
        json.loads(json.dumps(dataclasses.asdict(outcome)))


async def test_asks_once_then_says_plainly_it_found_nothing():
    workspace = seeded()
    driver = task(workspace, "Who won the 1962 chess olympiad?")
    searched = await driver.step()
    assert searched.action.name == "search_knowledge" and searched.result.details["hits"]
    asked = await driver.step()
    assert asked.action.name == "ask_user" and asked.result.status == "waiting"
    assert not asked.action.final and "found nothing" in message_of(asked)
    gave_up = await driver.step()  # stepped again without new information
    assert gave_up.action.final and gave_up.action.name == "finish"
    assert message_of(gave_up).startswith("I found nothing in your documents")
    assert gave_up.citations == ()


async def test_a_new_message_after_the_question_searches_again():
    workspace = seeded()
    workspace.add_file("report.txt", REPORT)
    driver = task(workspace, "How hot must it get?")
    await driver.step()
    assert (await driver.step()).action.name == "ask_user"
    again = await driver.step("I mean the boiling point of zortium")
    assert again.action.name == "search_knowledge"
    assert "boiling point of zortium" in again.action.parameters["query"]
    final = await driver.run_until_final(limit=3)
    assert "2417" in message_of(final)


async def test_the_agents_own_answer_file_is_not_a_source():
    workspace = seeded()
    workspace.add_file("report.txt", REPORT)
    driver = task(workspace, "What is the boiling point of zortium?")
    first = await driver.run_until_final()
    await driver.step("And what is the boiling point of zortium in the report?")
    again = await driver.run_until_final()
    cited = {c.chunk_id for c in again.citations}
    assert cited == {c.chunk_id for c in first.citations}


async def test_stepping_a_finished_task_without_a_message_repeats_the_answer():
    workspace = seeded()
    workspace.add_file("report.txt", REPORT)
    driver = task(workspace, "What is the boiling point of zortium?")
    final = await driver.run_until_final()
    repeat = await driver.step()
    assert repeat.action.final and repeat.result.message == final.result.message


async def test_the_step_bound_cuts_it_short_with_the_answer_it_has():
    workspace = seeded()
    workspace.add_file("report.txt", REPORT)
    driver = task(workspace, "What is the boiling point of zortium?", max_steps=2)
    await driver.step()
    forced = await driver.step()
    assert forced.action.final and "2417" in message_of(forced)
    assert forced.result.details["forced"] is True and forced.citations


async def test_a_failing_search_is_retried_once_then_reported():
    workspace = seeded()
    workspace.search_error = RuntimeError("index down")
    driver = task(workspace, "What is the boiling point of zortium?")
    final = await driver.run_until_final(limit=4)
    assert [o.result.status for o in driver.outcomes] == ["error", "error", "ok"]
    assert message_of(final).startswith("I could not search your documents")


def test_stemming_folds_inflections():
    assert {stem(w) for w in ("boils", "boiled", "boiling")} == {"boil"}
    assert stem("studies") == "study" and stem("glass") == "glass" and stem("status") == "status"
    assert content_terms("What is the boiling point?") == {"boil", "point"}


def test_sentences_split_prose_and_lists_but_not_wrapped_lines():
    text = "First one. Second one!\n\n- item one\n- item two\n\nA line\nwrapped here. 3 cats."
    assert sentences(text) == [
        "First one.",
        "Second one!",
        "- item one",
        "- item two",
        "A line wrapped here.",
        "3 cats.",
    ]
