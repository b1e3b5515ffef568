import Foundation
@testable import STSStore
import Testing

@Suite struct SHA256Tests {
    /// FIPS 180-2 appendix B vectors, plus the empty message and block-boundary lengths.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ])
    func knownVectors(input: String, digest: String) {
        #expect(SHA256.hex(Array(input.utf8)) == digest)
    }

    /// Every length around the 55/56/64-byte padding boundaries, against coreutils' sha256sum.
    @Test func agreesWithSha256sum() throws {
        let temp = try TempFolder()
        var inputs: [[UInt8]] = (0...130).map { n in (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }
        inputs += try corpusReports().map { Array($0.data) }
        for (index, bytes) in inputs.enumerated() {
            let file = temp.path("input-\(index)")
            #expect(FileManager.default.createFile(atPath: file, contents: Data(bytes)))
            let out = temp.path("sum-\(index)")
            let child = try Child("/usr/bin/sha256sum", [file], output: out)
            #expect(child.wait(timeout: 10) == 0)
            let expected = String(child.output.prefix(64))
            #expect(SHA256.hex(bytes) == expected, "length \(bytes.count)")
        }
    }
}
