"""kfqa: cited answers over the Kubeflow security self-assessment, its reviews, audit and docs.

Importing it has no side effects; entry points call ``kfqa.config.apply_runtime_env()``.
"""
