"""Short real training runs of a tiny network: the loss falls, checkpoints are official and resumable."""

from __future__ import annotations

import dataclasses
import types

import numpy as np
import pytest
import torch

from ostrack_ros.model import load_model
from ostrack_ros.training.checkpoints import load_training_state
from ostrack_ros.training.cli import main as train_main
from ostrack_ros.training.processing import Augmentation
from ostrack_ros.training.trainer import Trainer, TrainOptions
from training_helpers import tiny_config, tiny_synthetic, write_tiny_yaml


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return tiny_synthetic(tmp_path_factory.mktemp("synthetic"))


def _config(epochs: int, lr: float = 1e-3):
    cfg = tiny_config()
    return dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, epoch=epochs, lr=lr))


def test_loss_falls_over_a_short_run(dataset, tmp_path):
    options = TrainOptions(
        [dataset],
        tmp_path,
        workers=0,
        progress=False,
        tensorboard=False,
        augmentation=Augmentation.none(),
        device="cpu",
    )
    result = Trainer(_config(8, lr=3e-3), options).fit()  # 8 epochs x 4 steps of 4 pairs
    assert result.steps == 32 and len(result.losses) == 32
    first, last = np.mean(result.losses[:4]), np.mean(result.losses[-4:])
    assert last < 0.8 * first, f"loss did not fall: {first:.3f} -> {last:.3f}"
    log = (tmp_path / "logs" / "train_epoch.csv").read_text().splitlines()
    assert log[0].startswith("step,epoch,loss,focal,giou,l1,iou,ce_keep_rate") and len(log) == 9


def test_checkpoint_is_official_and_resume_continues(dataset, tmp_path):
    options = TrainOptions([dataset], tmp_path, val_data=[dataset], workers=0, progress=False, device="cpu")
    first = Trainer(_config(1), options).fit()
    state = torch.load(first.checkpoint, map_location="cpu", weights_only=True)  # no pickled objects
    assert first.checkpoint.name == "OSTrack_ep0001.pth.tar"
    assert state["epoch"] == 1 and state["net_type"] == "OSTrack" and state["optimizer"] is not None
    assert not any(k.startswith("module.") for k in state["net"])
    assert "val_loss" in (tmp_path / "logs" / "train_epoch.csv").read_text().splitlines()[0]
    # the safetensors copy loads strictly into the inference network
    net = load_model(tiny_config(), tmp_path / "OSTrack_ep0001.safetensors")
    assert torch.equal(net.state_dict()["backbone.pos_embed_x"], state["net"]["backbone.pos_embed_x"])

    resumed = Trainer(_config(2), dataclasses.replace(options, resume=tmp_path))
    assert resumed.start_epoch == 1 and resumed.step == first.steps
    assert resumed.optimizer.state_dict()["state"], "optimizer moments were not restored"
    second = resumed.fit()
    assert second.epochs == 2 and second.steps == 2 * first.steps
    assert load_training_state(second.checkpoint)["epoch"] == 2


def test_fine_tune_starts_from_given_weights(dataset, tmp_path):
    options = TrainOptions(
        [dataset], tmp_path / "a", workers=0, progress=False, tensorboard=False, device="cpu"
    )
    Trainer(_config(1), options).fit()
    weights = tmp_path / "a" / "OSTrack_ep0001.pth.tar"
    tuned = Trainer(
        _config(1), dataclasses.replace(options, output_dir=tmp_path / "b", init_weights=weights, seed=7)
    )
    expected = load_training_state(weights)["net"]
    assert all(torch.equal(v, expected[k]) for k, v in tuned.network.state_dict().items())


def test_cli_runs_and_reports_bad_input(dataset, tmp_path, capsys):
    config = write_tiny_yaml(tmp_path / "tiny.yaml")
    assert (
        train_main(
            [
                "--config",
                str(config),
                "--data",
                str(dataset),
                "--out",
                str(tmp_path / "run"),
                "--device",
                "cpu",
                "--workers",
                "0",
                "--max-steps",
                "2",
                "--no-progress",
                "--no-tensorboard",
            ]
        )
        == 0
    )
    assert "after 2 steps" in capsys.readouterr().out
    assert (tmp_path / "run" / "OSTrack_ep0001.pth.tar").is_file()
    assert (
        train_main(["--config", str(config), "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "x")])
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
    assert (
        train_main(["--config", "no_such_preset", "--data", str(dataset), "--out", str(tmp_path / "x")]) == 2
    )
    bad = ["--config", str(config), "--data", str(dataset), "--out", str(tmp_path / "x")]
    assert train_main([*bad, "--no-target-pairs", "1.0"]) == 2
    assert "--no-target-pairs must be in [0, 1)" in capsys.readouterr().err


def test_cli_no_target_pairs_reach_the_training_data(dataset, tmp_path, monkeypatch):
    seen = {}

    class FakeTrainer:
        ctx = types.SimpleNamespace(is_main=False)

        def __init__(self, cfg, options):
            seen["options"] = options

        def fit(self):
            return None

        def close(self):
            pass

    monkeypatch.setattr("ostrack_ros.training.cli.Trainer", FakeTrainer)
    config = write_tiny_yaml(tmp_path / "tiny.yaml")
    args = ["--config", str(config), "--data", str(dataset), "--out", str(tmp_path / "run")]
    assert train_main(args) == 0 and seen["options"].augmentation == Augmentation()
    assert train_main([*args, "--no-target-pairs", "0.25"]) == 0
    assert seen["options"].augmentation == dataclasses.replace(Augmentation(), no_target=0.25)
