import Testing

@testable import ImageService

@Suite struct RetryBackoffTests {
    @Test func doublesUpToTheCeiling() {
        var backoff = RetryBackoff(initial: .milliseconds(100), maximum: .milliseconds(500))
        let delays = (0..<5).map { _ in backoff.next() }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500)])
    }

    @Test func resetStartsOver() {
        var backoff = RetryBackoff(initial: .seconds(1), maximum: .seconds(8))
        _ = backoff.next()
        _ = backoff.next()
        backoff.reset()
        #expect(backoff.next() == .seconds(1))
    }
}
