import Foundation

/// Reads a parsed JSON document as a TLS-RPT report, keeping what was sent and
/// writing down every deviation from RFC 8460 §4.4 it tolerates.
///
/// Oddities name their place the way a postmaster counts ("policy 2 failure 1"),
/// quote sender text only after ``Swift/String/sanitizedForTerminal``, and never
/// stop the reading: only a document that is not a report at all is rejected.
struct ReportReader {
    private(set) var oddities: [String] = []

    static func read(_ document: JSONValue) throws(ReportError) -> ReportDecodeResult {
        guard case .object(let root) = document else {
            throw .notAReport(path: "$", rule: "must be a JSON object, found \(document.kind)")
        }
        guard let policiesValue = root["policies"] else {
            throw .notAReport(path: "policies", rule: "a report must carry a policies array (RFC 8460 §4.4)")
        }
        guard case .array(let policyValues) = policiesValue else {
            throw .notAReport(path: "policies", rule: "must be an array, found \(policiesValue.kind)")
        }
        var reader = ReportReader()
        let organizationName = reader.string(root, "organization-name", at: "report")
        let reportID = reader.string(root, "report-id", at: "report")
        if organizationName == nil && reportID == nil {
            throw .notAReport(path: "report-id", rule: "neither report-id nor organization-name is given, so the report cannot be identified")
        }
        reader.requireKeys(root, ["organization-name", "date-range", "contact-info", "report-id"], at: "report")
        let contactInfo = reader.string(root, "contact-info", at: "report")
        let dateRange = reader.dateRange(root["date-range"])

        if policyValues.isEmpty { reader.note("report: policies is empty") }
        var policies: [TLSReport.PolicyResult] = []
        for (index, value) in policyValues.enumerated() {
            let label = "policy \(index + 1)"
            guard case .object(let object) = value else {
                reader.note("\(label): expected an object, found \(value.kind); skipped")
                continue
            }
            policies.append(reader.policyResult(object, label: label))
        }
        let report = TLSReport(organizationName: organizationName, dateRange: dateRange, contactInfo: contactInfo,
                               reportID: reportID, policies: policies)
        return ReportDecodeResult(report: report, oddities: reader.oddities)
    }

    private mutating func note(_ text: String) { oddities.append(text) }

    private mutating func requireKeys(_ object: [String: JSONValue], _ keys: [String], at label: String) {
        let missing = keys.filter { object[$0] == nil }
        if !missing.isEmpty { note("\(label): \(missing.joined(separator: ", ")) missing") }
    }

    // MARK: Parts of the report

    private mutating func dateRange(_ value: JSONValue?) -> TLSReport.DateRange? {
        guard let value else { return nil }
        guard case .object(let object) = value else {
            note("report: date-range: expected an object, found \(value.kind); ignored")
            return nil
        }
        requireKeys(object, ["start-datetime", "end-datetime"], at: "report: date-range")
        let start = dateTime(object, "start-datetime")
        let end = dateTime(object, "end-datetime")
        if let from = start?.date, let to = end?.date, from > to {
            note("report: date-range ends (\(quoted(end!.text))) before it starts (\(quoted(start!.text)))")
        }
        return TLSReport.DateRange(start: start, end: end)
    }

    private mutating func dateTime(_ object: [String: JSONValue], _ key: String) -> TLSReport.DateTime? {
        guard let text = string(object, key, at: "report: date-range") else { return nil }
        let value = TLSReport.DateTime(text)
        if value.date == nil {
            note("report: date-range \(key) \(quoted(text)) is not an RFC 3339 date-time")
        } else if value.zoneAssumedUTC {
            note("report: date-range \(key) \(quoted(text)) has no time zone; read as UTC")
        }
        return value
    }

    private mutating func policyResult(_ object: [String: JSONValue], label: String) -> TLSReport.PolicyResult {
        let policy: TLSReport.Policy
        switch object["policy"] {
        case .object(let fields)?:
            policy = self.policy(fields, label: label)
        case let other?:
            note("\(label): policy: expected an object, found \(other.kind); ignored")
            policy = TLSReport.Policy(policyType: nil)
        case nil:
            note("\(label): policy missing")
            policy = TLSReport.Policy(policyType: nil)
        }

        var summary = TLSReport.Summary(totalSuccessfulSessionCount: nil, totalFailureSessionCount: nil)
        switch object["summary"] {
        case .object(let fields)?:
            requireKeys(fields, ["total-successful-session-count", "total-failure-session-count"], at: "\(label): summary")
            summary.totalSuccessfulSessionCount = count(fields, "total-successful-session-count", at: "\(label): summary")
            summary.totalFailureSessionCount = count(fields, "total-failure-session-count", at: "\(label): summary")
        case let other?:
            note("\(label): summary: expected an object, found \(other.kind); ignored")
        case nil:
            note("\(label): summary missing")
        }

        var details: [TLSReport.FailureDetail]?
        switch object["failure-details"] {
        case .array(let values)?:
            details = []
            for (index, value) in values.enumerated() {
                let detailLabel = "\(label) failure \(index + 1)"
                guard case .object(let fields) = value else {
                    note("\(detailLabel): expected an object, found \(value.kind); skipped")
                    continue
                }
                details?.append(failureDetail(fields, label: detailLabel))
            }
        case .null?, nil:
            break
        case let other?:
            note("\(label): failure-details: expected an array, found \(other.kind); ignored")
        }

        let result = TLSReport.PolicyResult(policy: policy, summary: summary, failureDetails: details)
        if let total = summary.totalFailureSessionCount {
            if details != nil, result.failureDetailsSum != total {
                note("\(label): failure-details sum \(result.failureDetailsSum) != total-failure-session-count \(total)")
            } else if details == nil, total > 0 {
                note("\(label): total-failure-session-count \(total) but no failure-details")
            }
        }
        return result
    }

    private mutating func policy(_ object: [String: JSONValue], label: String) -> TLSReport.Policy {
        var policy = TLSReport.Policy(policyType: nil)
        if let type = string(object, "policy-type", at: label) {
            policy.policyType = TLSReport.PolicyType(rawValue: type)
            if case .other = policy.policyType {
                note("\(label): unknown policy-type \(quoted(type)); kept as sent")
            }
        } else if object["policy-type"] == nil {
            note("\(label): policy-type missing")
        }
        policy.policyString = stringList(object, "policy-string", at: label)
        policy.policyDomain = string(object, "policy-domain", at: label)
        if object["policy-domain"] == nil { note("\(label): policy-domain missing") }

        if case .string? = object["mx-host"] {
            note("\(label): mx-host given as a string (RFC example form, erratum 6241)")
        }
        policy.mxHost = stringList(object, "mx-host", at: label, stringFormNoted: true)
        if object["mx-host-pattern"] != nil {
            note("\(label): mx-host-pattern used (a pre-RFC draft name for mx-host)")
        }
        policy.mxHostPattern = stringList(object, "mx-host-pattern", at: label)

        switch policy.policyType {
        case .sts?, .tlsa?:
            if policy.policyString == nil {
                note("\(label): \(policy.policyType!.rawValue) policy without policy-string")
            }
        default:
            break
        }
        if let lines = policy.policyString, let records = TLSReport.Policy.unpackedJSONArray(lines) {
            note("\(label): policy-string is one JSON-encoded array of \(records.count) string(s); unpacked for reading")
        }
        return policy
    }

    private mutating func failureDetail(_ object: [String: JSONValue], label: String) -> TLSReport.FailureDetail {
        var detail = TLSReport.FailureDetail(resultType: nil, failedSessionCount: nil)
        if let type = string(object, "result-type", at: label) {
            detail.resultType = TLSReport.ResultType(rawValue: type)
            if case .other = detail.resultType {
                note("\(label): unknown result-type \(quoted(type)); kept as sent")
            }
        } else if object["result-type"] == nil {
            note("\(label): result-type missing")
        }
        detail.sendingMTAIP = string(object, "sending-mta-ip", at: label)
        detail.receivingMXHostname = string(object, "receiving-mx-hostname", at: label)
        detail.receivingMXHelo = string(object, "receiving-mx-helo", at: label)
        detail.receivingIP = string(object, "receiving-ip", at: label)
        detail.failedSessionCount = count(object, "failed-session-count", at: label)
        if object["failed-session-count"] == nil { note("\(label): failed-session-count missing") }
        detail.additionalInformation = string(object, "additional-information", at: label)
        detail.failureReasonCode = string(object, "failure-reason-code", at: label)

        let empty = ["sending-mta-ip", "receiving-mx-hostname", "receiving-mx-helo", "receiving-ip",
                     "additional-information", "failure-reason-code"].filter { object[$0] == .string("") }
        if !empty.isEmpty { note("\(label): empty \(empty.joined(separator: ", "))") }
        return detail
    }

    // MARK: Field readers

    /// A string field; absent, null or another type gives nil (the last two noted).
    private mutating func string(_ object: [String: JSONValue], _ key: String, at label: String) -> String? {
        switch object[key] {
        case nil: return nil
        case .string(let text)?: return text
        case .null?:
            note("\(label): \(key) is null")
            return nil
        case let other?:
            note("\(label): \(key): expected a string, found \(other.kind); ignored")
            return nil
        }
    }

    /// A list of strings; a lone string becomes a one-element list, and non-strings in the list are dropped.
    private mutating func stringList(_ object: [String: JSONValue], _ key: String, at label: String,
                                     stringFormNoted: Bool = false) -> [String]? {
        switch object[key] {
        case nil: return nil
        case .string(let text)?:
            if !stringFormNoted { note("\(label): \(key) given as a string, not an array") }
            return [text]
        case .array(let values)?:
            var strings: [String] = []
            for (index, value) in values.enumerated() {
                if case .string(let text) = value {
                    strings.append(text)
                } else {
                    note("\(label): \(key)[\(index)]: expected a string, found \(value.kind); dropped")
                }
            }
            return strings
        case .null?:
            note("\(label): \(key) is null")
            return nil
        case let other?:
            note("\(label): \(key): expected an array of strings, found \(other.kind); ignored")
            return nil
        }
    }

    /// A session count: a non-negative integer, also accepted as a numeric string or an integral float.
    private mutating func count(_ object: [String: JSONValue], _ key: String, at label: String) -> Int? {
        let value: Int
        switch object[key] {
        case nil: return nil
        case .integer(let number)?:
            value = number
        case .number(let number)?:
            guard number.rounded() == number, let exact = Int(exactly: number) else {
                note("\(label): \(key) \(number) is not a whole number in range; ignored")
                return nil
            }
            note("\(label): \(key) given as \(number), not an integer")
            value = exact
        case .string(let text)?:
            guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let number = Int(text) else {
                note("\(label): \(key) \(quoted(text)) is not a number; ignored")
                return nil
            }
            note("\(label): \(key) given as a string")
            value = number
        case let other?:
            note("\(label): \(key): expected a number, found \(other.kind); ignored")
            return nil
        }
        if value < 0 { note("\(label): \(key) is negative (\(value))") }
        return value
    }

    /// Sender text made safe and short enough to quote in a note.
    private func quoted(_ text: String) -> String {
        let clean = text.sanitizedForTerminal
        let short = clean.count > 80 ? clean.prefix(77) + "..." : Substring(clean)
        return "\"\(short)\""
    }
}
