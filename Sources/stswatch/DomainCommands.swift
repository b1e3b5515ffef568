import ArgumentParser
import Foundation
import STSCore
import STSStore

/// Checks every name before anything is written, naming each bad one.
func validateDomainArguments(_ names: [String]) throws {
    for name in names {
        do { _ = try DomainName.normalize(name.trimmingCharacters(in: .whitespaces)) } catch {
            throw ValidationError("\"\(name)\" is not a domain name: \(error)")
        }
    }
}
