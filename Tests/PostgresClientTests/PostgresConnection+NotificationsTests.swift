import Foundation
import Testing

@testable import PostgresClient
@testable import TestSupport

/// `LISTEN`/`NOTIFY` waits on the connection's socket: what the sweeper wakes on and what the readiness probe
/// watches between its probes.
@Suite(.timeLimit(.minutes(1))) struct PostgresConnectionNotificationsTests {
    private static let channel = "imageproc_notifications_test"

    @Test func wakesWhenAnotherSessionNotifies() throws {
        let listener = try TestDatabase.connect()
        try listener.listen(Self.channel)
        try TestDatabase.connect().notify(Self.channel)
        #expect(try listener.waitForNotifications(timeout: .seconds(10)))
        // Consumed: nothing is left for the next wait.
        #expect(try !listener.waitForNotifications(timeout: .milliseconds(50)))
    }

    /// The readiness probe asks for what is left of its interval, which can be below zero by the time it asks;
    /// such a wait once became poll(2)'s "wait for ever" and hung the service's shutdown.
    @Test func aTimeoutOfZeroOrLessReturnsAtOnce() throws {
        let listener = try TestDatabase.connect()
        try listener.listen(Self.channel)
        let start = ContinuousClock.now
        for timeout in [Duration.zero, .milliseconds(-1), .milliseconds(-1500), .seconds(-60)] {
            #expect(try !listener.waitForNotifications(timeout: timeout))
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    /// A session the server ends while it waits (a shutdown, `pg_terminate_backend`) is reported at once.
    @Test func throwsConnectionLostWhenTheServerEndsTheSessionWhileItWaits() throws {
        let listener = try TestDatabase.connect()
        try listener.listen(Self.channel)
        try TestDatabase.connect().query("SELECT pg_terminate_backend($1)", [listener.backendPID])
        let start = ContinuousClock.now
        let error = #expect(throws: PostgresError.self) {
            for _ in 0..<100 { _ = try listener.waitForNotifications(timeout: .milliseconds(100)) }
        }
        #expect(error?.kind == .connectionLost)
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}
