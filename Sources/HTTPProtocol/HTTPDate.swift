/// IMF-fixdate formatting for the `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7), computed
/// from the Unix time by calendar arithmetic: no locale, no formatter, no allocation but the result.
public enum HTTPDate {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The IMF-fixdate of `secondsSince1970` (UTC).
    public static func format(secondsSince1970 seconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(daysSince1970: days)
        let weekday = weekdays[((days % 7) + 7) % 7]
        return "\(weekday), \(twoDigits(day)) \(months[month - 1]) \(year) \(twoDigits(secondOfDay / 3600)):"
            + "\(twoDigits(secondOfDay / 60 % 60)):\(twoDigits(secondOfDay % 60)) GMT"
    }

    /// Year, month (1–12) and day (1–31) of a day count from 1970-01-01, in the proleptic Gregorian calendar
    /// (Howard Hinnant's `civil_from_days`, https://howardhinnant.github.io/date_algorithms.html).
    static func civilDate(daysSince1970: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : String(value)
    }

    /// Remembers the last formatted second, so a busy connection loop formats at most once per second.
    /// A value type: each event loop keeps its own.
    public struct Cache: Sendable {
        private var second = Int.min
        private var text = ""

        public init() {}

        public mutating func string(secondsSince1970: Int) -> String {
            if secondsSince1970 != second {
                second = secondsSince1970
                text = HTTPDate.format(secondsSince1970: secondsSince1970)
            }
            return text
        }
    }
}
