"""Limits and settings, each configurable by an environment variable (OPTPLAY_<NAME>).

The README's operations section lists them; keep the two in step.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPTPLAY_")

    max_steps: int = 10_000          # optimizer steps per run
    max_runs: int = 16               # runs per request
    max_state_steps: int = 5_000     # steps when "state": true asks for every step's state
    max_formula_length: int = 2_000  # characters of a typed formula
    max_formula_depth: int = 100     # nesting of a typed formula
    max_grid: int = 400              # points per side of a contour grid
    max_data_points: int = 10_000    # pairs (x, y) of inline data; points per batch
    max_body_bytes: int = 256 * 1024 # request body / WebSocket message size
    max_coordinate: float = 1e6      # |start| and |domain| bounds
    compute_budget_s: float = 10.0   # wall-clock budget of one computation
    ws_messages_per_second: float = 30.0   # sustained WebSocket request rate per socket
    max_concurrent_per_client: int = 4     # computations in flight per client address
    max_computations: int = 4        # computations running at once per worker; others queue
    ws_queue_bytes_per_client: int = 16 * 1024 * 1024   # WebSocket messages waiting to be sent
    cache_entries: int = 256         # LRU of computed answers: entries ...
    cache_bytes: int = 64 * 1024 * 1024   # ... and total bytes (per worker process)
    run_memo_entries: int = 1024     # finished runs remembered (engine/memo.py): entries ...
    run_memo_bytes: int = 32 * 1024 * 1024   # ... and bytes of their JSON (per process)
    cache_max_age_s: int = 3600      # Cache-Control max-age of GET /api/v1/run?q=, /map?q=
    max_map_side: int = 512          # cells per side of a map
    max_map_cells: int = 512 * 512   # cells of a map
    max_map_steps: int = 10_000      # optimizer steps per cell of a map
    max_map_run_steps: int = 150_000_000   # cells x steps of one map (512 x 512 x 500 fits)
    max_tune_n: int = 128            # lr values per run of a tuning (POST /api/v1/tune)
    max_tune_steps: int = 50_000     # runs x steps of one tuning (its lr values step together)
    batch_threads: int = 1           # threads over a map's chunks (1: see engine/batch.py)
    frame_ancestors: str = "*"       # who may frame /embed
    cors_origins: str = ""           # comma-separated origins allowed to call the API


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()


def env_name(name: str) -> str:
    """The environment variable of a setting: "max_steps" -> "OPTPLAY_MAX_STEPS".  Every
    refusal over a limit names it, so an operator knows what to raise."""
    if name not in Settings.model_fields:
        raise KeyError(name)
    return f"OPTPLAY_{name.upper()}"
