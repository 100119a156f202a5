#!/usr/bin/env python3
"""Reference tensors for Llama 3.1 rope scaling (rope_type "llama3"), made with plain PyTorch.

Written from the published Llama 3.1 formula, not from transformers (which is neither imported nor copied):
each rotary frequency f_i = theta^(-2i/d) has wavelength 2*pi/f_i; with L = original_max_position_embeddings,
  wavelength > L / low_freq_factor   ->  f_i / factor                        ("low" frequency: stretched)
  wavelength < L / high_freq_factor  ->  f_i                                 ("high" frequency: kept)
  otherwise                          ->  (1 - s) * f_i / factor + s * f_i,   s = (L / wavelength - low) / (high - low)
The model around it is a LLaMA decoder (RMSNorm, rotate_half rotary embedding, grouped-query attention, SiLU-gated
MLP, final norm, lm_head) in fp32 on CPU. Outputs go next to this script; see README.md. Runs outside the product:
    python3 make_reference.py
"""
import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261206

CONFIG = {
    "vocab_size": 64,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "rms_norm_eps": 1e-5,
    "rope_theta": 500000.0,
    "max_position_embeddings": 512,
}
SCALING = {
    "factor": 8.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 64,
}
BATCH, SEQ, LENGTHS, PAD = 2, 128, (128, 101), 0


# ---- safetensors (the format is small enough to write by hand: no extra package) ----------------------------------

def write_safetensors(path, tensors):
    codes = {torch.float32: "F32", torch.int64: "I64"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


# ---- rotary frequencies ---------------------------------------------------------------------------------------------

def llama3_inv_freq(head_dim, theta, s):
    """The scaled frequencies, computed per frequency in float64 and rounded once; also which branch each one took."""
    length, factor = s["original_max_position_embeddings"], s["factor"]
    low, high = s["low_freq_factor"], s["high_freq_factor"]
    freqs, branches = [], []
    for i in range(head_dim // 2):
        f = 1.0 / theta ** (2 * i / head_dim)
        wavelength = 2 * math.pi / f
        if wavelength > length / low:
            freqs.append(f / factor)
            branches.append("low    (wavelength %.1f)" % wavelength)
        elif wavelength < length / high:
            freqs.append(f)
            branches.append("high   (wavelength %.1f)" % wavelength)
        else:
            smooth = (length / wavelength - low) / (high - low)
            freqs.append((1 - smooth) * f / factor + smooth * f)
            branches.append("smooth (wavelength %.1f, s = %.4f)" % (wavelength, smooth))
    return torch.tensor(freqs, dtype=torch.float64).float(), branches


def cos_sin(inv_freq, seq):
    """[seq, head_dim] tables; the angle is position x frequency in float32, as an fp32 implementation forms it."""
    angles = torch.arange(seq, dtype=torch.float32)[:, None] * inv_freq[None, :]
    both = torch.cat([angles, angles], dim=-1)
    return both.cos(), both.sin()


# ---- the decoder ----------------------------------------------------------------------------------------------------

def rms_norm(x, weight, eps):
    return weight * (x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    first, second = x.chunk(2, dim=-1)
    return torch.cat([-second, first], dim=-1)


def attention(x, w, p, cos, sin, mask, c):
    b, t, _ = x.shape
    nh, nkv, d = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    q = (x @ w[p + "self_attn.q_proj.weight"].T).view(b, t, nh, d).transpose(1, 2)
    k = (x @ w[p + "self_attn.k_proj.weight"].T).view(b, t, nkv, d).transpose(1, 2)
    v = (x @ w[p + "self_attn.v_proj.weight"].T).view(b, t, nkv, d).transpose(1, 2)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    # Query head h reads key/value head h // (nh / nkv).
    k = k.repeat_interleave(nh // nkv, dim=1)
    v = v.repeat_interleave(nh // nkv, dim=1)
    probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + mask, dim=-1)
    out = (probs @ v).transpose(1, 2).reshape(b, t, nh * d)
    return out @ w[p + "self_attn.o_proj.weight"].T


def mlp(x, w, p):
    gate = x @ w[p + "mlp.gate_proj.weight"].T
    up = x @ w[p + "mlp.up_proj.weight"].T
    return (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T


def forward(w, c, ids, attention_mask, cos, sin):
    b, t = ids.shape
    causal = torch.ones(t, t).tril().bool()
    allowed = causal[None, None] & attention_mask.bool()[:, None, None, :]
    mask = torch.zeros(b, 1, t, t).masked_fill(~allowed, torch.finfo(torch.float32).min)
    x = w["model.embed_tokens.weight"][ids]
    eps = c["rms_norm_eps"]
    for i in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % i
        x = x + attention(rms_norm(x, w[p + "input_layernorm.weight"], eps), w, p, cos, sin, mask, c)
        x = x + mlp(rms_norm(x, w[p + "post_attention_layernorm.weight"], eps), w, p)
    hidden = rms_norm(x, w["model.norm.weight"], eps)
    return hidden, hidden @ w["lm_head.weight"].T


def random_weights(c, gen):
    h, ffn, d = c["hidden_size"], c["intermediate_size"], c["head_dim"]
    q, kv = c["num_attention_heads"] * d, c["num_key_value_heads"] * d

    def normal(std, *shape):
        return torch.randn(*shape, generator=gen) * std

    w = {"model.embed_tokens.weight": normal(1.0, c["vocab_size"], h)}
    for i in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % i
        # q and k large enough that attention is peaked, so the rotation angles move the output visibly.
        w[p + "self_attn.q_proj.weight"] = normal(0.25, q, h)
        w[p + "self_attn.k_proj.weight"] = normal(0.25, kv, h)
        w[p + "self_attn.v_proj.weight"] = normal(0.1, kv, h)
        w[p + "self_attn.o_proj.weight"] = normal(0.1, h, q)
        w[p + "mlp.gate_proj.weight"] = normal(0.1, ffn, h)
        w[p + "mlp.up_proj.weight"] = normal(0.1, ffn, h)
        w[p + "mlp.down_proj.weight"] = normal(0.1, h, ffn)
        w[p + "input_layernorm.weight"] = 1 + normal(0.1, h)
        w[p + "post_attention_layernorm.weight"] = 1 + normal(0.1, h)
    w["model.norm.weight"] = 1 + normal(0.1, h)
    w["lm_head.weight"] = normal(0.1, c["vocab_size"], h)
    return w


def config_json(v5):
    n = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", **CONFIG, "hidden_act": "silu",
         "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
         "pad_token_id": PAD, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}
    if v5:  # transformers v5: theta and scaling together in rope_parameters
        del n["rope_theta"]
        n["dtype"] = n.pop("torch_dtype")
        n["rope_parameters"] = {"rope_type": "llama3", "rope_theta": CONFIG["rope_theta"], **SCALING}
    else:  # transformers v4: top-level rope_theta, rope_scaling
        n["rope_scaling"] = {"rope_type": "llama3", **SCALING}
    return n


def main():
    torch.set_grad_enabled(False)
    gen = torch.Generator().manual_seed(SEED)
    c = CONFIG
    w = random_weights(c, gen)
    ids = torch.randint(3, c["vocab_size"], (BATCH, SEQ), generator=gen)
    attention_mask = torch.zeros(BATCH, SEQ, dtype=torch.int64)
    for r, n in enumerate(LENGTHS):
        attention_mask[r, :n] = 1
    ids = ids.masked_fill(attention_mask == 0, PAD)

    inv_freq, branches = llama3_inv_freq(c["head_dim"], c["rope_theta"], SCALING)
    cos, sin = cos_sin(inv_freq, SEQ)
    hidden, logits = forward(w, c, ids, attention_mask, cos, sin)

    # The fixture must depend on the scaling: the same model with plain rope gives clearly different logits.
    plain = 1.0 / c["rope_theta"] ** (torch.arange(0, c["head_dim"], 2, dtype=torch.float64) / c["head_dim"])
    _, plain_logits = forward(w, c, ids, attention_mask, *cos_sin(plain.float(), SEQ))
    real = attention_mask.bool()
    gap = (plain_logits - logits)[real].abs().max().item()
    assert gap > 0.05, gap
    assert {b.split()[0] for b in branches} == {"low", "high", "smooth"}, branches

    os.makedirs(os.path.join(HERE, "base"), exist_ok=True)
    write_safetensors(os.path.join(HERE, "base", "model.safetensors"), w)
    with open(os.path.join(HERE, "base", "config.json"), "w") as f:
        json.dump(config_json(v5=False), f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "config_v5.json"), "w") as f:
        json.dump(config_json(v5=True), f, indent=1)
        f.write("\n")
    write_safetensors(os.path.join(HERE, "inputs.safetensors"),
                      {"input_ids": ids, "attention_mask": attention_mask})
    write_safetensors(os.path.join(HERE, "expected.safetensors"), {
        "inv_freq": inv_freq, "cos": cos, "sin": sin, "hidden_states": hidden, "logits": logits})
    print("torch", torch.__version__)
    for i, b in enumerate(branches):
        print("inv_freq[%d] %-40s -> %.9g" % (i, b, inv_freq[i].item()))
    print("max |logits - logits with plain rope| at real positions: %.4f" % gap)


if __name__ == "__main__":
    main()
