import Foundation
import STSCore
import STSCurl

/// A mailbox to read reports from: `imaps://USER@HOST[:PORT]/MAILBOX`.
///
/// The password is not part of it: it comes from an environment variable or a
/// file, never the command line (where any local user can read it in `ps`).
public struct IMAPSource: Sendable, Hashable, CustomStringConvertible {
    public var user: String
    public var host: String
    public var port: Int
    public var mailbox: String
    /// PEM trust anchors for the server's certificate instead of the system store.
    public var caFile: String?
    public var connectTimeout: Duration = .seconds(15)
    public var commandTimeout: Duration = .seconds(120)

    public init(user: String, host: String, port: Int = 993, mailbox: String = "INBOX", caFile: String? = nil) {
        self.user = user
        self.host = host
        self.port = port
        self.mailbox = mailbox
        self.caFile = caFile
    }

    /// Parses `imaps://USER@HOST[:PORT][/MAILBOX]`; user and mailbox may be percent-encoded. The mailbox defaults to INBOX.
    public init(url text: String, caFile: String? = nil) throws(IMAPSourceError) {
        let prefix = "imaps://"
        guard text.lowercased().hasPrefix(prefix) else {
            throw IMAPSourceError(text: text, reason: "only imaps:// is accepted (IMAP over TLS)")
        }
        let rest = text.dropFirst(prefix.count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count).drop { $0 == "/" }
        guard let at = authority.lastIndex(of: "@") else {
            throw IMAPSourceError(text: text, reason: "no user (imaps://USER@HOST/MAILBOX)")
        }
        guard let user = String(authority[..<at]).removingPercentEncoding, !user.isEmpty else {
            throw IMAPSourceError(text: text, reason: "the user is empty or badly percent-encoded")
        }
        if user.contains(":") {
            throw IMAPSourceError(text: text, reason: "a password does not belong in the URL; use a password file or environment variable")
        }
        var hostPort = authority[authority.index(after: at)...]
        var port = 993
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw IMAPSourceError(text: text, reason: "unclosed [ in the host") }
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()), (1...65535).contains(value) else {
                    throw IMAPSourceError(text: text, reason: "bad port")
                }
                port = value
            } else if !after.isEmpty {
                throw IMAPSourceError(text: text, reason: "unexpected text after the host")
            }
            hostPort = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
        } else if let colon = hostPort.lastIndex(of: ":") {
            guard let value = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(value) else {
                throw IMAPSourceError(text: text, reason: "bad port")
            }
            port = value
            hostPort = hostPort[..<colon]
        }
        guard !hostPort.isEmpty else { throw IMAPSourceError(text: text, reason: "no host") }
        guard let mailbox = String(path).removingPercentEncoding else {
            throw IMAPSourceError(text: text, reason: "the mailbox is badly percent-encoded")
        }
        self.init(user: user, host: String(hostPort).lowercased(), port: port, mailbox: mailbox.isEmpty ? "INBOX" : mailbox, caFile: caFile)
    }

    /// The key the mailbox's reading state is saved under.
    public var stateKey: String { "imaps://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(mailbox)" }

    public var description: String { stateKey }
}

public struct IMAPSourceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var reason: String
    /// The URL with any password replaced by `…`: an error message must not repeat a secret.
    public var description: String {
        let shown = text.replacing(#/(?<scheme>://[^:/@]*):[^@/]*@/#) { "\($0.output.scheme):…@" }
        return "\(shown.sanitizedForTerminal): \(reason)"
    }
}

extension Ingester {
    /// Ingests the messages of an IMAP mailbox that arrived since the last run.
    ///
    /// The mailbox is opened with EXAMINE and messages are read with BODY.PEEK, so no
    /// flag changes. After each message (ingested or rejected) the highest UID is
    /// saved, so an interrupted run resumes where it stopped; when UIDVALIDITY has
    /// changed the saved UID means nothing and the mailbox is read from the start.
    /// Messages over the size limit are rejected from their announced size, unread.
    public func ingest(imap source: IMAPSource, password: String, state: any IMAPStateStore,
                       workers: BlockingWorkers = .shared) async -> IngestSummary {
        var summary = IngestSummary()
        let key = source.stateKey
        func fail(_ text: String) -> IngestSummary {
            summary.stoppedEarly = text
            onEvent?(.note(text))
            return summary
        }
        let configuration = IMAPConnection.Configuration(
            host: source.host, port: source.port, user: source.user, password: password, caFile: source.caFile,
            connectTimeout: source.connectTimeout, commandTimeout: source.commandTimeout,
            maxResponseBytes: limits.maxMessageBytes + (64 << 10))
        let connection: IMAPConnection
        do {
            connection = try await IMAPConnection.connect(configuration, workers: workers)
        } catch {
            return fail("\(key): \(error)")
        }
        summary = await ingest(connection: connection, mailbox: source.mailbox, key: key, state: state)
        await connection.logout()
        return summary
    }

    private func ingest(connection: IMAPConnection, mailbox: String, key: String, state: any IMAPStateStore) async -> IngestSummary {
        var summary = IngestSummary()
        func fail(_ text: String) -> IngestSummary {
            summary.stoppedEarly = text
            onEvent?(.note(text))
            return summary
        }
        let status: IMAPConnection.MailboxStatus
        let saved: IMAPMailboxState?
        do {
            status = try await connection.examine(mailbox)
            saved = try await state.imapState(mailbox: key)
        } catch {
            return fail("\(key): \(error)")
        }
        var current = IMAPMailboxState(uidValidity: status.uidValidity, lastUID: 0)
        if let saved {
            if saved.uidValidity == status.uidValidity {
                current.lastUID = saved.lastUID
            } else {
                onEvent?(.note("\(key): UIDVALIDITY changed from \(saved.uidValidity) to \(status.uidValidity); reading the mailbox from the start"))
            }
        }
        guard status.exists > 0 else { return summary }
        let sizes: [IMAPConnection.MessageSize]
        do {
            sizes = try await connection.messageSizes(fromUID: current.lastUID &+ 1 == 0 ? UInt32.max : current.lastUID + 1)
        } catch {
            return fail("\(key): \(error)")
        }
        for message in sizes {
            let source = "\(key) UID \(message.uid)"
            summary.read += 1
            if message.size > limits.maxMessageBytes {
                reject(IngestProblem(source: source, reason: "message is \(message.size) bytes, over the limit of \(limits.maxMessageBytes)"), into: &summary)
            } else {
                let data: Data
                do {
                    data = try await connection.fetchMessage(uid: message.uid)
                } catch {
                    return fail("\(source): \(error)")
                }
                let units = Examine.mail(data, source: source, limits: limits)
                var pending: [Pending] = []
                guard await deliver(units, pending: &pending, flushAt: .max, into: &summary),
                      await flush(&pending, into: &summary) else { return summary }
            }
            current.lastUID = message.uid
            do {
                try await state.setIMAPState(current, mailbox: key)
            } catch {
                return fail("\(key): saving the mailbox state failed: \(error)")
            }
        }
        return summary
    }
}
