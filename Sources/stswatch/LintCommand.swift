import ArgumentParser
import Foundation
import STSCore

/// `stswatch lint`: check a policy file or DNS records before publishing them.
struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check an MTA-STS policy, a TXT record or a TLS-RPT report before you publish or trust it.",
        discussion: """
            Exit status: 0 valid (warnings allowed), 1 invalid or an --mx host not covered, \
            2 or more for usage and I/O errors.
            """,
        subcommands: [LintPolicy.self, LintSTSRecord.self, LintTLSRPTRecord.self, LintReport.self]
    )
}

/// Options every lint subcommand shares.
struct LintOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object with the parsed value and the findings.")
    var json = false
}

/// Runs a lint body, turning explained failures into their exit status.
func runLint(_ body: () throws -> Bool) throws {
    do {
        if try !body() { throw ExitCode(ExitStatus.invalid) }
    } catch let failure as CommandFailure {
        throw ExitCode(failure.status)
    }
}

struct LintPolicy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check an MTA-STS policy file (RFC 8461 §3.2).",
        discussion: "Reads FILE, or standard input when FILE is -. Keys and values are case-sensitive, as in the RFC's grammar.")

    @Argument(help: "The policy file (mta-sts.txt), or - for standard input.")
    var file: String

    @Option(name: .long, help: ArgumentHelp("An MX host that must be covered by an mx pattern (repeatable).", valueName: "host"))
    var mx: [String] = []

    @OptionGroup var options: LintOptions

    func run() throws {
        try runLint {
            let bytes = try readInput(file, limit: Policy.sizeLimit)
            let result = Lint.policy(bytes: bytes, name: file == "-" ? "(stdin)" : file, mx: mx)
            if options.json {
                try Output.jsonLine(PolicyLintJSON(input: file, result: result))
            } else {
                printHuman(result)
            }
            return result.valid
        }
    }

    private func printHuman(_ result: Lint.PolicyResult) {
        let name = Output.safe(file == "-" ? "(stdin)" : file)
        guard let policy = result.policy else {
            Output.line("\(name): \(Output.styled("invalid MTA-STS policy", .crit))")
            result.findings.forEach { Output.line(Output.render($0)) }
            return
        }
        let verdict = result.valid ? Output.styled("valid MTA-STS policy", .ok) : Output.styled("MTA-STS policy does not cover every MX", .crit)
        Output.line("\(name): \(verdict)")
        Output.line("  mode     \(policy.mode.rawValue)")
        Output.line("  max_age  \(policy.maxAge) (\(Duration.seconds(policy.maxAge).humanDays))")
        Output.line("  mx       \(policy.mx.isEmpty ? "(none)" : policy.mx.map(\.pattern).joined(separator: ", "))")
        for ext in policy.extensions {
            Output.line("  \(Output.safe(ext.name)): \(Output.safe(ext.value))  (ignored by senders)")
        }
        for c in result.coverage {
            Output.line(c.covered ? "  \(Output.styled("covered", .ok))  \(c.host) by \(c.pattern ?? "")"
                                  : "  \(Output.styled("NOT covered", .crit))  \(c.host)")
        }
        result.findings.forEach { Output.line(Output.render($0)) }
    }
}

struct LintSTSRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sts-txt",
        abstract: "Check the TXT RRset at _mta-sts.DOMAIN (RFC 8461 §3.1).",
        discussion: """
            Give each TXT record of the RRset as one argument, its strings already joined. \
            Records not beginning with v=STSv1 are discarded, as senders do; exactly one must remain.
            """)

    @Argument(help: "The TXT records, one per argument.")
    var records: [String]

    @OptionGroup var options: LintOptions

    func run() throws {
        try lintRecords(Lint.stsRecords(records), records: records, json: options.json, kind: "MTA-STS") { record in
            ["id \(record.id)"] + record.extensions.map { "\($0.name)=\($0.value)  (ignored by senders)" }
        }
    }
}

struct LintTLSRPTRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tlsrpt-txt",
        abstract: "Check the TXT RRset at _smtp._tls.DOMAIN (RFC 8460 §3).",
        discussion: "Give each TXT record of the RRset as one argument. Exactly one record must begin with v=TLSRPTv1.")

    @Argument(help: "The TXT records, one per argument.")
    var records: [String]

    @OptionGroup var options: LintOptions

    func run() throws {
        try lintRecords(Lint.tlsrptRecords(records), records: records, json: options.json, kind: "TLS-RPT") { record in
            record.rua.map { "reports to \($0.description)" }
        }
    }
}

/// Prints a linted RRset (JSON or text) and exits 1 when senders would not use it.
func lintRecords<R, E>(_ result: Lint.RecordResult<R, E>, records: [String], json: Bool, kind: String,
                       describe: (R) -> [String]) throws {
    try runLint {
        if json {
            try Output.jsonLine(RecordLintJSON(records: records, result: result))
        } else if let record = result.verdict.record {
            Output.line(Output.styled("valid \(kind) record", .ok))
            describe(record).forEach { Output.line("  \(Output.safe($0))") }
        } else {
            Output.line(Output.styled("no usable \(kind) record", .crit))
            result.findings.forEach { Output.line(Output.render($0)) }
        }
        return result.valid
    }
}

extension Duration {
    /// "7 days", "12 hours": how long a max_age lets senders cache a policy.
    var humanDays: String {
        let s = components.seconds
        if s >= 86_400 { return String(format: "%.4g days", Double(s) / 86_400) }
        if s >= 3_600 { return String(format: "%.3g hours", Double(s) / 3_600) }
        return "\(s) seconds"
    }
}

// MARK: JSON shapes (RFC field names for parsed content)

struct PolicyJSON: Encodable {
    var version = "STSv1"
    var mode: String
    var maxAge: Int
    var mx: [String]
    var extensions: [String: String]
    enum CodingKeys: String, CodingKey {
        case version, mode, mx, extensions
        case maxAge = "max_age"
    }
    init(_ p: Policy) {
        mode = p.mode.rawValue
        maxAge = p.maxAge
        mx = p.mx.map(\.pattern)
        extensions = Dictionary(p.extensions.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }
}

struct PolicyLintJSON: Encodable {
    var input: String
    var valid: Bool
    var policy: PolicyJSON?
    var warnings: [String]
    var mxCoverage: [Lint.Coverage]
    var findings: [Finding]
    enum CodingKeys: String, CodingKey {
        case input, valid, policy, warnings, findings
        case mxCoverage = "mx_coverage"
    }
    init(input: String, result: Lint.PolicyResult) {
        self.input = input
        valid = result.valid
        policy = result.policy.map(PolicyJSON.init)
        warnings = result.warnings.map(\.description)
        mxCoverage = result.coverage
        findings = result.findings
    }
}

struct RecordLintJSON: Encodable {
    var records: [String]
    var valid: Bool
    /// `valid`, `absent`, `multiple` or `invalid`.
    var verdict: String
    /// The record's fields under their tag names (`v`, `id`, `rua`, extensions).
    var record: [String: JSONValue]?
    var error: String?
    var findings: [Finding]

    init<R, E>(records: [String], result: Lint.RecordResult<R, E>) {
        self.records = records
        valid = result.valid
        findings = result.findings
        verdict = result.verdict.name
        if case .invalid(_, let e) = result.verdict { error = "\(e)" }
        switch result.verdict.record {
        case let r as STSRecord:
            record = Self.fields(["v": .string("STSv1"), "id": .string(r.id)], r.extensions)
        case let r as TLSRPTRecord:
            record = Self.fields(["v": .string("TLSRPTv1"), "rua": .array(r.rua.map { .string($0.description) })], r.extensions)
        default:
            record = nil
        }
    }

    private static func fields(_ base: [String: JSONValue], _ extensions: [STSRecord.Extension]) -> [String: JSONValue] {
        var fields = base
        for ext in extensions { fields[ext.name] = .string(ext.value) }
        return fields
    }
}

/// A small JSON value for shapes whose keys come from the data.
enum JSONValue: Encodable {
    case string(String)
    case array([JSONValue])
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        }
    }
}
