// libFuzzer harness for the multipart/form-data parser and what the upload does with its parts (the boundary
// from Content-Type, part headers, filenames), compiled together with Sources/HTTPProtocol/ by
// scripts/fuzz.sh (swiftc -sanitize=fuzzer,address).
//
// Input: one byte n, then a Content-Type value of n bytes (which should carry the boundary), then the body.
// Besides the sanitizers' findings, the parser's promises are checked: no more parts than allowed, each part's
// bytes taken from the body, and a sanitized filename that is safe to store and echo.

private let maxParts = 8

private func check(sanitized name: String) {
    precondition(!name.isEmpty && name != "." && name != "..", "empty or dot filename")
    precondition(name.utf8.count <= 255, "filename over 255 bytes")
    precondition(!name.contains("/") && !name.contains("\\") && !name.contains("\""), "separator or quote in filename")
    precondition(!name.unicodeScalars.contains { $0.properties.generalCategory == .control }, "control in filename")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipartParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let typeLength = min(Int(input[0]), size - 1)
    let contentType = String(decoding: input[1..<(1 + typeLength)], as: UTF8.self)
    let body = Array(input[(1 + typeLength)...])

    guard let boundary = MultipartParser.boundary(fromContentType: contentType) else { return 0 }
    let parts: [MultipartPart]
    do {
        parts = try MultipartParser.parse(body, boundary: boundary, maxParts: maxParts, maxPartHeaderBytes: 128)
    } catch {
        precondition(error.status == .badRequest, "multipart error other than 400")
        return 0
    }
    precondition(parts.count <= maxParts, "more parts than allowed")
    var searchFrom = 0
    for part in parts {
        // Parts come in order, each a run of the body's bytes after the previous one.
        if !part.body.isEmpty {
            guard let start = ByteSearch.firstIndex(of: part.body, in: body, from: searchFrom) else {
                preconditionFailure("part bytes not found in the body")
            }
            searchFrom = start + part.body.count
        }
        if let filename = part.filename, let sanitized = sanitizedFilename(filename) {
            check(sanitized: sanitized)
        }
        if let type = part.contentType { _ = MediaType(parsing: type) }
    }
    return 0
}
