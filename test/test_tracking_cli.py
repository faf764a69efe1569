"""``ostrack-track`` on an image folder and a video file, and its error paths."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import REFERENCE_DIR, TINY_MODEL_ARGS
from ostrack_ros.tracking import Tracker
from ostrack_ros.tracking.cli import format_line, main
from ostrack_ros.tracking.frames import FrameSource

TINY = REFERENCE_DIR / "tiny"
NUM_FRAMES = 6
MODEL_ARGS = [*TINY_MODEL_ARGS, "--device", "cpu"]


@pytest.fixture(scope="module")
def seq():
    with np.load(TINY / "tracker_sequence.npz") as data:
        return {"frames": data["frames"][:NUM_FRAMES], "init_box": data["init_box"]}


@pytest.fixture(scope="module")
def frame_dir(seq, tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    for i, rgb in enumerate(seq["frames"]):  # unpadded names: natural order must still be 0, 1, .., 5
        cv2.imwrite(str(folder / f"frame{i}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    (folder / "notes.txt").write_text("not a frame")
    return folder


def init_arg(seq) -> str:
    return ",".join(str(v) for v in seq["init_box"])


def test_image_folder_matches_the_tracker(seq, frame_dir, tmp_path, capsys):
    out = tmp_path / "boxes.txt"
    assert main(MODEL_ARGS + ["--video", str(frame_dir), "--init", init_arg(seq), "--out", str(out)]) == 0
    lines = out.read_text().splitlines(keepends=True)
    tracker = Tracker.from_files(TINY / "config.yaml", TINY / "checkpoint.pth.tar")
    tracker.initialize(seq["frames"][0], seq["init_box"])
    expected = [format_line(seq["init_box"], 1.0)]
    for rgb in seq["frames"][1:]:
        result = tracker.track(rgb)
        expected.append(format_line(result.box, result.score))
    assert lines == expected
    assert lines[0] == "100.5000,94.5000,48.0000,40.0000,1.000000\n"
    assert f"{NUM_FRAMES} frames" in capsys.readouterr().err


def test_boxes_go_to_stdout_without_out(seq, frame_dir, capsys):
    assert main(MODEL_ARGS + ["--video", str(frame_dir), "--init", init_arg(seq)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == NUM_FRAMES and all(len(line.split(",")) == 5 for line in lines)


def test_video_file(seq, tmp_path):
    video = tmp_path / "clip.avi"
    height, width = seq["frames"].shape[1:3]
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (width, height))
    if not writer.isOpened():
        pytest.skip("OpenCV cannot write MJPG video here")
    for rgb in seq["frames"]:
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    assert len(list(FrameSource(video))) == NUM_FRAMES
    out = tmp_path / "boxes.txt"
    assert main(MODEL_ARGS + ["--video", str(video), "--init", init_arg(seq), "--out", str(out)]) == 0
    rows = np.loadtxt(out, delimiter=",")
    assert rows.shape == (NUM_FRAMES, 5) and np.isfinite(rows).all()
    assert (rows[1:, 2:4] >= 10).all() and ((rows[1:, 4] > 0) & (rows[1:, 4] < 1)).all()


def test_natural_frame_order(tmp_path):
    for i in (10, 2, 1):
        cv2.imwrite(str(tmp_path / f"{i}.jpg"), np.full((4, 4, 3), i, np.uint8))
    assert [p.name for p in FrameSource(tmp_path).images] == ["1.jpg", "2.jpg", "10.jpg"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--video", "does/not/exist", "--init", "1,2,3,4"], "does not exist"),
        (["--init", "400,400,10,10"], "outside"),
        (["--init", "10,10,0,10"], "positive"),
        (["--init", "10,10,10,10", "--device", "tpu"], "device"),
    ],
)
def test_runtime_errors_are_one_line(frame_dir, capsys, extra, message):
    args = MODEL_ARGS + (extra if "--video" in extra else ["--video", str(frame_dir)] + extra)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_wrong_weights_for_config(frame_dir, tmp_path, capsys):
    narrow = tmp_path / "narrow_head.yaml"
    narrow.write_text((TINY / "config.yaml").read_text().replace("NUM_CHANNELS: 32", "NUM_CHANNELS: 16"))
    args = [
        "--config",
        str(narrow),
        "--weights",
        str(TINY / "checkpoint.pth.tar"),
        "--video",
        str(frame_dir),
        "--init",
        "10,10,10,10",
        "--device",
        "cpu",
    ]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "ostrack-track: error:" in err and "box_head" in err and "Traceback" not in err


def test_malformed_init_is_a_usage_error(frame_dir, capsys):
    with pytest.raises(SystemExit) as exc:
        main(MODEL_ARGS + ["--video", str(frame_dir), "--init", "1,2,3"])
    assert exc.value.code == 2
    assert "x,y,w,h" in capsys.readouterr().err


def test_missing_demo_model_is_explained(frame_dir, capsys, monkeypatch):
    import ostrack_ros.assets as assets

    def unavailable():
        raise FileNotFoundError("demo weights missing")

    monkeypatch.setattr(assets, "demo_model_paths", unavailable)
    assert main(["--video", str(frame_dir), "--init", "10,10,10,10"]) == 1
    assert "demo model" in capsys.readouterr().err
