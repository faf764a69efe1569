"""Checkpoint loading: official layouts load strictly, mismatches give one readable error."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from conftest import REFERENCE_DIR
from ostrack_ros.model import CheckpointError, build_model, load_model, load_state_dict_file
from ostrack_ros.model.convert import main as convert_main

REF = REFERENCE_DIR
TINY_CFG, TINY_CKPT = REF / "tiny/config.yaml", REF / "tiny/checkpoint.pth.tar"


@pytest.mark.parametrize("name", ["vitb_256_mae_ce_32x4_ep300", "vitb_384_mae_ce_32x4_ep300"])
def test_official_key_lists_match_presets(name):
    ref = json.loads((REF / f"checkpoint_keys/{name}.json").read_text())
    state = build_model(name).state_dict()
    assert list(state) == list(ref)
    assert {k: list(v.shape) for k, v in state.items()} == ref


@pytest.mark.parametrize("name", ["vitb_256_mae_ce_32x4_ep300", "vitb_384_mae_ce_32x4_ep300"])
def test_official_yaml_file_equals_preset(name):
    from ostrack_ros.configs import load_config

    a, b = load_config(name), load_config(REF / f"configs/{name}.yaml")
    assert (a.model, a.data, a.train, a.test) == (b.model, b.data, b.train, b.test)


def test_wrong_resolution_names_the_cause(tmp_path):
    state = build_model("vitb_384_mae_ce_32x4_ep300").state_dict()
    path = tmp_path / "OSTrack_ep0300.pth.tar"
    torch.save({"net": state, "epoch": 300}, path)
    with pytest.raises(CheckpointError, match="384px search region.*vitb_384"):
        load_model("vitb_256_mae_ce_32x4_ep300", path)


def test_missing_and_unexpected_keys_are_listed(tmp_path):
    state = torch.load(TINY_CKPT, weights_only=True)["net"]
    state.pop("box_head.conv5_size.bias")
    state["extra.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "bare.pth")
    with pytest.raises(
        CheckpointError, match=r"missing keys \(1\): box_head.conv5_size.bias.*unexpected keys"
    ):
        load_model(TINY_CFG, tmp_path / "bare.pth")


def test_bare_and_ddp_state_dicts_load(tmp_path):
    state = torch.load(TINY_CKPT, weights_only=True)["net"]
    torch.save({"module." + k: v for k, v in state.items()}, tmp_path / "ddp.pth")
    assert set(load_state_dict_file(tmp_path / "ddp.pth")) == set(state)
    load_model(TINY_CFG, tmp_path / "ddp.pth")


class Settings:  # stands in for lib.train.admin.settings.Settings of the official trainer
    pass


def test_pickled_checkpoint_refused_then_converted(tmp_path, monkeypatch):
    state = torch.load(TINY_CKPT, weights_only=True)
    state["settings"] = Settings()
    src = tmp_path / "OSTrack_ep0300.pth.tar"
    torch.save(state, src)
    with pytest.raises(CheckpointError, match="ostrack-convert --trust"):
        load_model(TINY_CFG, src)
    dst = tmp_path / "OSTrack_ep0300.safetensors"
    assert convert_main([str(src), str(dst)]) == 2  # refused without --trust
    # Make the class unresolvable, like the official `lib` package missing at conversion time.
    monkeypatch.delattr(sys.modules[__name__], "Settings")
    assert convert_main(["--trust", str(src), str(dst)]) == 0
    model = load_model(TINY_CFG, dst)
    ref = load_model(TINY_CFG, TINY_CKPT)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), ref.state_dict().values()))


def test_missing_file_and_garbage(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_model(TINY_CFG, tmp_path / "nope.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_model(TINY_CFG, tmp_path / "junk.pth")


def test_unavailable_cuda_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(ValueError, match="CUDA is not available"):
        load_model(TINY_CFG, None, device="cuda")
