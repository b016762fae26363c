// libFuzzer harness for the request-target canonicaliser (Sources/ImageService/HTTP/RequestTarget.swift), compiled
// together with Sources/ImageService/HTTP/ by scripts/fuzz.sh (swiftc -sanitize=fuzzer,address).
//
// Input: the request-target bytes. Besides the sanitizers' findings, the promise the access policy and the router
// rely on is checked: a target either is refused with 400, or yields one canonical path (`*`, `/`, or `/` and
// non-empty segments, none `.` or `..`, no control character or backslash) that is a fixed point — the same path
// percent-encoded again parses back to itself, so no second spelling of it can mean something else.

private func encoded(_ path: String) -> [UInt8] {
    var out: [UInt8] = []
    for byte in path.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            out.append(byte)
        default:
            let hex = Array("0123456789ABCDEF".utf8)
            out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
        }
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let target: RequestTarget
    do {
        target = try RequestTarget(parsing: input)
    } catch {
        precondition(error.status == .badRequest, "a request target refused with other than 400")
        return 0
    }
    let path = target.path
    if path == "*" { return 0 }
    precondition(path.hasPrefix("/"), "canonical path without a leading slash")
    precondition(!path.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "control character in path")
    precondition(!path.contains("\\"), "backslash in path")
    if path != "/" {
        for segment in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            precondition(!segment.isEmpty, "empty segment in path")
            precondition(segment != "." && segment != "..", "dot segment in path")
        }
    }
    guard let again = try? RequestTarget(parsing: encoded(path)) else {
        preconditionFailure("the canonical path, encoded again, is refused")
    }
    precondition(again.path == path, "the canonical path is not a fixed point")
    return 0
}
