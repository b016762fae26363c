#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Substring search over bytes for the multipart delimiter, fast enough for 50 MB bodies.
enum ByteSearch {
    /// The first index at or after `start` where `needle` occurs in `haystack`, or nil.
    ///
    /// `memchr` skips to each occurrence of the needle's first byte and `memcmp` checks the rest. When that first
    /// byte occurs nowhere else in the needle, as the CR of `CRLF--boundary` (a boundary holds no CR), a failed
    /// comparison can only have matched bytes that no later candidate starts in, so the search is linear.
    static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, start >= 0 else { return start <= haystack.count ? start : nil }
        return haystack.withUnsafeBufferPointer { hay -> Int? in
            needle.withUnsafeBufferPointer { pattern -> Int? in
                guard let hayBase = hay.baseAddress, let patternBase = pattern.baseAddress else { return nil }
                var position = start
                while hay.count - position >= pattern.count {
                    let candidate = memchr(hayBase + position, Int32(first), hay.count - position - pattern.count + 1)
                    guard let candidate else { return nil }
                    position = hayBase.distance(to: candidate.assumingMemoryBound(to: UInt8.self))
                    if memcmp(hayBase + position + 1, patternBase + 1, pattern.count - 1) == 0 { return position }
                    position += 1
                }
                return nil
            }
        }
    }
}
