#!/usr/bin/env python3
"""Interoperability check against Hugging Face transformers + PEFT (run where they are installed; no Java needed).

Input: a directory made by ./clinlora (see README.md next to this file):
  base/ (make-tiny-model), clinical/ and downstream/ (make-adapter --random-b), inputs.safetensors (make-inputs),
  java_base / java_clinical / java_downstream / java_both .safetensors (./clinlora forward outputs).
Checks, each printed as PASS/FAIL with its max abs difference:
  1. transformers' tokenizer encodes the texts to the ids clinlora wrote;
  2. LlamaForCausalLM logits (no adapter; clinical adapter via PeftModel) equal clinlora's;
  3. LlamaForSequenceClassification + the downstream adapter via PeftModel: classification logits equal clinlora's;
  4. clinical merged into the base (PEFT merge_and_unload), downstream on top: equals clinlora's stacked adapters.
Output (for the reverse direction): adapters made and saved by PEFT itself, and the logits PEFT computes with them,
  under OUT/peft_causal, OUT/peft_seqcls and OUT/peft_expected.safetensors.
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file, save_file
from transformers import LlamaForCausalLM, LlamaForSequenceClassification, PreTrainedTokenizerFast
from peft import LoraConfig, PeftModel, TaskType, get_peft_model

TOL = 1e-4
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
results = []


def report(name, diff):
    ok = diff <= TOL
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}: max abs diff {diff:.3g} (tolerance {TOL})", flush=True)


def masked_max(a, b, mask):
    return (a - b).abs()[mask.bool()].max().item()


inp = load_file(f"{src}/inputs.safetensors")
ids, mask = inp["input_ids"], inp["attention_mask"]
base = f"{src}/base"
texts = ["Patient admitted with chest pain and fever.", "No acute distress, SpO2 91% on RA.", "Cr 2.1 from baseline 1.0"]

tok = PreTrainedTokenizerFast(tokenizer_file=f"{base}/tokenizer.json")
for i, t in enumerate(texts):
    hf = tok(t)["input_ids"]
    mine = ids[i][mask[i].bool()].tolist()
    report(f"tokenizer ids, text {i}", 0.0 if hf == mine else float("inf"))

with torch.no_grad():
    lm = LlamaForCausalLM.from_pretrained(base, torch_dtype=torch.float32).eval()
    report("LlamaForCausalLM logits, no adapter",
           masked_max(lm(input_ids=ids, attention_mask=mask).logits, load_file(f"{src}/java_base.safetensors")["logits"], mask))
    pm = PeftModel.from_pretrained(lm, f"{src}/clinical").eval()
    report("PeftModel (clinical CAUSAL_LM adapter) logits",
           masked_max(pm(input_ids=ids, attention_mask=mask).logits, load_file(f"{src}/java_clinical.safetensors")["logits"], mask))

    cfg = json.load(open(f"{base}/config.json"))
    nl = load_file(f"{src}/downstream/adapter_model.safetensors")["base_model.model.score.weight"].shape[0]
    cls = LlamaForSequenceClassification.from_pretrained(base, num_labels=nl, torch_dtype=torch.float32).eval()
    pc = PeftModel.from_pretrained(cls, f"{src}/downstream").eval()
    report("PeftModel (downstream SEQ_CLS adapter + score) classification logits",
           (pc(input_ids=ids, attention_mask=mask).logits - load_file(f"{src}/java_downstream.safetensors")["cls_logits"]).abs().max().item())

    # PEFT keeps one CAUSAL_LM adapter per causal-LM model: merge clinical there, move the merged decoder into a
    # classifier, then put downstream on top.
    lm2 = LlamaForCausalLM.from_pretrained(base, torch_dtype=torch.float32)
    merged = PeftModel.from_pretrained(lm2, f"{src}/clinical").merge_and_unload()
    cls2 = LlamaForSequenceClassification.from_pretrained(base, num_labels=nl, torch_dtype=torch.float32).eval()
    cls2.model.load_state_dict(merged.model.state_dict())
    stacked = PeftModel.from_pretrained(cls2, f"{src}/downstream").eval()
    report("clinical merged + downstream on top == clinlora's two active adapters (classification logits)",
           (stacked(input_ids=ids, attention_mask=mask).logits - load_file(f"{src}/java_both.safetensors")["cls_logits"]).abs().max().item())

# Reverse direction: adapters made by PEFT itself, with non-zero lora_B so they matter.
expected = {}
lm = LlamaForCausalLM.from_pretrained(base, torch_dtype=torch.float32)
pl = get_peft_model(lm, LoraConfig(task_type=TaskType.CAUSAL_LM, r=8, lora_alpha=16, lora_dropout=0.0,
                                   target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
cls = LlamaForSequenceClassification.from_pretrained(base, num_labels=3, torch_dtype=torch.float32)
ps = get_peft_model(cls, LoraConfig(task_type=TaskType.SEQ_CLS, r=4, lora_alpha=8, lora_dropout=0.0,
                                    target_modules=["q_proj", "v_proj"]))
with torch.no_grad():
    for m in (pl, ps):
        for n, p in m.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.02)
    pl.eval(); ps.eval()
    expected["logits_causal"] = pl(input_ids=ids, attention_mask=mask).logits.contiguous()
    expected["cls_seqcls"] = ps(input_ids=ids, attention_mask=mask).logits.contiguous()
pl.save_pretrained(f"{out}/peft_causal")
ps.save_pretrained(f"{out}/peft_seqcls")
save_file(expected, f"{out}/peft_expected.safetensors")
import peft, transformers
print(f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}")
print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if all(results) else 1)
