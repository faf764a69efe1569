"""The one frame reader: video, image folder and .npz give the same RGB frames; errors say why."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ostrack_ros.tracking.frames import FrameSource, FrameSourceError


def _frames(n=5, size=(24, 32)):
    frames = np.zeros((n, *size, 3), np.uint8)
    for i in range(n):
        frames[i, :, :, 0] = 40 * i  # red channel counts the frames
        frames[i, :, i, 2] = 255  # a blue bar moves right
    return frames


def test_folder_and_npz_give_identical_rgb_frames_and_loop(tmp_path):
    frames = _frames()
    for i, rgb in enumerate(frames):  # written out of natural order on purpose
        cv2.imwrite(str(tmp_path / f"f{i}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    np.savez(tmp_path / "seq.npz", frames=frames)
    for source in (FrameSource(tmp_path), FrameSource(tmp_path / "seq.npz")):
        with source:
            assert len(source) == 5 and source.native_fps == 30.0
            got = list(source)
            np.testing.assert_array_equal(np.stack(got), frames)
            assert source.read() is None  # at the end
            source.rewind()
            np.testing.assert_array_equal(source.read(), frames[0])


def test_video_frames_are_rgb(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 12.0, (32, 24))
    if not writer.isOpened():
        pytest.skip("OpenCV cannot write MJPG video here")
    red = np.zeros((24, 32, 3), np.uint8)
    red[..., 0] = 220
    for _ in range(3):
        writer.write(cv2.cvtColor(red, cv2.COLOR_RGB2BGR))
    writer.release()
    source = FrameSource(path)
    first = source.read()
    assert first.shape == (24, 32, 3) and first[..., 0].mean() > 180 and first[..., 2].mean() < 40
    assert source.native_fps == pytest.approx(12.0)
    assert len(list(source)) == 3


def test_an_undecodable_image_is_one_error_and_reading_goes_on(tmp_path):
    cv2.imwrite(str(tmp_path / "1.png"), np.zeros((4, 4, 3), np.uint8))
    (tmp_path / "2.png").write_bytes(b"not a png")
    cv2.imwrite(str(tmp_path / "3.png"), np.full((4, 4, 3), 9, np.uint8))
    source = FrameSource(tmp_path)
    assert source.read() is not None
    with pytest.raises(FrameSourceError, match="cannot decode image"):
        source.read()
    assert source.read()[0, 0, 0] == 9


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing.mp4", "does not exist"),
        (lambda d: d, "holds no images"),
        (lambda d: (d / "x.npz", np.savez(d / "x.npz", boxes=np.zeros(3)))[0], "no 'frames' array"),
        (lambda d: (d / "y.npz", np.savez(d / "y.npz", frames=np.zeros((2, 4, 4), np.float32)))[0], "uint8"),
        (lambda d: (d / "z.npz", (d / "z.npz").write_bytes(b"garbage"))[0], "cannot read"),
        (lambda d: (d / "v.mp4", (d / "v.mp4").write_bytes(b"garbage"))[0], "cannot open video"),
    ],
)
def test_unreadable_inputs_are_clear_errors(tmp_path, make, message):
    with pytest.raises(FrameSourceError, match=message):
        FrameSource(make(tmp_path))
