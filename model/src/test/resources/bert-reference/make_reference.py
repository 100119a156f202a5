#!/usr/bin/env python3
"""Reference tensors for clinlora's BERT encoder, computed independently with PyTorch.

Follows transformers' modeling_bert.py (BertEmbeddings, BertSelfAttention with the additive padding mask, BertSelfOutput,
BertIntermediate with erf GELU, BertOutput, BertPooler, BertForSequenceClassification) written out with torch ops only,
so the references do not depend on the code they check. PEFT's LoRA (query/value, scaling = alpha / r) is applied the way
peft.tuners.lora.Linear does: base(x) + B(A(x)) * scaling. Weights are saved in Hugging Face's safetensors layout (the
format is written by hand: an 8-byte little-endian header length, the JSON header, the raw little-endian data).

Run: python3 make_reference.py  (torch >= 1.13; writes into this folder; deterministic on CPU)
"""
import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(20231129)
torch.set_default_dtype(torch.float32)

CONFIG = {
    "architectures": ["BertForSequenceClassification"],
    "model_type": "bert",
    "vocab_size": 64,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.0,
    "attention_probs_dropout_prob": 0.0,
    "max_position_embeddings": 40,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "id2label": {"0": "0", "1": "1", "2": "2"},
    "label2id": {"0": 0, "1": 1, "2": 2},
    "torch_dtype": "float32",
}
H, L, NH, FF = CONFIG["hidden_size"], CONFIG["num_hidden_layers"], CONFIG["num_attention_heads"], CONFIG["intermediate_size"]
V, P, TV, C = CONFIG["vocab_size"], CONFIG["max_position_embeddings"], CONFIG["type_vocab_size"], 3
EPS = CONFIG["layer_norm_eps"]
R, ALPHA = 4, 8.0


def save_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def rnd(*shape, std=0.2):
    return torch.randn(*shape) * std


def base_weights():
    w = {
        "bert.embeddings.word_embeddings.weight": rnd(V, H, std=0.5),
        "bert.embeddings.position_embeddings.weight": rnd(P, H, std=0.5),
        "bert.embeddings.token_type_embeddings.weight": rnd(TV, H, std=0.5),
        "bert.embeddings.LayerNorm.weight": 1 + rnd(H, std=0.1),
        "bert.embeddings.LayerNorm.bias": rnd(H, std=0.1),
        "bert.pooler.dense.weight": rnd(H, H),
        "bert.pooler.dense.bias": rnd(H, std=0.1),
        "classifier.weight": rnd(C, H, std=0.3),
        "classifier.bias": rnd(C, std=0.1),
    }
    for i in range(L):
        p = f"bert.encoder.layer.{i}."
        for m in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"]:
            w[p + m + ".weight"] = rnd(H, H)
            w[p + m + ".bias"] = rnd(H, std=0.1)
        w[p + "intermediate.dense.weight"] = rnd(FF, H)
        w[p + "intermediate.dense.bias"] = rnd(FF, std=0.1)
        w[p + "output.dense.weight"] = rnd(H, FF)
        w[p + "output.dense.bias"] = rnd(H, std=0.1)
        for ln in ["attention.output.LayerNorm", "output.LayerNorm"]:
            w[p + ln + ".weight"] = 1 + rnd(H, std=0.1)
            w[p + ln + ".bias"] = rnd(H, std=0.1)
    return w


def lora_weights():
    a = {}
    for i in range(L):
        for m in ["query", "value"]:
            k = f"base_model.model.bert.encoder.layer.{i}.attention.self.{m}"
            a[k + ".lora_A.weight"] = rnd(R, H, std=0.3)
            a[k + ".lora_B.weight"] = rnd(H, R, std=0.3)
    a["base_model.model.classifier.weight"] = rnd(C, H, std=0.3)
    a["base_model.model.classifier.bias"] = rnd(C, std=0.1)
    return a


def layer_norm(x, w, b):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + EPS) * w + b


def linear(x, w, prefix, lora=None):
    y = x @ w[prefix + ".weight"].t() + w[prefix + ".bias"]
    if lora is not None:
        k = "base_model.model." + prefix
        if k + ".lora_A.weight" in lora:
            y = y + (x @ lora[k + ".lora_A.weight"].t() @ lora[k + ".lora_B.weight"].t()) * (ALPHA / R)
    return y


def forward(w, ids, mask, lora=None):
    """BertForSequenceClassification: (all hidden states, pooled output, logits)."""
    b, t = ids.shape
    pos = torch.arange(t).unsqueeze(0).expand(b, t)
    x = (w["bert.embeddings.word_embeddings.weight"][ids]
         + w["bert.embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)]
         + w["bert.embeddings.position_embeddings.weight"][pos])
    x = layer_norm(x, w["bert.embeddings.LayerNorm.weight"], w["bert.embeddings.LayerNorm.bias"])
    ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    hidden = [x]
    d = H // NH
    for i in range(L):
        p = f"bert.encoder.layer.{i}."

        def heads(y):
            return y.view(b, t, NH, d).permute(0, 2, 1, 3)

        q = heads(linear(x, w, p + "attention.self.query", lora))
        k = heads(linear(x, w, p + "attention.self.key", lora))
        v = heads(linear(x, w, p + "attention.self.value", lora))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + ext
        ctx = (torch.softmax(scores, dim=-1) @ v).permute(0, 2, 1, 3).reshape(b, t, H)
        a = layer_norm(linear(ctx, w, p + "attention.output.dense") + x,
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        inter = torch.nn.functional.gelu(linear(a, w, p + "intermediate.dense"))  # erf form, as hidden_act "gelu"
        x = layer_norm(linear(inter, w, p + "output.dense") + a, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        hidden.append(x)
    pooled = torch.tanh(linear(x[:, 0], w, "bert.pooler.dense"))
    if lora is not None and "base_model.model.classifier.weight" in lora:
        logits = pooled @ lora["base_model.model.classifier.weight"].t() + lora["base_model.model.classifier.bias"]
    else:
        logits = linear(pooled, w, "classifier")
    return hidden, pooled, logits


def no_decay(name):
    # Hugging Face Trainer's rule: biases and LayerNorm weights are not decayed.
    return name.endswith(".bias") or "LayerNorm" in name


def adamw_step(params, loss, lr, wd):
    groups = [
        {"params": [p for n, p in params.items() if not no_decay(n)], "weight_decay": wd},
        {"params": [p for n, p in params.items() if no_decay(n)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in params.items()}
    opt.step()
    return grads, {n: p.detach().clone() for n, p in params.items()}


def main():
    w = base_weights()
    lora = lora_weights()
    ids = torch.tensor([
        [2, 17, 33, 8, 41, 5, 29, 61, 12, 3],
        [2, 44, 9, 27, 50, 3, 0, 0, 0, 0],
        [2, 6, 3, 0, 0, 0, 0, 0, 0, 0],
    ], dtype=torch.int64)
    mask = (ids != 0).long()
    labels = torch.tensor([2, 0, 1], dtype=torch.int64)

    os.makedirs(os.path.join(HERE, "base"), exist_ok=True)
    with open(os.path.join(HERE, "base", "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
    save_safetensors(os.path.join(HERE, "base", "model.safetensors"), w)
    os.makedirs(os.path.join(HERE, "adapter"), exist_ok=True)
    with open(os.path.join(HERE, "adapter", "adapter_config.json"), "w") as f:
        json.dump({"peft_type": "LORA", "task_type": "SEQ_CLS", "r": R, "lora_alpha": ALPHA, "lora_dropout": 0.0,
                   "target_modules": ["query", "value"], "modules_to_save": ["classifier", "score"], "bias": "none",
                   "fan_in_fan_out": False, "use_rslora": False, "base_model_name_or_path": "base"}, f, indent=2)
    save_safetensors(os.path.join(HERE, "adapter", "adapter_model.safetensors"), lora)
    save_safetensors(os.path.join(HERE, "inputs.safetensors"), {"input_ids": ids, "attention_mask": mask, "labels": labels})

    with torch.no_grad():
        hidden, pooled, logits = forward(w, ids, mask)
        _, lpooled, llogits = forward(w, ids, mask, lora)
    out = {f"hidden_states.{i}": h for i, h in enumerate(hidden)}
    out.update({"pooled": pooled, "logits": logits, "lora_pooled": lpooled, "lora_logits": llogits})
    save_safetensors(os.path.join(HERE, "expected.safetensors"), out)

    # One LoRA step: the query/value pairs and the adapter's classifier train, the base stays frozen.
    lp = {k: v.clone().requires_grad_(True) for k, v in lora.items()}
    _, _, lg = forward(w, ids, mask, lp)
    loss = torch.nn.functional.cross_entropy(lg, labels)
    grads, updated = adamw_step(lp, loss, lr=1e-2, wd=0.01)
    step = {"loss": loss.detach().reshape(1)}
    step.update({"grad/" + k: g for k, g in grads.items()})
    step.update({"updated/" + k: u for k, u in updated.items()})
    save_safetensors(os.path.join(HERE, "lora_step.safetensors"), step)

    # One full fine-tuning step: every parameter trains.
    fp = {k: v.clone().requires_grad_(True) for k, v in w.items()}
    _, _, fg = forward(fp, ids, mask)
    loss = torch.nn.functional.cross_entropy(fg, labels)
    grads, updated = adamw_step(fp, loss, lr=1e-3, wd=0.01)
    step = {"loss": loss.detach().reshape(1)}
    step.update({"grad/" + k: g for k, g in grads.items()})
    step.update({"updated/" + k: u for k, u in updated.items()})
    save_safetensors(os.path.join(HERE, "full_step.safetensors"), step)
    print("loss lora", float(step["loss"]), "logits", logits.tolist())


if __name__ == "__main__":
    main()
