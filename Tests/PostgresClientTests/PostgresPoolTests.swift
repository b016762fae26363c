import Foundation
import Testing

@testable import PostgresClient
@testable import TestSupport

@Suite(.timeLimit(.minutes(1))) struct PostgresPoolTests {
    @Test func reusesAnIdleConnection() async throws {
        let pool = PostgresPool(conninfo: try TestDatabase.url(), maxConnections: 1)
        let first = try await pool.withConnection { $0.backendPID }
        let second = try await pool.withConnection { $0.backendPID }
        #expect(first == second)
    }

    @Test func runsAtMostMaxConnectionsBodiesAtOnce() async throws {
        let pool = PostgresPool(conninfo: try TestDatabase.url(), maxConnections: 2)
        let running = Concurrency()
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await pool.withConnection { connection in
                        running.enter()
                        defer { running.leave() }
                        try connection.query("SELECT pg_sleep(0.15)")
                        return connection.backendPID
                    }
                }
            }
            return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
        }
        #expect(pids.count == 2)
        #expect(running.most == 2)
    }

    /// Swift's cooperative pool has one thread per core: if bodies ran there, they could not all block at once.
    @Test func runsBlockingBodiesOffTheCooperativePool() async throws {
        let count = ProcessInfo.processInfo.activeProcessorCount * 2 + 1
        let pool = PostgresPool(conninfo: try TestDatabase.url(), maxConnections: count)
        let barrier = Barrier(parties: count)
        let allMet = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask {
                    try await pool.withConnection { connection in
                        _ = try connection.query("SELECT 1")
                        return barrier.arriveAndWait(timeout: 20)
                    }
                }
            }
            return try await group.reduce(true) { $0 && $1 }
        }
        #expect(allMet)
    }

    @Test func passesOnWhatTheBodyThrowsAndStaysUsable() async throws {
        let pool = PostgresPool(conninfo: try TestDatabase.url(), maxConnections: 1)
        let error = try await #require(throws: PostgresError.self) {
            try await pool.withConnection { _ = try $0.query("SELECT 1 / 0") }
        }
        #expect(error.code == .divisionByZero)
        #expect(try await pool.withConnection { try $0.query("SELECT 3").int(0, 0) } == 3)
    }

    @Test func closesAConnectionLeftInsideATransaction() async throws {
        let pool = PostgresPool(conninfo: try TestDatabase.url(), maxConnections: 1)
        let leaky = try await pool.withConnection { connection in
            try connection.query("BEGIN")
            return connection.backendPID
        }
        let (fresh, idle) = try await pool.withConnection { ($0.backendPID, $0.isIdle) }
        #expect(fresh != leaky)
        #expect(idle)
    }

    /// A session on a read-only server (a standby after a failover) is not kept: the next caller gets a new one.
    @Test func closesAConnectionWhoseSessionTheServerRefused() async throws {
        let pool = PostgresPool(conninfo: try TestDatabase.url(), maxConnections: 1)
        let refused = try await pool.withConnection { connection in
            try connection.query("SET default_transaction_read_only = on")
            #expect(throws: PostgresError.self) {
                try connection.transaction { try connection.query("CREATE TABLE never_created (n int)") }
            }
            return connection.backendPID
        }
        let (fresh, readOnly) = try await pool.withConnection {
            ($0.backendPID, try $0.query("SHOW default_transaction_read_only").string(0, 0))
        }
        #expect(fresh != refused)
        #expect(readOnly == "off")
    }

    @Test func reportsAnUnreachableDatabaseToEveryCaller() async throws {
        let pool = PostgresPool(conninfo: TestDatabase.unreachableURL, maxConnections: 2)
        let errors = await withTaskGroup(of: (any Error)?.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    do {
                        _ = try await pool.withConnection { $0.backendPID }
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            return await group.reduce(into: [(any Error)?]()) { $0.append($1) }
        }
        #expect(errors.count == 5)
        #expect(errors.allSatisfy { ($0 as? PostgresError)?.kind == .connectionFailed })
    }

    /// The holder keeps the only connection for 6 s; a waiter that heeded no cancellation would wait most of that.
    /// The bound leaves seconds of slack, since the whole suite shares two cores (1.5 s was once exceeded).
    @Test func stopsWaitingWhenCancelled() async throws {
        let pool = PostgresPool(conninfo: try TestDatabase.url(), maxConnections: 1)
        let holder = Task { try await pool.withConnection { _ = try $0.query("SELECT pg_sleep(6)") } }
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        let waiter = Task { try await pool.withConnection { $0.backendPID } }
        try await Task.sleep(for: .milliseconds(100))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(ContinuousClock.now - start < .seconds(4))
        _ = try await holder.value
    }

    @Test func refusesWorkAfterShutdown() async throws {
        let pool = PostgresPool(conninfo: try TestDatabase.url(), maxConnections: 1)
        _ = try await pool.withConnection { $0.backendPID }
        pool.shutdown()
        let error = try await #require(throws: PostgresError.self) {
            try await pool.withConnection { $0.backendPID }
        }
        #expect(error.isConnectionError)
    }
}

/// Counts bodies running at once, and the most seen.
private final class Concurrency: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 0
    private var highest = 0

    var most: Int { lock.withLock { highest } }

    func enter() {
        lock.withLock {
            now += 1
            highest = max(highest, now)
        }
    }

    func leave() {
        lock.withLock { now -= 1 }
    }
}

/// Blocks each arriving thread until `parties` threads have arrived, or until a timeout.
private final class Barrier: @unchecked Sendable {
    // @unchecked: `arrived` is only touched with `condition` locked.
    private let condition = NSCondition()
    private let parties: Int
    private var arrived = 0

    init(parties: Int) {
        self.parties = parties
    }

    /// True if all parties arrived within `timeout` seconds.
    func arriveAndWait(timeout: TimeInterval) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        condition.broadcast()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while arrived < parties {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }
}
