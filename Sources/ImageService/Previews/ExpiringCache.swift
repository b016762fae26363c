/// A map of at most `capacity` entries, each forgotten `lifetime` after it was stored. A plain value: the caller
/// passes the time and keeps it behind its own lock.
///
/// When full, storing a new key first drops what has expired, then the entry closest to expiring (with one
/// lifetime for all, the oldest). Eviction scans the entries, which is cheap at the sizes it is used for (about a
/// thousand) next to the work each entry stands for.
struct ExpiringCache<Key: Hashable, Value> {
    let lifetime: Duration
    let capacity: Int
    private var entries: [Key: (value: Value, expires: ContinuousClock.Instant)] = [:]

    init(lifetime: Duration, capacity: Int) {
        precondition(capacity > 0, "a cache holds at least one entry")
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// Entries stored, expired ones included until they are dropped.
    var count: Int { entries.count }

    /// The value stored for `key`, unless it has expired at `now`.
    func value(for key: Key, at now: ContinuousClock.Instant) -> Value? {
        guard let entry = entries[key], now < entry.expires else { return nil }
        return entry.value
    }

    /// Stores `value` for `key` until `now + lifetime`, making room if the cache is full.
    mutating func insert(_ value: Value, for key: Key, at now: ContinuousClock.Instant) {
        if entries[key] == nil, entries.count >= capacity {
            entries = entries.filter { now < $0.value.expires }
            if entries.count >= capacity, let oldest = entries.min(by: { $0.value.expires < $1.value.expires }) {
                entries[oldest.key] = nil
            }
        }
        entries[key] = (value, now + lifetime)
    }
}
