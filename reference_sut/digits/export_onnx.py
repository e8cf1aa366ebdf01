"""Write the digits MLP as an ONNX file, to exercise the onnxruntime backend end to end.

    python -m reference_sut.digits.export_onnx --out digits.onnx

Built node by node with the ``onnx`` helper API (no torch needed); output = [n, 10] logits.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .model import load_weights


def export(path: Path, opset: int = 17) -> Path:
    import onnx  # lazy: optional dependency
    from onnx import TensorProto, helper, numpy_helper

    params = load_weights()
    inits = [numpy_helper.from_array(v, name=k) for k, v in params.items()]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h2"]),
        helper.make_node("MatMul", ["h2", "w2"], ["o0"]),
        helper.make_node("Add", ["o0", "b2"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "digits_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", 10])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8  # readable by onnxruntime releases of the last few years
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description="Export the digits MLP to ONNX")
    parser.add_argument("--out", type=Path, default=Path("digits.onnx"))
    print(export(parser.parse_args().out))


if __name__ == "__main__":
    main()
