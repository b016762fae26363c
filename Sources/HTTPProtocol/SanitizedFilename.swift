import Foundation

/// A client-supplied filename made safe to store and to echo in `Content-Disposition`, or nil if nothing usable
/// is left.
///
/// Keeps only the last path component (after any `/` or `\`, so `C:\x\y.jpg` → `y.jpg`); drops double quotes and
/// every character of the Unicode categories Cc (controls), Cf (format: zero-width spaces and joiners, U+FEFF, soft
/// hyphens, the bidirectional controls that can disguise `exe.jpg` as `gpj.exe`), Zl and Zp (U+2028, U+2029);
/// turns every other kind of space (Zs: no-break, ideographic, en and em spaces) into a plain one; trims surrounding
/// spaces, refuses `.` and `..`, and cuts the result to at most 255 UTF-8 bytes on a
/// character boundary (the usual file-system name limit). Letters of any script (é, 漢字) are kept.
public func sanitizedFilename(_ raw: String) -> String? {
    let lastComponent = raw.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == "\\" }.last ?? ""
    var scalars = String.UnicodeScalarView()
    for scalar in lastComponent.unicodeScalars where !isUnsafeFilenameScalar(scalar) {
        // A no-break or ideographic space looks like a space: it is written as one, so names compare as they read.
        scalars.append(scalar.properties.generalCategory == .spaceSeparator ? " " : scalar)
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
    switch scalar.properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator: return true
    default: return scalar == "\""
    }
}
