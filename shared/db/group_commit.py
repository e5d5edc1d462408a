"""Group commit: concurrent commands that only insert rows share one transaction.

Under load many HTTP requests are in flight at once, and each one's transaction (BEGIN,
an INSERT per table, the outbox INSERT, COMMIT — on PostgreSQL a WAL flush too) costs
more than its rows. A ``GroupCommit`` queues each command's rows and events; one writer
task takes everything queued, inserts it with one executemany per table and one outbox
insert, commits once, and answers every waiting command. Nobody waits for company: a
command that finds the writer idle is written at once (one transaction, as before);
only while a transaction is in flight do the next commands queue, and they go together.

**Failures stay with their command.** If the shared transaction breaks a constraint,
nothing of it is committed and each command is written again in its own transaction,
so only the command at fault gets the ``IntegrityError``; the others succeed as they
would have alone. Any other error (the database is down) reaches every command of the
batch, as it would have reached each of them alone.

A command is answered only after its commit: a caller that is told "done" has its rows
and events stored. A caller cancelled while waiting (a client that hung up) does not
withdraw its command — it is stored like the others (受け止めきる: nothing raised is
lost), and nobody is told."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError

from shared.db.sql import insert_rows
from shared.db.uow import UnitOfWork
from shared.events import Envelope


@dataclass
class _Command:
    rows: Sequence[tuple[Table, dict[str, Any]]]
    events: Sequence[Envelope]
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def answer(self, error: BaseException | None = None) -> None:
        if self.done.done():  # its caller was cancelled
            return
        if error is None:
            self.done.set_result(None)
        elif isinstance(error, asyncio.CancelledError):  # the writer was cancelled (shutdown)
            self.done.cancel()
        else:
            self.done.set_exception(error)


class GroupCommit:
    def __init__(self, unit_of_work: Callable[[], UnitOfWork], *, max_commands: int = 100) -> None:
        self.unit_of_work = unit_of_work  # for the reads a command needs (each its own)
        self.clock = unit_of_work().clock
        self._max = max_commands
        self._queue: list[_Command] = []
        self._writer: asyncio.Task[None] | None = None
        self.transactions = 0
        self.commands = 0

    async def insert(self, rows: Sequence[tuple[Table, dict[str, Any]]], events: Sequence[Envelope] = ()) -> None:
        """Inserts ``rows`` (in order) and records ``events`` in the outbox, committed
        together with whatever other commands are queued. Returns once committed."""
        command = _Command(rows, events)
        self._queue.append(command)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="group-commit")
            self._writer.add_done_callback(self._writer_ended)
        await command.done

    def _writer_ended(self, writer: asyncio.Task[None]) -> None:
        """A writer cancelled (shutdown), even before its first turn: whoever is still
        queued is cancelled too, never left waiting."""
        if writer.cancelled():
            for command in self._queue:
                command.answer(asyncio.CancelledError())
            self._queue = []

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._max], self._queue[self._max :]
            try:
                await self._write(batch)
            except IntegrityError as clash:
                if len(batch) == 1:
                    batch[0].answer(clash)
                    continue
                for command in batch:  # find the one at fault: each alone
                    try:
                        await self._write([command])
                    except Exception as exc:
                        command.answer(exc)
                    else:
                        command.answer()
                continue
            except BaseException as exc:  # the database is down, or the writer cancelled
                for command in batch:
                    command.answer(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for command in batch:
                command.answer()

    async def _write(self, batch: list[_Command]) -> None:
        by_table: dict[Table, list[dict[str, Any]]] = {}
        for command in batch:
            for table, row in command.rows:
                by_table.setdefault(table, []).append(row)
        async with self.unit_of_work() as uow:
            for table, rows in by_table.items():  # tables in first-seen order (parents first)
                await insert_rows(uow.db, table, rows)
            for command in batch:
                uow.publish(*command.events)
            await uow.commit()
        self.transactions += 1
        self.commands += len(batch)
