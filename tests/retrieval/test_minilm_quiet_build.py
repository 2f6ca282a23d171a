"""Building the MiniLM model at first start prints nothing that reads as an error."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper, save

from retrieval.embedders.minilm_build import quantise


def one_matmul_model(path: Path) -> None:
    weight = numpy_helper.from_array(np.ones((4, 4), dtype=np.float32), "weight")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "weight"], ["y"])],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [weight],
    )
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def test_quantising_logs_no_third_party_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    one_matmul_model(tmp_path / "fp32.onnx")
    with caplog.at_level(logging.WARNING):
        quantise(tmp_path / "fp32.onnx", tmp_path / "int8.onnx")
    assert (tmp_path / "int8.onnx").stat().st_size > 0
    assert [record.getMessage() for record in caplog.records] == []


def test_other_warnings_still_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    from retrieval.embedders.minilm_build import quiet_quantiser_advice

    with caplog.at_level(logging.WARNING), quiet_quantiser_advice():
        logging.warning("something else went wrong")
    assert [record.getMessage() for record in caplog.records] == ["something else went wrong"]
