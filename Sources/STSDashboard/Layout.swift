/// Where each part of the screen goes: a pure function of the terminal size.
///
/// Row 0 holds the tabs and the clock, then the pane, then a footer of key hints and
/// the status line. Below 80×24 there is no layout, and the view says so instead.
public struct Layout: Sendable, Hashable {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public var tabs: Rect
    public var body: Rect
    public var footer: Rect
    public var status: Rect

    public init?(width: Int, height: Int) {
        guard width >= Self.minimumWidth, height >= Self.minimumHeight else { return nil }
        let screen = Rect(x: 0, y: 0, width: width, height: height)
        let (top, rest) = screen.splitTop(1)
        let (middle, bottom) = rest.splitBottom(2)
        tabs = top
        body = middle
        footer = bottom.row(0)
        status = bottom.row(1)
    }

    /// Rows of the domains list (the body less its column header).
    public var domainRows: Int { max(0, body.height - 1) }
    /// Lines of the detail pane.
    public var detailRows: Int { body.height }
    /// Lines under a failures list describing the selected group.
    public static let groupSummaryRows = 4
    /// Rows of a failures list (less the breadcrumb, the column header and the group summary).
    public var failureRows: Int { max(0, body.height - 2 - Self.groupSummaryRows) }
    /// Lines of a full report (less the breadcrumb).
    public var reportRows: Int { max(0, body.height - 1) }
}
