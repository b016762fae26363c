import Testing

@testable import HTTPProtocol

@Suite struct ByteSearchTests {
    private func find(_ needle: String, _ haystack: String, from: Int = 0) -> Int? {
        ByteSearch.firstIndex(of: Array(needle.utf8), in: Array(haystack.utf8), from: from)
    }

    @Test func findsAtStartMiddleAndEnd() {
        #expect(find("ab", "abxx") == 0)
        #expect(find("ab", "xabx") == 1)
        #expect(find("ab", "xxab") == 2)
        #expect(find("ab", "xxa") == nil)
        #expect(find("abc", "ab") == nil)
    }

    @Test func startsAtTheGivenOffset() {
        #expect(find("ab", "abab", from: 1) == 2)
        #expect(find("ab", "abab", from: 3) == nil)
        #expect(find("ab", "abab", from: 9) == nil)
    }

    @Test func findsAfterPartialMatches() {
        #expect(find("\r\n--b1", "\r\n--b\r\n--\r\n--b1") == 9)
    }

    @Test func agreesWithANaiveSearchOnRandomInput() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let haystack = (0..<Int.random(in: 0...200, using: &generator)).map { _ in
                UInt8.random(in: 0...2, using: &generator)
            }
            let needle = (0..<Int.random(in: 1...4, using: &generator)).map { _ in
                UInt8.random(in: 0...2, using: &generator)
            }
            let from = Int.random(in: 0...10, using: &generator)
            let naive =
                from > haystack.count
                ? nil
                : (from...haystack.count).first {
                    haystack[$0...].starts(with: needle)
                }
            #expect(ByteSearch.firstIndex(of: needle, in: haystack, from: from) == naive, "\(needle) in \(haystack)")
        }
    }
}
