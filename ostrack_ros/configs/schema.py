"""Typed configuration for OSTrack: one dataclass per section of the official experiment YAML.

Field names are the snake_case form of the official keys (``MODEL.BACKBONE.CE_LOC`` ->
``model.backbone.ce_loc``), so every official value has exactly one home here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, NamedTuple, Optional, Tuple

# Official backbone types and the ViT width each one implies (the official YAML has no width keys).
BACKBONE_WIDTHS = {
    "vit_base_patch16_224": (768, 12, 12, 4.0),
    "vit_base_patch16_224_ce": (768, 12, 12, 4.0),
    "vit_large_patch16_224": (1024, 24, 16, 4.0),
    "vit_large_patch16_224_ce": (1024, 24, 16, 4.0),
}
CE_TEMPLATE_RANGES = ("ALL", "CTR_POINT", "CTR_REC", "GT_BOX")


class BackboneWidth(NamedTuple):
    """The ViT's size: token width, number of blocks, attention heads and MLP expansion."""

    embed_dim: int
    depth: int
    num_heads: int
    mlp_ratio: float


@dataclass(frozen=True)
class BackboneConfig:
    """MODEL.BACKBONE: ViT type/width and candidate elimination (CE) placement."""

    type: str = "vit_base_patch16_224"
    stride: int = 16
    mid_pe: bool = False
    sep_seg: bool = False
    cat_mode: str = "direct"
    merge_layer: int = 0
    add_cls_token: bool = False
    cls_token_use_mode: str = "ignore"
    ce_loc: Tuple[int, ...] = ()
    ce_keep_ratio: Tuple[float, ...] = ()
    ce_template_range: str = "ALL"
    # Width extensions (not official keys): None means "implied by type".
    embed_dim: Optional[int] = None
    depth: Optional[int] = None
    num_heads: Optional[int] = None
    mlp_ratio: Optional[float] = None

    @property
    def uses_ce(self) -> bool:
        return self.type.endswith("_ce") and len(self.ce_loc) > 0

    def width(self) -> BackboneWidth:
        """The ViT's size, explicit fields overriding the type's width."""
        base = BACKBONE_WIDTHS[self.type]
        explicit = (self.embed_dim, self.depth, self.num_heads, self.mlp_ratio)
        return BackboneWidth(*(b if e is None else e for b, e in zip(base, explicit)))


@dataclass(frozen=True)
class HeadConfig:
    """MODEL.HEAD: box head type and channel width."""

    type: str = "CENTER"
    num_channels: int = 256


@dataclass(frozen=True)
class ModelConfig:
    """MODEL: backbone + head (+ training-only pretrain file)."""

    pretrain_file: str = "mae_pretrain_vit_base.pth"
    extra_merger: bool = False
    return_inter: bool = False
    return_stages: Tuple[int, ...] = (2, 5, 8, 11)
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    head: HeadConfig = field(default_factory=HeadConfig)


@dataclass(frozen=True)
class CropConfig:
    """DATA.TEMPLATE / DATA.SEARCH: training crop geometry and jitter."""

    size: int = 128
    factor: float = 2.0
    center_jitter: float = 0.0
    scale_jitter: float = 0.0
    number: int = 1


@dataclass(frozen=True)
class DatasetMixConfig:
    """DATA.TRAIN / DATA.VAL: which datasets, their sampling ratios and samples per epoch."""

    datasets_name: Tuple[str, ...] = ("LASOT", "GOT10K_vottrain")
    datasets_ratio: Tuple[float, ...] = (1, 1)
    sample_per_epoch: int = 60000


@dataclass(frozen=True)
class DataConfig:
    """DATA: normalisation, sampling and crop settings."""

    sampler_mode: str = "causal"
    mean: Tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: Tuple[float, float, float] = (0.229, 0.224, 0.225)
    max_sample_interval: int = 200
    train: DatasetMixConfig = field(default_factory=DatasetMixConfig)
    val: DatasetMixConfig = field(default_factory=lambda: DatasetMixConfig(("GOT10K_votval",), (1,), 10000))
    search: CropConfig = field(default_factory=lambda: CropConfig(320, 5.0, 4.5, 0.5, 1))
    template: CropConfig = field(default_factory=lambda: CropConfig(128, 2.0, 0.0, 0.0, 1))


@dataclass(frozen=True)
class SchedulerConfig:
    """TRAIN.SCHEDULER: step LR drop."""

    type: str = "step"
    decay_rate: float = 0.1


@dataclass(frozen=True)
class TrainConfig:
    """TRAIN: optimiser, loss weights and CE keep-ratio warm-up."""

    lr: float = 1e-4
    weight_decay: float = 1e-4
    epoch: int = 500
    lr_drop_epoch: int = 400
    batch_size: int = 16
    num_worker: int = 8
    optimizer: str = "ADAMW"
    backbone_multiplier: float = 0.1
    giou_weight: float = 2.0
    l1_weight: float = 5.0
    freeze_layers: Tuple[int, ...] = (0,)
    print_interval: int = 50
    val_epoch_interval: int = 20
    grad_clip_norm: float = 0.1
    amp: bool = False
    ce_start_epoch: int = 20
    ce_warm_epoch: int = 80
    drop_path_rate: float = 0.1
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)


@dataclass(frozen=True)
class TestConfig:
    """TEST: inference crop geometry (what the tracker uses) and the checkpoint epoch."""

    __test__ = False  # not a pytest test class

    template_factor: float = 2.0
    template_size: int = 128
    search_factor: float = 5.0
    search_size: int = 320
    epoch: int = 500


@dataclass(frozen=True)
class OSTrackConfig:
    """A whole experiment: the official YAML as typed, immutable data."""

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    test: TestConfig = field(default_factory=TestConfig)
    name: str = "custom"

    @property
    def template_grid(self) -> int:
        """Template tokens per side (DATA.TEMPLATE.SIZE / stride): the model is built from DATA sizes."""
        return self.data.template.size // self.model.backbone.stride

    @property
    def search_grid(self) -> int:
        """Search tokens per side (DATA.SEARCH.SIZE / stride), also the score-map size."""
        return self.data.search.size // self.model.backbone.stride


def as_tuple(value) -> tuple:
    """YAML lists become tuples so configs stay hashable and immutable."""
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


__all__: List[str] = [
    "BACKBONE_WIDTHS",
    "CE_TEMPLATE_RANGES",
    "BackboneConfig",
    "BackboneWidth",
    "HeadConfig",
    "ModelConfig",
    "CropConfig",
    "DatasetMixConfig",
    "DataConfig",
    "SchedulerConfig",
    "TrainConfig",
    "TestConfig",
    "OSTrackConfig",
]
