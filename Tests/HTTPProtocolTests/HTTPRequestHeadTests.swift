import Testing

@testable import HTTPProtocol

@Suite struct HTTPRequestHeadTests {
    private func head(_ version: HTTPVersion, _ headers: HTTPHeaders, target: String = "/") throws -> HTTPRequestHead {
        try HTTPRequestHead(method: .get, target: target, version: version, headers: headers)
    }

    @Test func keepsHTTP11AliveUnlessConnectionClose() throws {
        #expect(try head(.http1_1, ["Host": "a"]).keepAlive)
        #expect(try head(.http1_1, ["Connection": "keep-alive"]).keepAlive)
        #expect(try !head(.http1_1, ["Connection": "close"]).keepAlive)
        #expect(try !head(.http1_1, ["connection": "Upgrade, CLOSE"]).keepAlive)
        #expect(try !head(.http1_1, ["Connection": "te", "Connection": "close"]).keepAlive)
    }

    @Test func closesHTTP10UnlessConnectionKeepAlive() throws {
        #expect(try !head(.http1_0, [:]).keepAlive)
        #expect(try head(.http1_0, ["Connection": "Keep-Alive"]).keepAlive)
        #expect(try !head(.http1_0, ["Connection": "keep-alive, close"]).keepAlive)
    }

    @Test func flagsExpectContinueOnlyForHTTP11() throws {
        #expect(try head(.http1_1, ["Expect": "100-Continue"]).expectsContinue)
        #expect(try !head(.http1_1, ["Expect": "something-else"]).expectsContinue)
        #expect(try !head(.http1_1, [:]).expectsContinue)
        #expect(try !head(.http1_0, ["Expect": "100-continue"]).expectsContinue)
    }

    @Test func splitsAndDecodesTheTarget() throws {
        let parsed = try head(.http1_1, [:], target: "/images/a%20b/c+d?name=J%C3%BCrgen+K&flag&empty=")
        #expect(parsed.path == "/images/a b/c+d")
        #expect(parsed.query.map(\.name) == ["name", "flag", "empty"])
        #expect(parsed.query.map(\.value) == ["Jürgen K", "", ""])
        #expect(parsed.target == "/images/a%20b/c+d?name=J%C3%BCrgen+K&flag&empty=")
    }

    @Test func refusesAnInvalidTarget() {
        #expect(throws: HTTPParseError.self) { try head(.http1_1, [:], target: "/a%00") }
        #expect(throws: HTTPParseError.self) { try head(.http1_1, [:], target: "no-slash") }
    }
}
