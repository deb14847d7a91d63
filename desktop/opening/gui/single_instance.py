"""One window per user folder: a second start brings the running window to the front and exits, so two
windows never write one dataset behind each other's back.

The first window listens on a local socket (``QLocalServer``) named after the user folder (tests and
``OPENING_HOME`` users get their own); a later start connects, says ``raise``, and quits. A socket left
by a killed window answers nothing and is replaced.
"""

from __future__ import annotations

import hashlib
import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from opening.base.paths import user_dir

log = logging.getLogger(__name__)
CONNECT_MS = 500


def server_name() -> str:
    folder = str(user_dir().resolve()).encode("utf-8", "surrogateescape")
    return "opening-desktop-" + hashlib.sha256(folder).hexdigest()[:16]


def ask_running_window() -> bool:
    """True when another window of this user folder is running (it was asked to come to the front)."""
    socket = QLocalSocket()
    socket.connectToServer(server_name())
    if not socket.waitForConnected(CONNECT_MS):
        return False
    socket.write(b"raise\n")
    socket.flush()
    socket.waitForBytesWritten(CONNECT_MS)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for later starts; ``raiseRequested`` when one asks for the window."""

    raiseRequested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        self.server.newConnection.connect(self._accept)
        if not self.server.listen(server_name()):
            QLocalServer.removeServer(server_name())  # left by a window that was killed
            if not self.server.listen(server_name()):
                log.warning("cannot listen for a second start: %s", self.server.errorString())

    def _accept(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).strip() == b"raise":
            self.raiseRequested.emit()

    def close(self) -> None:
        self.server.close()
