"""Tasks: what differs between the kinds of model textrnn trains, one class per kind.

A :class:`Task` owns how its examples are batched, how its model is built, how the trained model
is scored on the test split, which order-blind baselines it is compared with and what its
SavedModel serves. The pipeline's stages orchestrate whichever task ``make`` returns and hold no
branch on its kind; a new kind of model is a new module here, registered in :data:`TASKS`.

Example:

>>> task = make({"name": "classification"})
>>> task.name
'classification'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textrnn.tasks.base import Exported, Scored, Task
from textrnn.tasks.classification import Classification
from textrnn.tasks.language_model import LanguageModel
from textrnn.tasks.tagging import Tagging

TASKS: dict[str, type[Task]] = {task.name: task for task in (Classification, LanguageModel, Tagging)}

__all__ = ["TASKS", "Classification", "Exported", "LanguageModel", "Scored", "Tagging", "Task", "make"]


def make(settings: Mapping[str, Any]) -> Task:
    """The task ``settings["name"]`` names, built from the rest of ``settings`` (its constructor's arguments)."""
    name = settings.get("name")
    if name not in TASKS:
        raise ValueError(f"name must be one of {sorted(TASKS)}, got {name!r}")
    return TASKS[name](**{key: value for key, value in settings.items() if key != "name"})
