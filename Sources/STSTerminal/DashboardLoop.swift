import Foundation
import STSDashboard

/// Settings for the dashboard's loop; the defaults suit a terminal left open all day.
public struct DashboardRunOptions: Sendable {
    /// How long one wait for a key lasts; also how often the clock is looked at.
    public var tickMilliseconds: Int32 = 250
    /// How often the store is asked whether anything changed.
    public var pollInterval: TimeInterval = 1
    /// Wheel scrolling; off by default so the terminal's own selection keeps working.
    public var mouse = false
    /// The clock: the only place the dashboard reads the time.
    public var clock: @Sendable () -> Date = { Date() }
    /// Shown in the status line at start (the demo says what it is).
    public var initialMessage: String?

    public init() {}
}

extension Dashboard {
    /// Runs the dashboard until `q`, SIGINT or SIGTERM; the terminal is restored on every way out.
    ///
    /// One thread, one loop: wait for a key (at most one tick), turn it into an event,
    /// reduce, perform the effects through `source`, and redraw only the cells that
    /// changed. The store is polled with ``DashboardDataSource/hasChanged()`` every
    /// `pollInterval`. Errors from the source go to the status line. `themes` is the `t`
    /// cycle; the first is used at start.
    public static func run(source: DashboardDataSource, themes: [Theme], options: DashboardRunOptions = DashboardRunOptions()) throws {
        let themes = themes.isEmpty ? [Theme.dark] : themes
        let terminal = try Terminal.start(theme: themes[0], mouse: options.mouse)
        defer { terminal.stop() }
        let (width, height) = terminal.size
        let initial: DashboardSnapshot
        var startError: String?
        do {
            initial = try source.snapshot()
        } catch {
            initial = .empty
            startError = "cannot read the store: \(error)"
        }
        var state = DashboardState(snapshot: initial, width: width, height: height, now: options.clock(), themeCount: themes.count)
        if let startError { _ = reduce(&state, .error(startError)) }
        if let message = options.initialMessage, startError == nil { _ = reduce(&state, .message(message)) }
        var lastPoll = options.clock()
        var themeIndex = 0
        var running = true

        func handle(_ event: DashboardEvent) {
            if Dashboard.handle(event, state: &state, source: source) { running = false }
        }

        while running {
            if themeIndex != state.themeIndex {
                themeIndex = state.themeIndex
                terminal.apply(theme: themes[themeIndex])
                _ = reduce(&state, .message("theme \(themes[themeIndex].name)"))
            }
            terminal.draw(DashboardView.render(state, glyphs: terminal.glyphs))
            if Terminal.takeStopSignal() != nil { break }
            let input = terminal.read(timeoutMilliseconds: options.tickMilliseconds)
            let now = options.clock()
            switch input {
            case .key(let key)?:
                handle(.tick(now))
                handle(.key(key))
            case .resize(let w, let h)?:
                handle(.resize(width: w, height: h))
            case .redraw?:
                terminal.invalidate()
            case nil:
                handle(.tick(now))
            }
            if now.timeIntervalSince(lastPoll) >= options.pollInterval {
                lastPoll = now
                do {
                    if try source.hasChanged() { handle(.dataChanged(try source.snapshot())) }
                } catch {
                    handle(.error("cannot read the store: \(error)"))
                }
            }
        }
    }
}
