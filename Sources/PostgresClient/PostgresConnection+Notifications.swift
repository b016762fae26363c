import CLibPQ
import Glibc

/// `LISTEN`/`NOTIFY`: how replicas wake each other when a job is waiting. Notifications are best-effort (one sent
/// while a listener reconnects is lost), so they only shorten the wait for the next sweep; they never replace it.
extension PostgresConnection {
    /// Starts listening on `channel`, which must be a plain identifier of our own (it cannot be a bound parameter).
    public func listen(_ channel: String) throws(PostgresError) {
        precondition(channel.allSatisfy { $0.isLetter || $0 == "_" }, "a channel is a plain identifier")
        try query("LISTEN \(channel)")
    }

    /// Sends a notification on `channel` (visible to listeners when the current transaction, if any, commits).
    public func notify(_ channel: String) throws(PostgresError) {
        try query("SELECT pg_notify($1, '')", [channel])
    }

    /// Waits up to `timeout` for notifications on the channels this connection listens to, and consumes them all.
    /// True when at least one arrived. Throws `connectionLost` when the connection broke while waiting.
    public func waitForNotifications(timeout: Duration) throws(PostgresError) -> Bool {
        if drainNotifications() { return true }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else {
            throw PostgresError(kind: .connectionLost, message: "the connection is closed")
        }
        let ready = poll(&descriptor, 1, Int32(clamping: max(0, Int64(timeout / .milliseconds(1)))))
        guard ready > 0 else { return false }
        guard PQconsumeInput(handle) == 1 else {
            throw PostgresError(
                kind: .connectionLost, message: PostgresError.trimmed(PQerrorMessage(handle)) ?? "connection lost")
        }
        return drainNotifications()
    }

    private func drainNotifications() -> Bool {
        var any = false
        while let notification = PQnotifies(handle) {
            PQfreemem(notification)
            any = true
        }
        return any
    }
}
