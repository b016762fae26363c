/// A minimum transfer rate, averaged over fixed windows, that a trickle cannot reset: a body or a response must move
/// at least `bytesPerSecond × window` bytes in every full window while it is pending (nginx's `client_body_timeout`
/// and `send_timeout` measure only the gap between two reads, which one byte every 29 s satisfies forever).
///
/// A plain value with the clock passed in, so that tests need no sockets and no waiting.
struct TransferRate: Equatable {
    let bytesPerSecond: Int
    /// Seconds in each window.
    let window: Int64
    private var windowStart: Int64
    private var bytesInWindow = 0

    init(bytesPerSecond: Int, window: Int64, now: Int64) {
        self.bytesPerSecond = bytesPerSecond
        self.window = window
        self.windowStart = now
    }

    /// Counts bytes that moved.
    mutating func record(_ bytes: Int) {
        bytesInWindow += bytes
    }

    /// Whether the window that ended by `now` moved too little; starts the next window when one has ended.
    mutating func isTooSlow(now: Int64) -> Bool {
        guard now - windowStart >= window else { return false }
        let required = Int(window) * bytesPerSecond
        let moved = bytesInWindow
        windowStart = now
        bytesInWindow = 0
        return moved < required
    }
}
