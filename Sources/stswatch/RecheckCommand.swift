import ArgumentParser
import Foundation
import STSCore
import STSStore

/// `stswatch recheck`: ask the running poller to look now.
struct RecheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recheck",
        abstract: "Ask the poller to check domains now; a running `stswatch poll` picks the request up within a second or two.")

    @Argument(help: "Domains to check again.")
    var domains: [String] = []
    @Flag(name: .long, help: "Check every watched domain again.")
    var all = false
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    func validate() throws {
        guard all != !domains.isEmpty else { throw ValidationError("give domains or --all (not both)") }
        try validateDomainArguments(domains)
    }

    func run() throws {
        let config = try AppConfig.load(configOptions)
        let store = try CacheAccess.open(config.databasePath(storeOptions.db), mode: .readWrite)
        try CacheAccess.attempt {
            if all {
                try store.requestRecheck(domain: nil)
            } else {
                // Every name is checked before any request is written, so a typo asks for nothing.
                let watched = Set(try store.domains().map(\.name))
                let names = domains.map { DomainName.canonical($0.trimmingCharacters(in: .whitespaces)) }
                if let missing = names.first(where: { !watched.contains($0) }) { throw StoreError.unknownDomain(missing) }
                for name in names { try store.requestRecheck(domain: name) }
            }
        }
        Output.line(all ? "re-check of every domain requested" : "re-check requested: \(domains.map(DomainName.canonical).joined(separator: ", "))")
    }
}
