"""Scheduling's HTTP API (entrypoints room): request and response models in `models`, one router
per tag (`sessions`, `records`). Each endpoint parses, calls one use case or one query (which
checks who may call it) and shapes the answer."""
