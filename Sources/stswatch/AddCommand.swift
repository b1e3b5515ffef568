import ArgumentParser
import Foundation
import STSCore
import STSStore

/// `stswatch add`: start watching domains.
struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Watch domains: the poller checks them within about a second (spread over the interval when many are added at once).",
        discussion: "Internationalised names are accepted and stored as A-labels (xn--…). Nothing is added when any name is invalid.")

    @Argument(help: "Domains to watch.")
    var domains: [String]
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    func validate() throws { try validateDomainArguments(domains) }

    func run() throws {
        let config = try AppConfig.load(configOptions)
        let store = try CacheAccess.open(config.databasePath(storeOptions.db), mode: .readWrite)
        let added = try CacheAccess.attempt { try store.addDomains(domains) }
        let addedSet = Set(added)
        for name in domains.map(DomainName.canonical) where !addedSet.contains(name) {
            Output.line("\(name): already watched")
        }
        added.forEach { Output.line("\($0): added") }
    }
}
