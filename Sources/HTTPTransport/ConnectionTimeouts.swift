/// Every deadline of one connection, as a plain value: the time (milliseconds of the monotonic clock) is passed into
/// every call, and nothing here reads a clock or touches a socket, so tests drive time instead of waiting for it.
///
/// A connection is in one timed phase at a time, set by the connection as it moves on: its request head due by the
/// header deadline (a new connection's first request too), idle between requests, waiting for the body budget,
/// reading a body at the minimum rate, lingering after a refusal, or untimed while the responder works and an answer
/// streams. Whatever the phase, output waiting to be written must keep the minimum rate. ``due(now:)`` answers which
/// limit has been overstayed.
struct ConnectionTimeouts {
    /// The limit a connection overstayed, which says what becomes of it.
    enum Timeout: Equatable {
        /// The request head (or a new connection's first request) was not complete by the header deadline: 408.
        case header
        /// A keep-alive connection had no request, and nothing left to write, for the idle timeout: closed.
        case idle
        /// An admitted request waited a whole transfer window for the body budget: 503.
        case bodyBudget
        /// The body moved less than the minimum rate over a window: 408.
        case slowBody
        /// The output moved less than the minimum rate over a window: closed.
        case slowWrite
        /// The lingering read after a refusal is over: closed.
        case lingerEnded
    }

    /// What the current phase waits for, and until when.
    private enum Wait {
        case head(deadline: Int64)
        case nextRequest(deadline: Int64)
        case bodyBudget(deadline: Int64)
        case body(TransferRate)
        case linger(until: Int64)
        case untimed
    }

    /// How long a refused connection keeps reading and dropping what its client still sends.
    static let lingerMilliseconds: Int64 = 2000

    private let headerMilliseconds: Int64
    private let idleMilliseconds: Int64
    private let windowSeconds: Int64
    private let minimumRate: Int
    private var wait: Wait
    /// The rate the pending output keeps, from when it became pending; nil while nothing waits to be written.
    private var output: TransferRate?

    /// A new connection: its first request is due as a head is, by the header deadline (a socket opened and left
    /// silent would otherwise hold a connection slot for the whole idle timeout).
    init(configuration: HTTPServerConfiguration, now: Int64) {
        headerMilliseconds = configuration.headerTimeout * 1000
        idleMilliseconds = configuration.idleTimeout * 1000
        windowSeconds = configuration.transferWindow
        minimumRate = configuration.minimumTransferRate
        wait = .head(deadline: now + headerMilliseconds)
    }

    // MARK: Phases

    /// A request head is due by the header deadline from `now`. Called once per head, when its first bytes come
    /// (not for each: a client dripping header lines must not push the deadline back), and again when the server,
    /// not the client, made the head wait.
    mutating func awaitHead(now: Int64) {
        wait = .head(deadline: now + headerMilliseconds)
    }

    /// Between requests on a keep-alive connection: the next one must begin within the idle timeout, counted from
    /// `now` but enforced only once the output is written.
    mutating func awaitNextRequest(now: Int64) {
        wait = .nextRequest(deadline: now + idleMilliseconds)
    }

    /// An admitted request waits for the body budget; it must be let in within one transfer window.
    mutating func awaitBodyBudget(now: Int64) {
        wait = .bodyBudget(deadline: now + windowSeconds * 1000)
    }

    /// The body is being read: it must keep the minimum rate over every window from `now`.
    mutating func readBody(now: Int64) {
        wait = .body(TransferRate(bytesPerSecond: minimumRate, windowSeconds: windowSeconds, now: now))
    }

    /// The answer is out and the write side shut: what the client still sends is dropped until the linger ends.
    mutating func linger(now: Int64) {
        wait = .linger(until: now + Self.lingerMilliseconds)
    }

    /// With the responder, streaming an answer, or closing once the output is written: only the output's rate
    /// applies.
    mutating func removePhaseDeadline() {
        wait = .untimed
    }

    // MARK: Transfers

    /// Bytes of the request arrived; they count towards the body's rate while a body is read.
    mutating func bodyRead(_ bytes: Int) {
        guard case .body(var rate) = wait else { return }
        rate.record(bytes)
        wait = .body(rate)
    }

    /// Output was queued; when none was pending, its rate starts counting at `now`.
    mutating func outputQueued(now: Int64) {
        if output == nil {
            output = TransferRate(bytesPerSecond: minimumRate, windowSeconds: windowSeconds, now: now)
        }
    }

    /// The socket took bytes of the output.
    mutating func outputWritten(_ bytes: Int) {
        output?.record(bytes)
    }

    /// All output is written: nothing keeps a rate until more is queued, and an idle connection may time out.
    mutating func outputDrained() {
        output = nil
    }

    // MARK: Checking

    /// The limit the connection has overstayed by `now`, if any. Every transfer rate whose window has ended starts
    /// its next window, so call this at most once per check (the server's tick). A stalling write is reported
    /// first, whatever the phase.
    mutating func due(now: Int64) -> Timeout? {
        if output?.isTooSlow(now: now) == true { return .slowWrite }
        switch wait {
        case .head(let deadline) where now >= deadline:
            return .header
        case .nextRequest(let deadline) where output == nil && now >= deadline:
            return .idle
        case .bodyBudget(let deadline) where now >= deadline:
            return .bodyBudget
        case .body(var rate):
            let tooSlow = rate.isTooSlow(now: now)
            wait = .body(rate)
            return tooSlow ? .slowBody : nil
        case .linger(let until) where now >= until:
            return .lingerEnded
        default:
            return nil
        }
    }
}
