"""deploy/gunicorn.conf.py: what a worker does once it has loaded the application."""

import gc
import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def test_a_started_worker_takes_its_loaded_heap_out_of_the_collectors_passes():
    config = runpy.run_path(str(CONFIG))
    try:
        config["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
