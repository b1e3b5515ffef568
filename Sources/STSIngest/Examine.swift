import Foundation
import STSCore
import STSMIME

/// The pure-ish middle of ingestion: bytes in, reports and problems out, no sink involved.
///
/// Each function here runs on any thread and touches nothing shared, so files and
/// messages can be examined in parallel while one loop feeds the sink.
enum Examine {
    /// A report ready for the sink, or a problem.
    enum Unit: Sendable {
        case report(FoundReport, source: String, message: MailMeta?)
        case problem(IngestProblem)
    }

    /// What examining one work item produced.
    struct Outcome: Sendable {
        var units: [Unit] = []
        /// Inputs examined (files, messages).
        var read = 0
        /// Work found inside the item (the messages of an mbox), to be examined in turn.
        var more: [Work] = []
    }

    enum Work: Sendable {
        case file(SourceWalker.File)
        /// One message of a mapped mbox file.
        case mboxMessage(path: String, number: Int, mbox: Data, range: Range<Int>)
    }

    static func run(_ work: Work, limits: IngestLimits) -> Outcome {
        switch work {
        case .file(let file): examineFile(file, limits: limits)
        case .mboxMessage(let path, let number, let mbox, let range):
            examineMboxMessage(path: path, number: number, mbox: mbox, range: range, limits: limits)
        }
    }

    /// Reports in one e-mail; problems name `source` and the part.
    static func mail(_ data: Data, source: String, limits: IngestLimits) -> [Unit] {
        let mail: MailMessage
        do {
            mail = try MIME.parse(data, limits: limits.mime)
        } catch {
            return [.problem(IngestProblem(source: source, reason: error.description))]
        }
        let meta = ReportPicker.meta(mail)
        return ReportPicker.reports(in: mail, limits: limits.report).map { result in
            switch result {
            case .report(let found, _):
                return .report(found, source: source, message: meta)
            case .problem(let part, let reason):
                return .problem(IngestProblem(source: part.isEmpty ? source : "\(source) \(part)", reason: reason))
            }
        }
    }

    private static func examineFile(_ file: SourceWalker.File, limits: IngestLimits) -> Outcome {
        var outcome = Outcome()
        let path = file.path
        func reject(_ reason: String) -> Outcome {
            outcome.read += 1
            outcome.units.append(.problem(IngestProblem(source: path, reason: reason)))
            return outcome
        }
        let prefix: Data
        let size: Int
        switch FileReader.prefixAndSize(path, length: InputKind.prefixLength) {
        case .success(let value): (prefix, size) = value
        case .failure(let error): return reject(error.description)
        }
        let kind: InputKind = file.isMaildirMessage ? .mail : InputKind.detect(prefix: prefix, name: path)
        switch kind {
        case .mbox:
            guard size <= limits.maxMboxBytes else {
                return reject("mbox is \(size) bytes, over the limit of \(limits.maxMboxBytes)")
            }
            let data: Data
            do {
                // Mapped: the pages are the kernel's cache, so a large mbox costs little memory.
                data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            } catch {
                return reject("cannot read: \(error.localizedDescription)")
            }
            let ranges = data.withUnsafeBytes { Mbox.messageRanges($0) }
            if ranges.isEmpty { return reject("mbox holds no messages") }
            outcome.more = ranges.enumerated().map { .mboxMessage(path: path, number: $0.offset + 1, mbox: data, range: $0.element) }
            return outcome
        case .unknown:
            return reject("not a report, an e-mail or an mbox (starts with \(ReportPayload.describePrefix(prefix)))")
        case .report, .mail:
            guard size <= limits.maxMessageBytes else {
                return reject("file is \(size) bytes, over the limit of \(limits.maxMessageBytes)")
            }
            let data: Data
            switch FileReader.read(path, limit: limits.maxMessageBytes) {
            case .success(let bytes): data = bytes
            case .failure(let error): return reject(error.description)
            }
            outcome.read += 1
            if kind == .mail {
                outcome.units = mail(data, source: path, limits: limits)
            } else {
                switch ReportPayload.decode(data, limits: limits.report) {
                case .success(let found): outcome.units = [.report(found, source: path, message: nil)]
                case .failure(let error): outcome.units = [.problem(IngestProblem(source: path, reason: error.description))]
                }
            }
            return outcome
        }
    }

    private static func examineMboxMessage(path: String, number: Int, mbox: Data, range: Range<Int>, limits: IngestLimits) -> Outcome {
        var outcome = Outcome()
        outcome.read = 1
        let source = "\(path) message \(number)"
        guard range.count <= limits.maxMessageBytes else {
            outcome.units = [.problem(IngestProblem(source: source, reason: "message is \(range.count) bytes, over the limit of \(limits.maxMessageBytes)"))]
            return outcome
        }
        let message = mbox.withUnsafeBytes { Mbox.unquote(UnsafeRawBufferPointer(rebasing: $0[range])) }
        outcome.units = mail(message, source: source, limits: limits)
        return outcome
    }
}

/// Bounded file reads with errors that name the file's problem.
enum FileReader {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func prefixAndSize(_ path: String, length: Int) -> Result<(Data, Int), Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Failure(description: "cannot open: \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Failure(description: "cannot stat: \(String(cString: strerror(errno)))")) }
        var buffer = [UInt8](repeating: 0, count: length)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, length) }
        guard count >= 0 else { return .failure(Failure(description: "cannot read: \(String(cString: strerror(errno)))")) }
        if count == 0 { return .failure(Failure(description: "file is empty")) }
        return .success((Data(buffer[..<count]), Int(info.st_size)))
    }

    /// The whole file, failing when it holds more than `limit` bytes (checked while reading: files can grow).
    static func read(_ path: String, limit: Int) -> Result<Data, Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Failure(description: "cannot open: \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        var info = stat()
        let expected = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        var data = Data(count: min(limit, expected) + 1)
        var filled = 0
        while true {
            if filled == data.count {
                guard data.count <= limit else { break }
                data.count = min(limit + 1, max(data.count * 2, 4096))
            }
            let got = data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if got < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(description: "cannot read: \(String(cString: strerror(errno)))"))
            }
            if got == 0 { break }
            filled += got
        }
        guard filled <= limit else { return .failure(Failure(description: "file is over the limit of \(limit) bytes")) }
        data.count = filled
        return .success(data)
    }
}
