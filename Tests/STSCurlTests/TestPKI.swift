import Crypto
import Foundation
import SwiftASN1
import X509

/// A throw-away PKI for the tests: a trusted CA, an unrelated CA, and leaf certificates.
struct TestPKI: Sendable {
    struct Authority: Sendable {
        let key: Certificate.PrivateKey
        let certificate: Certificate
        let name: DistinguishedName
    }

    /// A certificate and key as files a server loads, plus the DER for comparisons.
    struct Issued: Sendable {
        let chainFile: String
        let keyFile: String
        let leafDER: [UInt8]
        let leaf: Certificate
    }

    let directory: URL
    let trusted: Authority
    let untrusted: Authority
    /// PEM of the trusted CA: what the adapters get as `caFile`.
    let caFile: String

    init(directory: URL, now: Date = Date()) throws {
        self.directory = directory
        trusted = try Self.authority(named: "stswatch test CA", now: now)
        untrusted = try Self.authority(named: "untrusted test CA", now: now)
        caFile = directory.appendingPathComponent("ca.pem").path
        try trusted.certificate.serializeAsPEM().pemString.write(toFile: caFile, atomically: true, encoding: .utf8)
    }

    private static func authority(named commonName: String, now: Date) throws -> Authority {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("stswatch tests")
            CommonName(commonName)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now - 365 * 86400, notValidAfter: now + 365 * 86400,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
        return Authority(key: .init(key), certificate: certificate, name: name)
    }

    /// Issues a server certificate; `issuer` nil makes it self-signed.
    func issue(file: String, dnsNames: [String], by issuer: Authority?, notBefore: Date, notAfter: Date,
               includeIssuerInChain: Bool = true) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("stswatch tests")
            CommonName(dnsNames.first ?? file)
        }
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: issuer?.name ?? subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(dnsNames.map { GeneralName.dnsName($0) })
            },
            issuerPrivateKey: issuer?.key ?? .init(key))
        var pem = try leaf.serializeAsPEM().pemString + "\n"
        if let issuer, includeIssuerInChain {
            pem += try issuer.certificate.serializeAsPEM().pemString + "\n"
        }
        let chainFile = directory.appendingPathComponent("\(file).pem").path
        let keyFile = directory.appendingPathComponent("\(file).key").path
        try pem.write(toFile: chainFile, atomically: true, encoding: .utf8)
        try key.pemRepresentation.write(toFile: keyFile, atomically: true, encoding: .utf8)
        var serializer = DER.Serializer()
        try serializer.serialize(leaf)
        return Issued(chainFile: chainFile, keyFile: keyFile, leafDER: serializer.serializedBytes, leaf: leaf)
    }
}

extension Array where Element == UInt8 {
    var sha256Hex: String { SHA256.hash(data: self).map { String(format: "%02x", $0) }.joined() }
}
