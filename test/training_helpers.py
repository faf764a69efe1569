"""Shared pieces of the training/data tests: a tiny network config and a tiny synthetic dataset."""

from __future__ import annotations

from pathlib import Path

from ostrack_ros.configs import config_from_dict

TINY_YAML = {
    "DATA": {
        "MAX_SAMPLE_INTERVAL": 10,
        "SEARCH": {"SIZE": 128, "FACTOR": 4.0, "CENTER_JITTER": 3, "SCALE_JITTER": 0.25},
        "TEMPLATE": {"SIZE": 64, "FACTOR": 2.0, "CENTER_JITTER": 0, "SCALE_JITTER": 0},
        "TRAIN": {"DATASETS_NAME": ["SYNTHETIC"], "DATASETS_RATIO": [1], "SAMPLE_PER_EPOCH": 16},
        "VAL": {"DATASETS_NAME": ["SYNTHETIC"], "DATASETS_RATIO": [1], "SAMPLE_PER_EPOCH": 8},
    },
    "MODEL": {
        "BACKBONE": {
            "TYPE": "vit_base_patch16_224_ce",
            "STRIDE": 16,
            "CE_LOC": [1],
            "CE_KEEP_RATIO": [0.7],
            "CE_TEMPLATE_RANGE": "CTR_POINT",
            "EMBED_DIM": 32,
            "DEPTH": 2,
            "NUM_HEADS": 2,
            "MLP_RATIO": 2.0,
        },
        "HEAD": {"TYPE": "CENTER", "NUM_CHANNELS": 16},
    },
    "TRAIN": {
        "BATCH_SIZE": 4,
        "EPOCH": 2,
        "LR": 0.001,
        "LR_DROP_EPOCH": 50,
        "BACKBONE_MULTIPLIER": 1.0,
        "DROP_PATH_RATE": 0.0,
        "CE_START_EPOCH": 1,
        "CE_WARM_EPOCH": 1,
        "NUM_WORKER": 0,
        "PRINT_INTERVAL": 1,
        "VAL_EPOCH_INTERVAL": 1,
    },
    "TEST": {"SEARCH_FACTOR": 4.0, "SEARCH_SIZE": 128, "TEMPLATE_FACTOR": 2.0, "TEMPLATE_SIZE": 64},
}


def tiny_config():
    """A 2-block, 32-wide OSTrack-CE with 64/128 crops: milliseconds per step on one CPU thread."""
    return config_from_dict(TINY_YAML, name="tiny_test")


def write_tiny_yaml(path: Path) -> Path:
    """The tiny config as an official-layout YAML file (for CLI and torchrun tests)."""
    import yaml

    path.write_text(yaml.safe_dump(TINY_YAML))
    return path


def tiny_synthetic(root: Path, sequences: int = 3, length: int = 24, seed: int = 5) -> Path:
    """A small synthetic GOT-10k-layout dataset (160x120 frames), generated once per folder."""
    from ostrack_ros.data.synthetic import SyntheticConfig, generate_dataset

    if not (root / "list.txt").is_file():
        generate_dataset(
            root,
            sequences,
            seed,
            SyntheticConfig(width=160, height=120, length=length, object_size=(20.0, 36.0)),
            progress=False,
        )
    return root
