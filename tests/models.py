"""Small programs the engine tests share. Each reads sizes in a different way
around a splitting op (``aten::sigmoid`` unless said otherwise)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

sigmoid = torch.ops.aten.sigmoid.default
SPLIT = ["aten::sigmoid"]


def dyn(*shape: int, dims: tuple[int, ...] = (0,)) -> torch.Tensor:
    """A random tensor with ``dims`` marked dynamic."""
    x = torch.randn(*shape)
    for d in dims:
        torch._dynamo.mark_dynamic(x, d)
    return x


#: A CLI target file: the seed's example behind a ``make()`` factory.
TARGET_SOURCE = """
import torch

def model(x):
    shape = x.shape
    y = torch.ops.aten.sigmoid.default(x)
    return y.clone().view(shape)

def make():
    x = torch.randn(4, 8)
    torch._dynamo.mark_dynamic(x, 0)
    return model, (x,)

make.split_ops = ["aten::sigmoid"]
"""


# -- the five scenarios of the original write-up ---------------------------------------------

def whole_shape_boundary(x: torch.Tensor) -> torch.Tensor:
    shape = x.shape
    x = sigmoid(x)
    return x.clone().view(shape)


def symint_crosses_boundaries(x: torch.Tensor) -> torch.Tensor:
    n = x.size(0)
    y = sigmoid(x)
    y = sigmoid(y * 2)
    return y.view(n, -1) + y.reshape(n, -1)


def moe_shape_boundary(hidden: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
    """The production MoE pattern: shape read before routing, used after."""
    orig_shape = hidden.shape
    flat = hidden.view(-1, orig_shape[-1])
    routed = sigmoid(flat @ gate) @ gate.t()
    return routed.view(orig_shape)


def size_in_multiple_consumers(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    size = x.size()
    z1 = sigmoid(x)
    y1 = y.view(size)
    z2 = sigmoid(z1)
    y2 = y.view(size)
    return z2 + y1 + y2


def metadata_everywhere(x: torch.Tensor) -> torch.Tensor:
    s = x.shape
    h = sigmoid(x + 1)
    return h.reshape(s) * 2


# -- signature classes: where a Size can sit in a consumer's arguments ------------------------

def varargs_view(x: torch.Tensor) -> torch.Tensor:
    s = x.shape
    return sigmoid(x).contiguous().view(s)


def varargs_reshape_expand(x: torch.Tensor) -> torch.Tensor:
    s = x.size()
    y = sigmoid(x)
    return y.reshape(s) + y[:1].expand(s)


def positional_among_others(x: torch.Tensor) -> torch.Tensor:
    s = x.shape
    y = sigmoid(x)
    noise = torch.full(s, 0.5)  # torch.full(size, fill_value)
    return y + noise + torch.randint(1, s).to(y.dtype)  # randint(high, size): always 0


def keyword_size(x: torch.Tensor) -> torch.Tensor:
    s = x.shape
    y = sigmoid(x)
    return y + torch.zeros(size=s) + torch.ones(size=s, dtype=y.dtype)


def method_new_zeros(x: torch.Tensor) -> torch.Tensor:
    s = x.size()
    y = sigmoid(x)
    return y.new_ones(s) * y + y.new_zeros(s)


def intermediate_size(x: torch.Tensor) -> torch.Tensor:
    h = torch.cat([x, x], dim=0)  # dims (2*s0, 8)
    s = h.shape
    y = sigmoid(h)
    return y.flatten().view(s)


def two_dynamic_dims(x: torch.Tensor) -> torch.Tensor:
    s = x.shape
    y = sigmoid(x.transpose(0, 1)).transpose(0, 1)
    return y.reshape(s) + x.new_zeros(s)


def size_across_two_splits(x: torch.Tensor) -> torch.Tensor:
    s = x.shape
    y = sigmoid(x)
    a = y.view(s) * 2
    z = sigmoid(a)
    return z.reshape(s) + a.view(s)


def sdpa_attention(q: torch.Tensor) -> torch.Tensor:
    shape = q.shape
    out = F.scaled_dot_product_attention(q, q, q)
    return out.reshape(shape) + 1
