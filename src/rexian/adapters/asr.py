"""Speech recognition for the agent desk: a `Recognizer` port and a sherpa-onnx streaming adapter.

The desk works from text: whatever recognises the call posts its final segments as utterances
(POST /api/v1/calls/{id}/utterances). A recognizer is fed audio chunks (16-bit mono PCM) and gives
back the partial text of the segment being spoken and, at an endpoint (a pause), the final text.

sherpa-onnx is optional (`pip install sherpa-onnx`, the `asr` extra) and imported only when a
recognizer is built; the model directory is the operator's choice (REXIAN_ASR_MODEL_DIR), see
docs/desk.md. No model ships with Rexian.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rexian.domain.errors import InvalidInput

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Recognised:
    """What the recognizer heard so far: the segment's text, and whether the segment ended."""

    text: str
    final: bool


class Recognizer(Protocol):
    def feed(self, pcm16: bytes) -> Recognised | None:
        """Take an audio chunk; return the current partial text, the final text at an endpoint,
        or None when nothing changed."""

    def flush(self) -> Recognised | None:
        """The call ended: the last segment's final text, if any."""


def _find(directory: Path, *patterns: str) -> Path:
    for pattern in patterns:
        found = sorted(directory.glob(pattern))
        if found:
            return found[0]
    raise InvalidInput(f"模型目录缺少文件：{directory}/{patterns[0]}", f"model file missing: {directory}/{patterns[0]}")


class SherpaOnnxRecognizer:
    """A streaming transducer (zipformer) from a sherpa-onnx model directory holding tokens.txt and
    encoder / decoder / joiner ONNX files (int8 variants preferred)."""

    def __init__(self, model_dir: str | Path | None = None, num_threads: int = 2) -> None:
        directory = Path(model_dir or os.environ.get("REXIAN_ASR_MODEL_DIR") or "")
        if not str(directory) or not directory.is_dir():
            raise InvalidInput("请设置语音识别模型目录 REXIAN_ASR_MODEL_DIR",
                               "set REXIAN_ASR_MODEL_DIR to a sherpa-onnx streaming model directory")
        try:
            import sherpa_onnx
        except ImportError as e:
            raise InvalidInput("未安装 sherpa-onnx（pip install sherpa-onnx）",
                               "sherpa-onnx is not installed (pip install sherpa-onnx)") from e
        self._recognizer = sherpa_onnx.OnlineRecognizer.from_transducer(
            tokens=str(_find(directory, "tokens.txt")),
            encoder=str(_find(directory, "encoder*int8*.onnx", "encoder*.onnx")),
            decoder=str(_find(directory, "decoder*.onnx")),
            joiner=str(_find(directory, "joiner*int8*.onnx", "joiner*.onnx")),
            num_threads=num_threads, sample_rate=SAMPLE_RATE, feature_dim=80,
            enable_endpoint_detection=True, decoding_method="greedy_search",
        )
        self._stream = self._recognizer.create_stream()
        self._last = ""

    def feed(self, pcm16: bytes) -> Recognised | None:
        import numpy as np

        samples = np.frombuffer(pcm16, dtype=np.int16).astype(np.float32) / 32768.0
        self._stream.accept_waveform(SAMPLE_RATE, samples)
        while self._recognizer.is_ready(self._stream):
            self._recognizer.decode_stream(self._stream)
        text = self._recognizer.get_result(self._stream).strip()
        if self._recognizer.is_endpoint(self._stream):
            self._recognizer.reset(self._stream)
            self._last = ""
            return Recognised(text, True) if text else None
        if text == self._last:
            return None
        self._last = text
        return Recognised(text, False)

    def flush(self) -> Recognised | None:
        import numpy as np

        self._stream.accept_waveform(SAMPLE_RATE, np.zeros(SAMPLE_RATE // 2, dtype=np.float32))
        self._stream.input_finished()
        while self._recognizer.is_ready(self._stream):
            self._recognizer.decode_stream(self._stream)
        text = self._recognizer.get_result(self._stream).strip()
        return Recognised(text, True) if text else None
