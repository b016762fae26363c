import Foundation

/// PostgreSQL's binary wire formats for the types this layer handles, shared by parameters and results.
///
/// Integers are big-endian two's complement; `timestamp`/`timestamptz` are int8 microseconds since
/// 2000-01-01 00:00:00 UTC, with `Int64.max`/`Int64.min` for `infinity`/`-infinity`; `uuid` is its 16 bytes.
/// Public so that values kept outside the database (a list's cursor) can use the same encodings.
public enum PostgresBinary {
    /// Seconds from Foundation's reference date (2001-01-01) back to PostgreSQL's epoch (2000-01-01, a leap year).
    static let epochBeforeReferenceDate: Int64 = 366 * 86_400

    /// `value`'s big-endian bytes.
    public static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// The integer in `raw`, or nil when `raw` does not have exactly its size.
    public static func integer<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, as type: T.Type) -> T? {
        guard raw.count == MemoryLayout<T>.size else { return nil }
        return T(bigEndian: raw.loadUnaligned(as: T.self))
    }

    /// Whole seconds and the fraction are converted apart, so that microseconds → `Date` → microseconds is exact.
    public static func microseconds(from date: Date) -> Int64 {
        let interval = date.timeIntervalSinceReferenceDate
        let whole = interval.rounded(.down)
        let fraction = Int64(((interval - whole) * 1_000_000).rounded())
        return (Int64(whole) + epochBeforeReferenceDate) * 1_000_000 + fraction
    }

    /// The `Date` of a `timestamptz`'s microseconds; the infinities are `distantFuture` and `distantPast`.
    public static func date(fromMicroseconds micros: Int64) -> Date {
        switch micros {
        case .max: return .distantFuture
        case .min: return .distantPast
        default:
            let (seconds, fraction) = micros.quotientAndRemainder(dividingBy: 1_000_000)
            // Floor division, so that the fraction added below is never negative.
            let (whole, rest) = fraction < 0 ? (seconds - 1, fraction + 1_000_000) : (seconds, fraction)
            let interval = Double(whole - epochBeforeReferenceDate) + Double(rest) / 1_000_000
            return Date(timeIntervalSinceReferenceDate: interval)
        }
    }
}
