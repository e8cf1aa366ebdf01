"""What re-running a real MLPerf Inference benchmark would need (model file + data set).

``reproduce`` only runs the bundled digits benchmark; for anything else it answers with this
list instead of failing, so the user knows exactly what to provide.
"""

from __future__ import annotations

from typing import Any

#: benchmark -> (data set, number of samples in the accuracy set, model)
KNOWN: dict[str, tuple[str, int, str]] = {
    "resnet": ("ImageNet 2012 validation set", 50000, "ResNet-50 v1.5"),
    "retinanet": ("OpenImages MLPerf validation subset", 24781, "RetinaNet (ResNeXt50-FPN, 800x800)"),
    "bert": ("SQuAD v1.1 dev set", 10833, "BERT-Large (SQuAD fine-tuned)"),
    "dlrm-v2": ("Criteo 1TB Click Logs, multi-hot evaluation day", 330067, "DLRM-DCNv2"),
    "dlrm-v3": ("MLPerf dlrm-v3 evaluation set", 349823, "DLRM v3"),
    "3d-unet": ("KiTS 2019 kidney tumour CT cases", 43, "3D U-Net"),
    "gptj": ("CNN/DailyMail validation set", 13368, "GPT-J 6B (summarisation fine-tune)"),
    "llama2-70b": ("OpenOrca MLPerf subset", 24576, "Llama 2 70B Chat"),
    "mixtral-8x7b": ("OpenOrca + GSM8K + MBXP MLPerf mix", 15000, "Mixtral 8x7B Instruct"),
    "llama3.1-405b": ("MLPerf llama3.1-405b long-context evaluation set", 8313, "Llama 3.1 405B Instruct"),
    "llama3.1-8b": ("CNN/DailyMail validation set", 13368, "Llama 3.1 8B Instruct"),
    "llama3.1-8b-edge": ("CNN/DailyMail MLPerf edge subset", 5000, "Llama 3.1 8B Instruct"),
    "stable-diffusion-xl": ("COCO 2014 captions MLPerf subset", 5000, "Stable Diffusion XL 1.0 base"),
    "rgat": ("IGBH (full) node classification", 788379, "R-GAT"),
    "pointpainting": ("Waymo Open Dataset MLPerf subset", 39987, "PointPainting (PointPillars + DeepLabv3+)"),
    "deepseek-r1": ("MLPerf DeepSeek-R1 evaluation mix", 4388, "DeepSeek-R1"),
    "whisper": ("LibriSpeech dev-clean + dev-other", 1633, "Whisper large-v3"),
    "gpt-oss-120b": ("MLPerf gpt-oss evaluation mix", 6396, "gpt-oss-120b"),
    "qwen3-vl-235b-a22b": ("MLPerf Qwen3-VL evaluation set", 48289, "Qwen3-VL-235B-A22B"),
    "wan-2.2-t2v-a14b": ("MLPerf text-to-video prompt set", 248, "Wan 2.2 T2V A14B"),
    "yolo": ("COCO MLPerf YOLO subset", 1525, "YOLO (MLPerf reference weights)"),
}

ALIASES = {
    "resnet50": "resnet",
    "mobilenet": "resnet",
    "ssd-resnet34": "retinanet",
    "llama3_1-405b": "llama3.1-405b",
    "llama3_1-8b": "llama3.1-8b",
    "llama3_1-8b-edge": "llama3.1-8b-edge",
    "gpt-j": "gptj",
}


def canonical(benchmark: str) -> str:
    """Strip accuracy-class suffixes (-99, -99.9, -95) and map folder aliases."""
    name = ALIASES.get(benchmark, benchmark)
    for suffix in ("-interactive-99.9", "-interactive-99", "-99.9", "-99", "-95"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return ALIASES.get(name, name)


def needs(benchmark: str) -> dict[str, Any]:
    """Structured list of what a re-run of ``benchmark`` would need."""
    key = canonical(benchmark)
    dataset, size, model = KNOWN.get(key, (f"the MLPerf data set for {benchmark}", 0, benchmark))
    return {
        "benchmark": benchmark,
        "model": f"{model} model file (ONNX for --backend onnxruntime, or a PyTorch checkpoint)",
        "dataset": dataset,
        "dataset_size": size or None,
        "also": [
            "the benchmark's preprocessing and its official accuracy script",
            "a QSL/SUT implementation for that benchmark (reference_sut only implements digits)",
        ],
    }
