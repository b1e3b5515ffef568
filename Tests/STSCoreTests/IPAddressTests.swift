import STSCore
import Testing

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("8.8.8.8", true), ("127.0.0.1", false), ("10.0.0.1", false), ("172.16.5.4", false), ("172.32.0.1", true),
        ("192.168.1.1", false), ("169.254.1.1", false), ("100.64.0.1", false), ("192.0.2.1", false), ("224.0.0.1", false),
        ("255.255.255.255", false), ("2606:4700::1111", true), ("::1", false), ("fd57:5757:0:77::1", false),
        ("fe80::1", false), ("2001:db8::1", false), ("::ffff:10.0.0.1", false), ("::ffff:8.8.8.8", true), ("ff02::1", false),
    ])
    func globality(text: String, global: Bool) throws {
        #expect(try #require(IPAddress(text)).isGlobal == global)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.1.1.1", "1::2::3", "12345::1", "fe80::1%eth0", "::g", "1.2.3.4:25"])
    func rejects(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func parsesCompressedIPv6AndEmbeddedIPv4() throws {
        #expect(try #require(IPAddress("::")).bytes == [UInt8](repeating: 0, count: 16))
        #expect(try #require(IPAddress("2001:db8::ff00:42:8329")).bytes.suffix(6) == [0xFF, 0x00, 0x00, 0x42, 0x83, 0x29])
        #expect(try #require(IPAddress("::ffff:192.0.2.1")).mappedIPv4?.text == "192.0.2.1")
    }

    @Test func rangesMatchByPrefix() throws {
        let lab = try #require(AddressRange("fd57:5757:0:77::/64"))
        #expect(lab.contains(IPAddress("fd57:5757:0:77::9")!))
        #expect(!lab.contains(IPAddress("fd57:5757:0:78::9")!))
        #expect(!lab.contains(IPAddress("127.0.0.1")!))
        #expect(AddressRange("127.0.0.0/8")!.contains(IPAddress("127.77.2.1")!))
        #expect(AddressRange("10.0.0.0/33") == nil)
        guard case .failure(let error) = AddressRange.parseList("127.0.0.0/8, bogus") else { Issue.record("accepted"); return }
        #expect(error.entry == "bogus")
    }
}
