import Testing

@testable import HTTPProtocol

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

    @Test func rejectsEncodedControlCharacters() {
        for target in ["/a%00.jpg", "/a%0d%0aX", "/a%0A", "/%1f", "/%7F", "/%7f/x", "/?x=1&y", "/a%09b"]
        where target != "/?x=1&y" {
            #expect(throws: HTTPParseError.badRequest("encoded control character in path"), "\(target)") {
                try parse(target)
            }
        }
    }

    @Test func rejectsDotSegmentsButNotDotsInNames() throws {
        for target in ["/static/../secret", "/static/%2E%2E/secret", "/./a", "/a/.", "/a/%2e", "/a/..", "/%2e%2E/x"] {
            #expect(throws: HTTPParseError.badRequest("dot segment in path"), "\(target)") { try parse(target) }
        }
        #expect(try parse("/a..b/.hidden/..x/...").path == "/a..b/.hidden/..x/...")
    }

    /// The router once dropped empty segments while the token check read the raw prefix: `//api/images` was
    /// public. No spelling with an empty segment reaches either now.
    @Test func rejectsEmptySegments() {
        for target in ["//api/images", "/api//images", "/api/images/", "///", "http://x//api/images", "//"] {
            #expect(throws: HTTPParseError.badRequest("empty segment in path"), "\(target)") { try parse(target) }
        }
    }

    @Test func rejectsEncodedAndRawSlashesAndBackslashes() {
        for target in ["/%2Fapi/images", "/%2fapi", "/api%2Fimages", "/a%5Cb", "/a%5cb", "/%252F/%2F"] {
            #expect(throws: HTTPParseError.badRequest("encoded slash or backslash in path"), "\(target)") {
                try parse(target)
            }
        }
        #expect(throws: HTTPParseError.badRequest("backslash in path")) { try parse("/a\\b") }
    }

    @Test func decodesExactlyOnce() throws {
        #expect(try parse("/a%2541").path == "/a%41")
        #expect(try parse("/%252F").path == "/%2F")
        #expect(try parse("/caf%C3%A9").path == "/café")
    }

    @Test func keepsTheRootAndOrdinaryPaths() throws {
        #expect(try parse("/").path == "/")
        #expect(try parse("/api/images/1/download").path == "/api/images/1/download")
        #expect(try parse("HtTp://Example.COM:8080/api/images?x=1").path == "/api/images")
    }

    @Test func checksTheAuthorityOfTheAbsoluteFormLikeAHost() {
        for target in ["http://user@x/a", "http://x:80a/a", "http://x y/a", "http://[::1/a", "http://x:123456/a"] {
            #expect(throws: HTTPParseError.self, "\(target)") { try parse(target) }
        }
        #expect(throws: Never.self) { try parse("http://[::1]:8080/a") }
        #expect(throws: Never.self) { try parse("http://127.0.0.1/a") }
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
