import Testing

@testable import HTTPProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct HTTPDateTests {
    @Test func formatsTheRFCExample() {
        #expect(HTTPDate.format(secondsSince1970: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test func formatsEpochLeapDayAndYearEnd() {
        #expect(HTTPDate.format(secondsSince1970: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(secondsSince1970: 1_709_164_800) == "Thu, 29 Feb 2024 00:00:00 GMT")
        #expect(HTTPDate.format(secondsSince1970: 4_102_444_799) == "Thu, 31 Dec 2099 23:59:59 GMT")
        #expect(HTTPDate.format(secondsSince1970: -1) == "Wed, 31 Dec 1969 23:59:59 GMT")
    }

    /// The C library's `gmtime_r` + `strftime` in the C locale as the reference, over many instants.
    @Test func agreesWithTheCLibrary() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let seconds = Int.random(in: 0...8_000_000_000, using: &generator)
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            var output = [CChar](repeating: 0, count: 64)
            let length = strftime(&output, output.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            let expected = String(decoding: output[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            #expect(HTTPDate.format(secondsSince1970: seconds) == expected, "\(seconds)")
        }
    }

    @Test func cacheFormatsEachSecondOnce() {
        var cache = HTTPDate.Cache()
        #expect(cache.string(secondsSince1970: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(cache.string(secondsSince1970: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(cache.string(secondsSince1970: 784_111_778) == "Sun, 06 Nov 1994 08:49:38 GMT")
    }
}
