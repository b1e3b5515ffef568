import Foundation
import STSLab
import Testing

/// `ChildProcess`, the one way tests and the lab start children: what a child inherits, and
/// that every wait ends. Each test would hang or fail with Foundation's `Process` on Linux.
@Suite(.timeLimit(.minutes(1)))
struct ChildProcessTests {
    /// The flaky hang, made certain: a pipe without close-on-exec (as Foundation's `Pipe` makes
    /// them) is open while a long-lived server starts. The server must not get its write end, or
    /// the pipe's reader never sees end of file while the server runs.
    @Test func aLongLivedChildDoesNotHoldAnotherPipeOpen() throws {
        var fds: [Int32] = [-1, -1]
        try #require(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }
        let server = try ChildProcess(["/bin/sleep", "30"])
        defer { server.kill() }
        close(writeEnd)
        var entry = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
        try #require(poll(&entry, 1, 5000) == 1, "the reader saw no end of file in 5 s: the server holds the pipe")
        var byte: UInt8 = 0
        #expect(read(readEnd, &byte, 1) == 0)
    }

    /// Only descriptors 0, 1 and 2 reach the program (sh lists its own descriptors).
    @Test func onlyTheStandardDescriptorsAreInherited() throws {
        var fds: [Int32] = [-1, -1]
        try #require(pipe(&fds) == 0)
        defer { fds.forEach { close($0) } }
        let listed = try ChildProcess.run(["/bin/sh", "-c", "ls /proc/$$/fd"], timeout: 20)
        #expect(listed.status == .exited(0))
        let open = listed.text.split(whereSeparator: \.isNewline).compactMap { Int32($0) }
        #expect(!open.contains(fds[0]) && !open.contains(fds[1]), "inherited: \(open)")
        #expect(open == [0, 1, 2], "descriptors besides 0–2: \(open)")
    }

    /// Started from a Swift concurrency thread (whose mask blocks most signals), the child still
    /// has nothing blocked and nothing ignored, so SIGTERM stops it.
    @Test func theChildStartsWithNoSignalBlockedOrIgnored() async throws {
        let status = try await Task { try ChildProcess.run(["/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"], timeout: 20) }.value
        var masks: [String: UInt64] = [:]
        for line in status.text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: \.isWhitespace)
            masks[String(fields[0])] = UInt64(fields[1], radix: 16)
        }
        #expect(masks["SigBlk:"] == 0, "\(status.text)")
        // Signals 1–31 only: glibc's posix_spawn leaves its own internal real-time signals
        // (32 and 33, which no program may use) ignored when this process has handlers for them.
        #expect(masks["SigIgn:"].map { $0 & 0x7fff_ffff } == 0, "\(status.text)")

        let sleeper = try await Task { try ChildProcess(["/bin/sleep", "30"]) }.value
        #expect(sleeper.terminate(grace: 10) == .signalled(SIGTERM))
    }

    @Test func aCommandPastItsDeadlineIsKilledWithAClearError() throws {
        #expect {
            try ChildProcess.run(["/bin/sh", "-c", "echo started; exec sleep 30"], timeout: 0.5)
        } throws: { error in
            let text = "\(error)"
            return text.contains("did not finish within 0.5 s") && text.contains("started") && text.contains("sleep 30")
        }
    }

    /// A grandchild that keeps the output pipe open (a daemon) does not hold up the result.
    @Test func runEndsWhenTheChildExitsNotAtEndOfFile() throws {
        let result = try ChildProcess.run(["/bin/sh", "-c", "sleep 60 & echo $!"], timeout: 20)
        #expect(result.status == .exited(0))
        let grandchild = try #require(Int32(result.text.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(grandchild, SIGKILL)
    }

    /// Megabytes both ways at once: the input is fed while the output is drained.
    @Test func largeInputAndOutputDoNotDeadlock() throws {
        let input = Data((0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let result = try ChildProcess.run(["/bin/sh", "-c", "tee /dev/stderr"], input: input, timeout: 30)
        #expect(result.status == .exited(0))
        #expect(result.stdout == input)
        #expect(result.stderr == input)
    }

    /// Input the child never reads is dropped: EPIPE, not a SIGPIPE that would end the test run.
    @Test func inputTheChildDoesNotReadIsDropped() throws {
        let result = try ChildProcess.run(["/bin/true"], input: Data(count: 8 << 20), timeout: 20)
        #expect(result.status == .exited(0))
    }

    @Test func exitCodesAndSignalsAreTold() throws {
        #expect(try ChildProcess.run(["/bin/sh", "-c", "exit 3"], timeout: 20).status == .exited(3))
        let killed = try ChildProcess.run(["/bin/sh", "-c", "kill -TERM $$"], timeout: 20).status
        #expect(killed == .signalled(SIGTERM))
        #expect(killed.code == 128 + SIGTERM)
        #expect(throws: ChildProcessError.self) { try ChildProcess.run(["/nonexistent/stswatch-tool"], timeout: 20) }
    }

    @Test func environmentIsTheOneGiven() throws {
        let result = try ChildProcess.run(["/usr/bin/env"], environment: ["ONLY": "this"], timeout: 20)
        #expect(result.text == "ONLY=this\n")
    }

    /// A server spoken to over its standard input and output, each answer awaited with a deadline.
    @Test func linesToAndFromALongLivedChild() throws {
        let echo = try ChildProcess(["/bin/sh", "-c", "echo ready; while read line; do echo \"got $line\"; done"],
                                    stdin: .pipe, stdout: .pipe)
        defer { echo.kill() }
        #expect(try echo.readLine(timeout: 10) == "ready")
        try echo.write(Data("one\ntwo\n".utf8))
        #expect(try echo.readLine(timeout: 10) == "got one")
        #expect(try echo.readLine(timeout: 10) == "got two")
        #expect(throws: ChildProcessError.self) { try echo.readLine(timeout: 0.2) }
        echo.closeInput()
        #expect(echo.wait(timeout: 10) == .exited(0))
    }

    @Test func outputToAFileAndErrorsAlongside() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-child-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let child = try ChildProcess(["/bin/sh", "-c", "echo out; echo err >&2"], stdout: .file(path), stderr: .sameAsOutput)
        #expect(child.wait(timeout: 10) == .exited(0))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "out\nerr\n")
    }
}
