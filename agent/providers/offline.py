"""The offline default provider: no model, deterministic, extractive.

Within the steps since the user last spoke it: searches with the request (and the latest
message); when passages are relevant, writes `answer.md` made of their most relevant sentences,
each cited as [chunk_id], then finishes with the same answer. With nothing relevant it asks the
user once per task, and when there is still nothing it says so plainly and finishes.

It plans from the task state alone (the history's recorded hits and written files), so any
process can take the next step.

Relevance. Hybrid search always returns neighbours (the vector list has no notion of "nothing
matches") and fused scores are normalised per query, so no store score threshold can tell
"nothing relevant" apart. A passage counts as relevant when it contains enough of the query's
content words (see `agent.text.terms_needed`) and its store score is positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agent.citations import hits_of
from agent.providers.base import Decision
from agent.text import content_terms, overlap, sentences, terms_needed
from agent.tools.registry import ToolSpec
from agent.types import JSONDict, PastStep, TaskState

ANSWER_FILE = "answer.md"
SEARCH_LIMIT = 8
ANSWER_SENTENCES = 4
SENTENCE_CHARS = 500
EXTRACTIVE_NOTE = (
    "Extractive answer from your documents (sentences quoted from the sources, "
    "not written by a model):"
)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the history says happened since the user last spoke."""

    query: str
    episode: tuple[PastStep, ...]
    relevant: list[JSONDict]
    searched: bool
    failed_searches: int
    wrote_answer: bool
    failed_writes: int
    asked_before: bool


class OfflineProvider:
    name = "offline"

    async def decide(self, state: TaskState, tools: Sequence[ToolSpec]) -> Decision:
        offered = {spec.name for spec in tools}
        plan = _read_plan(state)
        if offered == {"finish"}:
            return _finish_now(plan)
        last = plan.episode[-1] if plan.episode else None
        if last is not None and last.action.final and last.result.status == "ok":
            answer = last.result.message or "The task is finished."
            return Decision(
                "finish", {"answer": answer}, "Nothing new since my answer, so I give it again."
            )
        if not plan.searched:
            if plan.failed_searches >= 2:
                return _finish_now(plan)
            return Decision(
                "search_knowledge",
                {"query": plan.query[:1000], "limit": SEARCH_LIMIT},
                "I search your documents for the request first.",
                context_updates={"query": plan.query},
            )
        if plan.relevant:
            sources = [hit["chunk_id"] for hit in plan.relevant if hit.get("chunk_id") is not None]
            if not plan.wrote_answer and plan.failed_writes < 2 and "write_document" in offered:
                return Decision(
                    "write_document",
                    {"filename": ANSWER_FILE, "content": _answer_file(plan)},
                    f"{len(plan.relevant)} passage(s) match the request; I save the most "
                    f"relevant sentences with their citations in {ANSWER_FILE}.",
                    context_updates={"sources": sources, "answer_file": ANSWER_FILE},
                )
            return Decision(
                "finish",
                {"answer": _answer(plan)},
                "The answer is ready; I give it with its citations.",
            )
        if not plan.asked_before and "ask_user" in offered:
            question = (
                f"I found nothing in your documents that answers {plan.query!r}. Could you "
                "rephrase it with the words your documents use, or upload a document that "
                "covers it?"
            )
            return Decision(
                "ask_user",
                {"question": question},
                "No passage matches the request, so I ask you once for more to go on.",
            )
        return _finish_now(plan)


def _read_plan(state: TaskState) -> _Plan:
    count = 0 if state.message else state.steps_since_user_message
    episode = state.history[max(0, len(state.history) - count) :] if count else ()
    latest = state.latest_user_message
    query = state.request if latest == state.request else f"{state.request}\n{latest}"
    written = _written_ids(state.history)
    searches = [s for s in episode if s.action.name == "search_knowledge"]
    done = [s for s in searches if s.result.status == "ok"]
    hits = hits_of(done[-1].result.details) if done else []
    writes = [s for s in episode if s.action.name == "write_document"]
    return _Plan(
        query=query,
        episode=tuple(episode),
        relevant=_relevant(hits, content_terms(query), written),
        searched=bool(done),
        failed_searches=len(searches) - len(done),
        wrote_answer=any(s.result.status == "ok" for s in writes),
        failed_writes=sum(1 for s in writes if s.result.status == "error"),
        asked_before=any(
            s.action.name == "ask_user" and s.result.status != "error" for s in state.history
        ),
    )


def _written_ids(history: Sequence[PastStep]) -> set[str]:
    """Files the agent wrote itself: its own answers are not sources."""
    ids: set[str] = set()
    for step in history:
        document = step.result.details.get("document")
        if step.action.name == "write_document" and isinstance(document, dict):
            ids.add(str(document.get("id")))
    return ids


def _relevant(hits: list[JSONDict], query_terms: set[str], written: set[str]) -> list[JSONDict]:
    needed = terms_needed(query_terms)
    relevant = []
    for hit in hits:
        content, score = hit.get("content"), hit.get("score")
        if not isinstance(content, str) or not isinstance(score, int | float) or score <= 0:
            continue
        if str(hit.get("document_id")) in written:
            continue
        if query_terms and overlap(query_terms, content) >= needed:
            relevant.append(hit)
    return relevant


def _marker(hit: JSONDict) -> str:
    chunk_id = hit.get("chunk_id")
    return f"[{chunk_id}]" if chunk_id is not None else f"[{hit.get('document_title', 'source')}]"


def _best_sentences(plan: _Plan) -> list[tuple[str, JSONDict]]:
    """The sentences sharing most query terms; ties go to the better-ranked passage."""
    terms = content_terms(plan.query)
    scored: list[tuple[int, int, int, str, JSONDict]] = []
    for rank, hit in enumerate(plan.relevant):
        for position, sentence in enumerate(sentences(str(hit["content"]))):
            shared = overlap(terms, sentence)
            if shared:
                scored.append((-shared, rank, position, sentence[:SENTENCE_CHARS], hit))
    scored.sort(key=lambda item: item[:3])
    chosen: list[tuple[str, JSONDict]] = []
    for _, _, _, sentence, hit in scored:
        if all(sentence != seen for seen, _ in chosen):
            chosen.append((sentence, hit))
        if len(chosen) == ANSWER_SENTENCES:
            break
    return chosen


def _answer(plan: _Plan) -> str:
    chosen = _best_sentences(plan)
    lines = [EXTRACTIVE_NOTE, ""]
    lines += [f"- {sentence} {_marker(hit)}" for sentence, hit in chosen]
    cited: dict[str, str] = {}
    for _, hit in chosen:
        cited.setdefault(_marker(hit), str(hit.get("document_title", "")))
    lines += ["", "Sources: " + "; ".join(f"{mark} {title}" for mark, title in cited.items())]
    return "\n".join(lines)


def _answer_file(plan: _Plan) -> str:
    question = plan.query.replace("\n", " / ")
    return f"# Answer\n\n**Question:** {question}\n\n{_answer(plan)}\n"


def _finish_now(plan: _Plan) -> Decision:
    if plan.relevant:
        return Decision("finish", {"answer": _answer(plan)}, "I give the extractive answer I have.")
    if plan.failed_searches and not plan.searched:
        answer = "I could not search your documents, so I have no answer. Please try again later."
        return Decision("finish", {"answer": answer}, "The search kept failing, so I stop here.")
    if plan.searched:
        answer = (
            f"I found nothing in your documents about {plan.query!r}, so I cannot answer it. "
            "Upload a document that covers it, or ask again in other words."
        )
        return Decision(
            "finish",
            {"answer": answer},
            "Still nothing relevant and no new information, so I stop and say so.",
        )
    answer = "I stopped before finding an answer. Send a message to try again."
    return Decision("finish", {"answer": answer}, "I am out of steps, so I stop here.")
