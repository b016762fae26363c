/// Exponential backoff with a ceiling: 1×, 2×, 4×… the initial delay, never above `maximum`.
///
/// A plain value so the schedule is tested without clocks; the caller does the sleeping.
public struct RetryBackoff: Sendable, Equatable {
    public let initial: Duration
    public let maximum: Duration
    private var current: Duration

    public init(initial: Duration, maximum: Duration) {
        precondition(initial > .zero && maximum >= initial, "backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
        self.current = initial
    }

    /// The delay before the next attempt; each call doubles the following one up to the ceiling.
    public mutating func next() -> Duration {
        let delay = current
        current = min(current * 2, maximum)
        return delay
    }

    /// The delay before attempt `attempt + 1` after `attempt` failures (1 gives `initial`), for callers that keep
    /// the count themselves, such as a job's attempts in its row.
    public func delay(afterAttempt attempt: Int) -> Duration {
        var delay = initial
        for _ in 1..<max(attempt, 1) where delay < maximum { delay *= 2 }
        return min(delay, maximum)
    }

    /// Starts the schedule again after a success.
    public mutating func reset() {
        current = initial
    }
}
