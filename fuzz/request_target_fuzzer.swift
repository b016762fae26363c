// libFuzzer harness for the request-target canonicaliser (Sources/HTTPProtocol/RequestTarget.swift), compiled
// together with Sources/HTTPProtocol/ by scripts/fuzz.sh (swiftc -sanitize=fuzzer,address).
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
    // Everything on bytes: String comparison and splitting go by grapheme clusters and canonical equivalence, and
    // `/` followed by a combining mark is one cluster that is not `/` (the router once split that way).
    let path = Array(target.path.utf8)
    if path == Array("*".utf8) { return 0 }
    precondition(path.first == UInt8(ascii: "/"), "canonical path without a leading slash")
    precondition(!path.contains { $0 < 0x20 || $0 == 0x7F }, "control character in path")
    precondition(!path.contains(UInt8(ascii: "\\")), "backslash in path")
    if path != [UInt8(ascii: "/")] {
        for segment in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
            precondition(!segment.isEmpty, "empty segment in path")
            precondition(!segment.elementsEqual(".".utf8) && !segment.elementsEqual("..".utf8), "dot segment in path")
        }
    }
    guard let again = try? RequestTarget(parsing: encoded(target.path)) else {
        preconditionFailure("the canonical path, encoded again, is refused")
    }
    precondition(Array(again.path.utf8) == path, "the canonical path is not a fixed point")
    return 0
}
