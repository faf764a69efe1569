"""GOT-10k / generic folder readers and the synthetic generator's determinism and labels."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ostrack_ros.data import read_dataset, read_sequence, sequence_folders
from ostrack_ros.data.synthetic import SyntheticConfig, render_sequence
from ostrack_ros.data.synthetic import main as synthetic_main


def _write_frames(folder: Path, n: int, size=(40, 30)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        cv2.imwrite(str(folder / f"{i + 1:08d}.jpg"), np.full((size[1], size[0], 3), 10 * i, np.uint8))


def test_got10k_layout_honours_absence_and_cover(tmp_path):
    seq = tmp_path / "GOT-10k_Train_000001"
    _write_frames(seq, 5)
    (seq / "groundtruth.txt").write_text("1,2,10,12\n1,2,10,12\n3,4,5,6\n0,0,0,0\n2,2,8,8\n")
    (seq / "absence.label").write_text("0\n0\n1\n0\n0\n")
    (seq / "cover.label").write_text("8\n0\n3\n8\n5\n")
    (tmp_path / "list.txt").write_text("GOT-10k_Train_000001\n")
    [s] = read_dataset(tmp_path)
    assert s.name == "GOT-10k_Train_000001" and len(s) == 5
    # frame 1 fully covered, frame 2 absent, frame 3 has an empty box
    assert s.visible.tolist() == [True, False, False, False, True]
    assert s.boxes[0].tolist() == [1, 2, 10, 12]
    frame = s.frame(1)
    assert frame.shape == (30, 40, 3) and frame.dtype == np.uint8


def test_generic_folder_with_whitespace_boxes(tmp_path):
    _write_frames(tmp_path / "img", 3)
    (tmp_path / "groundtruth.txt").write_text("1 2 3 4\n1\t2\t3\t4\nnan nan nan nan\n")
    assert sequence_folders(tmp_path) == [tmp_path]
    s = read_sequence(tmp_path)
    assert s.visible.tolist() == [True, True, False]


def test_folder_of_sequences_without_list(tmp_path):
    for name in ("b", "a"):
        _write_frames(tmp_path / name, 2)
        (tmp_path / name / "groundtruth.txt").write_text("0,0,4,4\n0,0,4,4\n")
    assert [s.name for s in read_dataset(tmp_path)] == ["a", "b"]


@pytest.mark.parametrize(
    "gt, message",
    [
        ("1,2,3\n1,2,3,4\n", "expected 4 numbers"),
        ("1,2,3,4\n", "2 frames but 1 boxes"),
        ("1,2,x,4\n1,2,3,4\n", "not a number"),
    ],
)
def test_malformed_annotations_are_clear_errors(tmp_path, gt, message):
    _write_frames(tmp_path, 2)
    (tmp_path / "groundtruth.txt").write_text(gt)
    with pytest.raises(ValueError, match=message):
        read_sequence(tmp_path)


def test_missing_dataset_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no sequence"):
        read_dataset(tmp_path)
    (tmp_path / "list.txt").write_text("missing_seq\n")
    with pytest.raises(FileNotFoundError, match="missing_seq"):
        read_dataset(tmp_path)


SMALL = SyntheticConfig(
    width=128,
    height=96,
    length=30,
    object_size=(18.0, 30.0),
    p_occlusion=1.0,
    p_out_of_view=1.0,
    max_distractors=2,
)


def test_synthetic_is_deterministic_per_seed():
    a, b, c = render_sequence(SMALL, 3, 0), render_sequence(SMALL, 3, 0), render_sequence(SMALL, 4, 0)
    assert all(np.array_equal(x, y) for x, y in zip(a.frames, b.frames))
    assert np.array_equal(a.boxes, b.boxes)
    assert not np.array_equal(a.frames[5], c.frames[5])


def test_synthetic_labels_are_consistent():
    for index in range(3):
        s = render_sequence(SMALL, 11, index)
        assert len(s.frames) == 30 and s.frames[0].shape == (96, 128, 3)
        assert s.absence[0] == 0 and s.cover[0] == 8  # starts fully visible
        present = s.absence == 0
        x, y, w, h = s.boxes[present].T
        assert (w > 0).all() and (h > 0).all()
        assert (x >= 0).all() and (y >= 0).all() and (x + w <= 128).all() and (y + h <= 96).all()
        assert (s.cover[~present] == 0).all() and (s.boxes[~present] == 0).all()
        assert ((s.cover >= 0) & (s.cover <= 8)).all()
    # with an excursion forced in every sequence, some frames leave the view
    assert any(render_sequence(SMALL, 11, i).absence.any() for i in range(3))


def test_synthetic_cli_writes_got10k_layout(tmp_path):
    assert (
        synthetic_main(
            ["--out", str(tmp_path), "--sequences", "2", "--length", "5", "--seed", "2", "--size", "96x72"]
        )
        == 0
    )
    sequences = read_dataset(tmp_path)
    assert [len(s) for s in sequences] == [5, 5]
    assert sequences[0].frame(0).shape == (72, 96, 3)
    assert (tmp_path / sequences[0].name / "absence.label").is_file()
