"""Scoring kfqa (and baselines) on an eval set: ``run_eval`` is what `kfqa eval` calls."""

from eval.runner import run_eval

__all__ = ["run_eval"]
