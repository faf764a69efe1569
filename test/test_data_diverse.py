"""The multi-source renderer and its photo families: determinism, labels under camera zoom, shake,
hands and occluders, scale range, family loading and their errors."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from ostrack_ros.data import diverse
from ostrack_ros.data.diverse import (
    DiverseConfig,
    generate_diverse,
    parse_family_args,
    render_diverse,
    sequence_jpeg_quality,
    shape_mask,
)
from ostrack_ros.data.photo_sources import (
    PROCEDURAL_KINDS,
    PhotoFamily,
    folder_family,
    load_families,
    procedural_family,
    procedural_texture,
)

SMALL = DiverseConfig(width=128, height=96, length=12, object_size=(16.0, 28.0))


def _procedural():
    return [procedural_family(0, count=6)]


def test_same_seed_same_pixels_other_index_other_pixels():
    a = render_diverse(SMALL, _procedural(), seed=3, index=1)
    b = render_diverse(SMALL, _procedural(), seed=3, index=1)
    c = render_diverse(SMALL, _procedural(), seed=3, index=2)
    assert all(np.array_equal(x, y) for x, y in zip(a.frames, b.frames))
    np.testing.assert_array_equal(a.boxes, b.boxes)
    assert not np.array_equal(a.frames[0], c.frames[0])
    assert a.frames[0].shape == (96, 128, 3) and a.frames[0].dtype == np.uint8
    assert sequence_jpeg_quality(SMALL, 3, 1) == sequence_jpeg_quality(SMALL, 3, 1)
    assert SMALL.jpeg_quality[0] <= sequence_jpeg_quality(SMALL, 3, 1) <= SMALL.jpeg_quality[1]


@pytest.mark.parametrize("hands_and_occluders", [False, True])
def test_box_is_the_tight_box_of_the_visible_target(monkeypatch, hands_and_occluders):
    """A white target on dark images: the thresholded white pixels must match the label, with the
    camera zooming and shaking and (second case) a hand and an occluder covering parts of it."""
    monkeypatch.setattr(
        diverse, "_target_texture", lambda rng, cfg, photo, w, h: np.full((h, w, 3), 255.0, np.float32)
    )
    dark = PhotoFamily("dark", tuple(np.zeros((200, 200, 3), np.uint8) for _ in range(3)), "test", "-")
    p = 1.0 if hands_and_occluders else 0.0
    cfg = replace(
        SMALL,
        length=20,
        p_low_texture=0.0,
        p_dark=0.0,
        p_lookalike=0.0,
        p_motion_blur=0.0,
        p_lighting=0.0,
        p_grey=0.0,
        p_camera_zoom=1.0,
        p_shake=1.0,
        p_holder=p,
        p_occlusion=p,
        p_out_of_view=0.5,
        noise_std=(0.0, 0.0),
    )
    checked, partly_covered = 0, 0
    for index in range(4):
        seq = render_diverse(cfg, [dark], seed=11, index=index)
        for t, frame in enumerate(seq.frames):
            ys, xs = np.nonzero(frame.min(axis=2) > 128)
            if seq.absence[t]:
                assert len(xs) <= 6  # at most a sliver of < 2 % of the target
                assert (seq.boxes[t] == 0).all() and seq.cover[t] == 0
                continue
            assert len(xs), f"seq {index} frame {t}: labelled visible but no target pixel"
            truth = (xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min())
            np.testing.assert_allclose(seq.boxes[t], truth, atol=1.5)
            assert 1 <= seq.cover[t] <= 8
            checked += 1
            partly_covered += seq.cover[t] < 8
    assert checked > 40
    assert (partly_covered > 5) == hands_and_occluders


def test_scale_changes_up_to_the_configured_ratio():
    ratios = []
    for index in range(30):
        rng = np.random.default_rng(index)
        scales = diverse._scale_path(rng, SMALL, 60)
        assert scales[0] == pytest.approx(1.0)
        ratios.append(scales.max() / scales.min())
    assert max(ratios) <= SMALL.max_scale_change + 1e-9 and max(ratios) > 2.0


def test_shape_masks_fill_their_box():
    rng = np.random.default_rng(0)
    for _ in range(20):
        mask = shape_mask(rng, 30, 20)
        assert mask.shape == (20, 30) and mask.max() <= 1.0
        ys, xs = np.nonzero(mask > 0.5)
        assert xs.min() <= 2 and xs.max() >= 27 and ys.min() <= 2 and ys.max() >= 17


def test_procedural_textures_are_seeded_and_flat_is_low_texture():
    family = procedural_family(5, count=len(PROCEDURAL_KINDS))
    again = procedural_family(5, count=len(PROCEDURAL_KINDS))
    assert all(np.array_equal(a, b) for a, b in zip(family.images, again.images))
    assert not np.array_equal(family.images[0], procedural_family(6, count=1).images[0])
    flat = procedural_texture(np.random.default_rng(1), 64, "flat")
    assert flat.dtype == np.uint8 and flat.shape == (64, 64, 3) and flat.std(axis=(0, 1)).max() < 8
    with pytest.raises(ValueError, match="unknown procedural texture 'plaid'"):
        procedural_texture(np.random.default_rng(1), 64, "plaid")


def test_folder_family_and_errors(tmp_path):
    (tmp_path / "one").mkdir()
    cv2.imwrite(str(tmp_path / "one" / "a.png"), np.full((80, 90, 3), 7, np.uint8))
    with pytest.raises(ValueError, match="fewer than two readable images"):
        folder_family("mine", tmp_path / "one", "test", "CC0")
    cv2.imwrite(str(tmp_path / "one" / "b.jpg"), np.full((2000, 100, 3), 9, np.uint8))
    (tmp_path / "one" / "notes.txt").write_text("not an image")
    family = folder_family("mine", tmp_path / "one", "test", "CC0")
    assert len(family.images) == 2 and max(family.images[1].shape[:2]) == 1024
    names, folders = parse_family_args(["skimage,procedural", f"ukui={tmp_path / 'one'}"])
    assert names == ["skimage", "procedural", "ukui"] and folders == {"ukui": tmp_path / "one"}
    loaded = load_families(names, tmp_path, folders)
    assert [f.name for f in loaded] == names and loaded[2].licence.startswith("CC-BY-SA")
    with pytest.raises(ValueError, match="unknown photo family 'flickr'"):
        load_families(["flickr"], tmp_path)


def test_generate_writes_got10k_layout_and_sources(tmp_path):
    folders = generate_diverse(
        tmp_path / "set", 2, seed=4, families=_procedural(), cfg=replace(SMALL, length=5), progress=False
    )
    assert [f.name for f in folders] == ["diverse_4_0000", "diverse_4_0001"]
    assert (tmp_path / "set" / "list.txt").read_text().split() == [f.name for f in folders]
    assert "procedural\t6 images" in (tmp_path / "set" / "sources.txt").read_text()
    from ostrack_ros.data import read_sequence

    seq = read_sequence(folders[0])
    assert len(seq) == 5 and seq.visible[0] and seq.boxes.shape == (5, 4)


def test_cli_out_of_view_makes_every_target_leave_the_view(tmp_path, monkeypatch):
    configs = []
    monkeypatch.setattr(diverse, "generate_diverse", lambda *args, **kw: configs.append(args[4]))
    for flag in ([], ["--out-of-view"]):
        argv = ["--out", str(tmp_path), "--sequences", "1", "--families", "procedural", *flag]
        assert diverse.main(argv) == 0
    assert [c.p_out_of_view for c in configs] == [DiverseConfig.p_out_of_view, 1.0]


def test_worker_processes_write_the_same_pixels(tmp_path):
    cfg = replace(SMALL, length=4)
    serial = generate_diverse(tmp_path / "a", 2, seed=8, families=_procedural(), cfg=cfg, progress=False)
    pooled = generate_diverse(
        tmp_path / "b", 2, seed=8, families=_procedural(), cfg=cfg, workers=2, progress=False
    )
    for a, b in zip(serial, pooled):
        for name in ("00000001.jpg", "00000004.jpg", "groundtruth.txt", "absence.label"):
            assert (a / name).read_bytes() == (b / name).read_bytes()


def test_grey_sequences_have_no_colour():
    seq = render_diverse(replace(SMALL, p_grey=1.0, length=3), _procedural(), seed=2, index=0)
    frame = seq.frames[1].astype(int)
    for a, b in ((0, 1), (1, 2)):  # only the per-channel sensor noise (std <= 6) differs
        assert np.abs(frame[..., a] - frame[..., b]).mean() < 8
