"""together-events: the operator's command line over the event history.

    together-events replay  [--topic T]... [--from-offset N | --from-time ISO] [--to-offset N | --to-time ISO]
                            [--type T]... [--subject S]... [--format jsonl|csv] [--output FILE]
    together-events story   ID [--format text|jsonl]
    (replay and story: [--registration-url URL [--token-file FILE]] opens sealed profiles, else "(sealed)")
    together-events verify  [--topic T]...
    together-events rebuild --service NAME --database-url URL [--compare-with URL]

Every command reads from the beginning (or the window given) up to the end offsets of
the moment it starts, so it terminates while services keep publishing. Topics default to
every service's topic under TOGETHER_TOPIC_NAMESPACE (or --namespace); `--topic pairing`
means that service's topic. Exit status: 0 fine, 1 the history or the rebuild is not
right, 2 the command could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import BinaryIO

import structlog
from aiokafka.errors import KafkaConnectionError
from structlog.typing import EventDict, WrappedLogger

from together_operator import (
    OperatorError,
    Progress,
    Selection,
    Window,
    replay_batches,
    resolve_types,
    story,
    topic_names,
    verify,
    write_records,
)
from together_operator.output import FORMATS
from together_operator.rebuild import compare, rebuild, rebuildable
from together_operator.story import chapter_json, chapter_line
from together_operator.unsealing import Unsealer
from together_servicekit.registration_client import RegistrationUnavailable


def parse_time(text: str) -> datetime:
    """ISO 8601; a time without an offset is taken as UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextlib.contextmanager
def opened(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        yield sys.stdout.buffer
        return
    with open(path, "wb") as out:
        yield out


async def run_replay(args: argparse.Namespace) -> int:
    window = Window(args.from_offset, args.to_offset, args.from_time, args.to_time)
    selection = Selection(resolve_types(args.type), frozenset(args.subject))
    progress = Progress()
    unsealer = Unsealer.of(args.registration_url, args.token_file)
    with opened(args.output) as out:
        batches = replay_batches(args.bootstrap, args.topics, window, selection, partitions=args.partition, progress=progress)
        async with contextlib.aclosing(batches):
            written = await write_records(unsealer.batches(batches), out, args.format)
    await unsealer.close()
    print(f"replayed {', '.join(args.topics)}: {progress.read} records read, {written} written", file=sys.stderr)
    return 0


async def run_story(args: argparse.Namespace) -> int:
    unsealer = Unsealer.of(args.registration_url, args.token_file)
    chapters = [replace(c, event=await unsealer.event(c.event)) for c in await story(args.bootstrap, args.id, args.topics)]
    await unsealer.close()
    for chapter in chapters:
        print(chapter_json(chapter) if args.format == "jsonl" else chapter_line(chapter))
    print(f"{len(chapters)} events about {args.id}", file=sys.stderr)
    return 0


async def run_verify(args: argparse.Namespace) -> int:
    report = await verify(args.bootstrap, args.topics)
    for finding in report.errors + report.notes:
        print(finding.line())
    print(report.summary())
    return 0 if report.ok else 1


async def run_rebuild(args: argparse.Namespace) -> int:
    if args.compare_with and args.compare_with == args.database_url:
        raise OperatorError("--compare-with is the database to rebuild into: give the live database")
    report = await rebuild(args.service, args.database_url, bootstrap=args.bootstrap, prefix=args.namespace)
    print(report.summary())
    for letter in report.dead_letters:
        print(f"  dead letter (not sent): {letter.line()}")
    if not args.compare_with:
        return 0
    comparison = await compare(args.service, args.database_url, args.compare_with)
    for line in comparison.lines(args.sample):
        print(line)
    return 0 if comparison.equal else 1


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
                        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:19092)")  # fmt: skip
    common.add_argument("--namespace", default=None, help="topic prefix (default: $TOGETHER_TOPIC_NAMESPACE)")
    keys = argparse.ArgumentParser(add_help=False)
    keys.add_argument("--registration-url", default=os.environ.get("TOGETHER_OPERATOR_REGISTRATION_URL"), metavar="URL",
                      help="open sealed profiles with data keys from registration (a service token with the scope "
                      "registration:data-keys); without it they show as (sealed), and erased ones as placeholders with it")  # fmt: skip
    keys.add_argument("--token-file", metavar="FILE", help="the token (default: the TOGETHER_OPERATOR_TOKEN_* settings)")
    topics = argparse.ArgumentParser(add_help=False)
    topics.add_argument("--topic", action="append", default=[], metavar="T",
                        help="a topic, or a service name for its topic; repeatable (default: every service's topic)")  # fmt: skip

    root = argparse.ArgumentParser(
        prog="together-events", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = root.add_subparsers(dest="command", required=True)

    replay = commands.add_parser("replay", parents=[common, topics, keys], help="write records of the topics as JSON Lines or CSV",
                                 description="Ranges are half-open: from (included) to (excluded). Offsets apply to every "
                                 "partition read; times select by the Kafka record timestamp (when it was published), exactly, in "
                                 "any order of timestamps: the read goes on to the end offsets of the moment it began. "
                                 "JSON Lines: one object per record, {topic, partition, offset, timestamp (Kafka, ms since "
                                 "the epoch), key, event (the envelope as published)}, plus raw (text) for a value that is "
                                 "not JSON. CSV columns: topic, partition, offset, time, type, subject, sequence, id, "
                                 "correlationid, causationid, data (JSON).")  # fmt: skip
    start = replay.add_mutually_exclusive_group()
    start.add_argument("--from-offset", type=int, metavar="N")
    start.add_argument("--from-time", type=parse_time, metavar="ISO8601")
    end = replay.add_mutually_exclusive_group()
    end.add_argument("--to-offset", type=int, metavar="N", help="stop before this offset")
    end.add_argument("--to-time", type=parse_time, metavar="ISO8601", help="only records timestamped before this time")
    replay.add_argument("--partition", type=int, action="append", metavar="P", help="only these partitions (default: all)")
    replay.add_argument("--type", action="append", default=[], metavar="T",
                        help="event type: full (together.pairing.RequestSent.v1) or a contract's name (RequestSent); repeatable")  # fmt: skip
    replay.add_argument("--subject", action="append", default=[], metavar="S", help="aggregate id; repeatable")
    replay.add_argument("--format", choices=FORMATS, default="jsonl")
    replay.add_argument("--output", default="-", metavar="FILE", help="default: standard output")
    replay.set_defaults(run=run_replay)

    tell = commands.add_parser("story", parents=[common, topics, keys], help="every event about one id, in time order")
    tell.add_argument("id", help="a request, pairing, participant... id: the subject, or any value in the data")
    tell.add_argument("--format", choices=("text", "jsonl"), default="text")
    tell.set_defaults(run=run_story)

    check = commands.add_parser("verify", parents=[common, topics],
                                help="check sequences (gaps, duplicates), envelopes and contracts; exit 1 on an error")  # fmt: skip
    check.set_defaults(run=run_verify)

    build = commands.add_parser("rebuild", parents=[common], help="rebuild a service's read model into a fresh database")
    build.add_argument("--service", required=True, choices=rebuildable(), help="a service that declares a rebuild (installed)")
    build.add_argument("--database-url", required=True, help="a fresh, empty database: it is migrated, then filled")
    build.add_argument("--compare-with", metavar="URL", help="the live database: compare the read models row by row")
    build.add_argument("--sample", type=int, default=10, help="differences shown per table (default 10)")
    build.set_defaults(run=run_rebuild)
    return root


def _without_dead_letter_lines(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """A rebuild collects its dead letters and lists them; the consumer's line would say they were sent."""
    if event.get("event") == "event.dead_lettered":
        raise structlog.DropEvent
    return event


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if hasattr(args, "topic"):
        args.topics = topic_names(args.topic, args.namespace)
    # Handlers log every event at info; an operator wants warnings and errors, apart from the output.
    structlog.configure(
        processors=[_without_dead_letter_lines, *structlog.get_config()["processors"]],
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    try:
        status = asyncio.run(args.run(args))
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except (OperatorError, KafkaConnectionError, OSError, RegistrationUnavailable) as exc:
        print(f"together-events {args.command}: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(status)


if __name__ == "__main__":
    main()
