import Testing

@testable import ImageService

@Suite struct RequestTargetTests {
    private func parse(_ target: String) throws(HTTPParseError) -> RequestTarget {
        try RequestTarget(parsing: target.utf8)
    }

    private func query(_ target: String) throws -> [String] {
        try parse(target).query.map { "\($0.name)=\($0.value)" }
    }

    @Test func decodesPercentEscapesAndPlusInQuery() throws {
        #expect(try query("/?q=a%20b+c&x=%2B%26%3D") == ["q=a b c", "x=+&="])
    }

    @Test func treatsFieldWithoutEqualsAsEmptyValue() throws {
        #expect(try query("/?flag&a=1&=v&b") == ["flag=", "a=1", "=v", "b="])
    }

    @Test func keepsEqualsSignsAfterTheFirstInTheValue() throws {
        #expect(try query("/?a=b=c") == ["a=b=c"])
    }

    @Test func skipsEmptyQueryFields() throws {
        #expect(try query("/?&&a=1&&") == ["a=1"])
        #expect(try query("/?") == [])
        #expect(try query("/") == [])
    }

    @Test func keepsRepeatedNamesInOrder() throws {
        #expect(try query("/?a=1&a=2") == ["a=1", "a=2"])
    }

    @Test func doesNotTreatPlusAsSpaceInThePath() throws {
        #expect(try parse("/a+b%2Bc").path == "/a+b+c")
    }

    @Test func rejectsBadPercentEscapes() {
        for target in ["/a%", "/a%2", "/a%zz", "/?a=%g0", "/?%=1", "/%C3%28"] {
            let error = #expect(throws: HTTPParseError.self, "\(target)") { try parse(target) }
            #expect(error?.status == .badRequest)
        }
    }

    @Test func rejectsEncodedNul() {
        #expect(throws: HTTPParseError.badRequest("invalid percent-encoding in path")) { try parse("/a%00.jpg") }
    }

    @Test func rejectsDotDotSegmentsButNotDotsInNames() throws {
        #expect(throws: HTTPParseError.badRequest("dot-dot segment in path")) { try parse("/static/../secret") }
        #expect(throws: HTTPParseError.badRequest("dot-dot segment in path")) { try parse("/static/%2E%2E/secret") }
        #expect(try parse("/a..b/.hidden/..x").path == "/a..b/.hidden/..x")
    }

    @Test func reducesAbsoluteFormToPathAndQuery() throws {
        #expect(try parse("http://example.com").path == "/")
        #expect(try parse("HTTPS://example.com:8443/x/y?z=1").path == "/x/y")
        #expect(try query("http://example.com?z=1") == ["z=1"])
        #expect(throws: HTTPParseError.self) { try parse("http:///x") }
    }

    @Test func rejectsOtherForms() {
        for target in ["", "example.com:443", "ftp://x/y", "/a b", "/a#b", "/ü"] {
            #expect(throws: HTTPParseError.self, "\(target)") { try parse(target) }
        }
    }
}
