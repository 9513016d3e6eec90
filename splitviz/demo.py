"""The built-in demo: a small DeepSeek-style decoder, the way vLLM sees one.

Each block is attention + MoE. Attention goes through a custom op, the
splitting op vLLM compiles around. The MoE layer reads ``hidden.shape`` before
routing and reshapes with it after the fused-experts custom op, exactly the
pattern that made a ``torch.Size([s72, 2048])`` cross a split boundary in
production. Sequence length is dynamic, batch is static, so the Size carries
one symbolic dim and two static ones.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["DemoModel", "SPLIT_OPS", "make", "make_inputs"]

#: The demo's splitting ops, as vLLM names them.
SPLIT_OPS = ["splitviz_demo::attention", "splitviz_demo::fused_moe"]


@torch.library.custom_op("splitviz_demo::attention", mutates_args=())
def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Causal attention over ``[batch, heads, seq, head_dim]``."""
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


@attention.register_fake
def _(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.empty_like(q)


@torch.library.custom_op("splitviz_demo::fused_moe", mutates_args=())
def fused_moe(
    hidden: torch.Tensor, weights: torch.Tensor, ids: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor
) -> torch.Tensor:
    """Top-k experts over flat tokens ``[tokens, dim]``; ``w1``: ``[E, dim, ff]``."""
    out = torch.zeros_like(hidden)
    for e in range(w1.shape[0]):
        gate = (weights * (ids == e)).sum(-1, keepdim=True)
        out = out + gate * (F.silu(hidden @ w1[e]) @ w2[e])
    return out


@fused_moe.register_fake
def _(hidden: torch.Tensor, weights: torch.Tensor, ids: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor) -> torch.Tensor:
    return torch.empty_like(hidden)


class RMSNorm(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.o = nn.Linear(dim, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, d = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        out = torch.ops.splitviz_demo.attention(q, k, v)
        return self.o(out.transpose(1, 2).reshape(b, s, d))


class MoE(nn.Module):
    def __init__(self, dim: int, experts: int, top_k: int, ff: int) -> None:
        super().__init__()
        self.top_k = top_k
        self.gate = nn.Linear(dim, experts, bias=False)
        self.w1 = nn.Parameter(torch.randn(experts, dim, ff) * dim**-0.5)
        self.w2 = nn.Parameter(torch.randn(experts, ff, dim) * ff**-0.5)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        orig_shape = hidden.shape  # read before routing ...
        flat = hidden.view(-1, orig_shape[-1])
        weights, ids = torch.topk(torch.softmax(self.gate(flat), dim=-1), self.top_k)
        out = torch.ops.splitviz_demo.fused_moe(flat, weights, ids, self.w1, self.w2)
        return out.view(orig_shape)  # ... and used after the splitting op


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, experts: int, top_k: int, ff: int) -> None:
        super().__init__()
        self.attn_norm = RMSNorm(dim)
        self.attn = Attention(dim, heads)
        self.moe_norm = RMSNorm(dim)
        self.moe = MoE(dim, experts, top_k, ff)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.attn_norm(x))
        return x + self.moe(self.moe_norm(x))


class DemoModel(nn.Module):
    """``num_blocks`` attention + MoE blocks over ``[batch, seq, dim]`` hidden states."""

    def __init__(
        self, num_blocks: int = 2, dim: int = 32, heads: int = 4, experts: int = 4, top_k: int = 2, ff: int = 48
    ) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(Block(dim, heads, experts, top_k, ff) for _ in range(num_blocks))
        self.norm = RMSNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


def make_inputs(batch: int = 2, seq: int = 8, dim: int = 32, seed: int = 0) -> torch.Tensor:
    """Hidden states with the sequence dim marked dynamic."""
    x = torch.randn(batch, seq, dim, generator=torch.Generator().manual_seed(seed))
    torch._dynamo.mark_dynamic(x, 1)
    return x


def make(num_blocks: int = 2) -> tuple[nn.Module, tuple[Any, ...]]:
    """CLI target: ``splitviz check splitviz.demo:make``."""
    torch.manual_seed(0)
    return DemoModel(num_blocks).eval(), (make_inputs(),)


make.split_ops = SPLIT_OPS  # type: ignore[attr-defined]
