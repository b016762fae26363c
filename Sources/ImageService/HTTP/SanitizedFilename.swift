import Foundation

/// A client-supplied filename made safe to store and to echo in `Content-Disposition`, or nil if nothing usable
/// is left.
///
/// Keeps only the last path component (after any `/` or `\`, so `C:\x\y.jpg` → `y.jpg`), drops control
/// characters, bidirectional overrides (which can disguise `exe.jpg` as `gpj.exe`) and double quotes, trims
/// surrounding whitespace, refuses `.` and `..`, and cuts the result to at most 255 UTF-8 bytes on a character
/// boundary (the usual file-system name limit).
public func sanitizedFilename(_ raw: String) -> String? {
    let lastComponent = raw.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == "\\" }.last ?? ""
    var scalars = String.UnicodeScalarView()
    for scalar in lastComponent.unicodeScalars where !isUnsafeFilenameScalar(scalar) {
        scalars.append(scalar)
    }
    let cleaned = String(scalars).trimmingCharacters(in: .whitespaces)
    var result = ""
    var byteCount = 0
    for character in cleaned {
        byteCount += character.utf8.count
        guard byteCount <= 255 else { break }
        result.append(character)
    }
    result = result.trimmingCharacters(in: .whitespaces)
    guard !result.isEmpty, result != ".", result != ".." else { return nil }
    return result
}

private func isUnsafeFilenameScalar(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == "\"" || scalar.properties.generalCategory == .control { return true }
    // LRE, RLE, PDF, LRO, RLO and the isolates LRI, RLI, FSI, PDI.
    return (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
}
