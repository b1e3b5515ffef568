import ArgumentParser
import Foundation
import STSCore
import STSIngest
import STSStore

/// `stswatch ingest`: TLS-RPT reports from files, mail folders or an IMAP mailbox into the cache.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Store TLS-RPT reports from files, e-mail, mbox, Maildir folders or an IMAP mailbox.",
        discussion: """
            PATH may be a report (JSON or gzip), an e-mail, an mbox file, a folder (read recursively) \
            or a Maildir. Sources are only read, never changed. An IMAP mailbox is given as \
            imaps://USER@HOST[:PORT]/MAILBOX and read without marking anything seen; only mail that \
            arrived since the last run is read. The password comes from --password-env (default \
            $STSWATCH_IMAP_PASSWORD) or --password-file, never from the command line. \
            Each rejected input is named on standard error as it is met. Exit status: 0 when \
            nothing was rejected, 1 when something was (the rest is still stored), 2 for usage \
            and I/O errors (no such path, store or server unreachable).
            """)

    @Argument(help: ArgumentHelp("Report files, e-mails, mbox files, folders or Maildirs.", valueName: "path"))
    var paths: [String] = []
    @Option(name: .long, help: ArgumentHelp("An IMAP mailbox to read: imaps://USER@HOST[:PORT]/MAILBOX.", valueName: "url"))
    var imap: String?
    @Option(name: .customLong("password-env"), help: ArgumentHelp("Environment variable holding the IMAP password (default STSWATCH_IMAP_PASSWORD).", valueName: "name"))
    var passwordEnv: String?
    @Option(name: .customLong("password-file"), help: ArgumentHelp("File holding the IMAP password (one line; keep it mode 600).", valueName: "path"))
    var passwordFile: String?
    @Option(name: .customLong("ca-file"), help: ArgumentHelp("PEM trust anchors for the IMAP server instead of the system store.", valueName: "path"))
    var caFile: String?
    @Flag(name: .long, help: "Print the summary as one JSON object instead of text.")
    var json = false
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    func validate() throws {
        if paths.isEmpty && imap == nil { throw ValidationError("give at least one PATH or --imap URL") }
        if passwordEnv != nil && passwordFile != nil { throw ValidationError("--password-env and --password-file exclude each other") }
        if imap == nil && (passwordEnv != nil || passwordFile != nil || caFile != nil) {
            throw ValidationError("--password-env, --password-file and --ca-file only apply with --imap")
        }
    }

    func run() async throws {
        let config = try AppConfig.load(configOptions)
        // Every argument is checked before anything is stored, so a typo does not half-ingest.
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            Output.error("\(Output.safe(path)): no such file or folder")
            throw ExitCode(ExitStatus.ioError)
        }
        var mailbox: (source: IMAPSource, password: String)?
        if let imap {
            let source: IMAPSource
            do {
                source = try IMAPSource(url: imap, caFile: caFile)
            } catch {
                Output.error(error.description)
                throw ExitCode(ExitStatus.ioError)
            }
            if let ca = caFile, !FileManager.default.isReadableFile(atPath: ca) {
                Output.error("--ca-file \(Output.safe(ca)): no such readable file")
                throw ExitCode(ExitStatus.ioError)
            }
            let origin: IMAPPassword = passwordFile.map(IMAPPassword.file) ?? .environment(passwordEnv ?? IMAPPassword.defaultVariable)
            do {
                let (password, warning) = try origin.read()
                if let warning { Output.error("warning: \(Output.safe(warning))") }
                mailbox = (source, password)
            } catch {
                Output.error(Output.safe(error.description))
                throw ExitCode(ExitStatus.ioError)
            }
        }

        let store = try CacheAccess.open(config.databasePath(storeOptions.db), mode: .readWrite)
        let ingester = Ingester(sink: store, onEvent: Self.tell)
        var summary = IngestSummary()
        if !paths.isEmpty { summary = await ingester.ingest(paths: paths) }
        if let mailbox, summary.stoppedEarly == nil {
            summary.add(await ingester.ingest(imap: mailbox.source, password: mailbox.password, state: store))
        }

        if json {
            try Output.jsonLine(SummaryJSON(summary))
        } else {
            Output.line("read \(summary.read), new \(summary.new), duplicate \(summary.duplicate), rejected \(summary.rejected)")
        }
        if let stopped = summary.stoppedEarly {
            Output.error("stopped early: \(Output.safe(stopped))")
            throw ExitCode(ExitStatus.ioError)
        }
        if summary.rejected > 0 { throw ExitCode(ExitStatus.invalid) }
    }

    /// Problems and notes on standard error as they happen; stored reports are only counted.
    @Sendable static func tell(_ event: IngestEvent) {
        switch event {
        case .problem(let problem):
            Output.error("\(Output.safe(problem.source)): \(Output.safe(problem.reason))")
        case .note(let text):
            Output.error("note: \(Output.safe(text))")
        case .report:
            break
        }
    }

    /// The `--json` summary: counts, each problem, and why the run stopped early (null when it did not).
    struct SummaryJSON: Encodable {
        var summary: IngestSummary
        init(_ summary: IngestSummary) { self.summary = summary }

        enum CodingKeys: String, CodingKey { case read, new, duplicate, rejected, problems, stoppedEarly = "stopped_early" }
        struct Problem: Encodable { var source: String; var reason: String }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(summary.read, forKey: .read)
            try c.encode(summary.new, forKey: .new)
            try c.encode(summary.duplicate, forKey: .duplicate)
            try c.encode(summary.rejected, forKey: .rejected)
            // Texts as they are: `Output.jsonLine` escapes what a terminal would obey (README, "JSON output").
            try c.encode(summary.problems.map { Problem(source: $0.source, reason: $0.reason) }, forKey: .problems)
            if let stopped = summary.stoppedEarly { try c.encode(stopped, forKey: .stoppedEarly) } else { try c.encodeNil(forKey: .stoppedEarly) }
        }
    }
}
