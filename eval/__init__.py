"""Scoring kfqa (and baselines) on an eval set: ``run_eval`` is what `kfqa eval` calls."""

from kfqa.eval.runner import run_eval

__all__ = ["run_eval"]
