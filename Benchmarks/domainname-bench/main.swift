// Prints how long DomainName.normalize takes on hostile names, from 1k to 256k characters:
// one huge non-ASCII label (a report's receiving-mx-hostname), one huge ASCII label, and a name
// of many short U-labels. Linear input handling shows as a flat ns/char column.
//
//   swift build -c release --product stswatch-domainname-bench
//   .build/release/stswatch-domainname-bench [ROUNDS]
import Foundation
import STSCore

let rounds = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 5

func measure(_ input: String) -> (seconds: Double, outcome: String) {
    var best = Double.infinity
    var outcome = ""
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        do {
            let name = try DomainName.normalize(input)
            outcome = "accepted (\(name.utf8.count) octets)"
        } catch {
            outcome = "\(error)".count > 70 ? String("\(error)".prefix(69)) + "…" : "\(error)"
        }
        let d = start.duration(to: .now)
        best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
    return (best, outcome)
}

let shapes: [(String, (Int) -> String)] = [
    ("one non-ASCII label", { String(repeating: "ä", count: $0) }),
    ("mx.<non-ASCII label>.example", { "mx." + String(repeating: "日", count: $0) + ".example" }),
    ("one ASCII label", { String(repeating: "a", count: $0) }),
    ("short U-labels (ä.ä.ä…)", { String(repeating: "ä.", count: $0 / 2) + "example" }),
]
print("DomainName.normalize, best of \(rounds) runs")
print("shape                          chars      time        ns/char  outcome")
for (label, make) in shapes {
    for size in [1_000, 4_000, 16_000, 64_000, 256_000] {
        let input = make(size)
        let (seconds, outcome) = measure(input)
        let chars = input.unicodeScalars.count
        print(label.padding(toLength: 30, withPad: " ", startingAt: 0),
              String(chars).padding(toLength: 10, withPad: " ", startingAt: 0),
              String(format: "%9.3f ms", seconds * 1000),
              String(format: "%8.1f", seconds * 1e9 / Double(chars)),
              " " + outcome)
    }
}
let valid = ["bücher.example", "xn--bcher-kva.example", "例え.テスト", "_mta-sts.mx1.example.com"]
let start = ContinuousClock.now
for _ in 0..<10_000 { for v in valid { _ = try? DomainName.normalize(v) } }
let d = start.duration(to: .now)
print(String(format: "valid names: %.2f µs per name (40,000 names)",
             (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) / 40_000 * 1e6))
