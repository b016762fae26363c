import Foundation
import Logging
import Synchronization

/// Brings the schema up to date as soon as PostgreSQL answers, on a thread of its own, retrying with capped backoff,
/// and then starts what needs the schema (the workers and the sweeper). So the service starts, listens and answers
/// `/healthz` before its database is up (a pod that starts first, a database restarting), instead of exiting: until
/// then `/readyz` and every database route answer 503 with `Retry-After`.
public final class SchemaReadiness: Sendable {
    private let ready: Atomic<Bool>
    private let stopped = Atomic(false)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic(false)
    /// Attempts start at 200 ms apart and back off to at most 2 s, so the service is ready within about 2 s of its
    /// database.
    static let backoff = RetryBackoff(initial: .milliseconds(200), maximum: .seconds(2))

    /// A readiness that is not ready until `start` has migrated; `ready: true` for callers that migrated themselves.
    public init(ready: Bool = false) {
        self.ready = Atomic(ready)
    }

    /// Whether the schema is migrated and the routes that use it may run.
    public var isReady: Bool { ready.load(ordering: .acquiring) }

    /// Starts the thread: connect, migrate, then `whenReady`, retrying until it succeeds or `stop()` is called.
    func start(conninfo: String, logger: Logger, whenReady: @escaping @Sendable () -> Void) {
        started.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            var backoff = Self.backoff
            var attempts = 0
            while !stopped.load(ordering: .acquiring) {
                do {
                    let applied = try Migrations.run(on: try PostgresConnection(conninfo))
                    if !applied.isEmpty { logger.info("schema migrated", metadata: ["db.migrations": "\(applied)"]) }
                    ready.store(true, ordering: .releasing)
                    whenReady()
                    break
                } catch {
                    attempts += 1
                    // Once, then every tenth attempt: a database that is down for minutes does not flood the log.
                    if attempts % 10 == 1 {
                        logger.warning(
                            "database not ready; serving 503 until it is",
                            metadata: ["error": "\(error)", "db.attempts": "\(attempts)"])
                    }
                    sleep(backoff.next())
                }
            }
            finished.signal()
        }
        thread.name = "imageproc-schema"
        thread.start()
    }

    /// Stops retrying and waits for the thread (within about 100 ms, or one migration).
    func stop() {
        stopped.store(true, ordering: .releasing)
        if started.load(ordering: .acquiring) { finished.wait() }
    }

    /// Sleeps `duration` in slices, so that `stop()` is not kept waiting.
    private func sleep(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while !stopped.load(ordering: .acquiring), ContinuousClock.now < end {
            Thread.sleep(forTimeInterval: min(0.1, (end - ContinuousClock.now).seconds))
        }
    }
}
