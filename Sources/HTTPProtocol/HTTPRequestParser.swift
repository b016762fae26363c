#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An incremental HTTP/1.1 request parser (RFC 9112): bytes in, `.head` / `.request` / `.needMoreData` out, or a
/// typed error after which the connection must be closed (the parser stays failed and rethrows it).
///
/// Feed it with `append` as bytes arrive and call `next()` until it answers `.needMoreData`. For each request it
/// reports `.head` exactly once, as soon as the header section is complete and valid, and then waits: nothing of the
/// body is read, and nothing is reserved for it, until the caller has admitted the request with `acceptBody()` (a
/// request that will be refused never costs its declared length). After that, `.request` comes once the body is
/// complete (on the very next call for a request without a body). Bytes after a request stay buffered, so
/// pipelined requests come out one per `.request`.
///
/// Strictness, each choice made so that two parsers cannot disagree about where a request ends (request smuggling):
/// - every line ends in CRLF, in the request line, the header section, chunk-size lines and trailers alike; a bare
///   LF is a 400. Empty lines before the request line are skipped (RFC 9112 §2.2), up to `maxRequestLineBytes`.
/// - no whitespace before a field name's colon, no obs-fold, no control characters in names or values → 400.
/// - `Content-Length` is digits only and all its values agree; `Content-Length` with `Transfer-Encoding`, or
///   `Transfer-Encoding` on HTTP/1.0 → 400; a transfer coding other than exactly `chunked` → 501.
/// - HTTP/1.1 needs exactly one `Host`, whose value is a host and optional port (``HostSyntax``) → 400 otherwise;
///   versions other than 1.0 and 1.1 → 505.
/// - limits: request line → 414, header section size or field count → 431, body → 413 (at head time for a
///   declared length, at the chunk-size line for chunked bodies).
///
/// Cost: each byte is scanned once (the line search resumes where it stopped, using `memchr`), body bytes are
/// copied in bulk, straight into the body when nothing else is buffered, and consumed bytes are dropped from the
/// front of the buffer only when they are at least half of it, which keeps compaction amortised O(1) per byte.
public struct HTTPRequestParser: Sendable {
    public let limits: HTTPLimits

    /// Longest chunk-size line, extensions included. Nothing legitimate comes close.
    static let maxChunkSizeLineBytes = 4096
    /// Bytes already consumed at the front of `buffer` before compaction considers moving the rest.
    private static let compactionThreshold = 4096
    /// An idle buffer with more capacity than this is released rather than kept for reuse.
    private static let retainedBufferCapacity = 1 << 20

    private enum Phase: Sendable {
        case requestLine
        case headerFields
        /// The head was reported; the body waits for `acceptBody()`.
        case admission(body: PendingBody)
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed(HTTPParseError)
    }

    /// How the body of an admitted request is framed.
    private enum PendingBody: Sendable {
        case length(Int)
        case chunked
    }

    private var buffer: [UInt8] = []
    /// The first byte not consumed yet.
    private var readIndex = 0
    /// Where the search for the next LF resumes: bytes in `readIndex..<scanIndex` are known to hold none.
    private var scanIndex = 0
    private var phase = Phase.requestLine

    // The request being parsed. Kept outside `phase` so that appending to them never copies (an enum payload
    // taken out for mutation would share its storage with the copy still in the enum).
    private var leadingEmptyLineBytes = 0
    private var requestLine: (method: HTTPMethod, target: String, parsed: RequestTarget, version: HTTPVersion)?
    private var headers = HTTPHeaders()
    private var sectionBytes = 0
    private var sectionFields = 0
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Bytes received but not yet consumed by a complete request.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// True between requests with nothing buffered: a connection closing now loses no request.
    public var isIdle: Bool {
        if case .requestLine = phase { return requestLine == nil && bufferedByteCount == 0 }
        return false
    }

    /// Buffers bytes read from the connection. They are copied; the caller may reuse its buffer at once.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        bytes.withMemoryRebound(to: UInt8.self) { append(contiguous: $0) }
    }

    /// Buffers bytes held in an array (tests, or callers that already have one).
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append(contiguous: $0) }
    }

    private mutating func append(contiguous input: UnsafeBufferPointer<UInt8>) {
        var bytes = input[...]
        compact()
        // While a body is being read and nothing else waits in the buffer, body bytes skip the buffer.
        if readIndex == buffer.count {
            switch phase {
            case .fixedBody(let remaining) where remaining > 0:
                let taken = takeIntoBody(from: &bytes, upTo: remaining)
                phase = .fixedBody(remaining: remaining - taken)
            case .chunkData(let remaining) where remaining > 0:
                let taken = takeIntoBody(from: &bytes, upTo: remaining)
                phase = .chunkData(remaining: remaining - taken)
            default:
                break
            }
        }
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes))
    }

    private mutating func takeIntoBody(from bytes: inout Slice<UnsafeBufferPointer<UInt8>>, upTo limit: Int) -> Int {
        let count = min(limit, bytes.count)
        body.append(contentsOf: UnsafeBufferPointer(rebasing: bytes.prefix(count)))
        bytes = bytes.dropFirst(count)
        return count
    }

    private mutating func compact() {
        if readIndex == buffer.count {
            if buffer.capacity > Self.retainedBufferCapacity {
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
        } else if readIndex >= Self.compactionThreshold, readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
        } else {
            return
        }
        scanIndex -= readIndex
        readIndex = 0
    }

    /// Parses as far as the buffered bytes allow. After a throw the parser is failed and throws the same error again.
    public mutating func next() throws(HTTPParseError) -> HTTPParserEvent {
        if case .failed(let error) = phase { throw error }
        do {
            return try parse()
        } catch {
            phase = .failed(error)
            throw error
        }
    }

    private mutating func parse() throws(HTTPParseError) -> HTTPParserEvent {
        while true {
            let event: HTTPParserEvent?
            switch phase {
            case .requestLine: event = try readRequestLine()
            case .headerFields: event = try readHeaderField()
            case .admission: event = .needMoreData
            case .fixedBody(let remaining): event = readFixedBody(remaining: remaining)
            case .chunkSize: event = try readChunkSize()
            case .chunkData(let remaining): event = readChunkData(remaining: remaining)
            case .chunkDataEnd: event = try readChunkDataEnd()
            case .trailers: event = try readTrailerField()
            case .failed(let error): throw error
            }
            if let event { return event }
        }
    }

    // The steps of `parse`, one per phase: each returns the event to report, or nil when it moved on and parsing
    // continues.

    private mutating func readRequestLine() throws(HTTPParseError) -> HTTPParserEvent? {
        guard let line = try nextLine(maxLength: limits.maxRequestLineBytes, tooLong: requestLineTooLong) else {
            return .needMoreData
        }
        if line.isEmpty {
            leadingEmptyLineBytes += 2
            guard leadingEmptyLineBytes <= limits.maxRequestLineBytes else {
                throw .badRequest("too many empty lines before the request line")
            }
            return nil
        }
        requestLine = try parseRequestLine(buffer[line])
        phase = .headerFields
        return nil
    }

    private mutating func readHeaderField() throws(HTTPParseError) -> HTTPParserEvent? {
        guard let line = try nextFieldLine() else { return .needMoreData }
        if line.isEmpty { return .head(try completeHead()) }
        let (name, value) = try HTTPSyntax.parseField(buffer[line])
        headers.add(name: name, value: value)
        return nil
    }

    private mutating func readFixedBody(remaining: Int) -> HTTPParserEvent {
        let taken = takeBufferedIntoBody(upTo: remaining)
        guard taken == remaining else {
            phase = .fixedBody(remaining: remaining - taken)
            return .needMoreData
        }
        return .request(finishRequest())
    }

    private mutating func readChunkSize() throws(HTTPParseError) -> HTTPParserEvent? {
        let tooLong = HTTPParseError.badRequest("chunk-size line too long")
        guard let line = try nextLine(maxLength: Self.maxChunkSizeLineBytes, tooLong: tooLong) else {
            return .needMoreData
        }
        let size = try parseChunkSize(buffer[line])
        guard size <= limits.maxBodyBytes - body.count else { throw bodyTooLarge }
        if size == 0 {
            sectionBytes = 0
            sectionFields = 0
            phase = .trailers
        } else {
            phase = .chunkData(remaining: size)
        }
        return nil
    }

    private mutating func readChunkData(remaining: Int) -> HTTPParserEvent? {
        let taken = takeBufferedIntoBody(upTo: remaining)
        guard taken == remaining else {
            phase = .chunkData(remaining: remaining - taken)
            return .needMoreData
        }
        phase = .chunkDataEnd
        return nil
    }

    private mutating func readChunkDataEnd() throws(HTTPParseError) -> HTTPParserEvent? {
        guard bufferedByteCount >= 2 else {
            if bufferedByteCount == 1, buffer[readIndex] != 0x0D { throw .badRequest("chunk data too long") }
            return .needMoreData
        }
        guard buffer[readIndex] == 0x0D, buffer[readIndex + 1] == 0x0A else {
            throw .badRequest("chunk data not followed by CRLF")
        }
        readIndex += 2
        scanIndex = readIndex
        phase = .chunkSize
        return nil
    }

    /// Trailer fields are checked like header fields, counted against the same limits, and dropped.
    private mutating func readTrailerField() throws(HTTPParseError) -> HTTPParserEvent? {
        guard let line = try nextFieldLine() else { return .needMoreData }
        if line.isEmpty { return .request(finishRequest()) }
        _ = try HTTPSyntax.parseField(buffer[line])
        return nil
    }

    private var requestLineTooLong: HTTPParseError {
        .uriTooLong("request line longer than \(limits.maxRequestLineBytes) bytes")
    }

    private var bodyTooLarge: HTTPParseError {
        .payloadTooLarge("request body larger than \(limits.maxBodyBytes) bytes")
    }

    /// The next CRLF-terminated line (without its CRLF), consumed; nil if it is not complete yet.
    private mutating func nextLine(maxLength: Int, tooLong: HTTPParseError) throws(HTTPParseError) -> Range<Int>? {
        let start = max(scanIndex, readIndex)
        let found: Int? = buffer.withUnsafeBufferPointer { bytes in
            guard start < bytes.count, let base = bytes.baseAddress,
                let hit = memchr(base + start, 0x0A, bytes.count - start)
            else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
        guard let lineFeed = found else {
            scanIndex = buffer.count
            // The pending bytes may end in the line's CR, hence + 1.
            if buffer.count - readIndex > maxLength + 1 { throw tooLong }
            return nil
        }
        guard lineFeed > readIndex, buffer[lineFeed - 1] == 0x0D else { throw .badRequest("line ends in a bare LF") }
        let line = readIndex..<(lineFeed - 1)
        if line.count > maxLength { throw tooLong }
        readIndex = lineFeed + 1
        scanIndex = readIndex
        return line
    }

    /// The next line of a header or trailer section, counted against `maxHeaderBytes` and `maxHeaderCount`.
    private mutating func nextFieldLine() throws(HTTPParseError) -> Range<Int>? {
        let tooLarge = HTTPParseError.headerFieldsTooLarge("header section larger than \(limits.maxHeaderBytes) bytes")
        let budget = max(0, limits.maxHeaderBytes - sectionBytes - 2)
        guard let line = try nextLine(maxLength: budget, tooLong: tooLarge) else { return nil }
        if !line.isEmpty {
            sectionBytes += line.count + 2
            sectionFields += 1
            guard sectionFields <= limits.maxHeaderCount else {
                throw .headerFieldsTooLarge("more than \(limits.maxHeaderCount) header fields")
            }
        }
        return line
    }

    /// `method SP request-target SP HTTP-version` (RFC 9112 §3).
    private func parseRequestLine(
        _ line: ArraySlice<UInt8>
    ) throws(HTTPParseError) -> (method: HTTPMethod, target: String, parsed: RequestTarget, version: HTTPVersion) {
        let parts = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, HTTPSyntax.isToken(parts[0]) else { throw .badRequest("malformed request line") }
        let method = HTTPMethod(rawValue: String(decoding: parts[0], as: UTF8.self))
        let version = try parseVersion(parts[2])
        let target = String(decoding: parts[1], as: UTF8.self)
        if target == "*", method != .options { throw .badRequest("asterisk target outside OPTIONS") }
        return (method, target, try RequestTarget(parsing: parts[1]), version)
    }

    /// `HTTP/DIGIT.DIGIT`; a well-formed version other than 1.0 or 1.1 is a 505, anything else a 400.
    private func parseVersion(_ text: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        let bytes = Array(text)
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard bytes.count == 8, bytes.starts(with: "HTTP/".utf8), isDigit(bytes[5]), bytes[6] == UInt8(ascii: "."),
            isDigit(bytes[7])
        else { throw .badRequest("malformed HTTP version") }
        let version = HTTPVersion(major: Int(bytes[5] - UInt8(ascii: "0")), minor: Int(bytes[7] - UInt8(ascii: "0")))
        guard version == .http1_1 || version == .http1_0 else {
            throw .versionNotSupported("\(version) is not supported")
        }
        return version
    }

    /// Validates the framing of the complete header section and moves on to the body.
    private mutating func completeHead() throws(HTTPParseError) -> HTTPRequestHead {
        guard let requestLine else { preconditionFailure("header section without a request line") }
        let hostCount = headers.values(for: "Host").count
        if requestLine.version == .http1_1, hostCount == 0 { throw .badRequest("missing Host header") }
        if hostCount > 1 { throw .badRequest("more than one Host header") }
        if let host = headers["Host"], !host.isEmpty, !HostSyntax.isValid(host.utf8) {
            throw .badRequest("invalid Host header")
        }

        let transferEncoding = headers.values(for: "Transfer-Encoding")
        let contentLength = headers.values(for: "Content-Length")
        if !transferEncoding.isEmpty {
            guard contentLength.isEmpty else { throw .badRequest("both Content-Length and Transfer-Encoding") }
            guard requestLine.version != .http1_0 else { throw .badRequest("Transfer-Encoding in an HTTP/1.0 request") }
            let codings = FramingRules.listElements(transferEncoding)
            guard codings.count == 1, codings[0].lowercased() == "chunked" else {
                throw .notImplemented("unsupported transfer coding")
            }
            phase = .admission(body: .chunked)
        } else if !contentLength.isEmpty {
            let length = try FramingRules.contentLength(contentLength)
            guard length <= limits.maxBodyBytes else { throw bodyTooLarge }
            phase = .admission(body: .length(length))
        } else {
            phase = .admission(body: .length(0))
        }

        let head = HTTPRequestHead(
            method: requestLine.method, target: requestLine.target, parsed: requestLine.parsed,
            version: requestLine.version, headers: headers)
        self.head = head
        return head
    }

    /// The most body bytes the request whose head was just reported can bring: its declared length, or the body
    /// limit for a chunked body. Nil outside admission.
    public var admissionBodyBound: Int? {
        guard case .admission(let body) = phase else { return nil }
        switch body {
        case .length(let length): return length
        case .chunked: return limits.maxBodyBytes
        }
    }

    /// Admits the request whose head was just reported: reserves its declared length and starts reading the body.
    /// A refused request is never admitted; its connection is closed (when it has a body) or it is answered once
    /// `acceptBody()` has skipped its empty body.
    public mutating func acceptBody() {
        guard case .admission(let pending) = phase else { preconditionFailure("acceptBody() without a head") }
        switch pending {
        case .length(let length):
            body.reserveCapacity(length)
            phase = .fixedBody(remaining: length)
        case .chunked:
            phase = .chunkSize
        }
    }

    /// `chunk-size [ chunk-ext ]`: hex digits, then optionally whitespace and `;` extensions, which are ignored.
    private func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var size = 0
        var index = line.startIndex
        while index < line.endIndex, let digit = PercentDecoding.hexValue(line[index]) {
            // Past the body limit the size is refused anyway; stopping here also rules out overflow.
            guard size <= limits.maxBodyBytes else { throw bodyTooLarge }
            size = size << 4 | Int(digit)
            index += 1
        }
        guard index > line.startIndex else { throw .badRequest("malformed chunk size") }
        guard size <= limits.maxBodyBytes else { throw bodyTooLarge }
        var rest = line[index...]
        while let byte = rest.first, byte == 0x20 || byte == 0x09 { rest.removeFirst() }
        guard rest.isEmpty || (rest.first == UInt8(ascii: ";") && rest.allSatisfy(HTTPSyntax.isFieldValueByte)) else {
            throw .badRequest("malformed chunk extension")
        }
        return size
    }

    /// Moves up to `limit` buffered bytes into the body in one copy; returns how many.
    private mutating func takeBufferedIntoBody(upTo limit: Int) -> Int {
        let count = min(limit, bufferedByteCount)
        if count > 0 {
            body.append(contentsOf: buffer[readIndex..<(readIndex + count)])
            readIndex += count
            scanIndex = readIndex
        }
        return count
    }

    private mutating func finishRequest() -> HTTPRequest {
        guard let head else { preconditionFailure("body without a head") }
        let request = HTTPRequest(head: head, body: body)
        body = []
        self.head = nil
        requestLine = nil
        headers = HTTPHeaders()
        sectionBytes = 0
        sectionFields = 0
        leadingEmptyLineBytes = 0
        phase = .requestLine
        return request
    }
}
