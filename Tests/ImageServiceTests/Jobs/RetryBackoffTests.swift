import Testing

@testable import ImageService

@Suite struct RetryBackoffTests {
    @Test func doublesUpToTheCeiling() {
        var backoff = RetryBackoff(initial: .milliseconds(100), maximum: .milliseconds(500))
        let delays = (0..<5).map { _ in backoff.next() }
        #expect(
            delays == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500),
            ])
    }

    @Test func resetStartsOver() {
        var backoff = RetryBackoff(initial: .seconds(1), maximum: .seconds(8))
        _ = backoff.next()
        _ = backoff.next()
        backoff.reset()
        #expect(backoff.next() == .seconds(1))
    }

    @Test func theDelayAfterAnAttemptFollowsTheSameSchedule() {
        let backoff = WorkerPool.outOfMemoryBackoff
        let delays = [0, 1, 2, 3, 8, 9, 50].map { backoff.delay(afterAttempt: $0) }
        #expect(delays == [2, 2, 4, 8, 256, 256, 256].map { Duration.seconds($0) })
        var running = backoff
        #expect((1...10).map { running.delay(afterAttempt: $0) == running.next() }.allSatisfy { $0 })
    }
}
