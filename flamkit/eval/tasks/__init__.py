"""Registered evaluation tasks (importing this package registers them)."""

from flamkit.eval.tasks import retrieval, sed  # noqa: F401
from flamkit.eval.tasks.base import EvalContext, EvalInputError, EvalTask, TaskResult

__all__ = ["EvalContext", "EvalInputError", "EvalTask", "TaskResult"]
