from __future__ import annotations

import os

import pytest
import torch

# Keep Inductor's compile threads in check on small CI machines.
os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)

