import Foundation
import STSTestSupport
import Testing
import STSCore
import STSCurl
@testable import STSIngest

/// Reading state kept in memory, as the store keeps it in SQLite.
actor MemoryIMAPState: IMAPStateStore {
    private(set) var states: [String: IMAPMailboxState] = [:]
    func imapState(mailbox: String) async throws -> IMAPMailboxState? { states[mailbox] }
    func setIMAPState(_ state: IMAPMailboxState, mailbox: String) async throws { states[mailbox] = state }
}

/// Against a real Dovecot on loopback, over TLS with a certificate made for the test.
@Suite(.serialized, .timeLimit(.minutes(2))) struct IMAPIngestTests {
    func source(_ server: Dovecot) -> IMAPSource {
        var source = IMAPSource(user: server.user, host: server.address, port: server.port, mailbox: "INBOX", caFile: server.caFile)
        source.connectTimeout = .seconds(5)
        source.commandTimeout = .seconds(20)
        return source
    }

    @Test func readsOnlyNewMailAndChangesNoFlags() async throws {
        let server = try Dovecot()
        let names = corpusNames("eml", suffix: ".eml")
        // Three corpus messages, one of them twice over (rpt01 and tlsrpt-be carry the same report).
        for name in names.prefix(3) { try server.deliver(try corpusMail(name), name: name) }
        let sink = MemorySink()
        let state = MemoryIMAPState()
        let events = EventLog()
        let ingester = Ingester(sink: sink, onEvent: { events.append($0) })

        let first = await ingester.ingest(imap: source(server), password: server.password, state: state)
        #expect(first.stoppedEarly == nil, "\(server.log)")
        #expect(first.read == 3 && first.new == 3 && first.rejected == 0, "\(first.problems)")
        let key = source(server).stateKey
        let saved = try #require(await state.states[key])
        #expect(saved.lastUID == 3)
        let sources = await sink.stored.map(\.source)
        #expect(sources == (1...3).map { "\(key) UID \($0)" })
        #expect(await sink.stored.allSatisfy { $0.message?.subject != nil })

        let second = await ingester.ingest(imap: source(server), password: server.password, state: state)
        #expect(second.read == 0 && second.new == 0 && second.stoppedEarly == nil)

        try server.deliver(try corpusMail(names[3]), name: names[3])
        let third = await ingester.ingest(imap: source(server), password: server.password, state: state)
        #expect(third.read == 1 && third.duplicate == 1 && third.new == 0)
        #expect(await state.states[key]?.lastUID == 4)

        // BODY.PEEK and EXAMINE: no message gained \Seen (S) or any other flag.
        let flags = try server.flagLetters()
        #expect(flags.count == 4)
        #expect(flags.allSatisfy { !$0.contains("S") }, "\(flags)")

        try server.changeUIDValidity(to: saved.uidValidity &+ 1000)
        let fourth = await ingester.ingest(imap: source(server), password: server.password, state: state)
        #expect(fourth.read == 4 && fourth.new == 0 && fourth.duplicate == 4, "\(fourth)")
        #expect(await state.states[key] == IMAPMailboxState(uidValidity: saved.uidValidity &+ 1000, lastUID: 4))
        #expect(events.notes.contains { $0.contains("UIDVALIDITY changed from \(saved.uidValidity) to \(saved.uidValidity &+ 1000)") })
        #expect(try server.flagLetters().allSatisfy { !$0.contains("S") })
    }

    @Test func oversizedAndMalformedMessagesAreSkippedAndPassed() async throws {
        let server = try Dovecot()
        let json = syntheticReport(organization: "imap.example", id: "i1")
        try server.deliver(reportMail(messageID: "a@x", attachmentHeaders: ["Content-Type: application/tlsrpt+json"],
                                      attachmentBody: String(decoding: json, as: UTF8.self)), name: "good")
        try server.deliver(reportMail(messageID: "b@x", attachmentHeaders: ["Content-Type: application/tlsrpt+json"],
                                      attachmentBody: String(repeating: "x", count: 200_000)), name: "big")
        try server.deliver(reportMail(messageID: "c@x", attachmentHeaders: ["Content-Type: application/gzip", "Content-Transfer-Encoding: base64"],
                                      attachmentBody: "H4sIAAAAAAAAA6tWyk7NyVGyUlAqS8wpTVWqBQA="), name: "truncated")
        try server.deliver(reportMail(messageID: "d@x", attachmentHeaders: ["Content-Type: application/tlsrpt+json"],
                                      attachmentBody: String(decoding: syntheticReport(organization: "imap.example", id: "i2"), as: UTF8.self)), name: "good2")
        var limits = IngestLimits.default
        limits.maxMessageBytes = 100_000
        let state = MemoryIMAPState()
        let sink = MemorySink()
        let summary = await Ingester(sink: sink, limits: limits).ingest(imap: source(server), password: server.password, state: state)
        #expect(summary.read == 4 && summary.new == 2 && summary.rejected == 2, "\(summary)")
        let key = source(server).stateKey
        // Dovecot numbers new mail in its own order: match problems by what they say, not by UID.
        let oversized = summary.problems.filter { $0.reason.hasPrefix("message is 2") && $0.reason.hasSuffix("over the limit of 100000") }
        let truncated = summary.problems.filter { $0.source.hasSuffix(" part 2 (application/gzip)") && $0.reason.contains("gzip") }
        #expect(oversized.count == 1 && truncated.count == 1, "\(summary.problems)")
        #expect(summary.problems.allSatisfy { $0.source.hasPrefix("\(key) UID ") })
        #expect(await state.states[key]?.lastUID == 4)
    }

    @Test func wrongPasswordAndUntrustedCertificateStopWithAReason() async throws {
        let server = try Dovecot()
        try server.deliver(try corpusMail("mail-auth-rpt02.eml"), name: "one")
        let state = MemoryIMAPState()
        let wrong = await Ingester(sink: MemorySink()).ingest(imap: source(server), password: "wrong", state: state)
        #expect(wrong.stoppedEarly?.contains("cannot connect") == true, "\(String(describing: wrong.stoppedEarly))")
        #expect(wrong.read == 0)

        var untrusted = source(server)
        untrusted.caFile = nil  // the system store does not know the test's certificate
        let tls = await Ingester(sink: MemorySink()).ingest(imap: untrusted, password: server.password, state: state)
        #expect(tls.stoppedEarly?.contains("certificate") == true || tls.stoppedEarly?.contains("SSL") == true,
                "\(String(describing: tls.stoppedEarly))")
        #expect(await state.states.isEmpty)
    }

    @Test func missingMailboxIsRefused() async throws {
        let server = try Dovecot()
        var other = source(server)
        other.mailbox = "Nope"
        let summary = await Ingester(sink: MemorySink()).ingest(imap: other, password: server.password, state: MemoryIMAPState())
        #expect(summary.stoppedEarly?.contains("server refused EXAMINE \"Nope\"") == true, "\(String(describing: summary.stoppedEarly))")
    }

    @Test(arguments: [
        ("imaps://reports@mail.example.org/INBOX", "reports", "mail.example.org", 993, "INBOX"),
        ("imaps://reports@mail.example.org", "reports", "mail.example.org", 993, "INBOX"),
        ("imaps://r%40example.org@MAIL.example.org:1993/TLS%20Reports", "r@example.org", "mail.example.org", 1993, "TLS Reports"),
        ("imaps://u@[::1]:9993/INBOX/tlsrpt", "u", "::1", 9993, "INBOX/tlsrpt"),
        ("imaps://u@127.0.0.1:9993/", "u", "127.0.0.1", 9993, "INBOX"),
    ])
    func sourceURLs(text: String, user: String, host: String, port: Int, mailbox: String) throws {
        let source = try IMAPSource(url: text)
        #expect(source.user == user && source.host == host && source.port == port && source.mailbox == mailbox)
    }

    @Test(arguments: [
        ("imap://u@host/INBOX", "only imaps:// is accepted"),
        ("imaps://host/INBOX", "no user"),
        ("imaps://u:secret@host/INBOX", "a password does not belong in the URL"),
        ("imaps://u@host:99999/INBOX", "bad port"),
        ("imaps://u@/INBOX", "no host"),
    ])
    func badSourceURLs(text: String, reason: String) {
        do {
            let source = try IMAPSource(url: text)
            Issue.record("accepted as \(source)")
        } catch {
            #expect(error.reason.hasPrefix(reason), "\(error)")
            #expect(error.text == text)
        }
    }
}

extension EventLog {
    var notes: [String] {
        // Reads through the public problem/report views' storage: notes are the remaining events.
        allEvents.compactMap { if case .note(let text) = $0 { text } else { nil } }
    }
}
