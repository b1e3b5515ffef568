import ArgumentParser
import Foundation
import STSCore
import STSStore

/// `stswatch remove`: stop watching domains, with their history.
struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Stop watching domains; their state, findings, events and observations are deleted.",
        discussion: "Exit status 1 when a name was not being watched (the others are still removed).")

    @Argument(help: "Domains to stop watching.")
    var domains: [String]
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    func validate() throws { try validateDomainArguments(domains) }

    func run() throws {
        let config = try AppConfig.load(configOptions)
        let store = try CacheAccess.open(config.databasePath(storeOptions.db), mode: .readWrite)
        let removed = Set(try CacheAccess.attempt { try store.removeDomains(domains) })
        var missing = false
        for name in domains.map({ DomainName.canonical($0.trimmingCharacters(in: .whitespaces)) }) {
            if removed.contains(name) {
                Output.line("\(name): removed")
            } else {
                Output.error("\(name) is not a watched domain")
                missing = true
            }
        }
        if missing { throw ExitCode(ExitStatus.invalid) }
    }
}
