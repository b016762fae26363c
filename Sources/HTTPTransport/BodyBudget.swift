/// The request-body bytes all connections together may hold in memory at once, handed out first come, first served.
///
/// A connection takes the most its request can bring (the declared `Content-Length`, or the body limit for a chunked
/// body) before it reads a byte of the body, and gives it back when the response has been sent or the connection
/// closes. All or nothing: a connection never holds part of what it needs while waiting for the rest, so no set of
/// waiting uploads can deadlock. When the budget is spent, waiting connections are simply not read (their epoll
/// interest is dropped), which pushes back on the clients through TCP instead of buffering.
///
/// Strict FIFO: a large request at the head of the line is not overtaken by small ones, so it cannot starve; the
/// body limit is at most the capacity (checked at start), so the head of the line always fits eventually.
/// A plain value, owned by the event loop.
struct BodyBudget {
    let capacity: Int
    private(set) var inUse = 0
    /// Connections waiting, in arrival order, with what each needs.
    private var waiting: [(connection: Int, bytes: Int)] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Takes `bytes` for `connection` now if they fit and nobody waits before it; otherwise queues it and says no.
    mutating func acquire(_ bytes: Int, for connection: Int) -> Bool {
        precondition(bytes <= capacity, "a body bound above the budget's capacity could never be granted")
        if waiting.isEmpty, inUse + bytes <= capacity {
            inUse += bytes
            return true
        }
        waiting.append((connection, bytes))
        return false
    }

    /// A waiting connection that now holds what it asked for.
    typealias Grant = (connection: Int, bytes: Int)

    /// Gives back `bytes` and returns the waiting connections that now hold what they asked for, in order.
    mutating func release(_ bytes: Int) -> [Grant] {
        precondition(bytes <= inUse, "released more than was taken")
        inUse -= bytes
        return grantWaiting()
    }

    /// Forgets a connection that stopped waiting (it closed), and returns those that this lets through.
    mutating func cancel(_ connection: Int) -> [Grant] {
        waiting.removeAll { $0.connection == connection }
        return grantWaiting()
    }

    private mutating func grantWaiting() -> [Grant] {
        var granted: [Grant] = []
        while let first = waiting.first, inUse + first.bytes <= capacity {
            inUse += first.bytes
            granted.append(first)
            waiting.removeFirst()
        }
        return granted
    }
}
