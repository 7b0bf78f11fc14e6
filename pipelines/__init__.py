"""Stage entry points: ``python -m pipelines.<stage> [hydra overrides]`` (dvc.yaml runs them)."""
