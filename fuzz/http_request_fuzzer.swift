// libFuzzer harness for the HTTP/1.1 request parser (Sources/HTTPProtocol/), compiled together with it by
// scripts/fuzz.sh (swiftc -sanitize=fuzzer,address).
//
// Differential: the input (after its first byte) is parsed twice, once appended whole and once in pieces of
// 1...8 bytes chosen by the first byte, the way a socket may deliver it. The heads and requests must come out the
// same, and the stream must fail in both or in neither (which error may differ: with two faults, the one seen
// first depends on how much has arrived). Besides the sanitizers' findings, every request must keep the parser's
// promises: a body within the limit, a path without NUL or `..` segments, a body as long as its `Content-Length`.
// A response echoing a request's header values must stay one response (no CR or LF gets through).

/// Small limits, so that the fuzzer reaches every one of them with short inputs.
private let limits = HTTPLimits(maxRequestLineBytes: 200, maxHeaderBytes: 400, maxHeaderCount: 12, maxBodyBytes: 600)

private struct Outcome: Equatable {
    var events: [HTTPParserEvent] = []
    var failed = false
}

private func parse<S: Sequence>(_ pieces: S) -> Outcome where S.Element == ArraySlice<UInt8> {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = Outcome()
    for piece in pieces {
        parser.append(Array(piece))
        while true {
            let event: HTTPParserEvent
            do {
                event = try parser.next()
            } catch {
                outcome.failed = true
                // A failed parser stays failed.
                guard (try? parser.next()) == nil else { fatalError("parser recovered from \(error)") }
                return outcome
            }
            if event == .needMoreData { break }
            if case .head = event { parser.acceptBody() }
            outcome.events.append(event)
        }
    }
    return outcome
}

private func check(_ request: HTTPRequest) {
    let head = request.head
    precondition(request.body.count <= limits.maxBodyBytes, "body over the limit")
    precondition(!head.path.utf8.contains(0), "NUL in path")
    precondition(!head.path.split(separator: "/").contains(".."), "dot-dot segment in path")
    let declaredLengths = head.headers.values(for: "Content-Length")
    if !declaredLengths.isEmpty {
        // The parser refused the request had they disagreed, or come with Transfer-Encoding.
        let length = try? FramingRules.contentLength(declaredLengths)
        precondition(length == request.body.count, "body length differs from Content-Length")
    }
    var headers = HTTPHeaders()
    for (name, value) in head.headers {
        headers.add(name: "X-Echo-\(name)", value: value)
    }
    headers.add(name: "X-Target", value: head.target)
    let bytes = HTTPResponse(status: .ok, headers: headers, body: request.body).serializedHead(
        keepAlive: head.keepAlive, date: "Thu, 01 Jan 1970 00:00:00 GMT")
    // Every CR is followed by LF and every LF preceded by CR, and the only empty line is the last.
    for (index, byte) in bytes.enumerated() {
        if byte == 0x0D { precondition(index + 1 < bytes.count && bytes[index + 1] == 0x0A, "bare CR in response") }
        if byte == 0x0A { precondition(index > 0 && bytes[index - 1] == 0x0D, "bare LF in response") }
    }
    let emptyLine: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
    precondition(bytes.suffix(4).elementsEqual(emptyLine), "response head does not end in an empty line")
    for start in 0..<(bytes.count - 4) where bytes[start..<(start + 4)].elementsEqual(emptyLine) {
        preconditionFailure("response head split by an echoed value")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequestParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let stream = input[1...]
    let whole = parse([stream])
    let pieceSize = Int(input[0] % 8) + 1
    let pieces = stride(from: stream.startIndex, to: stream.endIndex, by: pieceSize).map {
        stream[$0..<min($0 + pieceSize, stream.endIndex)]
    }
    let split = parse(pieces)
    precondition(whole == split, "the parse depends on how the bytes arrive")
    for case .request(let request) in whole.events {
        check(request)
    }
    return 0
}
