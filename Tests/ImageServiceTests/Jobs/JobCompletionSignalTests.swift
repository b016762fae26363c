import Foundation
import Testing

@testable import ImageService

@Suite(.timeLimit(.minutes(2))) struct JobCompletionSignalTests {
    private struct Boom: Error {}
    /// How long a waiter here would wait if nothing woke it. A wake-up is checked as "well before that": the whole
    /// suite runs in parallel on two cores, where a task can wait seconds for a thread (11 s was seen).
    private static let timeout = Duration.seconds(60)

    @Test func unregistersWhenTheBodyReturnsOrThrows() async throws {
        let signal = JobCompletionSignal()
        let id = UUID()
        let seen = await signal.withWaiter(for: id) { _ in signal.registrations }
        #expect(seen == 1)
        #expect(signal.registrations == 0)
        await #expect(throws: Boom.self) {
            try await signal.withWaiter(for: id) { _ in throw Boom() }
        }
        #expect(signal.registrations == 0)
    }

    @Test func wakesAWaiterWhenItsJobFinishes() async throws {
        let signal = JobCompletionSignal()
        let id = UUID()
        let started = ContinuousClock.now
        let waiting = Task {
            await signal.withWaiter(for: id) { waiter in await waiter.wait(timeout: Self.timeout) }
        }
        for _ in 0..<2000 where signal.registrations == 0 { try await Task.sleep(for: .milliseconds(1)) }
        signal.jobFinished(UUID())  // another job's end wakes nobody here
        signal.jobFinished(id)
        await waiting.value
        #expect(ContinuousClock.now - started < Self.timeout / 2)
        #expect(signal.registrations == 0)
    }

    @Test func aJobFinishedBeforeTheWaitReturnsAtOnce() async {
        let signal = JobCompletionSignal()
        let id = UUID()
        let started = ContinuousClock.now
        await signal.withWaiter(for: id) { waiter in
            signal.jobFinished(id)
            await waiter.wait(timeout: Self.timeout)
        }
        #expect(ContinuousClock.now - started < Self.timeout / 2)
        #expect(signal.registrations == 0)
    }

    @Test func returnsWhenTheTimeRunsOut() async {
        let signal = JobCompletionSignal()
        let started = ContinuousClock.now
        await signal.withWaiter(for: UUID()) { waiter in await waiter.wait(timeout: .milliseconds(100)) }
        #expect(ContinuousClock.now - started >= .milliseconds(100))
        #expect(signal.registrations == 0)
    }

    @Test func aCancelledWaitReturnsAtOnceAndUnregisters() async throws {
        let signal = JobCompletionSignal()
        let started = ContinuousClock.now
        let waiting = Task {
            await signal.withWaiter(for: UUID()) { waiter in await waiter.wait(timeout: Self.timeout) }
        }
        for _ in 0..<2000 where signal.registrations == 0 { try await Task.sleep(for: .milliseconds(1)) }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await waiting.value
        #expect(ContinuousClock.now - started < Self.timeout / 2)
        #expect(signal.registrations == 0)
        // Cancelled before it even started waiting: no wait at all.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await signal.withWaiter(for: UUID()) { waiter in await waiter.wait(timeout: Self.timeout) }
        }
        await early.value
        #expect(ContinuousClock.now - started < Self.timeout / 2)
    }
}
