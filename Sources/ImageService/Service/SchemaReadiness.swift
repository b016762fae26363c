import Foundation
import Logging
import PostgresClient
import Synchronization

/// Brings the schema up to date as soon as PostgreSQL answers, on a thread of its own, retrying with capped backoff,
/// and then starts what needs the schema (the workers and the sweeper). So the service starts, listens and answers
/// `/healthz` before its database is up (a pod that starts first, a database restarting), instead of exiting: until
/// then `/readyz` and every database route answer 503 with `Retry-After`.
///
/// After migrating, the thread keeps its connection and probes it every ``probeInterval``; `/readyz` reads the
/// time of the last answer instead of asking the database itself. So `/readyz` never queues behind the request
/// pool (a pod busy with slow requests stays ready), and a database that stops answering, or a probe that hangs,
/// makes it 503 within ``answerLifetime``.
public final class SchemaReadiness: Sendable {
    private let ready: Atomic<Bool>
    /// Until when the last answer vouches for the database, in nanoseconds after `epoch`; 0 for no answer.
    private let answeredUntil = Atomic<Int64>(0)
    private let epoch = ContinuousClock.now
    private let stopped = Atomic(false)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic(false)
    /// Attempts start at 200 ms apart and back off to at most 2 s, so the service is ready within about 2 s of its
    /// database.
    static let retryCeiling = Duration.seconds(2)
    static let probeInterval = Duration.seconds(1)
    /// How long an answer of the probe counts: a few probes, so that one slow answer does not flap readiness.
    static let answerLifetime = Duration.seconds(3)

    /// A readiness that is not ready until `start` has migrated; `ready: true` for callers that migrated themselves.
    /// Until started, the database counts as not answering.
    public init(ready: Bool = false) {
        self.ready = Atomic(ready)
    }

    /// Whether the schema is migrated and the routes that use it may run.
    public var isReady: Bool { ready.load(ordering: .acquiring) }

    /// Whether PostgreSQL answered the probe within ``answerLifetime`` before `now`.
    public func databaseAnswers(at now: ContinuousClock.Instant) -> Bool {
        nanoseconds(now) < answeredUntil.load(ordering: .acquiring)
    }

    /// Notes an answer of the database at `now`; nil notes a failure, which counts at once.
    func recordAnswer(at now: ContinuousClock.Instant?) {
        answeredUntil.store(now.map { nanoseconds($0 + Self.answerLifetime) } ?? 0, ordering: .releasing)
    }

    private func nanoseconds(_ instant: ContinuousClock.Instant) -> Int64 {
        let elapsed = (instant - epoch).components
        return elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000
    }

    /// Starts the thread: connect, migrate, then `whenReady`, retrying until it succeeds or `stop()` is called; then
    /// probe until `stop()`, reconnecting whenever the probe fails.
    func start(conninfo: String, logger: Logger, whenReady: @escaping @Sendable () -> Void) {
        started.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            var reconnect = ReconnectPolicy(initial: .milliseconds(200), maximum: Self.retryCeiling)
            var connection: PostgresConnection?
            while !stopped.load(ordering: .acquiring) {
                do {
                    let current = try connection ?? PostgresConnection(conninfo)
                    connection = current
                    let migrating = !isReady
                    if migrating {
                        let applied = try Migrations.run(on: current)
                        if !applied.isEmpty {
                            logger.info("schema migrated", metadata: ["db.migrations": "\(applied)"])
                        }
                    } else {
                        try current.query("SELECT 1")
                    }
                    recordAnswer(at: .now)
                    if migrating {
                        ready.store(true, ordering: .releasing)
                        whenReady()
                    }
                    let failures = reconnect.succeeded()
                    if failures > 0, !migrating {
                        logger.info("database answers again", metadata: ["db.attempts": "\(failures)"])
                    }
                    try watch(current, for: Self.probeInterval)
                } catch {
                    connection = nil
                    recordAnswer(at: nil)
                    let message: Logger.Message =
                        isReady
                        ? "database does not answer; /readyz says 503"
                        : (error as? PostgresError)?.code == .insufficientPrivilege
                            ? "waiting for the schema: this role cannot migrate it; run imageproc migrate as its owner"
                            : "database not ready; serving 503"
                    sleep(reconnect.failed(error, logger: logger, message))
                }
            }
            finished.signal()
        }
        thread.name = "imageproc-schema"
        thread.start()
    }

    /// Stops retrying and probing and waits for the thread (within about 100 ms, or one migration or probe).
    func stop() {
        stopped.store(true, ordering: .releasing)
        if started.load(ordering: .acquiring) { finished.wait() }
    }

    /// Waits `duration` on `connection`'s socket, in slices so that `stop()` is not kept waiting: a server that ends
    /// the session while it is idle (shutting down, a terminated backend) is noticed at once, not at the next probe.
    private func watch(_ connection: PostgresConnection, for duration: Duration) throws(PostgresError) {
        let end = ContinuousClock.now + duration
        while !stopped.load(ordering: .acquiring) {
            let left = end - ContinuousClock.now
            guard left > .zero else { return }
            _ = try connection.waitForNotifications(timeout: min(.milliseconds(100), left))
        }
    }

    /// Sleeps `duration` in slices, so that `stop()` is not kept waiting.
    private func sleep(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while !stopped.load(ordering: .acquiring), ContinuousClock.now < end {
            Thread.sleep(forTimeInterval: min(0.1, (end - ContinuousClock.now).seconds))
        }
    }
}
