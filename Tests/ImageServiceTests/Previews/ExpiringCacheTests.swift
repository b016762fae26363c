import Testing

@testable import ImageService

@Suite struct ExpiringCacheTests {
    private let start = ContinuousClock.now

    @Test func forgetsAnEntryOnceItsLifetimeHasPassed() {
        var cache = ExpiringCache<String, Int>(lifetime: .seconds(600), capacity: 4)
        cache.insert(1, for: "a", at: start)
        #expect(cache.value(for: "a", at: start + .seconds(599)) == 1)
        #expect(cache.value(for: "a", at: start + .seconds(600)) == nil)
        #expect(cache.value(for: "b", at: start) == nil)
    }

    @Test func neverHoldsMoreThanItsCapacity() {
        var cache = ExpiringCache<Int, Int>(lifetime: .seconds(600), capacity: 3)
        for key in 0..<100 {
            cache.insert(key, for: key, at: start + .seconds(Double(key)))
            #expect(cache.count <= 3)
        }
        // The newest stayed; the oldest gave way.
        #expect((97..<100).allSatisfy { cache.value(for: $0, at: start + .seconds(100)) == $0 })
        #expect(cache.value(for: 96, at: start + .seconds(100)) == nil)
    }

    @Test func dropsExpiredEntriesBeforeEvictingLiveOnes() {
        var cache = ExpiringCache<String, Int>(lifetime: .seconds(10), capacity: 2)
        cache.insert(1, for: "old", at: start)
        cache.insert(2, for: "live", at: start + .seconds(8))
        cache.insert(3, for: "new", at: start + .seconds(11))
        #expect(cache.count == 2)
        #expect(cache.value(for: "live", at: start + .seconds(11)) == 2)
        #expect(cache.value(for: "new", at: start + .seconds(11)) == 3)
    }

    @Test func storingAgainRenewsWithoutEvicting() {
        var cache = ExpiringCache<String, Int>(lifetime: .seconds(10), capacity: 2)
        cache.insert(1, for: "a", at: start)
        cache.insert(2, for: "b", at: start)
        cache.insert(3, for: "a", at: start + .seconds(5))
        #expect(cache.count == 2)
        #expect(cache.value(for: "a", at: start + .seconds(12)) == 3)
        #expect(cache.value(for: "b", at: start + .seconds(5)) == 2)
    }
}
