import Dispatch
import Foundation

/// Up to `maxConnections` PostgreSQL connections shared by request handlers, opened lazily and reused.
///
/// ``withConnection(_:)`` waits asynchronously (suspending, never blocking a cooperative thread) for a free
/// connection, then runs the blocking libpq work on that connection's own serial dispatch queue — a thread outside
/// Swift's cooperative pool — and resumes the caller when it is done. Waiters are served first come, first served.
/// Worker threads do not use the pool: each owns its own ``PostgresConnection``.
///
/// All state (idle connections, how many are open, who waits) is one value behind one lock; continuations are
/// resumed outside it. The lock is an `NSLock` (a pthread mutex) rather than `Synchronization.Mutex`, whose
/// futex-based locking ThreadSanitizer does not see on Linux, so that sanitizer runs stay free of false reports.
public final class PostgresPool: Sendable {
    public let maxConnections: Int
    /// Connections that carried a larger statement or result than this are closed when given back.
    public let keptMessageBytes: Int
    private let conninfo: String
    private let lock = NSLock()
    /// Only touched through ``locked(_:)``.
    nonisolated(unsafe) private var state = State()

    /// `conninfo` as for ``PostgresConnection/init(_:)``. Nothing is opened until the first use.
    ///
    /// `keptMessageBytes` trades memory for warm server processes. libpq keeps a connection's buffers at the size
    /// of the largest message it carried, so by default a connection that carried a photo is closed. A pool meant
    /// for photos keeps them instead: a fresh server process pays again to grow its own memory for the next photo
    /// (measured: a 16 MB INSERT costs PostgreSQL 158 ms of CPU in a new session, 98 ms in a warm one).
    public init(
        conninfo: String = "", maxConnections: Int = 4,
        keptMessageBytes: Int = PostgresConnection.largeMessageBytes
    ) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.conninfo = conninfo
        self.maxConnections = maxConnections
        self.keptMessageBytes = keptMessageBytes
    }

    /// Runs `body` with a connection of the pool, on a thread that may block. Throws a `connectionFailed`
    /// ``PostgresError`` when no connection can be opened (the database is unreachable) or the pool is shut down,
    /// `CancellationError` when the task is cancelled while waiting, and whatever `body` throws.
    ///
    /// A connection that `body` leaves inside a transaction, broken, or with a session the server will not go on
    /// with (read-only, shutting down) is closed rather than reused: the next caller opens a new one, on the primary
    /// when the conninfo names several hosts with `target_session_attrs=read-write`.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        // `body` is escaping because the dispatch queue may still hold its block for a moment after it has run.
        let lease = try await acquire()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
            lease.queue.async {
                continuation.resume(returning: Result { try body(lease.connection) })
            }
        }
        // A connection whose libpq buffers grew past what this pool keeps is closed: pooled connections would
        // otherwise each hold tens of megabytes for good.
        let connection = lease.connection
        let kept =
            connection.isIdle && !connection.needsNewSession && connection.largestMessageBytes <= keptMessageBytes
        release(kept ? lease : nil)
        return try result.get()
    }

    /// Refuses new work, fails everyone waiting and closes the idle connections. Connections in use are closed
    /// when they are given back.
    public func shutdown() {
        let (waiters, idle) = locked { state in
            state.isShutdown = true
            state.open -= state.idle.count
            defer { (state.waiters, state.idle) = ([], []) }
            return (state.waiters, state.idle)
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: Self.shutdownError)
        }
        _ = idle  // dropped here, outside the lock: each closes as it goes
    }

    private func locked<R>(_ body: (inout State) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    private static let shutdownError = PostgresError(kind: .connectionFailed, message: "the pool is shut down")

    /// A connection, or the right to open one.
    private func acquire() async throws -> PooledConnection {
        switch try await grant() {
        case .connection(let lease):
            return lease
        case .open:
            do {
                return try await open()
            } catch {
                release(nil)
                throw error
            }
        }
    }

    private func grant() async throws -> Grant {
        let id = locked { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                let immediate = locked { state -> Result<Grant, any Error>? in
                    if state.isShutdown { return .failure(Self.shutdownError) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let lease = state.idle.popLast() { return .success(.connection(lease)) }
                    if state.open < maxConnections {
                        state.open += 1
                        return .success(.open)
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = locked { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0) }
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Opens a connection on a new serial queue, which stays the connection's thread for its life.
    private func open() async throws -> PooledConnection {
        let queue = DispatchQueue(label: "imageproc.postgres")
        let conninfo = conninfo
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(
                    with: Result { () throws(PostgresError) -> PooledConnection in
                        PooledConnection(connection: try PostgresConnection(conninfo), queue: queue)
                    })
            }
        }
    }

    /// Gives back a connection, or with nil a slot whose connection failed to open or was dropped. The first
    /// waiter gets the connection, or the right to open a new one.
    private func release(_ lease: PooledConnection?) {
        let waiter = locked { state -> (Waiter, Grant)? in
            if !state.waiters.isEmpty {
                return (state.waiters.removeFirst(), lease.map(Grant.connection) ?? .open)
            }
            if let lease, !state.isShutdown {
                state.idle.append(lease)
            } else {
                state.open -= 1
            }
            return nil
        }
        if let (waiter, grant) = waiter {
            waiter.continuation.resume(returning: grant)
        }
    }
}

extension PostgresPool {
    /// What a caller is given: a connection, or the right to open one.
    fileprivate enum Grant: Sendable {
        case connection(PooledConnection)
        case open
    }

    fileprivate struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<Grant, any Error>
    }

    fileprivate struct State {
        var idle: [PooledConnection] = []
        /// Connections open, being opened, or lent out.
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var isShutdown = false
    }

    /// A connection and the serial queue it is used on.
    ///
    /// `@unchecked Sendable`: the pool hands each one to a single holder at a time, and the holder touches
    /// `connection` only on `queue`, so the connection is never used from two threads at once.
    fileprivate final class PooledConnection: @unchecked Sendable {
        let connection: PostgresConnection
        let queue: DispatchQueue

        init(connection: PostgresConnection, queue: DispatchQueue) {
            self.connection = connection
            self.queue = queue
        }
    }
}
