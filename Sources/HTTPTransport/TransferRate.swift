/// A minimum transfer rate, averaged over fixed windows, that a trickle cannot reset: a body or a response must move
/// at least `bytesPerSecond × window` bytes in every full window while it is pending (nginx's `client_body_timeout`
/// and `send_timeout` measure only the gap between two reads, which one byte every 29 s satisfies forever).
///
/// A plain value with the clock (milliseconds) passed in, so that tests need no sockets and no waiting. Whole
/// seconds would not do: a window starting at 5.9 s would end, by that clock, 0.1 s later.
struct TransferRate: Equatable {
    let bytesPerSecond: Int
    /// Milliseconds in each window.
    let window: Int64
    private var windowStart: Int64
    private var bytesInWindow = 0

    init(bytesPerSecond: Int, windowSeconds: Int64, now: Int64) {
        self.bytesPerSecond = bytesPerSecond
        self.window = windowSeconds * 1000
        self.windowStart = now
    }

    /// Counts bytes that moved.
    mutating func record(_ bytes: Int) {
        bytesInWindow += bytes
    }

    /// Whether the window that ended by `now` moved too little; starts the next window when one has ended.
    mutating func isTooSlow(now: Int64) -> Bool {
        guard now - windowStart >= window else { return false }
        let required = Int(window) * bytesPerSecond / 1000
        let moved = bytesInWindow
        windowStart = now
        bytesInWindow = 0
        return moved < required
    }
}
