"""RapidOCR's two networks run on OpenVINO instead of ONNX Runtime: the same ONNX models from
the ``rapidocr-onnxruntime`` wheel, compiled by OpenVINO's CPU plugin at full (f32)
precision, so the text read is the same while a page costs far less CPU (benchmarks.ocr:
the recogniser about 2.9 times and the detector about 1.8 times faster on this machine).

RapidOCR calls its sessions as ``session(batch) -> [output, ...]``; a compiled OpenVINO
model wrapped to answer that call stands in for each. The recogniser's character list is
read from the ONNX session at load time, before the swap, so nothing else changes. Where
OpenVINO is not installed or cannot compile a model, ``OcrError`` says so and the caller
keeps ONNX Runtime.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from extractors.errors import OcrError

_core_lock = threading.Lock()
_core: Any = None


class OpenVinoSession:
    """One compiled model, called as RapidOCR calls an ONNX Runtime session."""

    def __init__(self, compiled: Any) -> None:
        self._compiled = compiled
        self._request = compiled.create_infer_request()

    def __call__(self, batch: np.ndarray) -> list[np.ndarray]:
        results = self._request.infer({0: np.ascontiguousarray(batch, dtype=np.float32)})
        return [np.asarray(results[output]) for output in self._compiled.outputs]


def compile_session(model_path: Path, threads: int) -> OpenVinoSession:
    """The ONNX model at ``model_path`` compiled for the CPU with ``threads`` threads, at f32:
    bf16, where the CPU has it, is faster still but misread more (benchmarks.ocr pages: CER
    0.0141 against 0.0130)."""
    global _core
    try:
        import openvino
    except ImportError:
        raise OcrError("服务器上没有安装OpenVINO（可运行 make setup 安装）") from None
    try:
        with _core_lock:
            if _core is None:
                _core = openvino.Core()
            compiled = _core.compile_model(
                str(model_path),
                "CPU",
                {
                    "INFERENCE_NUM_THREADS": max(1, threads),
                    "INFERENCE_PRECISION_HINT": "f32",
                    "PERFORMANCE_HINT": "LATENCY",
                },
            )
        return OpenVinoSession(compiled)
    except Exception as error:  # OpenVINO raises its own RuntimeError subclasses
        raise OcrError(
            f"OpenVINO无法编译模型 {model_path.name}（{type(error).__name__}：{str(error)[:200]}）"
        ) from None


def run_on_openvino(model: Any, threads: int) -> None:
    """Swap a loaded RapidOCR's detector and recogniser sessions for OpenVINO ones."""
    import rapidocr_onnxruntime

    models = Path(rapidocr_onnxruntime.__file__).parent / "models"
    detector = compile_session(models / "ch_PP-OCRv4_det_infer.onnx", threads)
    recogniser = compile_session(models / "ch_PP-OCRv4_rec_infer.onnx", threads)
    model.text_det.infer = detector
    model.text_rec.session = recogniser
