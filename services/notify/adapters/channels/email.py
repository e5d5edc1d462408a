"""Email over SMTP (stdlib ``smtplib``, run in a thread so the loop stays free)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from services.notify.adapters.channels import DeliveryError, Outgoing
from services.notify.settings import NotifySettings

FOOTER = "\n\n--\nこのメールは Tsunagi(ほっとネット)から自動送信されています。詳しい内容は Tsunagi でご確認ください。"


class EmailSender:
    def __init__(self, options: NotifySettings) -> None:
        self.options = options

    def message(self, item: Outgoing) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = f"[Tsunagi] {item.title}"
        msg["From"] = self.options.smtp_from
        msg["To"] = item.target
        msg["Date"] = formatdate(localtime=False)
        # Stable per delivery: a retry after a lost reply is recognisably the same mail.
        msg["Message-ID"] = f"<{item.delivery_id}@tsunagi.notify>"
        msg["X-Tsunagi-Kind"] = item.kind
        msg.set_content(item.body + FOOTER, charset="utf-8")
        return msg

    def _send(self, msg: EmailMessage) -> None:
        opts = self.options
        with smtplib.SMTP(opts.smtp_host or "", opts.smtp_port, timeout=opts.smtp_timeout_s) as smtp:
            if opts.smtp_starttls:
                smtp.starttls()
            if opts.smtp_username:
                password = opts.smtp_password.get_secret_value() if opts.smtp_password else ""
                smtp.login(opts.smtp_username, password)
            smtp.send_message(msg)

    def _write(self, msg: EmailMessage, delivery_id: str) -> str:
        folder = self.options.mail_dir
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{delivery_id}.eml"
        path.write_bytes(bytes(msg))
        return f"written to {path}"

    async def send(self, item: Outgoing) -> str:
        if not item.target:
            raise DeliveryError("関連機関のメールアドレスが登録されていません", permanent=True)
        if not self.options.smtp_host and self.options.mail_dir is not None:
            return await asyncio.to_thread(self._write, self.message(item), item.delivery_id)
        if not self.options.smtp_host:
            raise DeliveryError("SMTP サーバーが設定されていません (TSUNAGI_NOTIFY_SMTP_HOST)", permanent=True)
        try:
            await asyncio.to_thread(self._send, self.message(item))
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"宛先が拒否されました: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP エラー: {type(exc).__name__}: {exc}") from exc
        return f"sent via {self.options.smtp_host}:{self.options.smtp_port}"
