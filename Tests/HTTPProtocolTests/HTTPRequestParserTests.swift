import Testing

@testable import HTTPProtocol

@Suite struct HTTPRequestParserTests {
    /// Feeds `chunks` one after the other, draining the parser after each, and returns every event but
    /// `.needMoreData`.
    private func events(
        _ chunks: [[UInt8]], limits: HTTPLimits = HTTPLimits()
    ) throws(HTTPParseError)
        -> [HTTPParserEvent]
    {
        var parser = HTTPRequestParser(limits: limits)
        var events: [HTTPParserEvent] = []
        for chunk in chunks {
            parser.append(chunk)
            while true {
                let event = try parser.next()
                if event == .needMoreData { break }
                if case .head = event { parser.acceptBody() }
                events.append(event)
            }
        }
        return events
    }

    private func requests(_ raw: String, limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> [HTTPRequest] {
        try events([Array(raw.utf8)], limits: limits).compactMap {
            if case .request(let request) = $0 { request } else { nil }
        }
    }

    private func error(_ raw: String, limits: HTTPLimits = HTTPLimits()) -> HTTPParseError? {
        do {
            _ = try events([Array(raw.utf8)], limits: limits)
            return nil
        } catch {
            return error
        }
    }

    private func head(
        _ method: HTTPMethod, _ target: String, _ headers: HTTPHeaders, version: HTTPVersion = .http1_1
    )
        throws -> HTTPRequestHead
    {
        try HTTPRequestHead(method: method, target: target, version: version, headers: headers)
    }

    // MARK: - Requests that parse

    @Test func parsesSimpleGet() throws {
        let result = try events([
            Array("GET /images/1?size=2 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n".utf8)
        ])
        let expected = try head(.get, "/images/1?size=2", ["Host": "example.com", "Accept": "*/*"])
        #expect(result == [.head(expected), .request(HTTPRequest(head: expected, body: []))])
        #expect(expected.path == "/images/1")
        #expect(expected.query.map { [$0.name, $0.value] } == [["size", "2"]])
    }

    @Test func reportsHeadOnceThenRequestOnTheFollowingCall() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        let expected = try head(.get, "/", ["Host": "a"])
        #expect(try parser.next() == .head(expected))
        parser.acceptBody()
        #expect(try parser.next() == .request(HTTPRequest(head: expected)))
        #expect(try parser.next() == .needMoreData)
        #expect(parser.isIdle)
    }

    @Test func readsNoBodyBytesUntilTheRequestIsAdmitted() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 52428800\r\n\r\nabc".utf8))
        guard case .head = try parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(parser.admissionBodyBound == 52_428_800)
        #expect(try parser.next() == .needMoreData)
        #expect(parser.bufferedByteCount == 3)
        parser.acceptBody()
        #expect(parser.admissionBodyBound == nil)
        #expect(try parser.next() == .needMoreData)
    }

    @Test func boundsAChunkedBodyByTheBodyLimitAtAdmission() throws {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxBodyBytes: 1000))
        parser.append(Array("POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8))
        _ = try parser.next()
        #expect(parser.admissionBodyBound == 1000)
    }

    @Test func acceptsAnyTokenAsMethod() throws {
        let parsed = try requests("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(parsed.map(\.head.method) == [HTTPMethod(rawValue: "BREW")])
    }

    @Test func readsContentLengthBody() throws {
        let parsed = try requests("POST /images HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world")
        #expect(parsed.count == 1)
        #expect(parsed.first?.body == Array("hello world".utf8))
    }

    @Test func acceptsRepeatedIdenticalContentLength() throws {
        let raw = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc"
        #expect(try requests(raw).map(\.body) == [Array("abc".utf8)])
    }

    @Test func skipsEmptyLinesBeforeTheRequestLine() throws {
        let parsed = try requests("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(parsed.map(\.head.path) == ["/"])
    }

    @Test func trimsOptionalWhitespaceAroundFieldValues() throws {
        let parsed = try requests("GET / HTTP/1.1\r\nHost:a\r\nX-Test: \t spaced value \t\r\n\r\n")
        #expect(parsed.first?.head.headers["x-test"] == "spaced value")
        #expect(parsed.first?.head.headers["host"] == "a")
    }

    @Test func acceptsHTTP10WithoutHost() throws {
        let parsed = try requests("GET / HTTP/1.0\r\n\r\n")
        #expect(parsed.map(\.head.version) == [.http1_0])
        #expect(parsed.first?.head.keepAlive == false)
    }

    @Test func acceptsAbsoluteFormAndAsteriskForOptions() throws {
        let parsed = try requests(
            "GET http://example.com/a%20b?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"
                + "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(parsed.map(\.head.path) == ["/a b", "*"])
        #expect(parsed.first?.head.query.map { [$0.name, $0.value] } == [["x", "1"]])
    }

    // MARK: - Pipelining and fragmentation

    private static let pipelined =
        "GET /first HTTP/1.1\r\nHost: a\r\n\r\n"
        + "POST /second HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
        + "PUT /third HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n"
        + "GET /fourth HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"

    private func summary(_ events: [HTTPParserEvent]) -> [String] {
        events.map { event in
            switch event {
            case .needMoreData: "more"
            case .head(let head): "head \(head.method) \(head.path)"
            case .request(let request): "request \(request.head.path) \(String(decoding: request.body, as: UTF8.self))"
            }
        }
    }

    @Test func parsesPipelinedRequestsFromOneBuffer() throws {
        #expect(
            summary(try events([Array(Self.pipelined.utf8)])) == [
                "head GET /first", "request /first ",
                "head POST /second", "request /second hello",
                "head PUT /third", "request /third abc",
                "head GET /fourth", "request /fourth ",
            ])
    }

    @Test func parsesTheSameWhenSplitAtEveryByteBoundary() throws {
        let bytes = Array(Self.pipelined.utf8)
        let whole = try events([bytes])
        for split in 1..<bytes.count {
            #expect(try events([Array(bytes[..<split]), Array(bytes[split...])]) == whole, "split at \(split)")
        }
    }

    @Test func parsesTheSameWhenFedOneByteAtATime() throws {
        let bytes = Array(Self.pipelined.utf8)
        #expect(try events(bytes.map { [$0] }) == events([bytes]))
    }

    @Test func keepsBytesOfTheNextRequestBuffered() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HT".utf8))
        _ = try parser.next()
        parser.acceptBody()
        _ = try parser.next()
        #expect(try parser.next() == .needMoreData)
        #expect(parser.bufferedByteCount == 9)
        #expect(!parser.isIdle)
        parser.append(Array("TP/1.1\r\nHost: a\r\n\r\n".utf8))
        guard case .head(let head) = try parser.next() else {
            Issue.record("expected the second head")
            return
        }
        #expect(head.path == "/b")
    }

    // MARK: - Chunked bodies

    @Test func decodesChunkedBodyWithExtensionsAndTrailers() throws {
        let raw =
            "POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n6 ; quoted=\"x\"\r\n world\r\nA\r\n0123456789\r\n000\r\n"
            + "Expires: never\r\nX-Checksum: 1\r\n\r\n"
        let parsed = try requests(raw)
        #expect(parsed.map(\.body) == [Array("hello world0123456789".utf8)])
    }

    @Test func acceptsChunkedCaseInsensitively() throws {
        let raw = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
        #expect(try requests(raw).map(\.body) == [[UInt8(ascii: "x")]])
    }

    @Test func rejectsMalformedChunkSize() {
        let raw = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
        #expect(error(raw)?.status == .badRequest)
        let signed = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n"
        #expect(error(signed)?.status == .badRequest)
    }

    @Test func rejectsChunkDataNotFollowedByCRLF() {
        let raw = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n"
        #expect(error(raw)?.code == "bad_request")
    }

    @Test func rejectsOverlongChunkExtension() {
        let raw =
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;"
            + String(repeating: "e", count: HTTPRequestParser.maxChunkSizeLineBytes) + "\r\n"
        #expect(error(raw)?.status == .badRequest)
    }

    @Test func rejectsChunkedBodyAsSoonAsItPassesTheLimit() throws {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxBodyBytes: 10))
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n".utf8))
        guard case .head = try parser.next() else {
            Issue.record("expected a head")
            return
        }
        parser.acceptBody()
        #expect(try parser.next() == .needMoreData)
        // The size line alone declares 16 bytes in total; no need to wait for the data.
        parser.append(Array("8\r\n".utf8))
        #expect(throws: HTTPParseError.payloadTooLarge("request body larger than 10 bytes")) { try parser.next() }
    }

    @Test func rejectsHugeChunkSizeWithoutOverflow() {
        let raw = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\n"
        #expect(error(raw)?.status == .contentTooLarge)
    }

    @Test func rejectsOversizedTrailers() {
        let trailer = "X-Long: " + String(repeating: "t", count: 200) + "\r\n"
        let raw = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + trailer + "\r\n"
        #expect(error(raw, limits: HTTPLimits(maxHeaderBytes: 100))?.status == .requestHeaderFieldsTooLarge)
    }

    // MARK: - Expect: 100-continue and early limits

    @Test func flagsExpectContinueAndReportsHeadBeforeTheBody() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("POST /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n".utf8))
        guard case .head(let head) = try parser.next() else {
            Issue.record("expected a head")
            return
        }
        parser.acceptBody()
        #expect(head.expectsContinue)
        #expect(try parser.next() == .needMoreData)
        parser.append(Array("da".utf8))
        #expect(try parser.next() == .needMoreData)
        parser.append(Array("ta".utf8))
        #expect(try parser.next() == .request(HTTPRequest(head: head, body: Array("data".utf8))))
    }

    @Test func rejectsHugeContentLengthAtHeadTime() {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxBodyBytes: 1000))
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000000\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.payloadTooLarge("request body larger than 1000 bytes")) { try parser.next() }
    }

    @Test func acceptsBodyExactlyAtTheLimit() throws {
        let raw = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd"
        #expect(try requests(raw, limits: HTTPLimits(maxBodyBytes: 4)).map(\.body) == [Array("abcd".utf8)])
    }

    @Test func staysFailedAfterAnError() {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\nHost: a\r\n\r\n".utf8))
        let expected = HTTPParseError.badRequest("line ends in a bare LF")
        #expect(throws: expected) { try parser.next() }
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(throws: expected) { try parser.next() }
    }

    // MARK: - Rejections with their status

    @Test func rejectsBareLFInRequestLine() {
        #expect(error("GET / HTTP/1.1\nHost: a\r\n\r\n")?.status == .badRequest)
    }

    @Test func rejectsBareLFInHeaderSection() {
        #expect(error("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n")?.status == .badRequest)
        #expect(error("GET / HTTP/1.1\r\nHost: a\r\n\n")?.status == .badRequest)
    }

    @Test func rejectsMalformedRequestLines() {
        for line in [
            "GET  / HTTP/1.1", "GET / HTTP/1.1 ", "GET /", "GET / http/1.1", "GET / HTTP/1.1x", "G@T / HTTP/1.1",
            " GET / HTTP/1.1", "GET a b HTTP/1.1", "GET /a\u{7F} HTTP/1.1", "GET /é HTTP/1.1", "GET relative HTTP/1.1",
            "GET /#frag HTTP/1.1", "GET * HTTP/1.1",
        ] {
            #expect(error(line + "\r\nHost: a\r\n\r\n")?.status == .badRequest, "\(line)")
        }
    }

    @Test func rejectsUnsupportedVersionsWith505() {
        for version in ["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0"] {
            let parsed = error("GET / \(version)\r\nHost: a\r\n\r\n")
            #expect(parsed?.status == .httpVersionNotSupported, "\(version)")
            #expect(parsed?.code == "http_version_not_supported")
        }
    }

    @Test func rejectsWhitespaceBetweenFieldNameAndColon() {
        #expect(error("GET / HTTP/1.1\r\nHost : a\r\n\r\n")?.status == .badRequest)
        #expect(error("GET / HTTP/1.1\r\nHost: a\r\nX\t: y\r\n\r\n")?.status == .badRequest)
    }

    @Test func rejectsObsoleteLineFolding() {
        #expect(error("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  continued\r\n\r\n")?.status == .badRequest)
        #expect(error("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n")?.status == .badRequest)
    }

    @Test func rejectsControlCharactersInFields() {
        #expect(error("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{01}b\r\n\r\n")?.status == .badRequest)
        #expect(error("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n")?.status == .badRequest)
        #expect(error("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n")?.status == .badRequest)
        #expect(error("GET / HTTP/1.1\r\nHost: a\r\nX\u{7F}: b\r\n\r\n")?.status == .badRequest)
        #expect(error("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n")?.status == .badRequest)
        #expect(error("GET / HTTP/1.1\r\nHost: a\r\n: empty name\r\n\r\n")?.status == .badRequest)
    }

    @Test func rejectsNegativeContentLength() {
        #expect(error("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n")?.status == .badRequest)
    }

    @Test func rejectsNonDigitContentLength() {
        for value in ["+5", "5a", "0x10", "1e3", "", "5 5", " , "] {
            let raw = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\n"
            #expect(error(raw)?.status == .badRequest, "\(value)")
        }
    }

    @Test func rejectsOverflowingContentLength() {
        let raw = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n"
        #expect(error(raw)?.status == .badRequest)
    }

    @Test func rejectsDifferingContentLengths() {
        #expect(
            error("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")?.status
                == .badRequest)
        #expect(error("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd")?.status == .badRequest)
    }

    @Test func rejectsContentLengthWithTransferEncoding() {
        let raw = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        #expect(error(raw)?.status == .badRequest)
    }

    @Test func rejectsTransferCodingsOtherThanChunkedWith501() {
        for coding in ["gzip", "gzip, chunked", "chunked, chunked", "identity"] {
            let parsed = error("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \(coding)\r\n\r\n")
            #expect(parsed?.status == .notImplemented, "\(coding)")
            #expect(parsed?.code == "not_implemented")
        }
        let twoFields = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(error(twoFields)?.status == .notImplemented)
    }

    @Test func rejectsTransferEncodingOnHTTP10() {
        #expect(error("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")?.status == .badRequest)
    }

    @Test func rejectsMissingOrRepeatedHost() {
        #expect(error("GET / HTTP/1.1\r\n\r\n")?.status == .badRequest)
        #expect(error("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n")?.status == .badRequest)
    }

    @Test func rejectsEncodedNulAndDotDotInPath() {
        #expect(error("GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n")?.status == .badRequest)
        #expect(error("GET /a/%2e%2e/b HTTP/1.1\r\nHost: a\r\n\r\n")?.status == .badRequest)
        #expect(error("GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n")?.status == .badRequest)
    }

    @Test func rejectsLongRequestLineWith414() {
        let limits = HTTPLimits(maxRequestLineBytes: 64)
        let long = "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        let parsed = error(long, limits: limits)
        #expect(parsed?.status == .uriTooLong)
        #expect(parsed?.code == "uri_too_long")
        // Without waiting for the end of the line.
        #expect(error("GET /" + String(repeating: "a", count: 100), limits: limits)?.status == .uriTooLong)
        // A line of exactly the limit passes.
        let exact = "GET /" + String(repeating: "a", count: 64 - 14) + " HTTP/1.1"
        #expect(exact.utf8.count == 64)
        #expect(error(exact + "\r\nHost: a\r\n\r\n", limits: limits) == nil)
    }

    @Test func rejectsTooManyLeadingEmptyLines() {
        let raw = String(repeating: "\r\n", count: 40) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(error(raw, limits: HTTPLimits(maxRequestLineBytes: 64))?.status == .badRequest)
    }

    @Test func rejectsLargeHeaderSectionWith431() {
        let limits = HTTPLimits(maxHeaderBytes: 100)
        let field = "X-Big: " + String(repeating: "b", count: 120) + "\r\n"
        let parsed = error("GET / HTTP/1.1\r\nHost: a\r\n" + field + "\r\n", limits: limits)
        #expect(parsed?.status == .requestHeaderFieldsTooLarge)
        #expect(parsed?.code == "header_fields_too_large")
        // Without waiting for the end of the field.
        #expect(
            error("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "b", count: 200), limits: limits)?
                .status == .requestHeaderFieldsTooLarge)
        // Many small fields add up.
        let many = String(repeating: "X-A: 1234567\r\n", count: 8)
        #expect(
            error("GET / HTTP/1.1\r\nHost: a\r\n" + many + "\r\n", limits: limits)?.status
                == .requestHeaderFieldsTooLarge)
    }

    @Test func rejectsTooManyHeaderFieldsWith431() {
        let limits = HTTPLimits(maxHeaderCount: 5)
        let four = String(repeating: "X: y\r\n", count: 4)
        #expect(error("GET / HTTP/1.1\r\nHost: a\r\n" + four + "\r\n", limits: limits) == nil)
        #expect(
            error("GET / HTTP/1.1\r\nHost: a\r\n" + four + "X: z\r\n\r\n", limits: limits)?
                .status == .requestHeaderFieldsTooLarge)
    }

    // MARK: - Large bodies

    /// A body whose bytes depend on their position, so a lost or duplicated piece is noticed.
    private func patternedBody(count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 13) }
    }

    @Test func parsesTenMegabyteBodyArrivingIn64KiBPieces() throws {
        let body = patternedBody(count: 10 * 1024 * 1024)
        let stream = Array("POST /images HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        let clock = ContinuousClock()
        var parsed: HTTPRequest?
        let elapsed = try clock.measure {
            var parser = HTTPRequestParser()
            var offset = 0
            while offset < stream.count {
                let end = min(offset + 65536, stream.count)
                stream[offset..<end].withUnsafeBytes { parser.append($0) }
                offset = end
                while true {
                    let event = try parser.next()
                    if case .head = event { parser.acceptBody() }
                    if case .request(let request) = event { parsed = request }
                    if event == .needMoreData { break }
                }
            }
        }
        #expect(parsed?.body.count == body.count)
        #expect(parsed?.body == body, "the body differs")
        #expect(elapsed < .seconds(2), "took \(elapsed)")
    }

    @Test func parsesTenMegabyteChunkedBodyArrivingIn64KiBPieces() throws {
        let body = patternedBody(count: 10 * 1024 * 1024)
        var stream = Array("POST /images HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        // Chunks of 100 000 bytes, so chunk boundaries fall anywhere inside the 64 KiB reads.
        var offset = 0
        while offset < body.count {
            let end = min(offset + 100_000, body.count)
            stream += Array((String(end - offset, radix: 16) + "\r\n").utf8) + body[offset..<end] + [0x0D, 0x0A]
            offset = end
        }
        stream += Array("0\r\n\r\n".utf8)
        let pieces = stride(from: 0, to: stream.count, by: 65536).map {
            Array(stream[$0..<min($0 + 65536, stream.count)])
        }
        let clock = ContinuousClock()
        var result: [HTTPParserEvent] = []
        let elapsed = try clock.measure { result = try events(pieces) }
        guard case .request(let request) = result.last else {
            Issue.record("no request parsed")
            return
        }
        #expect(request.body == body)
        #expect(elapsed < .seconds(3), "took \(elapsed)")
    }
}
