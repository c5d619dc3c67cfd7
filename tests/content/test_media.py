"""What ffprobe and ffmpeg report, read the way the upload and the job rely on."""

import asyncio

import pytest

from shoptide.content import media
from shoptide.errors import InvalidInput


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1080, 1920, [(720, 1280), (360, 640)]),  # a phone's portrait clip
        (1920, 1080, [(1280, 720), (640, 360)]),  # landscape stays landscape
        (480, 854, [(480, 854), (360, 640)]),  # never upscaled
        (320, 240, [(320, 240)]),
    ],
)
def test_renditions_keep_the_orientation_and_never_upscale(width, height, expected):
    renditions = media.ladder(media.Probe(width, height, 3000, has_audio=True))

    assert [(r.width, r.height) for r in renditions] == expected


async def test_progress_is_the_share_of_the_duration_already_written():
    reported: list[int] = []

    async def report(percent: int) -> None:
        reported.append(percent)

    lines = b"out_time_us=N/A\nout_time_us=750000\nprogress=continue\nout_time_us=760000\n"
    stream = asyncio.StreamReader()
    stream.feed_data(lines + b"out_time_us=1500000\nout_time_us=3020000\nprogress=end\n")
    stream.feed_eof()
    await media._follow_progress(stream, 3000, report)

    assert reported == [25, 50, 99]  # 100 only once the video is ready


def test_a_phone_clip_stored_rotated_is_read_as_portrait():
    report = {
        "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "12.5"},
        "streams": [
            {
                "codec_type": "video",
                "width": 1920,
                "height": 1080,
                "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}],
            }
        ],
    }

    assert media._probe_of(report) == media.Probe(1080, 1920, 12_500, has_audio=False)


def test_a_video_over_ten_minutes_is_refused_with_its_length():
    report = {
        "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "723.2"},
        "streams": [{"codec_type": "video", "width": 720, "height": 1280}],
    }

    with pytest.raises(InvalidInput, match="at most 10 minutes long; this one is 12 min 3 s"):
        media._probe_of(report)
