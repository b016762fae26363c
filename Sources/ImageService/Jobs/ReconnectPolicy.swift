import Logging

/// What every loop that keeps a PostgreSQL connection (the workers, the sweeper, the schema's readiness,
/// `imageproc migrate`) does when the database fails it: wait on an exponential backoff before the next attempt,
/// and log the first failure and every tenth after it, so that an outage of minutes does not flood the log.
struct ReconnectPolicy {
    private var backoff: RetryBackoff
    /// Failures since the last success.
    private(set) var failures = 0

    init(initial: Duration, maximum: Duration) {
        backoff = RetryBackoff(initial: initial, maximum: maximum)
    }

    /// Notes a failure and returns how long to wait before the next attempt; logs `message` at warning with the
    /// error and the delay when this failure is one to log.
    mutating func failed(_ error: any Error, logger: Logger, _ message: Logger.Message) -> Duration {
        failures += 1
        let delay = backoff.next()
        if failures % 10 == 1 {
            logger.warning(
                message,
                metadata: [
                    "error": "\(error)", "retry.delay_ms": "\(delay.milliseconds)", "db.attempts": "\(failures)",
                ])
        }
        return delay
    }

    /// Notes a success; returns how many failures came before it (0 when none), so the caller can say that the
    /// database answers again.
    @discardableResult
    mutating func succeeded() -> Int {
        defer {
            failures = 0
            backoff.reset()
        }
        return failures
    }
}
