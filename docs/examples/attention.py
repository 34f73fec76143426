"""Attention: the two layers on the article's sizes, the weights of equal scores, each
query step alone, and every backward against central differences."""

# --8<-- [start:layers]
import numpy as np

import minilstm as ml

rng = np.random.default_rng(0)
N, T, H = 2, 24, 75  # windows, steps, units: the article's sizes
# Stand-ins for the encoder's and the decoder's hidden states, in (-1, 1) like h.
enc_out = np.tanh(rng.normal(size=(N, T, H)))
dec_out = np.tanh(rng.normal(size=(N, T, H)))

for layer in (ml.Attention(), ml.AdditiveAttention(seed=0)):
    context, a = layer.forward(dec_out, enc_out, return_attention_scores=True)
    name = type(layer).__name__
    print(f"{name:17}  context {context.shape}  weights {a.shape}", end="  ")
    print(f"rows sum to 1: {np.allclose(a.sum(axis=-1), 1)}", end="  ")
    print(f"largest weight {a.max():.2f}")

# A query of zeros scores every encoder step 0: each weight is 1/24, the context the
# mean of the encoder's steps.
context, a = ml.Attention().forward(
    np.zeros((N, 1, H)), enc_out, return_attention_scores=True
)
print("zero query: weights all 1/24:", np.allclose(a, 1 / T), end="  ")
print("context = mean over the steps:", np.allclose(context[:, 0], enc_out.mean(1)))

# Autoregressive decoding attends with one query step at a time: the same contexts.
layer = ml.AdditiveAttention(seed=0)
batched = layer.forward(dec_out, enc_out)
one_by_one = np.concatenate(
    [layer.forward(dec_out[:, t : t + 1], enc_out) for t in range(T)], axis=1
)
print("one query step at a time, the same contexts:", np.allclose(batched, one_by_one))
# --8<-- [end:layers]
# --8<-- [start:check]
from minilstm.attention import (
    additive_attention_backward,
    additive_attention_forward,
    dot_attention_backward,
    dot_attention_forward,
    softmax,
    softmax_backward,
)
from minilstm.gradcheck import numerical_gradient, rel_error

# Small sizes: central differences run the forward twice per number.
query, value = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
scale, dcontext = rng.normal(size=4), rng.normal(size=(2, 3, 4))
errors = {}

_, cache = dot_attention_forward(query, value)
dquery, dvalue = dot_attention_backward(dcontext, cache)
for name, array, grad in (("query", query, dquery), ("value", value, dvalue)):
    numeric = numerical_gradient(
        lambda: dot_attention_forward(query, value)[0], array, dcontext
    )
    errors[f"dot       d{name}"] = rel_error(grad, numeric)

_, cache = additive_attention_forward(query, value, scale)
grads = additive_attention_backward(dcontext, cache)
names = ("query", "value", "scale")
for name, array, grad in zip(names, (query, value, scale), grads, strict=True):
    numeric = numerical_gradient(
        lambda: additive_attention_forward(query, value, scale)[0], array, dcontext
    )
    errors[f"additive  d{name}"] = rel_error(grad, numeric)

s, da = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 3, 5))
a = softmax(s)
numeric = numerical_gradient(lambda: softmax(s), s, da)
errors["softmax   ds"] = rel_error(softmax_backward(da, a), numeric)
for name, error in errors.items():
    print(f"{name:17} relative error {error:.1e}")
# The diagonal of the Jacobian alone, without the cross term:
print(f"softmax   ds = a da  relative error {rel_error(a * da, numeric):.1e}")
# --8<-- [end:check]

from _site import record, sci

record(
    worst=sci(max(errors.values())),
    diagonal=sci(rel_error(a * da, numeric)),
)
