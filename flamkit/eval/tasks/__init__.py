"""Registered evaluation tasks; importing this package registers them all (:mod:`flamkit.eval.runner` does).

The catalogue of core evaluation tasks: a new one is a module in this folder, imported here.
"""

from flamkit.eval.tasks import retrieval, sed  # noqa: F401
from flamkit.eval.tasks.base import EvalContext, EvalInputError, EvalTask, TaskResult

__all__ = ["EvalContext", "EvalInputError", "EvalTask", "TaskResult"]
