import CSpawn
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How one of a child's standard descriptors (0, 1, 2) is connected.
public enum ChildStdio: Sendable {
    /// `/dev/null`.
    case null
    /// The same descriptor as this process's.
    case inherit
    /// A file: read as standard input; for output created, and truncated unless `append`.
    case file(String, append: Bool = false)
    /// A pipe whose other end this process keeps (see ``ChildProcess/write(_:timeout:)``,
    /// ``ChildProcess/readLine(timeout:)`` and ``ChildProcess/run(_:input:environment:timeout:)``).
    case pipe
    /// Standard error only: wherever standard output goes.
    case sameAsOutput
}

/// How a child ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    /// The exit code, or for a signal 128 + its number, as a shell reports it.
    public var code: Int32 {
        switch self {
        case .exited(let code): code
        case .signalled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signalled(let signal): "killed by signal \(signal)"
        }
    }

    init(waitStatus status: Int32) {
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot call.
        self = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
    }
}

/// A child that could not be started or did not finish in time, with the command and what it printed.
public struct ChildProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A child process started with posix_spawn that inherits nothing it was not given.
///
/// Why not Foundation's `Process` (on Linux, as of Swift 6.3):
/// - It closes the parent's other descriptors by a list made *before* spawning, so a pipe another
///   thread opens at that moment is inherited. A long-lived child (the lab, Dovecot, NSD, a test
///   server) then holds that pipe's write end, and whoever reads the pipe to EOF waits for the
///   server to exit, that is forever. Here the child closes every descriptor from 3 up itself
///   (`posix_spawn_file_actions_addclosefrom_np`), after its standard descriptors are in place.
/// - It learns that a child exited when a socket the child inherited closes; a grandchild that
///   inherits the socket too (a daemon, or a server started at the same moment) keeps
///   `waitUntilExit()` waiting after the child is gone. Here the child is reaped with `waitpid`.
/// - Started from a Swift concurrency thread, its child inherits that thread's signal mask, with
///   SIGTERM and SIGCHLD blocked. Here the child starts with an empty mask and default dispositions.
///
/// Every wait here is bounded; a child still running when its owner goes away is killed.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    /// The command line, for messages.
    public let command: String
    private let state: Mutex<State>
    private let inGroup: Bool

    private struct State {
        var status: ExitStatus?
        /// This process's ends of the child's pipes, -1 when there is none (or it was closed).
        var input: Int32
        var output: Int32
        var error: Int32
        /// Bytes of standard output read past the last line ``readLine(timeout:)`` returned.
        var lineBuffer: [UInt8] = []
    }

    /// Starts `argv` (`argv[0]` a path, or a name looked up in `PATH`).
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment; nil passes on this process's.
    ///   - newProcessGroup: the child leads a process group of its own: a terminal's Ctrl-C meant
    ///     for us does not reach it, and ``kill()`` reaches whatever it started too.
    public init(_ argv: [String], environment: [String: String]? = nil,
                stdin: ChildStdio = .null, stdout: ChildStdio = .null, stderr: ChildStdio = .null,
                newProcessGroup: Bool = false, directory: String? = nil) throws(ChildProcessError) {
        precondition(!argv.isEmpty, "ChildProcess needs a command")
        command = argv.joined(separator: " ")
        inGroup = newProcessGroup

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Ours: (child's end, our end) of each pipe, closed on every way out of init.
        var pipes: [Int32: (child: Int32, ours: Int32)] = [:]
        func closeAll(keepingOurs: Bool) {
            for (_, ends) in pipes {
                close(ends.child)
                if !keepingOurs { close(ends.ours) }
            }
        }
        for (fd, how) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch how {
            case .null:
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
            case .inherit:
                break
            case .file(let path, let append):
                let mode = fd == 0 ? O_RDONLY : O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
                posix_spawn_file_actions_addopen(&actions, fd, path, mode, 0o644)
            case .sameAsOutput:
                precondition(fd == 2, "only standard error can follow standard output")
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            case .pipe:
                var ends: [Int32] = [-1, -1]
                guard stswatch_pipe_cloexec(&ends) == 0 else {
                    let code = errno
                    closeAll(keepingOurs: false)
                    throw ChildProcessError("\(command): pipe: \(String(cString: strerror(code)))")
                }
                // A pipe's read end is ends[0]: the child reads its input and writes its output.
                pipes[fd] = fd == 0 ? (child: ends[0], ours: ends[1]) : (child: ends[1], ours: ends[0])
                // dup2 leaves close-on-exec off the copy, so only descriptors 0–2 reach the program.
                posix_spawn_file_actions_adddup2(&actions, ends[fd == 0 ? 0 : 1], fd)
            }
        }
        // Last, so the descriptors above are in place first: nothing from 3 up reaches the child.
        if let directory {
            let code = stswatch_spawn_addchdir(&actions, directory)
            guard code == 0 else {
                closeAll(keepingOurs: false)
                throw ChildProcessError("\(command): cannot start in \(directory): \(String(cString: strerror(code)))")
            }
        }
        let closeFrom = stswatch_spawn_addclosefrom(&actions, 3)
        guard closeFrom == 0 else {
            closeAll(keepingOurs: false)
            throw ChildProcessError("\(command): posix_spawn_file_actions_addclosefrom_np: \(String(cString: strerror(closeFrom)))")
        }

        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let cEnvironment: [UnsafeMutablePointer<CChar>?]? = environment.map { env in
            env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { cEnvironment?.forEach { free($0) } }
        var child = pid_t()
        let code = cEnvironment.map { posix_spawnp(&child, argv[0], &actions, &attributes, cArguments, $0) }
            ?? posix_spawnp(&child, argv[0], &actions, &attributes, cArguments, environ)
        guard code == 0 else {
            closeAll(keepingOurs: false)
            throw ChildProcessError("cannot start \(command): \(String(cString: strerror(code)))")
        }
        closeAll(keepingOurs: true)
        for (_, ends) in pipes {
            // Our ends never block: every read and write below waits in poll() with a deadline.
            _ = fcntl(ends.ours, F_SETFL, fcntl(ends.ours, F_GETFL) | O_NONBLOCK)
        }
        pid = child
        state = Mutex(State(status: nil, input: pipes[0]?.ours ?? -1,
                            output: pipes[1]?.ours ?? -1, error: pipes[2]?.ours ?? -1))
    }

    deinit {
        if exitStatus == nil { _ = terminate(grace: 2) }
        state.withLock { s in
            for fd in [s.input, s.output, s.error] where fd >= 0 { close(fd) }
        }
    }

    /// How the child ended, or nil while it runs. Reaps it once it has exited.
    public var exitStatus: ExitStatus? {
        state.withLock { s in
            if s.status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid { s.status = ExitStatus(waitStatus: raw) }
            }
            return s.status
        }
    }

    public var isRunning: Bool { exitStatus == nil }

    /// Waits up to `timeout` seconds for the child to exit; nil if it is still running.
    public func wait(timeout: TimeInterval) -> ExitStatus? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = exitStatus { return status }
            if Date() >= deadline { return nil }
            usleep(10_000)
        }
    }

    /// Sends `signal` to the child, unless it has been reaped (its pid may be someone else's by then).
    public func signal(_ signal: Int32) {
        state.withLock { s in
            guard s.status == nil else { return }
            _ = Glibc.kill(pid, signal)
        }
    }

    /// SIGKILL to the child (and to its process group, if it leads one), then reaps it: a killed
    /// process cannot refuse, so this returns promptly.
    @discardableResult
    public func kill() -> ExitStatus {
        state.withLock { s in
            if let status = s.status { return status }
            if inGroup { _ = Glibc.kill(-pid, SIGKILL) }
            _ = Glibc.kill(pid, SIGKILL)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            let status = ExitStatus(waitStatus: raw)
            s.status = status
            return status
        }
    }

    /// SIGTERM, up to `grace` seconds for the child to go, then SIGKILL; always reaps.
    @discardableResult
    public func terminate(grace: TimeInterval = 5) -> ExitStatus {
        signal(SIGTERM)
        return wait(timeout: grace) ?? kill()
    }

    /// Writes to the child's standard input pipe, waiting at most `timeout` seconds for room.
    public func write(_ data: Data, timeout: TimeInterval = 10) throws(ChildProcessError) {
        let fd = state.withLock { $0.input }
        guard fd >= 0 else { throw ChildProcessError("\(command): standard input is not an open pipe") }
        let deadline = Date().addingTimeInterval(timeout)
        let bytes = [UInt8](data)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { stswatch_write_nosigpipe(fd, $0.baseAddress, $0.count) }
            if written > 0 { offset += written; continue }
            if written < 0 && errno != EAGAIN && errno != EINTR {
                throw ChildProcessError("\(command): writing its input: \(String(cString: strerror(errno)))")
            }
            guard Self.poll(fd, events: Int16(POLLOUT), until: deadline) else {
                throw ChildProcessError("\(command): did not take its input within \(timeout) s")
            }
        }
    }

    /// Closes the child's standard input pipe: the child sees end of file.
    public func closeInput() {
        state.withLock { s in
            if s.input >= 0 { close(s.input) }
            s.input = -1
        }
    }

    /// The next line (without its newline) the child writes to its standard output pipe.
    ///
    /// Fails after `timeout` seconds, at end of file, or after 64 KiB without a newline.
    public func readLine(timeout: TimeInterval = 10) throws(ChildProcessError) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        return try state.withLock { (s: inout State) throws(ChildProcessError) -> String in
            guard s.output >= 0 else { throw ChildProcessError("\(command): standard output is not an open pipe") }
            while true {
                if let newline = s.lineBuffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: s.lineBuffer[..<newline], as: UTF8.self)
                    s.lineBuffer.removeSubrange(...newline)
                    return line
                }
                guard s.lineBuffer.count < 65536 else { throw ChildProcessError("\(command): a line longer than 64 KiB") }
                switch Self.readAvailable(s.output, into: &s.lineBuffer) {
                case .endOfFile:
                    throw ChildProcessError("\(command): standard output closed before a whole line")
                case .wouldBlock:
                    guard Self.poll(s.output, events: Int16(POLLIN), until: deadline) else {
                        throw ChildProcessError("\(command): no line on standard output within \(timeout) s")
                    }
                case .read:
                    break
                }
            }
        }
    }

    // MARK: Running a command to completion

    /// What a command run to completion printed, and how it ended.
    public struct Output: Sendable {
        public var status: ExitStatus
        public var stdout: Data
        public var stderr: Data
        /// Standard output as text (UTF-8, invalid bytes replaced).
        public var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `argv`, feeding it `input`, and collects its output, within `timeout` seconds.
    ///
    /// Done as soon as the child has exited and what it wrote is read: end of file is not awaited,
    /// so a grandchild that keeps the pipes open (a daemon) cannot make this wait. On the deadline
    /// the child and its process group are killed and the error says what it printed so far.
    public static func run(_ argv: [String], input: Data? = nil, environment: [String: String]? = nil,
                           directory: String? = nil, timeout: TimeInterval) throws(ChildProcessError) -> Output {
        let child = try ChildProcess(argv, environment: environment, stdin: input == nil ? .null : .pipe,
                                     stdout: .pipe, stderr: .pipe, newProcessGroup: true, directory: directory)
        return try child.collect(input: input.map { [UInt8]($0) } ?? [], timeout: timeout)
    }

    /// Feeds the input pipe and drains both output pipes in one poll loop until the child exits.
    private func collect(input: [UInt8], timeout: TimeInterval) throws(ChildProcessError) -> Output {
        let deadline = Date().addingTimeInterval(timeout)
        var out: [UInt8] = [], err: [UInt8] = []
        var offset = 0
        if input.isEmpty { closeInput() }
        while true {
            let (inFD, outFD, errFD) = state.withLock { ($0.input, $0.output, $0.error) }
            if let status = exitStatus {
                // Everything the child wrote before it exited is in the pipes now.
                if outFD >= 0 { _ = Self.readAvailable(outFD, into: &out) }
                if errFD >= 0 { _ = Self.readAvailable(errFD, into: &err) }
                closeInput()
                return Output(status: status, stdout: Data(out), stderr: Data(err))
            }
            if Date() >= deadline {
                kill()
                throw ChildProcessError("\(command) did not finish within \(timeout) s and was killed; "
                                        + "output so far: \(Self.tail(out)) \(Self.tail(err))")
            }
            var fds: [pollfd] = []
            if inFD >= 0 { fds.append(pollfd(fd: inFD, events: Int16(POLLOUT), revents: 0)) }
            for fd in [outFD, errFD] where fd >= 0 { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            // Short waits: the child's exit is noticed by polling waitpid, not by end of file.
            _ = Glibc.poll(&fds, nfds_t(fds.count), 20)
            for entry in fds where entry.revents != 0 {
                if entry.fd == inFD {
                    let written = input[offset...].withUnsafeBytes { stswatch_write_nosigpipe(inFD, $0.baseAddress, $0.count) }
                    if written > 0 { offset += written }
                    // EPIPE: the child stopped reading; what it did with that is in its status.
                    if offset == input.count || (written < 0 && errno != EAGAIN && errno != EINTR) { closeInput() }
                } else if (entry.fd == outFD ? Self.readAvailable(entry.fd, into: &out)
                                             : Self.readAvailable(entry.fd, into: &err)) == .endOfFile {
                    state.withLock { s in
                        close(entry.fd)
                        if s.output == entry.fd { s.output = -1 } else { s.error = -1 }
                    }
                }
            }
        }
    }

    private enum ReadResult { case read, wouldBlock, endOfFile }

    /// Reads everything available now from a non-blocking descriptor.
    private static func readAvailable(_ fd: Int32, into buffer: inout [UInt8]) -> ReadResult {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var result = ReadResult.wouldBlock
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
                result = .read
            } else if count == 0 {
                return .endOfFile
            } else if errno == EINTR {
                continue
            } else {
                // EAGAIN: nothing more for now; another error is treated as nothing more at all.
                return errno == EAGAIN ? result : .endOfFile
            }
        }
    }

    /// Waits for `events` on `fd` until `deadline`; false when the deadline passed first.
    private static func poll(_ fd: Int32, events: Int16, until deadline: Date) -> Bool {
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return false }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = Glibc.poll(&entry, 1, Int32(min(left * 1000, 1000).rounded(.up)))
            if ready > 0 { return true }
        }
    }

    private static func tail(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.suffix(2000), as: UTF8.self)
    }
}
