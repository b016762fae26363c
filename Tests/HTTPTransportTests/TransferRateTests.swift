import Testing

@testable import HTTPTransport

@Suite struct TransferRateTests {
    @Test func passesAWindowThatMovedEnough() {
        var rate = TransferRate(bytesPerSecond: 1024, windowSeconds: 30, now: 0)
        rate.record(30 * 1024)
        let slow1 = rate.isTooSlow(now: 30_000)
        #expect(!slow1)
    }

    @Test func failsAWindowThatMovedTooLittle() {
        var rate = TransferRate(bytesPerSecond: 1024, windowSeconds: 30, now: 0)
        rate.record(30 * 1024 - 1)
        let slow2 = rate.isTooSlow(now: 29_999)
        #expect(!slow2)
        let slow3 = rate.isTooSlow(now: 30_000)
        #expect(slow3)
    }

    /// One byte every 24 s reset the old no-progress timer forever; averaged over the window it is far too slow.
    @Test func aTrickleCannotResetTheWindow() {
        var rate = TransferRate(bytesPerSecond: 1024, windowSeconds: 30, now: 0)
        var now: Int64 = 0
        var cutOff = false
        for _ in 0..<10 where !cutOff {
            now += 24_000
            rate.record(1)
            cutOff = rate.isTooSlow(now: now)
        }
        #expect(cutOff)
        #expect(now == 48_000)
    }

    @Test func startsEachWindowAfresh() {
        var rate = TransferRate(bytesPerSecond: 100, windowSeconds: 1, now: 0)
        rate.record(500)
        let slow4 = rate.isTooSlow(now: 1000)
        #expect(!slow4)
        // The surplus of the first window does not carry over.
        let slow5 = rate.isTooSlow(now: 2000)
        #expect(slow5)
    }
}
