import Foundation

extension TLSReport {
    /// A report date-time: the text as sent, and the instant it names when it could be read.
    ///
    /// RFC 8460 §4.4 asks for RFC 3339 date-times. Microsoft sends them without a time
    /// zone; those are read as UTC and ``zoneAssumedUTC`` says so. The text is kept
    /// because a date-time that cannot be read is still worth showing.
    public struct DateTime: Sendable, Hashable, Codable, CustomStringConvertible {
        public var text: String
        /// Nil when ``text`` is not a date-time.
        public var date: Date?
        /// True when ``text`` named no time zone and was read as UTC.
        public var zoneAssumedUTC: Bool

        public init(_ text: String) {
            self.text = text
            if let parsed = Self.parse(text) {
                date = parsed.date
                zoneAssumedUTC = !parsed.hasZone
            } else {
                date = nil
                zoneAssumedUTC = false
            }
        }

        public init(from decoder: any Decoder) throws {
            self.init(try decoder.singleValueContainer().decode(String.self))
        }

        /// Encodes the text as sent.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(text)
        }

        public var description: String { text }

        /// Reads `YYYY-MM-DD[Tt ]HH:MM:SS[.fraction][Z|±HH:MM|±HHMM]`.
        ///
        /// Written by hand rather than with a date formatter: formatters depend on locale
        /// and time-zone settings and differ between platforms, and this must not.
        static func parse(_ text: String) -> (date: Date, hasZone: Bool)? {
            let bytes = Array(text.utf8)
            var index = 0
            func digits(_ count: Int) -> Int? {
                guard index + count <= bytes.count else { return nil }
                var value = 0
                for byte in bytes[index..<index + count] {
                    guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                    value = value * 10 + Int(byte - UInt8(ascii: "0"))
                }
                index += count
                return value
            }
            func expect(_ allowed: String) -> Bool {
                guard index < bytes.count, allowed.utf8.contains(bytes[index]) else { return false }
                index += 1
                return true
            }
            guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
                  expect("Tt "), let hour = digits(2), expect(":"), let minute = digits(2), expect(":"),
                  let second = digits(2) else { return nil }
            guard (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day),
                  hour <= 23, minute <= 59, second <= 60 else { return nil }
            var fraction = 0.0
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                var scale = 0.1
                let start = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                    fraction += Double(bytes[index] - UInt8(ascii: "0")) * scale
                    scale /= 10
                    index += 1
                }
                guard index > start else { return nil }
            }
            var offsetSeconds = 0
            var hasZone = false
            if index < bytes.count {
                hasZone = true
                if expect("Zz") {
                    // UTC
                } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                    index += 1
                    guard let zoneHours = digits(2) else { return nil }
                    _ = expect(":")
                    guard let zoneMinutes = digits(2), zoneHours <= 23, zoneMinutes <= 59 else { return nil }
                    offsetSeconds = sign * (zoneHours * 3600 + zoneMinutes * 60)
                } else {
                    return nil
                }
                guard index == bytes.count else { return nil }
            }
            let days = daysSince1970(year: year, month: month, day: day)
            let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
            return (Date(timeIntervalSince1970: Double(seconds) + fraction), hasZone)
        }
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's civil-days method).
func daysSince1970(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
}

/// The calendar date (UTC) of a day count from 1970-01-01; the inverse of ``daysSince1970(year:month:day:)``.
func civilDate(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
}

func daysInMonth(year: Int, month: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
}

/// `YYYY-MM-DD` of an instant in UTC.
func utcDayString(_ date: Date) -> String {
    let days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    let (year, month, day) = civilDate(daysSince1970: days)
    let pad = { (value: Int, width: Int) in String(repeating: "0", count: max(0, width - String(value).count)) + String(value) }
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
}
