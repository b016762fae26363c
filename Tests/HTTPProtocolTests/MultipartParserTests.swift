import Testing

@testable import HTTPProtocol

@Suite struct MultipartParserTests {
    private static let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A body as browsers send it: each part `--boundary CRLF headers CRLF CRLF content CRLF`, then the close.
    private func body(_ parts: [(headers: String, content: [UInt8])], boundary: String = boundary) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            out += bytes("--\(boundary)\r\n\(part.headers)\r\n\r\n") + part.content + bytes("\r\n")
        }
        return out + bytes("--\(boundary)--\r\n")
    }

    private func error(_ body: [UInt8], boundary: String = boundary, maxParts: Int = 32) -> HTTPParseError? {
        do {
            _ = try MultipartParser.parse(body, boundary: boundary, maxParts: maxParts)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsBoundaryQuotedOrNot() {
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=abc123") == "abc123")
        #expect(
            MultipartParser.boundary(fromContentType: #"Multipart/Form-Data; charset=utf-8; BOUNDARY="a b:c""#)
                == "a b:c")
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data") == nil)
        #expect(MultipartParser.boundary(fromContentType: #"multipart/form-data; boundary="""#) == nil)
        #expect(MultipartParser.boundary(fromContentType: "application/json; boundary=abc") == nil)
    }

    @Test func parsesFileAfterTextFields() throws {
        let raw = body([
            (#"Content-Disposition: form-data; name="options""#, bytes(#"{"width":100}"#)),
            (
                "Content-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg",
                [0xFF, 0xD8, 0xFF, 0xE0]
            ),
        ])
        let parts = try MultipartParser.parse(raw, boundary: Self.boundary)
        #expect(parts.count == 2)
        #expect(
            parts[0]
                == MultipartPart(
                    name: "options", filename: nil, contentType: nil,
                    headers: ["Content-Disposition": #"form-data; name="options""#], body: bytes(#"{"width":100}"#)))
        #expect(parts[1].name == "file")
        #expect(parts[1].filename == "a.jpg")
        #expect(parts[1].contentType == "image/jpeg")
        #expect(parts[1].body == [0xFF, 0xD8, 0xFF, 0xE0])
    }

    @Test func parsesUnquotedBoundaryAndUnquotedParameters() throws {
        let raw = body([("Content-Disposition: form-data; name=file; filename=x.png", [1, 2])], boundary: "simple")
        let boundary = try #require(MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=simple"))
        let parts = try MultipartParser.parse(raw, boundary: boundary)
        #expect(parts.map(\.name) == ["file"])
        #expect(parts.map(\.filename) == ["x.png"])
    }

    @Test func parsesBoundaryWithSpacesFromQuotedParameter() throws {
        let boundary = try #require(MultipartParser.boundary(fromContentType: #"multipart/form-data; boundary="a b""#))
        let raw = body([(#"Content-Disposition: form-data; name="f""#, bytes("v"))], boundary: boundary)
        #expect(try MultipartParser.parse(raw, boundary: boundary).map(\.body) == [bytes("v")])
    }

    @Test func ignoresPreambleAndEpilogue() throws {
        let raw =
            bytes("This is the preamble.\r\nIt is ignored.\r\n")
            + body([(#"Content-Disposition: form-data; name="a""#, bytes("1"))])
            + bytes("epilogue, also ignored\r\n--\(Self.boundary)\r\nnot a part\r\n")
        let parts = try MultipartParser.parse(raw, boundary: Self.boundary)
        #expect(parts.map(\.body) == [bytes("1")])
    }

    @Test func keepsBinaryContentWithCRLFAndBoundaryLookAlikes() throws {
        let content =
            [0x00, 0x0D, 0x0A, 0x0D, 0x0A, 0xFF] + bytes("\r\n--\(Self.boundary)X")
            + bytes("\r\n--\(Self.boundary.dropLast())") + bytes("--\(Self.boundary)\r\n") + [0x0D, 0x0A, 0x2D, 0x2D]
        let raw = body([
            (#"Content-Disposition: form-data; name="file"; filename="b.bin""#, content),
            (#"Content-Disposition: form-data; name="after""#, bytes("x")),
        ])
        let parts = try MultipartParser.parse(raw, boundary: Self.boundary)
        #expect(parts.map(\.body) == [content, bytes("x")])
    }

    @Test func acceptsTransportPaddingAndPartsWithoutHeaders() throws {
        let raw = bytes("--b  \t\r\n\r\nno headers\r\n--b\r\n\r\n--b--")
        let parts = try MultipartParser.parse(raw, boundary: "b")
        #expect(parts.map(\.body) == [bytes("no headers"), []])
        #expect(parts.map(\.headers) == [HTTPHeaders(), HTTPHeaders()])
        #expect(parts.map(\.name) == [nil, nil])
    }

    @Test func returnsPartsWithoutAFileWhenNoneWasSent() throws {
        let raw = body([
            (#"Content-Disposition: form-data; name="a""#, bytes("1")),
            (#"Content-Disposition: form-data; name="b""#, bytes("2")),
        ])
        let parts = try MultipartParser.parse(raw, boundary: Self.boundary)
        #expect(parts.map(\.name) == ["a", "b"])
        #expect(parts.allSatisfy { $0.filename == nil })
    }

    @Test func returnsNoPartsForAnEmptyForm() throws {
        #expect(try MultipartParser.parse(bytes("--b--\r\n"), boundary: "b") == [])
    }

    @Test func decodesEscapedAndExtendedFilenames() throws {
        let raw = body([
            (#"Content-Disposition: form-data; name="f"; filename="say \"hi\".jpg""#, []),
            (#"Content-Disposition: form-data; name="g"; filename="C:\dir\photo.jpg""#, []),
            (
                #"Content-Disposition: form-data; name="h"; filename="plain.jpg"; "#
                    + #"filename*=UTF-8''J%C3%BCrgen%20%E2%82%AC.jpg"#,
                []
            ),
            (#"Content-Disposition: form-data; name="i"; filename*=ISO-8859-1''x%E9.jpg; filename="fallback.jpg""#, []),
        ])
        let parts = try MultipartParser.parse(raw, boundary: Self.boundary)
        #expect(parts.map(\.filename) == [#"say "hi".jpg"#, #"C:\dir\photo.jpg"#, "Jürgen €.jpg", "fallback.jpg"])
    }

    @Test func rejectsTooManyParts() {
        let raw = body((0..<3).map { (#"Content-Disposition: form-data; name="p\#($0)""#, bytes("x")) })
        #expect(error(raw, maxParts: 3) == nil)
        #expect(error(raw, maxParts: 2) == .badRequest("more than 2 multipart parts"))
    }

    @Test func rejectsMissingCloseDelimiter() {
        let raw = bytes("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ncontent\r\n")
        #expect(error(raw, boundary: "b") == .badRequest("multipart body without a close delimiter"))
        // A delimiter followed by neither `--` nor CRLF is content, so this body has no close either.
        #expect(error(bytes("--b\r\n\r\nx\r\n--bx"), boundary: "b")?.status == .badRequest)
    }

    @Test func rejectsBodyWithoutDelimiter() {
        #expect(error(bytes("just text"), boundary: "b") == .badRequest("multipart body without a boundary delimiter"))
        #expect(error([], boundary: "b")?.status == .badRequest)
    }

    @Test func rejectsInvalidBoundaries() {
        for boundary in ["", String(repeating: "a", count: 71), "ends with space ", "bad\"quote", "ü"] {
            #expect(error(bytes("--\(boundary)--"), boundary: boundary) == .badRequest("invalid multipart boundary"))
        }
        #expect(
            error(bytes("--\(String(repeating: "a", count: 70))--"), boundary: String(repeating: "a", count: 70))
                == nil)
    }

    @Test func rejectsOversizedOrMalformedPartHeaders() {
        let long = bytes("--b\r\nX-Long: \(String(repeating: "x", count: 100))\r\n\r\ncontent\r\n--b--")
        #expect(throws: HTTPParseError.badRequest("multipart part headers larger than 50 bytes")) {
            try MultipartParser.parse(long, boundary: "b", maxPartHeaderBytes: 50)
        }
        #expect(throws: Never.self) { try MultipartParser.parse(long, boundary: "b", maxPartHeaderBytes: 200) }
        #expect(error(bytes("--b\r\nNo colon here\r\n\r\nx\r\n--b--"), boundary: "b")?.status == .badRequest)
        #expect(error(bytes("--b\r\nX-A: 1\r\nunterminated\r\n--b--"), boundary: "b")?.status == .badRequest)
    }

    @Test func parsesLargeRandomFileQuickly() throws {
        // Random bytes over a small alphabet that includes CR, LF, '-' and the boundary's letter, so partial
        // delimiters are frequent; a 40-character boundary makes a full one practically impossible.
        let boundary = String(repeating: "b", count: 40)
        let alphabet: [UInt8] = [0x0D, 0x0A, 0x2D, 0x62, 0x00, 0xFF]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let content = (0..<(12 * 1024 * 1024)).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return alphabet[Int(state % 6)]
        }
        let raw = body(
            [(#"Content-Disposition: form-data; name="file"; filename="r.bin""#, content)], boundary: boundary)
        let clock = ContinuousClock()
        var parts: [MultipartPart] = []
        let elapsed = try clock.measure { parts = try MultipartParser.parse(raw, boundary: boundary) }
        #expect(parts.count == 1)
        #expect(parts.first?.body == content)
        #expect(elapsed < .seconds(2), "took \(elapsed)")
    }
}
