"""Content reacting to events: an uploaded video gets transcoded."""

from shoptide.content.jobs import TranscodeJobs
from shoptide.db import Databases
from shoptide.events import Delivery, HandlerRegistry, VideoUploaded


def register(registry: HandlerRegistry, databases: Databases) -> None:
    jobs = TranscodeJobs(databases)

    async def start_transcode(delivery: Delivery) -> None:
        """Starts the job and returns: the dispatcher goes on with the cell's other events
        (content.jobs says why, and how a job that dies is picked up again)."""
        jobs.start(delivery.cell, int(delivery.payload["video_id"]))

    registry.register(VideoUploaded, "content.transcode", start_transcode)
