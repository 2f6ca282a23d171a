"""The OpenAI-compatible provider through the real openai client against the local fake server:
every failure becomes a recorded error step, and the next step still works."""

import socket

import openai
import pytest

from agent import OpenAIProvider
from tests.agent.conftest import MemoryWorkspace, TaskDriver, error_of
from tests.fakes.openai_server import (
    FakeOpenAI,
    Reply,
    error_reply,
    fake_embedding,
    hang,
    text_reply,
    tool_call,
)

REQUEST = "What is the boiling point of zortium?"


@pytest.fixture
async def make_task(fake_openai: FakeOpenAI, workspace: MemoryWorkspace):
    providers: list[OpenAIProvider] = []

    def make(timeout: float = 10.0, max_retries: int = 0, **options) -> TaskDriver:
        provider = OpenAIProvider(
            model="fake-model",
            base_url=fake_openai.base_url,
            api_key="test",
            timeout=timeout,
            max_retries=max_retries,
        )
        providers.append(provider)
        return TaskDriver(REQUEST, workspace, provider, **options)

    yield make
    for provider in providers:
        await provider.aclose()


async def test_a_tool_call_becomes_a_step(fake_openai, make_task, workspace):
    [chunk] = workspace.add_knowledge("Metals", "Zortium boils at 2417 degrees.")
    fake_openai.queue_chat(
        tool_call("search_knowledge", {"query": "zortium boiling point"}, content="Let me look."),
        tool_call("finish", {"answer": f"2417 degrees [{chunk}]."}),
    )
    task = make_task()
    searched = await task.step()
    assert searched.result.status == "ok" and searched.action.reasoning == "Let me look."
    assert searched.action.parameters == {"query": "zortium boiling point", "limit": 5}
    usage = searched.result.details["usage"]
    assert usage["tokens_in"] > 0 and usage["tokens_out"] > 0
    final = await task.step()
    assert final.action.final and final.result.message == f"2417 degrees [{chunk}]."
    assert final.action.reasoning == "The model chose finish."
    assert [c.chunk_id for c in final.citations] == [chunk]

    first, second = fake_openai.chat_requests()
    assert set(first) == {"model", "messages", "tools"}  # nothing a local server could refuse
    assert first["model"] == "fake-model"
    assert [t["function"]["name"] for t in first["tools"]] == task.tools.names()
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert first["messages"][1]["content"] == REQUEST
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "tool"]
    call = second["messages"][2]["tool_calls"][0]
    assert call["function"]["name"] == "search_knowledge"
    assert second["messages"][3]["tool_call_id"] == call["id"]
    assert "Zortium boils at 2417 degrees." in second["messages"][3]["content"]


@pytest.mark.parametrize(
    ("reply", "code", "complaint"),
    [
        (tool_call("search_knowledge", '{"query": "zort'), "invalid_arguments", "not valid JSON"),
        (tool_call("search_knowledge", '["zortium"]'), "invalid_arguments", "not a JSON object"),
        (tool_call("search_knowledge", {"q": "zortium"}), "invalid_arguments", "unknown 'q'"),
        (tool_call("browse_web", {"url": "x"}), "unknown_tool", "Unknown tool 'browse_web'"),
        (error_reply(429, "slow down"), "rate_limited", "HTTP 429"),
        (error_reply(500, "Traceback: secret"), "model_unavailable", "HTTP 500"),
        (error_reply(503), "model_unavailable", "HTTP 503"),
        (error_reply(401), "unauthorized", "refused the API key"),
        (error_reply(400, "context too long"), "rejected", "HTTP 400): context too long"),
        (text_reply(""), "empty_response", "neither a tool call nor text"),
    ],
)
async def test_each_failure_is_an_error_step_and_the_task_goes_on(
    fake_openai, make_task, reply, code, complaint
):
    fake_openai.queue_chat(reply, tool_call("list_documents", {}))
    task = make_task()
    failed = await task.step()
    assert failed.result.status == "error" and not failed.action.final
    assert failed.result.details["error_code"] == code
    assert complaint in error_of(failed)
    assert "Traceback" not in repr(failed)
    recovered = await task.step()
    assert recovered.result.status == "ok" and recovered.action.name == "list_documents"


async def test_malformed_arguments_are_shown_back_to_the_model(fake_openai, make_task):
    fake_openai.queue_chat(tool_call("finish", '{"answer": '), tool_call("list_documents", {}))
    task = make_task()
    failed = await task.step()
    assert failed.action.name == "finish"
    assert failed.action.parameters == {"_raw_arguments": '{"answer": '}
    await task.step()
    replayed = fake_openai.chat_requests()[1]["messages"]
    assert replayed[2]["tool_calls"][0]["function"]["name"] == "finish"
    assert "not valid JSON" in replayed[3]["content"]


async def test_a_time_out_is_an_error_step(fake_openai, make_task):
    fake_openai.queue_chat(hang(), tool_call("list_documents", {}))
    task = make_task(timeout=0.3)
    failed = await task.step()
    assert failed.result.details["error_code"] == "timeout"
    assert failed.result.error == "The model did not answer within 0.3 seconds."
    assert failed.action.name == "none"
    task.provider = make_task(timeout=10.0).provider  # a busy machine must not fail the retry
    assert (await task.step()).result.status == "ok"
    # The model never answered, so the failed step is not replayed to it as a tool call.
    assert [m["role"] for m in fake_openai.chat_requests()[1]["messages"]] == ["system", "user"]


async def test_an_unreachable_endpoint_is_an_error_step(workspace):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = OpenAIProvider(
        model="m", base_url=f"http://127.0.0.1:{port}/v1", api_key="k", max_retries=0
    )
    outcome = await TaskDriver(REQUEST, workspace, provider).step()
    await provider.aclose()
    assert outcome.result.details["error_code"] == "unreachable"
    assert f"127.0.0.1:{port}" in error_of(outcome)


async def test_transient_errors_are_retried_by_the_client(fake_openai, make_task):
    immediately = {"retry-after-ms": "1"}
    fake_openai.queue_chat(error_reply(500, headers=immediately), tool_call("list_documents", {}))
    outcome = await make_task(max_retries=1).step()
    assert outcome.result.status == "ok"
    assert len(fake_openai.chat_requests()) == 2


async def test_a_plain_text_answer_is_taken_as_the_final_answer(fake_openai, make_task):
    fake_openai.queue_chat(text_reply("Zortium boils at 2417 degrees."))
    outcome = await make_task().step()
    assert outcome.action.final and outcome.action.name == "finish"
    assert outcome.result.message == "Zortium boils at 2417 degrees."
    assert "plain text" in outcome.action.reasoning
    assert outcome.result.details["plain_text_answer"] is True


async def test_only_the_first_of_several_tool_calls_runs(fake_openai, make_task):
    function = {"name": "list_documents", "arguments": "{}"}
    calls = [{"id": f"call_{i}", "type": "function", "function": function} for i in (1, 2)]
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    fake_openai.queue_chat(Reply(message=message, finish_reason="tool_calls"))
    outcome = await make_task().step()
    assert outcome.result.status == "ok" and outcome.result.details["ignored_tool_calls"] == 1


async def test_the_last_step_offers_only_finish_and_ends_the_task(fake_openai, make_task):
    fake_openai.queue_chat(
        tool_call("list_documents", {}),
        tool_call("list_documents", {}),  # ignores that finish is the only tool left
    )
    task = make_task(max_steps=2)
    await task.step()
    forced = await task.step()
    assert forced.action.final and forced.result.details["forced"] is True
    last_request = fake_openai.chat_requests()[-1]
    assert [t["function"]["name"] for t in last_request["tools"]] == ["finish"]
    assert "This is your last step" in last_request["messages"][0]["content"]


async def test_the_fake_embeddings_endpoint(fake_openai):
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="k", max_retries=0)
    as_base64 = await client.embeddings.create(model="e", input=["zortium", "iron"])
    as_floats = await client.embeddings.create(
        model="e", input="zortium", encoding_format="float", dimensions=4
    )
    fake_openai.fail_embeddings(503)
    with pytest.raises(openai.InternalServerError):
        await client.embeddings.create(model="e", input="zortium")
    await client.close()
    assert [d.embedding for d in as_base64.data] == [
        fake_embedding("zortium", 8),
        fake_embedding("iron", 8),
    ]
    assert as_floats.data[0].embedding == fake_embedding("zortium", 4)
    assert abs(sum(v * v for v in fake_embedding("zortium", 8)) - 1.0) < 1e-6
    assert [r["input"] for r in fake_openai.embedding_requests()] == [
        ["zortium", "iron"],
        "zortium",
        "zortium",
    ]
