"""A graph of tasks, steps, workspace files and citations, written straight through the ORM."""

from __future__ import annotations

from models import Chunk, Citation, KnowledgeDocument, Step, StepDocument, Task, TaskDocument


async def seed_graph(user_id: int, *, tasks: int, steps: int, documents: int) -> None:
    source = await KnowledgeDocument.create(
        owner_id=user_id, filename="source.txt", title="Source", description="d",
        content_type="text/plain", size=10, sha256="0" * 64, status="ready", progress=1.0,
        chunk_count=1,
    )  # fmt: skip
    chunk = await Chunk.create(
        document=source, index=0, content="A cited passage.", start=0, end=16
    )
    await Task.bulk_create(
        [
            Task(owner_id=user_id, title=f"Task {n}", request=f"Do {n}", step_count=steps)
            for n in range(tasks)
        ]
    )
    task_ids = [t.id for t in await Task.filter(owner_id=user_id).order_by("id")]
    await TaskDocument.bulk_create(
        [
            TaskDocument(
                task_id=t,
                filename=f"file{d}.md",
                content_type="text/markdown",
                size=5,
                sha256="0" * 64,
                text="notes",
            )
            for t in task_ids
            for d in range(documents)
        ]
    )
    await Step.bulk_create(
        [
            Step(
                task_id=t,
                index=i,
                input="",
                action={"name": "finish", "parameters": {}, "reasoning": "r", "final": False},
                result={"status": "ok", "details": {}},
            )
            for t in task_ids
            for i in range(steps)
        ]
    )
    files: dict[int, list[int]] = {}
    for row in await TaskDocument.filter(task_id__in=task_ids).values("id", "task_id"):
        files.setdefault(row["task_id"], []).append(row["id"])
    step_rows = await Step.filter(task_id__in=task_ids).values("id", "task_id")
    await StepDocument.bulk_create(
        [
            StepDocument(step_id=s["id"], document_id=f, role="read")
            for s in step_rows
            for f in files.get(s["task_id"], [])
        ]
    )
    await Citation.bulk_create(
        [Citation(step_id=s["id"], chunk=chunk, score=0.5) for s in step_rows]
    )
